"""Request models: the input rules of the contract, checked without HTTP."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from config_api.domain.models import (
    NAME_MAX,
    TIMEFRAME_DEFAULT,
    ConfigurationCreate,
    ConfigurationPatch,
)

VALID: dict[str, Any] = {"name": "Tech", "tickers": ["AAPL"]}


def create_body(**fields: Any) -> ConfigurationCreate:
    return ConfigurationCreate.model_validate({**VALID, **fields})


def rejected_fields(exc: pytest.ExceptionInfo[ValidationError]) -> set[tuple[Any, ...]]:
    return {tuple(e["loc"]) for e in exc.value.errors()}


def test_defaults() -> None:
    body = create_body()
    assert body.timeframe_days == TIMEFRAME_DEFAULT == 7
    assert body.include_extended_hours is False


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("  Tech  ", "Tech"),
        ("\tGrowth\n", "Growth"),
        ("Café ☕ 株", "Café ☕ 株"),
        ("Cafe\u0301", "Café"),  # NFC: the combining accent becomes one character
        ("x" * NAME_MAX, "x" * NAME_MAX),
        ("  " + "y" * NAME_MAX + "  ", "y" * NAME_MAX),  # the limit applies after trimming
        ("A", "A"),
        (
            "Family \U0001f468\u200d\U0001f469\u200d\U0001f467",
            "Family \U0001f468\u200d\U0001f469\u200d\U0001f467",
        ),
    ],
)
def test_name_accepted(raw: str, stored: str) -> None:
    assert create_body(name=raw).name == stored


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        "\t\n",
        "x" * (NAME_MAX + 1),
        "bad\x00name",
        "bell\x07",
        "line\nbreak",
        "zero\u200bwidth",
        "\u202eevil",  # right-to-left override
        "soft\u00adhyphen",
        "bom\ufeff",
        "private\ue000",
    ],
)
def test_name_rejected(name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(name=name)
    assert rejected_fields(exc) == {("name",)}


@pytest.mark.parametrize(
    "name",
    [
        "\u200d",  # a zero-width joiner alone: an invisible name
        "\u200d\u200d",
        "a\u200d",
        "\u200da",
        "a \u200d b",  # joins nothing visible
        "a\u200d\u200db",
        "a\u2028b",  # line separator
        "a\u2029b",  # paragraph separator
        "\u3164",  # Hangul filler: a letter that renders as nothing
        "\u2800",  # blank Braille pattern
        "\u0301",  # a combining accent on nothing
        "\u3164 \u2800",
    ],
)
def test_invisible_or_line_breaking_name_rejected(name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(name=name)
    assert rejected_fields(exc) == {("name",)}


@pytest.mark.parametrize(
    "name",
    [
        "\u2764\ufe0f\u200d\U0001f525",  # heart on fire: ZWJ after a variation selector
        "\U0001f469\U0001f3fd\u200d\U0001f4bb",  # technologist, skin tone
        "\u0915\u094d\u200d\u0937",  # Devanagari: ZWJ after a virama
        "Tab\u3164le",  # a blank letter inside a visible name is harmless
    ],
)
def test_joiner_between_visible_characters_accepted(name: str) -> None:
    assert create_body(name=name).name == name


@pytest.mark.parametrize("name", ["x" * (NAME_MAX + 1), "x" * (4 * NAME_MAX + 1)])
def test_too_long_name_error_names_the_contract_limit(name: str) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(name=name)
    [error] = exc.value.errors()
    assert f"at most {NAME_MAX} characters" in error["msg"]
    assert str(4 * NAME_MAX) not in error["msg"]


def test_padding_does_not_count_towards_the_limit() -> None:
    padded = " " * 100 + "y" * NAME_MAX + " " * 100
    assert create_body(name=padded).name == "y" * NAME_MAX
    assert ConfigurationPatch.model_validate({"name": padded}).name == "y" * NAME_MAX


def test_schema_states_the_contract_limit_only() -> None:
    for model in (ConfigurationCreate, ConfigurationPatch):
        schema = str(model.model_json_schema())
        assert str(4 * NAME_MAX) not in schema
        assert f"1-{NAME_MAX} characters after trimming" in schema


# Printable characters (letters, marks, numbers, punctuation, symbols) with no space at
# either edge, already in NFC form, holding at least one character that renders as
# something: such a name must come through exactly as it was sent.
_name_chars = st.characters(categories=["L", "M", "N", "P", "S", "Zs"])
_BLANK_LETTERS = "\u115f\u1160\u3164\uffa0\u2800"
_names = (
    st.text(_name_chars, min_size=1, max_size=NAME_MAX)
    .map(lambda s: unicodedata.normalize("NFC", s))
    .filter(lambda s: 1 <= len(s) <= NAME_MAX and s == s.strip())
    .filter(
        lambda s: any(unicodedata.category(c)[0] in "LNPS" and c not in _BLANK_LETTERS for c in s)
    )
)


@given(_names)
def test_any_printable_name_is_kept_unchanged(name: str) -> None:
    assert create_body(name=name).name == name


@given(
    st.text(min_size=NAME_MAX + 1, max_size=4 * NAME_MAX).filter(
        lambda s: len(unicodedata.normalize("NFC", s).strip()) > NAME_MAX
    )
)
def test_any_too_long_name_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError):
        create_body(name=name)


@pytest.mark.parametrize("count", [1, 2, 5])
def test_tickers_count_accepted(count: int) -> None:
    assert len(create_body(tickers=["AAPL"] * count).tickers) == count


@pytest.mark.parametrize(
    "tickers", [[], ["A"] * 6, "AAPL", None, [1], [""], ["A" * 17], {"AAPL": 1}]
)
def test_tickers_rejected(tickers: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(tickers=tickers)
    assert {loc[0] for loc in rejected_fields(exc)} == {"tickers"}


@pytest.mark.parametrize("days", [1, 7, 30, 365])
def test_timeframe_accepted(days: int) -> None:
    assert create_body(timeframe_days=days).timeframe_days == days


@pytest.mark.parametrize("days", [0, -1, 366, 10**9, "7", 7.0, 7.5, True, None])
def test_timeframe_rejected(days: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(timeframe_days=days)
    assert rejected_fields(exc) == {("timeframe_days",)}


@pytest.mark.parametrize("value", [True, False])
def test_extended_hours_accepted(value: bool) -> None:
    assert create_body(include_extended_hours=value).include_extended_hours is value


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, None])
def test_extended_hours_strict(value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(include_extended_hours=value)
    assert rejected_fields(exc) == {("include_extended_hours",)}


def test_unknown_field_rejected() -> None:
    with pytest.raises(ValidationError) as exc:
        create_body(colour="red")
    assert [e["type"] for e in exc.value.errors()] == ["extra_forbidden"]


@pytest.mark.parametrize("missing", ["name", "tickers"])
def test_required_fields(missing: str) -> None:
    body = {k: v for k, v in VALID.items() if k != missing}
    with pytest.raises(ValidationError) as exc:
        ConfigurationCreate.model_validate(body)
    assert rejected_fields(exc) == {(missing,)}


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as exc:
        ConfigurationCreate.model_validate(
            {"name": " ", "tickers": [], "timeframe_days": 0, "x": 1}
        )
    assert {loc[0] for loc in rejected_fields(exc)} == {"name", "tickers", "timeframe_days", "x"}


def test_patch_changes_only_the_fields_sent() -> None:
    assert ConfigurationPatch.model_validate({}).changes() == {}
    assert ConfigurationPatch.model_validate({"name": " New "}).changes() == {"name": "New"}
    patch = ConfigurationPatch.model_validate({"timeframe_days": 30, "tickers": ["msft"]})
    assert patch.changes() == {"timeframe_days": 30, "tickers": ["msft"]}
    # A field sent with its default value is still a change.
    off = ConfigurationPatch.model_validate({"include_extended_hours": False})
    assert off.changes() == {"include_extended_hours": False}


@pytest.mark.parametrize("field", ["name", "tickers", "timeframe_days", "include_extended_hours"])
def test_patch_explicit_null_rejected(field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        ConfigurationPatch.model_validate({field: None})
    assert rejected_fields(exc) == {(field,)}


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "a\u200bb"},
        {"name": "x" * (NAME_MAX + 1)},
        {"tickers": []},
        {"tickers": ["A"] * 6},
        {"timeframe_days": 0},
        {"timeframe_days": 366},
        {"timeframe_days": "7"},
        {"include_extended_hours": "yes"},
        {"config_id": "00000000-0000-0000-0000-000000000000"},
        {"created_at": "2020-01-01T00:00:00Z"},
    ],
)
def test_patch_applies_the_same_rules(body: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ConfigurationPatch.model_validate(body)
