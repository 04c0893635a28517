"""Capacity-expansion planning: where, when, on which power and accelerators to build.

A scenario's sites become candidate sites; its demand becomes a compute trajectory (BF16 dense
FLOP/s) per quarter. :func:`plan_inputs` turns both into one labelled dataset (dims ``site``,
``period``, ``source``, ``accelerator``); :func:`build_model` states the least-net-present-cost
problem on it with linopy; :func:`solve` hands it to HiGHS and reads back the plan, the
binding constraints (duals) and, when there is no plan, why (:class:`PlanInfeasibleError`).

The model, per quarter ``t``:

- ``build[site, period, source, accelerator]`` facility MW brought online, fed by one of the
  site's power sources and filled with one accelerator generation (zero before the generation
  is available or where the site has no such source);
- ``online[site, period, source]`` = ``online[t-1]`` + ``build[t]`` (stock of new capacity);
- ``online`` ≤ the source's firm facility MW available by then (0 before the site's earliest
  online date); Σ sources ≤ ``room_mw`` × ``open[site]`` (binary, fixed land cost), where
  ``room_mw[site, period]`` is the MW of the site's phases not yet online that can be online by
  then (each phase at its own earliest date, as the engine would build it: :func:`pending_phases`);
- ``compute[period]`` = ``compute[t-1]`` + Σ ``build[t]`` × FLOP/s per facility MW of its
  accelerator at its site (``flops_per_facility_mw`` = 1e6 / (PUE × IT W per accelerator) ×
  BF16 dense FLOP/s per accelerator, medians), in EFLOP/s;
- demand: existing FLOP/s + ``compute`` + ``unmet`` ≥ training + inference demand, in FLOP/s.
  So the accelerator generation is a real decision: a newer one delivers more FLOP/s per MW of
  power and site. Scenario demand stated as compute (``compute`` in FLOP/s) is taken as it is;
  stated as facility power (``level`` in GW) it is read as the compute that power holds with
  the *reference* accelerators: the power-weighted mean FLOP/s per facility MW of the
  scenario's phases whose accelerator is available by demand's start
  (:func:`reference_flops_per_mw`), so "1 GW of demand" means that much compute, not that many MW;
- supply limits per quarter (accelerators shipped, turbines, transformers, construction,
  the programme's build rate), an optional capex budget and on-site-gas CO2 cap.

Costs are discounted quarterly. Capex is charged as an annuity over its life (the facility's
life; the accelerator's useful life), counted only inside the horizon, so a MW built in the
last quarter is not penalised for the years after it. Opex is energy: grid at the region's
price, gas at Henry Hub × heat rate, solar + battery free at the margin. Unmet demand costs
renting the compute elsewhere, per H100-equivalent FLOP/s (:func:`plan_assumptions`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import sys
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import linopy
import numpy as np
import pandas as pd
import scipy.sparse
import xarray as xr
from linopy.csr import CSRLinearExpression, Grid

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.distributions import Dist
from gigawatt.engine import grown_demand
from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.leadtimes import lead_weeks, needs
from gigawatt.scenario import STATUS_ORDER, Phase, Scenario
from gigawatt.supply import Generation, industry_rate_per_year
from gigawatt.units import date_from_days, days_from_date

__all__ = [
    "PlanInfeasibleError",
    "PlanOptions",
    "PlanResult",
    "build_model",
    "coefficients",
    "plan_assumptions",
    "plan_inputs",
    "reference_flops_per_mw",
    "plan_scenario_text",
    "solve",
    "synthetic_inputs",
    "write_plan",
    "extends_ref",
    "ROBUST_QUANTILES",
    "RobustPlan",
    "RobustStep",
    "demand_met",
    "check_dates",
    "pending_phases",
    "promised_dates",
    "robust_plan",
]

SOURCES = ("grid", "gas", "solar_battery")
WORKLOADS = ("training", "inference")
EFLOPS = 1e18  # FLOP/s per EFLOP/s: the model's compute unit (keeps coefficients near 1)
HOURS_PER_QUARTER = 8766.0 / 4
DAYS_PER_YEAR = 365.25
WEEKS_PER_QUARTER = 52.1775 / 4
_GAS_CAPEX = {
    "large_frame": "gas_turbine_per_kw",
    "aeroderivative": "gas_turbine_per_kw",
    "recip_engine": "recip_engine_per_kw",
}
_SUPPLY_SOURCES = {"gas_turbines": ("gas",), "transformers": ("grid",), "construction": SOURCES}
_QUARTERS_PER = {"week": WEEKS_PER_QUARTER, "month": 3.0, "quarter": 1.0, "year": 0.25}


class PlanInfeasibleError(GigawattError):
    """No plan satisfies the hard constraints; the message says which ones bind."""


@dataclass(frozen=True)
class PlanOptions:
    """Plan inputs that are not part of a scenario (CLI options, documented defaults).

    ``quantile`` reads every uncertain date and lead time at that quantile and every supply
    amount at ``1 - quantile`` (0.5: medians; higher: a more cautious plan); ``demand_quantile``
    reads demand's level and growth at that quantile (higher: plan for more demand). The
    assumptions left ``None`` take their sourced values (:func:`plan_assumptions`).
    """

    start_date: float | None = None
    periods: int = 20
    discount_rate_per_year: float | None = None
    penalty_usd_per_eflops_quarter: float | None = None
    budget_usd: float | None = None
    emissions_cap_t: float | None = None
    load_factor: float | None = None
    facility_life_years: float | None = None
    require_demand: bool = False
    binary_sites: bool = True
    quantile: float = 0.5
    demand_quantile: float = 0.5

    def assumption(self, name: str) -> float:
        """An assumption as given, else its sourced value from the costs catalog."""
        value = getattr(self, name)
        return float(plan_assumptions()[name] if value is None else value)


def plan_assumptions() -> dict[str, float]:
    """The plan's default assumptions, from the costs catalog's ``plan`` section (sourced there).

    Unmet demand costs what renting the compute elsewhere would: the H100 cloud price per hour
    over the H100's BF16 dense FLOP/s, per quarter and EFLOP/s (~$3 / 989 TFLOP/s × 2,191.5 h ≈
    $6.6M per EFLOP/s-quarter, i.e. ~1,011 H100s)."""
    catalog = load_catalog()

    def value(key: str) -> float:
        return _cost(catalog, "plan", key)

    return {
        "discount_rate_per_year": value("discount_rate_per_year"),
        "penalty_usd_per_eflops_quarter": EFLOPS
        / float(catalog.accelerators["h100"].bf16_flops.dist().ppf(0.5))
        * value("h100_rental_usd_per_gpu_hour")
        * HOURS_PER_QUARTER,
        "load_factor": value("load_factor"),
        "facility_life_years": value("facility_life_years"),
    }


# ---------------------------------------------------------------- periods


def quarter_start(days: float) -> float:
    """The first day of the quarter after the one containing ``days`` (or ``days`` if it starts one)."""
    date = date_from_days(days)
    first = pd.Timestamp(date).to_period("Q").start_time.date()
    if first == date:
        return days
    return days_from_date((pd.Timestamp(date).to_period("Q") + 1).start_time.date())


def quarters(start_date: float, count: int) -> xr.Dataset:
    """``count`` quarters from the one starting on ``start_date``: labels, start, end, mid dates."""
    first = pd.Timestamp(date_from_days(start_date)).to_period("Q")
    index = pd.period_range(first, periods=count, freq="Q")
    start = np.array([days_from_date(p.start_time.date()) for p in index])
    end = np.array([days_from_date(p.end_time.date()) + 1.0 for p in index])
    coords = {"period": [str(p) for p in index]}
    return xr.Dataset(
        {
            "period_start_date": ("period", start),
            "period_end_date": ("period", end),
            "period_mid_date": ("period", (start + end) / 2),
        },
        coords=coords,
    )


# ---------------------------------------------------------------- inputs from a scenario


def _cost(catalog: Catalog, section: str, key: str) -> float:
    return catalog.cost(section, key).value


def _pue(catalog: Catalog, cooling: str) -> float:
    """The cooling's PUE at its median, as the engine draws it (not the catalog's most likely value)."""
    return float(catalog.cost("pue", cooling).dist().ppf(0.5))


def _at(dist: Dist | None, q: float) -> float:
    return float("nan") if dist is None else float(dist.ppf(q))


def _stage_weeks(scenario: Scenario, catalog: Catalog, names: Iterable[str], q: float) -> float:
    total = 0.0
    for name in names:
        own = getattr(scenario.stages, f"{name}_weeks")
        total += _at(own, q) if own is not None else float(catalog.cost("stages", name).dist().ppf(q))
    return total


def pending_phases(
    scenario: Scenario, catalog: Catalog, site_id: str, q: float
) -> list[tuple[Phase, float, float]]:
    """The site's phases not yet online, each with the earliest day it can be online at quantile
    ``q`` and its facility MW, earliest first. The day is the engine's
    (:func:`gigawatt.engine.simulate_block`) with every stage at ``q``: a phase without a start
    date begins after permitting from the scenario's as-of date; a phase with its own planned
    online date not yet past is ready then (no generic stages on top)."""
    site = scenario.sites[site_id]
    basis = _pue(catalog, site.cooling) if site.power_basis == "it" else 1.0
    as_of = scenario.time.as_of_day
    out = []
    for phase in site.phases:
        if STATUS_ORDER[phase.status] >= STATUS_ORDER["online"]:
            continue
        if phase.start_date is not None:
            begun = _at(phase.start_date, q)
        else:
            begun = as_of + 7 * _stage_weeks(scenario, catalog, ["permitting"], q)
        ready = max(begun + 7 * _stage_weeks(scenario, catalog, _BUILD_STAGES, q), as_of)
        if phase.online_date is not None and _at(phase.online_date, q) >= as_of:
            ready = _at(phase.online_date, q)
        out.append((phase, ready, phase.power_mw.mid * basis))
    return sorted(out, key=lambda row: row[1])


#: Stages from the start of construction to online (permitting comes before the start).
_BUILD_STAGES = ("site_and_shell", "it_fit_out", "commissioning")


def _accelerator_ids(scenario: Scenario) -> list[str]:
    ids: list[str] = []
    for site in scenario.sites.values():
        ids += [site.accelerator, *(p.accelerator for p in site.phases if p.accelerator)]
    for supply in scenario.supply.values():
        ids += supply.accelerators
    return list(dict.fromkeys(ids))


def _flops_per_mw(scenario: Scenario, catalog: Catalog, site_id: str, accelerator: str) -> float:
    """BF16 dense FLOP/s per MW of facility power at the site's PUE filled with ``accelerator``."""
    acc = scenario.accelerator(accelerator)
    pue = _pue(catalog, scenario.sites[site_id].cooling)
    return 1e6 / (pue * float(acc.it_power_w.ppf(0.5))) * float(acc.bf16_flops.ppf(0.5))


