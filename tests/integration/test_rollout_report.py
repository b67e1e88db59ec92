"""`config-api rollout report --url` and /ops/rollout/data against a real server and traffic.

The server runs the flag at 50%, and the traffic is split between the variants with the
flag's own evaluation, so the counts the report prints are known exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from config_api.cli.main import main
from config_api.rollout.report import verdict
from config_api.rollout.snapshot import RolloutSnapshot
from tests.support.problems import assert_problem
from tests.support.rollout_traffic import Served, drive
from tests.support.stack import Chaos, api_server, client, settings_for

PERCENT = 50
USERS = {"baseline": 6, "resilient": 9}  # two requests each: 12 and 18


@pytest.fixture(scope="module")
def live(seeded: str) -> Iterator[tuple[str, Served]]:
    """A server of its own (so no other test's traffic counts) after a known load."""
    with api_server(settings_for(seeded, rollout_percent=PERCENT)) as url:
        with client(url) as http:
            served = drive(http, PERCENT, USERS)
        assert served.errors("baseline") == served.errors("resilient") == 0, served.statuses
        yield url, served


def report(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["rollout", "report", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def row(out: str, variant: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(variant))


def test_url_report_prints_the_live_figures_and_promotes(
    live: tuple[str, Served], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    url, _ = live
    saved = tmp_path / "snapshot.json"
    code, out, err = report(capsys, "--url", url, "--min-requests", "18", "--save", str(saved))
    assert (code, err) == (0, "")
    assert out.startswith(f"Rollout of resilient_writes at {PERCENT}% (window 1h, generated ")
    assert row(out, "baseline")[:4] == ["baseline", "12", "0", "0.00%"]
    assert row(out, "resilient")[:4] == ["resilient", "18", "0", "0.00%"]
    assert all(float(ms) > 0 for ms in row(out, "resilient")[4:])  # p50 and p99 were measured
    assert "Verdict: PROMOTE" in out
    snapshot = json.loads(saved.read_text())
    assert snapshot["variants"]["resilient"]["requests"] == 18
    assert snapshot["window_seconds"] == 3600


def test_url_report_holds_one_request_short(
    live: tuple[str, Served], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = report(capsys, "--url", live[0], "--min-requests", "19")
    assert code == 3
    assert "Verdict: HOLD" in out
    assert "not enough data: resilient 0/18 errors (0.00%); at least 19" in out


def test_window_is_passed_to_the_server(
    live: tuple[str, Served], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "snapshot.json"
    code, out, _ = report(capsys, "--url", live[0], "--window", "30m", "--save", str(saved))
    assert code == 3  # 18 < the default 200
    assert "(window 30m," in out
    assert json.loads(saved.read_text())["window_seconds"] == 1800


def test_saved_snapshot_gives_the_same_report(
    live: tuple[str, Served], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    saved = tmp_path / "snapshot.json"
    from_url = report(capsys, "--url", live[0], "--min-requests", "10", "--save", str(saved))
    from_file = report(capsys, "--file", str(saved), "--min-requests", "10")
    assert from_url == from_file
    assert from_url[0] == 0


def test_http_error_exits_2(live: tuple[str, Served], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = report(capsys, "--url", f"{live[0]}/not-the-api")
    assert (code, out) == (2, "")
    assert "not-the-api/ops/rollout/data?window_seconds=3600 answered HTTP 404" in err


def data(http: httpx.Client, **params: Any) -> dict[str, Any]:
    resp = http.get("/ops/rollout/data", params=params)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/json"
    body: dict[str, Any] = resp.json()
    return body


def test_data_endpoint_serves_the_snapshot_with_the_verdict(live: tuple[str, Served]) -> None:
    url, served = live
    with client(url) as http:  # no token: aggregate figures only, like /health
        body = data(http)
        strict = data(http, min_requests=19, window_seconds=600)
        loose = data(http, min_requests=18)
    judged = body.pop("verdict")
    assert body["flag"] == "resilient_writes"
    assert body["percentage"] == PERCENT
    for variant in ("baseline", "resilient"):
        figures = body["variants"][variant]
        assert (figures["requests"], figures["errors"]) == (
            served.requests(variant),
            served.errors(variant),
        )
        in_series = [p["requests"] for p in body["series"] if p["variant"] == variant]
        assert sum(in_series) == served.requests(variant)
    decision, reason = verdict(
        RolloutSnapshot.model_validate(body)
    )  # the same judgement as the CLI, default thresholds
    assert judged == {
        "decision": decision,
        "reason": reason,
        "min_requests": 200,
        "max_error_rate": 0.01,
    }
    assert decision == "HOLD"
    assert strict["window_seconds"] == 600
    assert strict["verdict"]["decision"] == "HOLD"
    assert "at least 19" in strict["verdict"]["reason"]
    assert loose["verdict"]["decision"] == "PROMOTE"


@pytest.mark.parametrize(
    "params",
    [
        {"window_seconds": 0},
        {"window_seconds": "an hour"},
        {"window_seconds": 8 * 86400},
        {"min_requests": 0},
        {"max_error_rate": 0},
        {"max_error_rate": 1.5},
    ],
)
def test_data_endpoint_rejects_bad_parameters(
    live: tuple[str, Served], params: dict[str, Any]
) -> None:
    with client(live[0]) as http:
        resp = http.get("/ops/rollout/data", params=params)
    assert_problem(resp, 400)


@pytest.mark.parametrize(
    ("failing", "errors", "decision", "code"),
    [
        # Transactions down: the resilient creates (counter and item in one
        # TransactWriteItems) fail after their retries; the baseline's PutItem does not notice.
        (["TransactWriteItems"], (0, 9), "ROLL BACK", 4),
        # Every write down: both variants fail alike, so the flag is not to blame.
        (["TransactWriteItems", "PutItem"], (6, 9), "HOLD", 3),
    ],
    ids=["resilient-path-down", "all-writes-down"],
)
def test_url_report_under_write_faults(
    seeded: str,
    chaos: Chaos,
    capsys: pytest.CaptureFixture[str],
    failing: list[str],
    errors: tuple[int, int],
    decision: str,
    code: int,
) -> None:
    error = {"statusCode": 503, "code": "ServiceUnavailable"}
    chaos.faults([{"service": "dynamodb", "operation": op, "error": error} for op in failing])
    fast = {"rollout_percent": PERCENT, "retry_attempts": 2, "retry_base_seconds": 0.001}
    with api_server(settings_for(seeded, **fast)) as url:  # fresh stats
        with client(url) as http:
            served = drive(http, PERCENT, USERS)
        got = report(capsys, "--url", url, "--min-requests", "18")
    assert (served.errors("baseline"), served.errors("resilient")) == errors, served.statuses
    base_rate, res_rate = (f"{e / n * 100:.2f}%" for e, n in zip(errors, (12, 18), strict=True))
    assert row(got[1], "baseline")[:4] == ["baseline", "12", str(errors[0]), base_rate]
    assert row(got[1], "resilient")[:4] == ["resilient", "18", str(errors[1]), res_rate]
    assert f"Verdict: {decision}\n" in got[1]
    assert got[0] == code
