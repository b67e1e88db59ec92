"""Counter drift: compare each user's counter item with the real number of configurations."""

from __future__ import annotations

from dataclasses import dataclass

from config_api.aws import dynamodb_client
from config_api.retry import RetryPolicy
from config_api.settings import Settings
from config_api.store import ConfigStore


@dataclass(frozen=True)
class Drift:
    user_id: str
    counter: int | None
    actual: int

    @property
    def drifted(self) -> bool:
        return self.counter != self.actual


def check(store: ConfigStore, user_ids: list[str], *, apply: bool) -> list[Drift]:
    report = []
    for user_id in user_ids:
        drift = Drift(user_id, store.counter(user_id), store.count(user_id))
        if apply and drift.drifted:
            store.set_counter(user_id, drift.actual)
        report.append(drift)
    return report


def reconcile(*, user: str | None, everyone: bool, apply: bool) -> int:
    settings = Settings()
    store = ConfigStore(dynamodb_client(settings), settings.table_name, RetryPolicy())
    users = store.users() if everyone else [user or ""]
    report = check(store, users, apply=apply)
    drifted = [d for d in report if d.drifted]
    for d in report:
        state = "DRIFT" if d.drifted else "ok"
        action = " (repaired)" if apply and d.drifted else ""
        print(f"{state:5} user={d.user_id} counter={d.counter} actual={d.actual}{action}")
    mode = "applied" if apply else "dry run; --apply repairs"
    print(f"{len(report)} user(s) checked, {len(drifted)} drifted ({mode})")
    return 1 if drifted and not apply else 0
