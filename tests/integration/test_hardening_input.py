"""Hostile input over HTTP, continued: invisible names, look-alike tickers, id spellings."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import BASE, VALID, listed
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user


# -- names ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name",
    ["\u200d", "Tech\u200d", "a\u2028b", "a\u2029b", "\u3164", "x" * 51],
    ids=["zwj-alone", "zwj-trailing", "line-sep", "para-sep", "hangul-filler", "51"],
)
def test_invisible_or_line_breaking_names_are_400(api: httpx.Client, name: str) -> None:
    user = new_user()
    body = assert_problem(api.post(BASE, json={**VALID, "name": name}, headers=auth(user)), 400)
    assert [e["field"] for e in body["errors"]] == ["body.name"]
    assert listed(api, user) == []


def test_too_long_name_error_says_50(api: httpx.Client) -> None:
    resp = api.post(BASE, json={**VALID, "name": "x" * 300}, headers=auth(new_user()))
    [error] = assert_problem(resp, 400)["errors"]
    assert "at most 50 characters" in error["message"]


def test_schema_does_not_advertise_a_200_character_name(api: httpx.Client) -> None:
    spec = api.get("/openapi.json").json()
    name = spec["components"]["schemas"]["ConfigurationCreate"]["properties"]["name"]
    assert name.get("maxLength") != 200
    assert "1-50 characters after trimming" in name["description"]


def test_emoji_sequence_name_is_kept(api: httpx.Client) -> None:
    name = "\u2764\ufe0f\u200d\U0001f525 picks"  # heart on fire
    resp = api.post(BASE, json={**VALID, "name": name}, headers=auth(new_user()))
    assert resp.status_code == 201, resp.text
    assert resp.json()["name"] == name


# -- tickers --------------------------------------------------------------------------------
@pytest.mark.parametrize("symbol", ["\u0131bm", "\u017fpy"], ids=["dotless-i", "long-s"])
def test_non_ascii_look_alike_tickers_are_malformed(api: httpx.Client, symbol: str) -> None:
    user = new_user()
    resp = api.post(BASE, json={**VALID, "tickers": [symbol]}, headers=auth(user))
    [error] = assert_problem(resp, 400, "invalid_tickers")["errors"]
    assert error["type"] == "ticker_malformed"
    assert error["symbol"] == symbol
    assert listed(api, user) == []


# -- ids ------------------------------------------------------------------------------------
def other_spellings(config_id: str) -> list[str]:
    """Spellings uuid.UUID() accepts for the same id; the API knows only the canonical one."""
    return [
        config_id.upper(),
        "{" + config_id + "}",
        "urn:uuid:" + config_id,
        config_id.replace("-", ""),
    ]


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_only_the_canonical_id_finds_the_item(api: httpx.Client, method: str) -> None:
    user = new_user()
    created = api.post(BASE, json=VALID, headers=auth(user))
    assert created.status_code == 201, created.text
    config_id = created.json()["config_id"]
    for spelling in other_spellings(config_id):
        resp = api.request(method, f"{BASE}/{spelling}", headers=auth(user), json={"name": "x"})
        assert_problem(resp, 404, "configuration_not_found")
    [kept] = listed(api, user)
    assert kept["config_id"] == config_id and kept["name"] == VALID["name"]


@pytest.mark.parametrize(
    "raw",
    ["%1b%5b31mred", "abc%0a", "%E2%80%AE" + str(uuid.uuid4()), "a" * 5000],
    ids=["ansi", "newline", "rtl-override", "long"],
)
def test_404_detail_shows_an_odd_id_escaped(api: httpx.Client, raw: str) -> None:
    body = assert_problem(api.get(f"{BASE}/{raw}", headers=auth(new_user())), 404)
    assert body["detail"].isprintable()
    assert len(body["detail"]) < 120
