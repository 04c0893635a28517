"""The plan as a linopy model: objective coefficients and one labelled constraint per family.

:func:`coefficients` prices a MW built or online in each quarter (capex annuities counted
inside the horizon, discounted energy, unmet demand); :func:`build_model` states the
least-net-present-cost problem over the inputs' dims, each constraint family handed to linopy
as one sparse (CSR) matrix (:func:`_rows`).
"""

from __future__ import annotations

import math
from typing import Any

import linopy
import numpy as np
import pandas as pd
import scipy.sparse
import xarray as xr
from linopy.csr import CSRLinearExpression, Grid

from gigawatt.plan.inputs import EFLOPS, fixed_build_flops


def fixed_build_mw(inputs: xr.Dataset) -> np.ndarray:
    """Facility MW of each site's fixed builds online by each quarter's end (site, period)."""
    if "fixed_build_mw" not in inputs:
        return np.zeros((inputs.sizes["site"], inputs.sizes["period"]))
    return inputs.fixed_build_mw.sum("accelerator").transpose("site", "period").values


def _annuity(rate_per_quarter: float, life_quarters: Any) -> Any:
    """Level quarterly payment, the first at once, worth 1 at the time of the first."""
    life = np.maximum(np.asarray(life_quarters, dtype=float), 1.0)
    if rate_per_quarter == 0:
        return 1.0 / life
    r = rate_per_quarter
    return r / (1.0 - (1.0 + r) ** -life) / (1.0 + r)


def _remaining(discount: np.ndarray, life_quarters: float) -> np.ndarray:
    """Σ of discount factors over the quarters a MW built in each period lives inside the horizon."""
    n = len(discount)
    cum = np.concatenate([[0.0], np.cumsum(discount)])
    stop = np.minimum(np.arange(n) + math.ceil(life_quarters), n)
    return cum[stop] - cum[:n]


def coefficients(inputs: xr.Dataset) -> xr.Dataset:
    """Objective, budget and emission coefficients shared by every model builder (numpy inside:
    they are part of both benchmarked builds, and xarray broadcasting costs more than the sums)."""
    rate_q = (1 + inputs.attrs["discount_rate_per_year"]) ** 0.25 - 1
    discount = (1 + rate_q) ** -(np.arange(inputs.sizes["period"]) + 0.5)
    life_f = inputs.attrs["facility_life_quarters"]
    chip_life = inputs.chip_life_quarters.values
    facility = inputs.facility_capex_usd_per_mw.transpose("site", "source").values  # (site, source)
    chips = inputs.chips_capex_usd_per_mw.transpose("site", "accelerator").values  # (site, accelerator)
    facility_per_period = (
        facility[:, None, :] * (_annuity(rate_q, life_f) * _remaining(discount, life_f))[:, None]
    )
    chips_per_period = (
        chips[:, None, :]
        * np.array([_annuity(rate_q, life) * _remaining(discount, life) for life in chip_life]).T
    )  # (site, period, accelerator)
    cap = inputs.power_cap_mw.transpose("site", "source", "period").values
    has_source = cap.max(axis=2) > 0  # (site, source)
    available = inputs.accelerator_available.transpose("period", "accelerator").values
    opex = inputs.opex_usd_per_mw_quarter.transpose("site", "source").values
    sps, spsa = ("site", "period", "source"), ("site", "period", "source", "accelerator")
    penalty_per_eflops = inputs.attrs["penalty_usd_per_eflops_quarter"]
    return xr.Dataset(
        {
            "discount": ("period", discount),
            "build_cost_usd_per_mw": (spsa, facility_per_period[..., None] + chips_per_period[:, :, None, :]),
            "build_capex_usd_per_mw": (
                ("site", "source", "accelerator"),
                facility[:, :, None] + chips[:, None, :],
            ),
            "online_cost_usd_per_mw": (sps, opex[:, None, :] * discount[None, :, None]),
            "unmet_cost_usd_per_eflops": ("period", penalty_per_eflops * discount),
            "eflops_per_mw": (("site", "accelerator"), inputs.flops_per_facility_mw.values / EFLOPS),
            "build_mask": (spsa, has_source[:, None, :, None] & available[None, :, None, :]),
            "online_mask": (
                sps,
                np.broadcast_to(has_source[:, None, :], (len(cap), len(discount), cap.shape[1])),
            ),
        },
        coords={d: inputs.indexes[d] for d in ("site", "period", "source", "accelerator")},
    )


