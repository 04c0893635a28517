"""Fitted priors in the engine: build spans and building cadence (gigawatt.cadence)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import units
from gigawatt.calibrate import Observation
from gigawatt.cli import app
from gigawatt.engine import Model, simulate_block
from gigawatt.errors import ScenarioError
from gigawatt.priors import Priors, SpanPrior, class_test, load_priors, resolve_priors
from gigawatt.scenario import load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "epoch_timelines_history.csv"
SCENARIO = """\
name: cadence
time: {{start: 2025-01-01, end: 2040-12-31, as_of: 2025-01-01}}
{priors}
sites:
  campus:
    name: Campus
    country: US
    region: us-tx
    power_basis: facility
    accelerator: h100
    developer_class: hyperscaler
    power_plan: [{{kind: grid, capacity: 1000 MW, available: 2025-01-01}}]
    phases:
      - {{name: B1, power: 100 MW, status: under_construction, start: 2025-01-01}}
      - {{name: B2, power: 100 MW, status: under_construction, start: 2025-01-01}}
      - {{name: B3, power: 100 MW, status: under_construction, start: 2025-01-01}}
      - {{name: B4, power: 100 MW, start: 2025-01-01, online: 2026-01-01}}
"""


def _priors(build_p50: float = 52.0, gap_p50: float = 26.0) -> Priors:
    def span(p50: float) -> SpanPrior:
        return SpanPrior(p50 / 1.5, p50, p50 * 1.5, 5, ("a", "b"))

    return Priors({"first_building": span(build_p50), "building_cadence": span(gap_p50)})


def _online(model: Model, draws: int = 400) -> np.ndarray:
    return simulate_block(model, 7, 0, draws)["online_date"].values


def test_phases_come_online_in_sequence(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors="priors: catalog"), encoding="utf-8")
    scenario = load_scenario(path)
    plain = _online(Model.from_scenario(scenario))
    # with the catalog's stages the three phases are independent draws of the same pipeline
    assert abs(np.median(plain[:, 2] - plain[:, 0])) < 30
    online = _online(Model.from_scenario(scenario, priors=_priors()))
    gaps = np.diff(online[:, :3], axis=1)
    assert (gaps >= 0).all()
    assert np.median(gaps) == pytest.approx(26 * 7, rel=0.25)
    # the first building takes the fitted span from its stated start
    start = units.parse_date("2025-01-01")
    assert np.median(online[:, 0] - start) == pytest.approx(52 * 7, rel=0.1)


def test_later_buildings_follow_the_cadence_not_a_fresh_first_building_draw(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors=""), encoding="utf-8")
    wide = Priors(
        {
            "first_building": SpanPrior(26, 52, 104, 5, ("a", "b")),
            "building_cadence": SpanPrior(0.5, 1, 2, 5, ("a", "b")),
        }
    )
    model = Model.from_scenario(load_scenario(path), priors=wide)
    # one build span per site, shared by its phases (not one per phase)
    assert "sites.campus.stages.build" in model.parameters
    assert not any(k.endswith("].stages.build") for k in model.parameters)
    online = _online(model)
    # B2 and B3 follow B1 by about a week in every draw; independent spans from the campus
    # start would hold them back by months in most draws
    assert np.quantile(online[:, 2] - online[:, 0], 0.95) < 5 * 7


def test_an_existing_shell_builds_in_the_roof_to_operational_span(tmp_path):
    path = tmp_path / "s.yaml"
    retrofit = SCENARIO.replace(
        "developer_class: hyperscaler", "developer_class: hyperscaler\n    existing_shell: true"
    )
    path.write_text(retrofit.format(priors=""), encoding="utf-8")
    priors = _priors()
    priors.spans["roof_to_operational"] = SpanPrior(8, 10, 12.5, 2, ("a", "b"))
    online = _online(Model.from_scenario(load_scenario(path), priors=priors))
    start = units.parse_date("2025-01-01")
    assert np.median(online[:, 0] - start) == pytest.approx(10 * 7, rel=0.1)
    # without a roof-to-operational fit it falls back to the first-building span
    online = _online(Model.from_scenario(load_scenario(path), priors=_priors()))
    assert np.median(online[:, 0] - start) == pytest.approx(52 * 7, rel=0.1)


def test_a_phase_with_its_own_dated_schedule_gets_no_cadence(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors=""), encoding="utf-8")
    model = Model.from_scenario(load_scenario(path), priors=_priors(gap_p50=400.0))
    assert "sites.campus.phases[3].cadence" not in model.parameters
    assert "sites.campus.phases[1].cadence" in model.parameters
    online = _online(model)
    # B4's planned date (a floor) and its own build, not B3 + a 400-week gap
    assert np.median(online[:, 3]) < np.median(online[:, 2]) - 52 * 7


def test_class_fit_is_used_where_there_is_one():
    shared = SpanPrior(10, 20, 30, 9, ("x",))
    own = SpanPrior(40, 50, 60, 4, ("y",))
    priors = Priors(
        {"first_building": shared, "building_cadence": shared}, {"hyperscaler": {"first_building": own}}
    )
    assert priors.span("first_building", "hyperscaler") is own
    assert priors.span("building_cadence", "hyperscaler") is shared
    assert priors.span("first_building", "developer") is shared


def test_class_fit_only_where_a_likelihood_ratio_test_supports_it():
    fast = [Observation(f"xAI Site {i}", 1, 2, w) for i, w in enumerate((10.0, 12.0, 14.0, 11.0))]
    slow = [Observation(f"Google Site {i}", 1, 2, w) for i, w in enumerate((100.0, 120.0, 90.0, 110.0))]
    own, p_value = class_test(fast + slow, "speed_first")
    assert own is not None and own.p50_weeks == pytest.approx(11.7, abs=0.2)
    assert p_value is not None and p_value < 1e-3
    mixed = [Observation(f"xAI Site {i}", 1, 2, w) for i, w in enumerate((95.0, 120.0, 100.0, 105.0))]
    assert class_test(mixed + slow, "speed_first")[1] > 0.05


def test_write_priors_then_use_them_in_a_scenario(tmp_path):
    out = tmp_path / "p.yaml"
    result = CliRunner().invoke(
        app, ["calibrate", str(FIXTURE), "--as-of", "2025-12-15", "--write-priors", str(out)]
    )
    assert result.exit_code == 0, result.output
    priors = load_priors(out)
    fb = priors.spans["first_building"]
    # five campuses built their first building by the as-of date; Foxtrot is still open (censored)
    assert (fb.n, fb.censored, len(fb.campuses)) == (5, 1, 6)
    assert fb.p10_weeks < fb.p50_weeks < fb.p90_weeks
    gaps = priors.spans["building_cadence"]
    assert gaps.n == 3 + 2 + 2 + 2 + 2  # the gaps between each campus's observed power rises
    # four hyperscaler campuses, but only one other observed campus: pooling cannot be tested,
    # so the class uses the all-campus fit
    assert priors.class_tests["hyperscaler"]["first_building"] is None and not priors.classes
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors="priors: p.yaml"), encoding="utf-8")
    model = Model.from_scenario(load_scenario(path))
    assert model.priors == priors
    run = CliRunner().invoke(app, ["validate", str(path)])
    assert run.exit_code == 0, run.output


def test_catalog_priors_are_the_catalog_stages(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors="priors: catalog"), encoding="utf-8")
    catalog = Model.from_scenario(load_scenario(path))
    assert catalog.priors is not None and not catalog.priors.spans
    assert not any(k.endswith(("stages.build", "cadence")) for k in catalog.parameters)
    path.write_text(SCENARIO.format(priors=""), encoding="utf-8")
    plain = Model.from_scenario(load_scenario(path))
    # without priors: a scenario runs on the shipped fit, the same as `priors: default`
    path.write_text(SCENARIO.format(priors="priors: default"), encoding="utf-8")
    default = Model.from_scenario(load_scenario(path))
    assert plain.priors is resolve_priors("default") and default.priors is plain.priors
    assert set(plain.parameters) == set(default.parameters)
    assert {"sites.campus.stages.build", "sites.campus.phases[1].cadence"} <= set(plain.parameters)
    assert (_online(plain) == _online(default)).all()
    assert not (_online(plain) == _online(catalog)).all()


def test_stated_build_stages_keep_precedence_over_the_fitted_span(tmp_path):
    path = tmp_path / "s.yaml"
    stated = 'stages: {site_and_shell: "40 weeks", it_fit_out: "10 weeks", commissioning: "2 weeks"}'
    path.write_text(SCENARIO.format(priors=stated), encoding="utf-8")
    model = Model.from_scenario(load_scenario(path))
    assert "sites.campus.stages.build" not in model.parameters  # the stated stages stand
    assert "sites.campus.phases[1].cadence" in model.parameters  # the cadence still applies
    online = _online(model)
    assert (online[:, 0] == units.parse_date("2025-01-01") + 52 * 7).all()
    done = np.isfinite(online[:, :3]).all(axis=1)  # a long gap can pass the horizon (2040)
    assert done.mean() > 0.9 and (np.diff(online[done, :3], axis=1) > 0).all()


def test_the_plan_schedules_pending_phases_on_the_cadence(tmp_path):
    from gigawatt.catalog import load_catalog
    from gigawatt.plan import pending_phases

    path = tmp_path / "s.yaml"
    stated = 'stages: {site_and_shell: "40 weeks", it_fit_out: "10 weeks", commissioning: "2 weeks"}'
    path.write_text(SCENARIO.format(priors=stated), encoding="utf-8")
    scenario = load_scenario(path)
    gap = resolve_priors("default").spans["building_cadence"].dist()
    for q in (0.1, 0.5, 0.9):
        ready = {p.name: day for p, day, _ in pending_phases(scenario, load_catalog(), "campus", q)}
        first = units.parse_date("2025-01-01") + 52 * 7
        assert ready["B1"] == pytest.approx(first)
        # each later phase waits for the one before it plus the fitted gap at q; B4 keeps its date
        assert ready["B2"] == pytest.approx(first + 7 * float(gap.ppf(q)))
        assert ready["B3"] == pytest.approx(first + 14 * float(gap.ppf(q)))
        assert ready["B4"] == pytest.approx(units.parse_date("2026-01-01"))
    # with the catalog's stages alone (no fitted spans) the phases are independent again
    path.write_text(SCENARIO.format(priors="priors: catalog\n" + stated), encoding="utf-8")
    ready = {p.name: d for p, d, _ in pending_phases(load_scenario(path), load_catalog(), "campus", 0.5)}
    assert ready["B1"] == ready["B2"] == ready["B3"]


def test_default_priors_are_the_shipped_fit():
    default = resolve_priors("default")
    assert default.spans["first_building"].n >= 2
    assert {"first_building", "building_cadence"} <= set(default.spans)
    assert set(default.spans) <= {"first_building", "building_cadence", "roof_to_operational"}


def test_bad_priors_are_located(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "kind: gigawatt-priors\nspans:\n  first_building:\n"
        "    distribution: {lognormal: {p50: 9 weeks, p90: 3 weeks}}\n"
        "  building_cadence: {distribution: {lognormal: {p50: 1 week, p90: 2 weeks}}}\n",
        encoding="utf-8",
    )
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO.format(priors="priors: bad.yaml"), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    text = str(info.value)
    assert f"{path}:3:" in text and f"{bad}:4:" in text and "p50 < p90" in text
    path.write_text(SCENARIO.format(priors="priors: nowhere.yaml"), encoding="utf-8")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "no priors file" in result.stderr


def test_an_observed_first_building_fixes_the_sites_build_span(tmp_path):
    # B1 online 40 weeks after its start: the site's build span is that fact, not a fresh draw
    # (which would hold B2 to an invented first building from the site's start)
    observed = SCENARIO.replace(
        "{{name: B1, power: 100 MW, status: under_construction, start: 2025-01-01}}",
        "{{name: B1, power: 100 MW, status: online, start: 2024-01-01, online: 2024-10-07}}",
    ).replace("as_of: 2025-01-01", "as_of: 2025-03-01")
    # every phase dated from the campus's start, as the backtest writes a campus
    observed = observed.replace("start: 2025-01-01", "start: 2024-01-01")
    path = tmp_path / "s.yaml"
    path.write_text(observed.format(priors=""), encoding="utf-8")
    model = Model.from_scenario(load_scenario(path), priors=_priors(build_p50=400.0, gap_p50=26.0))
    assert model.parameters["sites.campus.stages.build"].is_fixed
    assert model.parameters["sites.campus.stages.build"].mid == pytest.approx(40.0)
    online = _online(model)
    # B2 follows B1's online date by the gap (floored at the as-of date), not start + 400 weeks
    b1 = units.parse_date("2024-10-07")
    assert np.median(online[:, 1]) == pytest.approx(b1 + 26 * 7, abs=21)
    # the catalog's stages alone: no span at all, observed or drawn
    catalog = Model.from_scenario(load_scenario(path), priors=resolve_priors("catalog"))
    assert not any(k.endswith("stages.build") for k in catalog.parameters)
