"""The planning problem of a scenario, as one labelled dataset the optimizer reads.

:func:`plan_inputs` turns a scenario's demand and sites, the cost catalog and the plan's
options (:class:`PlanOptions`) into an :class:`xarray.Dataset` over ``site``, ``period``
(quarters), ``source``, ``accelerator``, ``workload`` and ``limit``: demand in FLOP/s and the
contracted capacity that already meets part of it, each site's firm power and room by quarter,
costs per MW, accelerator availability and the shared supply limits. Every uncertain figure is
read at one quantile; nothing here is drawn.

The plan serves what ``gigawatt run`` compares demand with: demand's party's own sites (their
tenant is the party) and its contracted blocks (:func:`gigawatt.engine.serving_sites`,
:func:`~gigawatt.engine.serving_blocks`), from the first quarter after the scenario's as-of
date (what was online before it is a fact, not a decision).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gigawatt import cadence, units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.distributions import Dist
from gigawatt.engine import grown_demand, serving_blocks, serving_sites
from gigawatt.errors import GigawattError
from gigawatt.leadtimes import lead_weeks, needs
from gigawatt.priors import scenario_priors
from gigawatt.scenario import POWER_SOURCES, STATUS_ORDER, Phase, Scenario
from gigawatt.supply import Generation, industry_rate_per_year
from gigawatt.units import date_from_days, days_from_date

SOURCES = POWER_SOURCES
WORKLOADS = ("training", "inference")
EFLOPS = 1e18  # FLOP/s per EFLOP/s: the model's compute unit (keeps coefficients near 1)
HOURS_PER_QUARTER = units.HOURS_PER_YEAR / 4
DAYS_PER_YEAR = units.DAYS_PER_YEAR
WEEKS_PER_QUARTER = units.WEEKS_PER_GREGORIAN_YEAR / 4
_GAS_CAPEX = {
    "large_frame": "gas_turbine_per_kw",
    "aeroderivative": "gas_turbine_per_kw",
    "recip_engine": "recip_engine_per_kw",
}
_SUPPLY_SOURCES = {"gas_turbines": ("gas",), "transformers": ("grid",), "construction": SOURCES}
_QUARTERS_PER = {"week": WEEKS_PER_QUARTER, "month": 3.0, "quarter": 1.0, "year": 0.25}


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


#: The accelerator that a contracted compute price per facility GW-year buys (Oracle's for OpenAI).
PRICED_ACCELERATOR = "gb200-nvl72"


def plan_assumptions() -> dict[str, float]:
    """The plan's default assumptions, from the costs catalog's ``plan`` section (sourced there).

    Unmet demand costs what buying the compute under contract would: the catalog's contracted
    compute price per facility GW-year (Oracle-OpenAI, ~$13.3B) over the EFLOP/s a facility GW
    holds with the accelerator such contracts buy (:data:`PRICED_ACCELERATOR`, at the
    liquid-cooling PUE; medians, ~1,000 EFLOP/s), per quarter: ~$3.3M per EFLOP/s-quarter."""
    catalog = load_catalog()

    def value(key: str) -> float:
        return _cost(catalog, "plan", key)

    return {
        "discount_rate_per_year": value("discount_rate_per_year"),
        "penalty_usd_per_eflops_quarter": value("contracted_compute_usd_per_facility_gw_year")
        / (1e3 * priced_flops_per_facility_mw(catalog) / EFLOPS)
        / 4,
        "load_factor": value("load_factor"),
        "facility_life_years": value("facility_life_years"),
    }


def priced_flops_per_facility_mw(catalog: Catalog) -> float:
    """BF16 dense FLOP/s per facility MW of :data:`PRICED_ACCELERATOR` at the liquid-cooling
    PUE (catalog medians): what a contracted price per facility GW buys."""
    acc = catalog.accelerators[PRICED_ACCELERATOR]
    pue = _pue(catalog, "liquid")
    return 1e6 / (pue * float(acc.it_power_w.dist().ppf(0.5))) * float(acc.bf16_flops.dist().ppf(0.5))


# ---------------------------------------------------------------- periods


def quarter_start(days: float) -> float:
    """The first day of the quarter after the one containing ``days`` (or ``days`` if it starts one)."""
    date = date_from_days(days)
    first = pd.Timestamp(date).to_period("Q").start_time.date()
    if first == date:
        return days
    return days_from_date((pd.Timestamp(date).to_period("Q") + 1).start_time.date())


def first_planned_quarter(scenario: Scenario) -> float:
    """The first day of the first quarter that ends after the scenario's as-of date: the
    earliest a plan starts (quarters that ended by then were observed, not planned)."""
    day_after = date_from_days(scenario.time.as_of_day + 1.0)
    return days_from_date(pd.Timestamp(day_after).to_period("Q").start_time.date())


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
    online date not yet past is ready then (no generic stages on top). With the fitted build
    priors (:mod:`gigawatt.cadence`) the build takes the site's fitted span at ``q``, and a
    later phase without a planned date waits for the one before it plus the fitted gap at ``q``."""
    site = scenario.sites[site_id]
    basis = _pue(catalog, site.cooling) if site.power_basis == "it" else 1.0
    as_of = scenario.time.as_of_day
    build, gap = cadence.site_spans(scenario, site_id, scenario_priors(scenario))
    build_weeks = _at(build, q) if build else _stage_weeks(scenario, catalog, _BUILD_STAGES, q)
    out = []
    before = -math.inf  # the day the phase before is ready (its online date if observed)
    for i, phase in enumerate(site.phases):
        if STATUS_ORDER[phase.status] >= STATUS_ORDER["online"]:
            before = _at(phase.online_date, q) if phase.online_date is not None else before
            continue
        if phase.start_date is not None:
            begun = _at(phase.start_date, q)
        else:
            begun = as_of + 7 * _stage_weeks(scenario, catalog, ["permitting"], q)
        ready = max(begun + 7 * build_weeks, as_of)
        if phase.online_date is not None and _at(phase.online_date, q) >= as_of:
            ready = _at(phase.online_date, q)
        elif gap is not None and i > 0 and phase.online_date is None:
            ready = max(ready, before + 7 * _at(gap, q))  # the engine's building cadence
        before = ready
        out.append((phase, ready, phase.power_mw.mid * basis))
    return sorted(out, key=lambda row: row[1])


