"""The domain service: the rules of configurations, independent of HTTP and of DynamoDB."""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from config_api.domain.errors import (
    ConfigApiError,
    ConfigurationNotFound,
    FieldError,
    InvalidInput,
    LimitReached,
    VersionMismatch,
)
from config_api.domain.models import (
    Configuration,
    ConfigurationCreate,
    ConfigurationPatch,
    TickerOut,
)
from config_api.observability import metrics
from config_api.observability.log import logger, user_ref
from config_api.store import IdempotencyClaim, Replay
from config_api.tickers.catalog import Ticker, TickerList

MAX_IDEMPOTENCY_KEY = 255


class TickerValidator(Protocol):
    def validate(self, symbols: list[str]) -> list[Ticker]: ...

    # The list validate() uses (None: any well-formed symbol), for search and lookups.
    def catalog(self) -> TickerList | None: ...


class Store(Protocol):
    def get(self, user_id: str, config_id: str) -> Configuration: ...
    def list_configurations(self, user_id: str) -> list[Configuration]: ...
    def create(
        self, user_id: str, config: Configuration, max_allowed: int, claim: IdempotencyClaim | None
    ) -> Configuration: ...
    def update(
        self, user_id: str, config_id: str, changes: dict[str, Any], expected_version: int | None
    ) -> Configuration: ...
    def delete(self, user_id: str, config_id: str) -> None: ...


@dataclass(frozen=True)
class Created:
    config: Configuration
    replayed: bool
    # A replay whose configuration was deleted since: the create happened, the item is gone.
    deleted: bool = False


def _now() -> datetime:
    return datetime.now(UTC)


