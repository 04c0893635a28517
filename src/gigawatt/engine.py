"""The buildout engine: Monte Carlo of every phase's pipeline, shared supply limits.

For each draw, each phase goes permitting → site and shell → IT fit-out →
commissioning, and comes online at the latest of (the tags name the constraint):

* ``construction`` — its planned online date, and construction start + stages;
* ``power:<kind>`` — the date its site's power plan can carry it (phases take a
  site's firm power in order) plus commissioning;
* ``accelerator availability`` — its accelerator generation shipping;
* ``transformers`` / ``turbine supply`` / ``accelerator supply`` / ``build rate``
  — shared limits, each a queue: phases in order of priority, then readiness,
  served from the limit's cumulative supply curve (sorted cumulative sums);
  what is not delivered waits.

Everything is array arithmetic over ``(draw, phase)`` and ``(draw, time)``; the
only Python loops run over phases, sites and limits. Draws are simulated in
chunks of :data:`~gigawatt.sampling.BLOCK_DRAWS`; aggregates per chunk are
integer histograms (exactly mergeable) or per-chunk sums combined in chunk
order, so results are bit-identical for any block size or worker count.
"""

from __future__ import annotations

import math
import os
import pickle
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from gigawatt import cadence, contracted, observations, runner, supply, units
from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist
from gigawatt.errors import GigawattError
from gigawatt.leadtimes import lead_parameters, lead_weeks
from gigawatt.priors import Priors, resolve_priors
from gigawatt.sampling import BLOCK_DRAWS, collect, sample
from gigawatt.scenario import DEMAND_KEYS, STATUS_ORDER, Scenario
from gigawatt.scope import Subject

__all__ = [
    "CAUSES",
    "Model",
    "Aggregates",
    "Results",
    "simulate_block",
    "aggregate_block",
    "run",
    "target_days",
    "first_reach",
    "date_bins",
    "demand_streams",
    "grown_demand",
    "WEEKS_PER_YEAR",
]

#: How far one level of site priority moves a phase up a supply queue: one quarter.
PRIORITY_DAYS = 91.3125
#: Mean weeks in a year (365.25 / 7).
WEEKS_PER_YEAR = units.WEEKS_PER_YEAR
DAYS_PER_WEEK = 7.0
#: What can set a phase's online date, in the order ties are attributed.
CAUSES = (
    "observed",
    "construction",
    "power:grid",
    "power:gas",
    "power:solar_battery",
    "accelerator availability",
    "transformers",
    "turbine supply",
    "accelerator supply",
    "build rate",
)
_HIST_BINS = 400
_PERIOD_WEEKS = {
    "week": 1.0,
    "month": WEEKS_PER_YEAR / 12,
    "quarter": WEEKS_PER_YEAR / 4,
    "year": WEEKS_PER_YEAR,
}
_MONEY_PATHS = ("contracts.", "parties.", "demand.", "contracted.")
_SUPPLY_ORDER = ("transformers", "gas_turbines", "accelerators", "construction")
_STAGES = ("permitting", "site_and_shell", "it_fit_out", "commissioning")


@dataclass(frozen=True)
class PhaseInfo:
    """Static facts about one phase (one row of the ``phase`` dimension)."""

    id: str
    site: str
    index: int
    name: str
    status: str
    country: str
    region: str
    operator: str
    tenant: str
    programme: str
    accelerator: str
    cooling: str
    basis: str
    priority: int


@dataclass(frozen=True)
class SupplyInfo:
    name: str
    resource: str
    per_weeks: float
    phases: tuple[int, ...]


@dataclass(frozen=True)
class StepSeries:
    """A per-phase quantity summed over phases online: which variable, which phases,
    the histogram's upper bound and the integer unit its sums are kept in."""

    variable: str
    mask: np.ndarray
    high: float
    unit: float


@dataclass
class Model:
    """A scenario compiled for simulation: phase table, parameters, time grid."""

    scenario: Scenario
    phases: list[PhaseInfo]
    parameters: dict[str, Dist]
    grid_days: np.ndarray
    as_of_day: float
    supplies: list[SupplyInfo]
    series: dict[str, np.ndarray]
    series_high_mw: dict[str, float]
    step_series: dict[str, StepSeries]
    year_ends: np.ndarray
    #: fitted build priors in effect (:mod:`gigawatt.cadence`), or None for the catalog's stages
    priors: Priors | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario, priors: Priors | None = None) -> Model:
        """Compile ``scenario``; ``priors`` replace the scenario's own ``priors:`` if given."""
        catalog = load_catalog()
        if priors is None and scenario.priors is not None:
            priors = resolve_priors(scenario.priors, scenario.source_file)
        params = collect(scenario)
        phases: list[PhaseInfo] = []
        for site_id, site in scenario.sites.items():
            for index, phase in enumerate(site.phases):
                phases.append(
                    PhaseInfo(
                        id=f"{site_id}/{phase.name}",
                        site=site_id,
                        index=index,
                        name=phase.name,
                        status=phase.status,
                        country=site.country,
                        region=site.region,
                        operator=site.operator or "",
                        tenant=site.tenant or "",
                        programme=site.programme,
                        accelerator=phase.accelerator or site.accelerator,
                        cooling=site.cooling,
                        basis=site.power_basis,
                        priority=site.priority,
                    )
                )
        bought = {b.accelerator for b in scenario.contracted.values()}
        for acc_id in sorted({p.accelerator for p in phases} | bought):
            acc = scenario.accelerator(acc_id)
            for key in ("it_power_w", "bf16_flops", "price_usd", "available_date", "h100_equivalents"):
                params[f"accelerators.{acc_id}.{key}"] = getattr(acc, key)
        for cooling in sorted({p.cooling for p in phases} | ({"liquid"} if bought else set())):
            params[f"pue.{cooling}"] = catalog.cost("pue", cooling).dist()
        for stage in _STAGES:
            dist = getattr(scenario.stages, f"{stage}_weeks") or catalog.cost("stages", stage).dist()
            for p in phases:
                params[f"sites.{p.site}.phases[{p.index}].stages.{stage}"] = dist
        params.update(cadence.parameters(scenario, phases, priors))
        params.update(lead_parameters(catalog))
        step = _PERIOD_WEEKS[scenario.time.step] * DAYS_PER_WEEK
        grid = np.arange(scenario.time.start_day, scenario.time.end_day + 1e-9, step)
        supplies = []
        for name, limit in scenario.supply.items():
            if limit.resource == "accelerators":
                members = tuple(i for i, p in enumerate(phases) if p.accelerator in limit.accelerators)
            else:
                members = tuple(range(len(phases)))
            supplies.append(SupplyInfo(name, limit.resource, _PERIOD_WEEKS[limit.per], members))
        series: dict[str, np.ndarray] = {"total": np.ones(len(phases), bool)}
        for key in ("site", "country", "tenant"):
            label = "party" if key == "tenant" else key
            for value in sorted({getattr(p, key) for p in phases} - {""}):
                series[f"{label}:{value}"] = np.array([getattr(p, key) == value for p in phases])
        for acc_id in sorted({p.accelerator for p in phases}):
            series[f"accelerator:{acc_id}"] = np.array([p.accelerator == acc_id for p in phases])
        high = np.array(
            [
                scenario.sites[p.site].phases[p.index].power_mw.high
                * (params[f"pue.{p.cooling}"].high if p.basis == "it" else 1.0)
                for p in phases
            ]
        )
        count_high = np.array(
            [
                h / params[f"accelerators.{p.accelerator}.it_power_w"].low * 1e6
                for h, p in zip(high, phases, strict=True)
            ]
        )
        per_acc = {
            key: np.array([params[f"accelerators.{p.accelerator}.{key}"].high for p in phases])
            for key in ("bf16_flops", "h100_equivalents")
        }
        everything = np.ones(len(phases), bool)
        step_series = {
            "flops": StepSeries(
                "bf16_flops", everything, float((count_high * per_acc["bf16_flops"]).sum()), 1e12
            ),
            "it": StepSeries("it_mw", everything, float(high.sum()), _SUM_UNIT["mw"]),
            "h100e": StepSeries(
                "h100_equivalents", everything, float((count_high * per_acc["h100_equivalents"]).sum()), 1.0
            ),
        }
        for acc_id in sorted({p.accelerator for p in phases}):
            mask = series[f"accelerator:{acc_id}"]
            step_series[f"accelerators:{acc_id}"] = StepSeries(
                "accelerators", mask, float(count_high[mask].sum()), 1.0
            )
        first_year = units.date_from_days(grid[0]).year
        last_year = units.date_from_days(grid[-1]).year
        year_ends = np.array(
            [
                units.parse_date(str(y))
                for y in range(first_year, last_year + 1)
                if units.parse_date(str(y)) <= grid[-1]
            ]
        )
        return cls(
            scenario=scenario,
            phases=phases,
            parameters=params,
            grid_days=grid,
            as_of_day=scenario.time.as_of_day,
            supplies=supplies,
            series=series,
            series_high_mw={k: float(high[m].sum()) for k, m in series.items()},
            step_series=step_series,
            year_ends=year_ends,
            priors=priors,
        )

    @property
    def accelerator_ids(self) -> list[str]:
        return [k.split(":", 1)[1] for k in self.series if k.startswith("accelerator:")]

    def phase_path(self, k: int) -> str:
        p = self.phases[k]
        return f"sites.{p.site}.phases[{p.index}]"


