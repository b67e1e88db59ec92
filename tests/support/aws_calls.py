"""The AWS calls the Lambda code can make, derived from the source (an AST scan, not a list).

Every DynamoDB and S3 call goes through a client attribute, `self._db.<op>(` or
`self._s3.<op>(`. Which of those the Lambda can reach is found by following names from the
Lambda's own modules (the handler and the HTTP layer): a function is reachable when a
reachable function mentions its name. Matching by name over-approximates (a call of `.get`
reaches every function named `get`), which can only grant more, never hide a call; the
operator-only modules (CLI, provisioning, reconcile, emulator) are not scanned at all, so
what only they use (e.g. the store's full-table Scan for reconcile) is not granted.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import botocore.session
from botocore import xform_name

import config_api

SRC = Path(config_api.__file__).parent
OPERATOR_ONLY = ("cli.py", "provision.py", "reconcile.py", "emulator/")
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


def _scan(where: str, body: list[ast.stmt]) -> Unit:
    unit = Unit(where)
    for node in (n for stmt in body for n in ast.walk(stmt)):
        if isinstance(node, ast.Name):
            unit.names.add(node.id)
        elif isinstance(node, ast.Attribute):
            unit.names.add(node.attr)
        elif isinstance(node, ast.Call) and (call := _client_call(node)):
            unit.aws_calls.add(call)
        elif isinstance(node, ast.Dict):
            keys = {k.value for k in node.keys if isinstance(k, ast.Constant)}
            unit.transact_parts |= keys & TRANSACT_WRITE_PARTS.keys()
    return unit


def lambda_modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC).as_posix()
        if not relative.startswith(OPERATOR_ONLY):
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
    actions: set[str] = set()
    for service, operation in reach.calls:
        if (service, operation) == ("dynamodb", "transact_write_items"):
            actions |= {TRANSACT_WRITE_PARTS[p] for p in reach.transact_parts}
        else:
            camel = "".join(part.capitalize() for part in operation.split("_"))
            actions.add(IAM_ACTION_EXCEPTIONS.get((service, operation), f"{service}:{camel}"))
    return actions


def unscanned_client_calls() -> list[str]:
    """Calls named like a DynamoDB/S3 operation but not made on `self._db`/`self._s3`: a client
    reached some other way would escape the scan above."""
    session = botocore.session.get_session()
    operations = {
        xform_name(op)
        for service in CLIENT_ATTRIBUTES.values()
        for op in session.get_service_model(service).operation_names
    }
    found = []
    for relative, module in lambda_modules():
        for node in ast.walk(module):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in operations
                and _client_call(node) is None
            ):
                found.append(f"{relative}:{node.lineno} .{node.func.attr}(")
    return found
