"""`config-api tickers publish FILE | --bundled`: the operator's side of the ticker cache."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from config_api.cli.main import main
from config_api.store import clients
from config_api.tickers.catalog import TickerList, load_bundled
from tests.support.stack import settings_for

GOOD: dict[str, Any] = {
    "source": "test",
    "as_of": "2026-11-27",
    "generated_at": "2026-11-28",
    "count": 2,
    "tickers": [["AAA", "Triple A", "NYSE"], ["BBB", "Bee Bee Bee", "NASDAQ"]],
    "delisted": {},
}
# The format before ticker rows were arrays, with names and exchanges that could be null.
OLD_FORMAT = {
    **GOOD,
    "tickers": [
        {"symbol": "AAA", "name": "Triple A", "exchange": "NYSE"},
        {"symbol": "BBB", "name": None, "exchange": "NASDAQ"},
    ],
}


@pytest.fixture
def key(seeded: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh object key, so the list the other tests read is never replaced."""
    fresh = f"tickers/publish-{uuid.uuid4().hex[:8]}.json"
    monkeypatch.setenv("AWS_ENDPOINT_URL", seeded)
    monkeypatch.setenv("TICKER_BUCKET", settings_for(seeded).ticker_bucket)
    monkeypatch.setenv("TICKER_KEY", fresh)
    return fresh


def stored(seeded: str, key: str) -> bytes | None:
    s3 = clients.s3_client(settings_for(seeded))
    try:
        return s3.get_object(Bucket=settings_for(seeded).ticker_bucket, Key=key)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None


def test_a_valid_list_is_uploaded(
    seeded: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps(GOOD))
    assert main(["tickers", "publish", str(path)]) == 0
    assert "published 2 symbols" in capsys.readouterr().out
    body = stored(seeded, key)
    assert body is not None
    uploaded = TickerList.from_json(body)
    assert len(uploaded) == 2
    assert uploaded.lookup("AAA") is not None and uploaded.lookup("ZZZ") is None


def test_the_seeded_s3_copy_is_the_bundled_list(seeded: str) -> None:
    assert stored(seeded, settings_for(seeded).ticker_key) == load_bundled().to_json()


def test_the_bundled_list_publishes_whole(seeded: str, key: str, tmp_path: Path) -> None:
    path = tmp_path / "bundled.json"
    path.write_bytes(load_bundled().to_json())
    assert main(["tickers", "publish", str(path)]) == 0
    body = stored(seeded, key)
    assert body is not None and len(TickerList.from_json(body)) == len(load_bundled())


def test_bundled_publishes_the_list_this_version_ships(
    seeded: str, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tickers", "publish", "--bundled"]) == 0
    assert f"published {len(load_bundled())} symbols" in capsys.readouterr().out
    assert stored(seeded, key) == load_bundled().to_json()


def test_a_file_and_bundled_together_are_refused(seeded: str, key: str, tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    path.write_text(json.dumps(GOOD))
    with pytest.raises(SystemExit) as raised:
        main(["tickers", "publish", str(path), "--bundled"])
    assert raised.value.code == 2
    assert stored(seeded, key) is None


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({**GOOD, "tickers": []}),  # empty
        json.dumps({**GOOD, "tickers": GOOD["tickers"] * 2}),  # duplicates
        json.dumps({**GOOD, "tickers": [{"ticker": "AAA"}]}),  # wrong schema
        json.dumps(OLD_FORMAT),
        json.dumps({**GOOD, "tickers": [["AAA", "Triple A", "Nasdaq"]], "count": 1}),
        "not json",
    ],
    ids=["empty", "duplicates", "schema", "old-format", "exchange", "not-json"],
)
def test_an_invalid_list_is_refused_and_nothing_uploaded(
    seeded: str, key: str, tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    assert main(["tickers", "publish", str(path)]) == 2
    assert "not published" in capsys.readouterr().err
    assert stored(seeded, key) is None


def test_a_missing_file_is_refused(
    seeded: str, key: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tickers", "publish", str(tmp_path / "absent.json")]) == 2
    assert "not published" in capsys.readouterr().err
    assert stored(seeded, key) is None
