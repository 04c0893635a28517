"""A block's outcomes are made once by the simulation and binned by aggregation unchanged."""

from __future__ import annotations

import numpy as np
from tests.conftest import DEMAND, SMALL

from gigawatt import engine
from gigawatt.engine.simulate import simulate_drawn
from gigawatt.scenario import load_scenario_text


def _hists_equal(a: engine.Aggregates, b: engine.Aggregates) -> bool:
    return all(
        mine.keys() == theirs.keys() and all(np.array_equal(mine[k], theirs[k]) for k in mine)
        for mine, theirs in ((a.hist, b.hist), (a.date_hist, b.date_hist), (a.counts, b.counts))
    )


def test_aggregates_of_given_outcomes_are_those_made_without_them():
    model = engine.Model.from_scenario(load_scenario_text(SMALL + DEMAND))
    ds, drawn = simulate_drawn(model, 4, 1024, 2048)
    made = engine.outcomes(model, 4, 1024, 2048, ds, drawn)
    assert set(made.targets) == set(model.scenario.targets) and set(made.demand) == {"training", "inference"}
    for name, days in engine.target_days(model, ds).items():
        np.testing.assert_array_equal(made.targets[name], days)
    given, own = (
        engine.aggregate_block(model, 4, 1024, 2048, ds, made),
        engine.aggregate_block(model, 4, 1024, 2048, ds),
    )
    assert _hists_equal(given, own)
    for chunk, sums in own.chunk_sums.items():
        assert all(np.array_equal(sums[k], given.chunk_sums[chunk][k]) for k in sums)


def test_aggregation_bins_the_outcomes_it_is_given():
    model = engine.Model.from_scenario(load_scenario_text(SMALL + DEMAND))
    ds, drawn = simulate_drawn(model, 4, 0, 1024)
    made = engine.outcomes(model, 4, 0, 1024, ds, drawn)
    doubled = engine.Outcomes(
        made.contracted, made.targets, {k: 2 * v for k, v in made.demand.items()}, made.supply
    )
    plain, more = (engine.aggregate_block(model, 4, 0, 1024, ds, m) for m in (made, doubled))
    # twice the demand is covered in no more draws, and in fewer somewhere
    assert (more.counts["demand_covered"] <= plain.counts["demand_covered"]).all()
    assert (more.counts["demand_covered"] < plain.counts["demand_covered"]).any()
