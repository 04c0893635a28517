"""The HTML report: figures from a summary, a self-contained page, and how it looks in Chromium."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from PIL import Image

from conftest import CHROMIUM, CHROMIUM_ARGS
from gigawatt.report import figures, render_report, write_report
from gigawatt.scenario import load_scenario
from gigawatt.store import RunRecord, Store, run_recorded


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunRecord, Path]:
    from conftest import SMALL

    folder = tmp_path_factory.mktemp("report")
    path = folder / "small.yaml"
    path.write_text(
        SMALL.replace("    region: us-tx\n", "    region: us-tx\n    location: {lat: 32.5, lon: -99.8}\n")
    )
    return run_recorded(Store(folder / "store"), path, draws=1024, seed=3), path


def test_figures_follow_the_summary(recorded: tuple[RunRecord, Path]) -> None:
    record, path = recorded
    summary = record.summary
    assert summary is not None
    figs = figures(summary, load_scenario(path))
    assert set(figs) == {"capacity", "phases", "constraints", "map", "countries"}
    us = next(t for t in figs["countries"].data if t.name == "US")
    assert list(us.y) == summary["breakdown"]["country:US"]["p50"]
    p50 = next(t for t in figs["capacity"].data if t.name == "P50")
    assert list(p50.y) == summary["capacity_gw"]["p50"]
    target = next(t for t in figs["capacity"].data if t.name == "targets (online)")
    assert list(target.y) == [0.45]
    assert list(figs["map"].data[0].lat) == [32.5]  # only alpha has a location
    assert "money" not in figures({**summary, "money": {"flows": []}})
    flows = [{"payer": "lab", "payee": "cloud", "amount_usd": 2e9, "kind": "compute"}]
    sankey = figures({**summary, "money": {"flows": flows}})["money"].data[0]
    assert list(sankey.link.value) == [2.0] and list(sankey.node.label) == ["cloud", "lab"]


def test_report_is_self_contained_and_says_what_is_missing(recorded: tuple[RunRecord, Path]) -> None:
    record, path = recorded
    page = render_report(record, load_scenario(path))
    assert "<script src=" not in page and "cdn.plot.ly/plotly" not in page
    assert (
        "PlotlyGeoAssets" in page and page.count('class="plotly-graph-div"') == 5
    )  # capacity, phases, constraints, countries, map
    assert "This run has no money results" in page and "This run has no stress results" in page
    assert "half-gw" in page and record.id in page
    with_money = dataclasses.replace(record, summary={**record.summary, "money": {"circularity": 0.42}})
    assert "This run has no money results" not in render_report(with_money, None)


def test_report_renders_offline_in_chromium(recorded: tuple[RunRecord, Path], tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    record, _ = recorded
    out = write_report(record, tmp_path / "report.html")
    requests: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.route(
            "**/*",
            lambda route: route.continue_() if route.request.url.startswith("file:") else route.abort(),
        )
        page.goto(out.as_uri())
        page.wait_for_selector("#fig-capacity .scatterlayer .trace")
        page.wait_for_selector("#fig-map .scattergeo path.point")
        assert page.locator(".js-plotly-plot").count() == 5
        assert page.locator("#fig-phases .scatterlayer .trace").count() >= 5
        shot = tmp_path / "report.png"
        page.screenshot(path=str(shot), full_page=True)
        browser.close()
    assert errors == [] and all(url.startswith("file:") for url in requests)
    image = Image.open(shot).convert("RGB")
    assert image.height > 2000
    colours = image.resize((200, 400)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # charts drew, not a blank page
