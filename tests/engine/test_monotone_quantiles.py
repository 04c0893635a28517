"""Capacity online never decreases in any draw, so its quantiles must not either (issue 17)."""

from __future__ import annotations

import numpy as np

from gigawatt.engine import run
from gigawatt.engine.histograms import _SUM_UNIT, _hist_quantiles, _value_hist
from gigawatt.scenario import load_scenario


def test_capacity_quantiles_from_histograms_never_decrease() -> None:
    results = run(load_scenario("stargate"), draws=4096, seed=0)
    assert np.diff(results.capacity.values, axis=2).min() >= 0  # was -1.2 MW at 617 points
    for name in ("it", "flops", "h100e"):
        assert np.diff(results.series_quantiles(name), axis=1).min() >= 0, name


def test_a_bin_mean_that_dips_is_made_monotone() -> None:
    # one draw at 1,000 MW throughout; a second enters the same ~1%-wide bin lower down
    values = np.array([[1000.0, 1000.0], [0.0, 999.5]])
    hist = _value_hist(values)
    raw = _hist_quantiles(hist, _SUM_UNIT["mw"], (0.9,))
    assert raw[0, 1] < raw[0, 0]  # the dip the histogram alone gives
    fixed = _hist_quantiles(hist, _SUM_UNIT["mw"], (0.9,), cumulative=True)
    assert fixed[0, 1] == fixed[0, 0] == 1000.0
