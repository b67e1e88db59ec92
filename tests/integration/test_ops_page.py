"""The /ops/rollout page in headless Chromium against a real server with real traffic.

Debian's `chromium` (installed by the Makefile's `browser` target, which `make test` runs)
loads the page the app serves; the page fetches /ops/rollout/data and draws it. The tests read
the DOM Chromium dumps: both variants' figures as the data endpoint serves them, the chart's
lines, the verdict. Without Chromium they fail.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup, Tag
from matplotlib import image

from tests.support.browser import attribute, chromium, dump_dom, one
from tests.support.rollout_traffic import Served, drive
from tests.support.stack import Chaos, api_server, client, settings_for

PERCENT = 50
USERS = {"baseline": 10, "resilient": 8}
# Throttling on DynamoDB while the traffic runs, so the error rates are not all zero.
THROTTLE = {
    "service": "dynamodb",
    "probability": 0.3,
    "error": {"statusCode": 400, "code": "ProvisionedThroughputExceededException"},
}
VARIANTS = ("baseline", "resilient")


@pytest.fixture(scope="module")
def live(seeded: str) -> Iterator[tuple[str, Served]]:
    with api_server(settings_for(seeded, rollout_percent=PERCENT)) as url:
        chaos = Chaos(seeded)
        chaos.faults([THROTTLE])
        try:
            with client(url) as http:
                served = drive(http, PERCENT, USERS)
        finally:
            chaos.clear()
        yield url, served


def served_data(url: str, **params: Any) -> dict[str, Any]:
    resp = httpx.get(f"{url}/ops/rollout/data", params=params, timeout=30)
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


def test_page_shows_both_variants_as_the_data_endpoint_serves_them(
    live: tuple[str, Served], tmp_path: Path
) -> None:
    url, served = live
    dom = dump_dom(tmp_path, f"{url}/ops/rollout?window_seconds=900")
    data = served_data(url, window_seconds=900)  # nothing counted in between: no traffic

    status = one(dom, "#status")
    assert status["data-state"] == "ok", status.get_text()
    assert one(dom, "#window option[selected]")["value"] == "900"
    assert one(dom, "#flag").get_text() == "resilient_writes"
    assert one(dom, "#percentage").get_text() == str(PERCENT)
    assert one(dom, "#verdict")["data-decision"] == data["verdict"]["decision"]
    assert one(dom, "#verdict-decision").get_text() == data["verdict"]["decision"]
    assert one(dom, "#verdict-reason").get_text() == data["verdict"]["reason"]
    for variant in VARIANTS:
        figures = data["variants"][variant]
        assert figures["requests"] == served.requests(variant) > 0
        assert figures["errors"] == served.errors(variant)
        row = one(dom, f'#variant-rows tr[data-variant="{variant}"]')

        def cell(field: str, row: Tag = row) -> Tag:
            return one(row, f'td[data-field="{field}"]')

        assert cell("variant").get_text() == variant
        assert cell("requests")["data-value"] == str(figures["requests"])
        assert cell("requests").get_text() == f"{figures['requests']:,}"
        assert cell("errors")["data-value"] == str(figures["errors"])
        assert cell("errors").get_text() == f"{figures['errors']:,}"
        rate = figures["errors"] / figures["requests"]
        assert cell("error_rate").get_text() == f"{rate * 100:.2f}%"
        assert cell("p50_ms").get_text() == f"{figures['p50_ms']:.1f} ms"
        assert cell("p99_ms").get_text() == f"{figures['p99_ms']:.1f} ms"


def test_chart_draws_each_variants_error_rate_per_minute(
    live: tuple[str, Served], tmp_path: Path
) -> None:
    url, _ = live
    dom = dump_dom(tmp_path, f"{url}/ops/rollout")
    data = served_data(url)
    chart = one(dom, "svg#error-rate-chart")
    assert one(chart, "#threshold").name == "line"
    axis_y = float(attribute(one(chart, "line"), "y1"))  # the first grid line is the 0% axis
    heights: list[tuple[float, float]] = []  # (error rate, y on screen) of every bucket
    for variant in VARIANTS:
        assert one(dom, f'#legend [data-variant="{variant}"]').get_text() == variant
        buckets = [p for p in data["series"] if p["variant"] == variant and p["requests"]]
        path = one(chart, f'path.series[data-variant="{variant}"]')
        assert path["data-points"] == str(len(buckets)) != "0"
        points = [
            (float(x), float(y))
            for x, y in re.findall(r"[ML]([\d.]+),([\d.]+)", attribute(path, "d"))
        ]
        # A step line: each bucket is a flat segment from its start to its end, in time order.
        assert len(points) == 2 * len(buckets)
        starts = [x for x, _ in points[::2]]
        assert starts == sorted(starts)
        for (x0, y0), (x1, y1), bucket in zip(points[::2], points[1::2], buckets, strict=True):
            assert x0 < x1
            assert y0 == y1
            rate = bucket["errors"] / bucket["requests"]
            assert (y0 == axis_y) == (rate == 0)
            heights.append((rate, y0))
    # Higher error rates are drawn higher up (smaller y), across both variants.
    by_rate = sorted(heights)
    assert [y for _, y in by_rate] == sorted((y for _, y in by_rate), reverse=True)


def test_screenshot_of_the_page(live: tuple[str, Served], tmp_path: Path) -> None:
    url, _ = live
    png = tmp_path / "ops_page.png"
    chromium(tmp_path, "--window-size=1100,900", f"--screenshot={png}", f"{url}/ops/rollout")
    content = png.read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", content[16:24]) == (1100, 900)  # IHDR width, height
    pixels = image.imread(png)[:, :, :3]
    assert pixels.std() > 0.05  # not a blank page
    resilient_blue = (abs(pixels - [0x25 / 255, 0x63 / 255, 0xEB / 255]) < 0.02).all(axis=2)
    assert resilient_blue.sum() > 200  # the legend, the table swatch and the chart line


def test_page_says_when_it_cannot_load_the_data(live: tuple[str, Served], tmp_path: Path) -> None:
    url, _ = live
    too_long = 8 * 86400  # over the data endpoint's limit: it answers 400
    dom = dump_dom(tmp_path, f"{url}/ops/rollout?window_seconds={too_long}")
    status = one(dom, "#status")
    assert status["data-state"] == "error"
    assert status.get_text() == "could not load rollout/data: HTTP 400"
    assert one(dom, f'#window option[value="{too_long}"]').get_text() == f"{too_long}s"


def test_page_is_self_contained(live: tuple[str, Served]) -> None:
    """No build step and no CDN: nothing but the page itself and its data endpoint."""
    resp = httpx.get(f"{live[0]}/ops/rollout", timeout=30)
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/html; charset=utf-8"
    assert resp.headers["cache-control"] == "no-store"
    dom = BeautifulSoup(resp.text, "html.parser")
    assert all(not tag.has_attr("src") for tag in dom.find_all(["script", "img", "iframe"]))
    assert dom.find("link") is None
    urls = set(re.findall(r"https?://[^\s\"')]+", resp.text))
    assert urls == {"http://www.w3.org/2000/svg"}  # the SVG namespace name, never fetched