def reference_flops_per_mw(scenario: Scenario, start_date: float) -> float:
    """FLOP/s per facility MW that demand stated as power is read with (for demand stated as
    compute, only what ``*_mw`` outputs are scaled by): the power-weighted mean over the
    scenario's phases whose accelerator is available by ``start_date`` (the fleet that
    demand's start could be served with; every phase if none is), each at its site's PUE."""
    catalog = load_catalog()
    rows = [
        (
            p.power_mw.mid,
            _flops_per_mw(scenario, catalog, site_id, acc),
            _at(scenario.accelerator(acc).available_date, 0.5),
        )
        for site_id, site in scenario.sites.items()
        for p in site.phases
        for acc in [p.accelerator or site.accelerator]
    ]
    early = [(mw, f) for mw, f, when in rows if when <= start_date] or [(mw, f) for mw, f, _ in rows]
    weight = sum(mw for mw, _ in early)
    if not early or weight <= 0:
        raise GigawattError(f"{scenario.source_file}: no site phases to read demand's power as compute with")
    return sum(mw * f for mw, f in early) / weight


def plan_inputs(scenario: Scenario, options: PlanOptions = PlanOptions()) -> xr.Dataset:
    """The planning problem of ``scenario``: demand, candidate sites, costs and limits, labelled."""
    catalog = load_catalog()
    q = options.quantile
    demand = scenario.demand
    streams = {w: getattr(demand, w) for w in WORKLOADS}
    if all(s is None for s in streams.values()):
        raise GigawattError(f"{scenario.source_file}: the scenario has no `demand` section; a plan needs one")
    starts = [s.start_date.mid for s in streams.values() if s is not None]
    start = options.start_date if options.start_date is not None else quarter_start(min(starts))
    ds = quarters(start, options.periods)
    # Demand on each quarter's last day (Dec 31 for Q4), the day the engine and --robust read it.
    last_day = ds.period_end_date.values - 1.0
    # Demand in its stated unit (facility MW, or BF16 dense FLOP/s for `compute`).
    stated = np.zeros((len(WORKLOADS), options.periods))
    for i, w in enumerate(WORKLOADS):
        s = streams[w]
        if s is not None:
            years = np.maximum(last_day - s.start_date.mid, 0.0) / DAYS_PER_YEAR
            dq = options.demand_quantile
            ceiling = s.ceiling.ppf(dq) if s.ceiling is not None else np.inf
            stated[i] = grown_demand(s.level.ppf(dq), s.growth_per_year.ppf(dq), years, ceiling)
    reference = reference_flops_per_mw(scenario, min(starts))
    if demand.stated_in == "flops":  # demand is compute already; *_mw is FLOP/s over the reference
        ds["demand_flops"] = (("workload", "period"), stated)
        ds["demand_mw"] = (("workload", "period"), stated / reference)
    else:
        ds["demand_mw"] = (("workload", "period"), stated)
        ds["demand_flops"] = (("workload", "period"), stated * reference)
    ds = ds.assign_coords(workload=list(WORKLOADS))

    sites = list(scenario.sites)
    accs = _accelerator_ids(scenario)
    resolved = {a: scenario.accelerator(a) for a in accs}
    end = ds.period_end_date.values
    n_site, n_src = len(sites), len(SOURCES)
    cap = np.zeros((n_site, n_src, options.periods))
    power_capex = np.zeros((n_site, n_src))
    opex = np.zeros((n_site, n_src))
    co2 = np.zeros((n_site, n_src))
    size = np.zeros(n_site)
    existing = np.zeros(n_site)
    existing_flops = np.zeros(n_site)
    flops_per_mw = np.array([[_flops_per_mw(scenario, catalog, s, a) for a in accs] for s in sites])
    fixed_cost = np.zeros(n_site)
    earliest = np.zeros(n_site)
    room = np.zeros((n_site, options.periods))
    pue = np.zeros(n_site)
    fuel_usd_per_mwh = _cost(catalog, "plan", "henry_hub_usd_per_mmbtu") * _cost(
        catalog, "plan", "gas_heat_rate_mmbtu_per_mwh_electric"
    )
    gas_t_per_mwh = (
        _cost(catalog, "plan", "gas_co2_kg_per_mmbtu")
        * _cost(catalog, "plan", "gas_heat_rate_mmbtu_per_mwh_electric")
        / 1000
    )
    energy_mwh_per_mw = options.assumption("load_factor") * HOURS_PER_QUARTER
    acres_usd_per_mw = _cost(catalog, "plan", "site_acres_per_facility_mw") * _cost(
        catalog, "construction", "land_per_acre"
    )
    # As in the engine, a phase goes online a commissioning period after its power, accelerators
    # and supplied equipment arrive.
    commissioning_days = 7 * _stage_weeks(scenario, catalog, ["commissioning"], q)
    for i, (site_id, site) in enumerate(scenario.sites.items()):
        pue[i] = _pue(catalog, site.cooling)
        basis = pue[i] if site.power_basis == "it" else 1.0
        try:
            price = _cost(catalog, "electricity_price", site.region)
        except KeyError:
            known = sorted(catalog.costs["electricity_price"])
            raise GigawattError(
                f"{scenario.source_file}: sites.{site_id}.region: no electricity price for "
                f"{site.region!r} in the cost catalog (known: {', '.join(known)})"
            ) from None
        gas_capex: dict[str, float] = {}
        for source in site.power_plan:
            j = SOURCES.index(source.kind)
            if source.available_date is not None:
                when = _at(source.available_date, q)
            else:
                leads = {
                    f"lead_times.{name}": catalog.cost("lead_times", key).dist().ppf(q)
                    for name, key in needs(source.kind, source.technology)
                }
                weeks = lead_weeks(source.kind, source.technology, leads)
                when = _at(source.ordered_date, q) + 7.0 * float(weeks)
            firm = source.capacity_mw.mid * source.firm_fraction.mid
            cap[i, j] += np.where(end > when + commissioning_days, firm, 0.0)
            if source.kind == "gas":
                key = _GAS_CAPEX[source.technology or ""]
                gas_capex[key] = gas_capex.get(key, 0.0) + firm
        for j, kind in enumerate(SOURCES):
            if kind == "grid":
                power_capex[i, j] = _cost(catalog, "power_equipment", "substation_per_kw") * 1000
                opex[i, j] = price * energy_mwh_per_mw
            elif kind == "gas" and gas_capex:
                weights = sum(gas_capex.values())
                power_capex[i, j] = sum(
                    _cost(catalog, "power_equipment", k) * 1000 * w / weights for k, w in gas_capex.items()
                )
                opex[i, j] = fuel_usd_per_mwh * energy_mwh_per_mw
                co2[i, j] = gas_t_per_mwh * energy_mwh_per_mw
            elif kind == "solar_battery":
                solar = [s for s in site.power_plan if s.kind == "solar_battery"]
                firm_fraction = np.mean([s.firm_fraction.mid for s in solar]) if solar else 1.0
                power_capex[i, j] = 1000 * (
                    _cost(catalog, "power_equipment", "solar_per_kw") / max(firm_fraction, 1e-3)
                    + _cost(catalog, "power_equipment", "battery_per_kwh")
                    * _cost(catalog, "plan", "battery_duration_hours")
                )
        phases_mw = [p.power_mw.mid * basis for p in site.phases]
        size[i] = sum(phases_mw)
        online = [STATUS_ORDER[p.status] >= STATUS_ORDER["online"] for p in site.phases]
        existing[i] = sum(mw for mw, is_on in zip(phases_mw, online, strict=True) if is_on)
        existing_flops[i] = sum(
            mw * flops_per_mw[i, accs.index(p.accelerator or site.accelerator)]
            for mw, is_on, p in zip(phases_mw, online, site.phases, strict=True)
            if is_on
        )
        started = any(STATUS_ORDER[p.status] >= STATUS_ORDER["under_construction"] for p in site.phases)
        fixed_cost[i] = 0.0 if started else acres_usd_per_mw * size[i]
        pending = pending_phases(scenario, catalog, site_id, q)
        for _, ready, mw in pending:
            room[i] += np.where(end > ready, mw, 0.0)
        earliest[i] = min((ready for _, ready, _ in pending), default=math.inf)
    cap = np.where(end[None, None, :] > earliest[:, None, None], cap, 0.0)
    building = _cost(catalog, "construction", "building_per_mw_it")
    networking = _cost(catalog, "construction", "networking_share_of_it")
    it_power_w = np.array([resolved[a].it_power_w.mid for a in accs])
    acc_per_mw = 1e6 / (pue[:, None] * it_power_w[None, :])
    price_usd = np.array([resolved[a].price_usd.mid for a in accs])
    available = np.array([_at(resolved[a].available_date, q) for a in accs]) + commissioning_days
    ds = ds.assign_coords(site=sites, source=list(SOURCES), accelerator=accs)
    ds["power_cap_mw"] = (("site", "source", "period"), cap)
    ds["max_size_mw"] = ("site", size)
    ds["existing_mw"] = ("site", existing)
    ds["room_mw"] = (("site", "period"), room)
    ds["existing_flops"] = ("site", existing_flops)
    ds["flops_per_facility_mw"] = (("site", "accelerator"), flops_per_mw)
    ds["fixed_cost_usd"] = ("site", fixed_cost)
    ds["earliest_online_date"] = ("site", earliest)
    ds["facility_capex_usd_per_mw"] = (("site", "source"), building / pue[:, None] + power_capex)
    ds["chips_capex_usd_per_mw"] = (("site", "accelerator"), acc_per_mw * price_usd * (1 + networking))
    ds["opex_usd_per_mw_quarter"] = (("site", "source"), opex)
    ds["co2_t_per_mw_quarter"] = (("site", "source"), co2)
    ds["accelerators_per_mw"] = (("site", "accelerator"), acc_per_mw)
    ds["accelerator_available"] = (("accelerator", "period"), end[None, :] > available[:, None])
    ds["chip_life_quarters"] = (
        "accelerator",
        np.array([resolved[a].useful_life_weeks.mid / WEEKS_PER_QUARTER for a in accs]),
    )
    ds = _with_supply(ds, _scenario_limits(scenario, ds, q, commissioning_days))
    ds.attrs.update(
        _option_attrs(options),
        scenario=scenario.name,
        reference_flops_per_mw=reference,
        demand_stated_as=demand.stated_in,
    )
    return ds


