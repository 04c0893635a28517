"""The HTML report: figures from a summary, a self-contained page, and how it looks in Chromium."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from gigawatt.report import figures, render_report, write_report
from gigawatt.scenario import load_scenario
from gigawatt.store import RunRecord, Store, jsonable, run_recorded
from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[RunRecord, Path]:
    from tests.finance.test_finance_summary import LOOP

    folder = tmp_path_factory.mktemp("report")
    path = folder / "small.yaml"
    path.write_text(
        LOOP.replace("    region: us-tx\n", "    region: us-tx\n    location: {lat: 32.5, lon: -99.8}\n")
    )
    return run_recorded(Store(folder / "store"), path, draws=1024, seed=3), path


RUN_FIGURES = {"capacity", "phases", "constraints", "map", "countries", "money", "cash", "rpo", "circularity"}


def _trace(fig: Any, name: str) -> Any:
    return next(t for t in fig.data if t.name == name)


def test_figures_follow_the_summary(recorded: tuple[RunRecord, Path]) -> None:
    record, path = recorded
    summary = record.summary
    assert summary is not None
    figs = figures(summary, load_scenario(path))
    assert set(figs) == RUN_FIGURES
    us = _trace(figs["countries"], "United States")
    assert list(us.y) == summary["breakdown"]["country:US"]["p50"]
    sites = f"{summary['scenario']}'s sites"
    assert list(_trace(figs["capacity"], f"{sites}, P50").y) == summary["capacity_gw"]["p50"]
    assert list(_trace(figs["capacity"], "targets (online)").y) == [0.45]
    if summary.get("demand"):  # demand on the fan, at year ends
        party = summary["serving"]["party"]
        demand = _trace(figs["capacity"], f"{party} demand (training P50 + inference P50)")
        assert list(demand.x) == [row["date"] for row in summary["demand"]]
    serving = summary.get("serving")
    lines = [t for t in figs["capacity"].data if "serving" in (t.name or "")]
    if serving:  # demand is read against all capacity serving its party, contracted included
        [line] = lines
        assert list(line.y) == serving["facility_gw"]["p50"] and list(line.x) == serving["dates"]
    else:
        assert lines == []
    sites = [t for t in figs["map"].data if t.name.startswith("sites")]
    assert [lat for t in sites for lat in t.lat] == [32.5]  # only alpha has a location
    assert set(figures({k: v for k, v in summary.items() if k != "money"})) == RUN_FIGURES - {
        "map",
        "money",
        "cash",
        "rpo",
        "circularity",
    }


def test_money_figures_show_the_recorded_money(recorded: tuple[RunRecord, Path]) -> None:
    record, _ = recorded
    money = record.summary["money"]  # type: ignore[index]
    assert money["draws"] == 1024 and money["cycle_names"] == [["Lab", "Cloud", "Lab"]]
    figs = figures(record.summary)  # type: ignore[arg-type]
    sankey = figs["money"].data[0]
    labels = list(sankey.node.customdata)  # the party; its label adds "in $xB · out $yB"
    assert labels.count("world") == 1 and all("out $" in label for label in sankey.node.label)
    assert sankey.node.label[labels.index("Cloud")] == "Cloud<br>in $10B · out $11B"
    x = dict(zip(labels, sankey.node.x, strict=True))  # who only pays left, who only receives right
    assert x["Lab"] < x["Cloud"] < x["world"] == pytest.approx(0.99)
    links = {
        (labels[a], labels[b], kind): value
        for a, b, kind, value in zip(
            sankey.link.source, sankey.link.target, sankey.link.label, sankey.link.value, strict=True
        )
    }
    names = {"lab": "Lab", "cloud": "Cloud", "world": "world"}
    assert links == {
        (names[f["payer"]], names[f["payee"]], f["kind"]): f["amount_usd"] / 1e9 for f in money["flows"]
    }
    assert links[("Lab", "Cloud", "compute")] == pytest.approx(10.0)  # $10B over the term
    rpo = _trace(figs["rpo"], "Cloud P50")
    series = np.array(rpo.y)
    assert list(series) == [v / 1e9 for v in money["rpo"]["sellers"]["cloud"]["p50"]]
    peak = int(np.argmax(series))
    assert series[peak] > 9 and np.all(np.diff(series[peak:]) <= 1e-12) and series[-1] == 0.0
    bars = figs["circularity"].data[0]
    assert list(bars.x) == ["Lab", "Cloud"]
    assert all(0.0 <= y <= 1.0 for y in bars.y)
    assert bars.y[1] == pytest.approx(0.2, abs=1e-6)  # $2B of the cloud's $10B inflow is its own money
    lab = _trace(figs["cash"], "Lab")
    assert list(lab.y) == [v / 1e9 for v in money["cash_by_party"]["parties"]["lab"]["p50"]]
    assert list(lab.x) == [str(y) for y in money["cash_by_party"]["years"]]


def test_report_is_self_contained_and_says_what_is_missing(
    recorded: tuple[RunRecord, Path], tmp_path: Path
) -> None:
    record, path = recorded
    page = render_report(record, load_scenario(path))
    assert "<script src=" not in page and "cdn.plot.ly/plotly" not in page
    assert "PlotlyGeoAssets" in page and page.count('class="plotly-graph-div"') == len(RUN_FIGURES)
    assert "Lab → Cloud → Lab" in page and "first 1024 draws" in page
    assert "This run has no stress results" in page and "half-gw" in page and record.id in page
    old = dataclasses.replace(record, summary={k: v for k, v in record.summary.items() if k != "money"})  # type: ignore[union-attr]
    assert "it was recorded without the finance model" in render_report(old, load_scenario(path))
    bare = tmp_path / "bare.yaml"
    bare.write_text(
        path.read_text().split("contracts:\n")[0] + "targets:\n" + path.read_text().split("targets:\n")[1]
    )
    no_contracts = run_recorded(Store(tmp_path / "store"), bare, draws=256, seed=3)
    assert no_contracts.summary is not None and "money" not in no_contracts.summary
    page = render_report(no_contracts, load_scenario(bare))
    assert "The scenario has no contracts, so there is no money to show." in page


def test_stress_record_report(tmp_path: Path) -> None:
    from gigawatt.finance import stress

    result = stress(load_scenario("stargate-2025-09"), ["nvidia tranches withheld"], draws=64, seed=0)
    summary = json.loads(json.dumps(jsonable(result)))
    record = Store(tmp_path).record_result(
        "stargate", "stargate", kind="stress", draws=64, seed=0, summary=summary
    )
    figs = figures(record.summary, None, "stress")  # type: ignore[arg-type]
    assert set(figs) == set(figures(record.summary)) == {"stress-short", "stress-when", "stress-exposure"}  # type: ignore[arg-type]
    shocked = _trace(figs["stress-short"], "shocked: P(runs short)")
    assert list(shocked.x) == sorted(summary["shocked"]["parties"])
    assert list(shocked.y) == [summary["shocked"]["parties"][p]["probability_short"] for p in shocked.x]
    assert max(shocked.y) > 0  # somebody runs short in the Stargate scenario
    unpaid = _trace(figs["stress-exposure"], "shocked: unpaid")
    assert list(unpaid.y) == [summary["shocked"]["exposure"][p]["unpaid_usd"]["p50"] / 1e9 for p in unpaid.x]
    page = render_report(record, None)
    lapsed = summary["shocked"]["rpo_never_delivered_usd"]["p50"] / 1e9
    assert "Stress results: nvidia tranches withheld" in page and f"{lapsed:,.1f}" in page
    assert "MW whose payments were deferred (facility), peak" in page and 'id="capacity"' not in page


def test_plan_record_report(tmp_path: Path) -> None:
    from gigawatt.plan import PlanOptions, plan_inputs, solve

    # Demand at its 95th percentile: at the median, OpenAI's contracted capacity leaves the sites
    # nothing to build in these 12 quarters, and the chart of sites would be empty.
    options = PlanOptions(periods=12, demand_quantile=0.95)
    result = solve(plan_inputs(load_scenario("stargate"), options))
    summary = json.loads(json.dumps(jsonable(result.summary())))
    store = Store(tmp_path)
    record = store.record_result("stargate", "stargate", kind="plan", draws=0, seed=0, summary=summary)
    figs = figures(record.summary, None, "plan")  # type: ignore[arg-type]
    assert set(figs) == {"plan-demand", "plan-sites"}
    # the plan meets compute: EFLOP/s, never MW-equivalents labelled facility GW
    assert list(_trace(figs["plan-demand"], "served").y) == [v / 1e18 for v in summary["served_flops"]]
    assert figs["plan-demand"].layout.yaxis.title.text == "EFLOP/s (BF16 dense)"
    built = {s for s, v in summary["sites"].items() if v["build_mw"] > 0}
    # the plan's MW per quarter: the chart is per site and quarter
    by_quarter = figs["plan-sites"]
    assert {t.name for t in by_quarter.data} == built
    assert sum(sum(t.y) for t in by_quarter.data) == pytest.approx(
        sum(v["build_mw"] for v in summary["sites"].values())
    )
    # a summary without MW per quarter falls back to MW per site by power source
    for site in summary["sites"]:
        del summary["sites"][site]["build_mw_by_period"]
    by_source = figures(summary, None, "plan")["plan-sites"]
    total = {s: sum(t.x[list(t.y).index(s)] for t in by_source.data) for s in built}
    assert total == pytest.approx({s: summary["sites"][s]["build_mw"] for s in built})
    page = render_report(record, None)
    why = next(iter(summary["sites"].values()))["why"]
    assert "capacity plan report" in page and why in page and summary["binding"][0] in page
    # what is under construction is shown as fixed builds, with the capex committed
    fixed = summary["fixed_builds"]
    assert fixed["mw"] > 0 and f"{fixed['mw']:,.0f} MW facility, ${fixed['capex_usd'] / 1e9:,.1f}B" in page
    failed = store.begin_run(
        scenario="stargate", scenario_text=record.scenario_text, draws=0, seed=0, block_draws=1, kind="plan"
    )
    store.fail_run(failed, "PlanInfeasibleError: demand cannot be met")
    page = render_report(store.get(failed), None)
    assert "This run is not complete" in page and "demand cannot be met" in page and 'id="plan"' not in page
    other = store.record_run(
        kind="countries",
        scenario="stargate",
        scenario_text=record.scenario_text,
        draws=5,
        seed=0,
        summary={"total": {"p50": 1.5}},
    )
    assert figures(other.summary, None, "countries") == {}  # type: ignore[arg-type]
    assert "<td>total.p50</td>" in render_report(other, None)


def test_sensitivity_is_recorded_and_reported(tmp_path: Path, write: Any) -> None:
    from tests.conftest import SMALL
    from typer.testing import CliRunner

    from gigawatt.cli import app

    path = write(SMALL)
    store = tmp_path / "store"
    cli = CliRunner()
    out = cli.invoke(
        app,
        [
            "sensitivity",
            str(path),
            "--output",
            "capacity:2027-06-30",
            "--method",
            "sobol",
            "--samples",
            "8",
            "--json",
            "--store",
            str(store),
        ],
    )
    assert out.exit_code == 0, out.output
    printed = json.loads(out.stdout)
    (record,) = Store(store).list_runs()
    assert (
        record.kind == "sensitivity" and record.summary == printed and record.draws == printed["evaluations"]
    )
    figs = figures(record.summary)  # type: ignore[arg-type]
    assert set(figs) == {"sensitivity"}
    top = printed["parameters"][0]
    st = _trace(figs["sensitivity"], "ST")
    assert st.y[-1] == top["parameter"] and st.x[-1] == pytest.approx(top["ST"])
    p90 = _trace(figs["sensitivity"], "P90")
    assert p90.x[-1] + p90.base == pytest.approx(top["tornado_p90"])
    report = tmp_path / "sensitivity.html"
    made = cli.invoke(app, ["report", record.id, "-o", str(report), "--store", str(store)])
    assert made.exit_code == 0, made.output
    page = report.read_text()
    assert "sensitivity report" in page and 'id="fig-sensitivity"' in page and top["parameter"] in page
    quiet = cli.invoke(
        app,
        ["sensitivity", str(path), "--output", "capacity:2027-06-30", "--no-record", "--store", str(store)],
    )
    assert quiet.exit_code == 0 and len(Store(store).list_runs()) == 1


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
        page.wait_for_selector("#fig-money path.sankey-link")
        # a marker opens its site's timeline in the report too (the last site's)
        page.evaluate(
            """() => { const gd = document.getElementById("fig-map");
            const buttons = gd.layout.updatemenus[1].buttons;
            gd.emit("plotly_click", {points: [{customdata: buttons[buttons.length - 1].name.slice(9)}]}); }"""
        )
        page.wait_for_function(
            """() => { const menu = document.getElementById("fig-map").layout.updatemenus[1];
            return menu.active === menu.buttons.length - 1; }"""
        )
        assert page.locator(".js-plotly-plot").count() == len(RUN_FIGURES)
        assert page.locator("#fig-phases .scatterlayer .trace").count() >= 5
        # lab→cloud, cloud→lab, cloud→world ×4 (electricity, staff, maintenance, chips)
        assert page.locator("#fig-money path.sankey-link").count() == 6
        assert page.locator("#fig-circularity .barlayer .point").count() == 2
        assert page.locator("#money .loop").inner_text() == "Lab → Cloud → Lab"
        money = page.locator("#money")
        money.scroll_into_view_if_needed()
        assert money.is_visible() and (money.bounding_box() or {}).get("height", 0) > 1500
        shot, money_shot = tmp_path / "report.png", tmp_path / "money.png"
        page.screenshot(path=str(shot), full_page=True)
        page.locator("#fig-money").screenshot(path=str(money_shot))
        browser.close()
    assert errors == [] and all(url.startswith("file:") for url in requests)
    image = Image.open(shot).convert("RGB")
    assert image.height > 4000
    colours = image.resize((200, 400)).getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # charts drew, not a blank page
    sankey = Image.open(money_shot).convert("RGB")
    drawn = sankey.resize((100, 60)).getcolors(maxcolors=100_000)
    assert sankey.height > 400 and drawn is not None and len(drawn) > 20  # the Sankey drew


def test_robust_plan_record_report(tmp_path: Path) -> None:
    from gigawatt.plan import PlanOptions, robust_plan

    # Dates and lead times at their 80th percentile, supply at its 20th: OpenAI's contracted
    # capacity arrives later, and no plan meets 2026's demand.
    options = PlanOptions(periods=12, quantile=0.8)
    report = robust_plan(load_scenario("stargate"), "stargate", options, 0.99, draws=200)
    best = report.best.result
    assert best is not None
    summary = json.loads(json.dumps(jsonable({**best.summary(), "robust": report.summary()})))
    record = Store(tmp_path).record_result(
        "stargate", "stargate", kind="plan", draws=200, seed=0, summary=summary
    )
    figs = figures(record.summary, None, "plan")  # type: ignore[arg-type]
    # Phases under construction are fixed, not built by the plan: a plan may build nothing more.
    builds = float(best.build_mw.sum()) > 0.5
    assert set(figs) == {"plan-demand", "plan-robust"} | ({"plan-sites"} if builds else set())
    lines = figs["plan-robust"].data
    assert len(lines) == len(report.steps)
    for line, step in zip(lines, report.steps, strict=True):
        assert list(line.x) == report.dates
        assert list(line.y) == pytest.approx([100 * step.by_date[d] for d in report.dates])
    page = render_report(record, None)
    assert f"--robust: target 99%, {'reached' if report.reached else 'not reached'}" in page
    assert ("The plan builds nothing" in page) is not builds
    assert report.short_flops  # 2026-12-31: no plan meets that year's demand
    for d, flops in report.short_flops.items():  # year ends left out of the check, with the shortfall
        assert f"{d} ({flops / 1e18:,.0f} EFLOP/s)" in page
    del summary["robust"]
    assert "plan-robust" not in figures(summary, None, "plan")


def test_report_compare_overlays_two_fans_and_the_headline(
    recorded: tuple[RunRecord, Path], tmp_path: Path
) -> None:
    """`report A --compare B`: both fans on one chart, the headline side by side with its SE;
    two seeds of one scenario differ by Monte Carlo noise only."""
    from typer.testing import CliRunner

    from gigawatt.cli import app
    from gigawatt.report.compare import compare_context

    cli = CliRunner()
    record, path = recorded
    store = Store(path.parent / "store")
    other = run_recorded(store, path, draws=1024, seed=4)
    out = tmp_path / "compare.html"
    made = cli.invoke(
        app, ["report", record.id, "--compare", other.id, "-o", str(out), "--store", str(store.root)]
    )
    assert made.exit_code == 0, made.output
    page = out.read_text()
    assert f"Compared with run {other.id}" in page and 'id="fig-compare"' in page
    assert f"<th>A {record.id}</th><th>B {other.id}</th>" in page and "Monte Carlo SE" in page
    assert 'class="significant"' not in page and " 0 of " in page
    context = compare_context(store, record, other)
    assert len(context["figure"].data) == 6  # each fan: the P10–P90 band (two traces) and the P50
    assert context["tested"] > 0 and context["significant"] == 0
    assert any(r["name"].startswith("P(") and r["se"].startswith("± ") for r in context["rows"])
    out_x, root = str(tmp_path / "x.html"), str(store.root)
    args = ["report", record.id, "--compare", "ffff", "-o", out_x, "--store", root]
    missing = cli.invoke(app, args)
    assert missing.exit_code == 2 and "Traceback" not in missing.output


def test_demand_is_drawn_against_all_capacity_serving_its_party() -> None:
    """The sites' own fan and, beside it, everything serving the party (contracted included):
    demand compared with the sites alone would show a gap that is not there."""
    from gigawatt.report.buildout import capacity_fan

    dates = ["2026-12-31", "2027-12-31"]
    summary = {
        "capacity_gw": {"dates": dates, "p10": [1.0, 2.0], "p50": [1.2, 2.5], "p90": [1.5, 3.0]},
        "serving": {"party": "openai", "dates": dates, "facility_gw": {"p50": [5.0, 9.8]}},
        "demand": [
            {
                "date": d,
                "training_gw_p50": 1.0,
                "inference_gw_p50": 2.0,
                "surplus_gw": {},
                "p_capacity_covers_demand": 1.0,
            }
            for d in dates
        ],
    }
    fig = capacity_fan({**summary, "scenario": "stargate"})
    names = [t.name for t in fig.data if t.showlegend is not False]
    # every line says what it is: the sites' fan, everything serving the party, the party's demand
    assert names == [
        "stargate's sites, P10–P90",
        "stargate's sites, P50",
        "all capacity serving openai: its sites + contracted, P50",
        "openai demand (training P50 + inference P50)",
    ]
    [line] = [t for t in fig.data if "serving openai" in (t.name or "")]
    assert list(line.y) == [5.0, 9.8] and line.line.dash is None  # a solid line, not a dotted aside
    assert "openai's demand" in fig.layout.title.text
    assert not [t for t in capacity_fan({**summary, "serving": None}).data if "serving" in (t.name or "")]


def test_year_table_reads_cover_against_the_capacity_serving_the_party(recorded) -> None:
    """P(cover) sits beside the capacity it is computed against (sites + contracted), labelled so;
    a year end before the as-of date shows no probability."""
    from gigawatt.report.page import _year_rows, render_report

    band = {"p10": 1.0, "p50": 1.2, "p90": 1.5}
    year = {
        "facility_gw": band,
        "bf16_eflops": band,
        "energy_twh_per_year": band,
        "h100_equivalents_million": band,
    }
    dates = ["2025-12-31", "2026-12-31"]
    serving = {"p10": [2.0, 4.0], "p50": [2.0, 5.0], "p90": [2.0, 6.0]}
    summary = {
        "year_ends": [{"date": d, **year} for d in dates],
        "serving": {"party": "openai", "dates": dates, "facility_gw": serving},
        "demand": [
            {"date": dates[0], "before_as_of": True, "p_capacity_covers_demand": 0.4},
            {"date": dates[1], "before_as_of": False, "p_capacity_covers_demand": 0.99},
        ],
    }
    rows = _year_rows(summary)
    assert [r[-2:] for r in rows] == [["2.00 / 2.00 / 2.00", "—"], ["4.00 / 5.00 / 6.00", "99%"]]
    html = " ".join(render_report(recorded[0]).split())
    assert "sites + contracted (P10 / P50 / P90)</th>" in html
    assert "P(serving capacity ≥ demand)</th>" in html and "P(capacity ≥ demand)</th>" not in html


def test_compare_rows_mark_facts_and_keep_outcomes_in_words() -> None:
    """The report's compare table (as `runs compare`): a fact's number marked observed, a
    target's outcome in words, never formatted as a percentage."""
    from functools import partial

    from gigawatt.compare import format_value

    value = partial(format_value, missing="—", gw_unit=" GW")  # as the report calls it
    assert value(0.25, "GW", True) == "0.25 GW (observed)" and value(0.25, "GW") == "0.25 GW"
    assert value("met (observed)", "probability", True) == "met (observed)"
    assert value("not forecast", "probability", True) == "not forecast"
    assert (
        value("2026-04-29", "date", True) == "2026-04-29 (observed)" and value(0.5, "probability") == "50.0%"
    )
    assert value(None, "GW") == "—" and format_value(None, "GW") == "–"