def is_fixed(phase: Phase) -> bool:
    """A phase under construction (at the scenario's as-of date) is a fixed build, not a
    decision: ground is broken, leases signed and money spent, so the plan takes it as given,
    online on its engine date (:func:`pending_phases`), as PyPSA takes existing and committed
    capacity as non-extendable. Committed (signed, not started) and announced phases, options
    included, are the plan's to build or not."""
    return phase.status == "under_construction"


#: Stages from the start of construction to online (permitting comes before the start).
_BUILD_STAGES = ("site_and_shell", "it_fit_out", "commissioning")


def _accelerator_ids(scenario: Scenario) -> list[str]:
    ids: list[str] = []
    for site in scenario.sites.values():
        ids += [site.accelerator, *(p.accelerator for p in site.phases if p.accelerator)]
    for supply in scenario.supply.values():
        ids += supply.accelerators
    return list(dict.fromkeys(ids))


def _accelerators_per_mw(scenario: Scenario, catalog: Catalog, site_id: str, accelerator: str) -> float:
    """Accelerators per MW of facility power at the site (medians): the catalog's IT W × the
    site's PUE, or the site's own density where its count is published (``Site.per_accelerator``)."""
    site = scenario.sites[site_id]
    own = site.facility_w_per_accelerator(accelerator)
    if own is not None:
        return 1e6 / own.mid
    return 1e6 / (_pue(catalog, site.cooling) * scenario.accelerator(accelerator).it_power_w.mid)