def _option_attrs(options: PlanOptions) -> dict[str, Any]:
    return {
        "discount_rate_per_year": options.assumption("discount_rate_per_year"),
        "penalty_usd_per_eflops_quarter": options.assumption("penalty_usd_per_eflops_quarter"),
        "load_factor": options.assumption("load_factor"),
        "budget_usd": math.nan if options.budget_usd is None else options.budget_usd,
        "emissions_cap_t": math.nan if options.emissions_cap_t is None else options.emissions_cap_t,
        "facility_life_quarters": options.assumption("facility_life_years") * 4,
        "require_demand": int(options.require_demand),
        "binary_sites": int(options.binary_sites),
        "quantile": options.quantile,
        "demand_quantile": options.demand_quantile,
    }


@dataclass
class _Limit:
    name: str
    in_accelerators: bool
    accelerators: list[str]
    sources: tuple[str, ...]
    amount: np.ndarray = field(repr=False)


def _scenario_limits(
    scenario: Scenario, ds: xr.Dataset, q: float, commissioning_days: float = 0.0
) -> list[_Limit]:
    """Supply limits per quarter on MW (or accelerators) going online. Accelerators, turbines
    and transformers go online a commissioning period after they are delivered (the engine's
    lag), so a quarter gets what was delivered that long before; construction capacity and the
    programme's build rate pace the building itself."""
    accs = list(ds.accelerator.values)
    out = []
    for name, supply in scenario.supply.items():
        lag = commissioning_days if supply.resource != "construction" else 0.0
        mid = ds.period_mid_date.values - lag
        end = ds.period_end_date.values - lag
        per_quarter = supply.amount.ppf(1 - q) * supply.share.ppf(1 - q) * _QUARTERS_PER[supply.per]
        origin = supply.start_date.mid if supply.start_date is not None else ds.period_mid_date.values[0]
        years = np.maximum(mid - origin, 0.0) / DAYS_PER_YEAR
        amount = per_quarter * (1 + supply.growth_per_year.ppf(1 - q)) ** years
        if supply.ceiling is not None or supply.successor is not None:
            # a generation under its family's ceiling, giving way to its successor (gigawatt.supply)
            family = _generations(scenario, q, float(ds.period_mid_date.values[0]))
            rate = industry_rate_per_year(name, family, np.asarray(mid, float))[0]
            amount = rate * supply.share.ppf(1 - q) / 4.0
        amount = np.where(end > origin, amount, 0.0)
        if supply.resource == "accelerators":
            members = [a for a in supply.accelerators if a in accs]
            out.append(_Limit(name, True, members, SOURCES, amount))
        else:
            out.append(_Limit(name, False, accs, _SUPPLY_SOURCES[supply.resource], amount))
    if scenario.factory is not None:
        rate = scenario.factory.initial_rate_mw_per_week.ppf(1 - q) * WEEKS_PER_QUARTER
        out.append(_Limit("factory", False, accs, SOURCES, np.full(ds.sizes["period"], rate)))
    return out


def _generations(scenario: Scenario, q: float, default_start: float) -> dict[str, Generation]:
    """Every accelerator supply at quantile ``q`` (amounts, growth, ceilings at 1 − q; one draw)."""
    out = {}
    for name, supply in scenario.supply.items():
        if supply.resource != "accelerators":
            continue
        per_year = 4.0 * _QUARTERS_PER[supply.per]
        start = supply.start_date.mid if supply.start_date is not None else default_start
        ceiling = np.inf if supply.ceiling is None else supply.ceiling.ppf(1 - q) * per_year
        out[name] = Generation(
            rate_per_year=np.array([supply.amount.ppf(1 - q) * per_year]),
            growth_per_year=np.array([supply.growth_per_year.ppf(1 - q)]),
            start_day=np.array([start]),
            ceiling_per_year=np.array([ceiling]),
            share=np.array([supply.share.ppf(1 - q)]),
            successor=supply.successor,
        )
    return out


def _with_supply(ds: xr.Dataset, limits: list[_Limit]) -> xr.Dataset:
    names = [lim.name for lim in limits]
    ds = ds.assign_coords(limit=names)
    n_period = ds.sizes["period"]
    ds["supply_amount"] = (
        ("limit", "period"),
        np.array([lim.amount for lim in limits]).reshape(len(limits), n_period),
    )
    ds["supply_in_accelerators"] = ("limit", np.array([lim.in_accelerators for lim in limits], dtype=bool))
    ds["supply_accelerator"] = (
        ("limit", "accelerator"),
        np.array(
            [[a in lim.accelerators for a in ds.accelerator.values] for lim in limits], dtype=bool
        ).reshape(len(limits), ds.sizes["accelerator"]),
    )
    ds["supply_source"] = (
        ("limit", "source"),
        np.array([[s in lim.sources for s in SOURCES] for lim in limits], dtype=bool).reshape(
            len(limits), len(SOURCES)
        ),
    )
    return ds


# ---------------------------------------------------------------- synthetic inputs


def synthetic_inputs(n_sites: int, n_periods: int = 40, seed: int = 0, **options: Any) -> xr.Dataset:
    """A random planning problem of the same shape as :func:`plan_inputs` (tests, benchmarks)."""
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
    ds["accelerator_available"] = (("accelerator", "period"), t[None, :] >= np.array([0, 4, 10])[:, None])
    ds["chip_life_quarters"] = ("accelerator", np.array([20.0, 20.0, 20.0]))
    scale = total / 40
    limits = [
        _Limit("blackwell", True, accs[:2], SOURCES, 400 * scale * 0.6 * 1.05**t),
        _Limit("rubin", True, accs[2:], SOURCES, 200 * scale * 0.6 * 1.08**t),
        _Limit("gas_turbines", False, accs, ("gas",), np.full(n_periods, 0.3 * scale)),
        _Limit("construction", False, accs, SOURCES, np.full(n_periods, 1.2 * scale)),
    ]
    ds = _with_supply(ds, limits)
    ds.attrs.update(
        _option_attrs(PlanOptions(**options)),
        scenario=f"synthetic-{n_sites}",
        reference_flops_per_mw=reference,
    )
    return ds


