"""The one text form of every timestamp we write: ISO-8601 in UTC with a `Z`.

Stored items and records keep what the clock gave (microseconds, as the API returns them:
2026-11-28T14:29:45.808054Z); rollout snapshots are to the second (2026-11-28T15:00:00Z).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Precision = Literal["auto", "seconds"]


def iso_utc(moment: datetime, precision: Precision = "auto") -> str:
    return moment.astimezone(UTC).isoformat(timespec=precision).replace("+00:00", "Z")