def build_model(inputs: xr.Dataset, open_sites: xr.DataArray | None = None) -> linopy.Model:
    """The plan as a linopy model; ``open_sites`` fixes which sites open (then it is an LP).

    Each constraint family is one labelled linopy constraint over its dims (``stock`` and
    ``power`` over site × period × source, ``site_size`` over site × period, ``compute`` and
    ``demand`` (in EFLOP/s) over period, ``supply`` over limit × period), stated from numpy
    arrays of coefficients and variable labels and handed to linopy as one sparse (CSR) matrix
    per family (:func:`_rows`). Composing the same rows with linopy's operators
    (``online - online.shift(period=1) - build.sum("accelerator")``) gives the same model but
    spends ~4× longer aligning xarray objects, and xarray-backed constraints twice as long as
    CSR ones (BENCHMARKS.md).
    """
    coef = coefficients(inputs)
    m = linopy.Model(force_dim_names=True)
    build = m.add_variables(*_bounds(coef.build_mask, 0.0), name="build", mask=coef.build_mask)
    online = m.add_variables(*_bounds(coef.online_mask, 0.0), name="online", mask=coef.online_mask)
    b = build.labels.values  # (site, period, source, accelerator); -1 where masked
    o = online.labels.values  # (site, period, source)
    n_period = o.shape[1]
    by_sps = {d: inputs.indexes[d] for d in ("site", "period", "source")}
    by_sp = {d: inputs.indexes[d] for d in ("site", "period")}
    before = np.concatenate([np.full_like(o[:, :1], -1), o[:, :-1]], axis=1)  # online[t-1]
    stock = _rows(m, by_sps, [(1.0, o[..., None]), (-1.0, before[..., None]), (-1.0, b)], "=", 0.0)
    m.add_constraints(stock, name="stock", freeze=True, mask=coef.online_mask)
    cap = inputs.power_cap_mw.transpose("site", "period", "source").values
    m.add_constraints(
        _rows(m, by_sps, [(1.0, o[..., None])], "<=", cap), name="power", freeze=True, mask=coef.online_mask
    )
    objective = [
        (coef.build_cost_usd_per_mw.values, b),
        (coef.online_cost_usd_per_mw.values, o),
    ]
    spend = [(np.broadcast_to(coef.build_capex_usd_per_mw.values[:, None], b.shape), b)]
    budget = _site_size(m, inputs, o, open_sites, objective, spend)
    # What is online and what is under construction (fixed builds) take a site's power first.
    taken = inputs.existing_mw.values[:, None] + fixed_build_mw(inputs)
    if (taken > 0).any():
        headroom = np.maximum(cap.sum(axis=2) - taken, 0.0)
        m.add_constraints(
            _rows(m, by_sp, [(1.0, o)], "<=", headroom),
            name="site_power",
            freeze=True,
            mask=xr.DataArray((taken > 0).any(axis=1), coords={"site": inputs.indexes["site"]}),
        )
    per_period = b.transpose(1, 0, 2, 3).reshape(n_period, -1)  # every build of each period
    _compute_and_demand(m, inputs, coef, b, per_period, objective)
    _supply(m, inputs, per_period)
    if not math.isnan(budget):
        m.add_constraints(_rows(m, {}, _flat(spend), "<=", budget), name="budget", freeze=True)
    if not math.isnan(inputs.attrs["emissions_cap_t"]):
        co2 = np.broadcast_to(inputs.co2_t_per_mw_quarter.values[:, None], o.shape)
        m.add_constraints(
            _rows(m, {}, _flat([(co2, o)]), "<=", inputs.attrs["emissions_cap_t"]), name="co2", freeze=True
        )
    m.add_objective(_expr(m, {}, _flat(objective)))
    return m


