"""The double-entry ledger: every transaction has a payer and a payee, vectorised over draws.

A ledger is an :class:`xarray.Dataset` with ``amount_usd`` over ``(draw, period, entry)``;
each entry carries ``payer``, ``payee``, ``contract`` and ``kind`` coordinates. A party's
net cash flow is what it receives minus what it pays; summed over every party, with
the outside world (``world``) as an explicit party, it is zero for every draw and period.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from gigawatt.finance.contracts import Flow
from gigawatt.units import format_date

__all__ = [
    "WORLD",
    "build_ledger",
    "entry_sum",
    "entry_totals",
    "net_by_party",
    "flow_matrix",
    "imbalance_usd",
]

#: The outside world: customers, utilities, suppliers outside the system.
WORLD = "world"


def build_ledger(
    flows: Sequence[Flow], edges: np.ndarray, draws: np.ndarray, parties: Sequence[str]
) -> xr.Dataset:
    """Stack flows into a ledger; ``parties`` (the world included) label the party axis."""
    periods = len(edges) - 1
    # stored entry-major (each entry's (draw, period) block contiguous) and seen as
    # (draw, period, entry): selecting entries and summing them, what statements do most, stays fast
    stored = np.empty((len(flows), len(draws), periods))
    for i, f in enumerate(flows):
        stored[i] = f.amount_usd
    amount = stored.transpose(1, 2, 0)
    unknown = {n for f in flows for n in (f.payer, f.payee)} - set(parties)
    if unknown:
        raise ValueError(f"flows name parties outside the ledger: {sorted(unknown)}")
    return xr.Dataset(
        {"amount_usd": _variable(("draw", "period", "entry"), amount)},
        coords={
            "draw": _variable("draw", draws),
            "period": _variable("period", np.arange(periods)),
            "period_start": _variable("period", edges[:-1]),
            "period_end": _variable("period", edges[1:]),
            "period_label": _variable("period", [format_date(d) for d in edges[:-1]]),
            "entry": _variable("entry", np.arange(len(flows))),
            "payer": _variable("entry", [f.payer for f in flows]),
            "payee": _variable("entry", [f.payee for f in flows]),
            "contract": _variable("entry", [f.contract for f in flows]),
            "kind": _variable("entry", [f.kind for f in flows]),
            "party": _variable("party", list(parties)),
        },
    )


def _variable(dims: str | tuple[str, ...], values: object) -> xr.Variable:
    """``values`` as an array variable without xarray's checks for other array kinds
    (``fastpath``): they import ``dask.array`` where Dask is installed, 0.4 s of CPU (as the
    engine's datasets, :func:`gigawatt.engine.simulate._dataset`)."""
    return xr.Variable(dims, np.asarray(values), fastpath=True)


def entry_sum(stored: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The sum of the ``mask``'s entries of an entry-major array ``(entry, ...)`` (the ledger's
    storage): one contiguous entry at a time, no copy of the selection."""
    total = np.zeros(stored.shape[1:])
    for e in np.nonzero(mask)[0]:
        total += stored[e]
    return total


def _incidence(ledger: xr.Dataset, role: str) -> np.ndarray:
    names = list(ledger.party.values)
    out = np.zeros((ledger.sizes["entry"], len(names)))
    out[np.arange(ledger.sizes["entry"]), [names.index(n) for n in ledger[role].values]] = 1.0
    return out


def net_by_party(ledger: xr.Dataset) -> xr.DataArray:
    """Inflows minus outflows per ``(draw, period, party)``, in USD."""
    amount = ledger.amount_usd.values
    net = amount @ _incidence(ledger, "payee") - amount @ _incidence(ledger, "payer")
    coords = {k: ledger[k] for k in ("draw", "period", "party")}
    return xr.DataArray(_variable(("draw", "period", "party"), net), coords=coords)


def imbalance_usd(ledger: xr.Dataset) -> np.ndarray:
    """Sum over all parties of net cash flow, ``(draw, period)``: zero when the books balance."""
    return np.asarray(net_by_party(ledger).sum("party").values)


def entry_totals(ledger: xr.Dataset, periods: slice | None = None) -> np.ndarray:
    """Each entry's amount summed over ``periods`` (all by default): ``(entry, draw)``, read in
    the ledger's storage order."""
    stored = ledger.amount_usd.values.transpose(2, 0, 1)
    return np.asarray(stored[:, :, periods or slice(None)].sum(axis=2))


def flow_matrix(
    ledger: xr.Dataset,
    periods: slice | None = None,
    entries: np.ndarray | None = None,
    totals: np.ndarray | None = None,
) -> xr.DataArray:
    """Money paid from each party to each other over ``periods`` (only the ``entries`` mask, if
    given): ``(draw, payer, payee)``; ``totals`` are :func:`entry_totals` over those periods, if
    already summed. Each entry's total is added to its payer-payee cell."""
    totals = entry_totals(ledger, periods) if totals is None else totals
    names = list(ledger.party.values)
    n = len(names)
    index = {name: i for i, name in enumerate(names)}
    matrix = np.zeros((totals.shape[1], n * n))
    chosen = np.ones(len(totals), bool) if entries is None else entries
    for e, (a, b) in enumerate(zip(ledger.payer.values, ledger.payee.values, strict=True)):
        if chosen[e]:
            matrix[:, index[a] * n + index[b]] += totals[e]
    return xr.DataArray(
        _variable(("draw", "payer", "payee"), matrix.reshape(-1, n, n)),
        coords={"draw": ledger.draw, "payer": _variable("payer", names), "payee": _variable("payee", names)},
    )
