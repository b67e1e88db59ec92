"""Raw AWS access to an emulator for the emulator's own tests: tables of the app's key shape."""

from __future__ import annotations

import uuid
from typing import Any

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
