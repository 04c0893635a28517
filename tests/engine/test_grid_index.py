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
            rng.uniform(grid[0], grid[-1], 5_000) + rng.integers(-3, 4, 5_000) * 1e-12,
            [0.0, 1.0, -5.0, 1e6, -1e6, 1e300, -1e300, grid[0] * 2, grid[0] / 2],  # far off
        ]
    )
    finite = _grid_index(grid, days)
    assert np.array_equal(finite, np.searchsorted(grid, days, side="left"))
    odd = np.array([np.inf, -np.inf, np.nan, grid[3]])
    got = _grid_index(grid, odd)
    assert got[3] == 3 and ((got >= 0) & (got <= grid.size)).all()


def test_the_arithmetic_path_serves_whole_day_grids_only():
    from gigawatt.engine.histograms import _whole_grid

    weekly = 19723.0 + 7.0 * np.arange(627)
    assert _whole_grid(weekly, 7.0)
    assert not _whole_grid(19723.0 + 30.4375 * np.arange(627), 30.4375)
    uneven = weekly.copy()
    uneven[5] += 0.5
    assert not _whole_grid(uneven, 7.0)
    days = np.array([uneven[5], uneven[5] - 0.25, uneven[6]])
    assert np.array_equal(_grid_index(uneven, days), np.searchsorted(uneven, days, side="left"))


@pytest.mark.parametrize("columns", [1, 2, 23, 37, 64, 65])
def test_step_order_is_a_stable_argsort(columns):
    from gigawatt.engine.histograms import step_order

    rng = np.random.default_rng(columns)
    steps = rng.integers(0, 628, (500, columns)).astype(np.intp)
    steps[:, ::3] = 627  # ties: many columns never online
    assert np.array_equal(step_order(steps), np.argsort(steps, axis=1, kind="stable"))
