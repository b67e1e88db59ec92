"""The readiness probe's look at DynamoDB: is the table there and answering?

Asked once, with a short timeout, on a client of its own: /ready answers within about a
second whatever DynamoDB does. The API's own calls retry until their deadline; a load
balancer's probe must not, and a slow DynamoDB is "not ready" (503), not a gateway timeout.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from config_api.domain.errors import DependencyError, DependencyUnavailable
from config_api.retry.policy import RetryPolicy
from config_api.settings import Settings
from config_api.store.clients import dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class TableProbe:
    def __init__(self, settings: Settings) -> None:
        timeout = settings.ready_timeout_seconds
        self._settings = settings
        self._table = settings.table_name
        # No retry budget: the probe neither waits for a circuit nor feeds it.
        self._policy = RetryPolicy.from_settings(
            settings, attempts=1, attempt_timeout_seconds=2 * timeout
        )

    @functools.cached_property
    def _db(self) -> DynamoDBClient:
        # Made on the first probe, not at start: a Lambda container is rarely probed, and a
        # client costs ~30 ms of CPU at its cold start.
        return dynamodb_client(self._settings, timeout=self._settings.ready_timeout_seconds)

    @property
    def client(self) -> DynamoDBClient:
        """The probe's own client (its events show each attempt)."""
        return self._db

    def check(self) -> None:
        """Nothing when the table answers; DependencyUnavailable when it does not (in time)."""
        try:
            self._policy.call(
                "dynamodb",
                "DescribeTable",
                lambda: self._db.describe_table(TableName=self._table),
            )
        except DependencyUnavailable:
            raise
        except DependencyError as exc:  # throttled or timed out: not ready either
            raise DependencyUnavailable(
                "The service is not ready: its database did not answer in time",
                dependency=exc.dependency,
                retry_after=exc.retry_after,
            ) from exc
