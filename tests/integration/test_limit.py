"""The per-user limit holds under concurrency (a counter item changed in the same transaction)."""

from __future__ import annotations

import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial

import httpx
import pytest

from tests.support.api import BASE, create
from tests.support.problems import assert_problem
from tests.support.stack import api_server, auth, client, new_user, settings_for
from tests.support.table import Table, concurrently

DEFAULT_LIMIT = 5
SMALL_LIMIT = 3


@pytest.fixture(scope="module")
def small_limit_api(seeded: str) -> Iterator[httpx.Client]:
    with (
        api_server(settings_for(seeded, max_configurations=SMALL_LIMIT)) as url,
        client(url) as http,
    ):
        yield http


def delete(api: httpx.Client, user: str, config_id: str) -> httpx.Response:
    return api.delete(f"{BASE}/{config_id}", headers=auth(user))


def assert_limit_problem(resp: httpx.Response, *, max_allowed: int, current: int) -> None:
    body = assert_problem(resp, 409, "configuration_limit_reached")
    assert body["max_allowed"] == max_allowed
    assert body["current_count"] == current


def test_seed_scenario_five_concurrent_creates_with_one_slot_used(
    api: httpx.Client, table: Table
) -> None:
    user = new_user()
    assert create(api, user).status_code == 201
    responses = concurrently([lambda: create(api, user) for _ in range(5)])
    assert sorted(r.status_code for r in responses) == [201, 201, 201, 201, 409]
    assert len(table.config_ids(user)) == 5
    assert table.counter(user) == 5
    [conflict] = [r for r in responses if r.status_code == 409]
    assert_limit_problem(conflict, max_allowed=DEFAULT_LIMIT, current=5)


def test_limit_reached_then_delete_frees_a_slot(api: httpx.Client, table: Table) -> None:
    user = new_user()
    ids = [create(api, user).json()["config_id"] for _ in range(DEFAULT_LIMIT)]
    assert_limit_problem(create(api, user), max_allowed=DEFAULT_LIMIT, current=5)
    assert delete(api, user, ids[0]).status_code == 204
    assert table.counter(user) == 4
    again = create(api, user)
    assert again.status_code == 201, again.text
    assert sorted(table.config_ids(user)) == sorted([*ids[1:], again.json()["config_id"]])
    assert table.counter(user) == 5
    assert delete(api, user, ids[0]).status_code == 404  # gone already: the counter stays
    assert table.counter(user) == 5


def test_random_concurrent_creates_and_deletes_keep_counter_exact(
    small_limit_api: httpx.Client, table: Table
) -> None:
    """25 rounds x 40 concurrent operations over 4 users: after every round the stored items
    are exactly those the responses account for, and the counter equals their number."""
    rng = random.Random(20240611)
    users = [new_user() for _ in range(4)]
    stored: dict[str, set[str]] = {user: set() for user in users}
    outcomes: Counter[tuple[str, int]] = Counter()
    api = small_limit_api

    def one_op(kind: str, user: str, target: str) -> tuple[str, str, str, httpx.Response]:
        resp = create(api, user) if kind == "create" else delete(api, user, target)
        return kind, user, target, resp

    for round_no in range(25):
        ops: list[Callable[[], tuple[str, str, str, httpx.Response]]] = []
        for _ in range(40):
            user = rng.choice(users)
            if stored[user] and rng.random() < 0.45:
                target = rng.choice(sorted(stored[user]))
            elif rng.random() < 0.05:
                target = str(uuid.uuid4())  # never existed
            else:
                ops.append(partial(one_op, "create", user, ""))
                continue
            ops.append(partial(one_op, "delete", user, target))

        deleted: Counter[str] = Counter()
        for kind, user, target, resp in concurrently(ops):
            outcomes[kind, resp.status_code] += 1
            if kind == "create" and resp.status_code == 201:
                stored[user].add(resp.json()["config_id"])
            elif kind == "create":
                assert_limit_problem(resp, max_allowed=SMALL_LIMIT, current=SMALL_LIMIT)
            elif resp.status_code == 204:
                deleted[target] += 1
                stored[user].discard(target)
            else:
                assert resp.status_code == 404, resp.text

        assert all(n == 1 for n in deleted.values()), f"round {round_no}: deleted twice"
        for user in users:
            actual = set(table.config_ids(user))
            assert actual == stored[user], f"round {round_no}"
            assert table.counter(user) == len(actual) <= SMALL_LIMIT, f"round {round_no}"

    assert sum(outcomes.values()) == 1000
    # The workload really pushed against the limit and freed slots again.
    assert outcomes["create", 409] > 0
    assert outcomes["create", 201] > 0
    assert outcomes["delete", 204] > 0


@pytest.mark.parametrize("existing", [0, 2, 5, 7])
def test_users_without_counter_hit_concurrently_never_exceed_limit(
    api: httpx.Client, table: Table, existing: int
) -> None:
    user = new_user()
    table.write_legacy_configs(user, existing)
    assert table.counter(user) is None
    responses = concurrently([lambda: create(api, user) for _ in range(8)])
    created = [r for r in responses if r.status_code == 201]
    assert len(created) == max(0, DEFAULT_LIMIT - existing)
    expected_total = max(existing, DEFAULT_LIMIT)
    for resp in responses:
        if resp.status_code != 201:
            assert_limit_problem(resp, max_allowed=DEFAULT_LIMIT, current=expected_total)
    assert len(table.config_ids(user)) == expected_total
    assert table.counter(user) == expected_total


