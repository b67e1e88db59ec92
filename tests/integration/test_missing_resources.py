"""A table or bucket of our own that does not exist (a wrong TABLE_NAME, a deleted table) is a
deployment fault: 503 with Retry-After, /ready 503, and one error log naming the resource, not
a 500 per request. A missing ticker *object* stays what it was: the ticker list's fallback."""

from __future__ import annotations

import uuid

import httpx

from tests.support.api import BASE, VALID
from tests.support.logs import captured_logs
from tests.support.problems import assert_problem
from tests.support.stack import api_server, auth, client, new_user, settings_for


def assert_503(resp: httpx.Response) -> None:
    assert_problem(resp, 503, "service_unavailable")
    assert int(resp.headers["retry-after"]) >= 1


def test_a_missing_table_is_503_and_logged_once(seeded: str) -> None:
    table = f"missing-{uuid.uuid4()}"
    some_id = str(uuid.uuid4())
    settings = settings_for(seeded, table_name=table)
    with captured_logs() as logs, api_server(settings) as url, client(url) as http:
        headers = auth(new_user())
        for _ in range(2):
            assert_503(http.get(BASE, headers=headers))
            assert_503(http.post(BASE, json=VALID, headers=headers))
            assert_503(http.get(f"{BASE}/{some_id}", headers=headers))
            assert_503(http.patch(f"{BASE}/{some_id}", json={"name": "x"}, headers=headers))
            assert_503(http.delete(f"{BASE}/{some_id}", headers=headers))
            assert_503(http.get("/ready"))
            assert table not in http.get(BASE, headers=headers).text  # internals stay inside
    errors = logs.records("ERROR")
    assert [e for e in errors if table in str(e)] == errors
    assert len(errors) == 1, errors  # startup + 12 requests + 12 requests: still one


def test_a_missing_bucket_falls_back_and_is_logged_once(seeded: str) -> None:
    bucket = f"missing-{uuid.uuid4()}"
    settings = settings_for(seeded, ticker_bucket=bucket)
    with captured_logs() as logs, api_server(settings) as url, client(url) as http:
        ready = http.get("/ready")
        assert ready.status_code == 200, ready.text
        assert ready.json()["tickers"]["source"] == "bundled"  # the designed degradation
        assert http.post(BASE, json=VALID, headers=auth(new_user())).status_code == 201
    errors = logs.records("ERROR")
    assert len(errors) == 1, errors
    assert bucket in str(errors[0])


def test_a_missing_bucket_with_a_strict_list_is_503(seeded: str) -> None:
    bucket = f"missing-{uuid.uuid4()}"
    settings = settings_for(seeded, ticker_bucket=bucket, ticker_fallback="strict")
    with api_server(settings) as url, client(url) as http:
        assert_503(http.post(BASE, json=VALID, headers=auth(new_user())))
        assert_503(http.get("/ready"))


def test_a_missing_ticker_object_is_the_ordinary_fallback(seeded: str) -> None:
    settings = settings_for(seeded, ticker_key=f"missing/{uuid.uuid4()}.json")
    with captured_logs() as logs, api_server(settings) as url, client(url) as http:
        assert http.get("/ready").json()["tickers"]["source"] == "bundled"
    assert logs.records("ERROR") == []
