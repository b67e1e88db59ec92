"""Bad settings stop every command with one line per variable and exit 2, not a traceback
from deep inside the server's start-up (a missing ROLLOUT_FILE used to fail in uvicorn's
lifespan with a stack trace)."""

from __future__ import annotations

from pathlib import Path

import pytest

from config_api.cli.main import main


def test_each_bad_variable_is_named_on_a_line_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ROLLOUT_FILE", str(tmp_path / "not-there.json"))
    monkeypatch.setenv("MAX_CONFIGURATIONS", "many")
    monkeypatch.setenv("JWT_SECRET", "s3cret-value")
    assert main(["serve", "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # nothing started: not even the "serving on" line
    assert err.splitlines() == [
        "config-api: invalid settings (2):",
        "  MAX_CONFIGURATIONS: Input should be a valid integer, unable to parse string as an"
        " integer",
        "  ROLLOUT_FILE: Path does not point to a file",
    ]


def test_a_rule_across_variables_is_reported_too(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", '["*"]')
    assert main(["rollout", "history"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("config-api: invalid settings (1):\n  (settings): ")
    assert "CORS_ALLOW_ORIGINS must list origins" in err


def test_an_existing_rollout_file_is_accepted(tmp_path: Path) -> None:
    from config_api.settings import Settings

    flag = tmp_path / "rollout.json"
    flag.write_text("{}")
    assert Settings(rollout_file=flag).rollout_file == flag


def test_a_list_that_is_not_json_is_named_without_its_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # pydantic-settings parses list variables as JSON before validating (SettingsError).
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "not json, s3cret")
    assert main(["rollout", "history"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("config-api: invalid settings (1):\n  ")
    assert "cors_allow_origins" in err
    assert "s3cret" not in err