def test_users_without_counter_delete_concurrently_and_count_right(
    api: httpx.Client, table: Table
) -> None:
    user = new_user()
    ids = table.write_legacy_configs(user, 3)
    responses = concurrently([partial(delete, api, user, i) for i in ids[:2]])
    assert [r.status_code for r in responses] == [204, 204]
    assert table.config_ids(user) == [ids[2]]
    assert table.counter(user) == 1
    statuses = [create(api, user).status_code for _ in range(DEFAULT_LIMIT)]
    assert statuses == [201, 201, 201, 201, 409]
    assert table.counter(user) == len(table.config_ids(user)) == DEFAULT_LIMIT


def test_counter_drifted_to_zero_is_reset_from_the_real_count(
    api: httpx.Client, table: Table
) -> None:
    user = new_user()
    ids = [create(api, user).json()["config_id"] for _ in range(2)]
    table.set_counter(user, 0)  # a zero counter below stored items cannot be decremented
    assert delete(api, user, ids[0]).status_code == 204
    assert table.config_ids(user) == [ids[1]]
    assert table.counter(user) == 1


# -- config-api reconcile ----------------------------------------------------------------


@pytest.fixture
def cli_env(seeded: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded)
    monkeypatch.setenv("TABLE_NAME", settings_for(seeded).table_name)


def reconcile(*args: str) -> int:
    from config_api.cli.main import main

    return main(["reconcile", *args])


@pytest.mark.usefixtures("cli_env")
def test_reconcile_dry_run_reports_drift_and_apply_repairs(
    api: httpx.Client, table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    user = new_user()
    for _ in range(2):
        assert create(api, user).status_code == 201
    table.set_counter(user, 4)

    assert reconcile("--user", user) == 1
    assert f"DRIFT user={user} counter=4 actual=2" in capsys.readouterr().out
    assert table.counter(user) == 4  # a dry run changes nothing

    assert reconcile("--user", user, "--apply") == 0
    assert "(repaired)" in capsys.readouterr().out
    assert table.counter(user) == 2

    assert reconcile("--user", user) == 0
    assert f"ok    user={user} counter=2 actual=2" in capsys.readouterr().out
    # The repaired counter is what the limit uses: 3 more fit, the next one does not.
    assert [create(api, user).status_code for _ in range(4)] == [201, 201, 201, 409]


@pytest.mark.usefixtures("cli_env")
def test_reconcile_counts_users_without_counter(
    table: Table, capsys: pytest.CaptureFixture[str]
) -> None:
    legacy, unknown = new_user(), new_user()
    table.write_legacy_configs(legacy, 3)
    assert reconcile("--user", legacy) == 1
    assert f"DRIFT user={legacy} counter=None actual=3" in capsys.readouterr().out
    assert reconcile("--user", legacy, "--apply") == 0
    assert table.counter(legacy) == 3
    # Nothing stored and no counter yet is not drift (the counter is created on first use).
    assert reconcile("--user", unknown) == 0
    assert table.counter(unknown) is None


def test_reconcile_all_covers_every_user(
    seeded: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a table of its own: `--all --apply` repairs every user of the table, which in the
    shared one would include other tests' users. The record of deleted users is no user."""
    from config_api.store.admin.provision import create_table
    from config_api.store.clients import dynamodb_client
    from config_api.store.items import deleted_user_key

    own = settings_for(seeded, table_name=f"reconcile-all-{uuid.uuid4().hex[:8]}")
    create_table(dynamodb_client(own), own.table_name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded)
    monkeypatch.setenv("TABLE_NAME", own.table_name)
    table = Table(own)
    over, under = new_user(), new_user()
    for user in (over, under):
        table.write_legacy_configs(user, 1)
    table.set_counter(over, 5)
    table.db.put_item(TableName=own.table_name, Item=deleted_user_key(new_user()))

    assert reconcile("--all") == 1
    out = capsys.readouterr().out.splitlines()
    assert sorted(out[:-1]) == sorted(
        [f"DRIFT user={over} counter=5 actual=1", f"DRIFT user={under} counter=None actual=1"]
    )
    assert out[-1] == "2 user(s) checked, 2 drifted (dry run; --apply repairs)"
    assert table.counter(over) == 5

    assert reconcile("--all", "--apply") == 0
    assert "2 user(s) checked, 2 drifted (applied)" in capsys.readouterr().out
    assert table.counter(over) == table.counter(under) == 1
    assert reconcile("--all") == 0
    assert capsys.readouterr().out.splitlines()[-1] == (
        "2 user(s) checked, 0 drifted (dry run; --apply repairs)"
    )


def test_repair_refuses_a_counter_changed_since_it_was_read(
    seeded: str, api: httpx.Client, table: Table
) -> None:
    """A create and a delete between reading and repairing leave the value as it was; the
    repair must still notice (it would otherwise write a count taken before they ran)."""
    from config_api.retry.policy import RetryPolicy
    from config_api.store import ConfigStore
    from config_api.store.clients import dynamodb_client

    settings = settings_for(seeded)
    store = ConfigStore(dynamodb_client(settings), settings.table_name, RetryPolicy())
    user = new_user()
    assert create(api, user).status_code == 201
    seen = store.counter(user)
    extra = create(api, user).json()["config_id"]
    assert delete(api, user, extra).status_code == 204
    assert store.counter(user).value == seen.value == 1
    assert store.repair_counter(user, seen, 7) is False
    assert table.counter(user) == 1
    assert store.repair_counter(user, store.counter(user), 1) is True