def _site_size(
    m: linopy.Model,
    inputs: xr.Dataset,
    o: np.ndarray,
    open_sites: xr.DataArray | None,
    objective: _Terms,
    spend: _Terms,
) -> float:
    """Each site's new MW online within its room (its phases ready by then) if it opens: with
    ``open`` a variable whose land cost joins ``objective`` and ``spend``, or with the given
    ``open_sites`` as constants. Returns the capex budget left for the variables (nan: none)."""
    room = inputs.room_mw.transpose("site", "period").values
    fixed = inputs.fixed_cost_usd.values
    by_sp = {d: inputs.indexes[d] for d in ("site", "period")}
    if open_sites is None:
        if inputs.attrs["binary_sites"]:
            opens = m.add_variables(*_bounds(inputs.max_size_mw, 0.0, 1.0), name="open", binary=True)
        else:
            opens = m.add_variables(*_bounds(inputs.max_size_mw, 0.0, 1.0), name="open")
        is_open = opens.labels.values
        each_period = np.broadcast_to(is_open[:, None, None], (*o.shape[:2], 1))
        m.add_constraints(
            _rows(m, by_sp, [(1.0, o), (-room[..., None], each_period)], "<=", 0.0),
            name="site_size",
            freeze=True,
        )
        objective.append((fixed, is_open))
        spend.append((fixed, is_open))
        return float(inputs.attrs["budget_usd"])
    # Fixed openings are constants: the caller adds fixed_cost × open_sites to the cost.
    opened = room * open_sites.values[:, None]
    m.add_constraints(_rows(m, by_sp, [(1.0, o)], "<=", opened), name="site_size", freeze=True)
    return float(inputs.attrs["budget_usd"] - float((fixed * open_sites.values).sum()))


def _compute_and_demand(
    m: linopy.Model,
    inputs: xr.Dataset,
    coef: xr.Dataset,
    b: np.ndarray,
    per_period: np.ndarray,
    objective: _Terms,
) -> None:
    """Compute: new EFLOP/s online = last quarter's + this quarter's builds × EFLOP/s per MW;
    demand: existing + contracted + new EFLOP/s (+ unmet, priced into ``objective``, unless
    demand must be met in full) ≥ demand, each quarter."""
    by_p = {"period": inputs.indexes["period"]}
    compute = m.add_variables(*_bounds(inputs.period_start_date, 0.0), name="compute").labels.values
    gain = np.broadcast_to(coef.eflops_per_mw.values[:, None, :], b.shape[:1] + b.shape[2:]).reshape(1, -1)
    earlier = np.concatenate([[-1], compute[:-1]])[:, None]
    m.add_constraints(
        _rows(m, by_p, [(1.0, compute[:, None]), (-1.0, earlier), (-gain, per_period)], "=", 0.0),
        name="compute",
        freeze=True,
    )
    demand = inputs.demand_flops.sum("workload") / EFLOPS
    have = (
        float(inputs.existing_flops.sum())
        + inputs.contracted_flops.sum("block").values
        + fixed_build_flops(inputs).sum("site").values
    )
    need = demand.values - have / EFLOPS
    served = [(1.0, compute[:, None])]
    if not inputs.attrs["require_demand"]:
        unmet = m.add_variables(lower=xr.zeros_like(demand), upper=demand, name="unmet").labels.values
        served.append((1.0, unmet[:, None]))
        objective.append((coef.unmet_cost_usd_per_eflops.values, unmet))
    m.add_constraints(_rows(m, by_p, served, ">=", need), name="demand", freeze=True)


