"""Regenerate the README's images: the report and the dashboard of a Stargate run.

Run from the repository root: ``.venv/bin/python docs/screenshots.py``. It records a
10,000-draw, seed-0 run of the built-in Stargate scenario in a temporary run store (never
./.gigawatt), writes its HTML report, serves the dashboard on a free loopback port, and
screenshots both in headless system Chromium, writing docs/img/{report,report-money,dashboard}.png.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Browser, ViewportSize, expect, sync_playwright

from gigawatt.report import write_report
from gigawatt.store import Store, run_recorded
from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS, serving

IMG = Path(__file__).resolve().parent / "img"
SCENARIO, DRAWS, SEED = "stargate", 10_000, 0
VIEWPORT: ViewportSize = {"width": 1400, "height": 1000}
TIMEOUT_MS = 60_000
MAX_PNG_BYTES = 600_000  # README images stay small


def shoot_report(browser: Browser, report: Path, errors: list[str]) -> None:
    """The top of the report, and its whole money section (Sankey, cash by party, RPO, circularity)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda e: errors.append(f"report: {e}"))
    page.goto(report.as_uri())
    page.wait_for_selector("#fig-capacity .scatterlayer .trace", timeout=TIMEOUT_MS)
    page.wait_for_selector("#fig-money path.sankey-link", timeout=TIMEOUT_MS)
    for key in ("cash", "rpo", "circularity"):
        page.wait_for_selector(f"#fig-{key} .main-svg", timeout=TIMEOUT_MS)
    page.screenshot(path=str(IMG / "report.png"))
    page.locator("#money").screenshot(path=str(IMG / "report-money.png"))
    page.close()


def shoot_dashboard(browser: Browser, url: str, run_id: str, errors: list[str]) -> None:
    """The dashboard with the Stargate scenario loaded and the recorded run's charts shown."""
    page = browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda e: errors.append(f"dashboard: {e}"))
    page.goto(url)
    page.select_option("#builtin", SCENARIO)
    page.click("#load")
    expect(page.locator("#valid")).to_contain_text(f"valid: {SCENARIO}", timeout=TIMEOUT_MS)
    page.fill("#draws", str(DRAWS))  # the form shows the settings of the run on screen
    row = page.locator(f"tr[data-id='{run_id}']")
    row.locator("a.show").click()
    expect(page.locator("#result-id")).to_have_text(f"run {run_id}", timeout=TIMEOUT_MS)
    expect(page.locator("#fig-capacity .scatterlayer .trace").first).to_be_visible(timeout=TIMEOUT_MS)
    figures = page.locator("#figures .figure").count()
    page.wait_for_function(
        "n => document.querySelectorAll('#figures .figure .js-plotly-plot').length >= n", arg=figures
    )
    page.screenshot(path=str(IMG / "dashboard.png"))
    page.close()


def main() -> None:
    IMG.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gigawatt-screenshots-") as tmp:
        store_root = Path(tmp) / "store"
        record = run_recorded(Store(store_root), SCENARIO, draws=DRAWS, seed=SEED, block_draws=8192)
        report = write_report(record, Path(tmp) / "report.html")
        with serving(store_root) as url, sync_playwright() as p:
            browser = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            errors: list[str] = []
            shoot_report(browser, report, errors)
            shoot_dashboard(browser, url, record.id, errors)
            browser.close()
        if errors:
            sys.exit("page errors while taking screenshots:\n" + "\n".join(errors))
    for name in ("dashboard.png", "report.png", "report-money.png"):
        size = (IMG / name).stat().st_size
        print(f"{IMG / name}: {size // 1024} KB")
        if size > MAX_PNG_BYTES:
            sys.exit(f"{IMG / name} is {size // 1024} KB, over {MAX_PNG_BYTES // 1000} KB")


if __name__ == "__main__":
    main()