def _flops_per_mw(scenario: Scenario, catalog: Catalog, site_id: str, accelerator: str) -> float:
    """BF16 dense FLOP/s per MW of facility power at the site filled with ``accelerator``."""
    per_mw = _accelerators_per_mw(scenario, catalog, site_id, accelerator)
    return per_mw * float(scenario.accelerator(accelerator).bf16_flops.ppf(0.5))


def _flops_per_mw_at(scenario: Scenario, pue: float, accelerator: str) -> float:
    """BF16 dense FLOP/s per MW of facility power at ``pue`` filled with ``accelerator`` (medians)."""
    acc = scenario.accelerator(accelerator)
    return 1e6 / (pue * float(acc.it_power_w.ppf(0.5))) * float(acc.bf16_flops.ppf(0.5))


def _contracted(scenario: Scenario, catalog: Catalog, ds: xr.Dataset, q: float) -> xr.Dataset:
    """BF16 dense FLOP/s of each contracted block serving demand delivered by each quarter's
    last day (the day demand is read), as ``gigawatt run`` counts them: each step's facility MW
    at its block's accelerator and the liquid-cooling PUE (medians). Like supply, a step's MW is
    read at ``1 - q`` and its date at ``q``. Dims ``block``, ``period``; ``block_accelerator``."""
    last_day = ds.period_end_date.values - 1.0
    pue = _pue(catalog, "liquid")  # the engine's PUE for contracted capacity
    blocks = serving_blocks(scenario)
    flops = np.zeros((len(blocks), len(last_day)))
    for i, name in enumerate(blocks):
        block = scenario.contracted[name]
        per_mw = _flops_per_mw_at(scenario, pue, block.accelerator)
        for step in block.schedule:
            flops[i] += np.where(_at(step.on_date, q) <= last_day, _at(step.power_mw, 1 - q) * per_mw, 0.0)
    accs = [scenario.contracted[name].accelerator for name in blocks]
    return xr.Dataset(
        {"contracted_flops": (("block", "period"), flops), "block_accelerator": ("block", accs)},
        coords={"block": blocks, "period": ds.period.values},
    )


