"""The dashboard as a user drives it, in headless Chromium (the system's, never a downloaded one)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from conftest import CHROMIUM, CHROMIUM_ARGS
from gigawatt.web.app import create_app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_app(tmp_path_factory.mktemp("store")), host="127.0.0.1", port=port, log_level="warning"
    )
    app_server = uvicorn.Server(config)
    thread = threading.Thread(target=app_server.run, daemon=True)
    thread.start()
    end = time.monotonic() + 20
    while not app_server.started and time.monotonic() < end:
        time.sleep(0.05)
    assert app_server.started
    yield f"http://127.0.0.1:{port}"
    app_server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Page]:
    with sync_playwright() as p:
        browser = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors: list[str] = []
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(server)
        yield tab
        browser.close()
        assert errors == []


def _run(page: Page, seed: int) -> str:
    page.fill("#draws", "1024")
    page.fill("#seed", str(seed))
    page.click("#run")
    expect(page.locator("#run-status")).to_contain_text("complete", timeout=60_000)
    return page.locator("#result-id").inner_text().removeprefix("run ")


def test_pick_stargate_run_see_fan_chart_break_yaml_and_compare(page: Page, tmp_path: Path) -> None:
    page.select_option("#builtin", "stargate")
    page.click("#load")
    expect(page.locator("#valid")).to_contain_text("valid: stargate (10 sites", timeout=20_000)
    first = _run(page, seed=1)
    assert page.locator("#progress").evaluate("el => el.value") == 1
    expect(page.locator("#fig-capacity .scatterlayer .trace")).to_have_count(4)
    expect(page.locator("#fig-map .scattergeo path.point")).to_have_count(10)
    assert "P50" in (page.locator("#fig-capacity .legend").text_content() or "")

    text = page.locator("#editor").input_value()
    page.fill("#editor", text.replace("step: week", "step: fortnight"))
    problem = page.locator("#problems li")
    expect(problem).to_have_count(1, timeout=10_000)
    line = text[: text.index("step: week")].count("\n") + 1
    expect(problem).to_contain_text(f"scenario.yaml:{line}:")
    expect(problem).to_contain_text("time.step: Input should be 'week', 'month' or 'quarter'")
    page.click("#run")
    expect(page.locator("#run-status")).to_contain_text("fix the scenario first")

    page.fill("#editor", text)
    expect(page.locator("#problems li")).to_have_count(0, timeout=10_000)
    second = _run(page, seed=2)
    assert first != second
    page.check(f"input[name=a][value='{first}']")
    page.check(f"input[name=b][value='{second}']")
    page.click("#compare")
    result = page.locator("#comparison-result")
    expect(result).to_contain_text("Settings: 1 differences", timeout=30_000)
    expect(result).to_contain_text("Inputs (scenario): 0 differences")
    expect(result.locator("td", has_text="seed")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
