"""`config-api rollout report --file`: saved snapshots in, report out, verdict as exit status.

The --url side runs against a real server in tests/integration/test_rollout_report.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from config_api.cli.main import main
from config_api.cli.rollout import window_seconds
from config_api.rollout.snapshot import RolloutSnapshot
from tests.support.rollout_snapshots import snapshot
from tests.support.stack import free_port


def save(tmp_path: Path, data: Any, name: str = "snapshot.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1h", 3600), ("30m", 1800), ("3600s", 3600), ("3600", 3600), ("1d", 86400), (" 2H ", 7200)],
)
def test_window_forms(text: str, seconds: int) -> None:
    assert window_seconds(text) == seconds


@pytest.mark.parametrize("text", ["", "0", "0h", "1w", "h", "-5m", "1.5h", "1h30m"])
def test_bad_windows_are_usage_errors(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollout", "report", f"--window={text}"])
    assert exited.value.code == 2
    assert "not a window" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("baseline", "resilient", "code", "decision"),
    [
        ((900, 120), (1000, 3), 0, "PROMOTE"),
        ((900, 120), (100, 0), 3, "HOLD"),
        ((9000, 90), (1000, 50), 4, "ROLL BACK"),
    ],
)
def test_file_report_exit_status_is_the_verdict(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    baseline: tuple[int, int],
    resilient: tuple[int, int],
    code: int,
    decision: str,
) -> None:
    path = save(tmp_path, snapshot(baseline, resilient))
    assert main(["rollout", "report", "--file", str(path)]) == code
    out = capsys.readouterr().out
    assert out.startswith("Rollout of resilient_writes at 10%")
    assert f"Verdict: {decision}\n" in out
    row = next(line for line in out.splitlines() if line.startswith("resilient"))
    assert row.split()[:3] == ["resilient", str(resilient[0]), str(resilient[1])]


def test_min_requests_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = save(tmp_path, snapshot((900, 120), (100, 0)))
    assert main(["rollout", "report", "--file", str(path), "--min-requests", "100"]) == 0
    assert main(["rollout", "report", "--file", str(path), "--min-requests", "101"]) == 3
    rate = ["--min-requests", "100", "--max-error-rate", "0.001"]
    hold = save(tmp_path, snapshot((900, 0), (100, 1)), "hold.json")
    assert main(["rollout", "report", "--file", str(hold), *rate]) == 3
    assert "0.10% threshold" in capsys.readouterr().out


@pytest.mark.parametrize("value", ["0", "-1", "ten", "1.5"])
def test_min_requests_must_be_positive(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollout", "report", f"--min-requests={value}"])
    assert exited.value.code == 2
    assert "not a positive whole number" in capsys.readouterr().err


def test_save_writes_the_snapshot_it_judged(tmp_path: Path) -> None:
    data = snapshot((900, 120), (1000, 3))
    copy = tmp_path / "copy.json"
    assert (
        main(["rollout", "report", "--file", str(save(tmp_path, data)), "--save", str(copy)]) == 0
    )
    assert RolloutSnapshot.model_validate_json(copy.read_text()) == RolloutSnapshot.model_validate(
        data
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot read"),
        (b"{not json", "is not JSON"),
        (b"\xff\xfe", "is not JSON"),
        (b"[1, 2]", "is not a rollout snapshot"),
        (b'{"flag": "x"}', "is not a rollout snapshot"),
        (b'{"variants": {"resilient": {"requests": "many", "errors": 0}}}', "integer"),
        (b'{"variants": {"resilient": {"requests": true, "errors": 0}}}', "integer"),
        (b'{"variants": {"baseline": []}}', "variants.baseline: Input should be"),
    ],
)
def test_unusable_file_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "snapshot.json"
    if content is not None:
        path.write_bytes(content)
    assert main(["rollout", "report", "--file", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("rollout report: ")
    assert message in captured.err


def test_unreachable_url_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    assert main(["rollout", "report", "--url", url]) == 2
    err = capsys.readouterr().err
    assert f"cannot reach {url}/ops/rollout/data?window_seconds=3600" in err


def test_url_and_file_are_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollout", "report", "--url", "http://x", "--file", "y.json"])
    assert exited.value.code == 2
    assert "not allowed with" in capsys.readouterr().err


def test_installed_command_exits_with_the_verdict(tmp_path: Path) -> None:
    """What a pipeline sees: the process exit status of the console script."""
    script = Path(sys.executable).with_name("config-api")
    path = save(tmp_path, snapshot((9000, 90), (1000, 50)))
    done = subprocess.run(
        [str(script), "rollout", "report", "--file", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 4, done.stderr
    assert "Verdict: ROLL BACK" in done.stdout


def test_help_documents_the_exit_codes() -> None:
    script = Path(sys.executable).with_name("config-api")
    done = subprocess.run(
        [str(script), "rollout", "report", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for fragment in ("0 PROMOTE", "3 HOLD", "4 ROLL BACK", "2 when no snapshot could be read"):
        assert fragment in text


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["set", "--percent", "101"], "not a percentage 0-100"),
        (["set", "--percent", "-1"], "not a percentage 0-100"),
        (["set"], "--percent"),
        (["step"], "one of the arguments --url --cloudwatch is required"),
        (["step", "--cloudwatch", "--bake", "0h"], "not a window"),
        (["report", "--cloudwatch", "--file", "x.json"], "not allowed with"),
    ],
)
def test_plan_usage_errors(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["rollout", *argv])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err
