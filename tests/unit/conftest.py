"""Fixtures of the unit tests that need one: the Lambda handler's cold start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.lambda_app import ADMIN_TOKEN, ColdStart, s3_reads
from tests.support.lambda_app import cold_start as fresh_handler
from tests.support.stack import TEST_SECRET, settings_for


@pytest.fixture
def cold_start(seeded: str) -> Iterator[ColdStart]:
    """Import the handler module fresh, with the environment a deployed function would have."""
    settings = settings_for(seeded)
    env = {
        "AWS_ENDPOINT_URL": seeded,
        "TABLE_NAME": settings.table_name,
        "TICKER_BUCKET": settings.ticker_bucket,
        "TICKER_KEY": settings.ticker_key,
        "TICKER_FALLBACK": "strict",  # no silent fallback: the S3 list must be what is used
        "JWT_SECRET": TEST_SECRET,
        "ADMIN_TOKEN": ADMIN_TOKEN,  # set, yet the admin call stays off in Lambda
    }
    before = s3_reads(seeded)
    with fresh_handler(env) as module:
        yield ColdStart(module, before)