# ---------------------------------------------------------------- the optimisation model


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
    n_site, n_period = o.shape[:2]
    at = {d: inputs.indexes[d] for d in ("limit", "site", "period", "source")}
    by_sps = {d: at[d] for d in ("site", "period", "source")}
    by_sp = {d: at[d] for d in ("site", "period")}
    before = np.concatenate([np.full_like(o[:, :1], -1), o[:, :-1]], axis=1)  # online[t-1]
    stock = _rows(m, by_sps, [(1.0, o[..., None]), (-1.0, before[..., None]), (-1.0, b)], "=", 0.0)
    m.add_constraints(stock, name="stock", freeze=True, mask=coef.online_mask)
    cap = inputs.power_cap_mw.transpose("site", "period", "source").values
    m.add_constraints(
        _rows(m, by_sps, [(1.0, o[..., None])], "<=", cap), name="power", freeze=True, mask=coef.online_mask
    )
    room = inputs.room_mw.transpose("site", "period").values
    fixed = inputs.fixed_cost_usd.values
    objective = [
        (coef.build_cost_usd_per_mw.values, b),
        (coef.online_cost_usd_per_mw.values, o),
    ]
    spend = [(np.broadcast_to(coef.build_capex_usd_per_mw.values[:, None], b.shape), b)]
    if open_sites is None:
        if inputs.attrs["binary_sites"]:
            opens = m.add_variables(*_bounds(inputs.max_size_mw, 0.0, 1.0), name="open", binary=True)
        else:
            opens = m.add_variables(*_bounds(inputs.max_size_mw, 0.0, 1.0), name="open")
        is_open = opens.labels.values
        each_period = np.broadcast_to(is_open[:, None, None], (n_site, n_period, 1))
        m.add_constraints(
            _rows(m, by_sp, [(1.0, o), (-room[..., None], each_period)], "<=", 0.0),
            name="site_size",
            freeze=True,
        )
        objective.append((fixed, is_open))
        spend.append((fixed, is_open))
        budget = inputs.attrs["budget_usd"]
    else:
        # Fixed openings are constants: the caller adds fixed_cost × open_sites to the cost.
        opened = room * open_sites.values[:, None]
        m.add_constraints(_rows(m, by_sp, [(1.0, o)], "<=", opened), name="site_size", freeze=True)
        budget = inputs.attrs["budget_usd"] - float((fixed * open_sites.values).sum())
    existing = inputs.existing_mw.values
    if (existing > 0).any():
        headroom = np.maximum(cap.sum(axis=2) - existing[:, None], 0.0)
        m.add_constraints(
            _rows(m, by_sp, [(1.0, o)], "<=", headroom),
            name="site_power",
            freeze=True,
            mask=inputs.existing_mw > 0,
        )
    # Compute: new EFLOP/s online = last quarter's + this quarter's builds × EFLOP/s per MW.
    per_period = b.transpose(1, 0, 2, 3).reshape(n_period, -1)  # every build of each period
    by_p = {"period": at["period"]}
    compute = m.add_variables(*_bounds(inputs.period_start_date, 0.0), name="compute").labels.values
    gain = np.broadcast_to(coef.eflops_per_mw.values[:, None, :], b.shape[:1] + b.shape[2:]).reshape(1, -1)
    earlier = np.concatenate([[-1], compute[:-1]])[:, None]
    m.add_constraints(
        _rows(m, by_p, [(1.0, compute[:, None]), (-1.0, earlier), (-gain, per_period)], "=", 0.0),
        name="compute",
        freeze=True,
    )
    demand = inputs.demand_flops.sum("workload") / EFLOPS
    need = demand.values - float(inputs.existing_flops.sum()) / EFLOPS
    served = [(1.0, compute[:, None])]
    if not inputs.attrs["require_demand"]:
        unmet = m.add_variables(lower=xr.zeros_like(demand), upper=demand, name="unmet").labels.values
        served.append((1.0, unmet[:, None]))
        objective.append((coef.unmet_cost_usd_per_eflops.values, unmet))
    m.add_constraints(_rows(m, by_p, served, ">=", need), name="demand", freeze=True)
    # Supply: one row per (limit, period) over the builds it covers, in MW or accelerators.
    n_limit = len(at["limit"])
    if n_limit:
        weight = (
            xr.where(inputs.supply_in_accelerators, inputs.accelerators_per_mw, 1.0)
            * inputs.supply_accelerator
            * inputs.supply_source
        ).transpose("limit", "site", "source", "accelerator")
        w = np.broadcast_to(weight.values.reshape(n_limit, 1, -1), (n_limit, *per_period.shape))
        use = [(w, np.where(w != 0, per_period, -1))]
        by_lp = {"limit": at["limit"], "period": at["period"]}
        m.add_constraints(_rows(m, by_lp, use, "<=", inputs.supply_amount.values), name="supply", freeze=True)
    if not math.isnan(budget):
        m.add_constraints(_rows(m, {}, _flat(spend), "<=", budget), name="budget", freeze=True)
    if not math.isnan(inputs.attrs["emissions_cap_t"]):
        co2 = np.broadcast_to(inputs.co2_t_per_mw_quarter.values[:, None], o.shape)
        m.add_constraints(
            _rows(m, {}, _flat([(co2, o)]), "<=", inputs.attrs["emissions_cap_t"]), name="co2", freeze=True
        )
    m.add_objective(_expr(m, {}, _flat(objective)))
    return m


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


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner on the process's stdout; keep stdout for our own output (--json)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve_model(m: linopy.Model, time_limit_s: float) -> str:
    log = logging.getLogger("linopy")
    level = log.level
    log.setLevel(logging.ERROR)  # an infeasible status is explained by the caller, not dumped
    with warnings.catch_warnings(), _quiet_stdout(), contextlib.ExitStack() as stack:
        stack.callback(log.setLevel, level)
        warnings.simplefilter("ignore")
        m.solve(
            solver_name="highs", io_api="direct", output_flag=False, time_limit=time_limit_s, mip_rel_gap=1e-6
        )
    return str(m.termination_condition)


# ---------------------------------------------------------------- results


