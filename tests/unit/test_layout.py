"""The layout says what runs where: the Lambda's code (the import closure of its handler)
never reaches the operator commands, the operator-only store code or the local emulator."""

from __future__ import annotations

import ast
from importlib import metadata

import botocore.session
from botocore import xform_name

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


# Every DynamoDB and S3 client method, from botocore's service models (the names boto3's
# clients have): `put_item`, `query`, `get_object`...
AWS_OPERATIONS = frozenset(
    xform_name(operation)
    for service in ("dynamodb", "s3")
    for operation in botocore.session.get_session().get_service_model(service).operation_names
)
# Calls that share an operation's name but are ours: store/admin/provision.py's functions,
# named after the one AWS operation each wraps, called by `config-api local`/`provision`.
NOT_AWS_CALLS = frozenset({"provision.create_table", "provision.create_bucket"})


def aws_operation_calls(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, callee) of every call of a DynamoDB or S3 operation's name, whatever the
    receiver is called."""
    return sorted(
        (node.lineno, callee)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in AWS_OPERATIONS
        and (callee := ast.unparse(node.func)) not in NOT_AWS_CALLS
    )


def test_any_client_s_aws_call_is_found_whatever_it_is_named() -> None:
    source = """
table = boto3.client("dynamodb")
table.put_item(TableName="t", Item={})
boto3.client("s3").get_object(Bucket="b", Key="k")
runtime.clients.dynamodb.transact_write_items(TransactItems=[])
provision.create_table(db, "t")
settings.model_dump()
"""
    assert aws_operation_calls(ast.parse(source)) == [
        (3, "table.put_item"),
        (4, "boto3.client('s3').get_object"),
        (5, "runtime.clients.dynamodb.transact_write_items"),
    ]


def test_dynamodb_and_s3_are_called_from_store_only() -> None:
    """Any call named after a DynamoDB or S3 operation is under store/ (or local/: the
    emulator is AWS itself)."""
    elsewhere = [
        f"{relative_path(path)}:{line} {callee}("
        for path in sorted(SRC.rglob("*.py"))
        if not relative_path(path).startswith(("store/", "local/"))
        for line, callee in aws_operation_calls(ast.parse(path.read_text()))
    ]
    assert elsewhere == [], f"move these AWS calls into a store/ module: {elsewhere}"


# os's readers and writers of the process environment; pydantic's ways to rename a field.
ENV_ACCESS = frozenset({"environ", "environb", "getenv", "getenvb", "putenv", "unsetenv"})
ALIASES = frozenset({"validation_alias", "AliasChoices", "AliasPath"})


def environment_access(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, what) of every use of the process environment through os, and of every
    pydantic alias (a settings field is read from its own upper-cased name, no other)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            if node.value.id == "os" and node.attr in ENV_ACCESS:
                found.append((node.lineno, f"os.{node.attr}"))
        elif isinstance(node, ast.ImportFrom):
            names = ENV_ACCESS if node.module == "os" else ALIASES
            found += [(node.lineno, a.name) for a in node.names if a.name in names]
        elif isinstance(node, ast.keyword) and node.arg in ALIASES:
            found.append((node.value.lineno, f"{node.arg}="))
    return sorted(found)


def test_environment_access_is_found_however_it_is_written() -> None:
    source = """
import os
from os import getenv
from pydantic import AliasChoices, Field
seed = os.environ.get("CHAOS_SEED")
os.environ["JWT_SECRET"] = "x"
secret: str = Field(validation_alias=AliasChoices("JWT_SECRET", "SECRET"))
os.getpid()
"""
    assert environment_access(ast.parse(source)) == [
        (3, "getenv"),
        (4, "AliasChoices"),
        (5, "os.environ"),
        (6, "os.environ"),
        (7, "validation_alias="),
    ]


def test_settings_is_the_only_reader_of_the_environment() -> None:
    """settings.py alone reads the environment (pydantic-settings), each field from its own
    name, with no alias anywhere. The emulator's `environ`s are WSGI request dicts, not
    the process environment, so local/ is scanned too."""
    found = [
        f"{relative_path(path)}:{line} {what}"
        for path in sorted(SRC.rglob("*.py"))
        for line, what in environment_access(ast.parse(path.read_text()))
        if not (relative_path(path) == "settings.py" and what.startswith("os."))
    ]
    assert found == [], f"read these through Settings (settings.py), without aliases: {found}"


def test_every_setting_is_read_from_its_own_name() -> None:
    """The model itself: no field renamed in any way (alias, validation_alias) and no prefix,
    so each variable is the upper-cased field name the README's settings table lists."""
    from config_api.settings import Settings

    renamed = [
        name
        for name, field in Settings.model_fields.items()
        if field.alias is not None or field.validation_alias is not None
    ]
    assert renamed == []
    assert Settings.model_config.get("env_prefix", "") == ""
