"""moto's per-request dispatch, without the work that never changes between requests.

moto's server lists its own package directory (~130 `stat` calls) on every request to find
the backend, and lists the response class's methods with `inspect.getmembers` on every
call: together about a fifth of the emulator's time per DynamoDB call. Both answers are
fixed once moto is imported, so they are computed once.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import moto.backends
import moto.core.responses

_installed = False


def install() -> None:
    """Process-wide, like moto's own state; idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    modules = tuple(moto.backends.list_of_moto_modules())

    def list_of_moto_modules() -> Iterable[str]:
        return modules

    moto.backends.list_of_moto_modules = list_of_moto_modules
    responses: Any = moto.core.responses
    method_names: Callable[[object], list[str]] = responses.method_names_from_class
    responses.method_names_from_class = functools.cache(method_names)
