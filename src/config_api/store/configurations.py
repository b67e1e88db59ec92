"""The DynamoDB store. Every write is conditional; create and delete are one transaction.

The per-user limit is a counter item (`SK=META`) changed in the same transaction as the
configuration item, so the limit holds under any concurrency: there is no count-then-write.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from botocore.exceptions import ClientError

from config_api.domain.errors import (
    ConfigurationNotFound,
    DependencyThrottled,
    IdempotencyInProgress,
    LimitReached,
    VersionMismatch,
)
from config_api.domain.models import Configuration
from config_api.observability.log import logger, user_ref
from config_api.retry.policy import RetryPolicy
from config_api.store import idempotency, items
from config_api.store.condition_codes import ITEM_CONDITION_FAILED, write_condition_failed
from config_api.store.counter import (
    CounterMissing,
    Counters,
    CounterState,
    decrement,
    increment,
    state_of,
)
from config_api.store.idempotency import IdempotencyClaim
from config_api.store.pages import Page, pages

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")
COUNTER_ATTEMPTS = 3  # the first try, then again after each initialisation of the counter


class ConfigStore:
    def __init__(self, client: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db = client
        self._table = table
        self._policy = policy
        self._counters = Counters(client, table, policy)

    def _call(self, operation: str, fn: Callable[[], T], *, idempotent: bool = True) -> T:
        return self._policy.call("dynamodb", operation, fn, idempotent=idempotent)

    # -- reads ---------------------------------------------------------------------------
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

    def _query(self, user_id: str, **extra: Any) -> Iterator[Page]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": items.user_pk(user_id)},
                ":prefix": {"S": items.CONFIG_PREFIX},
            },
            "ConsistentRead": True,
            **extra,
        }
        return pages(self._policy, "Query", lambda args: self._db.query(**args), request)

    # -- create / delete: one transaction each -------------------------------------------
    def create(
        self, user_id: str, config: Configuration, max_allowed: int, claim: IdempotencyClaim | None
    ) -> Configuration:
        """Store `config` unless the user is at `max_allowed`. Raises LimitReached or Replay."""
        return self._with_counter(
            user_id,
            config.config_id,
            lambda token: self._create(user_id, config, max_allowed, claim, token),
        )

    def _create(
        self,
        user_id: str,
        config: Configuration,
        max_allowed: int,
        claim: IdempotencyClaim | None,
        token: str,
    ) -> Configuration:
        config_put = {
            "Put": {
                "TableName": self._table,
                "Item": items.config_to_item(user_id, config),
                "ConditionExpression": "attribute_not_exists(PK)",
            }
        }
        # Built once: every retry of this transaction must send the same token and parameters.
        ops = [increment(self._table, user_id, max_allowed), config_put]
        if claim:
            ops.append(idempotency.claim_put(self._table, user_id, config, claim))
        try:
            self._transact(ops, token)
        except ClientError as err:
            reasons = _reasons(err)
            if reasons[1].get("Code") == ITEM_CONDITION_FAILED:
                # Our own freshly generated id already exists: an earlier attempt of this very
                # transaction was applied and its response lost (an emulator ignoring the
                # token answers so), so it is done. Before the claim: it is ours, not a replay.
                return config
            if claim and reasons[2].get("Code") == ITEM_CONDITION_FAILED:
                raise idempotency.replay_or_mismatch(reasons[2].get("Item"), claim) from None
            if reasons[0].get("Code") == ITEM_CONDITION_FAILED:
                current = state_of(reasons[0].get("Item")).value
                if current is None:
                    raise CounterMissing from None
                raise LimitReached(max_allowed, current) from None
            raise
        except DependencyThrottled as exc:
            if claim and _conflicted_on(exc, 2):
                raise IdempotencyInProgress(
                    "A request with this Idempotency-Key is still being processed"
                ) from exc
            raise
        return config

    def delete(self, user_id: str, config_id: str) -> None:
        self._with_counter(
            user_id, str(uuid.uuid4()), lambda token: self._delete(user_id, config_id, token)
        )

    def _delete(self, user_id: str, config_id: str, token: str) -> None:
        config_delete = {
            "Delete": {
                "TableName": self._table,
                "Key": items.config_key(user_id, config_id),
                "ConditionExpression": "attribute_exists(PK)",
            }
        }
        try:
            self._transact([config_delete, decrement(self._table, user_id)], token)
        except ClientError as err:
            reasons = _reasons(err)
            if reasons[0].get("Code") == ITEM_CONDITION_FAILED:
                raise ConfigurationNotFound(config_id) from None
            if reasons[1].get("Code") == ITEM_CONDITION_FAILED:
                raise CounterMissing from None  # absent, or drifted to 0 below a stored item
            raise

    def _transact(self, ops: list[dict[str, Any]], token: str) -> None:
        # The token makes a retry of an applied transaction a no-op (for 10 minutes).
        self._call(
            "TransactWriteItems",
            lambda: self._db.transact_write_items(
                TransactItems=ops,  # type: ignore[arg-type]
                ClientRequestToken=token,
            ),
        )

    # -- the counter -----------------------------------------------------------------------
    def _with_counter(self, user_id: str, request_id: str, op: Callable[[str], T]) -> T:
        """Run `op(token)`; if the counter is missing, initialise it and run it again.

        A cancelled transaction is an answer, so the next attempt is a new transaction with a
        token of its own (DynamoDB would refuse a token reused with other parameters).
        """
        for attempt in range(COUNTER_ATTEMPTS):
            token = (
                request_id if attempt == 0 else str(uuid.uuid5(uuid.UUID(request_id), str(attempt)))
            )
            try:
                return op(token)
            except CounterMissing:
                if attempt + 1 < COUNTER_ATTEMPTS:
                    self.initialise_counter(user_id)
        # Only reachable if other requests keep emptying a drifted counter: let the client retry.
        raise DependencyThrottled(
            "The configuration counter changed concurrently; retry",
            dependency="dynamodb",
            retry_after=self._policy.retry_after_seconds(),
        )

    def counter(self, user_id: str) -> CounterState:
        return self._counters.read(user_id)

    def initialise_counter(self, user_id: str) -> None:
        """Set a missing (or zero) counter from the real count; only one racer can win."""
        real = self.count(user_id)
        if self._counters.initialise(user_id, real):
            logger.info("counter initialised", extra={"user": user_ref(user_id), "count": real})

    def repair_counter(self, user_id: str, seen: CounterState, value: int) -> bool:
        """Operator repair (`config-api reconcile --apply`); False if it changed meanwhile."""
        return self._counters.repair(user_id, seen, value)

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
            # An item stored without a version reads as version 1 (items.item_to_config).
            missing = " OR attribute_not_exists(#v)" if expected_version == 1 else ""
            condition += f" AND (#v = :expected{missing})"
            wire[":expected"] = {"N": str(expected_version)}
        sets = ", ".join(f"#{k} = :{k}" for k in values)
        try:
            resp = self._call(
                "UpdateItem",
                lambda: self._db.update_item(
                    TableName=self._table,
                    Key=items.config_key(user_id, config_id),
                    UpdateExpression=f"SET {sets}, #v = if_not_exists(#v, :one) + :one",
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
            if not write_condition_failed(err):
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
