"""`config-api local` (what `make run` runs), as a user runs it: start it, follow what it prints
(docs, a token, a curl, the chaos API), then Ctrl-C; start it again: the data are still there."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.api import BASE
from tests.support.processes import Process
from tests.support.stack import LOCAL_ENV, free_port

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("config-api")
STOP_SECONDS = 30


def printed(process: Process) -> list[str]:
    """What it printed before serving (it is flushed before the server starts)."""
    lines = process.log.read_text().splitlines()
    assert "Press Ctrl-C to stop." in lines, lines
    return lines[: lines.index("Press Ctrl-C to stop.") + 1]


def test_local_stack_serves_what_it_prints_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    assert SCRIPT.exists(), "the console script is installed next to the interpreter"
    port, emulator_port = free_port(), free_port()
    api, emulator = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{emulator_port}"
    env = {**os.environ, **LOCAL_ENV}
    for name in ("AWS_ENDPOINT_URL", "JWT_SECRET", "TABLE_NAME", "TICKER_BUCKET"):
        env.pop(name, None)  # the local stack's own defaults, as `make run` has them
    data = tmp_path / "data"
    args = ["local", "--port", str(port), "--emulator-port", str(emulator_port)]
    local = Process("local", [*args, "--data-dir", str(data)], env, tmp_path)
    try:
        local.wait_ready(f"{api}/ready")
        lines = printed(local)
        hint = f'curl -H "Authorization: Bearer $(.venv/bin/config-api token alice)" {api}{BASE}'
        assert lines == [
            f"config-api running at {api}",
            f"  docs:      {api}/docs",
            f"  emulator:  {emulator} (inject faults: POST {emulator}/_localstack/chaos/faults)",
            f"  data:      kept in {data}/",
            "  token:     .venv/bin/config-api token USER_ID   (or: make token USER_ID=alice)",
            f"  try:       {hint}",
            "Press Ctrl-C to stop.",
        ]

        docs = httpx.get(f"{api}/docs", timeout=10)
        assert docs.status_code == 200
        assert docs.headers["content-type"].startswith("text/html")
        assert "swagger-ui" in docs.text

        # The token command of the printed curl, run where `make run` runs (the project root).
        match = re.search(r"\$\((.+?)\)", hint)
        assert match
        token = subprocess.run(
            shlex.split(match.group(1)),
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout.strip()
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=api, headers=headers, timeout=30) as http:
            created = http.post(BASE, json={"name": "Tech", "tickers": ["aapl"]})
            assert created.status_code == 201, created.text
            listed = http.get(BASE)
            assert listed.status_code == 200
            assert [c["config_id"] for c in listed.json()["configurations"]] == [
                created.json()["config_id"]
            ]

            # The printed chaos API is the emulator the API uses: a DynamoDB fault reaches it.
            faults = lines[2].split("POST ")[1].rstrip(")")
            rule = {"service": "dynamodb", "operation": "Query", "error": {"statusCode": 503}}
            assert httpx.post(faults, json=[rule], timeout=10).status_code == 200
            down = http.get(BASE)
            assert (down.status_code, down.json()["code"]) == (503, "service_unavailable")
            assert httpx.post(faults, json=[], timeout=10).status_code == 200
            assert http.get(BASE).status_code == 200

        local.popen.send_signal(signal.SIGINT)  # Ctrl-C
        assert local.popen.wait(timeout=STOP_SECONDS) == 0, local.log.read_text()[-3000:]
        assert "Traceback" not in local.log.read_text()
        with pytest.raises(httpx.TransportError):  # the emulator stopped with it
            httpx.get(f"{emulator}/_emulator/requests", timeout=2)
    finally:
        local.stop()

    again = Process("local-again", [*args, "--data-dir", str(data)], env, tmp_path)
    try:
        again.wait_ready(f"{api}/ready")
        listed = httpx.get(f"{api}{BASE}", headers=headers, timeout=30)
        assert listed.json()["configurations"] == [created.json()]
    finally:
        again.stop()
