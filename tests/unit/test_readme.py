"""README.md's project layout lists every package and module, and nothing that is gone."""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
# Below these, every package and module must be listed (with what it is).
COMPLETE = ("src/config_api/", "tests/support/")
ENTRY = re.compile(r"^(?P<indent> *)(?P<name>\S+)(?:\s+(?P<what>\S.*))?$")


class Entry(NamedTuple):
    depth: int  # indentation level in the block
    what: str


def layout() -> dict[str, Entry]:
    """Path (relative to the root; packages end in /) → its entry in the README's block."""
    text = README.read_text()
    section = text[text.index("## Project layout") :]
    block = section.split("```\n", 2)[1]
    entries: dict[str, Entry] = {}
    parents: list[str] = []  # the enclosing directories, one per indentation level
    for line in block.splitlines():
        entry = ENTRY.match(line)
        assert entry, f"README.md, Project layout: cannot read {line!r}"
        depth, name = len(entry["indent"]) // 2, entry["name"]
        del parents[depth:]
        path = "".join(parents) + name
        entries[path] = Entry(depth, entry["what"] or "")
        if name.endswith("/"):
            parents.append(name)
    return entries


def tree(directory: str) -> set[str]:
    """Packages (directories with an __init__.py) and modules below `directory`."""
    base = ROOT / directory
    found: set[str] = set()
    for path in base.rglob("*.py"):
        if "__pycache__" in path.parts:
            continue
        if path.name != "__init__.py":
            found.add(path.relative_to(ROOT).as_posix())
        elif path.parent != base:
            found.add(path.parent.relative_to(ROOT).as_posix() + "/")
    return found


def _parent(path: str) -> str:
    return path.rstrip("/").rpartition("/")[0] + "/"


def _depth(directory: str, listed: dict[str, Entry]) -> int:
    """The indentation level `directory` has, or would have, in the block."""
    if directory in listed:
        return listed[directory].depth
    return _depth(_parent(directory), listed) + 1


def line_for(path: str, listed: dict[str, Entry]) -> str:
    """The line a missing entry needs, and under which entry."""
    parent, name = _parent(path), path.rstrip("/").rpartition("/")[2]
    slash = "/" if path.endswith("/") else ""
    indent = "  " * (_depth(parent, listed) + 1)
    return f"`{indent}{name}{slash}  <what it is>` under `{parent}`"


def test_every_package_and_module_is_listed_and_nothing_else() -> None:
    listed = layout()
    missing = sorted(p for root in COMPLETE for p in tree(root) if p not in listed)
    assert not missing, "README.md's Project layout lacks (add each line):\n" + "\n".join(
        line_for(p, listed) for p in missing
    )
    gone = sorted(p for p in listed if not (ROOT / p).exists())
    assert not gone, f"README.md's Project layout lists what does not exist: {gone}"
    unexplained = sorted(p for p, entry in listed.items() if not entry.what)
    assert not unexplained, f"say what each of these is in README.md: {unexplained}"


def test_a_missing_module_s_line_is_spelled_out() -> None:
    listed = layout()
    assert {"src/config_api/store/pages.py", "tests/support/stack.py"} <= set(listed)
    assert line_for("src/config_api/store/new.py", listed) == (
        "`    new.py  <what it is>` under `src/config_api/store/`"
    )
    assert line_for("tests/support/new.py", listed) == (
        "`    new.py  <what it is>` under `tests/support/`"
    )
