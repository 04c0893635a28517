"""gigawatt backtest: forecasts from each campus's as-of point scored against what followed."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import units
from gigawatt.backtest import _crps, backtest
from gigawatt.cli import app
from gigawatt.report import figures

FIXTURE = Path(__file__).parent / "fixtures" / "epoch_timelines_history.csv"
SNAPSHOT = units.parse_date("2025-12-15")
_CANDIDATES = (Path("/work/shared/data/epoch"), Path(__file__).parents[2] / "shared" / "data" / "epoch")
EPOCH = next((p for p in _CANDIDATES if (p / "data_center_timelines_part.csv").exists()), None)
runner = CliRunner()


def _run(**kwargs):
    return backtest(FIXTURE.read_text(encoding="utf-8"), snapshot_date=SNAPSHOT, draws=200, **kwargs)


def test_crps_of_an_ensemble():
    # a point forecast: CRPS is the absolute error
    assert _crps(np.full(10, 5.0), 2.0) == pytest.approx(3.0)
    # uniform(0, 1) draws against 0.5: exact CRPS 1/12 for a continuous uniform
    assert _crps(np.linspace(0, 1, 2001), 0.5) == pytest.approx(1 / 12, abs=1e-3)


def test_milestones_kinds_and_scores():
    result = _run()
    kinds = {(m.campus, m.mw): m.kind for m in result.milestones}
    # rows after the snapshot are Epoch's projections; Foxtrot has nothing online by then
    assert kinds[("Bravo Amazon Ohio", 500.0)] == "projected"
    assert kinds[("Foxtrot Coreweave Texas", 200.0)] == "censored"
    assert sum(k == "observed" for k in kinds.values()) == 16
    for m in result.milestones:
        assert m.p10 <= m.p50 <= m.p90
        if m.kind != "censored":
            assert m.inside == (m.p10 <= m.observed <= m.p90)
            assert 0.0 <= m.pit <= 1.0
    data = result.as_dict()
    assert data["kind"] == "backtest" and data["priors"] == "leave-one-campus-out"
    for key in ("coverage", "median_abs_p50_error_months", "crps_days", "pit", "campuses", "milestones"):
        assert key in data
    assert data["coverage"] == pytest.approx(
        np.mean([m.inside for m in result.milestones if m.kind == "observed"])
    )
    assert len(data["pit"]) == 16
    low, high = data["campus_bootstrap_90"]["coverage"]
    assert low <= data["coverage"] <= high
    # each forecast's first observed milestone apart from the later ones: together, all of them
    first, later = data["by_step"]["first"], data["by_step"]["later"]
    assert first["count"] == len(result.campuses) - 1  # Foxtrot: nothing observed (censored)
    assert first["count"] + later["count"] == 16
    assert first["coverage"] * first["count"] + later["coverage"] * later["count"] == pytest.approx(
        data["coverage"] * 16
    )
    # every campus's forecast starts from its first row and knows nothing dated later
    alpha = next(c for c in result.campuses if c.campus == "Alpha Google Texas")
    assert alpha.as_of == "2021-01-01" and alpha.developer_class == "hyperscaler"
    json.dumps(data)


def test_leave_one_out_differs_from_in_sample():
    loo = {(m.campus, m.mw): m.p50 for m in _run().milestones}
    fitted = _run(leave_one_out=False)
    assert {c.priors for c in fitted.campuses} == {"all campuses (in sample)"}
    assert any(loo[(m.campus, m.mw)] != m.p50 for m in fitted.milestones)


def test_as_of_date_scores_only_later_milestones():
    result = _run(as_of=units.parse_date("2024-01-01"))
    assert all(m.observed is None or m.observed > "2024-01-01" for m in result.milestones)
    names = {c.campus for c in result.campuses}
    # Echo (started 2024-03) and Foxtrot had not started: nothing to forecast from
    assert "Echo xAI Tennessee" not in names and "Alpha Google Texas" in names
    assert any("not started" in i.message for i in result.issues)


def test_one_step_ahead_forecasts_each_milestone_from_the_row_before_it():
    result = _run(as_of="previous")
    observed = [(c.as_of, m) for c in result.campuses for m in c.milestones]
    assert all(len(c.milestones) == 1 for c in result.campuses)
    assert all(as_of <= "2025-12-15" for as_of, _ in observed)
    # Alpha's 300 MW (2023-12-01) is forecast from its 200 MW row (2023-03-01), which is known then
    alpha = next(c for c in result.campuses if c.campus == "Alpha Google Texas" and c.milestones[0].mw == 300)
    assert alpha.as_of == "2023-03-01"
    # Bravo's projected 500 MW is forecast from its last observed row, not a projection
    bravo = next(m for c in result.campuses for m in c.milestones if m.mw == 500.0)
    assert bravo.kind == "projected"
    assert sum(m.kind == "observed" for _, m in observed) == 16


def test_power_limited_campuses_are_scored_apart():
    result = _run(power_limited=["Delta Microsoft Georgia"])
    data = result.as_dict()
    assert data["power_limited"]["observed"]["count"] == 3
    assert data["count"] == 13
    with pytest.raises(Exception, match="no campus named"):
        _run(power_limited=["Nowhere"])


def test_the_summary_draws_a_pit_histogram_and_one_fan_a_campus():
    result = _run()
    data = json.loads(json.dumps(result.as_dict()))  # as the store keeps it
    figs = figures(data, None, "backtest")
    campuses = list(dict.fromkeys(c.campus for c in result.campuses))
    assert list(figs) == ["backtest-pit", "backtest", *(f"backtest-fan-{i}" for i in range(len(campuses)))]
    observed = figs["backtest-pit"].data[0]
    assert sum(observed.y) == data["count"] == 16 and len(observed.y) == 10
    fan = figs[f"backtest-fan-{campuses.index('Bravo Amazon Ohio')}"]
    names = [t.name for t in fan.data]
    assert "observed (Epoch)" in names and "Epoch's projection" in names
    assert fan.layout.title.text.startswith("Bravo Amazon Ohio, from ")
    campus = next(c for c in result.campuses if c.campus == "Bravo Amazon Ohio")
    p10, p50, p90 = (np.array(q) for q in campus.fan_mw)
    assert (p10 <= p50).all() and (p50 <= p90).all() and p90[-1] == pytest.approx(500.0)
    censored = figs[f"backtest-fan-{campuses.index('Foxtrot Coreweave Texas')}"]
    marked = next(t for t in censored.data if t.name == "censored: not yet online")
    assert list(marked.x) == [data["snapshot"]] and list(marked.y) == [200.0]


def test_cli_calibrate_then_backtest_with_written_priors(tmp_path):
    priors = tmp_path / "p.yaml"
    made = runner.invoke(
        app, ["calibrate", str(FIXTURE), "--as-of", "2025-12-15", "--write-priors", str(priors)]
    )
    assert made.exit_code == 0, made.output
    result = runner.invoke(
        app,
        [
            "backtest",
            str(FIXTURE),
            "--priors",
            str(priors),
            "--in-sample",
            "--draws",
            "100",
            "--json",
            "--snapshot",
            "2025-12-15",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["priors"] == "as given" and {c["priors"] for c in data["campuses"]} == {"given"}
    assert set(data["milestones"][0]) >= {
        "campus",
        "mw",
        "observed",
        "p10",
        "p50",
        "p90",
        "inside",
        "p50_error_months",
        "kind",
    }
    page = tmp_path / "bt.html"
    table = runner.invoke(
        app, ["backtest", str(FIXTURE), "--draws", "100", "--report", str(page)], env={"COLUMNS": "80"}
    )
    text = page.read_text(encoding="utf-8")
    assert 'id="fig-backtest-pit"' in text and 'id="backtest-scores"' in text and "<script src=" not in text
    assert text.count('<div id="fig-backtest-fan-') == 6 and "Foxtrot Coreweave Texas, from " in text
    assert table.exit_code == 0, table.output
    assert max(len(line) for line in table.stdout.splitlines()) <= 80
    assert "inside P10-P90" in table.stdout


def test_cli_bad_input_exits_2(tmp_path):
    missing = tmp_path / "m.csv"
    missing.write_text("Date,Data center\n2024-01-01,X\n", encoding="utf-8")
    result = runner.invoke(app, ["backtest", str(missing)])
    assert result.exit_code == 2 and f"{missing}:1: not an Epoch CSV" in result.stderr
    one = tmp_path / "one.csv"
    one.write_text(
        "Date,Data center,Construction status,Power (MW),Buildings operational\n"
        "2024-01-01,Solo,Land clearing,0,0\nsomeday,Solo,Broken,10,1\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["backtest", str(one)])
    assert result.exit_code == 2
    assert f"{one}:3: Solo: skipped: unreadable Date" in result.stderr
    assert "Traceback" not in result.output
    bad = runner.invoke(app, ["backtest", str(FIXTURE), "--as-of", "soon"])
    assert bad.exit_code == 2 and "--as-of" in bad.stderr
    bad = runner.invoke(app, ["backtest", str(FIXTURE), "--snapshot", "someday"])
    assert bad.exit_code == 2 and "error: --snapshot: expected a date" in bad.stderr


@pytest.mark.parametrize(
    ("row", "note"),
    [
        ("2024-01-01,Echo Nevada,Online,inf,0,1", "skipped: unreadable Power (MW)"),
        (
            "2024-01-01,Echo Nevada,Online,1e12,0,1",
            "skipped: Power (MW): 1e+12 is outside the range of a power",
        ),
        (
            "0001-01-01,Echo Nevada,Online,100,0,1",
            "skipped: Date '0001-01-01' is outside the years 1900-2100",
        ),
    ],
)
def test_an_impossible_row_is_set_aside_with_its_line_not_a_traceback(tmp_path, row, note):
    """Once a traceback each (a non-finite or planetary power, a year-1 date reached the scenario)."""
    csv = tmp_path / "t.csv"
    text = FIXTURE.read_text(encoding="utf-8") + "2023-01-01,Echo Nevada,Land clearing,0,0,0\n" + row + "\n"
    csv.write_text(text, encoding="utf-8")
    line = len(text.splitlines())
    result = runner.invoke(app, ["backtest", str(csv), "--draws", "20", "--json"])
    assert result.exit_code == 0, result.output
    assert f"{csv}:{line}: Echo Nevada: {note}" in result.stderr and "Traceback" not in result.output


def test_two_rises_on_one_date_warn_nothing(recwarn):
    text = FIXTURE.read_text(encoding="utf-8") + "2022-09-01,Alpha Google Texas,Same day,120,0,1\n"
    data = backtest(text, snapshot_date=SNAPSHOT, draws=20).as_dict()
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]
    trend = data["baselines"]["cadence_by_year"]["log_gap_vs_year"]
    assert np.isfinite(trend["r"]) and np.isfinite(trend["p"])  # the zero gap left out, not a NaN


@pytest.mark.skipif(EPOCH is None, reason="Epoch AI's CSVs are not in ../shared/data/epoch")
def test_real_timelines_backtest():
    assert EPOCH is not None
    text = (EPOCH / "data_center_timelines_part.csv").read_text(encoding="utf-8")
    result = backtest(text, snapshot_date=SNAPSHOT, draws=200)
    data = result.as_dict()
    assert data["count"] == 33 and data["censored"]["count"] == 2
    assert data["projected"]["count"] == 18
    assert 0.0 <= data["coverage"] <= 1.0


def test_a_campus_that_starts_by_retrofitting_has_an_existing_shell():
    from gigawatt.backtest import _campus_scenario
    from gigawatt.io.epoch_timelines import read_timelines

    text = (
        "Date,Data center,Construction status,Power (MW),Buildings operational\n"
        "2024-04-24,Quick Campus Texas,Construction starts retrofitting a former factory,0,0\n"
        "2024-08-11,Quick Campus Texas,Building 1 online,44,1\n"
        "2024-04-24,Slow Campus Texas,Land clearing begins,0,0\n"
        "2025-08-11,Slow Campus Texas,Building 1 online,44,1\n"
    )
    histories, _ = read_timelines(text)
    start = units.parse_date("2024-04-24")
    quick = _campus_scenario("Quick", histories["Quick Campus Texas"], start, power_limited=False, cls=None)
    slow = _campus_scenario("Slow", histories["Slow Campus Texas"], start, power_limited=False, cls=None)
    assert quick.sites["campus"].existing_shell and not slow.sites["campus"].existing_shell


def test_written_priors_and_backtest_report_never_overwrite_without_force(tmp_path):
    """Issue 17's safe writes cover these outputs too: an existing file is refused before any
    work, kept as it was, and written over (atomically) only with --force."""
    for command, option, name in (
        (["calibrate", str(FIXTURE), "--as-of", "2025-12-15"], "--write-priors", "p.yaml"),
        (["backtest", str(FIXTURE), "--draws", "50"], "--report", "page.html"),
    ):
        target = tmp_path / name
        target.write_text("keep me")
        refused = runner.invoke(app, [*command, option, str(target)])
        assert refused.exit_code == 2 and "--force" in refused.output
        assert target.read_text() == "keep me"
        forced = runner.invoke(app, [*command, option, str(target), "--force"])
        assert forced.exit_code == 0, forced.output
        assert target.read_text() != "keep me"


def test_error_breakdown_by_campus_bias_and_baselines():
    result = _run()
    data = result.as_dict()
    observed = [m for m in result.milestones if m.kind == "observed"]
    signed = [m.p50_error_months for m in observed]
    assert data["late"] == sum(e > 0 for e in signed)
    assert data["median_p50_error_months"] == pytest.approx(float(np.median(signed)))
    # per campus: the counts add up to the headline's, each campus's own median
    by_campus = data["by_campus"]
    assert sum(c["count"] for c in by_campus.values()) == data["count"]
    alpha = [m.p50_error_months for m in observed if m.campus == "Alpha Google Texas"]
    alpha_median = by_campus["Alpha Google Texas"]["median_p50_error_months"]
    assert alpha_median == pytest.approx(float(np.median(alpha)))
    # the reference forecasts score the same observed rises from the first rows
    assert data["baselines"]["per_index_hindsight"]["count"] == data["count"]
    assert (
        data["baselines"]["per_index_hindsight"]["mean_abs_error_months"]
        <= data["baselines"]["per_index_loo"]["mean_abs_error_months"]
    )


def test_coverage_comes_with_the_width_of_its_bands():
    """A wide band covers cheaply: the headline gives the bands' median P10–P90 width beside it."""
    result = _run()
    data = result.as_dict()
    observed = [m for m in result.milestones if m.kind == "observed"]
    widths = [(units.parse_date(m.p90) - units.parse_date(m.p10)) / 30.4375 for m in observed]
    assert data["median_band_months"] == pytest.approx(float(np.median(widths)), abs=0.05)
    assert data["median_band_months"] > 0
    assert data["by_step"]["first"]["median_band_months"] is not None


def test_cli_prints_band_width_and_naive_baseline_and_says_what_is_not_out_of_sample():
    """The text summary reads the coverage against its band and the error against a baseline that
    knows only the milestone's index; the help says what comes from the whole history."""
    shown = runner.invoke(app, ["backtest", str(FIXTURE), "--draws", "100"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    data = _run().as_dict()
    loo = data["baselines"]["per_index_loo"]
    assert "months wide)" in shown.stdout
    assert "naive baseline" in shown.stdout
    assert f"n={loo['count']}, median |error| {loo['median_abs_error_months']:.1f} months" in shown.stdout
    helped = runner.invoke(app, ["backtest", "--help"], env={"COLUMNS": "200"})
    assert "nothing dated later" not in helped.stdout
    assert "whole history" in helped.stdout and "power unconstrained" in helped.stdout
