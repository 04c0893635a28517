"""Shared supply limits: cumulative supply curves, their inverses, and the queues they serve.

A limit (transformers, turbines, accelerators, a construction rate, the programme's
learning-curve factory) serves phases in order of priority, then readiness, from its
cumulative supply curve (sorted cumulative sums); what is not delivered waits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from gigawatt import supply, units
from gigawatt.engine.draws import BlockData
from gigawatt.engine.histograms import _capacity
from gigawatt.engine.model import DAYS_PER_WEEK, WEEKS_PER_YEAR, Model
from gigawatt.sampling import sample

#: How far one level of site priority moves a phase up a supply queue: one quarter.
PRIORITY_DAYS = 91.3125


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
        out: np.ndarray = (g ** (1 - b) - g0 ** (1 - b)) / ((1 - b) * r0 * reference_mw ** (-b))
        return out

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


def _accelerator_supply(
    model: Model,
    seed: int,
    start: int,
    stop: int,
    ds: BlockData,
    drawn: tuple[Mapping[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]] | None = None,
) -> dict[str, np.ndarray]:
    """Per draw and year end, each accelerator limit's cumulative supply to the programme
    and the accelerators it delivered (``supply:NAME:offered`` / ``supply:NAME:delivered``).

    ``drawn``: the block's sampled parameters and capped supply curves, as the simulation
    drew them (drawn again if not given)."""
    out: dict[str, np.ndarray] = {}
    infos = [i for i in model.supplies if i.resource == "accelerators"]
    if not infos:
        return out
    if drawn is None:
        keys = [k for k in model.parameters if k.startswith("supply.")]
        p: Mapping[str, np.ndarray] = sample({k: model.parameters[k] for k in keys}, seed, start, stop)
        curves = _capped_supply(model, p, stop - start)
    else:
        p, curves = drawn
    days = model.year_ends[None, :]
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
