"""The rollout's history: every change `config-api rollout set/step` made to the flag.

Kept in the table's own `ROLLOUT#history` partition, one item per change (SK=`STEP#` and a
zero-padded sequence number, so the newest is one Query away). The table is where every
deployment already keeps its state, reachable by every operator with the stack's name; a
file beside the flag would exist only on the machine that ran the command, and AppConfig
keeps configuration versions, not who changed what on which figures. Reconcile and user
deletion only look at `USER#` partitions, so these items touch nothing else.

Operator-only: the Lambda never reads or writes these items.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from config_api.domain.timestamps import iso_utc
from config_api.retry.policy import RetryPolicy
from config_api.store.condition_codes import write_condition_failed
from config_api.store.items import Item, from_wire, to_wire

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

HISTORY_PK = "ROLLOUT#history"
STEP_PREFIX = "STEP#"


@dataclass(frozen=True)
class Change:
    """One recorded change of the flag's percentage."""

    at: datetime
    who: str
    action: str  # "promote", "roll back" or "set"
    from_percent: int | None  # None: unknown (AppConfig before its first deployment)
    to_percent: int
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)  # the snapshot judged, if any
    store: str = ""  # where the flag's rules live (the source's name)
    seq: int = 0  # assigned by `append`
    token: str = field(default_factory=lambda: uuid.uuid4().hex)


def _key(seq: int) -> Item:
    return {"PK": {"S": HISTORY_PK}, "SK": {"S": f"{STEP_PREFIX}{seq:010d}"}}


def _to_item(change: Change) -> Item:
    values = {
        "at": iso_utc(change.at),
        "who": change.who,
        "action": change.action,
        "from_percent": change.from_percent,
        "to_percent": change.to_percent,
        "reason": change.reason,
        "figures": json.dumps(change.figures, sort_keys=True),
        "store": change.store,
        "seq": change.seq,
        "token": change.token,
    }
    return {**_key(change.seq), **to_wire(values)}


def _from_item(item: Item) -> Change:
    data = from_wire(item)
    return Change(
        at=datetime.fromisoformat(data["at"]),
        who=data["who"],
        action=data["action"],
        from_percent=None if data["from_percent"] is None else int(data["from_percent"]),
        to_percent=int(data["to_percent"]),
        reason=data["reason"],
        figures=json.loads(data["figures"]),
        store=data["store"],
        seq=int(data["seq"]),
        token=data["token"],
    )


class RolloutHistory:
    def __init__(self, db: DynamoDBClient, table: str, policy: RetryPolicy) -> None:
        self._db, self._table, self._policy = db, table, policy

    def recent(self, limit: int = 1) -> list[Change]:
        """The newest `limit` changes, newest first (strongly consistent)."""
        args: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :step)",
            "ExpressionAttributeValues": {":pk": {"S": HISTORY_PK}, ":step": {"S": STEP_PREFIX}},
            "ScanIndexForward": False,
            "Limit": limit,
            "ConsistentRead": True,
        }
        page = self._policy.call("dynamodb", "Query", lambda: self._db.query(**args))
        return [_from_item(item) for item in page["Items"]]

    def latest(self) -> Change | None:
        found = self.recent(1)
        return found[0] if found else None

    def append(self, change: Change, after: Change | None) -> Change | None:
        """Record `change` as the one after `after` (the latest this run read); None when
        another run recorded a change in between (nothing is written then)."""
        seq = (after.seq if after else 0) + 1
        record = replace(change, seq=seq)
        try:
            self._policy.call(
                "dynamodb",
                "PutItem",
                lambda: self._db.put_item(
                    TableName=self._table,
                    Item=_to_item(record),
                    ConditionExpression="attribute_not_exists(PK)",
                ),
            )
        except ClientError as exc:
            if not write_condition_failed(exc):
                raise
            # Taken: by another run, or by this one when a retried attempt had landed.
            existing = self._policy.call(
                "dynamodb",
                "GetItem",
                lambda: self._db.get_item(
                    TableName=self._table, Key=_key(seq), ConsistentRead=True
                ),
            )
            item = existing.get("Item")
            if item is None or _from_item(item).token != record.token:
                return None
        return record
