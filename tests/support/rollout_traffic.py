"""Real traffic with a known split between the rollout variants, for the report and page tests.

Users are picked with the flag's own evaluation (the same rules the server applies at that
percentage), so a test knows exactly how many requests each variant served.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx

from config_api.observability.metrics import is_error
from config_api.rollout import RolloutFlag
from config_api.rollout.sources import SettingsSource
from tests.support.api import BASE
from tests.support.stack import auth, new_user


def users_in(variant: str, percentage: int, count: int) -> list[str]:
    """`count` fresh user ids that the flag at `percentage` puts in `variant`."""
    flag = RolloutFlag(SettingsSource(percentage, writable=False))
    users: list[str] = []
    while len(users) < count:
        user = new_user()
        if flag.enabled(user) == (variant == "resilient"):
            users.append(user)
    return users


@dataclass
class Served:
    """What the clients saw, per variant: every status code, in order."""

    statuses: dict[str, list[int]] = field(
        default_factory=lambda: {"baseline": [], "resilient": []}
    )

    def requests(self, variant: str) -> int:
        return len(self.statuses[variant])

    def errors(self, variant: str) -> int:
        return sum(is_error(s) for s in self.statuses[variant])


def drive(http: httpx.Client, percentage: int, per_variant: dict[str, int]) -> Served:
    """Each user creates a configuration and lists theirs: two requests per user."""
    served = Served()
    for variant, count in per_variant.items():
        for user in users_in(variant, percentage, count):
            headers = auth(user)
            body = {"name": "Rollout", "tickers": ["AAPL"]}
            served.statuses[variant].append(http.post(BASE, json=body, headers=headers).status_code)
            served.statuses[variant].append(http.get(BASE, headers=headers).status_code)
    return served