@dataclass
class PlanResult:
    """A solved plan: decisions, costs and the constraints that bind, labelled."""

    inputs: xr.Dataset
    status: str
    objective_usd: float
    build_mw: xr.DataArray  # (site, period, source, accelerator), facility MW
    online_mw: xr.DataArray  # (site, period, source), new facility MW online
    unmet_flops: xr.DataArray  # (period,), BF16 dense FLOP/s
    open_sites: xr.DataArray  # (site,)
    duals: dict[str, xr.DataArray]

    @property
    def unmet_mw(self) -> xr.DataArray:
        """Unmet demand as facility MW at the reference FLOP/s per MW (power demand's own unit)."""
        return self.unmet_flops / self.inputs.attrs["reference_flops_per_mw"]

    @property
    def served_flops(self) -> xr.DataArray:
        """Demand met per period: existing and new FLOP/s online, at most the demand."""
        demand = self.inputs.demand_flops.sum("workload")
        online = (self.build_mw.sum("source") * self.inputs.flops_per_facility_mw).sum(
            ["site", "accelerator"]
        )
        have = online.cumsum("period") + float(self.inputs.existing_flops.sum())
        return np.minimum(have, demand)

    def explain(self) -> dict[str, str]:
        """One sentence per site: why it was chosen (or not) and what binds it.

        A MW built at a site in quarter t costs its capex annuity plus energy up to the horizon
        (discounted) and is worth demand's shadow price summed from t on; at the optimum the
        worth of a MW that is built equals its cost plus the shadow prices of the limits it hits,
        so the comparison says why the site is used, and the binding limits say why not more.
        Demand is in FLOP/s, so a MW's worth depends on its accelerator: the sentence names the
        accelerator chosen and its FLOP/s per $ of capex against the best other one available."""
        ds = self.inputs
        out = {}
        labels = ds.period.values
        coef = coefficients(ds)
        demand_dual = self.duals.get("demand")
        worth = (
            np.cumsum(np.abs(demand_dual.values)[::-1])[::-1]
            if demand_dual is not None
            else np.zeros(len(labels))
        )  # (period,): Σ of demand's shadow price (per EFLOP/s) from each quarter on
        eflops = coef.eflops_per_mw.values  # (site, accelerator)
        online_cost = coef.online_cost_usd_per_mw.values  # (site, period, source)
        energy_after = np.cumsum(online_cost[:, ::-1], axis=1)[:, ::-1]
        cost = coef.build_cost_usd_per_mw.values + energy_after[..., None]  # (site, period, source, acc)
        cost = np.where(coef.build_mask.values, cost, np.inf)
        shared = [line.split(":")[0] for line in self.binding() if not line.startswith("demand")]
        for i, site in enumerate(ds.site.values):
            built = self.build_mw.sel(site=site)
            total = float(built.sum())
            existing = float(ds.existing_mw.sel(site=site))
            if total < 1e-6:
                value = worth[:, None, None] * eflops[i][None, None, :]  # (period, source, accelerator)
                out[str(site)] = self._why_not(i, str(site), cost[i], value, shared) + (
                    f"; keeps its {existing:,.0f} MW online" if existing else ""
                )
                continue
            per_period = built.sum(["source", "accelerator"]).values
            f = int(np.argmax(per_period > 1e-6))
            j, a = np.unravel_index(int(np.argmax(built.values[f])), built.values[f].shape)
            by_source = built.sum(["period", "accelerator"]).to_series()
            by_acc = built.sum(["period", "source"]).to_series()
            sources = ", ".join(f"{k} {v:,.0f} MW" for k, v in by_source.items() if v > 1e-6)
            accs = ", ".join(f"{k} {v:,.0f} MW" for k, v in by_acc.items() if v > 1e-6)
            out[str(site)] = (
                f"builds {total:,.0f} MW facility from {labels[f]} ({sources}; {accs}): a MW built in "
                f"{labels[f]} ({ds.source.values[j]}, {ds.accelerator.values[a]}) costs "
                f"${cost[i, f, j, a] / 1e6:,.1f}M (capex annuity and energy to {labels[-1]}, discounted) "
                f"and meets demand worth ${worth[f] * eflops[i, a] / 1e6:,.1f}M over those quarters, "
                f"so it pays; {self._why_accelerator(i, f, int(j), int(a))}{self._later(i, int(a))}; "
                "binding (why not more): "
                + ("; ".join(self._site_binds(str(site))) or "nothing at the site, only the shared limits")
            )
        return out

    def _why_accelerator(self, i: int, t: int, j: int, a: int) -> str:
        """Why accelerator ``a``: its FLOP/s per $ of capex (facility and chips) in period ``t``
        against the best other accelerator available then."""
        ds, coef = self.inputs, coefficients(self.inputs)
        mask = coef.build_mask.values[i, t, j]
        capex = coef.build_capex_usd_per_mw.values[i, j]  # (accelerator,)
        per_usd = ds.flops_per_facility_mw.values[i] / capex / 1e15 * 1e6  # PFLOP/s per $M
        names = ds.accelerator.values
        text = f"{names[a]}: {per_usd[a]:,.1f} PFLOP/s per $M of capex"
        others = [k for k in range(len(names)) if k != a and mask[k]]
        if others:
            k = max(others, key=lambda k: per_usd[k])
            text += f" (best other then, {names[k]}: {per_usd[k]:,.1f})"
        return text

    def _later(self, i: int, first: int) -> str:
        """The site's other accelerators, each from its first build, with why (FLOP/s per $)."""
        built = self.build_mw.isel(site=i).sum("source").values  # (period, accelerator)
        labels, parts = self.inputs.period.values, []
        for a in range(built.shape[1]):
            if a != first and built[:, a].max() > 1e-6:
                t = int(np.argmax(built[:, a] > 1e-6))
                j = int(np.argmax(self.build_mw.isel(site=i, period=t, accelerator=a).values))
                parts.append(f"from {labels[t]} {self._why_accelerator(i, t, j, a)}")
        return ("; then " + "; ".join(parts)) if parts else ""

    def _site_binds(self, site: str) -> list[str]:
        """The site's own limits that bind: its size, or all the firm power of a source in use."""
        ds, labels = self.inputs, self.inputs.period.values
        binds = []
        size_dual = self.duals.get("site_size")
        if size_dual is not None:
            hits = labels[np.abs(size_dual.sel(site=site).values) > 1e-6]
            if len(hits):
                room = ds.room_mw.sel(site=site)
                ready, full = float(room.sel(period=hits[0])), float(room.max())
                binds.append(
                    f"site full ({full:,.0f} MW) from {hits[0]}"
                    if ready >= full - 0.5
                    else f"its phases ready by then full ({ready:,.0f} of {full:,.0f} MW) from {hits[0]}"
                )
        power_dual = self.duals.get("power")
        if power_dual is not None:
            cap = ds.power_cap_mw.sel(site=site)
            for source in ds.source.values:
                live = cap.sel(source=source).values > 0
                dual = power_dual.sel(site=site, source=source).fillna(0).values
                hits = labels[(np.abs(dual) > 1e-6) & live]
                if len(hits):
                    binds.append(f"all its firm {source} power in use {_quarters(hits)}")
        return binds

    def _why_not(self, i: int, site: str, cost: np.ndarray, value: np.ndarray, shared: list[str]) -> str:
        """Why a site builds nothing: no power in time, a MW costs more than it is worth, or a
        MW would pay but opening the site or the shared limits (taken by better sites) stop it."""
        ds, labels = self.inputs, self.inputs.period.values
        when = ds.earliest_online_date.isel(site=i).item()
        if not bool((ds.room_mw.isel(site=i) > 0).any()):
            return (
                f"not built: none of its phases can be ready inside the horizon (earliest "
                f"{_fmt_date(when)}, horizon ends {labels[-1]})"
            )
        if not bool((ds.power_cap_mw.isel(site=i) > 0).any()):
            return (
                f"not built: no firm power inside the horizon (earliest online {_fmt_date(when)}, "
                f"power plan after {labels[-1]})"
            )
        value = np.broadcast_to(value, cost.shape)
        margin = value - cost  # (period, source, accelerator)
        t, j, a = np.unravel_index(int(np.argmax(margin)), margin.shape)
        mw = f"a MW built in {labels[t]} ({ds.source.values[j]}, {ds.accelerator.values[a]})"
        if margin[t, j, a] < 0:
            return (
                f"not built: its best MW, {mw}, costs ${cost[t, j, a] / 1e6:,.1f}M, more than the "
                f"${value[t, j, a] / 1e6:,.1f}M of demand it would meet"
            )
        fixed = float(ds.fixed_cost_usd.isel(site=i))
        reasons = [f"opening it costs ${fixed / 1e6:,.0f}M of land"] if fixed > 0 else []
        if shared:
            reasons.append(f"the shared limits ({', '.join(shared)}) go to sites that save more")
        return (
            f"not built although {mw} would cost ${cost[t, j, a] / 1e6:,.1f}M and meet "
            f"${value[t, j, a] / 1e6:,.1f}M of demand: "
            + (" and ".join(reasons) or "its site or power limits")
        )

    def binding(self) -> list[str]:
        """Shared constraints that bind, with their shadow prices (what one more unit would save)."""
        lines = []
        labels = self.inputs.period.values
        unmet = labels[self.unmet_mw.values > 1e-6]
        for name, dual in self.duals.items():
            if name in ("power", "site_size", "stock", "site_power", "compute"):
                continue
            values = np.abs(dual.values)
            if dual.ndim == 0:
                if values > 1e-9:
                    unit = {"budget": "$ of budget", "co2": "tonne of CO2"}.get(name, "unit")
                    lines.append(f"{name}: binds; one more {unit} would save ${abs(float(dual)):,.3g}")
                continue
            hits = labels[values > 1e-6]
            if not len(hits):
                continue
            peak = float(values.max())
            if name == "demand":
                short = f"; demand is left unmet {_quarters(unmet)}" if len(unmet) else ""
                lines.append(
                    f"demand: binds {_quarters(hits)}: one more EFLOP/s (BF16 dense) of demand would cost "
                    f"up to ${peak / 1e6:,.2f}M a quarter (discounted; capped by the unmet-demand "
                    f"penalty){short}"
                )
            else:
                in_acc = self._in_accelerators(name)
                what = "accelerators shipped" if in_acc else "facility MW built"
                unit = "accelerator" if in_acc else "MW"
                lines.append(
                    f"{name} ({what} per quarter): binds {_quarters(hits)}: one more {unit} a quarter "
                    f"would save up to ${peak / 1e6:,.2f}M"
                )
        return lines

    def _in_accelerators(self, name: str) -> bool:
        return bool(self.inputs.supply_in_accelerators.sel(limit=name.removeprefix("supply_")))

    def assumptions(self) -> dict[str, Any]:
        """The numbers the plan was priced with (catalog defaults or the caller's), for the record."""
        attrs = self.inputs.attrs

        def given(key: str) -> float | None:
            return None if math.isnan(attrs[key]) else float(attrs[key])

        return {
            "discount_rate_per_year": float(attrs["discount_rate_per_year"]),
            "penalty_usd_per_eflops_quarter": float(attrs["penalty_usd_per_eflops_quarter"]),
            "reference_flops_per_facility_mw": float(attrs["reference_flops_per_mw"]),
            "demand_stated_as": "compute" if attrs.get("demand_stated_as") == "flops" else "facility power",
            "demand_reference": (
                DEMAND_AS_COMPUTE if attrs.get("demand_stated_as") == "flops" else DEMAND_REFERENCE
            ),
            "load_factor": float(attrs.get("load_factor", math.nan)),
            "facility_life_years": float(attrs["facility_life_quarters"]) / 4,
            "budget_usd": given("budget_usd"),
            "emissions_cap_t": given("emissions_cap_t"),
            "require_demand": bool(attrs["require_demand"]),
            "binary_sites": bool(attrs["binary_sites"]),
            "quantile": float(attrs["quantile"]),
            "demand_quantile": float(attrs.get("demand_quantile", 0.5)),
        }

    def summary(self) -> dict[str, Any]:
        """Plain data for ``--json``, the CLI table and the run store (kind "plan")."""
        ds = self.inputs
        per_site = self.build_mw.sum(["period", "source", "accelerator"])
        reference = float(ds.attrs["reference_flops_per_mw"])
        demand = ds.demand_flops.sum("workload")
        served = self.served_flops
        by_acc_period = self.build_mw.sum("source")
        return {
            "scenario": ds.attrs["scenario"],
            "status": self.status,
            "objective_usd": self.objective_usd,
            "periods": [str(p) for p in ds.period.values],
            # Compute in FLOP/s (BF16 dense) and as facility MW at the reference FLOP/s per MW.
            "demand_flops": demand.values.tolist(),
            "served_flops": served.values.tolist(),
            "unmet_flops": self.unmet_flops.values.tolist(),
            "demand_mw": (demand.values / reference).tolist(),
            "served_mw": (served.values / reference).tolist(),
            "unmet_mw": self.unmet_mw.values.tolist(),
            "assumptions": self.assumptions(),
            "sites": {
                str(site): {
                    "open": bool(self.open_sites.sel(site=site) > 0.5),
                    "build_mw": float(per_site.sel(site=site)),
                    "by_source_mw": {
                        str(k): float(v)
                        for k, v in self.build_mw.sel(site=site)
                        .sum(["period", "accelerator"])
                        .to_series()
                        .items()
                    },
                    "by_accelerator_mw": {
                        str(k): float(v)
                        for k, v in self.build_mw.sel(site=site).sum(["period", "source"]).to_series().items()
                    },
                    "build_mw_by_period": self.build_mw.sel(site=site)
                    .sum(["source", "accelerator"])
                    .values.tolist(),
                    "build_mw_by_accelerator_period": {
                        str(a): by_acc_period.sel(site=site, accelerator=a).values.tolist()
                        for a in ds.accelerator.values
                        if float(by_acc_period.sel(site=site, accelerator=a).sum()) > 1e-6
                    },
                    "build_flops": float(
                        (by_acc_period.sel(site=site) * ds.flops_per_facility_mw.sel(site=site)).sum()
                    ),
                    "why": why,
                }
                for site, why in zip(ds.site.values, self.explain().values(), strict=True)
            },
            "binding": self.binding(),
            "derived_specs": self.derived_specs(),
        }

    def derived_specs(self) -> list[dict[str, Any]]:
        """Catalog figures of the accelerators this plan builds that are derived, not
        published (e.g. Vera Rubin's dense BF16): the plan's choice rests on them."""
        built = self.build_mw.sum(["site", "period", "source"])
        catalog = load_catalog()
        out = []
        for acc in built.accelerator.values:
            entry = catalog.accelerators.get(str(acc))
            if entry is None or float(built.sel(accelerator=acc)) <= 1e-6:
                continue
            for name, figure in entry.derived().items():
                out.append(
                    {
                        "accelerator": str(acc),
                        "field": name,
                        "value": figure.value,
                        "low": figure.low,
                        "high": figure.high,
                    }
                )
        return out


