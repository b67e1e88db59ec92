"""Which of our own resources are known to be missing, so that a deployment fault is logged
once per process when it is first met (and once when the resource is back), not once per
request for as long as it lasts."""

from __future__ import annotations

import threading

from config_api.observability.log import logger


class MissingResources:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._missing: set[str] = set()

    def seen_missing(self, resource: str, operation: str, error_code: str) -> None:
        with self._lock:
            first = resource not in self._missing
            self._missing.add(resource)
        if first:
            logger.error(
                "deployment fault: a resource of this deployment does not exist",
                extra={"resource": resource, "operation": operation, "error_code": error_code},
            )

    def seen_present(self, resource: str) -> None:
        if resource not in self._missing:  # the common case: no lock
            return
        with self._lock:
            back = resource in self._missing
            self._missing.discard(resource)
        if back:
            logger.warning(
                "deployment fault over: the resource exists", extra={"resource": resource}
            )


# One per process: every policy and variant reports into it.
MISSING = MissingResources()
