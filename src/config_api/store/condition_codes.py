"""DynamoDB's two names for a condition that did not hold: the error code of a single write
(PutItem, UpdateItem, DeleteItem), and the code of one item among a cancelled transaction's
CancellationReasons."""

from __future__ import annotations

from botocore.exceptions import ClientError

WRITE_CONDITION_FAILED = "ConditionalCheckFailedException"
ITEM_CONDITION_FAILED = "ConditionalCheckFailed"


def write_condition_failed(exc: ClientError) -> bool:
    """A single write's ConditionExpression did not hold (nothing was written)."""
    return bool(exc.response.get("Error", {}).get("Code") == WRITE_CONDITION_FAILED)