def _queue(
    need_day: np.ndarray,
    amount: np.ndarray,
    priority: np.ndarray,
    day_supplied: Callable[[np.ndarray], np.ndarray],
) -> np.ndarray:
    """Serve ``amount`` (draw, K) from a shared limit whose cumulative supply
    reaches a level on ``day_supplied(level)`` (an inverse supply curve).

    Phases queue by ``need_day`` advanced by :data:`PRIORITY_DAYS` per priority
    level (so priority decides among phases ready about together); a phase is
    served once the cumulative supply covers everything queued before it and
    itself (sorted cumulative sums), and never before it needs to be. Returns
    the served day (inf if the supply never covers it)."""
    if need_day.shape[1] == 0:
        return need_day.copy()
    key = np.where(np.isfinite(need_day), need_day - priority[None, :] * PRIORITY_DAYS, np.inf)
    order = np.argsort(key, axis=1, kind="stable")
    cumulative = np.cumsum(np.take_along_axis(amount, order, axis=1), axis=1)
    served = np.empty_like(need_day)
    np.put_along_axis(served, order, day_supplied(cumulative), axis=1)
    return np.where(np.isfinite(need_day), np.maximum(served, need_day), np.inf)


def _supply_inverse(
    amount: np.ndarray, share: np.ndarray, growth: np.ndarray, start_day: np.ndarray, per_weeks: float
) -> Callable[[np.ndarray], np.ndarray]:
    """Inverse cumulative supply: ``amount × share`` per period from ``start_day``,
    growing continuously at ``growth`` a year; S(t) = r·(e^(g·t) − 1)/g."""
    rate_per_year = amount * share * WEEKS_PER_YEAR / per_weeks
    g = np.log1p(growth)

    def day_supplied(level: np.ndarray) -> np.ndarray:
        rate = rate_per_year[:, None]
        gg = g[:, None]
        with np.errstate(divide="ignore", invalid="ignore"):
            linear = level / rate
            inside = 1.0 + level * gg / rate
            grown = np.where(
                inside > 0, np.log(np.where(inside > 0, inside, 1.0)) / np.where(gg == 0, 1, gg), np.inf
            )
            years = np.where(np.abs(gg) < 1e-12, linear, grown)
        years = np.where((rate > 0) & np.isfinite(years), years, np.where(level <= 0, 0.0, np.inf))
        return start_day[:, None] + years * units.DAYS_PER_YEAR

    return day_supplied


