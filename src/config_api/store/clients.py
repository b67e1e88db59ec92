"""boto3 clients and the one botocore configuration every client of ours is built with:
explicit timeouts, botocore's retries off (the retry policy is the one retry layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.client import BaseClient
from botocore.config import Config

from config_api.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


def client_config(settings: Settings, timeout: float | None = None, attempts: int = 1) -> Config:
    """`timeout` (connect and read) replaces the configured ones; `attempts` > 1 turns
    botocore's retries on, for an operator's one-off call made outside the retry policy."""
    return Config(
        region_name=settings.aws_region,
        connect_timeout=timeout or settings.aws_connect_timeout,
        read_timeout=timeout or settings.aws_read_timeout,
        retries={"total_max_attempts": attempts, "mode": "standard"},
        # Emulators answer on one host; real S3 keeps its default (virtual-hosted) style.
        s3={"addressing_style": "path" if settings.aws_endpoint_url else "auto"},
        max_pool_connections=50,
    )


def dynamodb_client(settings: Settings, timeout: float | None = None) -> DynamoDBClient:
    """`timeout` (connect and read) replaces the configured ones, e.g. for a probe."""
    return boto3.client(
        "dynamodb", endpoint_url=settings.aws_endpoint_url, config=client_config(settings, timeout)
    )


def s3_client(settings: Settings) -> S3Client:
    return boto3.client(
        "s3", endpoint_url=settings.aws_endpoint_url, config=client_config(settings)
    )


def appconfigdata_client(settings: Settings) -> BaseClient:
    """The rollout flag's rules (Powertools' AppConfigStore fetches with it)."""
    made: BaseClient = boto3.client(  # typed here: the stubs do not cover appconfigdata
        "appconfigdata", endpoint_url=settings.aws_endpoint_url, config=client_config(settings)
    )
    return made


def resource_names(settings: Settings) -> dict[str, str]:
    """What each dependency's calls reach, for the log of a deployment fault."""
    return {"dynamodb": f"table {settings.table_name}", "s3": f"bucket {settings.ticker_bucket}"}