def test_report_words_facts_and_unreachable_targets_as_the_terminal_does(
    recorded: tuple[RunRecord, Path], write: Any, small_text: str
) -> None:
    """Review 3, finding 9: a target no draw can meet reads "unreachable …, not forecast" and why
    (was "0% … P50 date never"); an observed one met or missed, never a percentage; a year
    before the as-of date is marked observed, its range between sources."""
    from tests.engine.test_reach_by_date import TARGETS
    from tests.test_observations import with_facts

    from gigawatt import engine

    record, _ = recorded
    scenario = load_scenario(write(small_text + TARGETS, "reach.yaml"))
    summary = {"kind": "run", **jsonable(engine.run(scenario, draws=512, seed=0).summary())}
    page = " ".join(render_report(dataclasses.replace(record, summary=summary), scenario).split())
    kpi = page[page.index("alpha-too-early</span>") :].split("</div>")[0]
    assert "<b>unreachable</b>" in kpi and "unreachable by its date, not forecast: its scope" in kpi
    assert "P50 date" not in kpi and "0%" not in kpi
    observed = with_facts(small_text.replace("by: 2027-12-31", "by: 2026-05-31"))
    scenario = load_scenario(write(observed, "facts.yaml"))
    summary = {"kind": "run", **jsonable(engine.run(scenario, draws=512, seed=0).summary())}
    page = " ".join(render_report(dataclasses.replace(record, summary=summary), scenario).split())
    kpi = page[page.index("half-gw</span>") :].split("</div>")[0]
    assert "<b>missed</b>" in kpi and "a fact, not a draw" in kpi and "%" not in kpi
    countries = figures(summary, scenario, "run")["countries"]
    years = list(countries.data[0].x)
    assert years[:2] == ["2025<br>(observed)", "2026"] and all(y.isdigit() for y in years[1:])
    assert "range between sources, not a forecast" in countries.layout.title.text
    assert "a range there is the range between sources, not a forecast" in page
