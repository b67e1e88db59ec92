"""The rollout history in the table: ordered, read back whole, one writer per step."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from config_api.cli.main import main
from config_api.retry.policy import RetryPolicy
from config_api.store.admin.rollout_history import Change, RolloutHistory
from config_api.store.clients import dynamodb_client
from tests.support.stack import settings_for


def change(to: int, who: str = "alice", *, before: int | None = 0) -> Change:
    return Change(
        at=datetime.now(UTC),
        who=who,
        action="set",
        from_percent=before,
        to_percent=to,
        reason="test",
        figures={"variants": {"resilient": {"requests": 3, "errors": 0}}},
        store="file x",
    )


def test_changes_are_numbered_and_a_concurrent_one_is_refused(seeded: str) -> None:
    settings = settings_for(seeded)
    history = RolloutHistory(dynamodb_client(settings), settings.table_name, RetryPolicy())
    before = history.latest()
    first = history.append(change(10, before=None), after=before)  # from an unknown value
    assert first is not None
    # Two runs that both read `first` as the latest: the second one records nothing.
    second = history.append(change(100, "bob"), after=first)
    assert second is not None and second.seq == first.seq + 1
    assert history.append(change(0, "carol"), after=first) is None
    assert history.latest() == second
    assert history.recent(2) == [second, first]
    assert second.figures == {"variants": {"resilient": {"requests": 3, "errors": 0}}}


def test_an_unreachable_history_is_a_one_line_error(
    seeded: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded)
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    assert main(["rollout", "history"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("rollout history: ")
    assert len(captured.err.splitlines()) == 1