def _supply(m: linopy.Model, inputs: xr.Dataset, per_period: np.ndarray) -> None:
    """Supply: one row per (limit, period) over the builds it covers, in MW or accelerators."""
    n_limit = len(inputs.indexes["limit"])
    if n_limit:
        weight = (
            xr.where(inputs.supply_in_accelerators, inputs.accelerators_per_mw, 1.0)
            * inputs.supply_accelerator
            * inputs.supply_source
        ).transpose("limit", "site", "source", "accelerator")
        w = np.broadcast_to(weight.values.reshape(n_limit, 1, -1), (n_limit, *per_period.shape))
        use = [(w, np.where(w != 0, per_period, -1))]
        by_lp = {d: inputs.indexes[d] for d in ("limit", "period")}
        m.add_constraints(_rows(m, by_lp, use, "<=", inputs.supply_amount.values), name="supply", freeze=True)


_Terms = list[tuple[Any, np.ndarray]]


def _bounds(like: xr.DataArray, lower: Any, upper: Any = np.inf) -> tuple[xr.DataArray, xr.DataArray]:
    """Lower and upper bounds on ``like``'s coords, as float arrays: linopy takes bounds that
    already carry the variable's coords in about half the time it takes to broadcast scalars."""
    return like.copy(data=np.full(like.shape, lower, dtype=float)), like.copy(
        data=np.full(like.shape, upper, dtype=float)
    )


def _flat(terms: _Terms) -> _Terms:
    """Terms of one scalar row: every (coefficient, variable) pair, flattened."""
    return [(np.broadcast_to(c, v.shape).ravel(), v.ravel()) for c, v in terms]


def _stacked(coords: dict[str, pd.Index], terms: _Terms) -> dict[str, Any]:
    """Coefficients and variable labels of rows over ``coords``; each term's last axis is its
    own terms per row (variables labelled -1 are absent), stacked along linopy's ``_term``."""
    shape = tuple(len(c) for c in coords.values())
    dims = (*coords, "_term")
    return {
        "coeffs": (dims, np.concatenate([np.broadcast_to(c, (*shape, v.shape[-1])) for c, v in terms], -1)),
        "vars": (dims, np.concatenate([np.broadcast_to(v, (*shape, v.shape[-1])) for _, v in terms], -1)),
    }


def _expr(m: linopy.Model, coords: dict[str, pd.Index], terms: _Terms) -> linopy.LinearExpression:
    """Σ coefficient · variable per row over ``coords`` (see :func:`_stacked`)."""
    return linopy.LinearExpression(xr.Dataset(_stacked(coords, terms), coords=coords), m)


def _rows(
    m: linopy.Model, coords: dict[str, pd.Index], terms: _Terms, sign: str, rhs: Any
) -> linopy.CSRConstraint:
    """The constraints Σ coefficient · variable ``sign`` ``rhs``, one per row over ``coords``
    (see :func:`_stacked`), as linopy's sparse (CSR) constraint: the rows go to linopy as one
    matrix, not as an xarray dataset to align, which halves the time to build the model."""
    stacked = _stacked(coords, terms)
    shape = tuple(len(c) for c in coords.values())
    n_rows = math.prod(shape)
    coeffs = stacked["coeffs"][1].reshape(n_rows, -1)
    labels = stacked["vars"][1].reshape(n_rows, -1)
    keep = (labels >= 0) & (coeffs != 0)
    indptr = np.concatenate([[0], np.cumsum(keep.sum(axis=1))])
    matrix = scipy.sparse.csr_array((coeffs[keep], labels[keep], indptr), shape=(n_rows, m.shape[1]))
    matrix.sum_duplicates()
    lhs = CSRLinearExpression(matrix, np.zeros(n_rows), Grid(dict(coords)), m)
    bound = xr.DataArray(
        np.broadcast_to(np.asarray(rhs, dtype=float), shape), coords=coords, dims=tuple(coords)
    )
    return linopy.CSRConstraint.from_csr(lhs, sign, bound)
