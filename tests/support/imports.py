"""The Lambda's code, from the layout: config_api.lambda_handler and every config_api module
it imports, at any depth, whether at module level or inside a function (that import runs when
the function does). Imports under `if TYPE_CHECKING:` never run and are left out.

Read from the source (an AST walk), not by importing: what the function can load is what
its code names, whatever a test process happens to have imported.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import config_api

SRC = Path(config_api.__file__).parent
PACKAGE = "config_api"
ENTRY = "config_api.lambda_handler"


def module_path(name: str) -> Path | None:
    """The source file of a config_api module or package, or None if it has none."""
    parts = name.split(".")[1:]
    base = SRC.joinpath(*parts)
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def imported_modules(tree: ast.Module, name: str, is_package: bool) -> set[str]:
    """The config_api modules an import statement of module `name` can load."""
    found: set[str] = set()
    package = name if is_package else name.rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from .x import y
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            # `from package import name` loads the submodule `name` when there is one.
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    ours = {n for n in found if n == PACKAGE or n.startswith(f"{PACKAGE}.")}
    # Importing a.b.c runs a/__init__ and a/b/__init__ first.
    parents = {n.rsplit(".", depth)[0] for n in ours for depth in range(1, n.count(".") + 1)}
    return {n for n in ours | parents if module_path(n) is not None}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


@cache
def lambda_closure() -> dict[str, Path]:
    """Module name → source file of every module the Lambda's code can load."""
    closure: dict[str, Path] = {}
    pending = [ENTRY]
    while pending:
        name = pending.pop()
        path = module_path(name)
        if name in closure or path is None:
            continue
        closure[name] = path
        tree = ast.parse(path.read_text(), filename=str(path))
        pending.extend(imported_modules(tree, name, path.name == "__init__.py"))
    return closure


def relative_path(path: Path) -> str:
    """A source file's path below src/config_api, e.g. `store/items.py`."""
    return path.relative_to(SRC).as_posix()
