"""Draws reduced onto the time grid: date bins, integer histograms and their quantiles.

Counts and value sums are kept as integers (values in :data:`_SUM_UNIT`), so histograms of
separate blocks add up exactly, in any order (:class:`~gigawatt.engine.aggregate.Aggregates`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Bins of a capacity histogram: bin 0 holds exact zeros, bins 1.. split (0, high] evenly.
_HIST_BINS = 400
#: Values are summed per histogram bin as integers in these units, so merges are exact.
_SUM_UNIT = {"mw": 1e-3, "flops": 1e12}
_VALUE_BINS = 4000
_VALUE_SPAN = 20.0


def _grid_index(grid: np.ndarray, days: np.ndarray) -> np.ndarray:
    """``np.searchsorted(grid, days, side="left")`` for the finite days (the others get some
    index in 0..T), by arithmetic on the evenly stepped grid and then exact comparisons with
    the grid's own days, so the index is the same integer; many times faster than a binary
    search for each of a block's (draw × phase) dates."""
    if grid.size < 2:
        found: np.ndarray = np.searchsorted(grid, days, side="left")
        return found
    step = (grid[-1] - grid[0]) / (grid.size - 1)
    if _whole_grid(grid, step):
        return _whole_grid_index(grid, days, step)
    with np.errstate(invalid="ignore"):
        guess = np.subtract(days, grid[0])
        np.divide(guess, step, out=guess)
        np.ceil(guess, out=guess)
    np.fmax(guess, 0, out=guess)  # NaN and -inf: 0
    np.fmin(guess, grid.size, out=guess)  # inf: T
    index: np.ndarray = guess.astype(np.intp)
    padded = np.concatenate(([-np.inf], grid, [np.inf]))  # padded[i] is grid[i - 1]
    finite = np.isfinite(days)
    while True:  # grid[index - 1] < day <= grid[index]: one or two rounds at most
        lower = (padded[index] >= days) & finite
        higher = (padded[index + 1] < days) & finite
        if not (lower.any() or higher.any()):
            return index
        index = index - lower + higher


def _whole_grid(grid: np.ndarray, step: float) -> bool:
    """Whether the grid is whole days ``grid[0] + i·step`` exactly, with a whole-day step,
    within twice its first day (so ``day - grid[0]`` is exact for every day that can fall
    inside it: Sterbenz's lemma); the engine's weekly grids of days since 1970 are."""
    first = float(grid[0])
    return (
        first > 0
        and step >= 1
        and step == int(step)
        and first == int(first)
        and float(grid[-1]) <= 2 * first
        and bool(np.array_equal(grid, first + step * np.arange(grid.size)))
    )


def _whole_grid_index(grid: np.ndarray, days: np.ndarray, step: float) -> np.ndarray:
    """:func:`_grid_index` on a :func:`_whole_grid`: ``x = day - grid[0]`` is exact and
    ``grid[q] - grid[0] = q·step`` is an exact whole number, so ``ceil(x / step)``, off by one
    only where the division rounds, is corrected by comparing ``x`` with ``q·step``
    arithmetically instead of looking up the grid."""
    with np.errstate(invalid="ignore"):
        x = np.subtract(days, grid[0])
        guess = np.divide(x, step)
        np.ceil(guess, out=guess)
        edge = guess * step  # grid[q] - grid[0]
        guess += edge < x  # grid[q] < day: one step later
        edge -= step
        guess -= edge >= x  # grid[q - 1] >= day: one step earlier (compared with the first q)
    np.fmax(guess, 0, out=guess)  # before the grid, NaN and -inf: 0
    np.fmin(guess, grid.size, out=guess)  # beyond it and inf: T
    index: np.ndarray = guess.astype(np.intp)
    return index


