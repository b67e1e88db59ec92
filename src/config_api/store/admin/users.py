"""A user's data, as `config-api users delete` removes it: the record that the user was
deleted, then every item of their partition (configurations, counter, idempotency records)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from config_api.domain.timestamps import iso_utc
from config_api.retry.classify import UnprocessedItems
from config_api.retry.policy import RetryPolicy
from config_api.store.items import Item, deleted_user_key, user_pk
from config_api.store.pages import pages

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH = 25  # BatchWriteItem's maximum number of requests


class UserData:
    def __init__(
        self,
        db: DynamoDBClient,
        table: str,
        policy: RetryPolicy,
        *,
        page_size: int | None = None,  # None: DynamoDB's own 1 MB pages (tests use small ones)
    ) -> None:
        self._db, self._table, self._policy = db, table, policy
        self._page_size = page_size

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
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": user_pk(user_id)}},
            "ProjectionExpression": "PK, SK",
            "ConsistentRead": True,
        }
        if self._page_size is not None:
            request["Limit"] = self._page_size
        found = pages(self._policy, "Query", lambda args: self._db.query(**args), request)
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
