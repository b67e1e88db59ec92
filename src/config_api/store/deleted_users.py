"""The DELETED_USERS partition, read whole: the ids whose tokens the API refuses (the set in
memory is auth/deleted_users.py; `config-api users delete` writes it: store/admin/users.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config_api.retry.policy import RetryPolicy
from config_api.store.items import DELETED_USERS_PK, user_pk
from config_api.store.pages import pages

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DeletedUserRecords:
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

    def user_ids(self) -> frozenset[str]:
        # Eventually consistent: half the read cost, and a second of lag is nothing next to
        # the refresh interval.
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": DELETED_USERS_PK}},
            "ProjectionExpression": "SK",
        }
        if self._page_size is not None:
            request["Limit"] = self._page_size
        found = pages(self._policy, "Query", lambda args: self._db.query(**args), request)
        prefix = user_pk("")
        return frozenset(item["SK"]["S"].removeprefix(prefix) for p in found for item in p["Items"])
