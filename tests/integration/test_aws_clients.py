"""The boto3 clients from aws.py: explicit timeouts, and one HTTP request per call.

The retry policy is meant to be the only layer that retries; if botocore retried too,
attempts would multiply (3 x 3). Requests are counted on the client with botocore's
`before-send` event, which fires once per HTTP attempt, so this holds against any endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from config_api.store import clients
from tests.support.stack import Chaos, settings_for


def fault(service: str, code: str, status: int) -> dict[str, Any]:
    return {"service": service, "error": {"statusCode": status, "code": code}}


def test_clients_have_explicit_timeouts_and_no_botocore_retries(seeded: str) -> None:
    settings = settings_for(seeded, aws_connect_timeout=0.7, aws_read_timeout=1.3)
    for made in (clients.dynamodb_client(settings), clients.s3_client(settings)):
        config: Any = made.meta.config  # botocore-stubs omit the resolved attributes
        assert (config.connect_timeout, config.read_timeout) == (0.7, 1.3)
        assert config.retries == {"total_max_attempts": 1, "mode": "standard"}


@pytest.mark.parametrize(
    ("service", "code", "status"),
    [
        # All errors botocore's standard mode would otherwise retry (up to 3 attempts).
        ("dynamodb", "ProvisionedThroughputExceededException", 400),
        ("dynamodb", "InternalServerError", 500),
        ("s3", "SlowDown", 503),
    ],
)
def test_a_failing_call_is_sent_exactly_once(
    seeded: str, chaos: Chaos, service: str, code: str, status: int
) -> None:
    settings = settings_for(seeded)
    sent: list[str] = []
    call: Callable[[], object]
    if service == "dynamodb":
        db = clients.dynamodb_client(settings)
        db.meta.events.register("before-send", lambda **kw: sent.append(kw["event_name"]))
        call = lambda: db.describe_table(TableName=settings.table_name)  # noqa: E731
    else:
        s3 = clients.s3_client(settings)
        s3.meta.events.register("before-send", lambda **kw: sent.append(kw["event_name"]))
        call = lambda: s3.get_object(Bucket=settings.ticker_bucket, Key=settings.ticker_key)  # noqa: E731
    chaos.faults([fault(service, code, status)])
    with pytest.raises(ClientError) as raised:
        call()
    assert raised.value.response["Error"]["Code"] == code
    assert len(sent) == 1, sent
