"""Schedules without double counting: a site's own dates stand; catalog lead times where they apply."""

import numpy as np
import pytest

from gigawatt import load_scenario, units
from gigawatt.catalog import load_catalog
from gigawatt.engine import CAUSES, Model, simulate_block
from gigawatt.errors import ScenarioError


def _online(scenario, phase_id, draws=2000):
    model = Model.from_scenario(scenario)
    ds = simulate_block(model, seed=0, start=0, stop=draws)
    return model, ds.sel(phase=phase_id)


def test_shackelford_buildings_2_5_keep_the_catalogs_date():
    """The catalog dates buildings 2-5 at PERT(2027-03-31, 2027-09-30, 2028-06-30); generic
    stage priors used to be added on top, pushing the median to ~2028-09."""
    _, ds = _online(load_scenario("stargate"), "shackelford/Buildings 2-5")
    median = np.median(ds["online_date"].values)
    assert units.parse_date("2027-07-31") <= median <= units.parse_date("2027-12-31")


def test_stated_online_date_is_not_delayed_by_generic_stages(write, small_text):
    # started late: start + the generic stage priors (~18 months) would land in mid-2027
    text = small_text.replace(
        "start: 2025-03-01\n        online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}",
        "start: 2026-01-01\n        online: 2026-09-30",
    ).replace("available: 2026-06-30", "available: 2025-06-30")
    _, ds = _online(load_scenario(write(text)), "alpha/P1")
    online = ds["online_date"].values
    held = ds["critical"].values != CAUSES.index("construction")
    assert (online[~held] == units.parse_date("2026-09-30")).all()
    assert (~held).mean() > 0.9


def test_unstated_dates_still_use_the_stage_priors(write, small_text):
    text = small_text.replace("\n        online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}", "")
    _, ds = _online(load_scenario(write(text)), "alpha/P1")
    # start 2025-03-01 + site and shell (3-27 months) + fit-out + commissioning
    assert np.median(ds["online_date"].values) > units.parse_date("2026-06-30")


def test_ordered_grid_waits_for_interconnection_and_transformers(write, small_text):
    text = small_text.replace("available: 2026-06-30", "ordered: 2025-01-01")
    model, ds = _online(load_scenario(write(text)), "alpha/P1")
    waited_weeks = (ds["power_date"].values - units.parse_date("2025-01-01")) / 7
    leads = load_catalog().costs["lead_times"]
    transformer, grid = leads["transformer_large_power"], leads["grid_interconnection"]
    # the later of the two, each within its catalog range
    assert waited_weeks.min() >= transformer.low - 1e-9
    assert waited_weeks.max() <= max(transformer.high, grid.high) + 1e-9
    assert np.median(waited_weeks) > max(transformer.value, grid.value)
    assert (ds["online_date"].values >= ds["power_date"].values).all()
    assert "lead_times.grid_interconnection" in model.parameters


def test_power_source_needs_a_date(write, small_text):
    text = small_text.replace("        available: 2026-06-30\n", "")
    with pytest.raises(ScenarioError, match="give `available`"):
        load_scenario(write(text))
