"""Headless Chromium (Debian's /usr/bin/chromium) for the page tests, and a second origin
to serve a page from.

Chromium loads a URL, runs its scripts (a virtual time budget lets the fetches finish) and
dumps the DOM, which the tests read. Without Chromium the tests fail, never skip.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from tests.support.static_http import static_origin

CHROMIUM = Path("/usr/bin/chromium")
BROWSER_FLAGS = [
    "--headless",
    "--no-sandbox",  # root in a container has no user namespaces for the sandbox
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=10000",  # run the page's fetches and rendering to completion
]


def chromium(tmp_path: Path, *args: str) -> str:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (make test does)")
    done = subprocess.run(
        [str(CHROMIUM), *BROWSER_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def dump_dom(tmp_path: Path, url: str) -> BeautifulSoup:
    return BeautifulSoup(chromium(tmp_path, "--dump-dom", url), "html.parser")


def one(dom: BeautifulSoup | Tag, selector: str) -> Tag:
    found = dom.select_one(selector)
    assert found is not None, f"no {selector} in the page"
    return found


@contextmanager
def page_origin(html: str) -> Iterator[str]:
    """Serve `html` at / from its own origin (another port); yields that origin."""
    with static_origin(html.encode(), "text/html; charset=utf-8") as origin:
        yield origin


def attribute(tag: Tag, name: str) -> str:
    """A single-valued attribute (bs4 gives `class` and the like as lists)."""
    value = tag[name]
    assert isinstance(value, str), (name, value)
    return value
