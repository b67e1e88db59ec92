"""Every page of a DynamoDB Query or Scan, each page one call through the retry policy.

Hand-rolled rather than boto3's paginators: a paginator makes its calls inside its own
generator, so the policy could only wrap the whole iteration, and a page that fails after
the retries would end the generator (a retry would start again from the first page). Here
each page is its own policy call, resumed from the previous page's LastEvaluatedKey.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import Any

from config_api.retry.policy import RetryPolicy

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
