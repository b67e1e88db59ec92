"""The OpenAPI document says what the server does: request schemas refuse what the server
refuses (as far as JSON Schema can say it, and never less than the server accepts), and each
operation's error responses are the error map's statuses for the errors it can raise."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from config_api.api import error_map
from config_api.domain import errors
from config_api.domain.models import NAME_MAX, ConfigurationCreate, ConfigurationPatch
from tests.support.api import BASE, openapi

SPEC: dict[str, Any] = openapi()
ITEM = f"{BASE}/{{config_id}}"


def validator(model: str) -> Draft202012Validator:
    schema = {"$ref": f"#/components/schemas/{model}", "components": SPEC["components"]}
    return Draft202012Validator(schema)


CREATE, PATCH = validator("ConfigurationCreate"), validator("ConfigurationPatch")


def server_accepts(model: type[ConfigurationCreate | ConfigurationPatch], body: Any) -> bool:
    try:
        model.model_validate(body)
    except ValidationError:
        return False
    return True


@pytest.mark.parametrize(
    "name",
    ["", " ", "   ", "\t\n", "x" * (NAME_MAX + 1), "  " + "y" * (NAME_MAX + 1) + "  "],
    ids=["empty", "space", "spaces", "tab-newline", "51", "51-padded"],
)
def test_names_the_server_refuses_for_their_length_are_invalid_in_the_schema(name: str) -> None:
    assert not server_accepts(ConfigurationCreate, {"name": name, "tickers": ["AAPL"]})
    assert not CREATE.is_valid({"name": name, "tickers": ["AAPL"]})
    assert not PATCH.is_valid({"name": name})


@pytest.mark.parametrize("name", ["x", "x" * NAME_MAX, "  " + "z" * NAME_MAX + "\n ", " Big tech "])
def test_names_within_the_limit_after_trimming_are_valid_in_the_schema(name: str) -> None:
    assert server_accepts(ConfigurationCreate, {"name": name, "tickers": ["AAPL"]})
    assert CREATE.is_valid({"name": name, "tickers": ["AAPL"]})
    assert PATCH.is_valid({"name": name})


@given(st.text(max_size=NAME_MAX + 8))
def test_the_schema_never_refuses_a_name_the_server_accepts(raw: str) -> None:
    # Lengths are counted as the server counts them: characters after NFC and trimming (the
    # schema can only count what is sent, so this holds for NFC text, what clients send).
    name = unicodedata.normalize("NFC", raw)
    if server_accepts(ConfigurationCreate, {"name": name, "tickers": ["AAPL"]}):
        assert CREATE.is_valid({"name": name, "tickers": ["AAPL"]})
        assert PATCH.is_valid({"name": name})


@pytest.mark.parametrize("field", ["name", "tickers", "timeframe_days", "include_extended_hours"])
def test_patch_fields_are_not_nullable(field: str) -> None:
    assert not server_accepts(ConfigurationPatch, {field: None})
    assert not PATCH.is_valid({field: None})
    assert "default" not in SPEC["components"]["schemas"]["ConfigurationPatch"]["properties"][field]


def test_an_empty_patch_is_invalid_in_the_schema() -> None:
    assert not PATCH.is_valid({})  # the server's 400 "the patch changes nothing"
    assert PATCH.is_valid({"timeframe_days": 30})


# -- error responses: from the error map ------------------------------------------------------
def documented(path: str, method: str) -> set[int]:
    responses = SPEC["paths"][path][method]["responses"]
    return {int(status) for status in responses if int(status) >= 400}


def test_ready_documents_what_it_answers() -> None:
    assert documented("/ready", "get") == {500, 503}


def test_every_documented_error_status_is_one_the_error_map_gives() -> None:
    mapped = {status for _, status in error_map.STATUS_OF} | {500}
    for path, operations in SPEC["paths"].items():
        for method in operations:
            assert documented(path, method) <= mapped, (method, path)


@pytest.mark.parametrize(
    ("path", "method", "raised"),
    [
        (BASE, "post", [errors.LimitReached, errors.IdempotencyKeyReused, errors.BodyTooLarge]),
        (ITEM, "patch", [errors.VersionMismatch, errors.ConfigurationNotFound]),
        (ITEM, "get", [errors.ConfigurationNotFound, errors.Unauthenticated]),
        (BASE, "get", [errors.DependencyThrottled, errors.DeadlineExceeded]),
    ],
)
def test_operations_document_the_errors_they_raise(
    path: str, method: str, raised: list[type[errors.ConfigApiError]]
) -> None:
    responses = SPEC["paths"][path][method]["responses"]
    for exc in raised:
        status = error_map.status_for(exc)
        assert str(status) in responses, (exc, status)
        ref = responses[str(status)]["content"]["application/problem+json"]["schema"]["$ref"]
        assert ref == "#/components/schemas/Problem"