def date_bins(days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Bin of each day on the grid: 0 on or before the first step, i for step i, T+1 never."""
    index = _grid_index(grid, days)  # 0..T for finite days
    return np.where(np.isfinite(days), index, grid.size + 1)


def _hist_dates(days: np.ndarray, grid: np.ndarray) -> np.ndarray:
    return np.bincount(date_bins(days.ravel(), grid), minlength=grid.size + 2).astype(np.int64)


def _count_columns(bins: np.ndarray, width: int) -> np.ndarray:
    """Counts of each bin 0..``width`` in every column of ``bins`` (draw, …): (columns, width), e.g.
    each column's :func:`_hist_dates` from its :func:`date_bins`."""
    cells = bins.reshape(bins.shape[0], -1) + np.arange(int(np.prod(bins.shape[1:]))) * width
    return np.bincount(cells.ravel(), minlength=cells.shape[1] * width).astype(np.int64).reshape(-1, width)


def _bin(values: np.ndarray, high: float) -> np.ndarray:
    """Bin 0 holds exact zeros; bins 1.. split (0, high] evenly."""
    width = max(high, 1e-300) / (_HIST_BINS - 1)
    inner = np.clip(np.ceil(values / width).astype(np.int64), 1, _HIST_BINS - 1)
    return np.where(values <= 0, 0, inner)


@dataclass(frozen=True)
class StepLayout:
    """Where a series' step curves change, shared by every quantity summed over the same
    phases, laid out (column, draw) so that each column is one contiguous run of draws: per
    draw, the series' columns in a stable order of their grid steps (``flat``: indices into
    the flattened (draw, phase) arrays) and each step's first histogram cell, counted from
    ``low`` (``cells``); ``width`` cells from ``low`` hold every change."""

    flat: np.ndarray
    cells: np.ndarray
    low: int
    width: int
    steps: int  # grid steps + 1 (the last: never online)


def step_layout(index: np.ndarray, order: np.ndarray, grid: np.ndarray) -> StepLayout:
    """The :class:`StepLayout` of the columns ``order`` (per draw, see :func:`_series_order`)
    of the grid steps ``index`` (draw, column) (:func:`_online_steps`)."""
    draws = index.shape[0]
    # np.take_along_axis(x, order, axis=1).T, as one flat gather
    flat = np.add(order.T, np.arange(draws) * index.shape[1])
    cells = np.ravel(index)[flat] * _HIST_BINS
    low = int(cells.min()) if cells.size else 0
    cells -= low
    width = (int(cells.max()) if cells.size else 0) + _HIST_BINS
    return StepLayout(flat, cells, low, width, grid.size + 1)


def _bins(levels: np.ndarray, high: float) -> np.ndarray:
    """:func:`_bin` of running sums of phase values (finite, never negative: a level is 0 only
    when nothing is online, and ``ceil`` of a positive level is at least 1), clipped in place."""
    width = max(high, 1e-300) / (_HIST_BINS - 1)
    inner: np.ndarray = np.divide(levels, width)
    np.ceil(inner, out=inner)
    np.clip(inner, 0, _HIST_BINS - 1, out=inner)
    bins: np.ndarray = inner.astype(np.intp)
    return bins


def _step_hist(values: np.ndarray, layout: StepLayout, high: float, unit: float) -> np.ndarray:
    """Histogram-over-time of the step curves Σ values·[t ≥ online], as time differences.

    Each draw's curve changes only when a phase comes online, so its counts
    enter at those steps: O(draw × phase), not O(draw × time); ``layout`` says where
    (:func:`step_layout`). Counts and integer sums are exact (every partial sum is an integer
    below 2**53), so adding the entering and leaving entries separately, in any order, gives
    the same integers as adding them together. Each draw's running sum adds its values in
    the same order as a cumulative sum along the draw's row would."""
    columns, draws = layout.flat.shape
    size = layout.steps * _HIST_BINS
    out = np.zeros((2, size), np.int64)
    if columns == 0:
        out[0, 0] = draws  # every draw starts at zero (bin 0) at t = 0
        return out.reshape(2, layout.steps, _HIST_BINS)
    levels = np.empty((columns + 1, draws))
    levels[0] = 0.0
    np.cumsum(np.ravel(values)[layout.flat], axis=0, out=levels[1:])
    bins = _bins(levels, high)
    np.divide(levels, unit, out=levels)
    sums = np.rint(levels, out=levels)
    enter = np.add(layout.cells, bins[1:]).ravel()
    leave = np.add(layout.cells, bins[:-1]).ravel()
    width = layout.width
    band = slice(layout.low, layout.low + width)
    np.subtract(np.bincount(enter, minlength=width), np.bincount(leave, minlength=width), out=out[0, band])
    out[0, 0] += draws  # every draw starts at zero (bin 0) at t = 0
    np.subtract(  # whole numbers, exactly
        np.bincount(enter, weights=sums[1:].ravel(), minlength=width),
        np.bincount(leave, weights=sums[:-1].ravel(), minlength=width),
        out=out[1, band],
        casting="unsafe",
    )
    return out.reshape(2, layout.steps, _HIST_BINS)


def step_order(steps: np.ndarray) -> np.ndarray:
    """Per draw (row), the columns of the grid ``steps`` (whole numbers ≥ 0) in a stable order
    of their steps: ``np.argsort(steps, axis=1, kind="stable")``, found by sorting the unique
    keys step·2^b + column, which any sort leaves in that order (about twice as fast)."""
    columns = steps.shape[1]
    shift = max(1, (columns - 1).bit_length())
    keys: np.ndarray = np.left_shift(steps, shift)
    keys |= np.arange(columns)
    keys.sort(axis=1)
    keys &= (1 << shift) - 1
    return keys


def _series_order(order: np.ndarray, mask: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Per draw, the phases of ``mask`` in the stable step order ``order`` of all phases (their
    grid ``steps``, (draw, phase)): the same columns, in the same order, as a stable sort of
    the series' own steps (ties keep their phase order in both). One or two phases are put in
    order directly, without going through all phases' order."""
    cols = np.flatnonzero(mask)
    draws = order.shape[0]
    if cols.size == order.shape[1]:
        return order
    if cols.size == 1:
        return np.broadcast_to(cols, (draws, 1))
    if cols.size == 2:
        first, second = cols
        swap = steps[:, second] < steps[:, first]  # strictly: a tie keeps phase order
        return np.where(swap[:, None], cols[::-1], cols)
    picked: np.ndarray = order[np.asarray(mask)[order]]
    return picked.reshape(draws, cols.size)


def _online_steps(online: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """The grid step at which each phase comes online (``grid.size``: never)."""
    return np.where(np.isfinite(online), _grid_index(grid, online), grid.size)


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


def _capacity(values: np.ndarray, online: np.ndarray, days: np.ndarray) -> np.ndarray:
    """(draw, len(days)): sum of ``values`` of phases online on each day (the comparison goes
    into the product as booleans: the same sums as of 0.0/1.0, without a float copy)."""
    summed: np.ndarray = np.einsum("dk,dkt->dt", values, online[:, :, None] <= days[None, None, :])
    return summed


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
