"""The DynamoDB store. Every write is conditional; create and delete are one transaction.

The per-user limit is a counter item (`SK=META`) changed in the same transaction as the
configuration item, so the limit holds under any concurrency: there is no count-then-write.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from config_api.errors import (
    ConfigurationNotFound,
    DependencyThrottled,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    LimitReached,
    VersionMismatch,
)
from config_api.log import logger, user_ref
from config_api.models import Configuration
from config_api.retry import RetryPolicy
from config_api.store import items
from config_api.store.items import COUNTER, TTL_ATTRIBUTE, Item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
CCF = "ConditionalCheckFailed"


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key to record in the create transaction (`key_hash` hides the raw key)."""

    key_hash: str
    body_hash: str
    ttl_seconds: int


class Replay(Exception):
    """The create was already done under the same Idempotency-Key: here is its result."""

    def __init__(self, config: Configuration) -> None:
        super().__init__(config.config_id)
        self.config = config


class _CounterMissing(Exception):
    """The user's counter item is absent (stored before counters existed): initialise it."""


class ConfigStore:
    def __init__(self, client: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db = client
        self._table = table
        self._policy = policy

    def _call(self, operation: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        return self._policy.call("dynamodb", operation, fn, idempotent=idempotent)

    # -- reads ---------------------------------------------------------------------------
    def ping(self) -> None:
        self._call("DescribeTable", lambda: self._db.describe_table(TableName=self._table))

    def get(self, user_id: str, config_id: str) -> Configuration:
        key = items.config_key(user_id, config_id)
        resp = self._call(
            "GetItem",
            lambda: self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True),
        )
        if "Item" not in resp:
            raise ConfigurationNotFound(config_id)
        return items.item_to_config(resp["Item"])

    def list_configurations(self, user_id: str) -> list[Configuration]:
        configs = [items.item_to_config(i) for page in self._query(user_id) for i in page["Items"]]
        return sorted(configs, key=lambda c: (c.created_at, c.config_id), reverse=True)

    def count(self, user_id: str) -> int:
        """The real number of stored configurations, across every page of the query."""
        return sum(page["Count"] for page in self._query(user_id, Select="COUNT"))

    def counter(self, user_id: str) -> int | None:
        key = items.meta_key(user_id)
        resp = self._call(
            "GetItem",
            lambda: self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True),
        )
        return _count_of(resp.get("Item"))

    def _query(self, user_id: str, **extra: Any) -> Iterator[dict[str, Any]]:
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": items.user_pk(user_id)},
                ":prefix": {"S": items.CONFIG_PREFIX},
            },
            "ConsistentRead": True,
            **extra,
        }
        while True:
            page: dict[str, Any] = dict(self._call("Query", lambda: self._db.query(**args)))
            yield page
            if "LastEvaluatedKey" not in page:
                return
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- create / delete: one transaction each -------------------------------------------
    def create(
        self, user_id: str, config: Configuration, max_allowed: int, claim: IdempotencyClaim | None
    ) -> Configuration:
        """Store `config` unless the user is at `max_allowed`. Raises LimitReached or Replay."""
        return self._with_counter(
            user_id, lambda: self._create(user_id, config, max_allowed, claim)
        )

    def _create(
        self, user_id: str, config: Configuration, max_allowed: int, claim: IdempotencyClaim | None
    ) -> Configuration:
        counter_update = {
            "Update": {
                "TableName": self._table,
                "Key": items.meta_key(user_id),
                "UpdateExpression": "ADD #c :one",
                "ConditionExpression": "attribute_exists(#c) AND #c < :max",
                "ExpressionAttributeNames": {"#c": COUNTER},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": str(max_allowed)}},
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }
        config_put = {
            "Put": {
                "TableName": self._table,
                "Item": items.config_to_item(user_id, config),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        ops: list[dict[str, Any]] = [counter_update, config_put]
        if claim:
            ops.append({"Put": self._claim_put(user_id, config, claim)})
        try:
            # The token makes a retried transaction a no-op if an earlier attempt was applied.
            self._call(
                "TransactWriteItems",
                lambda: self._db.transact_write_items(
                    TransactItems=ops,  # type: ignore[arg-type]
                    ClientRequestToken=config.config_id,
                ),
            )
        except ClientError as err:
            reasons = _reasons(err)
            if claim and reasons[2].get("Code") == CCF:
                raise _replay_or_mismatch(reasons[2].get("Item"), claim) from None
            if reasons[1].get("Code") == CCF:
                # Our own freshly generated id already exists: an earlier attempt of this
                # very request was applied (its response was lost), so it is done.
                return self.get(user_id, config.config_id)
            if reasons[0].get("Code") == CCF:
                current = _count_of(reasons[0].get("Item"))
                if current is None:
                    raise _CounterMissing from None
                raise LimitReached(max_allowed, current) from None
            raise
        except DependencyThrottled as exc:
            if claim and _conflicted_on(exc, 2):
                raise IdempotencyInProgress(
                    "A request with this Idempotency-Key is still being processed"
                ) from exc
            raise
        return config

    def _claim_put(self, user_id: str, config: Configuration, claim: IdempotencyClaim) -> Item:
        now = int(time.time())
        record = {
            "body_hash": claim.body_hash,
            "response": json.dumps(config.model_dump(mode="json") | {"version": config.version}),
            "config_id": config.config_id,
            TTL_ATTRIBUTE: now + claim.ttl_seconds,
        }
        return {
            "TableName": self._table,
            "Item": {**items.idempotency_key(user_id, claim.key_hash), **items.to_wire(record)},
            # TTL deletion is lazy: an expired record counts as absent.
            "ConditionExpression": "attribute_not_exists(PK) OR #ttl < :now",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }

    def delete(self, user_id: str, config_id: str) -> None:
        self._with_counter(user_id, lambda: self._delete(user_id, config_id))

    def _delete(self, user_id: str, config_id: str) -> None:
        ops: list[dict[str, Any]] = [
            {
                "Delete": {
                    "TableName": self._table,
                    "Key": items.config_key(user_id, config_id),
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Update": {
                    "TableName": self._table,
                    "Key": items.meta_key(user_id),
                    "UpdateExpression": "ADD #c :minus",
                    "ConditionExpression": "attribute_exists(#c) AND #c > :zero",
                    "ExpressionAttributeNames": {"#c": COUNTER},
                    "ExpressionAttributeValues": {":minus": {"N": "-1"}, ":zero": {"N": "0"}},
                }
            },
        ]
        try:
            self._call(
                "TransactWriteItems",
                lambda: self._db.transact_write_items(TransactItems=ops),  # type: ignore[arg-type]
            )
        except ClientError as err:
            reasons = _reasons(err)
            if reasons[0].get("Code") == CCF:
                raise ConfigurationNotFound(config_id) from None
            if reasons[1].get("Code") == CCF:
                raise _CounterMissing from None  # absent, or drifted to 0 below a stored item
            raise

    # -- the counter -----------------------------------------------------------------------
    def _with_counter(self, user_id: str, op: Callable[[], T]) -> T:
        try:
            return op()
        except _CounterMissing:
            self.initialise_counter(user_id)
            return op()

    def initialise_counter(self, user_id: str) -> None:
        """Set a missing (or zero) counter from the real count; only one racer can win."""
        real = self.count(user_id)
        try:
            self._call(
                "PutItem",
                lambda: self._db.put_item(
                    TableName=self._table,
                    Item={**items.meta_key(user_id), COUNTER: {"N": str(real)}},
                    ConditionExpression="attribute_not_exists(#c) OR #c = :zero",
                    ExpressionAttributeNames={"#c": COUNTER},
                    ExpressionAttributeValues={":zero": {"N": "0"}},
                ),
            )
            logger.info("counter initialised", extra={"user": user_ref(user_id), "count": real})
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise  # another request initialised it first: theirs stands

    def set_counter(self, user_id: str, value: int) -> None:
        """Overwrite the counter (operator repair via `config-api reconcile --apply`)."""
        item = {**items.meta_key(user_id), COUNTER: {"N": str(value)}}
        self._call("PutItem", lambda: self._db.put_item(TableName=self._table, Item=item))

    def users(self) -> list[str]:
        """Every user id with a configuration or counter (a full scan: operator use only)."""
        found: set[str] = set()
        args: dict[str, Any] = {"TableName": self._table, "ProjectionExpression": "PK"}
        while True:
            page = self._call("Scan", lambda: self._db.scan(**args))
            found.update(i["PK"]["S"].removeprefix("USER#") for i in page["Items"])
            if "LastEvaluatedKey" not in page:
                return sorted(found)
            args["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    # -- update: conditional on existence and, with If-Match, on the version --------------
    def update(
        self, user_id: str, config_id: str, changes: dict[str, Any], expected_version: int | None
    ) -> Configuration:
        """SET only the changed attributes (one request, no read-modify-write)."""
        values = items.storage_values(changes)
        names = {f"#{k}": k for k in values} | {"#v": "version"}
        wire = {f":{k}": items.serialize(v) for k, v in values.items()} | {":one": {"N": "1"}}
        condition = "attribute_exists(PK)"
        if expected_version is not None:
            condition += " AND #v = :expected"
            wire[":expected"] = {"N": str(expected_version)}
        sets = ", ".join(f"#{k} = :{k}" for k in values)
        try:
            resp = self._call(
                "UpdateItem",
                lambda: self._db.update_item(
                    TableName=self._table,
                    Key=items.config_key(user_id, config_id),
                    UpdateExpression=f"SET {sets}, #v = #v + :one",
                    ConditionExpression=condition,
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=wire,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                ),
                # Repeated after a lost response, the version bump would make it answer 412.
                idempotent=expected_version is None,
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            if "Item" not in err.response:
                raise ConfigurationNotFound(config_id) from None
            raise VersionMismatch(
                "The configuration was changed since you read it (If-Match does not match)"
            ) from None
        return items.item_to_config(resp["Attributes"])


def _reasons(err: ClientError) -> list[dict[str, Any]]:
    if err.response["Error"]["Code"] != "TransactionCanceledException":
        raise err
    reasons: list[dict[str, Any]] = [dict(r) for r in err.response.get("CancellationReasons", [])]
    return reasons + [{}] * (3 - len(reasons))


def _conflicted_on(exc: DependencyThrottled, index: int) -> bool:
    cause = exc.__cause__
    if not isinstance(cause, ClientError):
        return False
    reasons = cause.response.get("CancellationReasons", [])
    return len(reasons) > index and reasons[index].get("Code") == "TransactionConflict"


def _count_of(item: Item | None) -> int | None:
    if not item or COUNTER not in item:
        return None
    return int(item[COUNTER]["N"])


def _replay_or_mismatch(record: Item | None, claim: IdempotencyClaim) -> Exception:
    data = items.from_wire(record or {})
    if data.get("body_hash") != claim.body_hash:
        return IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body"
        )
    return Replay(Configuration.model_validate(json.loads(data["response"])))
