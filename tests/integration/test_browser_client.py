"""A page on another origin calls the API as the dashboard's browser client does, in headless
Chromium: search, validate, create, list, PUT, PATCH with If-Match, delete. The browser
enforces CORS; the test reads what the page wrote into the DOM.

The same page against a server missing one CORS header, and from an origin the server does
not list, must see its first call blocked: the test can fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tests.support.browser import dump_dom, one, page_origin
from tests.support.stack import api_server, auth, client, new_user, settings_for, token

PAGE = (Path(__file__).parent / "dashboard_client.html").read_text()
CONFIGS = "/api/v2/configurations"
STALE = "The configuration was changed since you read it (If-Match does not match)"


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    with page_origin(PAGE) as url:
        yield url


def run_page(tmp_path: Path, origin: str, api: str, user: str) -> dict[str, str]:
    """The steps the page recorded, in order: {step: status or value}."""
    dom: BeautifulSoup = dump_dom(
        tmp_path, f"{origin}/?{urlencode({'api': api, 'token': token(user)})}"
    )
    assert one(dom, "body").get("data-done") == "true", "the page did not finish"
    return {str(item["id"]): str(item["data-value"]) for item in dom.select("#steps li")}


def test_the_dashboard_client_works_from_another_origin(
    seeded: str, origin: str, tmp_path: Path
) -> None:
    user = new_user()
    with api_server(settings_for(seeded, cors_allow_origins=[origin])) as api:
        steps = run_page(tmp_path, origin, api, user)
        with client(api) as http:
            left = http.get(CONFIGS, headers=auth(user)).json()["configurations"]
    assert steps.pop("create-correlation-id")  # an exposed header the page could read
    assert steps == {
        "search": "200",
        "search-first": "SPY",
        "validate": "200",
        "validate-name": "Berkshire Hathaway Inc. Class B",
        "create": "201",
        "create-etag": '"1"',
        "create-location": steps["create-location"],
        "list": "200",
        "list-count": "1",
        "put": "200",
        "put-etag": '"2"',
        "put-timeframe": "7",
        "patch": "200",
        "patch-etag": '"3"',
        "stale-patch": "412",
        "stale-message": STALE,
        "delete": "204",
    }
    assert steps["create-location"].startswith(f"{CONFIGS}/")
    assert left == []


class WithoutHeader:
    """The app with one response header removed: a server whose CORS lacks it."""

    def __init__(self, app: ASGIApp, header: str) -> None:
        self.app, self.header = app, header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def strip(message: Message) -> None:
            if message["type"] == "http.response.start":
                del MutableHeaders(scope=message)[self.header]
            await send(message)

        await self.app(scope, receive, strip)


@pytest.mark.parametrize("case", ["without Allow-Credentials", "origin not listed"])
def test_the_browser_blocks_the_client_when_cors_is_wrong(
    seeded: str, origin: str, tmp_path: Path, case: str
) -> None:
    user = new_user()
    if case == "origin not listed":
        server = api_server(settings_for(seeded, cors_allow_origins=["http://127.0.0.1:9"]))
    else:
        settings = settings_for(seeded, cors_allow_origins=[origin])
        server = api_server(
            settings, wrap=lambda app: WithoutHeader(app, "access-control-allow-credentials")
        )
    with server as api:
        steps = run_page(tmp_path, origin, api, user)
        with client(api) as http:
            stored = http.get(CONFIGS, headers=auth(user)).json()["configurations"]
    assert steps["search"] == "blocked"
    assert "create" not in steps and stored == []
