"""Accelerator supply over time: each generation ramps up, then gives way to its successor,
under a ceiling of industry output; the programme gets a share of it.

A supply limit offers ``amount`` per period from ``start``, growing at
``growth_per_year`` (continuously compounded, as the engine's closed form). With a
``ceiling`` (the industry's output per period of this family, bounded by advanced
packaging and HBM, e.g. TSMC CoWoS wafers × packages per wafer × the vendor's
share) the industry output is

    output(t) = min(ramp(t), ceiling − output_successor(t))   (never below 0)

so a generation rises until its successor's ramp takes the capacity, then declines;
the family never exceeds its ceiling. The programme receives ``share × output``.
Cumulative supply and its inverse (the day a cumulative level is reached) are
computed on a monthly grid, per draw, and interpolated linearly.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from gigawatt.units import DAYS_PER_MONTH, DAYS_PER_YEAR

__all__ = [
    "Generation",
    "industry_rate_per_year",
    "cumulative",
    "cumulative_all",
    "inverse",
    "at",
    "grid",
    "GRID_DAYS",
]

#: Spacing of the grid cumulative supply is integrated on (a mean month): output changes
#: over quarters, and cumulative supply is interpolated linearly between grid days.
GRID_DAYS = DAYS_PER_MONTH
#: Grid days of every draw filled at a time by :func:`cumulative_all` (a few hundred kB).
_MONTHS = 16
#: Draws copied at a time by :func:`inverse`: a few hundred kB, whatever the curve's layout.
_ROWS = 256


@dataclass(frozen=True)
class Generation:
    """One supply limit's draws: rate per year at ``start_day``, growth, ceiling per year
    (inf: none), share, and the name of its successor (or None). Arrays are (draw,)."""

    rate_per_year: np.ndarray
    growth_per_year: np.ndarray
    start_day: np.ndarray
    ceiling_per_year: np.ndarray
    share: np.ndarray
    successor: str | None = None


def _successors_first(generations: Mapping[str, Generation]) -> list[str]:
    """The generations' names, each after its successor (whose output bounds it)."""
    order: list[str] = []

    def visit(name: str, seen: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in seen:
            raise ValueError(f"supply successors form a loop: {' -> '.join((*seen, name))}")
        successor = generations[name].successor
        if successor is not None:
            visit(successor, (*seen, name))
        order.append(name)

    for name in generations:
        visit(name, ())
    return order


def _industry_rates(
    generations: Mapping[str, Generation],
    order: Sequence[str],
    days: np.ndarray,
    out: Mapping[str, np.ndarray],
) -> None:
    """Industry output per year of each generation at ``days``, written into ``out[name]``
    (time, draw), in ``order`` (successors first): its ramp from its start (0 before it),
    bounded by its ceiling less what its successor makes.

    Years since the start are one column when every draw starts the same day (a start date
    known exactly)."""
    for name in order:
        gen = generations[name]
        rate = out[name]
        same_start = gen.start_day.size > 0 and bool((gen.start_day == gen.start_day[0]).all())
        start = gen.start_day[:1] if same_start else gen.start_day
        years = (days[:, None] - start[None, :]) / DAYS_PER_YEAR
        np.multiply(np.maximum(years, 0), np.log1p(gen.growth_per_year)[None, :], out=rate)
        np.exp(rate, out=rate)
        rate *= gen.rate_per_year[None, :]
        np.copyto(rate, 0.0, where=~(years >= 0))
        if gen.successor is not None:
            np.minimum(rate, gen.ceiling_per_year[None, :] - out[gen.successor], out=rate)
        elif not np.isposinf(gen.ceiling_per_year).all():
            np.minimum(rate, gen.ceiling_per_year[None, :], out=rate)
        np.maximum(rate, 0.0, out=rate)


def industry_rate_per_year(name: str, generations: Mapping[str, Generation], days: np.ndarray) -> np.ndarray:
    """Industry output of ``name`` per year at ``days`` (draw, time): its ramp, bounded by its
    ceiling less what its successor makes."""
    order = _successors_first({name: generations[name], **generations})
    rates = {n: np.empty((days.size, generations[n].share.size)) for n in order}
    _industry_rates(generations, order, days, rates)
    return rates[name].T


def cumulative_all(generations: Mapping[str, Generation], grid_days: np.ndarray) -> dict[str, np.ndarray]:
    """Cumulative supply to the programme of every generation at each of ``grid_days``
    (draw, time), from the first grid day (trapezoid rule; each rate computed once).

    The curves are laid out (time, draw) and filled :data:`_MONTHS` grid days at a time: each
    month's rates of all draws, then their trapezoids and running sums, while those rows are
    in the processor's cache (a block's supply curves are its largest arrays). The curves
    returned are views (draw, time) of them."""
    order = _successors_first(generations)
    curves = {name: np.empty((grid_days.size, gen.share.size)) for name, gen in generations.items()}
    widths = (np.diff(grid_days) / DAYS_PER_YEAR)[:, None]
    rate_before: dict[str, np.ndarray] = {}  # each programme rate at the last grid day done
    for first in range(0, grid_days.size, _MONTHS):
        stop = min(first + _MONTHS, grid_days.size)
        chunk = {name: curve[first:stop] for name, curve in curves.items()}
        _industry_rates(generations, order, grid_days[first:stop], chunk)
        for name, gen in generations.items():
            rate = chunk[name]  # every successor's rate is used: now each becomes its curve
            rate *= gen.share[None, :]
            last = rate[-1].copy()
            # each grid day's trapezoid, from the last back (so each row still holds its rate) ...
            for t in range(rate.shape[0] - 1, 0, -1):
                rate[t] += rate[t - 1]
            if first:
                rate[0] += rate_before[name]
            steps = rate if first else rate[1:]
            steps *= 0.5
            steps *= widths[stop - 1 - steps.shape[0] : stop - 1]
            rate_before[name] = last
            # ... summed day by day (a row at a time: numpy's cumsum down axis 0 is slower)
            curve = curves[name]
            for t in range(max(first, 2), stop):
                curve[t] += curve[t - 1]
            if not first:
                curve[0] = 0.0
    return {name: curve.T for name, curve in curves.items()}


def cumulative(name: str, generations: Mapping[str, Generation], grid_days: np.ndarray) -> np.ndarray:
    """Cumulative supply to the programme of ``name`` at each of ``grid_days`` (draw, time)."""
    return cumulative_all({name: generations[name], **generations}, grid_days)[name]


def inverse(curve: np.ndarray, grid_days: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """The day each draw's cumulative ``curve`` (draw, time) first reaches a level
    (levels (draw, K)); inf past the grid's end."""
    draws, steps = curve.shape
    span = float(np.nanmax(curve)) + 1.0 if curve.size else 1.0

    # rows laid end to end, each lifted above the last, so one sorted search serves every draw
    offset = np.arange(draws)[:, None] * (span + 1.0)
    lifted = np.empty((draws, steps))
    for first in range(0, draws, _ROWS):  # copied in blocks: a curve laid out (time, draw) too
        lifted[first : first + _ROWS] = curve[first : first + _ROWS]
    lifted += offset
    flat = lifted.ravel()

    def day_supplied(level: np.ndarray) -> np.ndarray:
        wanted = np.minimum(level, span)  # a level the curve never reaches lands past its row
        index = np.searchsorted(flat, (wanted + offset).ravel(), side="left").reshape(level.shape)
        local = index - np.arange(draws)[:, None] * steps
        inside = (local < steps) & np.isfinite(level)
        hi = np.clip(local, 0, steps - 1)
        lo = np.clip(local - 1, 0, steps - 1)
        c_hi = np.take_along_axis(curve, hi, axis=1)
        c_lo = np.take_along_axis(curve, lo, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(c_hi > c_lo, (level - c_lo) / (c_hi - c_lo), 1.0)
        day = grid_days[lo] + np.clip(frac, 0.0, 1.0) * (grid_days[hi] - grid_days[lo])
        day = np.where(local <= 0, grid_days[0], day)
        return np.where(inside, day, np.inf)

    return day_supplied


def at(curve: np.ndarray, grid_days: np.ndarray, days: np.ndarray) -> np.ndarray:
    """Each draw's cumulative ``curve`` (draw, time) at ``days`` (the same for every draw),
    interpolated linearly; held at its ends outside the grid."""
    where = np.clip(days, grid_days[0], grid_days[-1])
    hi = np.clip(np.searchsorted(grid_days, where, side="left"), 1, grid_days.size - 1)
    lo = hi - 1
    frac = (where - grid_days[lo]) / (grid_days[hi] - grid_days[lo])
    return curve[:, lo] + (curve[:, hi] - curve[:, lo]) * frac[None, :]


def grid(first_day: float, last_day: float) -> np.ndarray:
    """Days every :data:`GRID_DAYS` from ``first_day`` through ``last_day`` (inclusive)."""
    return np.arange(first_day, last_day + GRID_DAYS, GRID_DAYS)
