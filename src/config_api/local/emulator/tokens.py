"""TransactWriteItems' ClientRequestToken, as DynamoDB documents it (moto 5.2 ignores it).

A token is valid for 10 minutes after the transaction that used it completed: the same token
with the same parameters then succeeds without applying anything again; with other
parameters it is refused with IdempotentParameterMismatchException. A cancelled transaction
applied nothing, so its token is not recorded: repeating it runs it again.

The time of a request can be given in the WSGI environ (``TIME_KEY``): replaying a journal
uses the time it was first served, so the 10 minutes keep counting from then.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any

from moto.core.responses import ActionResult
from moto.dynamodb.exceptions import DynamodbException
from moto.dynamodb.responses import DynamoHandler

TIME_KEY = "config_api.emulator.time"
WINDOW_SECONDS = 600.0
MOTO_TRANSACT = DynamoHandler.transact_write_items

TokenKey = tuple[str, str, str]  # account, region, token


class IdempotentParameterMismatch(DynamodbException):
    def __init__(self) -> None:
        super().__init__(
            "com.amazonaws.dynamodb.v20120810#IdempotentParameterMismatchException",
            "The ClientRequestToken was used with different parameters within the last 10 minutes",
        )


class TokenRegistry:
    """Tokens of the transactions applied in the last 10 minutes, oldest first."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: OrderedDict[TokenKey, tuple[str, float]] = OrderedDict()

    def seen(self, key: TokenKey, now: float) -> str | None:
        """The parameters the token was applied with, if it still counts."""
        with self._lock:
            self._expire(now)
            entry = self._tokens.get(key)
            return entry[0] if entry else None

    def remember(self, key: TokenKey, parameters: str, now: float) -> None:
        with self._lock:
            self._tokens[key] = (parameters, now)
            self._tokens.move_to_end(key)

    def export(self, now: float) -> list[list[Any]]:
        with self._lock:
            self._expire(now)
            return [[*key, parameters, at] for key, (parameters, at) in self._tokens.items()]

    def load(self, rows: list[list[Any]]) -> None:
        with self._lock:
            for account, region, token, parameters, at in rows:
                self._tokens[(account, region, token)] = (parameters, float(at))

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()

    def _expire(self, now: float) -> None:
        while self._tokens:
            key, (_, at) = next(iter(self._tokens.items()))
            if now - at < WINDOW_SECONDS:
                return
            del self._tokens[key]


REGISTRY = TokenRegistry()


def transact_write_items(self: DynamoHandler) -> Any:
    token = self.body.get("ClientRequestToken")
    if token is None:
        return MOTO_TRANSACT(self)
    environ = getattr(getattr(self, "request", None), "environ", {})  # set by moto per request
    now = float(environ.get(TIME_KEY) or time.time())
    key = (self.current_account, self.region, str(token))
    others = {k: v for k, v in self.body.items() if k != "ClientRequestToken"}
    parameters = json.dumps(others, sort_keys=True, separators=(",", ":"))
    applied = REGISTRY.seen(key, now)
    if applied is not None:
        if applied != parameters:
            raise IdempotentParameterMismatch()
        # What moto answers for a transaction applied now, with nothing applied.
        return ActionResult({"ConsumedCapacity": [], "ItemCollectionMetrics": {}})
    result = MOTO_TRANSACT(self)  # raises if cancelled: then nothing is remembered
    REGISTRY.remember(key, parameters, now)
    return result


def install() -> None:
    """Replace moto's handler (process-wide, like moto's own state)."""
    DynamoHandler.transact_write_items = transact_write_items  # type: ignore[method-assign]
