"""The `resilient_writes` flag: a sticky percentage rollout on Powertools' feature flags.

Each user id hashes (SHA-256, stable across processes and releases, unlike `hash()`) to a
bucket 0-99; the rule `MODULO_RANGE {BASE: 100, START: 0, END: p-1}` puts buckets below
`p` in the flag. Raising `p` only adds buckets, so a user once in stays in, and nobody flips
between requests. The rules are a Powertools feature-flag document from a `FlagSource`.
Powertools evaluates a document once per bucket when it changes; a request looks its
user's bucket up in the result (the flag is read on every authenticated request).
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from aws_lambda_powertools.utilities.feature_flags import (
    FeatureFlags,
    SchemaValidator,
    StoreProvider,
)

from config_api.domain.errors import RolloutReadOnly
from config_api.observability.log import logger

FLAG = "resilient_writes"
BUCKET_KEY = "user_bucket"  # the context key the MODULO_RANGE condition reads
BUCKETS = 100


def bucket(user_id: str) -> int:
    """The user's bucket 0-99: the first 8 bytes of SHA-256(user id), modulo 100."""
    # surrogatepass: a JSON `sub` may hold a lone surrogate; it must hash, not raise.
    digest = hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def rules_for(percentage: int) -> dict[str, Any]:
    """The feature-flag document putting `percentage`% of the buckets in the flag."""
    if not 0 <= percentage <= BUCKETS:
        raise ValueError(f"percentage must be 0-100, not {percentage}")
    if percentage == 0:  # MODULO_RANGE cannot express an empty range: no rule at all
        return {FLAG: {"default": False}}
    condition = {
        "action": "MODULO_RANGE",
        "key": BUCKET_KEY,
        "value": {"BASE": BUCKETS, "START": 0, "END": percentage - 1},
    }
    rule = {"when_match": True, "conditions": [condition]}
    return {FLAG: {"default": False, "rules": {f"buckets 0-{percentage - 1}": rule}}}


def validated(document: Any) -> dict[str, Any]:
    """`document` if it is a valid feature-flag document; raises SchemaValidationError."""
    SchemaValidator(schema=document).validate()
    if not isinstance(document, dict):  # the validator already refuses these; for mypy
        raise TypeError("a feature-flag document is a JSON object")
    return document


class FlagSource(StoreProvider):
    """Where the rules come from. `get_configuration` always returns a valid document (the
    last good one when the origin fails), and the same object while nothing changed."""

    name = "source"
    writable = False

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self.get_configuration()

    def write(self, document: dict[str, Any]) -> None:
        raise RolloutReadOnly(f"The flag's rules come from {self.name}: change them there")


class _Fixed(StoreProvider):
    def __init__(self, document: dict[str, Any]) -> None:
        self._document = document

    @property
    def get_raw_configuration(self) -> dict[str, Any]:
        return self._document

    def get_configuration(self) -> dict[str, Any]:
        return self._document


def buckets_in(document: dict[str, Any]) -> frozenset[int]:
    """The buckets a document puts in the flag (whatever its rules are)."""
    flags = FeatureFlags(store=_Fixed(document))
    return frozenset(
        b
        for b in range(BUCKETS)
        if flags.evaluate(name=FLAG, context={BUCKET_KEY: b}, default=False) is True
    )


def percentage_of(document: dict[str, Any]) -> int:
    """How many of the 100 buckets a document puts in the flag."""
    return len(buckets_in(document))


class RolloutFlag:
    """Evaluates the flag per user and notices (and logs) every change of its percentage."""

    def __init__(self, source: FlagSource) -> None:
        self._source = source
        self._flags = FeatureFlags(store=source)
        self._lock = threading.RLock()  # set_percentage observes while holding it
        self._seen: dict[str, Any] | None = None
        self._buckets: frozenset[int] = frozenset()  # of the document seen
        self._percentage = -1  # unknown until the first observation
        self._observe(source.name)

    @property
    def source(self) -> FlagSource:
        return self._source

    def enabled(self, user_id: str) -> bool:
        self._observe(self._source.name)
        return bucket(user_id) in self._buckets

    def percentage(self) -> int:
        self._observe(self._source.name)
        return self._percentage

    def set_percentage(self, percentage: int, *, source: str) -> int:
        """Write new rules to the source (RolloutReadOnly if it cannot); returns the old value."""
        document = rules_for(percentage)
        with self._lock:  # so the change is logged with this source, not a request's
            old = self.percentage()
            self._source.write(document)
            self._observe(source)
        return old

    def _observe(self, source: str) -> None:
        document = self._flags.get_configuration()
        if document is self._seen:  # sources hand back the same object until a change
            return
        with self._lock:
            if document is self._seen:
                return
            buckets = buckets_in(document)
            new = len(buckets)
            old, self._percentage = self._percentage, new
            self._buckets, self._seen = buckets, document
        if old == -1:
            logger.info("rollout flag loaded", extra={"flag": FLAG, "percentage": new})
        elif old != new:
            logger.info(
                "rollout percentage changed",
                extra={
                    "flag": FLAG,
                    "old": old,
                    "new": new,
                    "source": source,
                    "store": self._source.name,
                },
            )
