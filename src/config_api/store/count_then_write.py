"""The baseline variant's writes: the limit checked the way such services did before.

Count the user's configurations (Query Select=COUNT), then write the item with a plain
conditional PutItem; delete is a plain conditional DeleteItem. Two concurrent creates can
both pass the count: that race is the baseline's known defect, kept on purpose so the
rollout measures the real difference. Reads and updates are the same as the resilient
store's (with whatever retry policy this store is given: none, for the baseline).

The counter item (SK=META) belongs to the resilient store. A user can move from baseline
to resilient when the percentage grows, so a baseline write must not leave a counter that
no longer matches: it deletes META before writing (if that fails, nothing was written)
and again after (best effort, in case a resilient request re-created it in between). The
resilient store re-initialises a missing counter from the real count on its next write.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from config_api.domain.errors import ConfigurationNotFound, DependencyError, LimitReached
from config_api.domain.models import Configuration
from config_api.observability.log import logger, user_ref
from config_api.retry.policy import RetryPolicy
from config_api.store import idempotency, items
from config_api.store.condition_codes import ITEM_CONDITION_FAILED, write_condition_failed
from config_api.store.configurations import ConfigStore
from config_api.store.idempotency import IdempotencyClaim
from config_api.store.items import TTL_ATTRIBUTE

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class CountThenWriteStore:
    def __init__(self, client: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db, self._table, self._policy = client, table, policy
        self._store = ConfigStore(client, table, policy)

    # -- unchanged from the resilient store --------------------------------------------
    def get(self, user_id: str, config_id: str) -> Configuration:
        return self._store.get(user_id, config_id)

    def list_configurations(self, user_id: str) -> list[Configuration]:
        return self._store.list_configurations(user_id)

    def update(
        self, user_id: str, config_id: str, changes: dict[str, Any], expected_version: int | None
    ) -> Configuration:
        return self._store.update(user_id, config_id, changes, expected_version)

    # -- count, then write ---------------------------------------------------------------
    def create(
        self, user_id: str, config: Configuration, max_allowed: int, claim: IdempotencyClaim | None
    ) -> Configuration:
        """Raises LimitReached, or Replay / IdempotencyKeyReused for a used Idempotency-Key."""
        current = self._store.count(user_id)
        if current >= max_allowed:
            if claim:  # a repeated create that succeeded earlier is still a replay
                self._check_claim(user_id, claim)
            raise LimitReached(max_allowed, current)
        self._forget_counter(user_id)
        put = {
            "TableName": self._table,
            "Item": items.config_to_item(user_id, config),
            "ConditionExpression": "attribute_not_exists(PK)",
        }
        if claim is None:
            self._policy.call("dynamodb", "PutItem", lambda: self._db.put_item(**put))  # type: ignore[arg-type]
        else:
            # The Idempotency-Key contract is the API's, whatever the variant: the record is
            # written with the item (a transaction of two, no counter).
            self._put_with_claim(user_id, config, put, claim)
        self._forget_counter(user_id, best_effort=True)
        return config

    def _put_with_claim(
        self,
        user_id: str,
        config: Configuration,
        put: dict[str, Any],
        claim: IdempotencyClaim,
    ) -> None:
        ops = [{"Put": put}, idempotency.claim_put(self._table, user_id, config, claim)]
        try:
            self._policy.call(
                "dynamodb",
                "TransactWriteItems",
                lambda: self._db.transact_write_items(TransactItems=ops),  # type: ignore[arg-type]
            )
        except ClientError as err:
            if err.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            reasons = err.response.get("CancellationReasons", [])
            if len(reasons) > 1 and reasons[1].get("Code") == ITEM_CONDITION_FAILED:
                record: dict[str, Any] | None = reasons[1].get("Item")  # type: ignore[assignment]
                raise idempotency.replay_or_mismatch(record, claim) from None
            raise

    def _check_claim(self, user_id: str, claim: IdempotencyClaim) -> None:
        key = items.idempotency_key(user_id, claim.key_hash)
        resp = self._policy.call(
            "dynamodb",
            "GetItem",
            lambda: self._db.get_item(TableName=self._table, Key=key, ConsistentRead=True),
        )
        record: dict[str, Any] | None = resp.get("Item")
        if record and int(record.get(TTL_ATTRIBUTE, {}).get("N", "0")) >= int(time.time()):
            raise idempotency.replay_or_mismatch(record, claim)

    def delete(self, user_id: str, config_id: str) -> None:
        self._forget_counter(user_id)
        try:
            self._policy.call(
                "dynamodb",
                "DeleteItem",
                lambda: self._db.delete_item(
                    TableName=self._table,
                    Key=items.config_key(user_id, config_id),
                    ConditionExpression="attribute_exists(PK)",
                ),
            )
        except ClientError as err:
            if not write_condition_failed(err):
                raise
            raise ConfigurationNotFound(config_id) from None
        self._forget_counter(user_id, best_effort=True)

    def _forget_counter(self, user_id: str, *, best_effort: bool = False) -> None:
        """Delete the resilient store's counter item, so it is re-counted when next needed."""
        try:
            self._policy.call(
                "dynamodb",
                "DeleteItem",
                lambda: self._db.delete_item(TableName=self._table, Key=items.meta_key(user_id)),
            )
        except DependencyError as exc:
            if not best_effort:
                raise
            logger.warning(
                "baseline could not drop the counter after its write",
                extra={"user": user_ref(user_id), "error": str(exc)},
            )
