"""A user's data, as `config-api users delete` removes it: the record that the user was
deleted, then every item of their partition (configurations, counter, idempotency records)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from config_api.domain.timestamps import iso_utc
from config_api.retry.classify import UnprocessedItems
from config_api.store.items import Item, deleted_user_key, user_pk
from config_api.store.pages import PartitionReader

BATCH = 25  # BatchWriteItem's maximum number of requests


class UserData(PartitionReader):
    def mark_deleted(self, user_id: str) -> None:
        """Record the deletion (keeping the first time, if it was already recorded)."""
        now = iso_utc(datetime.now(UTC))
        self._policy.call(
            "dynamodb",
            "UpdateItem",
            lambda: self._db.update_item(
                TableName=self._table,
                Key=deleted_user_key(user_id),
                UpdateExpression="SET deleted_at = if_not_exists(deleted_at, :now)",
                ExpressionAttributeValues={":now": {"S": now}},
            ),
        )

    def purge(self, user_id: str) -> int:
        """Delete every item of the user's partition; the number deleted. A batch still
        partly unprocessed after the policy's attempts raises DependencyThrottled."""
        keys = self._keys(user_id)  # all first: deleting under a paginated query moves it
        for start in range(0, len(keys), BATCH):
            self._delete(keys[start : start + BATCH])
        return len(keys)

    def _keys(self, user_id: str) -> list[Item]:
        found = self._query_pages(
            user_pk(user_id), ProjectionExpression="PK, SK", ConsistentRead=True
        )
        return [{"PK": item["PK"], "SK": item["SK"]} for page in found for item in page["Items"]]

    def _delete(self, keys: list[Item]) -> None:
        pending: list[Any] = [{"DeleteRequest": {"Key": key}} for key in keys]

        def attempt() -> None:
            # Each attempt sends only what is still pending (a deletion is idempotent, so
            # repeating one is always safe); what DynamoDB left undone is retried like a
            # throttled call, by the same policy.
            nonlocal pending
            resp = self._db.batch_write_item(RequestItems={self._table: pending})
            pending = list(resp.get("UnprocessedItems", {}).get(self._table, []))
            if pending:
                raise UnprocessedItems(len(pending))

        self._policy.call("dynamodb", "BatchWriteItem", attempt)
