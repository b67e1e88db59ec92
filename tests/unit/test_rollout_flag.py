"""The `resilient_writes` flag: sticky buckets, percentages, and where the rules come from."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.feature_flags import AppConfigStore

from config_api.domain.errors import RolloutReadOnly
from config_api.rollout import FLAG, RolloutFlag, bucket, rules_for
from config_api.rollout.flag import percentage_of
from config_api.rollout.sources import (
    AppConfigSource,
    FileSource,
    SettingsSource,
    source_from_settings,
)
from config_api.settings import Settings

USERS = [f"user-{i}" for i in range(10_000)]


def flag_at(percentage: int) -> RolloutFlag:
    return RolloutFlag(SettingsSource(percentage, writable=True))


def in_flag(flag: RolloutFlag) -> set[str]:
    return {u for u in USERS if flag.enabled(u)}


def test_bucket_is_sha256_of_the_user_id_not_python_hash() -> None:
    expected = int.from_bytes(hashlib.sha256(b"user-42").digest()[:8], "big") % 100
    assert bucket("user-42") == expected
    assert bucket("\ud800") in range(100)  # a lone surrogate from a JSON `sub` still hashes


def test_ten_percent_is_ten_percent_and_the_same_users_every_time() -> None:
    flag = flag_at(10)
    first = in_flag(flag)
    assert 900 <= len(first) <= 1100  # 10% ± 1 of 10,000
    assert in_flag(flag) == first
    assert in_flag(flag_at(10)) == first  # another process computes the same split
    assert first == {u for u in USERS if bucket(u) < 10}


def test_zero_is_nobody_and_a_hundred_is_everybody() -> None:
    assert in_flag(flag_at(0)) == set()
    assert in_flag(flag_at(100)) == set(USERS)


def test_raising_the_percentage_keeps_everyone_already_in() -> None:
    flag = flag_at(10)
    ten = in_flag(flag)
    flag.set_percentage(20, source="test")
    twenty = in_flag(flag)
    assert ten < twenty
    assert 1900 <= len(twenty) <= 2100


@pytest.mark.parametrize("percentage", [0, 1, 10, 50, 99, 100])
def test_the_rules_are_powertools_modulo_range(percentage: int) -> None:
    document = rules_for(percentage)
    assert percentage_of(document) == percentage
    if percentage > 0:
        (rule,) = document[FLAG]["rules"].values()
        (condition,) = rule["conditions"]
        assert condition["action"] == "MODULO_RANGE"
        assert condition["value"] == {"BASE": 100, "START": 0, "END": percentage - 1}


def test_a_change_of_percentage_is_logged_with_its_source(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flag = flag_at(10)
    with caplog.at_level(logging.INFO):
        assert flag.set_percentage(25, source="admin") == 10
        flag.set_percentage(25, source="admin")  # no change, no line
    (line,) = [vars(r) for r in caplog.records if r.getMessage() == "rollout percentage changed"]
    assert (line["old"], line["new"], line["source"], line["store"]) == (
        10,
        25,
        "admin",
        "settings",
    )
    assert flag.percentage() == 25


def test_a_read_only_source_refuses_changes() -> None:
    flag = RolloutFlag(SettingsSource(10, writable=False))
    with pytest.raises(RolloutReadOnly):
        flag.set_percentage(50, source="admin")
    assert flag.percentage() == 10


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def write(path: Path, document: Any) -> None:
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)


def test_the_file_is_reloaded_without_a_restart(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, clock = tmp_path / "rollout.json", Clock()
    write(path, rules_for(10))
    flag = RolloutFlag(FileSource(path, reload_seconds=5, writable=True, clock=clock))
    ten = in_flag(flag)
    assert flag.percentage() == 10
    write(path, rules_for(30))
    assert flag.percentage() == 10  # checked at most every 5 s
    clock.now += 5
    with caplog.at_level(logging.INFO):
        assert flag.percentage() == 30
    assert ten < in_flag(flag)
    (line,) = [vars(r) for r in caplog.records if r.getMessage() == "rollout percentage changed"]
    assert (line["old"], line["new"], line["store"]) == (10, 30, f"file {path}")


@pytest.mark.parametrize(
    "bad", ["{not json", json.dumps({FLAG: {"default": "yes", "rules": []}}), "[]"]
)
def test_a_broken_file_keeps_the_last_good_rules(tmp_path: Path, bad: str) -> None:
    path, clock = tmp_path / "rollout.json", Clock()
    write(path, rules_for(40))
    flag = RolloutFlag(FileSource(path, reload_seconds=0, writable=True, clock=clock))
    write(path, bad)
    clock.now += 1
    assert flag.percentage() == 40
    path.unlink()
    clock.now += 1
    assert flag.percentage() == 40
    write(path, rules_for(60))  # fixed: picked up again
    clock.now += 1
    assert flag.percentage() == 60


def test_a_broken_file_at_start_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    with pytest.raises(FileNotFoundError):
        FileSource(path, reload_seconds=5, writable=True)
    write(path, "{}}")
    with pytest.raises(ValueError):
        FileSource(path, reload_seconds=5, writable=True)


def test_the_admin_change_rewrites_the_file_for_every_reader(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    write(path, rules_for(10))
    flag = RolloutFlag(FileSource(path, reload_seconds=3600, writable=True))
    other = RolloutFlag(FileSource(path, reload_seconds=0, writable=False))
    flag.set_percentage(70, source="admin")
    assert flag.percentage() == other.percentage() == 70
    assert json.loads(path.read_text()) == rules_for(70)
    assert [p.name for p in tmp_path.iterdir()] == ["rollout.json"]  # no temporary left


def test_any_valid_powertools_document_works(tmp_path: Path) -> None:
    """An operator may write other rules (here: buckets 50-74); the percentage is their share."""
    path = tmp_path / "rollout.json"
    condition = {"action": "MODULO_RANGE", "key": "user_bucket"}
    condition["value"] = {"BASE": 100, "START": 50, "END": 74}  # type: ignore[assignment]
    write(
        path,
        {FLAG: {"default": False, "rules": {"r": {"when_match": True, "conditions": [condition]}}}},
    )
    flag = RolloutFlag(FileSource(path, reload_seconds=5, writable=False))
    assert flag.percentage() == 25
    assert in_flag(flag) == {u for u in USERS if 50 <= bucket(u) <= 74}


def test_settings_choose_the_source(tmp_path: Path) -> None:
    path = tmp_path / "rollout.json"
    write(path, rules_for(5))
    assert isinstance(source_from_settings(Settings(), writable=True), SettingsSource)
    assert RolloutFlag(source_from_settings(Settings(), writable=True)).percentage() == 100
    from_file = source_from_settings(Settings(ROLLOUT_FILE=str(path)), writable=True)
    assert isinstance(from_file, FileSource) and from_file.writable
    appconfig = Settings(
        ROLLOUT_FILE=str(path),  # AppConfig wins
        ROLLOUT_APPCONFIG_APP="config-api",
        ROLLOUT_APPCONFIG_ENV="prod",
        ROLLOUT_APPCONFIG_PROFILE="rollout",
        ROLLOUT_PERCENT=0,
    )
    source = source_from_settings(appconfig, writable=True)
    assert isinstance(source, AppConfigSource)
    assert isinstance(source.store, AppConfigStore)
    assert (source.store.application, source.store.environment, source.store.name) == (
        "config-api",
        "prod",
        "rollout",
    )
    with pytest.raises(RolloutReadOnly):
        source.write(rules_for(10))
    with pytest.raises(ValueError, match="go together"):
        Settings(ROLLOUT_APPCONFIG_APP="config-api")