def _factory_inverse(
    rate_mw_per_week: np.ndarray,
    learning: np.ndarray,
    reference_mw: float,
    built_mw: np.ndarray,
    start_day: float,
    cap_mw_per_week: np.ndarray | None,
) -> Callable[[np.ndarray], np.ndarray]:
    """Inverse of the programme's cumulative build curve after ``start_day``.

    Learning curve (Wright, 1936, "Factors affecting the cost of airplanes",
    J. Aeronautical Sciences 3(4)): each doubling of cumulative GW built cuts the
    time per GW by ``learning``, so the rate is r(G) = r0·(G/ref)^b with
    b = −log2(1 − learning), and G(t)^(1−b) = G0^(1−b) + (1−b)·r0·ref^(−b)·t.
    An optional cap bounds the rate: the curve follows the learning curve until
    its rate reaches the cap (at G_cap = ref·(cap/r0)^(1/b)), then builds at the cap."""
    b = (-np.log2(1.0 - learning))[:, None]
    g0 = np.maximum(built_mw, 1.0)[:, None]
    r0 = rate_mw_per_week[:, None]

    def learning_weeks(g: np.ndarray) -> np.ndarray:
        return (g ** (1 - b) - g0 ** (1 - b)) / ((1 - b) * r0 * reference_mw ** (-b))

    def day_supplied(level: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            weeks = np.where(r0 > 0, learning_weeks(g0 + level), np.inf)
            if cap_mw_per_week is not None:
                cap = cap_mw_per_week[:, None]
                g_cap = np.maximum(reference_mw * (cap / r0) ** (1.0 / b), g0)
                capped = learning_weeks(g_cap) + (g0 + level - g_cap) / cap
                weeks = np.where(g0 + level > g_cap, np.where(cap > 0, capped, np.inf), weeks)
        return start_day + weeks * DAYS_PER_WEEK

    return day_supplied


def factory_rate_day(
    target_mw_per_week: float,
    rate_mw_per_week: np.ndarray,
    learning: np.ndarray,
    reference_mw: float,
    built_mw: np.ndarray,
    start_day: float,
    cap_mw_per_week: np.ndarray | None = None,
) -> np.ndarray:
    """Day the learning-curve build rate first reaches ``target_mw_per_week`` (inf if never)."""
    b = -np.log2(1.0 - learning)
    g0 = np.maximum(built_mw, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = reference_mw * (target_mw_per_week / rate_mw_per_week) ** (1.0 / b)
        one_b = 1.0 - b
        weeks = (np.maximum(needed, g0) ** one_b - g0**one_b) / (
            one_b * rate_mw_per_week * reference_mw ** (-b)
        )
    day = start_day + weeks * DAYS_PER_WEEK
    if cap_mw_per_week is not None:
        day = np.where(cap_mw_per_week >= target_mw_per_week, day, np.inf)
    return np.where(rate_mw_per_week > 0, day, np.inf)


def _capped_supply(
    model: Model, p: Mapping[str, np.ndarray], draws: int
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Cumulative supply to the programme on a monthly grid, (curve, grid days), for each
    accelerator limit in a family with a ceiling or a successor (:mod:`gigawatt.supply`);
    limits without either keep the closed-form exponential."""
    scenario = model.scenario
    names = [i.name for i in model.supplies if i.resource == "accelerators"]
    capped = {
        n
        for n in names
        if scenario.supply[n].ceiling is not None
        or scenario.supply[n].successor is not None
        or any(scenario.supply[m].successor == n for m in names)
    }
    if not capped:
        return {}
    generations = {}
    for info in model.supplies:
        if info.name not in capped:
            continue
        prefix = f"supply.{info.name}"
        per_year = WEEKS_PER_YEAR / info.per_weeks
        ceiling = p.get(f"{prefix}.ceiling")
        generations[info.name] = supply.Generation(
            rate_per_year=p[f"{prefix}.amount"] * per_year,
            growth_per_year=p[f"{prefix}.growth_per_year"],
            start_day=p.get(f"{prefix}.start", np.full(draws, model.grid_days[0])),
            ceiling_per_year=np.full(draws, np.inf) if ceiling is None else ceiling * per_year,
            share=p[f"{prefix}.share"],
            successor=scenario.supply[info.name].successor,
        )
    first = min(model.grid_days[0], *(float(g.start_day.min()) for g in generations.values()))
    days = supply.grid(first, model.grid_days[-1])
    return {n: (curve, days) for n, curve in supply.cumulative_all(generations, days).items()}


def _power_day(p: Mapping[str, np.ndarray], base: str, src: Any) -> np.ndarray:
    """Day a power source can carry load: as stated, or ordered + the catalog's lead times."""
    if src.available_date is not None:
        return p[f"{base}.available"]
    return p[f"{base}.ordered"] + lead_weeks(src.kind, src.technology, p) * DAYS_PER_WEEK


def simulate_block(
    model: Model, seed: int, start: int, stop: int, params: Mapping[str, np.ndarray] | None = None
) -> xr.Dataset:
    """Draws ``start``..``stop`` of every phase: sizes, stage dates, online date, cause.

    ``params`` gives some parameters' values (path -> ``stop - start`` values)
    instead of sampling them, e.g. a sensitivity design; the rest are sampled."""
    given = dict(params or {})
    for path, values in given.items():
        if np.shape(values) != (stop - start,):
            raise ValueError(f"params[{path!r}] needs {stop - start} values, got shape {np.shape(values)}")
    # only what the buildout reads: money and demand are drawn where used (same paths, same numbers)
    wanted = {k: v for k, v in model.parameters.items() if k not in given and not k.startswith(_MONEY_PATHS)}
    p = sample(wanted, seed, start, stop)
    p.update({k: np.asarray(v, dtype=float) for k, v in given.items()})
    scenario = model.scenario
    draws, k_count = stop - start, len(model.phases)
    shape = (draws, k_count)
    facility_mw, it_mw, accelerators = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    bf16, capex, h100e = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    start_day, power_day, chips_day = np.zeros(shape), np.zeros(shape), np.full(shape, np.nan)
    candidates = np.full((len(CAUSES), draws, k_count), -np.inf)
    commissioning = np.zeros(shape)
    as_of = model.as_of_day
    priority = np.array([ph.priority for ph in model.phases], float)
    observed = np.array([ph.status == "online" for ph in model.phases])
    for k, ph in enumerate(model.phases):
        path = model.phase_path(k)
        pue = p[f"pue.{ph.cooling}"]
        size = p[f"{path}.power"]
        facility_mw[:, k] = size * pue if ph.basis == "it" else size
        it_mw[:, k] = size if ph.basis == "it" else size / pue
        acc = f"accelerators.{ph.accelerator}"
        accelerators[:, k] = it_mw[:, k] * 1e6 / p[f"{acc}.it_power_w"]
        bf16[:, k] = accelerators[:, k] * p[f"{acc}.bf16_flops"]
        h100e[:, k] = accelerators[:, k] * p[f"{acc}.h100_equivalents"]
        capex[:, k] = accelerators[:, k] * p[f"{acc}.price_usd"]
        weeks = cadence.scaled_stages(p, path, {s: p[f"{path}.stages.{s}"] * DAYS_PER_WEEK for s in _STAGES})
        commissioning[:, k] = weeks["commissioning"]
        planned = p.get(f"{path}.online")
        begun = p.get(f"{path}.start")
        if ph.status == "online":
            assert planned is not None
            candidates[0, :, k] = planned
            start_day[:, k] = begun if begun is not None else planned
            continue
        shell_start = begun if begun is not None else as_of + weeks["permitting"]
        start_day[:, k] = shell_start
        built = np.maximum(
            shell_start + weeks["site_and_shell"] + weeks["it_fit_out"] + weeks["commissioning"], as_of
        )
        # a site's own dated schedule is its construction estimate: the generic stage
        # priors fill only what it does not state (no planned date, or one already past)
        candidates[1, :, k] = built if planned is None else np.where(planned >= as_of, planned, built)
        candidates[5, :, k] = p[f"{acc}.available_date"] + weeks["commissioning"]
    # power: each site's phases take its firm power plan in order
    for site_id, site in scenario.sites.items():
        ks = [k for k, ph in enumerate(model.phases) if ph.site == site_id]
        days, mw, kinds = [], [], []
        for i, src in enumerate(site.power_plan):
            base = f"sites.{site_id}.power_plan[{i}]"
            cap = p[f"{base}.capacity"] * p[f"{base}.firm_fraction"]
            when = _power_day(p, base, src)
            days.append(when)
            mw.append(cap)
            kinds.append(("grid", "gas", "solar_battery").index(src.kind))
        day_arr, mw_arr = np.stack(days, axis=1), np.stack(mw, axis=1)
        order = np.argsort(day_arr, axis=1, kind="stable")
        day_sorted = np.take_along_axis(day_arr, order, axis=1)
        cum = np.cumsum(np.take_along_axis(mw_arr, order, axis=1), axis=1)
        kind_sorted = np.asarray(kinds)[order]
        need = np.cumsum(facility_mw[:, ks], axis=1)
        for j, k in enumerate(ks):
            if observed[k]:
                continue
            idx = (cum < need[:, j : j + 1] - 1e-6).sum(axis=1)
            ok = idx < cum.shape[1]
            safe = np.minimum(idx, cum.shape[1] - 1)
            ready = np.where(ok, np.take_along_axis(day_sorted, safe[:, None], axis=1)[:, 0], np.inf)
            power_day[:, k] = ready
            kind = np.take_along_axis(kind_sorted, safe[:, None], axis=1)[:, 0]
            for code in range(3):
                candidates[2 + code, :, k] = np.where(kind == code, ready + commissioning[:, k], -np.inf)
    cadence.sequence(model, p, candidates)
    pending = ~observed
    ready = candidates.max(axis=0)
    grid = model.grid_days
    curves = _capped_supply(model, p, draws)
    # shared limits, in pipeline order: transformers and turbines, then chips, then build rate
    for info in sorted(model.supplies, key=lambda x: _SUPPLY_ORDER.index(x.resource)):
        members = [k for k in info.phases if pending[k]]
        if not members:
            continue
        prefix = f"supply.{info.name}"
        start_supply = p.get(f"{prefix}.start", np.full(draws, grid[0]))
        if info.name in curves:
            inverse = supply.inverse(*curves[info.name])
        else:
            inverse = _supply_inverse(
                p[f"{prefix}.amount"],
                p[f"{prefix}.share"],
                p[f"{prefix}.growth_per_year"],
                start_supply,
                info.per_weeks,
            )
        if info.resource == "accelerators":
            amount, cause, lag = (
                accelerators[:, members],
                CAUSES.index("accelerator supply"),
                commissioning[:, members],
            )
        elif info.resource == "gas_turbines":
            gas_sites = {
                s for s, site in scenario.sites.items() if any(x.kind == "gas" for x in site.power_plan)
            }
            members = [
                k
                for k in members
                if model.phases[k].site in gas_sites and model.phases[k].status in ("announced", "committed")
            ]
            if not members:
                continue
            amount, cause, lag = (
                facility_mw[:, members],
                CAUSES.index("turbine supply"),
                commissioning[:, members],
            )
        elif info.resource == "construction":
            # a shared construction capacity (MW of facility power a period) paces every phase still to build
            amount, cause, lag = (
                facility_mw[:, members],
                CAUSES.index("build rate"),
                np.zeros((draws, len(members))),
            )
        else:
            members = [k for k in members if model.phases[k].status in ("announced", "committed")]
            if not members:
                continue
            amount, cause, lag = (
                facility_mw[:, members],
                CAUSES.index("transformers"),
                commissioning[:, members],
            )
        need = ready[:, members] - lag
        served = _queue(need, amount, priority[members], inverse)
        if info.resource == "accelerators":
            chips_day[:, members] = served
        # a phase under two limits of one kind waits for both
        done = np.maximum(candidates[cause, :, members], (served + lag).T)
        candidates[cause, :, members] = done
        ready[:, members] = np.maximum(ready[:, members], done.T)
    if scenario.factory is not None:
        members = [k for k in range(k_count) if pending[k]]
        built0 = np.where(observed[None, :] & (candidates[0] <= as_of), facility_mw, 0.0).sum(axis=1)
        cap = p.get("factory.cap")
        inverse = _factory_inverse(
            p["factory.initial_rate"],
            p["factory.learning_rate"],
            scenario.factory.reference_mw,
            built0,
            as_of,
            cap,
        )
        served = _queue(ready[:, members], facility_mw[:, members], priority[members], inverse)
        rate = CAUSES.index("build rate")
        candidates[rate, :, members] = np.maximum(candidates[rate, :, members], served.T)
    online = candidates.max(axis=0)
    critical = candidates.argmax(axis=0)
    if scenario.observations.sites:
        site_mw = np.where([ph.basis == "it" for ph in model.phases], it_mw, facility_mw)
        online, forced = observations.condition_online(
            scenario, [ph.site for ph in model.phases], site_mw, online
        )
        critical = np.where(forced, CAUSES.index("observed"), critical)
        power_day = np.where(forced, np.minimum(power_day, online), power_day)
        chips_day = np.where(forced, np.fmin(chips_day, online), chips_day)
    online = np.where(online > grid[-1], np.inf, online)
    # phases under no accelerator limit get their chips when they are installed
    chips_day = np.where(pending[None, :] & ~np.isnan(chips_day), chips_day, online)
    power_day = np.where(pending[None, :], power_day, online)
    ds = xr.Dataset(
        {
            "facility_mw": (("draw", "phase"), facility_mw),
            "it_mw": (("draw", "phase"), it_mw),
            "accelerators": (("draw", "phase"), accelerators),
            "bf16_flops": (("draw", "phase"), bf16),
            "h100_equivalents": (("draw", "phase"), h100e),
            "capex_usd": (("draw", "phase"), capex),
            "start_date": (("draw", "phase"), start_day),
            "power_date": (("draw", "phase"), power_day),
            "chips_date": (("draw", "phase"), chips_day),
            "online_date": (("draw", "phase"), online),
            "critical": (("draw", "phase"), critical.astype(np.int8)),
        },
        coords={
            "draw": np.arange(start, stop),
            "phase": [ph.id for ph in model.phases],
            **{
                attr: ("phase", [getattr(ph, attr) for ph in model.phases])
                for attr in (
                    "site",
                    "country",
                    "region",
                    "operator",
                    "tenant",
                    "programme",
                    "accelerator",
                    "status",
                )
            },
        },
        attrs={"critical_names": list(CAUSES), "seed": seed},
    )
    if os.environ.get("GIGAWATT_DEBUG"):
        check_invariants(model, ds, p)
    return ds


class InvariantError(GigawattError):
    """The engine broke one of its conservation laws (a bug, reported in debug mode)."""


def check_invariants(model: Model, ds: xr.Dataset, p: Mapping[str, np.ndarray]) -> None:
    """Capacity never exceeds power delivered or accelerators delivered (debug mode: GIGAWATT_DEBUG=1).

    Checks, per draw: each phase online no earlier than its power and chips; at
    each phase's online date its site's MW online fits the firm power available
    by then; accelerators delivered under each limit never outrun its supply."""
    online, power, chips = (ds[v].values for v in ("online_date", "power_date", "chips_date"))
    mw, acc = ds["facility_mw"].values, ds["accelerators"].values
    live = np.isfinite(online)
    if (online[live] < power[live] - 1e-6).any() or (online[live] < chips[live] - 1e-6).any():
        raise InvariantError("a phase came online before its power or accelerators were delivered")
    for site_id, site in model.scenario.sites.items():
        ks = [k for k, ph in enumerate(model.phases) if ph.site == site_id]
        pending = [j for j, k in enumerate(ks) if model.phases[k].status != "online"]
        days = online[:, ks]
        for j in pending:
            t = days[:, j]
            available = np.zeros_like(t)
            for i, src in enumerate(site.power_plan):
                base = f"sites.{site_id}.power_plan[{i}]"
                when = _power_day(p, base, src)
                available += np.where(when <= t, p[f"{base}.capacity"] * p[f"{base}.firm_fraction"], 0.0)
            used = (mw[:, ks] * (days <= t[:, None])).sum(axis=1)
            if (used[np.isfinite(t)] > available[np.isfinite(t)] + 1e-6).any():
                raise InvariantError(f"site {site_id}: MW online exceeds the firm power available")
    for info in model.supplies:
        if info.resource != "accelerators":
            continue
        members = [k for k in info.phases if model.phases[k].status != "online"]
        if not members:
            continue
        prefix = f"supply.{info.name}"
        curves = _capped_supply(model, p, online.shape[0])
        inverse = (
            supply.inverse(*curves[info.name])
            if info.name in curves
            else _supply_inverse(
                p[f"{prefix}.amount"],
                p[f"{prefix}.share"],
                p[f"{prefix}.growth_per_year"],
                p.get(f"{prefix}.start", np.full(online.shape[0], model.grid_days[0])),
                info.per_weeks,
            )
        )
        got = chips[:, members]
        for j in range(len(members)):
            t = got[:, j]
            delivered = (acc[:, members] * (got <= t[:, None])).sum(axis=1)[:, None]
            ok = np.isfinite(t)
            if (inverse(delivered)[:, 0][ok] > t[ok] + 1e-6).any():
                raise InvariantError(f"supply {info.name}: accelerators delivered exceed the supply")


# ------------------------------------------------------------------ aggregation

#: Values are summed per histogram bin as integers in these units, so merges are exact.
_SUM_UNIT = {"mw": 1e-3, "flops": 1e12}


@dataclass
class Aggregates:
    """Mergeable summaries of many draws: integer histograms and per-chunk sums.

    ``hist[name]`` is a pair (counts, integer sums) of shape (T, bins) — for
    ``capacity:*`` series stored as differences along time, summed up on read."""

    draws: int = 0
    hist: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (2, T, bins) int64
    date_hist: dict[str, np.ndarray] = field(default_factory=dict)  # name -> (T + 2,)
    counts: dict[str, np.ndarray] = field(default_factory=dict)
    chunk_sums: dict[int, dict[str, np.ndarray]] = field(default_factory=dict)  # chunk -> name -> sums

    def __getstate__(self) -> dict[str, Any]:
        """Pickle compactly: the histograms are mostly zeros (~100 MB a block raw, a few MB packed),
        which is what crosses process and Dask boundaries."""
        return {
            "draws": self.draws,
            "packed": zlib.compress(
                pickle.dumps((self.hist, self.date_hist, self.counts, self.chunk_sums), protocol=5), 1
            ),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.draws = state["draws"]
        self.hist, self.date_hist, self.counts, self.chunk_sums = pickle.loads(
            zlib.decompress(state["packed"])
        )

    def merge(self, other: Aggregates) -> Aggregates:
        def add(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            return {
                k: a[k] + b[k] if k in a and k in b else (a[k] if k in a else b[k])
                for k in a.keys() | b.keys()
            }

        return Aggregates(
            draws=self.draws + other.draws,
            hist=add(self.hist, other.hist),
            date_hist=add(self.date_hist, other.date_hist),
            counts=add(self.counts, other.counts),
            chunk_sums={**self.chunk_sums, **other.chunk_sums},
        )

    def sums(self, name: str) -> np.ndarray:
        """Sum of a per-chunk quantity, added in chunk order (same result however blocks ran)."""
        return np.sum(np.stack([self.chunk_sums[c][name] for c in sorted(self.chunk_sums)]), axis=0)

    def histogram(self, name: str) -> np.ndarray:
        """(2, T, bins): counts and integer value sums per time and bin."""
        data = self.hist[name]
        return np.cumsum(data, axis=1)[:, :-1] if name.startswith("capacity:") else data


def _grid_index(grid: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``np.searchsorted(grid, days, side="left")`` for the finite days (the others get some
    index in 0..T), by arithmetic on the evenly stepped grid and then exact comparisons with
    the grid's own days, so the index is the same integer; many times faster than a binary
    search for each of a block's (draw × phase) dates."""
    if grid.size < 2:
        return np.searchsorted(grid, days, side="left")
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    with np.errstate(invalid="ignore"):
        guess = np.nan_to_num(np.ceil((days - grid[0]) / step), nan=0.0, posinf=grid.size, neginf=0.0)
    index = np.clip(guess, 0, grid.size).astype(np.intp)
    padded = np.concatenate(([-np.inf], grid, [np.inf]))  # padded[i] is grid[i - 1]
    finite = np.isfinite(days)
    while True:  # grid[index - 1] < day <= grid[index]: one or two rounds at most
        lower = (padded[index] >= days) & finite
        higher = (padded[index + 1] < days) & finite
        if not (lower.any() or higher.any()):
            return index
        index = index - lower + higher


def date_bins(days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Bin of each day on the grid: 0 on or before the first step, i for step i, T+1 never."""
    index = _grid_index(grid, days)
    return np.where(np.isfinite(days), np.minimum(index, grid.size), grid.size + 1)


def _hist_dates(days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return np.bincount(date_bins(days.ravel(), grid), minlength=grid.size + 2).astype(np.int64)


def _hist_date_columns(days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """:func:`_hist_dates` of every column of ``days`` (draw, …) at once: (columns, T + 2)."""
    flat = days.reshape(days.shape[0], -1)
    width = grid.size + 2
    cells = date_bins(flat, grid) + np.arange(flat.shape[1]) * width
    return np.bincount(cells.ravel(), minlength=flat.shape[1] * width).astype(np.int64).reshape(-1, width)


def _bin(values: np.ndarray, high: float) -> np.ndarray:
    """Bin 0 holds exact zeros; bins 1.. split (0, high] evenly."""
    width = max(high, 1e-300) / (_HIST_BINS - 1)
    inner = np.clip(np.ceil(values / width).astype(np.int64), 1, _HIST_BINS - 1)
    return np.where(values <= 0, 0, inner)


def _step_hist(
    values: np.ndarray,
    online: np.ndarray,
    grid: np.ndarray,
    high: float,
    unit: float,
    index: np.ndarray | None = None,
    order: np.ndarray | None = None,
) -> np.ndarray:
    """Histogram-over-time of the step curves Σ values·[t ≥ online], as time differences.

    Each draw's curve changes only when a phase comes online, so its counts
    enter at those steps: O(draw × phase), not O(draw × time). ``index``: the grid step of
    each ``online`` date when already known (:func:`_online_steps`); ``order``: per draw, the
    columns of ``values`` and ``index`` to add, in a stable order of their steps (see
    :func:`_series_order`). Counts and integer
    sums are exact (every partial sum is an integer below 2**53), so adding the entering and
    leaving entries separately gives the same integers as adding them together."""
    draws = values.shape[0]
    if index is None:
        index = _online_steps(online, grid)
    if order is None:
        order = np.argsort(index, axis=1, kind="stable")
    steps = np.take_along_axis(index, order, axis=1)
    levels = np.zeros((draws, order.shape[1] + 1))
    np.cumsum(np.take_along_axis(values, order, 1), axis=1, out=levels[:, 1:])
    bins = _bin(levels, high)
    sums = np.rint(levels / unit)
    cells = steps * _HIST_BINS
    enter = np.concatenate([bins[:, :1], cells + bins[:, 1:]], axis=1).ravel()  # t = 0, then each step
    leave = (cells + bins[:, :-1]).ravel()
    size = (grid.size + 1) * _HIST_BINS
    out = np.empty((2, size), np.int64)
    np.subtract(np.bincount(enter, minlength=size), np.bincount(leave, minlength=size), out=out[0])
    total = np.bincount(enter, weights=sums.ravel(), minlength=size)
    total -= np.bincount(leave, weights=sums[:, :-1].ravel(), minlength=size)
    out[1] = np.rint(total)
    return out.reshape(2, grid.size + 1, _HIST_BINS)


def _series_order(order: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Per draw, the phases of ``mask`` in the stable step order ``order`` of all phases: the
    same columns, in the same order, as a stable sort of the series' own steps (ties keep
    their phase order in both)."""
    return order[np.asarray(mask)[order]].reshape(order.shape[0], int(np.count_nonzero(mask)))


def _online_steps(online: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The grid step at which each phase comes online (``grid.size``: never)."""
    return np.where(np.isfinite(online), _grid_index(grid, online), grid.size)


_VALUE_BINS = 4000
_VALUE_SPAN = 20.0


def _value_hist(values: np.ndarray, unit: str = "mw") -> np.ndarray:
    """(2, T, bins) histogram of (draw, T) values of any sign and size in ``unit`` (MW, or
    FLOP/s for ``"flops"``), with integer sums in ``_SUM_UNIT[unit]``.

    Bins are even in asinh(MW) over ±20 (±2.4e8 MW), or asinh(PFLOP/s) (±2.4e23 FLOP/s),
    ~1% wide relative to the value, so nothing is clipped; quantiles read the mean of a
    bin's values."""
    t_count = values.shape[1]
    u = np.arcsinh(values / 1e15 if unit == "flops" else values)
    bins = np.clip(((u + _VALUE_SPAN) / (2 * _VALUE_SPAN) * _VALUE_BINS).astype(np.int64), 0, _VALUE_BINS - 1)
    flat = (bins + np.arange(t_count)[None, :] * _VALUE_BINS).ravel()
    counts = np.bincount(flat, minlength=t_count * _VALUE_BINS)
    total = np.bincount(
        flat, weights=np.rint(values / _SUM_UNIT[unit]).ravel(), minlength=t_count * _VALUE_BINS
    )
    return np.stack([counts, np.rint(total)]).astype(np.int64).reshape(2, t_count, _VALUE_BINS)


def first_reach(days: np.ndarray, mw: np.ndarray, target_mw: float) -> np.ndarray:
    """Per draw, the day cumulative ``mw`` (in date order) first reaches ``target_mw``."""
    order = np.argsort(days, axis=1, kind="stable")
    sorted_days = np.take_along_axis(days, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(mw, order, axis=1), axis=1)
    index = (cumulative < target_mw - 1e-6).sum(axis=1)
    safe = np.minimum(index, days.shape[1] - 1)[:, None]
    return np.where(index < days.shape[1], np.take_along_axis(sorted_days, safe, 1)[:, 0], np.inf)


def target_days(model: Model, ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Per target and draw, the day it is met on its basis (inf: not within the horizon).

    Status bases (announced, committed) use each phase's status as of
    ``time.as_of``, dated from its site's ``announced`` date; the
    under-construction basis uses each phase's construction start."""
    out = {}
    bought = contracted_steps(model, ds)
    for name, target in model.scenario.targets.items():
        where = observations.target_scope(target)
        scope = np.array([where.matches(_subject(model, ph)) for ph in model.phases], bool)
        level = STATUS_ORDER[{"secured": "committed"}.get(target.basis, target.basis)]
        mw = ds["facility_mw"].values[:, scope]
        status_ok = np.array([STATUS_ORDER[ph.status] >= level for ph in model.phases])[scope]
        extra = np.array([where.matches(model.scenario.contracted[n].subject()) for n in bought[2]], bool)
        if target.basis == "online":
            days = ds["online_date"].values[:, scope]
        elif target.basis == "under_construction":
            started = ds["start_date"].values[:, scope]
            days = np.where(
                status_ok[None, :], np.minimum(started, model.as_of_day), np.maximum(started, model.as_of_day)
            )
        else:
            announced = np.array(
                [model.scenario.sites[ph.site].announced_date or model.as_of_day for ph in model.phases]
            )[scope]
            days = np.broadcast_to(
                np.where(status_ok, np.minimum(announced, model.as_of_day), np.inf), mw.shape
            )
        if extra.any():
            block_days = bought[1][:, extra]
            if target.basis != "online":
                signed = [
                    model.scenario.contracted[n].signed_date.mid
                    for n, e in zip(bought[2], extra, strict=True)
                    if e
                ]
                block_days = np.broadcast_to(np.asarray(signed, float), block_days.shape)
            days = np.concatenate([np.asarray(days), block_days], axis=1)
            mw = np.concatenate([mw, bought[0][:, extra]], axis=1)
        out[name] = first_reach(np.asarray(days), mw, target.power_mw)
    return out


def _subject(model: Model, ph: PhaseInfo) -> Subject:
    return Subject(
        site=ph.site, country=ph.country, region=ph.region, party=ph.tenant, programme=ph.programme
    )


def contracted_steps(model: Model, ds: xr.Dataset) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """The scenario's contracted capacity for the draws of ``ds``: facility MW and date
    of each step, (draw, step), and each step's block (:func:`gigawatt.contracted.steps`)."""
    draws = ds.sizes["draw"]
    if not model.scenario.contracted:
        return contracted.steps({}, {}, draws)
    start = int(ds["draw"].values[0])
    wanted = {k: v for k, v in model.parameters.items() if k.startswith("contracted.")}
    p = sample(wanted, int(ds.attrs["seed"]), start, start + draws)
    return contracted.steps(model.scenario.contracted, p, draws)


def demand_streams(model: Model, p: dict[str, np.ndarray], days: np.ndarray) -> dict[str, np.ndarray]:
    """Demand per stream (training, inference) at ``days`` (draw, day), in the unit the
    scenario states it in (``scenario.demand.stated_in``): facility MW, or BF16 dense FLOP/s
    for demand stated as ``compute``."""
    out = {}
    for stream, spec in model.scenario.demand.streams.items():
        level_key, ceiling_key = DEMAND_KEYS[spec.stated_in]
        years = (days[None, :] - p[f"demand.{stream}.start"][:, None]) / units.DAYS_PER_YEAR
        out[stream] = grown_demand(
            p[f"demand.{stream}.{level_key}"][:, None],
            p[f"demand.{stream}.growth_per_year"][:, None],
            years,
            p.get(f"demand.{stream}.{ceiling_key}", np.array(np.inf))[..., None],
        )
    return out


def grown_demand(level: Any, growth_per_year: Any, years: Any, ceiling: Any = np.inf) -> Any:
    """Demand ``years`` after it was ``level`` (any unit; ``ceiling`` in the same one):
    level·(1+g)^years without a ceiling, else the logistic curve through level with early
    rate ln(1+g) and limit ``ceiling``:
    C / (1 + (C/level − 1)·(1+g)^−years) (Verhulst, 1838, "Notice sur la loi que la population
    suit dans son accroissement", Corresp. Math. Phys. 10)."""
    compound = level * (1.0 + growth_per_year) ** years
    limit = np.maximum(ceiling, level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logistic = limit / (1.0 + (limit / level - 1.0) * (1.0 + growth_per_year) ** -np.asarray(years))
    return np.where(np.isfinite(limit), logistic, compound)


def aggregate_block(
    model: Model, seed: int, start: int, stop: int, ds: xr.Dataset | None = None
) -> Aggregates:
    """Simulate draws ``start``..``stop`` (or take ``ds``, their :func:`simulate_block`
    output, already made) and reduce them to mergeable aggregates.

    ``start`` must be a multiple of :data:`BLOCK_DRAWS`, so per-chunk sums line up."""
    if start % BLOCK_DRAWS:
        raise ValueError(f"block start must be a multiple of {BLOCK_DRAWS}")
    if ds is None:
        ds = simulate_block(model, seed, start, stop)
    elif ds.sizes["draw"] != stop - start or int(ds["draw"].values[0]) != start:
        raise ValueError(f"ds holds draws other than {start}..{stop}")
    grid = model.grid_days
    online = ds["online_date"].values
    mw = ds["facility_mw"].values
    agg = Aggregates(draws=stop - start)
    steps = _online_steps(online, grid)
    order = np.argsort(steps, axis=1, kind="stable")  # once for all phases; each series picks its own
    by_mask: dict[bytes, np.ndarray] = {}  # series of the same phases (total, the one party) alike
    for name, mask in model.series.items():
        key = np.asarray(mask).tobytes()
        if key not in by_mask:
            by_mask[key] = _step_hist(
                mw,
                online,
                grid,
                model.series_high_mw[name],
                _SUM_UNIT["mw"],
                steps,
                _series_order(order, mask),
            )
        agg.hist[f"capacity:{name}"] = by_mask[key]
    for name, spec in model.step_series.items():
        agg.hist[f"capacity:{name}"] = _step_hist(
            ds[spec.variable].values,
            online,
            grid,
            spec.high,
            spec.unit,
            steps,
            _series_order(order, spec.mask),
        )
    for name, days in target_days(model, ds).items():
        agg.date_hist[f"target:{name}"] = _hist_dates(days, grid)
    stages = ("start_date", "power_date", "chips_date", "online_date")
    by_column = _hist_date_columns(np.stack([ds[stage].values for stage in stages], axis=2), grid)
    for k, ph in enumerate(model.phases):
        for j, stage in enumerate(stages):
            agg.date_hist[f"phase:{ph.id}:{stage}"] = by_column[k * len(stages) + j]
    critical = ds["critical"].values
    agg.counts["critical"] = np.stack(
        [np.bincount(critical[:, k], minlength=len(CAUSES)) for k in range(critical.shape[1])]
    ).astype(np.int64)
    ever = np.isfinite(online).any(axis=1)
    last = np.argmax(np.where(np.isfinite(online), online, -np.inf), axis=1)
    last_cause = np.take_along_axis(critical, last[:, None], axis=1)[:, 0]
    agg.counts["last_phase_cause"] = np.bincount(last_cause[ever], minlength=len(CAUSES)).astype(np.int64)
    agg.counts["nothing_online"] = np.array([int((~ever).sum())], np.int64)
    # Capacity in demand's own unit, on Dec 31 itself as demand is: facility MW, or the BF16
    # dense FLOP/s of the same draw's phases online for demand stated as compute.
    stated_in = model.scenario.demand.stated_in
    serving = _serving(model, seed, start, stop, ds)
    agg.hist["capacity:serving"] = _step_hist(
        serving["mw"], serving["days"], grid, serving_high_mw(model), _SUM_UNIT["mw"]
    )
    for programme, share in serving["shares"].items():
        agg.counts[f"share:{programme}"] = np.stack(
            [
                np.bincount(np.rint(share[:, i] * 100).astype(np.int64), minlength=101)
                for i in range(share.shape[1])
            ]
        ).astype(np.int64)
    have = serving["flops"] if stated_in == "flops" else serving["mw"]
    capacity_years = _capacity(have, serving["days"], model.year_ends)
    p = sample({k: v for k, v in model.parameters.items() if k.startswith("demand.")}, seed, start, stop)
    demand = demand_streams(model, p, model.year_ends)
    if demand:
        total_demand = np.sum(np.stack(list(demand.values())), axis=0)
        agg.counts["demand_covered"] = (capacity_years >= total_demand).sum(axis=0).astype(np.int64)
        agg.hist[f"surplus_{stated_in}"] = _value_hist(capacity_years - total_demand, stated_in)
        for stream, values in demand.items():
            agg.hist[f"demand:{stream}"] = _value_hist(values, stated_in)
    weights = np.stack(
        [np.where((critical == c) & np.isfinite(online), mw, 0.0).sum(axis=1) for c in range(len(CAUSES))],
        axis=1,
    )
    supply = _accelerator_supply(model, seed, start, stop, ds)
    for chunk_start in range(start, stop, BLOCK_DRAWS):
        rows = slice(chunk_start - start, min(stop, chunk_start + BLOCK_DRAWS) - start)
        agg.chunk_sums[chunk_start // BLOCK_DRAWS] = {
            "cause_mw": weights[rows].sum(axis=0),
            **{name: values[rows].sum(axis=0) for name, values in supply.items()},
        }
    return agg


def serving_high_mw(model: Model) -> float:
    """Upper bound of the facility MW serving demand's party (its sites and contracted blocks)."""
    party = model.scenario.demand.party
    sites = sum(
        model.series_high_mw[f"site:{s}"]
        for s, site in model.scenario.sites.items()
        if party is None or site.tenant == party
    )
    blocks = sum(
        step.power_mw.high
        for block in model.scenario.contracted.values()
        if party is None or block.party == party
        for step in block.schedule
    )
    return float(sites + blocks)


def _serving(model: Model, seed: int, start: int, stop: int, ds: xr.Dataset) -> dict[str, Any]:
    """What serves demand's party (``demand.party``; default everything): its sites' phases
    and its contracted blocks, as (draw, column) facility MW, BF16 FLOP/s and online dates,
    and each site programme's share of that capacity at each year end (draw, year)."""
    scenario = model.scenario
    party = scenario.demand.party
    own = np.array([party is None or ph.tenant == party for ph in model.phases], bool)
    mw, days, names = contracted_steps(model, ds)
    take = np.array([party is None or scenario.contracted[n].party == party for n in names], bool)
    mw, days, names = mw[:, take], days[:, take], [n for n, t in zip(names, take, strict=True) if t]
    flops = np.zeros_like(mw)
    if names and scenario.demand.stated_in == "flops":
        keys = [k for k in model.parameters if k.startswith(("accelerators.", "pue."))]
        p = sample({k: model.parameters[k] for k in keys}, seed, start, stop)
        for j, name in enumerate(names):
            acc = f"accelerators.{scenario.contracted[name].accelerator}"
            count = mw[:, j] / p["pue.liquid"] * 1e6 / p[f"{acc}.it_power_w"]
            flops[:, j] = count * p[f"{acc}.bf16_flops"]
    phase_mw, phase_days = ds["facility_mw"].values, ds["online_date"].values
    out: dict[str, Any] = {
        "mw": np.concatenate([phase_mw[:, own], mw], axis=1),
        "flops": np.concatenate([ds["bf16_flops"].values[:, own], flops], axis=1),
        "days": np.concatenate([phase_days[:, own], days], axis=1),
    }
    total = _capacity(out["mw"], out["days"], model.year_ends)
    out["shares"] = {}
    if names:
        for programme in sorted({ph.programme for ph, o in zip(model.phases, own, strict=True) if o}):
            mask = own & np.array([ph.programme == programme for ph in model.phases], bool)
            part = _capacity(phase_mw[:, mask], phase_days[:, mask], model.year_ends)
            out["shares"][programme] = np.divide(part, total, out=np.zeros_like(part), where=total > 0)
    return out


def _accelerator_supply(
    model: Model, seed: int, start: int, stop: int, ds: xr.Dataset
) -> dict[str, np.ndarray]:
    """Per draw and year end, each accelerator limit's cumulative supply to the programme
    and the accelerators it delivered (``supply:NAME:offered`` / ``supply:NAME:delivered``)."""
    out: dict[str, np.ndarray] = {}
    infos = [i for i in model.supplies if i.resource == "accelerators"]
    if not infos:
        return out
    keys = [k for k in model.parameters if k.startswith("supply.")]
    p = sample({k: model.parameters[k] for k in keys}, seed, start, stop)
    days = model.year_ends[None, :]
    curves = _capped_supply(model, p, stop - start)
    for info in infos:
        prefix = f"supply.{info.name}"
        if info.name in curves:
            out[f"supply:{info.name}:offered"] = supply.at(*curves[info.name], model.year_ends)
        else:
            begin = p.get(f"{prefix}.start", np.full(stop - start, model.grid_days[0]))[:, None]
            rate = (p[f"{prefix}.amount"] * p[f"{prefix}.share"] * WEEKS_PER_YEAR / info.per_weeks)[:, None]
            g = np.log1p(p[f"{prefix}.growth_per_year"])[:, None]
            years = np.maximum(days - begin, 0.0) / units.DAYS_PER_YEAR
            safe = np.where(np.abs(g) < 1e-12, 1.0, g)
            out[f"supply:{info.name}:offered"] = rate * np.where(
                np.abs(g) < 1e-12, years, np.expm1(safe * years) / safe
            )
        members = list(info.phases)
        out[f"supply:{info.name}:delivered"] = _capacity(
            ds["accelerators"].values[:, members], ds["chips_date"].values[:, members], model.year_ends
        )
    return out


def _capacity(values: np.ndarray, online: np.ndarray, days: np.ndarray) -> np.ndarray:
    """(draw, len(days)): sum of ``values`` of phases online on each day."""
    return np.einsum("dk,dkt->dt", values, (online[:, :, None] <= days[None, None, :]).astype(float))


def _hist_quantiles(
    hist: np.ndarray, unit: float, qs: Sequence[float], cumulative: bool = False
) -> np.ndarray:
    """Quantiles (len(qs), T) from (2, T, bins) histograms: the mean value of the bin
    where the cumulative count crosses each quantile (exact for point masses).

    ``cumulative``: the quantity never decreases in any draw (capacity online), so neither
    do its quantiles; a bin's mean can dip as lower draws enter the bin, by up to the bin's
    ~1% width, so the estimate is made monotone by a running maximum over time (the
    monotone rearrangement: Chernozhukov, Fernández-Val & Galichon, Econometrica 2010)."""
    counts, sums = hist[0], hist[1]
    cdf = np.cumsum(counts, axis=1)
    total = cdf[:, -1:]
    out = np.empty((len(qs), counts.shape[0]))
    for i, q in enumerate(qs):
        index = np.minimum((cdf < q * total - 1e-9).sum(axis=1), counts.shape[1] - 1)[:, None]
        n = np.take_along_axis(counts, index, 1)[:, 0]
        s = np.take_along_axis(sums, index, 1)[:, 0]
        out[i] = np.where(n > 0, s / np.maximum(n, 1), 0.0) * unit
    return np.maximum.accumulate(out, axis=1) if cumulative else out


def _date_quantile(hist: np.ndarray, grid: np.ndarray, q: float) -> float:
    """The first grid day by which a share ``q`` of draws has the event (inf: never)."""
    cdf = np.cumsum(hist)
    index = int(np.searchsorted(cdf, q * cdf[-1] - 1e-9, side="left"))
    return float(grid[index]) if index < grid.size else math.inf


@dataclass
class Results:
    """The outcome of :func:`run`: labelled summaries of many draws."""

    model: Model
    aggregates: Aggregates
    seed: int

    @property
    def draws(self) -> int:
        return self.aggregates.draws

    @property
    def capacity(self) -> xr.DataArray:
        """Facility MW online, dims (series, quantile, time); P10/P50/P90."""
        names = [k for k in self.model.series]
        data = np.stack(
            [
                _hist_quantiles(
                    self.aggregates.histogram(f"capacity:{n}"), _SUM_UNIT["mw"], (0.1, 0.5, 0.9), True
                )
                for n in names
            ]
        )
        return xr.DataArray(
            data,
            dims=("series", "quantile", "time"),
            coords={
                "series": names,
                "quantile": [0.1, 0.5, 0.9],
                "time": self.model.grid_days.astype("timedelta64[D]") + np.datetime64("1970-01-01"),
            },
            name="facility_mw",
            attrs={"units": "MW", "basis": "facility"},
        )

    def date_quantiles(self, name: str, qs: Iterable[float] = (0.1, 0.5, 0.9)) -> list[float]:
        return [_date_quantile(self.aggregates.date_hist[name], self.model.grid_days, q) for q in qs]

    def target_table(self) -> list[dict[str, Any]]:
        rows = []
        for name, target in self.model.scenario.targets.items():
            hist = self.aggregates.date_hist[f"target:{name}"]
            by_bin = int(np.searchsorted(self.model.grid_days, target.by_date, side="right"))
            met = int(hist[:by_bin].sum())
            p50, p90 = self.date_quantiles(f"target:{name}", (0.5, 0.9))
            row = {
                "name": name,
                "gw": target.power_mw / 1000,
                "basis": target.basis,
                "scope": observations.target_scope(target).describe(),
                "by": units.format_date(target.by_date),
                "probability": met / self.draws,
                "p50_date": units.format_date(p50) if math.isfinite(p50) else None,
                "p90_date": units.format_date(p90) if math.isfinite(p90) else None,
            }
            fact = observations.outcome(self.model.scenario, target)
            row.update(observations.outcome_row(fact))
            if fact is not None:
                row["p50_date"] = row["p90_date"] = row["met_on"]
            rows.append(row)
        return rows

    def serving_table(self) -> dict[str, Any]:
        """Facility GW serving demand's party at year ends (its sites plus contracted capacity,
        P10/P50/P90) and each programme's share of it (P10/P50/P90 of the per-draw share)."""
        if "capacity:serving" not in self.aggregates.hist:
            return {}
        t = self._year_index()
        q = _hist_quantiles(self.aggregates.histogram("capacity:serving"), _SUM_UNIT["mw"], (0.1, 0.5, 0.9))
        out: dict[str, Any] = {
            "party": self.model.scenario.demand.party,
            "dates": [units.format_date(d) for d in self.model.year_ends],
            "facility_gw": {f"p{p}": (q[i, t] / 1e3).tolist() for i, p in enumerate((10, 50, 90))},
            "share": {},
        }
        for key, counts in self.aggregates.counts.items():
            if not key.startswith("share:"):
                continue
            cdf = np.cumsum(counts, axis=1)
            total = cdf[:, -1:]
            out["share"][key.split(":", 1)[1]] = {
                f"p{p}": ((cdf < p / 100 * total - 1e-9).sum(axis=1) / 100).tolist() for p in (10, 50, 90)
            }
        return out

    def constraints(self) -> dict[str, Any]:
        counts = self.aggregates.counts["critical"]
        per_phase = {
            ph.id: {CAUSES[c]: counts[k, c] / self.draws for c in range(len(CAUSES)) if counts[k, c]}
            for k, ph in enumerate(self.model.phases)
        }
        last = self.aggregates.counts["last_phase_cause"]
        cause_mw = self.aggregates.sums("cause_mw")
        return {
            "per_phase": per_phase,
            "last_gw": {CAUSES[c]: last[c] / max(last.sum(), 1) for c in range(len(CAUSES)) if last[c]},
            "by_mw": {CAUSES[c]: cause_mw[c] / cause_mw.sum() for c in range(len(CAUSES)) if cause_mw[c] > 0},
        }

    def series_quantiles(self, name: str) -> np.ndarray:
        """(P10, P50, P90) × time of a series: MW for ``model.series``, else its own unit."""
        unit = _SUM_UNIT["mw"] if name in self.model.series else self.model.step_series[name].unit
        return _hist_quantiles(self.aggregates.histogram(f"capacity:{name}"), unit, (0.1, 0.5, 0.9), True)

    def _year_index(self) -> np.ndarray:
        grid = self.model.grid_days
        return np.minimum(np.searchsorted(grid, self.model.year_ends, side="right") - 1, grid.size - 1)

    def year_end_table(self) -> list[dict[str, Any]]:
        """Facility and IT power, FLOP/s, H100-equivalents and energy at each year end."""
        t = self._year_index()
        q = {name: self.series_quantiles(name)[:, t] for name in ("total", "it", "flops", "h100e")}
        lf = self.model.scenario.demand.load_factor

        def band(values: np.ndarray, i: int, scale: float) -> dict[str, float]:
            return {
                "p10": float(values[0, i] / scale),
                "p50": float(values[1, i] / scale),
                "p90": float(values[2, i] / scale),
            }

        return [
            {
                "date": units.format_date(day),
                "facility_gw": band(q["total"], i, 1e3),
                "it_gw": band(q["it"], i, 1e3),
                "bf16_eflops": band(q["flops"], i, 1e18),
                "h100_equivalents_million": band(q["h100e"], i, 1e6),
                "energy_twh_per_year": band(q["total"], i, 1e6 / (lf * units.HOURS_PER_YEAR)),
            }
            for i, day in enumerate(self.model.year_ends)
        ]

    def breakdown(self) -> dict[str, Any]:
        """Year-end P10/P50/P90 per site, country, party (facility GW) and per accelerator (count)."""
        t = self._year_index()
        out: dict[str, Any] = {"dates": [units.format_date(d) for d in self.model.year_ends]}
        for name in list(self.model.series) + [
            k for k in self.model.step_series if k.startswith("accelerators:")
        ]:
            values = self.series_quantiles(name)[:, t]
            scale, unit = (1e3, "facility GW") if name in self.model.series else (1.0, "accelerators")
            out[name] = {
                "unit": unit,
                **{f"p{int(q * 100)}": (values[i] / scale).tolist() for i, q in enumerate((0.1, 0.5, 0.9))},
            }
        return out

    def demand_table(self) -> list[dict[str, Any]]:
        """Demand against capacity at year ends: demand per stream (P50), surplus, P(covered),
        inference tokens/s. In facility GW (``*_gw``), or, for demand stated as compute, in
        BF16 dense EFLOP/s against the FLOP/s online (``*_eflops``).

        Tokens/s assume capacity serves inference demand first, at the scenario's
        utilisation and model size (FLOP per token ≈ 2 × active parameters)."""
        covered = self.aggregates.counts.get("demand_covered")
        if covered is None:
            return []
        from gigawatt.compute import tokens_per_second

        demand = self.model.scenario.demand
        stated_in = demand.stated_in
        key, scale = ("eflops", 1e18) if stated_in == "flops" else ("gw", 1e3)
        t = self._year_index()
        cap = self.series_quantiles("flops" if stated_in == "flops" else "total")[:, t]
        flops = self.series_quantiles("flops")[:, t]
        unit = _SUM_UNIT[stated_in]
        surplus = _hist_quantiles(self.aggregates.hist[f"surplus_{stated_in}"], unit, (0.1, 0.5, 0.9))
        streams = {
            name: _hist_quantiles(self.aggregates.hist[f"demand:{name}"], unit, (0.5,))[0]
            for name in ("training", "inference")
            if f"demand:{name}" in self.aggregates.hist
        }
        rows = []
        for i, day in enumerate(self.model.year_ends):
            inference = streams.get("inference", np.zeros(len(t)))[i]
            served = min(cap[1, i], inference) / cap[1, i] if cap[1, i] > 0 else 0.0
            rows.append(
                {
                    "date": units.format_date(day),
                    **{f"{name}_{key}_p50": float(v[i] / scale) for name, v in streams.items()},
                    f"surplus_{key}": {
                        f"p{int(q * 100)}": float(surplus[j, i] / scale)
                        for j, q in enumerate((0.1, 0.5, 0.9))
                    },
                    "p_capacity_covers_demand": float(covered[i] / self.draws),
                    "inference_tokens_per_second_p50": float(
                        tokens_per_second(
                            flops[1, i] * served, demand.model_active_params, demand.utilisation
                        )
                    ),
                }
            )
        return rows

    def supply_table(self) -> dict[str, Any]:
        """Per accelerator limit: mean cumulative supply offered to the programme and delivered."""
        out: dict[str, Any] = {}
        for info in self.model.supplies:
            key = f"supply:{info.name}:offered"
            if (
                info.resource != "accelerators"
                or key not in self.aggregates.chunk_sums[min(self.aggregates.chunk_sums)]
            ):
                continue
            out[info.name] = {
                "dates": [units.format_date(d) for d in self.model.year_ends],
                "offered_mean": (self.aggregates.sums(key) / self.draws).tolist(),
                "delivered_mean": (
                    self.aggregates.sums(f"supply:{info.name}:delivered") / self.draws
                ).tolist(),
                "unit": "accelerators (cumulative)",
            }
        return out

    def summary(self) -> dict[str, Any]:
        """The JSON summary (``gigawatt run --json``)."""
        cap = self.capacity.sel(series="total")
        grid = self.model.grid_days
        step = (
            max(1, int(round(WEEKS_PER_YEAR / 4 / (grid[1] - grid[0]) * DAYS_PER_WEEK)))
            if grid.size > 1
            else 1
        )
        picks = np.arange(0, grid.size, step)
        return {
            "scenario": self.model.scenario.name,
            "draws": self.draws,
            "seed": self.seed,
            "as_of": units.format_date(self.model.as_of_day),
            "targets": self.target_table(),
            "capacity_gw": {
                "basis": "facility",
                "dates": [units.format_date(d) for d in grid[picks]],
                "p10": (cap.sel(quantile=0.1).values[picks] / 1e3).tolist(),
                "p50": (cap.sel(quantile=0.5).values[picks] / 1e3).tolist(),
                "p90": (cap.sel(quantile=0.9).values[picks] / 1e3).tolist(),
            },
            "year_ends": self.year_end_table(),
            "breakdown": self.breakdown(),
            "demand": self.demand_table(),
            "serving": self.serving_table(),
            "supply": self.supply_table(),
            "constraints": self.constraints(),
            "phases": {
                ph.id: {
                    stage: [units.format_date(d) for d in self.date_quantiles(f"phase:{ph.id}:{stage}")]
                    for stage in ("start_date", "power_date", "chips_date", "online_date")
                }
                for ph in self.model.phases
            },
        }

    def to_frame(self, table: str = "capacity") -> Any:
        """A table of :meth:`summary` as a tidy pandas DataFrame: ``targets``, ``capacity`` (by
        year end and site, country, party, accelerator), ``year_ends``, ``demand``, ``phases``
        (:mod:`gigawatt.frames`; a recorded run adds ``money`` and ``flows``)."""
        from gigawatt.frames import summary_table

        return summary_table(self.summary(), table)


def block_draw_ranges(draws: int, block_draws: int) -> list[tuple[int, int]]:
    """The engine's blocks: ``block_draws`` rounded up to whole :data:`BLOCK_DRAWS` chunks."""
    block = max(BLOCK_DRAWS, -(-block_draws // BLOCK_DRAWS) * BLOCK_DRAWS)
    return [(lo, min(draws, lo + block)) for lo in range(0, draws, block)]


def simulate_blocks(
    model: Model,
    blocks: Sequence[tuple[int, int, int]],
    seed: int,
    rows: Callable[[Model, int, int, int, xr.Dataset], Any] | None = None,
    merge: bool = False,
    head: int = 0,
) -> list[runner.BlockOut]:
    """The runner's work on a worker: each block ``(index, start, stop)`` simulated and
    aggregated, with its per-draw rows (``rows(model, seed, start, stop, ds)``) when asked and
    its simulated draws below ``head`` (for :class:`gigawatt.runner.Head`); ``merge``: one
    output for the whole group (nothing per block is kept)."""
    outs = []
    for index, lo, hi in blocks:
        ds = simulate_block(model, seed, lo, hi)
        table = rows(model, seed, lo, hi, ds) if rows is not None else None
        kept = ds.isel(draw=slice(0, min(hi, head) - lo)) if lo < head else None
        agg = aggregate_block(model, seed, lo, hi, ds)
        outs.append(runner.BlockOut(index, hi - lo, agg, table, head=kept))
    if not merge or len(outs) < 2:
        return outs
    total = Aggregates()
    for out in outs:
        total = total.merge(out.value)
    return [runner.BlockOut(outs[0].index, total.draws, total, None, len(outs))]


def run(
    scenario: Scenario,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int = 8 * BLOCK_DRAWS,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    executor: runner.Backend | None = None,
) -> Results:
    """Simulate ``draws`` draws in blocks and aggregate them (:func:`gigawatt.runner.run_blocks`).

    ``block_draws`` is rounded up to a multiple of :data:`BLOCK_DRAWS`; results do
    not depend on it nor on ``workers`` (processes) nor on the ``executor``."""
    if draws < 1:
        raise ValueError("draws must be >= 1")
    model = Model.from_scenario(scenario)
    if executor is None:
        executor = runner.Backend("local", workers=workers) if workers > 1 else runner.Backend()
    blocks = [(i, lo, hi) for i, (lo, hi) in enumerate(block_draw_ranges(draws, block_draws))]
    merged = runner.Merge(Aggregates())
    sinks: list[runner.Sink] = [merged] if progress is None else [merged, runner.DrawProgress(progress)]
    runner.run_blocks(simulate_blocks, model, blocks, sinks, executor=executor, args=(seed, None, True))
    return Results(model, merged.total, seed)
