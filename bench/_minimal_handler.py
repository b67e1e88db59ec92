"""The floor for bench/lambda_cold_start.py: a minimal Lambda handler doing the same job as
config_api.lambda_handler with nothing but boto3, pydantic and PyJWT.

Same init (two clients, the ticker list from S3, the deleted users' Query, a JWKS client),
same per-request work (RS256 token check with issuer and audience, body validation, the
ticker check, the same DynamoDB calls: Query, GetItem, TransactWriteItems with the counter,
conditional UpdateItem) — and none of the features: no framework, no retries, no metrics,
no logs, no problem+json. Not a product: a yardstick, kept deliberately plain.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime
from typing import Any, cast

import boto3
import jwt
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError
from pydantic import BaseModel, Field, ValidationError

BASE = "/api/v2/configurations"
TABLE = os.environ["TABLE_NAME"]
MAX = int(os.environ.get("MAX_CONFIGURATIONS", "5"))
_config = Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1})
_endpoint = os.environ.get("AWS_ENDPOINT_URL")
_db = boto3.client("dynamodb", endpoint_url=_endpoint, config=_config)
_s3 = boto3.client("s3", endpoint_url=_endpoint, config=_config)
_out, _in = TypeSerializer(), TypeDeserializer()

_doc = json.loads(
    _s3.get_object(Bucket=os.environ["TICKER_BUCKET"], Key=os.environ["TICKER_KEY"])["Body"].read()
)
TICKERS = {r[0]: {"symbol": r[0], "name": r[1], "exchange": r[2]} for r in _doc["tickers"]}
DELETED = {
    i["SK"]["S"]
    for i in _db.query(
        TableName=TABLE,
        KeyConditionExpression="PK = :pk",
        ExpressionAttributeValues={":pk": {"S": "DELETED_USERS"}},
    )["Items"]
}
_jwks = jwt.PyJWKClient(os.environ["JWT_JWKS_URL"], cache_jwk_set=True, lifespan=300)


class Create(BaseModel):
    name: str = Field(min_length=1, max_length=50)
    tickers: list[str] = Field(min_length=1, max_length=5)
    timeframe_days: int = Field(default=7, ge=1, le=365)
    include_extended_hours: bool = False


class Patch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=50)
    tickers: list[str] | None = Field(default=None, min_length=1, max_length=5)
    timeframe_days: int | None = Field(default=None, ge=1, le=365)
    include_extended_hours: bool | None = None


def _answer(status: int, body: Any = None, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **headers},
        "body": "" if body is None else json.dumps(body),
    }


def _user(headers: dict[str, str]) -> str | None:
    token = headers.get("authorization", "").removeprefix("Bearer ")
    try:
        claims = jwt.decode(
            token,
            _jwks.get_signing_key_from_jwt(token).key,
            algorithms=["RS256"],
            issuer=os.environ.get("JWT_ISSUER"),
            audience=os.environ.get("JWT_AUDIENCE"),
            options={"require": ["exp", "sub"]},
        )
    except jwt.PyJWTError:
        return None
    sub = claims["sub"]
    return None if f"USER#{sub}" in DELETED else str(sub)


def _tickers(raw: list[str]) -> list[dict[str, str]] | None:
    found = [TICKERS.get(s.strip().upper()) for s in raw]
    return None if None in found else [t for t in found if t]


def _public(item: dict[str, Any]) -> dict[str, Any]:
    data = {k: _in.deserialize(v) for k, v in item.items()}
    data["timeframe_days"] = int(data["timeframe_days"])
    data["version"] = int(data["version"])
    return {k: v for k, v in data.items() if k not in ("PK", "SK")}


def _key(user: str, config_id: str) -> dict[str, Any]:
    return {"PK": {"S": f"USER#{user}"}, "SK": {"S": f"CONFIG#{config_id}"}}


def _counter(user: str, delta: int) -> dict[str, Any]:
    condition = "#c < :limit" if delta > 0 else "#c > :zero"
    return {
        "Update": {
            "TableName": TABLE,
            "Key": {"PK": {"S": f"USER#{user}"}, "SK": {"S": "META"}},
            "UpdateExpression": "ADD #c :d",
            "ConditionExpression": f"attribute_exists(#c) AND {condition}",
            "ExpressionAttributeNames": {"#c": "config_count"},
            "ExpressionAttributeValues": {":d": {"N": str(delta)}}
            | ({":limit": {"N": str(MAX)}} if delta > 0 else {":zero": {"N": "0"}}),
        }
    }


def _create(user: str, body: str) -> dict[str, Any]:
    try:
        data = Create.model_validate_json(body)
    except ValidationError as exc:
        return _answer(400, {"errors": exc.errors(include_url=False)})
    tickers = _tickers(data.tickers)
    if tickers is None:
        return _answer(400, {"detail": "unknown ticker"})
    now = datetime.now(UTC).isoformat()
    config_id = str(uuid.uuid4())
    doc = {**data.model_dump(), "tickers": tickers, "config_id": config_id, "version": 1}
    doc |= {"created_at": now, "updated_at": now}
    item = _key(user, config_id) | {k: _out.serialize(v) for k, v in doc.items()}
    put = {"TableName": TABLE, "Item": item, "ConditionExpression": "attribute_not_exists(PK)"}
    for _ in range(2):
        try:
            _db.transact_write_items(TransactItems=cast(Any, [_counter(user, 1), {"Put": put}]))
            return _answer(201, doc, location=f"{BASE}/{config_id}", etag='"1"')
        except ClientError:  # no counter yet (a new user): set it, then once more
            _db.update_item(
                TableName=TABLE,
                Key={"PK": {"S": f"USER#{user}"}, "SK": {"S": "META"}},
                UpdateExpression="SET #c = if_not_exists(#c, :zero)",
                ExpressionAttributeNames={"#c": "config_count"},
                ExpressionAttributeValues={":zero": {"N": "0"}},
            )
    return _answer(409, {"detail": "limit reached"})


def _patch(user: str, config_id: str, body: str, if_match: str) -> dict[str, Any]:
    try:
        data = Patch.model_validate_json(body).model_dump(exclude_unset=True)
    except ValidationError as exc:
        return _answer(400, {"errors": exc.errors(include_url=False)})
    if "tickers" in data:
        data["tickers"] = _tickers(data["tickers"])
        if data["tickers"] is None:
            return _answer(400, {"detail": "unknown ticker"})
    data["updated_at"] = datetime.now(UTC).isoformat()
    names = {f"#{k}": k for k in data} | {"#v": "version"}
    values = {f":{k}": _out.serialize(v) for k, v in data.items()}
    values |= {":one": {"N": "1"}, ":seen": {"N": if_match.strip('"') or "0"}}
    sets = ", ".join(f"#{k} = :{k}" for k in data)
    try:
        item = _db.update_item(
            TableName=TABLE,
            Key=_key(user, config_id),
            UpdateExpression=f"SET {sets} ADD #v :one",
            ConditionExpression="attribute_exists(PK) AND #v = :seen",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )["Attributes"]
    except ClientError:
        return _answer(412, {"detail": "changed or gone"})
    return _answer(200, _public(item), etag=f'"{int(item["version"]["N"])}"')


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    method = event["requestContext"]["http"]["method"]
    path, headers = event["rawPath"], event.get("headers", {})
    user = _user(headers)
    if user is None:
        return _answer(401, {"detail": "unauthenticated"})
    config_id = path.removeprefix(BASE).strip("/")
    if not config_id:
        if method == "POST":
            return _create(user, event.get("body", ""))
        items = _db.query(
            TableName=TABLE,
            KeyConditionExpression="PK = :pk AND begins_with(SK, :c)",
            ExpressionAttributeValues={":pk": {"S": f"USER#{user}"}, ":c": {"S": "CONFIG#"}},
        )["Items"]
        found = sorted(map(_public, items), key=lambda c: c["created_at"], reverse=True)
        return _answer(200, {"configurations": found, "max_allowed": MAX})
    if method == "GET":
        item = _db.get_item(TableName=TABLE, Key=_key(user, config_id), ConsistentRead=True)
        if "Item" not in item:
            return _answer(404, {"detail": "not found"})
        return _answer(200, _public(item["Item"]), etag=f'"{item["Item"]["version"]["N"]}"')
    if method == "PATCH":
        return _patch(user, config_id, event.get("body", ""), headers.get("if-match", ""))
    delete = {
        "TableName": TABLE,
        "Key": _key(user, config_id),
        "ConditionExpression": "attribute_exists(PK)",
    }
    try:
        _db.transact_write_items(TransactItems=cast(Any, [{"Delete": delete}, _counter(user, -1)]))
    except ClientError:
        return _answer(404, {"detail": "not found"})
    return _answer(204)