DEMAND_REFERENCE = (
    "Demand is compute (BF16 dense FLOP/s). Scenario demand stated as facility power is read as "
    "the FLOP/s that power holds with the reference accelerators: the power-weighted mean FLOP/s "
    "per facility MW (1e6 / (PUE x IT W per accelerator) x BF16 FLOP/s, medians) of the scenario's "
    "phases whose accelerator is available by demand's start. *_mw outputs are FLOP/s over that "
    "reference; unmet demand is priced per H100-equivalent FLOP/s (H100 rental $/GPU-hour)."
)
DEMAND_AS_COMPUTE = (
    "Demand is compute (BF16 dense FLOP/s), stated so in the scenario (`compute`) and planned for "
    "as it is. *_mw outputs are that FLOP/s over the reference FLOP/s per facility MW (the power-"
    "weighted mean, 1e6 / (PUE x IT W per accelerator) x BF16 FLOP/s, medians, of the scenario's "
    "phases whose accelerator is available by demand's start), for scale only; unmet demand is "
    "priced per H100-equivalent FLOP/s (H100 rental $/GPU-hour)."
)


def _quarters(hits: np.ndarray) -> str:
    """Where a limit binds, in words: "in 2028Q2", "in 2 quarters (2029Q1, 2030Q4)", "in 14
    quarters between 2026Q3 and 2030Q1"."""
    if len(hits) == 1:
        return f"in {hits[0]}"
    if len(hits) <= 3:
        return f"in {len(hits)} quarters ({', '.join(str(h) for h in hits)})"
    return f"in {len(hits)} quarters between {hits[0]} and {hits[-1]}"


def _fmt_date(days: float) -> str:
    return "never" if not math.isfinite(days) else str(pd.Timestamp(date_from_days(days)).to_period("Q"))


def _values(var: Any, fill: float = 0.0) -> xr.DataArray:
    return var.solution.fillna(fill)


def _duals(m: linopy.Model) -> dict[str, xr.DataArray]:
    """Shadow price of each constraint family; the supply rows split into ``supply_<limit>``."""
    duals = {}
    for name in m.constraints:
        dual = m.constraints[name].dual
        if name == "supply":
            duals.update({f"supply_{limit}": dual.sel(limit=limit, drop=True) for limit in dual.limit.values})
        else:
            duals[name] = dual
    return duals


def solve(inputs: xr.Dataset, time_limit_s: float = 600.0) -> PlanResult:
    """Solve the plan; duals come from the LP with the chosen sites fixed open or closed."""
    m = build_model(inputs)
    status = _solve_model(m, time_limit_s)
    if status != "optimal":
        raise PlanInfeasibleError(explain_failure(inputs, status))
    objective = float(m.objective.value or math.nan)
    open_sites = _values(m.variables["open"]).round() if inputs.attrs["binary_sites"] else None
    if open_sites is not None:
        fixed = build_model(inputs, open_sites)
        if _solve_model(fixed, time_limit_s) == "optimal":
            m = fixed
    duals = _duals(m)
    return PlanResult(
        inputs=inputs,
        status=status,
        objective_usd=objective,
        build_mw=_values(m.variables["build"]),
        online_mw=_values(m.variables["online"]),
        unmet_flops=_values(m.variables["unmet"]) * EFLOPS
        if "unmet" in m.variables
        else xr.zeros_like(inputs.demand_flops.sum("workload")),
        open_sites=open_sites if open_sites is not None else _values(m.variables["open"]),
        duals=duals,
    )


# ---------------------------------------------------------------- explaining a failure


def max_buildable_mw(inputs: xr.Dataset) -> xr.DataArray:
    """Per period, the most facility MW all sites could have online, ignoring shared limits."""
    room = inputs.room_mw
    power = inputs.power_cap_mw.sum("source")
    headroom = np.maximum(power - inputs.existing_mw.where(inputs.existing_mw > 0, 0.0), 0.0)
    return np.minimum(np.minimum(power, headroom), room).sum("site") + inputs.existing_mw.sum()


def max_buildable_flops(inputs: xr.Dataset) -> xr.DataArray:
    """Per period, the most FLOP/s all sites could have online, ignoring shared limits: each
    site's most MW filled with the densest accelerator available by then, plus what exists."""
    room = inputs.room_mw
    power = inputs.power_cap_mw.sum("source")
    headroom = np.maximum(power - inputs.existing_mw.where(inputs.existing_mw > 0, 0.0), 0.0)
    densest = (inputs.flops_per_facility_mw * inputs.accelerator_available).max("accelerator")
    new = (np.minimum(np.minimum(power, headroom), room) * densest).sum("site")
    return new + inputs.existing_flops.sum()


def explain_failure(inputs: xr.Dataset, status: str) -> str:
    """Why no plan exists: the first quarter whose demand no power can meet, else the hard
    limits that a re-solve with priced slack on demand has to break."""
    labels = inputs.period.values
    if status not in ("infeasible", "infeasible_or_unbounded"):
        return f"the solver stopped with status {status!r} (no plan); try a smaller problem"
    demand = inputs.demand_flops.sum("workload")
    most = max_buildable_flops(inputs)
    short = (demand > most * (1 + 1e-9) + 1e-6).values
    if short.any():
        i = int(np.argmax(short))
        later = inputs.power_cap_mw.sum("site")
        nxt = []
        for source in inputs.source.values:
            steps = np.flatnonzero(np.diff(later.sel(source=source).values) > 1e-6)
            steps = steps[steps >= i]
            if len(steps):
                nxt.append(f"{source} from {labels[steps[0] + 1]}")
        hint = ("; next power: " + ", ".join(nxt)) if nxt else "; no more power arrives inside the horizon"
        return (
            f"demand in {labels[i]} ({float(demand[i]) / EFLOPS:,.1f} EFLOP/s) exceeds what all sites' "
            "power available by then can hold with the best accelerators then "
            f"({float(most[i]) / EFLOPS:,.1f} EFLOP/s on {float(max_buildable_mw(inputs)[i]):,.0f} MW "
            "facility incl. "
            f"{float(inputs.existing_mw.sum()):,.0f} MW existing){hint}. Allow unmet demand (drop "
            "--require-demand) or add power."
        )
    relaxed = inputs.copy()
    # An LP (sites may open partly) with demand priced far above any build, so that unmet
    # demand appears only where the hard limits force it; their duals name them.
    coef = coefficients(inputs)
    sparsest = float(coef.eflops_per_mw.where(coef.eflops_per_mw > 0).min())
    steep = 1e3 * float(coef.build_cost_usd_per_mw.max()) / sparsest
    relaxed.attrs = {
        **inputs.attrs,
        "require_demand": 0,
        "binary_sites": 0,
        "penalty_usd_per_eflops_quarter": steep,
    }
    m = build_model(relaxed)
    if _solve_model(m, 600.0) != "optimal":
        return "no plan even with demand relaxed: the budget or emissions cap cannot be met"
    unmet = _values(m.variables["unmet"])
    gaps = labels[(unmet > 1e-6).values]
    binding = []
    for name, dual in _duals(m).items():
        if name.startswith("supply_") or name in ("budget", "co2"):
            if bool((abs(dual) > 1e-9).any()):
                what = name.removeprefix("supply_")
                if dual.ndim:
                    hits = labels[(abs(dual) > 1e-9).values]
                    binding.append(f"supply {what} ({hits[0]}–{hits[-1]})")
                else:
                    binding.append({"budget": "the capex budget", "co2": "the CO2 cap"}[name])
    first = gaps[0] if len(gaps) else labels[0]
    return (
        f"demand in {first} cannot be met: {float(unmet.sel(period=first)):,.1f} EFLOP/s short "
        f"({len(gaps)} quarters short in all) although the sites have the power; binding: "
        + (", ".join(binding) or "site sizes and earliest dates")
        + ". Allow unmet demand (drop --require-demand) or relax those limits."
    )


# ---------------------------------------------------------------- writing the plan back


