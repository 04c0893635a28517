"""A run's blocks as plain arrays (engine.Draws): read as the labelled Dataset is, the same numbers."""

import numpy as np
import xarray as xr

from gigawatt import engine
from gigawatt.engine.draws import Draws
from gigawatt.engine.simulate import simulate_drawn
from gigawatt.scenario import load_scenario


def _model() -> engine.Model:
    return engine.Model.from_scenario(load_scenario("stargate"))


def test_draws_read_as_the_dataset_of_simulate_block():
    model = _model()
    draws, _ = simulate_drawn(model, 3, 1024, 1524)
    ds = engine.simulate_block(model, 3, 1024, 1524)
    assert isinstance(draws, Draws) and isinstance(ds, xr.Dataset)
    assert draws.sizes == dict(ds.sizes) and draws.attrs == ds.attrs
    for name in [*ds.data_vars, "draw"]:
        mine, theirs = draws[name].values, ds[name].values
        assert mine.dtype == theirs.dtype and np.array_equal(mine, theirs, equal_nan=True), name
    assert draws.to_dataset().identical(ds)


def test_the_first_draws_and_consecutive_blocks_join_as_the_dataset_does():
    model = _model()
    first, _ = simulate_drawn(model, 3, 0, 1024)
    second, _ = simulate_drawn(model, 3, 1024, 2048)
    joined = Draws.concat([first, second.head(500)]).to_dataset()
    expected = xr.concat(
        [engine.simulate_block(model, 3, 0, 1024), engine.simulate_block(model, 3, 1024, 1524)], "draw"
    )
    assert joined.identical(expected)


def test_aggregates_are_the_same_from_draws_and_from_the_dataset():
    model = _model()
    draws, _ = simulate_drawn(model, 5, 2048, 3072)
    from_draws = engine.aggregate_block(model, 5, 2048, 3072, draws)
    from_dataset = engine.aggregate_block(model, 5, 2048, 3072, engine.simulate_block(model, 5, 2048, 3072))
    for group in ("hist", "date_hist", "counts"):
        mine, theirs = getattr(from_draws, group), getattr(from_dataset, group)
        assert mine.keys() == theirs.keys()
        assert all(np.array_equal(mine[k], theirs[k]) for k in mine), group
