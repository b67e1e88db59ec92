"""Optimistic concurrency: ETag on GET/PATCH, If-Match checked by the conditional update."""

from __future__ import annotations

from functools import partial
from typing import Any

import httpx
import pytest

from config_api.store.items import config_to_item
from tests.support.api import BASE, create
from tests.support.problems import assert_problem
from tests.support.stack import auth, new_user
from tests.support.table import Table, concurrently, legacy_config


def first_version(api: httpx.Client, user: str) -> str:
    """A new configuration's id (its first version: ETag "1")."""
    resp = create(api, user, name="Original")
    assert resp.status_code == 201, resp.text
    assert resp.headers["ETag"] == '"1"'
    config_id: str = resp.json()["config_id"]
    return config_id


def patch(
    api: httpx.Client, user: str, config_id: str, name: str, if_match: str | bytes | None
) -> httpx.Response:
    headers: dict[str, Any] = auth(user)
    if if_match is not None:
        headers["If-Match"] = if_match
    return api.patch(f"{BASE}/{config_id}", json={"name": name}, headers=headers)


def get(api: httpx.Client, user: str, config_id: str) -> httpx.Response:
    resp = api.get(f"{BASE}/{config_id}", headers=auth(user))
    assert resp.status_code == 200, resp.text
    return resp


def assert_precondition_failed(resp: httpx.Response) -> None:
    assert_problem(resp, 412, "precondition_failed")


