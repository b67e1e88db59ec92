"""Raw access to an emulator for the emulator's own tests: its control API over plain HTTP,
boto3 clients without retries, AWS calls' outcomes, tables of the app's key shape."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

# botocore's "max_attempts" counts retries after the first call; this means no retries at all.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=32)
KEYS = (("PK", "HASH"), ("SK", "RANGE"))
TABLE: dict[str, Any] = {
    "KeySchema": [{"AttributeName": k, "KeyType": t} for k, t in KEYS],
    "AttributeDefinitions": [{"AttributeName": k, "AttributeType": "S"} for k, _ in KEYS],
    "BillingMode": "PAY_PER_REQUEST",
}


def new_table(ddb: Any) -> str:
    """A fresh, empty table (PK/SK strings, on demand); its name."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    ddb.create_table(TableName=name, **TABLE)
    return name


def http(emu: Any, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
    req = urllib.request.Request(getattr(emu, "url", emu) + path, data, headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def client(url: str, service: Any, region: str = "us-east-1", **config: Any) -> Any:
    creds: Any = {"aws_access_key_id": uuid.uuid4().hex[:20], "aws_secret_access_key": "s"}
    merged = NO_RETRIES.merge(Config(**config))  # moto accepts any credentials
    return boto3.client(service, region, endpoint_url=url, config=merged, **creds)


def outcome(call: Callable[[], Any]) -> tuple[str | None, int, dict[str, str]]:
    """Error code (None on success), HTTP status and response headers of an AWS call."""
    try:
        response = call()
    except ClientError as exc:
        response = exc.response
    meta = response["ResponseMetadata"]
    return response.get("Error", {}).get("Code"), meta["HTTPStatusCode"], meta["HTTPHeaders"]