class ConfigService:
    def __init__(
        self,
        store: Store,
        tickers: TickerValidator,
        *,
        max_allowed: int,
        recorder: metrics.Recorder,
        idempotency_ttl_seconds: int = 86400,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        self._store, self.tickers = store, tickers
        self.max_allowed = max_allowed
        self._idempotency_ttl = idempotency_ttl_seconds
        self._clock = clock
        self._recorder = recorder

    def list_configurations(self, user_id: str) -> list[Configuration]:
        return self._store.list_configurations(user_id)

    def get(self, user_id: str, config_id: str) -> Configuration:
        return self._store.get(user_id, _checked_id(config_id))

    def create(
        self, user_id: str, body: ConfigurationCreate, idempotency_key: str | None = None
    ) -> Created:
        """Create a configuration; every attempt is logged and counted with its outcome."""
        try:
            created = self._create(user_id, body, idempotency_key)
        except ConfigApiError as exc:
            self._log_create(user_id, exc.code, idempotency_key)
            raise
        except Exception:
            self._log_create(user_id, "internal_error", idempotency_key)
            raise
        outcome = "replayed" if created.replayed else "created"
        self._log_create(user_id, outcome, idempotency_key, created.config.config_id)
        return created

    def _create(
        self, user_id: str, body: ConfigurationCreate, idempotency_key: str | None
    ) -> Created:
        if idempotency_key is not None:
            _check_key(idempotency_key)
        tickers = self._resolve(body.tickers)
        claim = None if idempotency_key is None else self._claim(idempotency_key, body, tickers)
        now = self._clock()
        config = Configuration(
            config_id=str(uuid.uuid4()),
            name=body.name,
            tickers=tickers,
            timeframe_days=body.timeframe_days,
            include_extended_hours=body.include_extended_hours,
            created_at=now,
            updated_at=now,
            version=1,
        )
        try:
            return Created(self._store.create(user_id, config, self.max_allowed, claim), False)
        except Replay as replay:
            gone = not self._exists(user_id, replay.config.config_id)
            return Created(replay.config, True, deleted=gone)

    def _exists(self, user_id: str, config_id: str) -> bool:
        try:
            self._store.get(user_id, config_id)
        except ConfigurationNotFound:
            return False
        return True

    def update(
        self,
        user_id: str,
        config_id: str,
        patch: ConfigurationPatch,
        if_match: AbstractSet[int] | None = None,
    ) -> Configuration:
        """Apply `patch`; with `if_match` (the versions If-Match names) only if the stored
        version is one of them, checked by the store's conditional write."""
        config_id = _checked_id(config_id)
        changes = patch.changes()
        if not changes:
            raise InvalidInput(
                "The patch changes nothing: send at least one field",
                [FieldError(("body",), "at least one field is required", "empty_patch")],
            )
        return self._write(user_id, config_id, changes, if_match)

    def replace(
        self,
        user_id: str,
        config_id: str,
        body: ConfigurationCreate,
        if_match: AbstractSet[int] | None = None,
    ) -> Configuration:
        """PUT: every field from `body`, omitted optional ones at their create defaults;
        the same conditions as `update`."""
        return self._write(user_id, _checked_id(config_id), body.model_dump(), if_match)

    def _write(
        self,
        user_id: str,
        config_id: str,
        changes: dict[str, Any],
        if_match: AbstractSet[int] | None,
    ) -> Configuration:
        if "tickers" in changes:
            changes["tickers"] = [t.model_dump() for t in self._resolve(changes["tickers"])]
        changes["updated_at"] = self._clock()
        expected = None if if_match is None else self._expected(user_id, config_id, if_match)
        return self._store.update(user_id, config_id, changes, expected)

    def _expected(self, user_id: str, config_id: str, versions: AbstractSet[int]) -> int:
        """The one version the conditional write requires. The store's condition takes one
        version: for a list, read the current one first. A change between that read and the
        write is a 412 even if the new version was listed too: safe, the client re-reads."""
        if len(versions) == 1:
            return next(iter(versions))  # no read: the write's condition says 404 or 412
        current = self._store.get(user_id, config_id).version  # 404 before any 412
        if current not in versions:
            raise VersionMismatch("If-Match does not match the configuration's current ETag")
        return current

    def delete(self, user_id: str, config_id: str) -> None:
        self._store.delete(user_id, _checked_id(config_id))

    def _log_create(
        self,
        user_id: str,
        outcome: str,
        idempotency_key: str | None,
        config_id: str | None = None,
    ) -> None:
        self._recorder.count("configuration_creates_total", outcome=outcome)
        if outcome == LimitReached.code:
            self._recorder.count("limit_rejections_total")
        elif outcome == "replayed":
            self._recorder.count("idempotent_replays_total")
        logger.info(
            "configuration create",
            extra={
                "outcome": outcome,
                "user": user_ref(user_id),
                "config_id": config_id,
                "idempotent": idempotency_key is not None,
            },
        )

    def _resolve(self, symbols: list[str]) -> list[TickerOut]:
        return [
            TickerOut(symbol=t.symbol, name=t.name, exchange=t.exchange)
            for t in self.tickers.validate(symbols)
        ]

    def _claim(
        self, key: str, body: ConfigurationCreate, tickers: list[TickerOut]
    ) -> IdempotencyClaim:
        """The body is compared as the server understands it: `aapl` and `AAPL` are one
        request (the model has already trimmed and normalised the name)."""
        sent = body.model_dump(mode="json")
        understood = sent | {"tickers": [t.symbol for t in tickers]}
        return IdempotencyClaim(
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            body_hash=_hash(understood),
            ttl_seconds=self._idempotency_ttl,
            # Records written before tickers were normalised hash the body as sent: a retry
            # across that deploy still replays (they expire after IDEMPOTENCY_TTL_SECONDS).
            also_matches=(_hash(sent),),
        )


def _check_key(key: str) -> None:
    if not (0 < len(key) <= MAX_IDEMPOTENCY_KEY and key.isascii() and key.isprintable()):
        raise InvalidInput(
            "Idempotency-Key must be 1-255 printable ASCII characters",
            [FieldError(("header", "Idempotency-Key"), "invalid idempotency key")],
        )


def _hash(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


# The one spelling of an id, as str(uuid4()) writes it. uuid.UUID() also takes upper case,
# {braces}, urn:uuid: and no hyphens: several URLs for one resource, none of which we issue.
_CANONICAL_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _checked_id(config_id: str) -> str:
    """Ids are canonical UUIDs; anything else cannot exist: a 404 that never reaches DynamoDB."""
    if _CANONICAL_ID.fullmatch(config_id) is None:
        raise ConfigurationNotFound(config_id)
    return config_id