def plan_scenario_text(result: PlanResult, scenario: Scenario, extends: str) -> str:
    """The plan as a scenario that ``extends`` the input: each site's phases become the plan's
    builds (one phase per quarter and accelerator); sites the plan does not use are removed,
    and so are contracts and targets that name only removed sites."""
    import yaml

    ds = result.inputs
    catalog, q = load_catalog(), ds.attrs["quantile"]
    sites: dict[str, Any] = {}
    for site_id in ds.site.values:
        site = scenario.sites[str(site_id)]
        kept = [p for p in site.phases if STATUS_ORDER[p.status] >= STATUS_ORDER["online"]]
        phases = [_phase_doc(p) for p in kept]
        built = result.build_mw.sel(site=site_id).sum("source")
        basis = float(ds.max_size_mw.sel(site=site_id)) / max(sum(p.power_mw.mid for p in site.phases), 1e-9)
        # The plan's MW fill the site's pending phases earliest first (as room_mw allows them),
        # and each keeps its phase's start date, so the engine builds it on the plan's schedule.
        pending = [(phase, mw) for phase, _, mw in pending_phases(scenario, catalog, str(site_id), q)]
        filled = 0.0  # MW of pending[0] already taken
        for period in ds.period.values:
            for acc in ds.accelerator.values:
                mw = float(built.sel(period=period, accelerator=acc))
                while mw > 0.5 and pending:
                    phase, size_mw = pending[0]
                    take = min(mw, size_mw - filled)
                    mw -= take
                    filled += take
                    if size_mw - filled <= 0.5:
                        pending.pop(0)
                        filled = 0.0
                    if take <= 0.5:
                        continue
                    end = float(ds.period_end_date.sel(period=period)) - 1
                    start = {} if phase.start_date is None else {"start": phase.start_date.spec(_iso)}
                    phases.append(
                        {
                            "name": f"plan {period} {acc} ({phase.name})",
                            # Rounded down to a kW: rounding up could take a full site past its
                            # power plan, which the scenario validator rejects.
                            "power": f"{math.floor(take / basis * 1e3) / 1e3} MW",
                            # planned now, if it was only announced; as far along as it was if more
                            "status": "committed" if phase.status == "announced" else phase.status,
                            **start,
                            "online": _not_before(end, phase.online_date).spec(_iso),
                            "accelerator": str(acc),
                        }
                    )
        sites[str(site_id)] = {"phases": phases} if phases else None
    doc: dict[str, Any] = {
        "extends": extends,
        "name": f"{scenario.name}-plan",
        "description": f"{_plan_kind(ds)} for {scenario.name} (gigawatt plan): "
        f"objective ${result.objective_usd / 1e9:,.1f}B net present cost",
        "sites": sites,
    }
    if scenario.demand.stated_in == "mw":
        doc["demand"] = _demand_as_compute(scenario, ds.attrs["reference_flops_per_mw"])
    # Contracts and targets that name a removed site name only the sites kept (or go too).
    removed = {name for name, value in sites.items() if value is None}
    for section, items in (("contracts", scenario.contracts), ("targets", scenario.targets)):
        edits: dict[str, Any] = {}
        for key, item in items.items():
            named = list(item.sites or [])
            if removed & set(named):
                kept_sites = [s for s in named if s not in removed]
                edits[key] = {"sites": kept_sites} if kept_sites else None
        if edits:
            doc[section] = edits
    doc.update(_financing_without(scenario, removed))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _financing_without(scenario: Scenario, removed: set[str]) -> dict[str, Any]:
    """Edits to ``financing:`` and ``chips:`` for removed sites: a deal keeps the sites left (or
    goes), a stated chip buyer of a removed site goes."""
    deals: dict[str, Any] = {}
    for key, deal in scenario.financing.items():
        if removed & set(deal.sites):
            kept = [s for s in deal.sites if s not in removed]
            deals[key] = {"sites": kept} if kept else None
        if deal.lease is not None and removed & set(deal.lease.sites):
            kept = [s for s in deal.lease.sites if s not in removed]
            deals[key] = {"lease": {"sites": kept}} if kept else None
    out: dict[str, Any] = {"financing": deals} if deals else {}
    buyers = {site: None for site in scenario.chips.buyers if site in removed}
    if buyers:
        out["chips"] = {"buyers": buyers}
    return out


def _not_before(day: float, planned: Dist | None, points: int = 20) -> Dist:
    """The later of ``day`` and a phase's own ``planned`` online date (uncertain or not): where
    the two overlap, a choice over ``points`` equally likely quantiles of the later one."""
    if planned is None or day >= planned.high:
        return Dist("fixed", (day,))
    if day <= planned.low:
        return planned
    later = np.maximum(day, planned.ppf((np.arange(points) + 0.5) / points))
    values, counts = np.unique(np.floor(later), return_counts=True)
    return Dist("choice", tuple(float(v) for v in values), tuple(float(c) / points for c in counts))


def _phase_doc(phase: Phase) -> dict[str, Any]:
    """A phase as a scenario file writes it (power in its site's basis, dates as stated)."""
    doc: dict[str, Any] = {
        "name": phase.name,
        "power": phase.power_mw.spec(lambda mw: f"{mw:.12g} MW"),
        "status": phase.status,
    }
    if phase.start_date is not None:
        doc["start"] = phase.start_date.spec(_iso)
    if phase.online_date is not None:
        doc["online"] = phase.online_date.spec(_iso)
    if phase.accelerator is not None:
        doc["accelerator"] = phase.accelerator
    if phase.source:
        doc["source"] = list(phase.source)
    if phase.note:
        doc["note"] = phase.note
    return doc


def _demand_as_compute(scenario: Scenario, reference_flops_per_mw: float) -> dict[str, Any]:
    """Demand stated as facility power, restated as the compute the plan meets: level and
    ceiling × the plan's reference FLOP/s per facility MW, so that ``gigawatt run`` of the plan
    compares FLOP/s online with it, as the plan does, not MW (a plan may meet it with fewer,
    denser MW)."""

    def flops(value: float) -> str:
        return f"{value / 1e18:.12g} EFLOP/s"

    out: dict[str, Any] = {}
    for name, stream in scenario.demand.streams.items():
        assert stream.level_mw is not None
        restated: dict[str, Any] = {
            "level": None,
            "ceiling": None,
            "compute": stream.level_mw.scaled(reference_flops_per_mw).spec(flops),
        }
        if stream.ceiling_mw is not None:
            restated["compute_ceiling"] = stream.ceiling_mw.scaled(reference_flops_per_mw).spec(flops)
        restated["note"] = (
            f"Restated by gigawatt plan: the input's facility-power demand × "
            f"{reference_flops_per_mw / 1e15:,.0f} TFLOP/s per facility MW (the plan's reference). "
            + stream.note
        ).strip()
        out[name] = restated
    return out


_NEVER = re.compile(r"^contracts\.(?P<name>[^.]+)\.tranches\[(?P<index>\d+)\]\.gw_deployed$")


def write_plan(
    result: PlanResult,
    scenario: Scenario,
    scenario_ref: str,
    path: Path,
    extends: str,
    *,
    force: bool = False,
) -> Scenario:
    """Write the plan scenario to ``path`` and check it loads. Payment milestones of more GW than
    the plan builds can never fire, so the plan drops them (the validator would reject them).

    Written atomically; never over a file of ``scenario_ref``'s ``extends`` chain (the plan
    extends it: it would lose the file and make a loop), over an existing file only with ``force``."""
    import yaml

    from gigawatt import safe_write
    from gigawatt.resolved import extends_chain
    from gigawatt.scenario import _read_document, load_scenario

    text = plan_scenario_text(result, scenario, extends)
    protected = extends_chain(scenario_ref)
    safe_write.write_text(path, text, force=force, protected=protected, what="plan")
    try:
        return load_scenario(path)
    except ScenarioError as exc:
        hits = [(_NEVER.match(p.path), p) for p in exc.problems]
        if not all(match and p.message.startswith("milestone can never fire") for match, p in hits):
            raise
        drop: dict[str, set[int]] = {}
        for match, _ in hits:
            assert match is not None
            drop.setdefault(match["name"], set()).add(int(match["index"]))
    doc = yaml.safe_load(text)
    raw = _read_document(scenario_ref).data.get("contracts", {})
    contracts = doc.setdefault("contracts", {}) or {}
    for name, indices in drop.items():
        tranches = [item for i, item in enumerate(raw[name]["tranches"]) if i not in indices]
        contracts[name] = {**(contracts.get(name) or {}), "tranches": tranches}
    doc["contracts"] = contracts
    fixed_text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    safe_write.write_text(path, fixed_text, force=True, protected=protected, what="plan")
    return load_scenario(path)


def extends_ref(scenario_ref: str, plan_path: Path) -> str:
    """How a plan written to ``plan_path`` names its input: a built-in name as is, a file
    relative to the plan's folder."""
    if Path(scenario_ref).suffix in (".yaml", ".yml") or Path(scenario_ref).exists():
        return os.path.relpath(Path(scenario_ref).resolve(), plan_path.resolve().parent)
    return scenario_ref


def _plan_kind(inputs: xr.Dataset) -> str:
    q, dq = inputs.attrs["quantile"], inputs.attrs.get("demand_quantile", 0.5)
    if q == 0.5 and dq == 0.5:
        return "Least-cost plan"
    return f"Least-cost plan at quantile {q:g} (demand at {dq:g})"


def _iso(days: float) -> str:
    return date_from_days(days).isoformat()


# ---------------------------------------------------------------- robust plans


#: Quantiles ``--robust`` re-plans at, in order, until the target probability is reached.
ROBUST_QUANTILES = (0.5, 0.7, 0.85, 0.95)


def check_dates(scenario: Scenario, start_date: float, end_date: float) -> np.ndarray:
    """Year ends (Dec 31) inside ``[start_date, end_date)`` and the scenario's time span."""
    from gigawatt.engine import Model

    year_ends = Model.from_scenario(scenario).year_ends
    return year_ends[(year_ends >= start_date) & (year_ends < end_date)]


