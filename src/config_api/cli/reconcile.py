"""Counter drift: compare each user's counter item with the real number of configurations."""

from __future__ import annotations

from dataclasses import dataclass

from config_api.retry.policy import RetryPolicy
from config_api.settings import Settings
from config_api.store import ConfigStore, CounterState
from config_api.store.admin.scan import TableScan
from config_api.store.clients import dynamodb_client


@dataclass(frozen=True)
class Drift:
    user_id: str
    seen: CounterState
    actual: int
    repaired: bool = False

    @property
    def counter(self) -> int | None:
        return self.seen.value

    @property
    def drifted(self) -> bool:
        # No counter and nothing stored is not drift: the counter is created on first use.
        return (self.counter or 0) != self.actual


def check(store: ConfigStore, user_ids: list[str], *, apply: bool) -> list[Drift]:
    report = []
    for user_id in user_ids:
        # Counter first, then the count: the repair is conditional on the counter being
        # unchanged since it was read, so a create or delete in between cannot be lost.
        seen = store.counter(user_id)
        drift = Drift(user_id, seen, store.count(user_id))
        if apply and drift.drifted:
            drift = Drift(
                user_id, seen, drift.actual, store.repair_counter(user_id, seen, drift.actual)
            )
        report.append(drift)
    return report


def reconcile(*, user: str | None, everyone: bool, apply: bool) -> int:
    settings = Settings()
    db, policy = dynamodb_client(settings), RetryPolicy.from_settings(settings)
    store = ConfigStore(db, settings.table_name, policy)
    users = TableScan(db, settings.table_name, policy).user_ids() if everyone else [user or ""]
    report = check(store, users, apply=apply)
    drifted = [d for d in report if d.drifted]
    unrepaired = [d for d in drifted if not d.repaired]
    for d in report:
        state = "DRIFT" if d.drifted else "ok"
        action = ""
        if apply and d.drifted:
            action = " (repaired)" if d.repaired else " (changed while checking; run again)"
        print(f"{state:5} user={d.user_id} counter={d.counter} actual={d.actual}{action}")
    mode = "applied" if apply else "dry run; --apply repairs"
    print(f"{len(report)} user(s) checked, {len(drifted)} drifted ({mode})")
    return 1 if unrepaired else 0
