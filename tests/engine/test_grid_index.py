"""The engine's grid index is numpy's binary search, integer for integer."""

import numpy as np
import pytest

from gigawatt.engine.histograms import _grid_index


@pytest.mark.parametrize("step", [7.0, 30.4375, 91.3125, 1.0])
def test_grid_index_is_searchsorted(step):
    rng = np.random.default_rng(5)
    grid = 19723.0 + step * np.arange(627)
    days = np.concatenate(
        [
            rng.uniform(grid[0] - 400, grid[-1] + 400, 20_000),
            grid,  # exactly on the grid
            np.nextafter(grid, -np.inf),
            np.nextafter(grid, np.inf),
            np.floor(rng.uniform(grid[0], grid[-1], 5_000)),  # whole days
        ]
    )
    finite = _grid_index(grid, days)
    assert np.array_equal(finite, np.searchsorted(grid, days, side="left"))
    odd = np.array([np.inf, -np.inf, np.nan, grid[3]])
    got = _grid_index(grid, odd)
    assert got[3] == 3 and ((got >= 0) & (got <= grid.size)).all()
