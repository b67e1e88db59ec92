"""The per-user counter item (`SK=META`), the single source of truth of the limit.

It changes only in the same transaction as a configuration item, or under a condition:
initialised once from the real count (only one racer can win), repaired by the operator only
if no create or delete ran meanwhile.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from config_api.retry.policy import RetryPolicy
from config_api.store import items
from config_api.store.condition_codes import write_condition_failed
from config_api.store.items import COUNTER, COUNTER_WRITES, Item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_NAMES = {"#c": COUNTER, "#w": COUNTER_WRITES}


class CounterMissing(Exception):
    """The counter item is absent (configurations stored before counters existed): initialise
    it from the real count, then repeat the operation."""


@dataclass(frozen=True)
class CounterState:
    value: int | None  # None: no counter item yet
    writes: int | None


def state_of(item: Item | None) -> CounterState:
    item = item or {}
    value, writes = item.get(COUNTER), item.get(COUNTER_WRITES)
    return CounterState(int(value["N"]) if value else None, int(writes["N"]) if writes else None)


def increment(table: str, user_id: str, max_allowed: int) -> dict[str, Any]:
    """The transaction item that takes one slot, if there is one left."""
    return {
        "Update": {
            "TableName": table,
            "Key": items.meta_key(user_id),
            "UpdateExpression": "ADD #c :one, #w :one",
            "ConditionExpression": "attribute_exists(#c) AND #c < :max",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_allowed)}},
            # The current count for the 409, or no item at all: the counter must be initialised.
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def decrement(table: str, user_id: str) -> dict[str, Any]:
    """The transaction item that frees one slot (a missing or zero counter must be set first)."""
    return {
        "Update": {
            "TableName": table,
            "Key": items.meta_key(user_id),
            "UpdateExpression": "ADD #c :minus, #w :one",
            "ConditionExpression": "attribute_exists(#c) AND #c > :zero",
            "ExpressionAttributeNames": _NAMES,
            "ExpressionAttributeValues": {
                ":minus": {"N": "-1"},
                ":one": {"N": "1"},
                ":zero": {"N": "0"},
            },
        }
    }


class Counters:
    def __init__(self, client: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db, self._table, self._policy = client, table, policy

    def read(self, user_id: str) -> CounterState:
        key = items.meta_key(user_id)
        resp = self._policy.call(
            "dynamodb",
            "GetItem",
            lambda: self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True),
        )
        return state_of(resp.get("Item"))

    def initialise(self, user_id: str, real: int) -> bool:
        """Set a missing (or zero) counter to `real`; False if another request did it first.

        While the counter is missing no create or delete can succeed (both require it), so
        `real` cannot go stale before this conditional write lands.
        """
        return self._set(user_id, real, "attribute_not_exists(#c) OR #c = :zero", {":zero": 0})

    def repair(self, user_id: str, seen: CounterState, value: int) -> bool:
        """Overwrite the counter with `value` only if it is still exactly as `seen` (no create
        or delete since: each bumps `writes`). False when it changed: count again."""
        conditions, values = [], {}
        if seen.value is None:
            conditions.append("attribute_not_exists(#c)")
        else:
            conditions.append("#c = :seen")
            values[":seen"] = seen.value
        if seen.writes is None:
            conditions.append("attribute_not_exists(#w)")
        else:
            conditions.append("#w = :writes")
            values[":writes"] = seen.writes
        return self._set(user_id, value, " AND ".join(conditions), values)

    def _set(self, user_id: str, value: int, condition: str, values: dict[str, int]) -> bool:
        wire = {k: {"N": str(v)} for k, v in values.items()}
        try:
            self._policy.call(
                "dynamodb",
                "UpdateItem",
                lambda: self._db.update_item(
                    TableName=self._table,
                    Key=items.meta_key(user_id),
                    UpdateExpression="SET #c = :value ADD #w :one",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=_NAMES,
                    ExpressionAttributeValues={
                        ":value": {"N": str(value)},
                        ":one": {"N": "1"},
                        **wire,
                    },
                ),
            )
        except ClientError as err:
            if not write_condition_failed(err):
                raise
            return False
        return True