def demand_met(
    scenario: Scenario, dates: np.ndarray, draws: int, seed: int, reference_flops_per_mw: float
) -> xr.DataArray:
    """Per draw and date: BF16 FLOP/s online ≥ total demand (training + inference), both drawn.

    Compute is every phase with a simulated online date on or before the date, at its drawn
    accelerator figures (the engine's :func:`~gigawatt.engine.simulate_block`); demand is
    level·(1+growth)^years with its parameters drawn for the same seed and draws, as ``gigawatt
    run`` draws them. Demand stated as facility power is read as compute at the plan's reference
    FLOP/s per facility MW; demand stated as compute is compared as it is (the reference unused)."""
    from gigawatt.engine import Model, demand_streams, simulate_block
    from gigawatt.sampling import BLOCK_DRAWS, block_ranges, sample

    model = Model.from_scenario(scenario)
    demand_params = {k: v for k, v in model.parameters.items() if k.startswith("demand.")}
    flops_per_stated = 1.0 if scenario.demand.stated_in == "flops" else reference_flops_per_mw
    met = []
    for lo, hi in block_ranges(draws, 8 * BLOCK_DRAWS):
        ds = simulate_block(model, seed, lo, hi)
        online = ds["online_date"].values[:, :, None] <= dates[None, None, :]
        compute_flops = (ds["bf16_flops"].values[:, :, None] * online).sum(axis=1)
        streams = demand_streams(model, sample(demand_params, seed, lo, hi), dates)
        need = np.sum(np.stack(list(streams.values())), axis=0)  # in demand's stated unit
        met.append(compute_flops >= need * flops_per_stated)
    return xr.DataArray(
        np.concatenate(met),
        dims=("draw", "date"),
        coords={"draw": np.arange(draws), "date": [_iso(d) for d in dates]},
        name="demand_met",
    )


@dataclass
class RobustStep:
    """One re-plan: the quantile read, the plan (None when there is none) and how it fares."""

    quantile: float
    result: PlanResult | None
    probability: float  # share of draws meeting demand at every check date (nan: no plan)
    by_date: dict[str, float]  # share of draws meeting demand at each check date
    error: str = ""

    @property
    def objective_usd(self) -> float:
        return math.nan if self.result is None else self.result.objective_usd

    def build_mw_by_source(self) -> dict[str, float]:
        if self.result is None:
            return {}
        built = self.result.build_mw.sum(["site", "period", "accelerator"])
        return {str(k): float(v) for k, v in built.to_series().items()}


@dataclass
class RobustPlan:
    """The re-plans of :func:`robust_plan`, the least-cost one first."""

    target_probability: float
    draws: int
    seed: int
    dates: list[str]
    steps: list[RobustStep]
    #: year ends in the horizon left out of the check: the least-cost plan's own shortfall (FLOP/s)
    short_flops: dict[str, float] = field(default_factory=dict)
    #: why the re-plans stopped early, if they did for another reason than reaching the target
    note: str = ""

    @property
    def reached(self) -> bool:
        return any(s.probability >= self.target_probability for s in self.steps)

    @property
    def best(self) -> RobustStep:
        """The first plan that reaches the target, else the most probable (cheapest on a tie)."""
        for step in self.steps:
            if step.probability >= self.target_probability:
                return step
        planned = [s for s in self.steps if s.result is not None]
        return max(planned, key=lambda s: (s.probability, -s.objective_usd))

    def changes(self, step: RobustStep) -> dict[str, dict[str, float]]:
        """Facility MW built by source against the least-cost plan: MW and percent."""
        base = self.steps[0].build_mw_by_source()
        out = {}
        for source, mw in step.build_mw_by_source().items():
            before = base.get(source, 0.0)
            delta = mw - before
            if abs(delta) > 0.5:
                out[source] = {
                    "mw": delta,
                    "percent": 100.0 * delta / before if before > 0.5 else math.inf,
                }
        return out

    def change_text(self, step: RobustStep) -> str:
        if step is self.steps[0]:
            return "least-cost plan"
        parts = []
        for source, change in self.changes(step).items():
            name = {"gas": "on-site gas", "solar_battery": "solar + battery"}.get(source, source)
            share = "new" if math.isinf(change["percent"]) else f"{change['percent']:+.0f}%"
            parts.append(f"{share} {name} ({change['mw']:+,.0f} MW facility)")
        return ", ".join(parts) or "same MW by source"

    def summary(self) -> dict[str, Any]:
        best = self.best
        return {
            "target_probability": self.target_probability,
            "reached": self.reached,
            "chosen_quantile": best.quantile,
            "method": ROBUST_METHOD,
            "draws": self.draws,
            "seed": self.seed,
            "dates": self.dates,
            "dates_not_checked_unmet_flops": self.short_flops,
            "note": self.note,
            "least_cost_probability": self.steps[0].probability,
            "iterations": [
                {
                    "quantile": s.quantile,
                    "objective_usd": None if s.result is None else s.objective_usd,
                    "probability": None if math.isnan(s.probability) else s.probability,
                    "probability_by_date": s.by_date,
                    "build_mw_by_source": s.build_mw_by_source(),
                    "change_vs_least_cost": {
                        k: {"mw": v["mw"], "percent": None if math.isinf(v["percent"]) else v["percent"]}
                        for k, v in self.changes(s).items()
                    },
                    "change": self.change_text(s) if s.result is not None else s.error,
                }
                for s in self.steps
            ],
        }


ROBUST_METHOD = (
    "Re-plan for demand at quantile q = 0.5, 0.7, 0.85, 0.95 (its level and growth at q; dates, "
    "lead times and supply stay at --quantile), write each plan as a scenario, simulate it with "
    "the engine and stop at the first plan whose probability of meeting demand reaches P. "
    "Meeting demand: in a draw, BF16 FLOP/s online (drawn accelerator figures) >= total demand "
    "(drawn; demand stated as power read as compute at the plan's reference FLOP/s per facility "
    "MW) at every checked year end: those inside the plan horizon where the least-cost plan "
    "itself meets demand. Year ends it leaves short are listed with the shortfall, not checked. "
    "Lead times are not raised with q: a plan's quarter is the earliest its phases go online in "
    "the engine, so planning on late dates only delays them (measured on Stargate: P at q = 0.85 "
    "falls from 50% to 27%; docs/plan.md)."
)


def robust_plan(
    scenario: Scenario,
    scenario_ref: str,
    options: PlanOptions,
    target_probability: float,
    draws: int = 2000,
    seed: int = 0,
    quantiles: Iterable[float] = ROBUST_QUANTILES,
) -> RobustPlan:
    """Re-plan at rising quantiles until the simulated probability of meeting demand reaches
    ``target_probability`` (see :data:`ROBUST_METHOD`); every step is kept for the report."""
    import dataclasses
    import tempfile

    steps: list[RobustStep] = []
    dates: np.ndarray | None = None
    short: dict[str, float] = {}
    note = ""
    with tempfile.TemporaryDirectory(prefix="gigawatt-plan-") as folder:
        for q in quantiles:
            step_options = dataclasses.replace(options, demand_quantile=q)
            try:
                inputs = plan_inputs(scenario, step_options)
                if steps and steps[0].result is not None:
                    before = steps[0].result.inputs.demand_flops.values
                    if np.allclose(inputs.demand_flops.values, before, rtol=1e-9, atol=0.0):
                        note = (
                            "demand is certain in this scenario, so planning for more of it changes "
                            "nothing: --robust has nothing to raise (the least-cost plan stands)"
                        )
                        break
                result = solve(inputs)
            except PlanInfeasibleError as exc:
                if not steps:
                    raise  # no least-cost plan: nothing to make robust
                steps.append(RobustStep(q, None, math.nan, {}, error=f"no plan: {exc}"))
                break  # later quantiles only tighten the limits
            path = Path(folder) / f"plan-q{q}.yaml"
            planned = write_plan(result, scenario, scenario_ref, path, extends_ref(scenario_ref, path))
            if dates is None:
                ds = result.inputs
                dates = check_dates(planned, float(ds.period_start_date[0]), float(ds.period_end_date[-1]))
                if not len(dates):
                    raise GigawattError(
                        f"the plan horizon ({ds.period.values[0]}–{ds.period.values[-1]}) holds no year "
                        "end inside the scenario's time span; plan more --periods to use --robust"
                    )
                dates, short = promised_dates(result, dates)
            met = demand_met(planned, dates, draws, seed, result.inputs.attrs["reference_flops_per_mw"])
            steps.append(
                RobustStep(
                    q,
                    result,
                    float(met.all("date").mean()),
                    {str(d): float(v) for d, v in met.mean("draw").to_series().items()},
                )
            )
            if steps[-1].probability >= target_probability:
                break
    return RobustPlan(
        target_probability, draws, seed, [] if dates is None else [_iso(d) for d in dates], steps, short, note
    )


def promised_dates(result: PlanResult, dates: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """The ``dates`` at which ``result`` itself meets demand (no unmet FLOP/s in the quarter that
    holds the date), and the others with the plan's own shortfall there (FLOP/s). When the plan
    meets demand at none of them, all are returned (each then counts as unmet)."""
    ds = result.inputs
    quarter = np.searchsorted(ds.period_start_date.values, dates, side="right") - 1  # quarters abut
    demand = ds.demand_flops.sum("workload").values[quarter]
    unmet = result.unmet_flops.values[quarter]
    ok = unmet <= 1e-6 * demand
    if not ok.any():
        return dates, {}
    return dates[ok], {_iso(d): float(u) for d, u, k in zip(dates, unmet, ok, strict=True) if not k}
