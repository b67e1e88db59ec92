"""Keeps an in-memory copy fresh: one background refresh at a time, when one is due.

Shared by the ticker cache and the deleted-users set. Requests never wait for a refresh;
they answer from the copy they have, and at most one thread refreshes it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from config_api.observability.log import logger


class BackgroundRefresher:
    def __init__(
        self,
        name: str,
        refresh: Callable[[], bool],
        interval: Callable[[], float],
        clock: Callable[[], float],
    ) -> None:
        self._name, self._refresh, self._interval, self._clock = name, refresh, interval, clock
        self._checked_at = float("-inf")
        self._lock = threading.Lock()

    def checked(self) -> None:
        """Record that a refresh starts now (whoever runs it)."""
        self._checked_at = self._clock()

    def due(self) -> bool:
        return self._clock() - self._checked_at >= self._interval()

    def maybe_start(self) -> None:
        """Start a background refresh if one is due and none is in flight."""
        if not self.due() or not self._lock.acquire(blocking=False):
            return
        # Checked again under the lock: a refresh may have finished since the first check.
        if not self.due():
            self._lock.release()
            return
        self.checked()  # claimed now, so no request starts another one
        try:
            threading.Thread(target=self._run_and_release, daemon=True).start()
        except RuntimeError as exc:  # e.g. "can't start new thread": serve the current copy
            self._lock.release()  # otherwise no refresh could ever run again
            logger.warning(f"{self._name} refresh not started", extra={"error": str(exc)})

    def run_now(self) -> bool:
        """Refresh synchronously, after any refresh in flight."""
        with self._lock:
            return self._refresh()

    def _run_and_release(self) -> None:
        try:
            self._refresh()
        finally:
            self._lock.release()
