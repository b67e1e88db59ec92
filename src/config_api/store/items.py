"""Item layout of the single table and the conversion between items and models."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from config_api.domain.models import Configuration
from config_api.domain.timestamps import iso_utc
from config_api.tickers.catalog import describe
from config_api.tickers.file import Exchange

CONFIG_PREFIX = "CONFIG#"
IDEMPOTENCY_PREFIX = "IDEMPOTENCY#"
META_SK = "META"
COUNTER = "config_count"
# Bumped by every change of the counter, so `reconcile --apply` can tell whether a create or
# delete ran while it was counting (a value comparison alone would miss create+delete pairs).
COUNTER_WRITES = "counter_writes"
TTL_ATTRIBUTE = "expires_at"
# The partition of deleted users: one item per user, SK=USER#{id}.
DELETED_USERS_PK = "DELETED_USERS"

_EXCHANGES = frozenset(exchange.value for exchange in Exchange)
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()

Item = dict[str, Any]  # DynamoDB wire format: {"attr": {"S": "..."}}


def user_pk(user_id: str) -> str:
    return f"USER#{user_id}"


def deleted_user_key(user_id: str) -> Item:
    """The item recording that `user_id` was deleted (`config-api users delete`)."""
    return {"PK": {"S": DELETED_USERS_PK}, "SK": {"S": user_pk(user_id)}}


def config_key(user_id: str, config_id: str) -> Item:
    return {"PK": {"S": user_pk(user_id)}, "SK": {"S": f"{CONFIG_PREFIX}{config_id}"}}


def meta_key(user_id: str) -> Item:
    return {"PK": {"S": user_pk(user_id)}, "SK": {"S": META_SK}}


def idempotency_key(user_id: str, key_hash: str) -> Item:
    return {"PK": {"S": user_pk(user_id)}, "SK": {"S": f"{IDEMPOTENCY_PREFIX}{key_hash}"}}


def serialize(value: Any) -> Item:
    return dict(_serializer.serialize(value))


def to_wire(values: dict[str, Any]) -> Item:
    return {name: serialize(value) for name, value in values.items()}


def from_wire(item: Item) -> dict[str, Any]:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def config_to_item(user_id: str, config: Configuration) -> Item:
    body = config_attributes(config)
    body["config_id"] = config.config_id
    body["created_at"] = iso_utc(config.created_at)
    body["version"] = config.version
    return {**config_key(user_id, config.config_id), **to_wire(body)}


def config_attributes(config: Configuration) -> dict[str, Any]:
    """The attributes a PATCH may change, in storage form."""
    return storage_values(
        {
            "name": config.name,
            "tickers": [t.model_dump() for t in config.tickers],
            "timeframe_days": config.timeframe_days,
            "include_extended_hours": config.include_extended_hours,
            "updated_at": config.updated_at,
        }
    )


def storage_values(values: dict[str, Any]) -> dict[str, Any]:
    """Datetimes become ISO-8601 UTC strings; everything else is stored as it is."""
    return {k: iso_utc(v) if isinstance(v, datetime) else v for k, v in values.items()}


def item_to_config(item: Item) -> Configuration:
    data = from_wire(item)
    return Configuration(
        config_id=data["config_id"],
        name=data["name"],
        tickers=complete_tickers(data["tickers"]),
        timeframe_days=int(data["timeframe_days"]),
        include_extended_hours=bool(data["include_extended_hours"]),
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        version=int(data.get("version", 1)),
    )


def complete_tickers(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Tickers as stored, those saved before every ticker had a name and a known exchange
    completed from the bundled list (else their symbol, on an `Unknown` exchange)."""
    tickers = []
    for ticker in stored:
        name, exchange = ticker.get("name"), ticker.get("exchange")
        if not name or exchange not in _EXCHANGES:
            known = describe(ticker["symbol"])
            ticker = {
                "symbol": ticker["symbol"],
                "name": name or known.name,
                "exchange": exchange if exchange in _EXCHANGES else known.exchange.value,
            }
        tickers.append(ticker)
    return tickers
