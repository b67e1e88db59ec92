"""Every user of the table, by a full Scan: `config-api reconcile --all` only."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from config_api.retry.policy import RetryPolicy
from config_api.store import items
from config_api.store.pages import pages

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class TableScan:
    def __init__(self, db: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db, self._table, self._policy = db, table, policy

    def user_ids(self) -> list[str]:
        """Every user id with a configuration or counter, sorted."""
        request: dict[str, Any] = {"TableName": self._table, "ProjectionExpression": "PK"}
        prefix = items.user_pk("")
        found: set[str] = set()
        for page in pages(self._policy, "Scan", lambda args: self._db.scan(**args), request):
            # Only user partitions: not e.g. the record of deleted users.
            pks = (item["PK"]["S"] for item in page["Items"])
            found.update(pk.removeprefix(prefix) for pk in pks if pk.startswith(prefix))
        return sorted(found)
