"""The array engine against an independent discrete-event model of it (SimPy, one draw at a time).

Both read the same sampled parameters; the reference allocates shared limits weekly,
so per draw its online dates trail the engine's by less than a week (its time step)
except where that week reorders a queue."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

from gigawatt import load_scenario
from gigawatt.engine import Model, run, simulate_block

_PATH = Path(__file__).parents[2] / "benchmarks/simpy_reference.py"
_SPEC = importlib.util.spec_from_file_location("simpy_reference", _PATH)
assert _SPEC is not None and _SPEC.loader is not None
ref = importlib.util.module_from_spec(_SPEC)
sys.modules["simpy_reference"] = ref
_SPEC.loader.exec_module(ref)

WEEK_DAYS = 7.0

# Two sites sharing accelerators, transformers and gas turbines; an online phase,
# one under construction, a site on IT basis, a partly firm solar source.
LIMITS = """\
name: small-limits
description: two sites sharing chips, transformers and turbines
time: {start: 2025-01-01, end: 2031-12-31, step: week, as_of: 2025-07-01}
sites:
  alpha:
    name: Alpha
    country: US
    region: us-tx
    power_basis: facility
    accelerator: gb200-nvl72
    priority: 2
    power_plan:
      - kind: grid
        capacity: "500 MW"
        available: {pert: [2025-09-30, 2026-06-30, 2027-03-31]}
      - kind: solar_battery
        capacity: "400 MW"
        firm_fraction: {pert: [0.3, 0.5, 0.7]}
        available: 2027-01-01
    phases:
      - name: P0
        power: "100 MW"
        status: online
        start: 2024-03-01
        online: 2025-05-01
      - name: P1
        power: "300 MW"
        status: under_construction
        start: 2025-03-01
        online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}
      - name: P2
        power: {pert: ["150 MW", "200 MW", "300 MW"]}
        status: committed
  beta:
    name: Beta
    country: US
    region: us-oh
    power_basis: it
    cooling: air
    accelerator: h100
    power_plan:
      - kind: gas
        capacity: "400 MW"
        technology: aeroderivative
        ordered: 2025-01-01
    phases:
      - name: B1
        power: "150 MW"
        status: announced
      - name: B2
        power: "120 MW"
        status: committed
        accelerator: gb200-nvl72
supply:
  chips:
    resource: accelerators
    accelerators: [gb200-nvl72, h100]
    amount: {pert: ["20000", "60000", "150000"]}
    per: quarter
    start: 2025-06-01
    growth_per_year: {pert: [0.0, 0.3, 0.6]}
    share: {pert: [0.2, 0.4, 0.6]}
  transformers:
    resource: transformers
    amount: {pert: ["100 MW", "200 MW", "400 MW"]}
    per: year
  turbines:
    resource: gas_turbines
    amount: "120 MW"
    per: year
    start: 2025-07-01
targets:
  half-gw:
    power: "0.5 GW"
    by: 2027-12-31
    basis: online
  started:
    power: "0.4 GW"
    by: 2026-06-30
    basis: under_construction
"""

# A slow learning-curve build rate on top, so that it binds.
FACTORY = """\
factory:
  initial_rate: {pert: ["1 MW/week", "2 MW/week", "4 MW/week"]}
  learning_rate: 0.2
  reference: "100 MW"
"""


def _compare(scenario, draws: int, seed: int = 0) -> None:
    model = Model.from_scenario(scenario)
    engine_online = simulate_block(model, seed, 0, draws)["online_date"].values
    reference = ref.simulate(model, seed, 0, draws)
    ours = reference["online_date"]
    # Never online within the horizon: the same phases in both (but for a reordered queue).
    assert np.mean(np.isfinite(engine_online) == np.isfinite(ours)) >= 0.99
    both = np.isfinite(engine_online) & np.isfinite(ours)
    gap = ours[both] - engine_online[both]
    assert both.sum() > 0.5 * both.size
    assert np.mean((gap >= -1e-6) & (gap < WEEK_DAYS + 1e-6)) >= 0.99
    assert np.median(np.abs(gap)) < WEEK_DAYS
    results = run(scenario, draws=draws, seed=seed, block_draws=1024)
    grid = model.grid_days
    step = grid[1] - grid[0]
    for name, days in ref.target_days(model, reference).items():
        for q in (0.1, 0.5, 0.9):
            (theirs,) = results.date_quantiles(f"target:{name}", (q,))
            mine = ref.date_quantile(days, grid, q)
            assert np.isfinite(theirs) == np.isfinite(mine), (name, q)
            if np.isfinite(mine):
                assert abs(mine - theirs) <= step + 1e-9, (name, q, mine, theirs)


def test_shared_limits_agree_with_the_simpy_reference(write):
    scenario = load_scenario(write(LIMITS))
    _compare(scenario, draws=300)
    # the limits bind: without them the engine's dates are earlier
    model = Model.from_scenario(scenario)
    ds = simulate_block(model, 0, 0, 300)
    assert (ds["critical"].values >= 6).mean() > 0.2


def test_factory_build_rate_agrees_with_the_simpy_reference(write):
    _compare(load_scenario(write(LIMITS + FACTORY)), draws=300)


def test_stargate_agrees_with_the_simpy_reference():
    _compare(load_scenario("stargate"), draws=300, seed=1)


def test_reference_rejects_what_it_cannot_book(write):
    """The reference books ahead of need, so it needs priority >= 0."""
    scenario = load_scenario(write(LIMITS.replace("priority: 2", "priority: -1")))
    model = Model.from_scenario(scenario)
    with pytest.raises(ValueError, match="priority"):
        ref.simulate(model, 0, 0, 1)


def test_date_quantile_counts_never_as_last():
    grid = np.arange(0.0, 70.0, 7.0)
    days = np.array([3.0, 7.0, 8.0, np.inf])
    assert ref.date_quantile(days, grid, 0.5) == 7.0
    assert ref.date_quantile(days, grid, 0.75) == 14.0
    assert ref.date_quantile(days, grid, 1.0) == np.inf
