"""Creates the table and the ticker bucket, and publishes a ticker list.

Used by `config-api local` against the bundled emulator and by the tests; in AWS the SAM
template owns these resources and only `publish_tickers` is used (`config-api tickers publish`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from config_api.store.items import TTL_ATTRIBUTE
from config_api.tickers.catalog import TickerList

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


def create_table(db: DynamoDBClient, table: str) -> None:
    try:
        db.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": "PK", "KeyType": "HASH"},
                {"AttributeName": "SK", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "PK", "AttributeType": "S"},
                {"AttributeName": "SK", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ResourceInUseException":
            raise
        return
    db.get_waiter("table_exists").wait(TableName=table, WaiterConfig={"Delay": 1})
    db.update_time_to_live(
        TableName=table,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


def create_bucket(s3: S3Client, bucket: str) -> None:
    try:
        s3.create_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise


def publish_tickers(s3: S3Client, bucket: str, key: str, data: bytes) -> TickerList:
    """Validate a ticker list (schema, non-empty, no duplicates), then upload it."""
    tickers = TickerList.from_json(data)  # raises ValueError naming the problem
    s3.put_object(Bucket=bucket, Key=key, Body=tickers.to_json(), ContentType="application/json")
    return tickers
