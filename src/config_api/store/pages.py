"""Every page of a DynamoDB Query or Scan, each page one call through the retry policy.

Hand-rolled rather than boto3's paginators: a paginator makes its calls inside its own
generator, so the policy could only wrap the whole iteration, and a page that fails after
the retries would end the generator (a retry would start again from the first page). Here
each page is its own policy call, resumed from the previous page's LastEvaluatedKey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from config_api.retry.policy import RetryPolicy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

Page = dict[str, Any]


def pages(
    policy: RetryPolicy,
    operation: str,
    fetch: Callable[[dict[str, Any]], Mapping[str, Any]],
    request: dict[str, Any],
) -> Iterator[Page]:
    """`fetch(request)` (e.g. `lambda r: db.query(**r)`), page after page, until the last."""
    start: Any = None
    while True:
        args = request if start is None else {**request, "ExclusiveStartKey": start}
        page: Page = dict(policy.call("dynamodb", operation, partial(fetch, args)))
        yield page
        start = page.get("LastEvaluatedKey")
        if start is None:
            return


class PartitionReader:
    """What reads a whole partition: the client, the table, the policy, and a page size
    (None: DynamoDB's own 1 MB pages; tests use small ones to see every page followed)."""

    def __init__(
        self,
        db: DynamoDBClient,
        table: str,
        policy: RetryPolicy,
        *,
        page_size: int | None = None,
    ) -> None:
        self._db, self._table, self._policy = db, table, policy
        self._page_size = page_size

    def _query_pages(self, pk: str, **extra: Any) -> Iterator[Page]:
        """Every page of a Query of partition `pk` (`extra`: more request parameters)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
            **extra,
        }
        if self._page_size is not None:
            request["Limit"] = self._page_size
        return pages(self._policy, "Query", lambda args: self._db.query(**args), request)
