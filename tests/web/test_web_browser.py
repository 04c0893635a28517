"""The dashboard as a user drives it, in headless Chromium (the system's, never a downloaded one)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser


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


def test_pick_stargate_run_see_fan_chart_break_yaml_and_compare(
    page: Page, server: str, tmp_path: Path
) -> None:
    page.select_option("#builtin", "stargate")
    page.click("#load")
    expect(page.locator("#valid")).to_contain_text("valid: stargate (10 sites", timeout=20_000)
    first = _run(page, seed=1)
    assert page.locator("#progress").evaluate("el => el.value") == 1
    # the P10-P90 band (two traces), the P50, all capacity serving OpenAI and demand; stargate's
    # online targets are scoped to sites, so none is drawn against the total
    expect(page.locator("#fig-capacity .scatterlayer .trace")).to_have_count(5, timeout=20_000)
    expect(page.locator("#fig-map .scattergeo path.point")).to_have_count(10)
    # clicking a site's marker opens its timeline below the map (the last site's, not the first shown)
    page.evaluate(
        """() => { const gd = document.getElementById("fig-map");
        const buttons = gd.layout.updatemenus[1].buttons;
        const id = buttons[buttons.length - 1].name.slice("timeline:".length);
        gd.emit("plotly_click", {points: [{customdata: id}]}); }"""
    )
    page.wait_for_function(
        """() => { const menu = document.getElementById("fig-map").layout.updatemenus[1];
        return menu.active === menu.buttons.length - 1; }"""
    )
    shown = page.evaluate(
        """() => { const gd = document.getElementById("fig-map"); const menu = gd.layout.updatemenus[1];
        return [gd.layout.yaxis.title.text, menu.buttons[menu.active].args[1]["yaxis.title.text"]]; }"""
    )
    assert shown[0] == shown[1]
    assert "P50" in (page.locator("#fig-capacity .legend").text_content() or "")
    # every section the API returns is drawn, in its order, under its title
    returned = page.request.get(f"{server}/api/runs/{first}/figures").json()
    assert len(returned) >= 5
    sections = page.locator("#figures .figure")
    expect(sections).to_have_count(len(returned))
    assert sections.evaluate_all("els => els.map((e) => e.dataset.section)") == list(returned)
    titles = [(f["layout"].get("title") or {}).get("text") or k for k, f in returned.items()]
    assert page.locator("#figures .figure h3").all_inner_texts() == titles
    assert page.locator("#figures .figure .main-svg").count() >= len(returned)
    expect(page.locator(f"tr[data-id='{first}'] td.kind")).to_have_text("run")
    expect(page.locator("#downloads a", has_text="per-draw rows (Parquet)")).to_have_count(1)

    text = page.locator("#editor").input_value()
    page.fill("#editor", text.replace("step: week", "step: fortnight"))
    problem = page.locator("#problems li")
    expect(problem).to_have_count(1, timeout=10_000)
    line = text[: text.index("step: week")].count("\n") + 1
    expect(problem).to_contain_text(f"scenario.yaml:{line}:")
    expect(problem).to_contain_text("time.step: 'fortnight' is not one of week, month, quarter")
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
    expect(result).to_contain_text("Inputs (scenario, merged through extends): 0 differences")
    expect(result.locator("#headline")).to_contain_text("P(")  # the targets lead, with their SE
    expect(result).to_contain_text("0 of")  # two seeds: no significant difference
    expect(result.locator("#fig-compare .scatterlayer .trace")).to_have_count(6)  # two fans
    expect(result.locator("td", has_text="seed")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)


def test_a_recorded_stress_run_shows_its_own_sections(page: Page, server: str, store_root: Path) -> None:
    from gigawatt.finance import stress
    from gigawatt.scenario import load_scenario
    from gigawatt.store import Store, jsonable

    result = stress(load_scenario("stargate-2025-09"), ["nvidia tranches withheld"], draws=64, seed=0)
    record = Store(store_root).record_result(
        "stargate", "stargate", kind="stress", draws=64, seed=0, summary=jsonable(result)
    )
    page.goto(server)
    row = page.locator(f"tr[data-id='{record.id}']")
    expect(row.locator("td.kind")).to_have_text("stress", timeout=10_000)
    row.locator("a.show").click()
    expect(page.locator("#result-id")).to_have_text(f"run {record.id}")
    returned = page.request.get(f"{server}/api/runs/{record.id}/figures").json()
    assert list(returned) == ["stress-short", "stress-when", "stress-exposure"]
    sections = page.locator("#figures .figure")
    expect(sections).to_have_count(3)
    assert sections.evaluate_all("els => els.map((e) => e.dataset.section)") == list(returned)
    titles = [(f["layout"].get("title") or {}).get("text") or k for k, f in returned.items()]
    assert page.locator("#figures .figure h3").all_inner_texts() == titles
    expect(page.locator("#downloads a", has_text="per-draw")).to_have_count(0)  # a stress run has none


def test_what_if_shackelford_slips_a_year_on_a_phone(page: Page, server: str, tmp_path: Path) -> None:
    """A new user asks "what changes if Shackelford slips a year?" at 390 px: the form runs the
    base and the what-if, the compare headline answers, the workbook downloads."""
    assert page.context.browser is not None
    phone = page.context.browser.new_page(viewport={"width": 390, "height": 844})
    errors: list[str] = []
    phone.on("pageerror", lambda e: errors.append(str(e)))
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(server)
    phone.select_option("#builtin", "stargate")
    phone.click("#load")
    expect(phone.locator("#whatif-status")).to_contain_text("applies to stargate", timeout=20_000)
    phone.fill("#draws", "256")
    phone.select_option("#whatif-site", "shackelford")

    phone.fill("#whatif-shift", "99")  # out of range: the field says why, nothing runs
    phone.click("#whatif-run")
    error = phone.locator('.field-error[data-for="shift"]')
    expect(error).to_contain_text("shift_months.shackelford: 99 months is out of range")
    expect(phone.locator("#whatif-shift")).to_have_attribute("aria-invalid", "true")
    phone.fill("#whatif-share", "150")
    phone.click("#whatif-run")
    share = phone.locator('.field-error[data-for="supply_share_pct"]')
    expect(share).to_contain_text("less than or equal to 100")
    phone.fill("#whatif-share", "")

    phone.fill("#whatif-shift", "12")
    phone.click("#whatif-run")
    expect(error).to_be_empty()
    result = phone.locator("#comparison-result")
    expect(result).to_contain_text("shackelford +12 months", timeout=60_000)
    expect(result.locator("#headline")).to_contain_text("P(")
    expect(result).to_contain_text("Inputs (scenario, merged through extends)")
    assert "0 differences" not in result.locator("h3", has_text="Inputs").inner_text()
    # the what-if's dates are later: some headline figure moved beyond Monte Carlo noise
    expect(result.locator("#headline tr.significant").first).to_be_visible()
    moved = result.locator("#changed li")
    expect(moved).to_have_count(result.locator("#headline tr.significant").count())
    expect(moved.first).to_contain_text("→")
    expect(phone.locator("#fig-compare .scatterlayer .trace")).to_have_count(6)
    assert phone.locator("#scenario-panel").evaluate("e => e.scrollWidth") <= 390
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    link = phone.locator("#whatif-status a", has_text="what if (Excel)")
    with phone.expect_download() as download:
        link.click()
    path = tmp_path / "whatif.xlsx"
    download.value.save_as(path)
    import openpyxl

    assert "capacity" in openpyxl.load_workbook(path).sheetnames
    phone.screenshot(path=str(tmp_path / "whatif-390.png"), full_page=True)
    phone.close()
    # the two refused submissions are the only failed requests the browser reports
    refused = [e for e in errors if "status of 422" in e]
    assert len(refused) == 2 and [e for e in errors if e not in refused] == []


def test_problems_link_to_their_line_and_stress_and_plan_start_from_the_form(
    page: Page, server: str, tmp_path: Path
) -> None:
    """A located problem puts the cursor on its line; a stress test and a plan start from the
    form, say what is wrong with a shock, and show their own charts; at 1280 and 390 px."""
    assert page.context.browser is not None
    errors: list[str] = []
    for width in (1280, 390):
        tab = page.context.browser.new_page(viewport={"width": width, "height": 900})
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.goto(server)
        tab.select_option("#builtin", "stargate")
        tab.click("#load")
        expect(tab.locator("#valid")).to_contain_text("valid: stargate", timeout=20_000)
        text = tab.locator("#editor").input_value()
        broken = text.replace("step: week", "step: fortnight")
        tab.fill("#editor", broken)
        link = tab.locator("#problems li a")
        expect(link).to_have_count(1, timeout=10_000)
        line, column = int(link.get_attribute("data-line") or 0), int(link.get_attribute("data-column") or 0)
        assert line == broken[: broken.index("step: fortnight")].count("\n") + 1
        link.click()
        offset = sum(len(row) + 1 for row in broken.split("\n")[: line - 1]) + column - 1
        assert tab.evaluate("document.activeElement.id") == "editor"
        assert tab.locator("#editor").evaluate("e => e.selectionStart") == offset
        assert tab.locator("#editor").evaluate("e => e.scrollTop") > 0  # scrolled to it
        tab.fill("#editor", text)
        expect(tab.locator("#problems li")).to_have_count(0, timeout=10_000)

        tab.fill("#draws", "64")
        tab.select_option("#task-kind", "stress")
        tab.fill("#task-shocks", "demand growth -30%\nrain")
        tab.click("#task-run")
        shocks = tab.locator('#task .field-error[data-for="shocks"]')
        expect(shocks).to_contain_text("shocks.1: cannot read shock")
        tab.fill("#task-shocks", "demand growth -30%")
        tab.click("#task-run")
        expect(tab.locator("#task-status")).to_contain_text("done", timeout=120_000)
        expect(tab.locator("#figures .figure")).to_have_count(3)
        expect(tab.locator("#fig-stress-short .main-svg").first).to_be_visible()
        tab.select_option("#task-kind", "plan")
        expect(tab.locator("#task-shocks")).to_be_hidden()
        tab.fill("#task-periods", "8")
        tab.click("#task-run")
        expect(tab.locator("#task-status")).to_contain_text("plan", timeout=10_000)
        expect(tab.locator("#task-status")).to_contain_text("done", timeout=120_000)
        expect(tab.locator("#figures .figure").first).to_have_attribute("data-section", "plan-demand")
        assert tab.evaluate("document.documentElement.scrollWidth") <= width
        if width == 1280:  # a backtest of an uploaded timelines CSV
            tab.select_option("#task-kind", "backtest")
            tab.set_input_files(
                "#task-csv", str(Path(__file__).parents[1] / "fixtures" / "epoch_timelines_history.csv")
            )
            tab.fill("#task-backtest-draws", "50")
            tab.click("#task-run")
            expect(tab.locator("#task-status")).to_contain_text("backtest", timeout=10_000)
            expect(tab.locator("#task-status")).to_contain_text("done", timeout=120_000)
            expect(tab.locator("#fig-backtest .scatterlayer .trace")).to_have_count(3)
            # the PIT histogram first, then the milestones, then one fan a campus of the CSV
            expect(tab.locator("#figures .figure").first).to_have_attribute("data-section", "backtest-pit")
            expect(tab.locator("#fig-backtest-pit .barlayer .point").first).to_be_visible()
            expect(tab.locator('#figures .figure[data-section^="backtest-fan-"]')).to_have_count(6)
            expect(tab.locator("#fig-backtest-fan-0 .scatterlayer .trace").first).to_be_visible()
        tab.screenshot(path=str(tmp_path / f"tasks-{width}.png"), full_page=True)
        tab.close()
    # the refused shocks (one at each width) are the only failed requests
    assert len([e for e in errors if "status of 422" in e]) == 2
    assert [e for e in errors if "status of 422" not in e] == []
