"""Random planning problems of the shape :func:`~gigawatt.plan.inputs.plan_inputs` gives,
for tests and benchmarks of the model at any size."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gigawatt.plan.inputs import (
    HOURS_PER_QUARTER,
    SOURCES,
    WORKLOADS,
    PlanOptions,
    _Limit,
    _option_attrs,
    _with_supply,
    after_fixed_builds,
    quarters,
)
from gigawatt.units import days_from_date


def synthetic_inputs(
    n_sites: int, n_periods: int = 40, seed: int = 0, under_construction: int = 0, **options: Any
) -> xr.Dataset:
    """A random planning problem of the same shape as :func:`plan_inputs` (tests, benchmarks);
    the first ``under_construction`` sites have a phase under construction (a fixed build of a
    third to two thirds of the site, of its first accelerator, ready in a random quarter of the
    first half), the rest of the site to decide. The random draws are the same for any
    ``under_construction`` (its own come after them)."""
    rng = np.random.default_rng(seed)
    ds = quarters(days_from_date(pd.Timestamp("2026-01-01").date()), n_periods)
    t = np.arange(n_periods)
    sites = [f"site-{i:04d}" for i in range(n_sites)]
    accs = ["gen-a", "gen-b", "gen-c"]
    size = rng.uniform(200, 2000, n_sites)
    has = rng.random((n_sites, len(SOURCES))) < np.array([0.8, 0.6, 0.4])
    has[~has.any(axis=1), 0] = True
    first = rng.integers(0, n_periods // 2, (n_sites, len(SOURCES)))
    second = first + rng.integers(2, 12, (n_sites, len(SOURCES)))
    share = rng.uniform(0.3, 0.7, (n_sites, len(SOURCES)))
    cap = size[:, None, None] * (
        share[..., None] * (t >= first[..., None]) + (1 - share[..., None]) * (t >= second[..., None])
    )
    cap *= has[..., None]
    earliest = rng.integers(0, n_periods // 3, n_sites)
    cap *= t[None, None, :] >= earliest[:, None, None]
    total = size.sum()
    growth = np.linspace(0.05, 0.7, n_periods)
    demand = np.stack([0.4 * total * growth, 0.6 * total * growth])
    ds = ds.assign_coords(site=sites, source=list(SOURCES), accelerator=accs, workload=list(WORKLOADS))
    ds["demand_mw"] = (("workload", "period"), demand)
    ds["power_cap_mw"] = (("site", "source", "period"), cap)
    ds["max_size_mw"] = ("site", size)
    ds["existing_mw"] = ("site", np.zeros(n_sites))
    ds["room_mw"] = ds.max_size_mw * xr.ones_like(ds.period_start_date)
    ds["fixed_cost_usd"] = ("site", size * 0.73 * 244e3)
    ds["earliest_online_date"] = ("site", ds.period_start_date.values[earliest])
    ds["facility_capex_usd_per_mw"] = (
        ("site", "source"),
        rng.uniform(9e6, 12e6, (n_sites, 1)) + np.array([0.39e6, 1.1e6, 5.6e6]),
    )
    acc_per_mw = rng.uniform(380, 450, (n_sites, 1)) * np.array([1.0, 0.95, 0.5])
    ds["chips_capex_usd_per_mw"] = (("site", "accelerator"), acc_per_mw * np.array([40e3, 45e3, 95e3]) * 1.2)
    price = rng.uniform(40, 100, (n_sites, 1))
    energy = 0.8 * HOURS_PER_QUARTER
    ds["opex_usd_per_mw_quarter"] = (
        ("site", "source"),
        energy * np.hstack([price, np.full_like(price, 36), 0 * price]),
    )
    ds["co2_t_per_mw_quarter"] = (
        ("site", "source"),
        energy * np.array([[0.0, 0.478, 0.0]]).repeat(n_sites, 0),
    )
    ds["accelerators_per_mw"] = (("site", "accelerator"), acc_per_mw)
    flops_per_mw = acc_per_mw * np.array([2.25e15, 2.5e15, 10e15])  # BF16 dense per accelerator
    reference = float(flops_per_mw[:, 0].mean())
    ds["flops_per_facility_mw"] = (("site", "accelerator"), flops_per_mw)
    ds["demand_flops"] = (("workload", "period"), demand * reference)
    ds["existing_flops"] = ("site", np.zeros(n_sites))
    ds["contracted_flops"] = (("block", "period"), np.zeros((0, n_periods)))
    ds["accelerator_available"] = (("accelerator", "period"), t[None, :] >= np.array([0, 4, 10])[:, None])
    ds["chip_life_quarters"] = ("accelerator", np.array([20.0, 20.0, 20.0]))
    scale = total / 40
    limits = [
        _Limit("blackwell", True, accs[:2], SOURCES, 400 * scale * 0.6 * 1.05**t),
        _Limit("rubin", True, accs[2:], SOURCES, 200 * scale * 0.6 * 1.08**t),
        _Limit("gas_turbines", False, accs, ("gas",), np.full(n_periods, 0.3 * scale)),
        _Limit("construction", False, accs, SOURCES, np.full(n_periods, 1.2 * scale)),
    ]
    ds = after_fixed_builds(_with_supply(_under_construction(ds, rng, under_construction), limits))
    ds.attrs.update(
        _option_attrs(PlanOptions(**options)),
        scenario=f"synthetic-{n_sites}",
        reference_flops_per_mw=reference,
    )
    return ds


def _under_construction(ds: xr.Dataset, rng: np.random.Generator, count: int) -> xr.Dataset:
    """The first ``count`` sites with a phase under construction: a third to two thirds of the
    site, of its first accelerator, ready in a random quarter of the first half; the rest is
    the site's room to decide."""
    n_sites, n_periods = ds.sizes["site"], ds.sizes["period"]
    size = ds.max_size_mw.values
    fixed = np.zeros((n_sites, ds.sizes["accelerator"], n_periods))
    ready = rng.integers(0, n_periods // 2, n_sites)
    share = rng.uniform(1 / 3, 2 / 3, n_sites)
    room = ds.room_mw.transpose("site", "period").values.copy()
    for i in range(min(count, n_sites)):
        fixed[i, 0] = np.where(np.arange(n_periods) >= ready[i], share[i] * size[i], 0.0)
        room[i] = size[i] * (1 - share[i])
    ds["room_mw"] = (("site", "period"), room)
    ds["fixed_build_mw"] = (("site", "accelerator", "period"), fixed)
    ds["fixed_build_total_mw"] = ("site", fixed[:, :, -1].sum(axis=1))
    capex = ds.facility_capex_usd_per_mw.values[:, 0] + ds.chips_capex_usd_per_mw.values[:, 0]
    ds["fixed_build_capex_usd"] = ("site", ds.fixed_build_total_mw.values * capex)
    return ds
