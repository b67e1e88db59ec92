"""Routing decides first: a 405 names every method of its path (Allow), whatever the body,
and HEAD is served wherever GET is (RFC 9110 §9.1, §15.5.6)."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.support.api import BASE, openapi
from tests.support.stack import auth, new_user

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]
# Every documented path (new routes are covered as they come) and the undocumented ones.
PATHS = sorted(
    {path.replace("{config_id}", str(uuid.uuid4())) for path in openapi()["paths"]}
    | {"/metrics", "/ops/rollout/flag", "/openapi.json", "/docs"}
)


def allow(resp: httpx.Response) -> set[str]:
    return {m.strip() for m in resp.headers["allow"].split(",")}


@pytest.mark.parametrize("path", PATHS)
def test_a_405_lists_exactly_the_methods_the_path_has(api: httpx.Client, path: str) -> None:
    headers = auth(new_user())
    answers = {m: api.request(m, path, headers=headers, json={}) for m in METHODS}
    refused = {m for m, resp in answers.items() if resp.status_code == 405}
    assert refused, "every path refuses some method"
    listed = [allow(answers[m]) for m in sorted(refused)]
    assert all(one == listed[0] for one in listed), listed  # one answer per path
    assert listed[0] == set(METHODS) - refused, answers
    for method in refused - {"HEAD"}:  # a HEAD answer has no body
        assert answers[method].headers["content-type"] == "application/problem+json"
        assert answers[method].json()["code"] == "method_not_allowed"


def test_the_collection_and_an_item_list_their_methods(api: httpx.Client) -> None:
    # The issue's own examples: `allow: GET` was all a PUT on an item was told.
    assert {"GET", "POST"} <= allow(api.put(BASE, json={}))
    item = allow(api.post(f"{BASE}/{uuid.uuid4()}", json={}))
    assert {"GET", "PATCH", "DELETE"} <= item


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (None, None),
        (b"plain text", "text/plain"),
        (b"x" * 100_000, "application/json"),  # over the body limit
    ],
    ids=["no-body", "not-json", "too-large"],
)
@pytest.mark.parametrize("path", ["/health", f"{BASE}/{uuid.uuid4()}"])
def test_a_method_the_path_lacks_is_405_whatever_the_body(
    api: httpx.Client, path: str, content: bytes | None, content_type: str | None
) -> None:
    headers = auth(new_user()) | ({"Content-Type": content_type} if content_type else {})
    resp = api.put(path, content=content, headers=headers) if "health" in path else None
    resp = resp or api.post(path, content=content, headers=headers)
    assert resp.status_code == 405, resp.text
    assert resp.json()["code"] == "method_not_allowed"


def test_a_path_no_route_has_is_404_whatever_the_body(api: httpx.Client) -> None:
    resp = api.post("/api/v2/nothing", content=b"plain", headers={"Content-Type": "text/plain"})
    assert resp.status_code == 404, resp.text


@pytest.mark.parametrize("path", ["/health", BASE, "/ops/rollout/data"])
def test_head_is_get_without_the_body(api: httpx.Client, path: str) -> None:
    headers = auth(new_user())
    got, head = api.get(path, headers=headers), api.head(path, headers=headers)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert "x-correlation-id" in head.headers


def test_head_keeps_the_get_errors(api: httpx.Client) -> None:
    resp = api.head(BASE)  # no token
    assert resp.status_code == 401
    assert resp.content == b""
    assert api.head(f"{BASE}/{uuid.uuid4()}", headers=auth(new_user())).status_code == 404