def reference_flops_per_mw(scenario: Scenario, start_date: float) -> float:
    """FLOP/s per facility MW that demand stated as power is read with (for demand stated as
    compute, only what ``*_mw`` outputs are scaled by): the power-weighted mean over the
    phases of the sites serving demand (:func:`gigawatt.engine.serving_sites`) whose accelerator
    is available by ``start_date`` (the fleet that demand's start could be served with; every
    such phase if none is), each at its site's PUE."""
    catalog = load_catalog()
    rows = [
        (
            p.power_mw.mid,
            _flops_per_mw(scenario, catalog, site_id, acc),
            _at(scenario.accelerator(acc).available_date, 0.5),
        )
        for site_id in serving_sites(scenario)
        for p in scenario.sites[site_id].phases
        for acc in [p.accelerator or scenario.sites[site_id].accelerator]
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
    sites = serving_sites(scenario)
    if not sites:
        raise GigawattError(
            f"{scenario.source_file}: no site serves demand's party {scenario.demand.party!r} "
            "(no site's tenant is it): there is nothing to plan"
        )
    ds, reference = _demand(scenario, options)
    ds = ds.merge(_contracted(scenario, catalog, ds, q))
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
    fixed_build = np.zeros((n_site, len(accs), options.periods))
    fixed_total = np.zeros((n_site, len(accs)))
    pue = np.zeros(n_site)
    energy_mwh_per_mw = options.assumption("load_factor") * HOURS_PER_QUARTER
    # As in the engine, a phase goes online a commissioning period after its power, accelerators
    # and supplied equipment arrive.
    commissioning_days = 7 * _stage_weeks(scenario, catalog, ["commissioning"], q)
    for i, site_id in enumerate(sites):
        pue[i] = _pue(catalog, scenario.sites[site_id].cooling)
        cap[i], power_capex[i], opex[i], co2[i] = _site_power(
            scenario, catalog, site_id, end, q, commissioning_days, energy_mwh_per_mw
        )
        phases = _site_phases(scenario, catalog, site_id, end, q, pue[i], flops_per_mw[i], accs)
        size[i], existing[i], existing_flops[i], fixed_cost[i] = phases.sizes
        room[i], earliest[i], fixed_build[i], fixed_total[i] = phases.room, phases.earliest, *phases.fixed
    cap = np.where(end[None, None, :] > earliest[:, None, None], cap, 0.0)
    building = _cost(catalog, "construction", "building_per_mw_it")
    networking = _cost(catalog, "construction", "networking_share_of_it")
    acc_per_mw = np.array([[_accelerators_per_mw(scenario, catalog, s, a) for a in accs] for s in sites])
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
    ds = _with_fixed_builds(ds, scenario, fixed_build, fixed_total)
    ds["opex_usd_per_mw_quarter"] = (("site", "source"), opex)
    ds["co2_t_per_mw_quarter"] = (("site", "source"), co2)
    ds["accelerators_per_mw"] = (("site", "accelerator"), acc_per_mw)
    ds["accelerator_available"] = (("accelerator", "period"), end[None, :] > available[:, None])
    ds["chip_life_quarters"] = (
        "accelerator",
        np.array([resolved[a].useful_life_weeks.mid / WEEKS_PER_QUARTER for a in accs]),
    )
    ds = after_fixed_builds(_with_supply(ds, _scenario_limits(scenario, ds, q, commissioning_days)))
    ds.attrs.update(
        _option_attrs(options),
        scenario=scenario.name,
        as_of=str(date_from_days(scenario.time.as_of_day)),
        demand_party=scenario.demand.party or "",
        reference_flops_per_mw=reference,
        demand_stated_as=scenario.demand.stated_in,
    )
    return ds


def _demand(scenario: Scenario, options: PlanOptions) -> tuple[xr.Dataset, float]:
    """The plan's quarters with demand per workload on each, in FLOP/s and as facility MW at
    the reference FLOP/s per MW (:func:`reference_flops_per_mw`), and that reference."""
    demand = scenario.demand
    streams = {w: getattr(demand, w) for w in WORKLOADS}
    if all(s is None for s in streams.values()):
        raise GigawattError(f"{scenario.source_file}: the scenario has no `demand` section; a plan needs one")
    starts = [s.start_date.mid for s in streams.values() if s is not None]
    first = first_planned_quarter(scenario)
    start = options.start_date if options.start_date is not None else max(quarter_start(min(starts)), first)
    if start < first:
        raise GigawattError(
            f"the plan cannot start in {quarters(start, 1).period.values[0]}: the scenario's as-of date "
            f"is {date_from_days(scenario.time.as_of_day)}, and what was online before it is a fact, "
            f"not a plan; the first quarter to plan is {quarters(first, 1).period.values[0]}"
        )
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
    return ds.assign_coords(workload=list(WORKLOADS)), reference


def _site_power(
    scenario: Scenario,
    catalog: Catalog,
    site_id: str,
    end: np.ndarray,
    q: float,
    commissioning_days: float,
    energy_mwh_per_mw: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A site's firm facility MW by source and quarter (usable a commissioning period after the
    power arrives) and per MW of each source: power capex, energy opex and CO2 a quarter."""
    site = scenario.sites[site_id]
    try:
        price = _cost(catalog, "electricity_price", site.region)
    except KeyError:
        known = sorted(catalog.costs["electricity_price"])
        raise GigawattError(
            f"{scenario.source_file}: sites.{site_id}.region: no electricity price for "
            f"{site.region!r} in the cost catalog (known: {', '.join(known)})"
        ) from None
    fuel_usd_per_mwh = _cost(catalog, "plan", "henry_hub_usd_per_mmbtu") * _cost(
        catalog, "plan", "gas_heat_rate_mmbtu_per_mwh_electric"
    )
    gas_t_per_mwh = (
        _cost(catalog, "plan", "gas_co2_kg_per_mmbtu")
        * _cost(catalog, "plan", "gas_heat_rate_mmbtu_per_mwh_electric")
        / 1000
    )
    cap = np.zeros((len(SOURCES), len(end)))
    power_capex, opex, co2 = np.zeros(len(SOURCES)), np.zeros(len(SOURCES)), np.zeros(len(SOURCES))
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
        cap[j] += np.where(end > when + commissioning_days, firm, 0.0)
        if source.kind == "gas":
            key = _GAS_CAPEX[source.technology or ""]
            gas_capex[key] = gas_capex.get(key, 0.0) + firm
    for j, kind in enumerate(SOURCES):
        if kind == "grid":
            power_capex[j] = _cost(catalog, "power_equipment", "substation_per_kw") * 1000
            opex[j] = price * energy_mwh_per_mw
        elif kind == "gas" and gas_capex:
            weights = sum(gas_capex.values())
            power_capex[j] = sum(
                _cost(catalog, "power_equipment", k) * 1000 * w / weights for k, w in gas_capex.items()
            )
            opex[j] = fuel_usd_per_mwh * energy_mwh_per_mw
            co2[j] = gas_t_per_mwh * energy_mwh_per_mw
        elif kind == "solar_battery":
            solar = [s for s in site.power_plan if s.kind == "solar_battery"]
            firm_fraction = np.mean([s.firm_fraction.mid for s in solar]) if solar else 1.0
            # per firm facility MW: solar in $/kW over its firm fraction, the battery in $/MWh
            # (the catalog reads "$220/kWh" as $220,000/MWh) for its hours
            power_capex[j] = 1000 * _cost(catalog, "power_equipment", "solar_per_kw") / max(
                firm_fraction, 1e-3
            ) + _cost(catalog, "power_equipment", "battery_per_kwh") * _cost(
                catalog, "plan", "battery_duration_hours"
            )
    return cap, power_capex, opex, co2


@dataclass
class _SitePhases:
    """A site's phases as the plan sees them (:func:`_site_phases`)."""

    sizes: tuple[float, float, float, float]  # size, online MW, online FLOP/s, land cost to open it
    room: np.ndarray  # (period,) MW of the phases to decide ready by each quarter's end
    earliest: float  # the day the first phase to decide can be ready
    fixed: tuple[
        np.ndarray, np.ndarray
    ]  # under construction: (accelerator, period) MW online; (accelerator,) MW


def _site_phases(
    scenario: Scenario,
    catalog: Catalog,
    site_id: str,
    end: np.ndarray,
    q: float,
    pue: float,
    flops_per_mw: np.ndarray,
    accs: list[str],
) -> _SitePhases:
    """A site's phases as the plan sees them: its size and what is online (facility MW, and
    FLOP/s at ``flops_per_mw`` by accelerator), the land cost of opening it (none once a phase
    is under construction), its room by quarter as the phases to decide get ready, and the
    first; and its fixed builds (:func:`is_fixed`): their facility MW online by each quarter's
    end by accelerator, each from the day it is ready, and in all."""
    site = scenario.sites[site_id]
    basis = pue if site.power_basis == "it" else 1.0
    acres_usd_per_mw = _cost(catalog, "plan", "site_acres_per_facility_mw") * _cost(
        catalog, "construction", "land_per_acre"
    )
    phases_mw = [p.power_mw.mid * basis for p in site.phases]
    size = sum(phases_mw)
    online = [STATUS_ORDER[p.status] >= STATUS_ORDER["online"] for p in site.phases]
    existing = sum(mw for mw, is_on in zip(phases_mw, online, strict=True) if is_on)
    existing_flops = sum(
        mw * flops_per_mw[accs.index(p.accelerator or site.accelerator)]
        for mw, is_on, p in zip(phases_mw, online, site.phases, strict=True)
        if is_on
    )
    started = any(STATUS_ORDER[p.status] >= STATUS_ORDER["under_construction"] for p in site.phases)
    fixed_cost = 0.0 if started else acres_usd_per_mw * size
    room = np.zeros(len(end))
    fixed = np.zeros((len(accs), len(end)))
    fixed_total = np.zeros(len(accs))
    earliest = math.inf
    for phase, ready, mw in pending_phases(scenario, catalog, site_id, q):
        if is_fixed(phase):
            a = accs.index(phase.accelerator or site.accelerator)
            fixed[a] += np.where(end > ready, mw, 0.0)
            fixed_total[a] += mw
        else:
            room += np.where(end > ready, mw, 0.0)
            earliest = min(earliest, ready)
    return _SitePhases((size, existing, existing_flops, fixed_cost), room, earliest, (fixed, fixed_total))


def _with_fixed_builds(
    ds: xr.Dataset, scenario: Scenario, fixed_build: np.ndarray, fixed_total: np.ndarray
) -> xr.Dataset:
    """The sites' fixed builds in ``ds``: facility MW online by each quarter's end by accelerator
    (``fixed_build``), in all, and their capex: the plan's chips capex per MW of their
    accelerator, and its facility capex per MW of each power source weighted by the site's
    firm power plan."""
    facility = np.zeros(ds.sizes["site"])
    for i, site_id in enumerate(ds.site.values):
        firm = np.zeros(len(SOURCES))
        for source in scenario.sites[str(site_id)].power_plan:
            firm[SOURCES.index(source.kind)] += source.capacity_mw.mid * source.firm_fraction.mid
        share = firm / firm.sum() if firm.sum() > 0 else np.full(len(SOURCES), 1 / len(SOURCES))
        facility[i] = fixed_total[i].sum() * float(share @ ds.facility_capex_usd_per_mw.values[i])
    chips = (fixed_total * ds.chips_capex_usd_per_mw.transpose("site", "accelerator").values).sum(axis=1)
    ds["fixed_build_mw"] = (("site", "accelerator", "period"), fixed_build)
    ds["fixed_build_total_mw"] = ("site", fixed_total.sum(axis=1))
    ds["fixed_build_capex_usd"] = ("site", facility + chips)
    return ds


def fixed_build_flops(ds: xr.Dataset) -> xr.DataArray:
    """BF16 dense FLOP/s of each site's fixed builds online by each quarter's end, each at its
    own accelerator (dims ``site``, ``period``); zero for inputs without fixed builds."""
    if "fixed_build_mw" not in ds:
        return xr.zeros_like(ds.room_mw)
    return (ds.fixed_build_mw * ds.flops_per_facility_mw).sum("accelerator").transpose("site", "period")


def after_fixed_builds(ds: xr.Dataset) -> xr.Dataset:
    """Shared supply left to the plan's decisions once the fixed builds have theirs: as in the
    engine, accelerators, construction and the programme's build rate serve every phase still
    to build (turbines and transformers only phases not yet under construction), the fixed
    builds first (they are ready first). A fixed build takes what it needs in the quarter it
    goes online; what a quarter cannot give it comes out of the next ones."""
    new = np.diff(ds.fixed_build_mw.transpose("site", "accelerator", "period").values, axis=2, prepend=0.0)
    weight = xr.where(ds.supply_in_accelerators, ds.accelerators_per_mw, 1.0) * ds.supply_accelerator
    use = np.einsum("lsa,sap->lp", weight.transpose("limit", "site", "accelerator").values, new)
    use *= ds.supply_source.all("source").values[:, None]  # not turbines, not transformers
    amount = ds.supply_amount.transpose("limit", "period").values.copy()
    backlog = np.zeros(len(amount))
    for t in range(amount.shape[1]):
        need = backlog + use[:, t]
        taken = np.minimum(need, amount[:, t])
        backlog = need - taken
        amount[:, t] -= taken
    return ds.assign(supply_amount=(("limit", "period"), amount))


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
