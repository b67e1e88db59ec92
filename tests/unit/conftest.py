"""Fixtures of the unit tests that need one: the Lambda handler's cold start."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.lambda_app import ADMIN_TOKEN, ColdStart, function_env, s3_reads
from tests.support.lambda_app import cold_start as fresh_handler


@pytest.fixture
def cold_start(seeded: str) -> Iterator[ColdStart]:
    """Import the handler module fresh, with the environment a deployed function would have."""
    env = function_env(
        seeded,
        TICKER_FALLBACK="strict",  # no silent fallback: the S3 list must be what is used
        ADMIN_TOKEN=ADMIN_TOKEN,  # set, yet the admin call stays off in Lambda
    )
    before = s3_reads(seeded)
    with fresh_handler(env) as module:
        yield ColdStart(module, before)
