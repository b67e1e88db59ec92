"""The AWS calls the Lambda code can make, derived from the source (an AST scan, not a list).

Every DynamoDB and S3 call goes through a client attribute, `self._db.<op>(` or
`self._s3.<op>(`. Which of those the Lambda can reach is found by following names from the
Lambda's own modules (the handler and the HTTP layer): a function is reachable when a
reachable function mentions its name. Matching by name over-approximates (a call of `.get`
reaches every function named `get`), which can only grant more, never hide a call. Only the
modules the Lambda can load are scanned (tests/support/imports.py: the import closure of
config_api.lambda_handler), so what only operator code uses (cli/, store/admin/: the full
table Scan of reconcile, the batch deletes of `config-api users delete`, provisioning) and
the local emulator are never granted.

A library that calls AWS itself (Powertools' AppConfigStore) counts as making the calls its
own source makes (`LIBRARY_CLIENTS`), wherever reachable code mentions it.
"""

from __future__ import annotations

import ast
import importlib.util
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import botocore.session
from botocore import xform_name

from tests.support.imports import lambda_closure, relative_path

ROOTS = ("lambda_handler.py", "api/")
CLIENT_ATTRIBUTES = {"_db": "dynamodb", "_s3": "s3"}

# TransactWriteItems is authorised per contained action: "Permissions for Put, Update, Delete,
# and Get actions are governed by the permissions used for the underlying PutItem, UpdateItem,
# DeleteItem, and GetItem operations. For the ConditionCheck action, you can use the
# dynamodb:ConditionCheckItem permission" (Amazon DynamoDB Developer Guide, "Using IAM with
# DynamoDB transactions": docs.aws.amazon.com/amazondynamodb/latest/developerguide/
# transaction-apis-iam.html). So the grant follows the action keys the code builds.
TRANSACT_WRITE_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}
# Libraries that make AWS calls with a client we hand them: the name our code uses → (the
# client's service, the module whose `self.client.<op>(` calls are made with it). Powertools'
# AppConfigStore fetches through AppConfigProvider: StartConfigurationSession, then
# GetLatestConfiguration. Their IAM actions are appconfig:StartConfigurationSession and
# appconfig:GetLatestConfiguration on the `configuration` resource (Service Authorization
# Reference, "Actions, resources, and condition keys for AWS AppConfig": docs.aws.amazon.com/
# service-authorization/latest/reference/list_awsappconfig.html); `appconfig` is the AppConfig
# Data API's signing name in botocore's service model, which `iam_actions` uses as prefix.
LIBRARY_CLIENTS = {
    "AppConfigStore": ("appconfigdata", "aws_lambda_powertools.utilities.parameters.appconfig"),
}
# boto3 operations whose IAM action is not simply their CamelCase name.
IAM_ACTION_EXCEPTIONS = {
    ("s3", "head_object"): "s3:GetObject",
    ("s3", "list_objects_v2"): "s3:ListBucket",
}


@dataclass
class Unit:
    """A function (or a module's top-level code) and what it mentions."""

    where: str
    names: set[str] = field(default_factory=set)
    aws_calls: set[tuple[str, str]] = field(default_factory=set)
    transact_parts: set[str] = field(default_factory=set)


def _client_call(node: ast.Call) -> tuple[str, str] | None:
    func = node.func
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Attribute):
        return None
    receiver = func.value
    if isinstance(receiver.value, ast.Name) and receiver.value.id == "self":
        service = CLIENT_ATTRIBUTES.get(receiver.attr)
        if service:
            return service, func.attr
    return None


@cache
def library_calls(name: str) -> frozenset[tuple[str, str]]:
    """(service, boto3 operation) of every `self.client.<op>(` call in the library's module."""
    service, module = LIBRARY_CLIENTS[name]
    spec = importlib.util.find_spec(module)
    assert spec is not None and spec.origin is not None, module
    tree = ast.parse(Path(spec.origin).read_text(), filename=spec.origin)
    calls = {
        (service, node.func.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Attribute)
        and node.func.value.attr == "client"
    }
    assert calls, f"no client call found in {module}"
    return frozenset(calls)


