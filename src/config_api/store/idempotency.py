"""Idempotency records: written in the same create transaction as the configuration.

aws-lambda-powertools' idempotency utility writes its record in a request of its own, so
the record and the limited create could not be one atomic transaction; this is that record.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from config_api.domain.errors import IdempotencyKeyReused
from config_api.domain.models import Configuration
from config_api.store import items
from config_api.store.items import TTL_ATTRIBUTE, Item


@dataclass(frozen=True)
class IdempotencyClaim:
    """An Idempotency-Key to record in the create transaction (`key_hash` hides the raw key)."""

    key_hash: str
    body_hash: str
    ttl_seconds: int
    # Other hashes of the same request (an earlier way of hashing it) that a record may hold.
    also_matches: tuple[str, ...] = ()


class Replay(Exception):
    """The create was already done under the same Idempotency-Key: here is its result."""

    def __init__(self, config: Configuration) -> None:
        super().__init__(config.config_id)
        self.config = config


def claim_put(table: str, user_id: str, config: Configuration, claim: IdempotencyClaim) -> Item:
    """The transaction item recording `claim`; it fails if the key is taken and not expired."""
    now = int(time.time())
    record: dict[str, Any] = {
        "body_hash": claim.body_hash,
        "response": json.dumps(config.model_dump(mode="json") | {"version": config.version}),
        "config_id": config.config_id,
        TTL_ATTRIBUTE: now + claim.ttl_seconds,
    }
    return {
        "Put": {
            "TableName": table,
            "Item": {**items.idempotency_key(user_id, claim.key_hash), **items.to_wire(record)},
            # TTL deletion is lazy: an expired record counts as absent.
            "ConditionExpression": "attribute_not_exists(PK) OR #ttl < :now",
            "ExpressionAttributeNames": {"#ttl": TTL_ATTRIBUTE},
            "ExpressionAttributeValues": {":now": {"N": str(now)}},
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def replay_or_mismatch(record: Item | None, claim: IdempotencyClaim) -> Exception:
    """What a taken key means: the same body is a replay, a different one is a client error."""
    data = items.from_wire(record or {})
    if data.get("body_hash") not in (claim.body_hash, *claim.also_matches):
        return IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request body"
        )
    response = json.loads(data["response"])
    response["tickers"] = items.complete_tickers(response["tickers"])
    return Replay(Configuration.model_validate(response))
