"""The double-entry ledger: every transaction has a payer and a payee, vectorised over draws.

A :class:`Ledger` keeps each entry's amount as its own ``(draw, period)`` array (as the contract
produced it; nothing stacks them: a dense ``(draw, period, entry)`` cube is 400 MB at 10,000
draws, most of it zeros), with each entry's ``payer``, ``payee``, ``contract`` and ``kind``.
:meth:`Ledger.dataset` gives the dense :class:`xarray.Dataset` (``amount_usd`` over
``(draw, period, entry)``) when one is wanted. A party's net cash flow is what it receives minus
what it pays; summed over every party, with the outside world (``world``) as an explicit party,
it is zero for every draw and period.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.finance.contracts import Flow
from gigawatt.units import format_date

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "WORLD",
    "Ledger",
    "build_ledger",
    "entry_sum",
    "entry_totals",
    "net_by_party",
    "flow_matrix",
    "involved",
    "imbalance_usd",
]

#: The outside world: customers, utilities, suppliers outside the system.
WORLD = "world"


@dataclass
class Ledger:
    """Entries of money, each ``amounts[e]`` ``(draw, period)`` USD from ``payer[e]`` to ``payee[e]``.

    ``parties`` (the world included) label the party axis; ``edges`` are the periods' bounds (days)."""

    amounts: list[np.ndarray]
    payer: np.ndarray
    payee: np.ndarray
    contract: np.ndarray
    kind: np.ndarray
    parties: list[str]
    draws: np.ndarray
    edges: np.ndarray
    _totals: dict[tuple[int | None, int | None], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def shape(self) -> tuple[int, int]:
        """``(draw, period)``."""
        return len(self.draws), len(self.edges) - 1

    @property
    def sizes(self) -> dict[str, int]:
        return {
            "draw": len(self.draws),
            "period": len(self.edges) - 1,
            "entry": len(self.amounts),
            "party": len(self.parties),
        }

    def sum(self, mask: np.ndarray) -> np.ndarray:
        """The ``mask``'s entries summed, ``(draw, period)``."""
        return entry_sum(self.amounts, mask, self.shape)

    def net(self, party: str) -> np.ndarray:
        """What ``party`` receives less what it pays, ``(draw, period)``."""
        total = self.sum(self.payee == party)
        for e in np.nonzero(self.payer == party)[0]:
            total -= self.amounts[e]
        return total

    def totals(self, periods: slice | None = None) -> np.ndarray:
        """Each entry summed over ``periods`` (all by default): ``(entry, draw)``, kept once summed."""
        key = (None, None) if periods is None else (periods.start, periods.stop)
        if key not in self._totals:
            window = periods or slice(None)
            out = np.empty((len(self.amounts), len(self.draws)))
            for e, a in enumerate(self.amounts):
                out[e] = a[:, window].sum(axis=1)
            self._totals[key] = out
        return self._totals[key]

    def by_bucket(self, buckets: np.ndarray) -> list[np.ndarray]:
        """Each entry summed by bucket: ``amounts[e] @ buckets`` with ``buckets`` ``(period, bucket)``
        of 0/1 (one product, not a reduction along rows), ``(draw, bucket)`` each. When every period
        is in a bucket, the entries' horizon totals (:meth:`totals`) follow from these."""
        out = [a @ buckets for a in self.amounts]
        if (None, None) not in self._totals and np.all(buckets.sum(axis=1) == 1):
            self._totals[(None, None)] = np.array([b.sum(axis=1) for b in out]).reshape(len(out), -1)
        return out

    def replaced(self, entries: np.ndarray, amounts: Sequence[np.ndarray]) -> Ledger:
        """This ledger with the ``entries`` (indices) given new ``amounts``."""
        new = list(self.amounts)
        for e, a in zip(entries, amounts, strict=True):
            new[int(e)] = a
        return Ledger(
            new, self.payer, self.payee, self.contract, self.kind, self.parties, self.draws, self.edges
        )

    def dataset(self) -> xr.Dataset:
        """The dense ledger: ``amount_usd`` over ``(draw, period, entry)``, entries' coordinates."""
        import xarray as xr  # noqa: PLC0415 (a dense ledger only: the money itself needs no xarray)

        draws, periods = self.shape
        stored = np.empty((len(self.amounts), draws, periods))  # entry-major, seen as (draw, period, entry)
        for e, a in enumerate(self.amounts):
            stored[e] = a
        edges = self.edges
        return xr.Dataset(
            {"amount_usd": _variable(("draw", "period", "entry"), stored.transpose(1, 2, 0))},
            coords={
                "draw": _variable("draw", self.draws),
                "period": _variable("period", np.arange(periods)),
                "period_start": _variable("period", edges[:-1]),
                "period_end": _variable("period", edges[1:]),
                "period_label": _variable("period", [format_date(d) for d in edges[:-1]]),
                "entry": _variable("entry", np.arange(len(self.amounts))),
                "payer": _variable("entry", self.payer),
                "payee": _variable("entry", self.payee),
                "contract": _variable("entry", self.contract),
                "kind": _variable("entry", self.kind),
                "party": _variable("party", list(self.parties)),
            },
        )

    @classmethod
    def from_dataset(cls, ds: xr.Dataset) -> Ledger:
        """A dense ledger (:meth:`dataset`) as entries again (views, no copy)."""
        amount = ds.amount_usd.values
        edges = np.append(ds.period_start.values, ds.period_end.values[-1:])
        return cls(
            [amount[:, :, e] for e in range(amount.shape[2])],
            ds.payer.values, ds.payee.values, ds.contract.values, ds.kind.values,
            [str(p) for p in ds.party.values], ds.draw.values, edges,
        )  # fmt: skip


def _variable(dims: str | tuple[str, ...], values: object) -> xr.Variable:
    """``values`` as an array variable without xarray's checks for other array kinds
    (``fastpath``): they import ``dask.array`` where Dask is installed, 0.4 s of CPU (as the
    engine's datasets, :meth:`gigawatt.engine.draws.Draws.to_dataset`)."""
    import xarray as xr  # noqa: PLC0415 (see Ledger.dataset)

    return xr.Variable(dims, np.asarray(values), fastpath=True)


def build_ledger(
    flows: Sequence[Flow], edges: np.ndarray, draws: np.ndarray, parties: Sequence[str]
) -> Ledger:
    """The flows as a ledger, one entry per payer, payee, contract and kind (flows that share
    all four, a contract's phases, are added into one; a single flow's amount is kept as it is,
    seen as ``(draw, period)``); ``parties`` (the world included) label the party axis."""
    unknown = {n for f in flows for n in (f.payer, f.payee)} - set(parties)
    if unknown:
        raise ValueError(f"flows name parties outside the ledger: {sorted(unknown)}")
    shape = (len(draws), len(edges) - 1)
    keys: dict[tuple[str, str, str, str], int] = {}
    amounts: list[np.ndarray] = []
    summed: set[int] = set()  # entries that are sums made here: the next flow is added in place
    for f in flows:
        key = (f.payer, f.payee, f.contract, f.kind)
        amount = np.broadcast_to(f.amount_usd, shape)
        if key not in keys:
            keys[key] = len(amounts)
            amounts.append(amount)
        elif keys[key] in summed:
            amounts[keys[key]] += amount
        else:
            amounts[keys[key]] = amounts[keys[key]] + amount
            summed.add(keys[key])
    payer, payee, contract, kind = (
        np.array([k[i] for k in keys], dtype=object).astype(str) for i in range(4)
    )
    return Ledger(amounts, payer, payee, contract, kind, list(parties), np.asarray(draws), np.asarray(edges))


def _as_ledger(ledger: Ledger | xr.Dataset) -> Ledger:
    return ledger if isinstance(ledger, Ledger) else Ledger.from_dataset(ledger)


def entry_sum(
    stored: Sequence[np.ndarray] | np.ndarray, mask: np.ndarray, shape: tuple[int, ...] | None = None
) -> np.ndarray:
    """The sum of the ``mask``'s entries of ``stored`` (entry first: a list of arrays, or an array
    ``(entry, ...)``), one entry at a time, no copy of the selection; ``shape`` of one entry (read
    from the first if not given)."""
    chosen = np.nonzero(mask)[0]
    if chosen.size == 0:
        return np.zeros(np.shape(stored[0]) if shape is None else shape)
    total = np.array(stored[chosen[0]], dtype=float)  # a copy of the first, then the others added
    for e in chosen[1:]:
        total += stored[e]
    return total


def net_by_party(ledger: Ledger | xr.Dataset) -> xr.DataArray:
    """Inflows minus outflows per ``(draw, period, party)``, in USD."""
    import xarray as xr  # noqa: PLC0415 (see Ledger.dataset)

    book = _as_ledger(ledger)
    net = np.zeros((*book.shape, len(book.parties)))
    for j, party in enumerate(book.parties):
        net[:, :, j] = book.sum(book.payee == party) - book.sum(book.payer == party)
    return xr.DataArray(
        _variable(("draw", "period", "party"), net),
        coords={
            "draw": _variable("draw", book.draws),
            "period": _variable("period", np.arange(book.shape[1])),
            "party": _variable("party", book.parties),
        },
    )


def imbalance_usd(ledger: Ledger | xr.Dataset) -> np.ndarray:
    """Sum over all parties of net cash flow, ``(draw, period)``: zero when the books balance."""
    return np.asarray(net_by_party(ledger).sum("party").values)


def entry_totals(ledger: Ledger | xr.Dataset, periods: slice | None = None) -> np.ndarray:
    """Each entry's amount summed over ``periods`` (all by default): ``(entry, draw)``."""
    return _as_ledger(ledger).totals(periods)


def flow_matrix(
    ledger: Ledger | xr.Dataset,
    periods: slice | None = None,
    entries: np.ndarray | None = None,
    totals: np.ndarray | None = None,
    parties: Sequence[str] | None = None,
) -> np.ndarray:
    """Money paid from each party to each other over ``periods`` (only the ``entries`` mask, if
    given): ``(draw, payer, payee)``, parties in the ledger's order (only ``parties``, if given: the
    entries between two of them); ``totals`` are :func:`entry_totals` over those periods, if
    already summed. Each entry's total is added to its payer-payee cell (a plain array: an xarray
    object here costs more than the sums)."""
    book = _as_ledger(ledger)
    totals = book.totals(periods) if totals is None else totals
    names = list(book.parties if parties is None else parties)
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    chosen = np.ones(len(totals), bool) if entries is None else entries.copy()
    chosen &= np.array(
        [a in index and b in index for a, b in zip(book.payer, book.payee, strict=True)], dtype=bool
    )
    cell = np.array(
        [index.get(a, 0) * n + index.get(b, 0) for a, b in zip(book.payer, book.payee, strict=True)],
        dtype=int,
    )
    used = np.unique(cell[chosen])
    # summed cell by cell (contiguous rows), then written into the matrix row by row
    cells = np.zeros((used.size, totals.shape[1]))
    for e in np.nonzero(chosen)[0]:
        cells[np.searchsorted(used, cell[e])] += totals[e]
    matrix = np.zeros((totals.shape[1], n * n))
    matrix[:, used] = cells.T
    return matrix.reshape(-1, n, n)


def involved(ledger: Ledger, entries: np.ndarray | None = None) -> list[str]:
    """The parties that pay or receive under ``entries`` (a mask; all by default), in the ledger's
    order: the axes a :func:`flow_matrix` of those entries needs."""
    chosen = np.ones(len(ledger.amounts), bool) if entries is None else entries
    named = set(ledger.payer[chosen]) | set(ledger.payee[chosen])
    return [p for p in ledger.parties if p in named]