def _scan(where: str, body: list[ast.stmt]) -> Unit:
    unit = Unit(where)
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Name):
            unit.names.add(node.id)
            if node.id in LIBRARY_CLIENTS:
                unit.aws_calls |= library_calls(node.id)
        elif isinstance(node, ast.Attribute):
            unit.names.add(node.attr)
        elif isinstance(node, ast.Call) and (call := _client_call(node)):
            unit.aws_calls.add(call)
        elif isinstance(node, ast.Dict):
            keys = {
                k.value
                for k in node.keys
                if isinstance(k, ast.Constant) and isinstance(k.value, str)
            }
            unit.transact_parts |= keys & TRANSACT_WRITE_PARTS.keys()
    return unit


def lambda_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(lambda_closure().values()):
        relative = relative_path(path)
        yield relative, ast.parse(path.read_text(), filename=relative)


def units() -> tuple[dict[str, list[Unit]], list[Unit]]:
    """Functions by name, and the root units (the Lambda's modules, top level and functions)."""
    by_name: dict[str, list[Unit]] = {}
    roots: list[Unit] = []
    for relative, module in lambda_modules():
        is_root = relative.startswith(ROOTS)
        top = [s for s in module.body if not isinstance(s, ast.FunctionDef | ast.ClassDef)]
        if is_root:
            roots.append(_scan(relative, top))
        for node in ast.walk(module):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                unit = _scan(f"{relative}:{node.name}", node.body)
                by_name.setdefault(node.name, []).append(unit)
                if is_root:
                    roots.append(unit)
    return by_name, roots


@dataclass
class Reach:
    calls: dict[tuple[str, str], set[str]]  # (service, boto3 operation) → where it is called
    transact_parts: set[str]  # TransactWriteItems action keys built by reachable code


def reachable() -> Reach:
    """Every AWS call the Lambda can reach."""
    by_name, pending = units()
    seen: set[str] = set()
    reach = Reach({}, set())
    while pending:
        unit = pending.pop()
        if unit.where in seen:
            continue
        seen.add(unit.where)
        for call in unit.aws_calls:
            reach.calls.setdefault(call, set()).add(unit.where)
        reach.transact_parts |= unit.transact_parts
        pending.extend(u for name in unit.names for u in by_name.get(name, ()))
    return reach


def iam_actions(reach: Reach) -> set[str]:
    session = botocore.session.get_session()
    actions: set[str] = set()
    for service, operation in reach.calls:
        if (service, operation) == ("dynamodb", "transact_write_items"):
            actions |= {TRANSACT_WRITE_PARTS[p] for p in reach.transact_parts}
        else:
            camel = "".join(part.capitalize() for part in operation.split("_"))
            prefix = session.get_service_model(service).signing_name  # appconfigdata: appconfig
            actions.add(IAM_ACTION_EXCEPTIONS.get((service, operation), f"{prefix}:{camel}"))
    return actions


def library_actions() -> set[str]:
    """The IAM actions of the calls libraries make for us (a subset of `iam_actions`)."""
    calls = {call for name in LIBRARY_CLIENTS for call in library_calls(name)}
    return iam_actions(Reach({c: set() for c in calls}, set()))


def unaccounted_clients() -> list[str]:
    """`boto3.client("<service>")` calls for a service neither scan above accounts for."""
    accounted = set(CLIENT_ATTRIBUTES.values()) | {s for s, _ in LIBRARY_CLIENTS.values()}
    return [
        f"{relative}:{node.lineno} client({node.args[0].value!r})"
        for relative, node, method in method_calls()
        if method == "client"
        and node.args
        and isinstance(node.args[0], ast.Constant)
        and node.args[0].value not in accounted
    ]


def unscanned_client_calls() -> list[str]:
    """Calls named like a DynamoDB/S3 operation but not made on `self._db`/`self._s3`: a client
    reached some other way would escape the scan above."""
    session = botocore.session.get_session()
    operations = {
        xform_name(op)
        for service in CLIENT_ATTRIBUTES.values()
        for op in session.get_service_model(service).operation_names
    }
    return [
        f"{relative}:{node.lineno} .{method}("
        for relative, node, method in method_calls()
        if method in operations and _client_call(node) is None
    ]


def method_calls() -> Iterator[tuple[str, ast.Call, str]]:
    """Every `<expr>.<method>(...)` call in the Lambda's modules, with its module and name."""
    for relative, module in lambda_modules():
        for node in ast.walk(module):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield relative, node, node.func.attr