def test_get_and_patch_send_etags_and_current_if_match_wins(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    etag = get(api, user, config_id).headers["ETag"]
    assert etag == '"1"'
    updated = patch(api, user, config_id, "Renamed", etag)
    assert updated.status_code == 200, updated.text
    assert updated.headers["ETag"] == '"2"'
    fetched = get(api, user, config_id)
    assert fetched.headers["ETag"] == '"2"'
    assert fetched.json()["name"] == "Renamed"


def test_stale_if_match_is_412_and_changes_nothing(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    assert patch(api, user, config_id, "First", '"1"').status_code == 200
    assert_precondition_failed(patch(api, user, config_id, "Second", '"1"'))
    fetched = get(api, user, config_id)
    assert fetched.json()["name"] == "First"
    assert fetched.headers["ETag"] == '"2"'


def test_if_match_star_matches_any_version(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    assert patch(api, user, config_id, "One", None).status_code == 200
    resp = patch(api, user, config_id, "Two", "*")
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"3"'


@pytest.mark.parametrize(
    "if_match",
    [
        "garbage",
        '"abc"',
        '"-1"',
        '"2"',
        '"2", "3"',  # a list, none of it current
        '"99999999999999999999"',
        '"²"'.encode(),
        'W/"1"',  # the current version, but weak: If-Match compares strongly
        'W/"1", "2"',
        '"01"',  # entity tags compare as strings: "01" is not "1"
        '"0001"',
        '"1" "2"',  # not a list: the comma is missing
        '"1',
        '*, "1"',  # `*` stands alone
        "",
    ],
    ids=[
        "bare",
        "letters",
        "negative",
        "future",
        "list",
        "huge",
        "superscript",
        "weak",
        "weak-in-list",
        "leading-zero",
        "leading-zeros",
        "no-comma",
        "unterminated",
        "star-in-list",
        "empty",
    ],
)
def test_unmatched_or_garbage_if_match_is_412(api: httpx.Client, if_match: str | bytes) -> None:
    user = new_user()
    config_id = first_version(api, user)
    assert_precondition_failed(patch(api, user, config_id, "Nope", if_match))
    assert get(api, user, config_id).headers["ETag"] == '"1"'


@pytest.mark.parametrize(
    "if_match",
    ['"3", "1"', '"1" ,  W/"2"', ', "7",, "1" ,', '"a,b", "1"'],
    ids=["list", "with-weak", "empty-elements", "comma-inside-tag"],
)
def test_if_match_list_matches_when_any_tag_is_current(api: httpx.Client, if_match: str) -> None:
    user = new_user()
    config_id = first_version(api, user)
    resp = patch(api, user, config_id, "Listed", if_match)
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"2"'
    # Still conditional: the same list no longer matches once the version moved on.
    assert_precondition_failed(patch(api, user, config_id, "Again", if_match))
    assert get(api, user, config_id).json()["name"] == "Listed"


def test_if_match_list_naming_the_next_version_too(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    for name in ("One", "Two"):  # "1", then "2": each time one of the tags is current
        assert patch(api, user, config_id, name, '"1", "2"').status_code == 200
    assert_precondition_failed(patch(api, user, config_id, "Three", '"1", "2"'))
    assert get(api, user, config_id).headers["ETag"] == '"3"'


@pytest.mark.parametrize("if_match", ['"1", "2"', "garbage"])
def test_if_match_on_a_missing_item_is_404(api: httpx.Client, if_match: str) -> None:
    # RFC 9110 13.2.1: a precondition is ignored when the request would fail without it.
    resp = patch(api, new_user(), "00000000-0000-4000-8000-000000000000", "Ghost", if_match)
    assert resp.status_code == 404, resp.text


def test_missing_if_match_is_allowed(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    resp = patch(api, user, config_id, "No precondition", None)
    assert resp.status_code == 200, resp.text
    assert resp.headers["ETag"] == '"2"'


def test_concurrent_patches_with_same_if_match_one_wins(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    for version in range(1, 11):
        etag = f'"{version}"'
        names = [f"A{version}", f"B{version}"]
        responses = concurrently(
            [partial(patch, api, user, config_id, name, etag) for name in names]
        )
        assert sorted(r.status_code for r in responses) == [200, 412], [r.text for r in responses]
        [winner] = [r for r in responses if r.status_code == 200]
        assert winner.headers["ETag"] == f'"{version + 1}"'
        for resp in responses:
            if resp.status_code == 412:
                assert_precondition_failed(resp)
        fetched = get(api, user, config_id)
        assert fetched.json()["name"] == winner.json()["name"]
        assert fetched.headers["ETag"] == f'"{version + 1}"'


@pytest.mark.parametrize("if_match", ['"1"', "*", None])
def test_patch_of_another_users_item_is_404(api: httpx.Client, if_match: str | None) -> None:
    owner, other = new_user(), new_user()
    config_id = first_version(api, owner)
    resp = patch(api, other, config_id, "Hijack", if_match)
    assert resp.status_code == 404, resp.text
    assert resp.json()["code"] == "configuration_not_found"
    fetched = get(api, owner, config_id)
    assert fetched.json()["name"] == "Original"
    assert fetched.headers["ETag"] == '"1"'


def test_patch_of_deleted_item_with_if_match_is_404(api: httpx.Client) -> None:
    user = new_user()
    config_id = first_version(api, user)
    assert api.delete(f"{BASE}/{config_id}", headers=auth(user)).status_code == 204
    assert patch(api, user, config_id, "Ghost", '"1"').status_code == 404


def test_item_stored_without_version_reads_as_1_and_can_be_patched(
    api: httpx.Client, table: Table
) -> None:
    """Written by another writer (or before versions): no `version` attribute at all."""
    user, config = new_user(), legacy_config("Unversioned")
    item = config_to_item(user, config)
    del item["version"]
    table.db.put_item(TableName=table.name, Item=item)
    assert get(api, user, config.config_id).headers["ETag"] == '"1"'
    assert_precondition_failed(patch(api, user, config.config_id, "Stale", '"2"'))
    first = patch(api, user, config.config_id, "With If-Match", '"1"')
    assert first.status_code == 200, first.text
    assert first.headers["ETag"] == '"2"'
    assert_precondition_failed(patch(api, user, config.config_id, "Again", '"1"'))
    second = patch(api, user, config.config_id, "Without If-Match", None)
    assert second.headers["ETag"] == '"3"'
