"""The rollout on the production shape: the Lambda's own EMF in CloudWatch, the verdict read
back with `rollout report --cloudwatch`, and the plan followed with `rollout set/step`.

The handler is cold-started as a function would be, serves API Gateway v2 events, and its
EMF lines land in the emulator's CloudWatch as CloudWatch Logs would extract them. Nothing
between the app's metrics and the report is written by the test: a renamed metric or
dimension on either side makes the report see no traffic.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config_api.cli.rollout_snapshots import SnapshotUnavailable, from_args
from config_api.retry.policy import RetryPolicy
from config_api.settings import Settings
from config_api.store.admin.rollout_history import RolloutHistory
from config_api.store.clients import dynamodb_client
from tests.support.lambda_rollout import lambda_deployment, rollout
from tests.support.servers import free_port
from tests.support.stack import Chaos, Stack, child_env, settings_for

USERS = {"baseline": 6, "resilient": 9}  # two requests each: 12 and 18
BAKE = "1s"  # the plan's 24h, shortened
FAST_RETRIES = {"retry_attempts": "2", "retry_base_seconds": "0.001"}


def row(out: str, variant: str) -> list[str]:
    return next(line.split() for line in out.splitlines() if line.startswith(variant))


def history(capsys: pytest.CaptureFixture[str]) -> list[str]:
    """The changes' lines, newest first (each step's figures line follows its change)."""
    code, out, err = rollout(capsys, "history")
    assert (code, err) == (0, "")
    return [line for line in out.splitlines() if line.startswith("#")]


def figures_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    _, out, _ = rollout(capsys, "history")
    return [line.strip() for line in out.splitlines() if not line.startswith("#")]


def test_cloudwatch_report_counts_what_the_lambda_served(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with lambda_deployment(seeded, tmp_path, percentage=50) as app:
        served = app.drive(USERS)
        assert served.errors("baseline") == served.errors("resilient") == 0, served.statuses
        saved = tmp_path / "snapshot.json"
        args = ("report", "--cloudwatch", "--min-requests", "18", "--save", str(saved))
        code, out, err = rollout(capsys, *args)
        # Another namespace holds none of it.
        _, elsewhere, _ = rollout(capsys, "report", "--cloudwatch", "--namespace", "other/ns")
    assert (code, err) == (0, ""), out
    assert out.startswith("Rollout of resilient_writes at 50% (window 1h, generated ")
    assert f"source: CloudWatch namespace {app.namespace}" in out
    assert row(out, "baseline")[:4] == ["baseline", "12", "0", "0.00%"]
    assert row(out, "resilient")[:4] == ["resilient", "18", "0", "0.00%"]
    p50, p99 = (float(ms) for ms in row(out, "resilient")[4:6])
    assert 0 < p50 <= p99  # CloudWatch's percentiles of the app's Latency
    assert "Verdict: PROMOTE" in out
    snapshot = json.loads(saved.read_text())
    per_minute = [p["requests"] for p in snapshot["series"] if p["variant"] == "resilient"]
    assert sum(per_minute) == 18
    assert row(elsewhere, "resilient")[:3] == ["resilient", "0", "0"]


def test_the_plan_from_0_to_100_on_the_lambda(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with lambda_deployment(seeded, tmp_path, percentage=0) as app:
        judge = ("--cloudwatch", "--bake", BAKE, "--window", "10m", "--min-requests", "18")
        # A dry run says what it would do, and does nothing.
        code, out, _ = rollout(capsys, "step", *judge)
        assert code == 0
        assert "Step:    promote 0% -> 10% (dry run: --apply does it)" in out
        assert app.percentage() == 0
        assert history(capsys) == []

        code, out, err = rollout(capsys, "step", *judge, "--apply", "--who", "alice")
        assert (code, err) == (0, ""), out
        assert "nothing to judge" in out
        assert app.percentage() == 10
        # At once, a second step holds: the bake time has not passed and nothing is judged.
        code, out, _ = rollout(capsys, "step", *judge, "--apply")
        assert code == 3
        assert "Step:    hold at 10%" in out

        served = app.drive(USERS)  # the Lambda follows the file: 10% now
        assert served.errors("resilient") == 0, served.statuses
        time.sleep(1.1)  # the bake time
        code, out, err = rollout(capsys, "step", *judge, "--apply", "--who", "bob")
        assert (code, err) == (0, ""), out
        assert row(out, "resilient")[:3] == ["resilient", "18", "0"]
        assert "Step:    promote 10% -> 100%" in out
        assert app.percentage() == 100
        # The record keeps the figures the step was judged on: what was just driven.
        latest = history_of_this_deployment().latest()
        assert latest is not None and (latest.from_percent, latest.to_percent) == (10, 100)
        assert latest.figures["window_seconds"] == 600
        assert app.namespace in latest.figures["source"]
        judged = latest.figures["variants"]
        assert (judged["resilient"]["requests"], judged["resilient"]["errors"]) == (18, 0)
        assert (judged["baseline"]["requests"], judged["baseline"]["errors"]) == (12, 0)
        # Done: the plan holds at 100% and says what comes after the promotion.
        code, out, _ = rollout(capsys, "step", *judge)
        assert code == 3
        assert "config-api reconcile --all --apply" in out
        records, judged_on = history(capsys), figures_lines(capsys)
    assert judged_on[0] == (
        f"judged on window 10m from CloudWatch namespace {app.namespace}: "
        "baseline 0/12 errors (0.00%); resilient 0/18 errors (0.00%)"
    )
    assert judged_on[1].startswith("judged on window 10m from CloudWatch namespace")
    assert [r.split()[2:6] for r in records] == [
        ["bob:", "promote", "10%", "->"],
        ["alice:", "promote", "0%", "->"],
    ]
    assert records[0].startswith("#2 ") and records[1].startswith("#1 ")
    assert f"file {app.flag_file}" in records[0]
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert all(today in r.split()[1] for r in records)


def history_of_this_deployment() -> RolloutHistory:
    """The deployment's own table (its environment is set), read directly."""
    settings = Settings()
    return RolloutHistory(dynamodb_client(settings), settings.table_name, RetryPolicy())


