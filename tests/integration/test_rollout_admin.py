"""Changing the rollout percentage of a running server: the admin call and the file."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from config_api.rollout import rules_for
from tests.support.api import BASE
from tests.support.problems import assert_problem
from tests.support.stack import api_server, auth, client, new_user, settings_for, token
from tests.support.variants import served, user_in

ADMIN_TOKEN = "rollout-admin-token-for-tests-0123"
FLAG_URL = "/ops/rollout/flag"


@pytest.fixture(scope="module")
def admin_api(seeded: str) -> Iterator[httpx.Client]:
    settings = settings_for(seeded, rollout_percent=0, admin_token=ADMIN_TOKEN)
    with api_server(settings) as url, client(url) as http:
        yield http


def put(http: httpx.Client, body: Any, bearer: str | None = ADMIN_TOKEN) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return http.put(FLAG_URL, json=body, headers=headers)


def variant_of_next_request(http: httpx.Client, user: str) -> str:
    before = served(http)
    assert http.get(BASE, headers=auth(user)).status_code == 200
    (changed,) = [v for v, n in served(http).items() if n != before[v]]
    return changed


def test_the_admin_call_takes_effect_on_the_next_request_and_is_logged(
    admin_api: httpx.Client, caplog: pytest.LogCaptureFixture
) -> None:
    user = user_in("resilient", 30)  # in the flag from 30% up
    assert variant_of_next_request(admin_api, user) == "baseline"
    with caplog.at_level(logging.INFO):
        resp = put(admin_api, {"percentage": 30})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {
        "flag": "resilient_writes",
        "percentage": 30,
        "previous": 0,
        "store": "settings",
    }
    assert variant_of_next_request(admin_api, user) == "resilient"
    assert admin_api.get("/ops/rollout/data").json()["percentage"] == 30
    (line,) = [vars(r) for r in caplog.records if r.getMessage() == "rollout percentage changed"]
    assert (line["old"], line["new"], line["source"]) == (0, 30, "admin")
    assert put(admin_api, {"percentage": 0}).json()["previous"] == 30
    assert variant_of_next_request(admin_api, user) == "baseline"


@pytest.mark.parametrize(
    "bearer",
    [None, "basic", "wrong-token", ADMIN_TOKEN[:-1], ADMIN_TOKEN + "x", "user-jwt"],
)
def test_the_admin_call_needs_the_admin_token(admin_api: httpx.Client, bearer: str | None) -> None:
    if bearer == "user-jwt":
        bearer = token(new_user())  # a valid user is not an operator
    if bearer == "basic":  # the right secret under another scheme
        headers = {"Authorization": f"Basic {ADMIN_TOKEN}"}
        resp = admin_api.put(FLAG_URL, json={"percentage": 100}, headers=headers)
    else:
        resp = put(admin_api, {"percentage": 100}, bearer)
    assert_problem(resp, 401)
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert admin_api.get("/ops/rollout/data").json()["percentage"] == 0


@pytest.mark.parametrize(
    "body", [{"percentage": 101}, {"percentage": -1}, {"percentage": "50"}, {"percentage": True},
             {"percentage": 5.5}, {}, {"percentage": 5, "flag": "other"}, [50]],
)  # fmt: skip
def test_the_admin_call_validates_the_percentage(admin_api: httpx.Client, body: Any) -> None:
    resp = put(admin_api, body)
    assert resp.status_code == 400, resp.text
    assert resp.json()["code"] == "invalid_input"


def test_without_an_admin_token_the_call_does_not_exist(api: httpx.Client) -> None:
    resp = put(api, {"percentage": 0}, bearer="anything-at-all-really")
    assert_problem(resp, 404)


def test_the_file_is_reloaded_by_a_running_server(seeded: str, tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    path.write_text(json.dumps(rules_for(0)))
    settings = settings_for(
        seeded, rollout_file=str(path), rollout_reload_seconds=0, admin_token=ADMIN_TOKEN
    )
    user = user_in("resilient", 50)
    with api_server(settings) as url, client(url) as http:
        assert variant_of_next_request(http, user) == "baseline"
        path.write_text(json.dumps(rules_for(50)))
        assert variant_of_next_request(http, user) == "resilient"
        # The admin call writes the file, so it outlives a restart.
        assert put(http, {"percentage": 20}).json()["store"] == f"file {path}"
        assert json.loads(path.read_text()) == rules_for(20)
        assert variant_of_next_request(http, user_in("resilient", 20)) == "resilient"
