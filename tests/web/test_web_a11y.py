"""Accessibility in the browser: axe-core (bundled by the pinned ``axe-playwright-python``, so
nothing is downloaded) finds no serious or critical violation in the dashboard, with a run's
charts drawn, nor in that run's HTML report; neither page fetches anything from elsewhere,
and the dashboard's site map draws its Natural Earth basemap at 1280 and 390 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

#: axe-core's impact levels that fail the test (``moderate`` and ``minor`` are reported only).
FAILING = ("serious", "critical")


def _violations(page: Page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    return [
        f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes']][:5]}"
        for v in found
        if v["impact"] in FAILING
    ]


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def dashboard(browser: Browser, server: str) -> Iterator[tuple[Page, list[str]]]:
    """The dashboard after a small Stargate run, and every URL it requested."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(server)
    page.select_option("#builtin", "stargate")
    page.click("#load")
    expect(page.locator("#valid")).to_contain_text("valid: stargate", timeout=30_000)
    page.fill("#draws", "256")
    page.click("#run")
    expect(page.locator("#run-status")).to_contain_text("complete", timeout=90_000)
    expect(page.locator("#fig-map .scattergeo path.point")).to_have_count(10, timeout=30_000)
    yield page, requests
    page.close()


def test_dashboard_has_no_serious_accessibility_violation(
    dashboard: tuple[Page, list[str]], server: str
) -> None:
    page, requests = dashboard
    assert _violations(page) == []
    assert [url for url in requests if not url.startswith(server)] == []  # no CDN, no map tiles


def _basemap_pixels(png: Path) -> tuple[int, int]:
    from PIL import Image

    colours = Image.open(png).convert("RGB").getcolors(maxcolors=1 << 20) or []
    land = sum(n for n, rgb in colours if rgb == (0xE9, 0xEB, 0xE4))
    sea = sum(n for n, rgb in colours if rgb == (0xDC, 0xE8, 0xF3))
    return land, sea


@pytest.mark.parametrize("width", [1280, 390])
def test_dashboard_map_draws_land_and_labels(
    dashboard: tuple[Page, list[str]], tmp_path: Path, width: int
) -> None:
    page, _ = dashboard
    page.set_viewport_size({"width": width, "height": 900})
    page.wait_for_timeout(500)  # plotly redraws at the new width
    figure = page.locator("#fig-map")
    figure.scroll_into_view_if_needed()
    shot = tmp_path / f"dashboard-map-{width}.png"
    figure.screenshot(path=str(shot))
    land, sea = _basemap_pixels(shot)
    assert land > 2000 and sea > 1000
    labels = [t for t in page.locator("#fig-map .scattergeo text").all_text_contents() if t]
    assert "7 sites, United States" in labels and "Norway" in labels
    assert page.evaluate("document.documentElement.scrollWidth") <= width  # no horizontal scroll
    page.set_viewport_size({"width": 1280, "height": 900})


def test_report_has_no_serious_accessibility_violation(
    dashboard: tuple[Page, list[str]], browser: Browser, store_root: Path, tmp_path: Path
) -> None:
    from gigawatt.report import write_report
    from gigawatt.store import Store

    (record,) = [r for r in Store(store_root).list_runs() if r.kind == "run"]
    report = write_report(record, tmp_path / "report.html")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(report.as_uri())
    page.wait_for_selector(".scattergeo path.point")
    assert _violations(page) == []
    assert [url for url in requests if not url.startswith("file:")] == []
    page.close()
