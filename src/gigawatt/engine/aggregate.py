"""Many draws reduced to mergeable :class:`Aggregates`: integer histograms of capacity over
time, of dates (targets met, each phase's stages), counts of causes, demand against capacity,
and per-chunk sums. Histograms add exactly; per-chunk sums are added in chunk order, so results
are bit-identical for any block size or worker count.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt.engine.demand import serving_at, serving_capacity, serving_high_mw
from gigawatt.engine.draws import BlockData
from gigawatt.engine.histograms import (
    _SUM_UNIT,
    StepLayout,
    _count_columns,
    _hist_dates,
    _online_steps,
    _series_order,
    _step_hist,
    _value_hist,
    date_bins,
    step_layout,
    step_order,
)
from gigawatt.engine.model import CAUSES, Model
from gigawatt.engine.outcomes import Outcomes, outcomes
from gigawatt.engine.simulate import simulate_drawn
from gigawatt.sampling import BLOCK_DRAWS

#: A phase's dates, in the order of its ``phase:<id>:<stage>`` date histograms.
_STAGES = ("start_date", "power_date", "chips_date", "online_date")


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

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """Pickle as :class:`Packed`: the histograms are mostly zeros (~110 MB a Stargate block
        dense, ~6 MB as their nonzero cells), which is what crosses process and Dask
        boundaries; packing the nonzero cells is ~7× faster than compressing the dense arrays,
        and a total adds them in without unpacking (:meth:`merge_in`)."""
        return Packed, (self.draws, _pack(self.hist), self.date_hist, self.counts, self.chunk_sums)

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

    def merge_in(self, other: Aggregates | Packed) -> Aggregates:
        """Add ``other`` into this total in place (the same integers as :meth:`merge`, without
        allocating a new total for every block); arrays first seen are copied, never shared,
        and this total's histograms that share one array (series of the same phases, as
        :func:`aggregate_block` makes them) get their own before anything is added."""
        self._unshare()
        pairs = [(self.date_hist, other.date_hist), (self.counts, other.counts)]
        if isinstance(other, Packed):  # its histograms' nonzero cells, added as they are
            for key, (shape, cells, values) in other.packed.items():
                if key in self.hist:
                    self.hist[key].reshape(shape[0], -1)[:, cells] += values
                else:
                    self.hist[key] = _unpack(shape, cells, values)
        else:
            pairs.append((self.hist, other.hist))
        for mine, theirs in pairs:
            for key, values in theirs.items():
                if key in mine:
                    np.add(mine[key], values, out=mine[key])
                else:
                    mine[key] = values.copy()
        self.draws += other.draws
        self.chunk_sums.update(other.chunk_sums)
        return self

    def _unshare(self) -> None:
        """Give each histogram key its own array (a block shares one between series of the same
        phases), so that adding in place never adds twice into one."""
        seen: set[int] = set()
        for key, values in self.hist.items():
            if id(values) in seen:
                self.hist[key] = values.copy()
            seen.add(id(self.hist[key]))

    def sums(self, name: str) -> np.ndarray:
        """Sum of a per-chunk quantity, added in chunk order (same result however blocks ran)."""
        parts = [self.chunk_sums[c][name] for c in sorted(self.chunk_sums)]
        total: np.ndarray = np.sum(np.stack(parts), axis=0)
        return total

    def histogram(self, name: str) -> np.ndarray:
        """(2, T, bins): counts and integer value sums per time and bin."""
        data = self.hist[name]
        return np.cumsum(data, axis=1)[:, :-1] if name.startswith("capacity:") else data


#: A histogram as its nonzero cells: (shape, flat cell indices, values (2, cells)).
PackedHist = tuple[tuple[int, ...], np.ndarray, np.ndarray]


def _pack(hist: dict[str, np.ndarray]) -> dict[str, PackedHist]:
    packed = {}
    for name, data in hist.items():
        flat = data.reshape(data.shape[0], -1)
        cells = np.flatnonzero(np.any(flat != 0, axis=0))
        packed[name] = (data.shape, cells, flat[:, cells])
    return packed


def _unpack(shape: tuple[int, ...], cells: np.ndarray, values: np.ndarray) -> np.ndarray:
    data = np.zeros(shape, np.int64)
    data.reshape(shape[0], -1)[:, cells] = values
    return data


class Packed:
    """:class:`Aggregates` as unpickled from another process: the histograms kept as their
    nonzero cells (``packed``), added into a total as they are (:meth:`Aggregates.merge_in`)
    and unpacked only if ``hist`` is read (a recorded block's writer reads them)."""

    def __init__(
        self,
        draws: int,
        packed: dict[str, PackedHist],
        date_hist: dict[str, np.ndarray],
        counts: dict[str, np.ndarray],
        chunk_sums: dict[int, dict[str, np.ndarray]],
    ) -> None:
        self.draws = draws
        self.packed = packed
        self.date_hist = date_hist
        self.counts = counts
        self.chunk_sums = chunk_sums

    @functools.cached_property
    def hist(self) -> dict[str, np.ndarray]:
        return {name: _unpack(*cells) for name, cells in self.packed.items()}


def aggregate_block(
    model: Model,
    seed: int,
    start: int,
    stop: int,
    ds: BlockData | None = None,
    made: Outcomes | None = None,
) -> Aggregates:
    """Simulate draws ``start``..``stop`` (or take ``ds``, their :func:`simulate_block`
    output, already made) and reduce them to mergeable aggregates.

    ``start`` must be a multiple of :data:`BLOCK_DRAWS`, so per-chunk sums line up.
    ``made``: the block's :func:`~gigawatt.engine.outcomes.outcomes` for ``ds``, if already
    made (else made here)."""
    if start % BLOCK_DRAWS:
        raise ValueError(f"block start must be a multiple of {BLOCK_DRAWS}")
    if ds is None:
        ds = simulate_drawn(model, seed, start, stop)[0]
    elif ds.sizes["draw"] != stop - start or int(ds["draw"].values[0]) != start:
        raise ValueError(f"ds holds draws other than {start}..{stop}")
    if made is None:
        made = outcomes(model, seed, start, stop, ds)
    agg = Aggregates(draws=stop - start)
    # every phase's stage dates binned on the grid once: for their histograms, and the online
    # step (T: never) where each phase's capacity enters
    grid = model.grid_days
    bins = date_bins(np.stack([ds[stage].values for stage in _STAGES], axis=2), grid)
    steps = np.minimum(bins[:, :, _STAGES.index("online_date")], grid.size)
    _capacity_hists(model, ds, agg, steps)
    _date_hists(model, agg, made.targets, bins)
    _cause_counts(ds, agg)
    _demand_hists(model, seed, start, stop, ds, agg, made, steps)
    _chunk_sums(start, stop, ds, agg, made.supply)
    return agg


def _capacity_hists(model: Model, ds: BlockData, agg: Aggregates, steps: np.ndarray) -> None:
    """``capacity:<series>``: facility MW online of each series, and the other quantities
    online (IT MW, FLOP/s, H100-equivalents, accelerators), over time; ``steps``: each
    (draw, phase)'s online step (:func:`_online_steps`)."""
    grid = model.grid_days
    order = step_order(steps)  # once for all phases; each series picks its own
    layouts: dict[bytes, StepLayout] = {}  # series of the same phases share where they change

    def layout(mask: np.ndarray) -> StepLayout:
        key = np.asarray(mask).tobytes()
        if key not in layouts:
            layouts[key] = step_layout(steps, _series_order(order, mask, steps), grid)
        return layouts[key]

    mw = ds["facility_mw"].values
    by_mask: dict[bytes, np.ndarray] = {}  # series of the same phases (total, the one party) alike
    for name, mask in model.series.items():
        key = np.asarray(mask).tobytes()
        if key not in by_mask:
            by_mask[key] = agg.hist[f"capacity:{name}"] = _step_hist(
                mw, layout(mask), model.series_high_mw[name], _SUM_UNIT["mw"]
            )
        else:  # the same array: a total copies it before adding in place (Aggregates.merge_in)
            agg.hist[f"capacity:{name}"] = by_mask[key]
    for name, spec in model.step_series.items():
        values = ds[spec.variable].values
        agg.hist[f"capacity:{name}"] = _step_hist(values, layout(spec.mask), spec.high, spec.unit)


def _date_hists(model: Model, agg: Aggregates, targets: dict[str, np.ndarray], bins: np.ndarray) -> None:
    """``target:<name>``: when each target is met; ``phase:<id>:<stage>``: each phase's start,
    power, chips and online dates (``bins``: their :func:`date_bins`, (draw, phase, stage))."""
    grid = model.grid_days
    for name, days in targets.items():
        agg.date_hist[f"target:{name}"] = _hist_dates(days, grid)
    by_column = _count_columns(bins, grid.size + 2)
    for k, ph in enumerate(model.phases):
        for j, stage in enumerate(_STAGES):
            agg.date_hist[f"phase:{ph.id}:{stage}"] = by_column[k * len(_STAGES) + j]


def _cause_counts(ds: BlockData, agg: Aggregates) -> None:
    """What set each phase's online date, what set the last phase's, and draws with nothing online."""
    online = ds["online_date"].values
    critical = ds["critical"].values
    agg.counts["critical"] = np.stack(
        [np.bincount(critical[:, k], minlength=len(CAUSES)) for k in range(critical.shape[1])]
    ).astype(np.int64)
    ever = np.isfinite(online).any(axis=1)
    last = np.argmax(np.where(np.isfinite(online), online, -np.inf), axis=1)
    last_cause = np.take_along_axis(critical, last[:, None], axis=1)[:, 0]
    agg.counts["last_phase_cause"] = np.bincount(last_cause[ever], minlength=len(CAUSES)).astype(np.int64)
    agg.counts["nothing_online"] = np.array([int((~ever).sum())], np.int64)


def _demand_hists(
    model: Model,
    seed: int,
    start: int,
    stop: int,
    ds: BlockData,
    agg: Aggregates,
    made: Outcomes,
    steps: np.ndarray,
) -> None:
    """What serves demand's party over time, each programme's share of it, and demand against it
    at year ends (P(covered), surplus, each stream); ``steps``: each phase's online step."""
    grid = model.grid_days
    # Capacity in demand's own unit, on Dec 31 itself as demand is: facility MW, or the BF16
    # dense FLOP/s of the same draw's phases online for demand stated as compute.
    stated_in = model.scenario.demand.stated_in
    serving = serving_capacity(model, seed, start, stop, ds, made.contracted)
    blocks = serving["days"][:, int(np.count_nonzero(serving["own"])) :]
    steps = np.concatenate([steps[:, serving["own"]], _online_steps(blocks, grid)], axis=1)
    where = step_layout(steps, step_order(steps), grid)
    agg.hist["capacity:serving"] = _step_hist(serving["mw"], where, serving_high_mw(model), _SUM_UNIT["mw"])
    for programme, share in serving["shares"].items():
        agg.counts[f"share:{programme}"] = np.stack(
            [
                np.bincount(np.rint(share[:, i] * 100).astype(np.int64), minlength=101)
                for i in range(share.shape[1])
            ]
        ).astype(np.int64)
    capacity_years = serving_at(serving, stated_in, model.year_ends)
    demand = made.demand
    if demand:
        total_demand = np.sum(np.stack(list(demand.values())), axis=0)
        agg.counts["demand_covered"] = (capacity_years >= total_demand).sum(axis=0).astype(np.int64)
        agg.hist[f"surplus_{stated_in}"] = _value_hist(capacity_years - total_demand, stated_in)
        for stream, values in demand.items():
            agg.hist[f"demand:{stream}"] = _value_hist(values, stated_in)


def _chunk_sums(start: int, stop: int, ds: BlockData, agg: Aggregates, supply: dict[str, np.ndarray]) -> None:
    """Per chunk of :data:`BLOCK_DRAWS`: facility MW online by cause, and each accelerator
    limit's supply offered and delivered (``supply``: :attr:`Outcomes.supply`)."""
    online = ds["online_date"].values
    mw = ds["facility_mw"].values
    critical = ds["critical"].values
    online_mw = np.where(np.isfinite(online), mw, 0.0)
    by_cause = [np.where(critical == c, online_mw, 0.0).sum(axis=1) for c in range(len(CAUSES))]
    weights = np.stack(by_cause, axis=1)
    for chunk_start in range(start, stop, BLOCK_DRAWS):
        rows = slice(chunk_start - start, min(stop, chunk_start + BLOCK_DRAWS) - start)
        agg.chunk_sums[chunk_start // BLOCK_DRAWS] = {
            "cause_mw": weights[rows].sum(axis=0),
            **{name: values[rows].sum(axis=0) for name, values in supply.items()},
        }