def test_a_worse_resilient_variant_is_rolled_back(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], chaos: Chaos
) -> None:
    with lambda_deployment(seeded, tmp_path, percentage=0, **FAST_RETRIES) as app:
        code, out, err = rollout(capsys, "set", "--percent", "10", "--reason", "start")
        assert (code, err) == (0, ""), out
        assert "resilient_writes: 0% -> 10%" in out
        # The resilient creates' transactions fail; the baseline's PutItem does not notice.
        error = {"statusCode": 503, "code": "ServiceUnavailable"}
        chaos.faults([{"service": "dynamodb", "operation": "TransactWriteItems", "error": error}])
        served = app.drive(USERS)
        chaos.clear()
        assert (served.errors("baseline"), served.errors("resilient")) == (0, 9)
        judge = ("--cloudwatch", "--bake", "24h", "--window", "10m", "--min-requests", "18")
        code, out, err = rollout(capsys, "step", *judge, "--apply")
        assert (code, err) == (4, ""), out  # no bake time for a roll back
        assert "Verdict: ROLL BACK" in out
        assert "Step:    roll back 10% -> 0%" in out
        assert app.percentage() == 0
        # After a roll back the plan does not raise the flag by itself.
        code, out, _ = rollout(capsys, "step", "--cloudwatch", "--bake", "1s")
        assert code == 3
        assert "rollout set --percent 10" in out
        records = history(capsys)
    assert [r.split()[3:7] for r in records] == [
        ["roll", "back", "10%", "->"],
        ["set", "0%", "->", "10%"],
    ]


def test_set_needs_a_writable_source(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (
        lambda_deployment(seeded, tmp_path, percentage=0) as app,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.delenv("ROLLOUT_FILE")  # the flag from ROLLOUT_PERCENT, as in the template
        code, out, err = rollout(capsys, "set", "--percent", "10")
        assert (code, out) == (2, "")
        assert "RolloutPercent=N" in err
        assert history(capsys) == []
        assert app.percentage() == 0


def test_cloudwatch_report_retries_as_retry_settings_say(seeded: str, chaos: Chaos) -> None:
    stack = Stack(seeded, settings_for(seeded, **FAST_RETRIES))
    error = {"statusCode": 503, "code": "ServiceUnavailable"}
    chaos.faults([{"service": "monitoring", "operation": "GetMetricData", "error": error}])
    stack.reset_requests()
    args = argparse.Namespace(cloudwatch=True, namespace="config-api/test")
    with pytest.raises(SnapshotUnavailable, match="GetMetricData failed"):
        from_args(args, stack.settings, window=600)
    assert stack.requests()["monitoring"] == {"GetMetricData": 2}  # RETRY_ATTEMPTS, not 5


def test_an_unreachable_cloudwatch_is_exit_2_with_the_error_and_logs_on_stderr() -> None:
    # The command in a process of its own: what an operator's pipeline sees on stderr.
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: refused at once
    env = child_env(AWS_ENDPOINT_URL=closed, RETRY_ATTEMPTS="2", RETRY_BASE_SECONDS="0.001")
    command = [sys.executable, "-m", "config_api.cli", "rollout", "report", "--cloudwatch"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""  # the retry's log line went to stderr, not into the results
    *logged, last = done.stderr.splitlines()
    assert last.startswith("rollout report: CloudWatch GetMetricData failed: ")
    assert [json.loads(line)["message"] for line in logged] == ["aws call retried"]
