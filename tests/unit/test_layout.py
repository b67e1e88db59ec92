"""The layout says what runs where: the Lambda's code (the import closure of its handler)
never reaches the operator commands, the operator-only store code or the local emulator."""

from __future__ import annotations

import ast
from importlib import metadata

import config_api
from config_api.api.app import create_app
from config_api.settings import Settings
from tests.support.imports import SRC, imported_modules, lambda_closure, relative_path

# Packages only operators (cli/, store/admin/) or local runs (local/) load.
NOT_IN_LAMBDA = ("config_api.cli", "config_api.local", "config_api.store.admin")


def test_the_lambda_never_loads_operator_or_local_code() -> None:
    closure = lambda_closure()
    assert {"config_api.api.app", "config_api.store.configurations"} <= set(closure)
    leaked = sorted(
        relative_path(path)
        for name, path in closure.items()
        if name.startswith(tuple(f"{p}." for p in NOT_IN_LAMBDA)) or name in NOT_IN_LAMBDA
    )
    assert leaked == [], (
        f"the Lambda's code imports {leaked}: move what it needs out of "
        f"{', '.join(NOT_IN_LAMBDA)}, or the import into operator code"
    )


def test_function_level_imports_count_and_type_checking_ones_do_not() -> None:
    source = """
from typing import TYPE_CHECKING
from config_api.store import items
if TYPE_CHECKING:
    from config_api.cli import main
def later():
    from config_api.local import emulator
    import config_api.retry.policy
"""
    found = imported_modules(ast.parse(source), "config_api.x", is_package=False)
    assert {"config_api.store.items", "config_api.local", "config_api.retry.policy"} <= found
    assert "config_api.cli" not in found and "config_api.cli.main" not in found


def test_the_api_reports_the_package_s_version() -> None:
    app = create_app(Settings(JWT_SECRET="version-only"))
    assert app.version == config_api.__version__ == metadata.version("config-api")
    assert app.openapi()["info"]["version"] == app.version


def test_dynamodb_and_s3_are_called_from_store_only() -> None:
    """`self._db.<op>(` and `self._s3.<op>(` (the store's convention, which aws_calls.py
    scans) appear under store/ only; the emulator (local/) is AWS itself."""
    elsewhere = []
    for path in sorted(SRC.rglob("*.py")):
        relative = relative_path(path)
        if relative.startswith(("store/", "local/")):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            func = getattr(node, "func", None)
            if isinstance(node, ast.Call) and isinstance(func, ast.Attribute):
                receiver = func.value
                if isinstance(receiver, ast.Attribute) and receiver.attr in ("_db", "_s3"):
                    elsewhere.append(f"{relative}:{node.lineno} .{receiver.attr}.{func.attr}(")
    assert elsewhere == [], f"move these AWS calls into a store/ module: {elsewhere}"
