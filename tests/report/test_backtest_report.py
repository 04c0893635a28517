"""A backtest record's figures (PIT histogram, milestones, a fan per campus) and its report section,
from a small hand-written summary; and the page as Chromium draws it, at a desktop and a phone width."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from gigawatt.report import backtest_tables, figures, render_backtest, render_report
from gigawatt.store import Store
from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS

SNAPSHOT = "2025-12-15"


def _milestone(
    campus: str, mw: float, kind: str, observed: str | None, inside: bool, pit: float | None
) -> dict:
    return {
        "campus": campus,
        "mw": mw,
        "observed": observed,
        "p10": "2024-01-01",
        "p50": "2025-01-01",
        "p90": "2026-06-01",
        "inside": inside,
        "p50_error_months": None if observed is None else -2.5,
        "crps_days": None if observed is None else 80.0,
        "pit": pit,
        "kind": kind,
        "line": 3,
        "power_limited": False,
    }


def _campus(name: str, as_of: str, steps: list[list[Any]], power_limited: bool = False) -> dict:
    dates = ["2024-01-01", "2024-07-01", "2025-01-01", "2025-07-01", "2026-01-01", "2026-07-01"]
    return {
        "campus": name,
        "as_of": as_of,
        "developer_class": None,
        "power_limited": power_limited,
        "priors": "leave-one-campus-out",
        "fan_dates": dates,
        "fan_mw": [[0, 0, 0, 50, 100, 100], [0, 0, 50, 100, 100, 200], [0, 50, 100, 200, 200, 200]],
        "steps": steps,
        "milestones": 2,
    }


PIT = [0.05, 0.12, 0.33, 0.41, 0.55, 0.58, 0.77, 0.95]
SUMMARY: dict[str, Any] = {
    "kind": "backtest",
    "version": 1,
    "file": "timelines.csv",
    "snapshot": SNAPSHOT,
    "draws": 100,
    "priors": "leave-one-campus-out",
    "count": len(PIT),
    "coverage": 0.75,
    "median_band_months": 29.0,
    "median_abs_p50_error_months": 2.5,
    "median_p50_error_months": -2.5,
    "crps_days": 80.0,
    "pit": PIT,
    "pit_test": {"bins": [2, 2, 2, 1, 1], "chi2": 0.75, "chi2_p": 0.945, "ks": 0.125, "ks_p": 0.999},
    "projected": {"count": 2, "pit": [0.15, 0.85], "coverage": 0.5, "median_abs_p50_error_months": 9.0},
    "campus_bootstrap_90": {"coverage": [0.5, 1.0], "median_abs_p50_error_months": [1.0, 4.0]},
    "censored": {"count": 1, "consistent": 1, "note": "nothing online by the snapshot"},
    "baselines": {
        "per_index_loo": {"count": 7, "median_abs_error_months": 3.1, "median_error_months": 1.2},
        "per_index_hindsight": {"count": 8, "median_abs_error_months": 2.2, "median_error_months": 0.4},
    },
    "campuses": [
        _campus(
            "Alpha Texas",
            "2024-01-01",
            [
                ["2024-01-01", 0, "observed"],
                ["2025-02-01", 100, "observed"],
                ["2026-05-01", 200, "projected"],
            ],
        ),
        # a second forecast of the same campus (``--as-of previous``): one fan a campus
        _campus(
            "Alpha Texas", "2025-02-01", [["2025-02-01", 100, "observed"], ["2026-05-01", 200, "projected"]]
        ),
        _campus(
            "Bravo Ohio",
            "2024-03-01",
            [["2024-03-01", 0, "observed"], ["2026-03-01", 150, "projected"]],
            True,
        ),
    ],
    "milestones": [
        _milestone("Alpha Texas", 100, "observed", "2025-02-01", True, 0.4),
        _milestone("Alpha Texas", 200, "projected", "2026-05-01", False, 0.85),
        _milestone("Bravo Ohio", 150, "censored", None, True, None),
    ],
    "issues": [{"line": 7, "row": "Bravo Ohio", "message": "power falls", "action": "skipped", "file": ""}],
}


def test_the_pit_histogram_has_ten_bins_the_flat_line_and_the_summarys_tests() -> None:
    pit = figures(SUMMARY, None, "backtest")["backtest-pit"]
    observed, projected, flat = pit.data
    assert observed.type == "bar" and len(observed.x) == 10
    assert list(observed.y) == [1, 1, 0, 1, 1, 2, 0, 1, 0, 1] and sum(observed.y) == len(PIT)
    assert sum(projected.y) == 2 and projected.y[1] == projected.y[8] == 1
    assert list(flat.x) == [0, 1] and list(flat.y) == [len(PIT) / 10] * 2
    title = pit.layout.title.text
    assert (
        "χ² p = 0.94 (5 bins)" in title
        and "KS D = 0.12, p = 1.00" in title
        and f"{len(PIT)} observed" in title
    )
    no_pit = {**SUMMARY, "pit": [], "pit_test": None}
    assert "backtest-pit" not in figures(no_pit, None, "backtest")


def test_one_fan_a_campus_with_its_steps_projection_and_censoring() -> None:
    made = figures(SUMMARY, None, "backtest")
    assert list(made) == ["backtest-pit", "backtest", "backtest-fan-0", "backtest-fan-1"]
    alpha, bravo = made["backtest-fan-0"], made["backtest-fan-1"]
    assert alpha.layout.title.text == "Alpha Texas, from 2024-01-01"  # the first forecast's fan
    assert bravo.layout.title.text == "Bravo Ohio, from 2024-03-01 (power-limited)"
    traces = {t.name: t for t in alpha.data if t.name}
    band = traces["forecast P10–P90"]
    assert band.fill == "tonexty" and list(band.y) == SUMMARY["campuses"][0]["fan_mw"][0]
    assert list(traces["forecast P50"].y) == SUMMARY["campuses"][0]["fan_mw"][1]
    seen = traces["observed (Epoch)"]
    assert list(seen.x) == ["2024-01-01", "2025-02-01"] and seen.line.dash is None
    ahead = traces["Epoch's projection"]
    assert list(ahead.x) == ["2026-05-01"] and ahead.line.dash == "dash" and ahead.marker.color == "white"
    # the dashed line starts from the last step seen
    joint = next(t for t in alpha.data if t.showlegend is False and t.line.dash == "dash")
    assert list(joint.x) == ["2025-02-01", "2026-05-01"] and list(joint.y) == [100, 200]
    assert list(traces[f"snapshot {SNAPSHOT}"].x) == [SNAPSHOT] * 2
    assert not any(t.name and t.name.startswith("censored") for t in alpha.data)
    censored = next(t for t in bravo.data if t.name == "censored: not yet online")
    assert list(censored.x) == [SNAPSHOT] and list(censored.y) == [150]
    # an older record without fans (or with no campus) draws none, and nothing breaks
    bare = copy.deepcopy(SUMMARY)
    for campus in bare["campuses"]:
        del campus["fan_dates"]
    assert not any(k.startswith("backtest-fan") for k in figures(bare, None, "backtest"))


def test_the_tables_say_each_group_and_milestone() -> None:
    tables = backtest_tables(SUMMARY)
    assert [row[0] for row in tables["scores"]] == [
        "observed (the headline)",
        "Epoch's projections (not scored)",
        "naive baseline: the other campuses' median for the milestone's index",
        "the same over all campuses (in hindsight: a floor)",
    ]
    # the coverage beside its bands' median width, the error beside the baselines'
    assert tables["scores"][0][1:5] == [str(len(PIT)), "75%", "29.0", "2.5"]
    assert tables["scores"][2][1:5] == ["7", "—", "—", "3.1"]
    assert {len(row) for row in tables["scores"]} == {9}
    assert [row[2] for row in tables["milestones"]] == ["observed", "projected", "censored"]


def test_the_report_and_the_cli_page_carry_every_backtest_figure(tmp_path: Path) -> None:
    record = Store(tmp_path / "store").record_run(
        scenario="backtest",
        scenario_text="Date,Data center\n",
        scenario_ref="timelines.csv",
        kind="backtest",
        draws=100,
        seed=0,
        summary=SUMMARY,
    )
    for page in (
        render_report(record, None),
        render_backtest(SUMMARY, "Date,Data center\n", "timelines.csv"),
    ):
        for key in ("backtest-pit", "backtest", "backtest-fan-0", "backtest-fan-1"):
            assert f'<div id="fig-{key}"' in page
        assert 'id="backtest-scores"' in page and 'id="backtest-milestones"' in page
        assert "line 7: Bravo Ohio: skipped: power falls" in page and "<script src=" not in page
        assert "Resampling whole campuses (90%): inside P10–P90 50%–100%" in page
        assert "median P10–P90 width, months" in page and "naive baseline" in page
        assert "nothing dated later" not in page and "power unconstrained" in page
    assert 'id="assumptions"' not in render_report(record, None)  # a CSV has no scenario sources


def test_the_page_in_chromium_fits_its_fans_at_desktop_and_phone_widths(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = tmp_path / "backtest.html"
    path.write_text(render_backtest(SUMMARY, "Date,Data center\n", "timelines.csv"), encoding="utf-8")
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for width in (1200, 390):
            page = browser.new_page(viewport={"width": width, "height": 900})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_selector("#fig-backtest-fan-1 .scatterlayer .trace")
            assert errors == []
            assert page.locator("#fig-backtest-pit .barlayer .point").count() == 2 * 10  # two bars a bin
            # each fan drawn inside its own cell (side by side on a desktop, one a row on a phone)
            boxes = page.evaluate(
                """() => [...document.querySelectorAll(".fan")].map((cell) => {
                  const svg = cell.querySelector(".main-svg").getBoundingClientRect();
                  const box = cell.getBoundingClientRect();
                  return [box.left, box.right, svg.left, svg.right, box.top];
                })"""
            )
            assert len(boxes) == 2
            assert all(
                left - 1 <= svg_left and svg_right <= right + 1
                for left, right, svg_left, svg_right, _ in boxes
            )
            side_by_side = boxes[0][4] == boxes[1][4]
            assert side_by_side == (width == 1200)
            assert page.evaluate("document.documentElement.scrollWidth") <= width
            page.close()
        browser.close()
