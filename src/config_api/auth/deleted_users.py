"""Deleted users: the set of user ids whose tokens the API refuses (401).

The identity provider owns users; `config-api users delete` records a deletion in the
table's `DELETED_USERS` partition (one item per user, SK=`USER#{id}`), and removes the user's
data (store/deleted_users.py reads the partition). Checking every request against DynamoDB
would add a round trip to each of them, so every process keeps the set in memory: loaded at
start, refreshed in the background (one refresh at a time, a single paginated Query) on the
first request at least `refresh_seconds` after the last refresh. A failed refresh keeps the
last set.

The gap this leaves: a token issued before the deletion is refused by a process once that
process has refreshed, i.e. about `refresh_seconds` after the deletion on a busy process; an
idle one (or a frozen Lambda container) answers its first request after the pause from the
set it had and refuses from the next one on, once that refresh has landed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from config_api.domain.errors import DependencyError
from config_api.observability.log import logger
from config_api.store.deleted_users import DeletedUserRecords
from config_api.store.refresher import BackgroundRefresher

# Until a first load succeeds, try again sooner than the normal refresh interval.
UNLOADED_RETRY_SECONDS = 5.0


class DeletedUsers:
    def __init__(
        self,
        records: DeletedUserRecords,
        *,
        refresh_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._records, self._refresh_seconds = records, refresh_seconds
        self._ids: frozenset[str] = frozenset()
        self._loaded = False
        self._refresher = BackgroundRefresher(
            "deleted users", self._refresh, self._refresh_interval, clock
        )

    # -- loading -------------------------------------------------------------------------
    def load(self) -> bool:
        """Cold start. Never raises: without the set, every token is judged on its own
        (refusing everyone because one Query failed would take the whole API down)."""
        return self.refresh_now()

    def refresh_now(self) -> bool:
        """Synchronous refresh (tests and operators). True when the set is current."""
        return self._refresher.run_now()

    def _refresh(self) -> bool:
        self._refresher.checked()
        try:
            fresh = self._records.user_ids()
        except (DependencyError, BotoCoreError, ClientError) as exc:
            logger.warning(
                "deleted users refresh failed; keeping the current set",
                extra={"error": str(exc), "deleted_users": len(self._ids)},
            )
            return False
        if fresh != self._ids or not self._loaded:
            logger.info("deleted users loaded", extra={"deleted_users": len(fresh)})
        self._ids, self._loaded = fresh, True  # swapped whole: readers never see half a set
        return True

    # -- refresh in the background -------------------------------------------------------
    def _refresh_interval(self) -> float:
        if not self._loaded:
            return min(self._refresh_seconds, UNLOADED_RETRY_SECONDS)
        return self._refresh_seconds

    # -- use -----------------------------------------------------------------------------
    def is_deleted(self, user_id: str) -> bool:
        """From memory; starts a background refresh when one is due."""
        self._refresher.maybe_start()
        return user_id in self._ids

    @property
    def loaded(self) -> bool:
        return self._loaded

    def __len__(self) -> int:
        return len(self._ids)
