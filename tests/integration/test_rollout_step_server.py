"""`rollout step --url` in server mode: the server's own stats judged, the flag file changed."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest

from config_api.cli.main import seed_stack
from config_api.rollout.flag import percentage_of, rules_for
from tests.support.lambda_rollout import rollout
from tests.support.rollout_traffic import drive
from tests.support.stack import api_server, client, settings_for


def same_minute_for(seconds: float) -> None:
    """The server counts per wall-clock minute and a short bake window reads the current one:
    traffic and verdict must fall in the same minute, so start early in one."""
    left = 60 - time.time() % 60
    if left < seconds:
        time.sleep(left + 0.05)


def test_step_on_a_server_follows_its_stats(
    seeded: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    flag = tmp_path / "rollout.json"
    flag.write_text(json.dumps(rules_for(0)))
    table = f"rollout-{uuid.uuid4().hex[:8]}"
    settings = settings_for(seeded, table_name=table, rollout_file=flag, rollout_reload_seconds=0)
    seed_stack(settings)
    env = {"AWS_ENDPOINT_URL": seeded, "TABLE_NAME": table, "ROLLOUT_FILE": str(flag)}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with api_server(settings) as url, client(url) as http:
        assert rollout(capsys, "set", "--percent", "10")[0] == 0
        same_minute_for(10)
        served = drive(http, 10, {"baseline": 6, "resilient": 9})
        assert served.errors("resilient") == 0
        time.sleep(1.1)  # the bake time
        code, out, err = rollout(
            capsys, "step", "--url", url, "--bake", "1s", "--min-requests", "18", "--apply"
        )
        assert (code, err) == (0, ""), out
        assert "Step:    promote 10% -> 100%" in out
        assert percentage_of(json.loads(flag.read_text())) == 100
        assert http.get("/ops/rollout/data").json()["percentage"] == 100  # the server follows
