"""The money graph among parties: cycles, circularity, Sankey data.

Circularity (docs/circularity.md): follow party *j*'s payments forward through the
graph. Every party passes on money in proportion to what it pays each counterparty,
and passes on at most what it receives: a party paying ``O`` out of inflows ``F``
forwards the share ``W[k, l] / max(O_k, F_k)`` of each dollar it receives to ``l``.
The world is a sink (money that leaves the system does not come back). The amount
that arrives back at *j* (first return: *j* stops the trace) divided by *j*'s inflows
from the other parties of the system (the world excluded) is *j*'s circularity.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt.finance.ledger import WORLD, Ledger, flow_matrix, involved
from gigawatt.finance.quantiles import percentiles

if TYPE_CHECKING:
    import networkx as nx
    import xarray as xr

__all__ = ["circularity", "cycles", "flows_summary", "median_se", "money_graph", "sankey", "window_periods"]

_LEAK = 1e-12
#: Sherman-Morrison's denominator above which a draw is solved directly instead (digits lost)
_WELL_CONDITIONED = 1e6


def circularity(matrix: np.ndarray, names: list[str], world: str = WORLD) -> np.ndarray:
    """Share of each party's inflows from the system that is its own earlier outflows returning.

    ``matrix[..., i, j]`` is money paid by ``names[i]`` to ``names[j]``; leading axes (draws)
    broadcast. Returns ``(..., party)``; NaN for a party with no inflow from the system.

    Parties with no payment in any draw are left out (they change no path). Party *j*'s trace
    absorbs at *j*: the transfer matrix with *j*'s row zeroed, a rank-one change of the whole
    one, so one inverse per draw serves every party (Sherman-Morrison, :func:`_returns`); draws
    where that inverse is ill-conditioned are solved one party at a time (:func:`_returns_solved`).
    """
    w = np.asarray(matrix, dtype=float)
    lead = tuple(range(w.ndim - 2))
    active = np.nonzero((w.sum(axis=(*lead, -1)) + w.sum(axis=(*lead, -2))) > 0)[0]
    out = np.full(w.shape[:-1], np.nan)
    if active.size == 0:
        return out
    sub = w[..., active[:, None], active[None, :]]
    kept = [names[i] for i in active]
    inflow = sub.sum(axis=-2)
    pool = np.maximum(sub.sum(axis=-1), inflow)
    transfer = np.divide(sub, pool[..., None], out=np.zeros_like(sub), where=pool[..., None] > 0)
    if world in kept:
        transfer[..., kept.index(world), :] = 0.0  # the world is a sink
    arrived = _returns(sub, transfer)
    system_in = inflow - (sub[..., kept.index(world), :] if world in kept else 0.0)
    share = np.where(system_in > 0, arrived / np.where(system_in > 0, system_in, 1.0), np.nan)
    for k, i in enumerate(active):
        if names[i] != world:
            out[..., i] = share[..., k]
    return out


def _returns(w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Money of each party *j*'s payments ``w[j]`` that arrives back at *j*, ``(..., party)``.

    Only the parties of *j*'s strongly connected component of the transfer graph (an edge where
    ``t`` passes money on in some draw) can carry *j*'s money back to it: a payment leaves the
    component for good, and money reaches the component only from outside it. So each component
    (of two parties or more, or one that pays itself) is solved on its own (:func:`_returns_within`),
    a small matrix per draw instead of the whole one; a party on no loop gets nothing back."""
    import networkx as nx  # noqa: PLC0415 (see money_graph)

    n = w.shape[-1]
    passes = (t != 0).reshape(-1, n, n).any(axis=0)
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(*np.nonzero(passes), strict=True))
    out = np.zeros(w.shape[:-1])
    for component in nx.strongly_connected_components(graph):
        idx = np.array(sorted(component))
        if idx.size > 1 or passes[idx[0], idx[0]]:
            out[..., idx] = _returns_within(w[..., idx[:, None], idx], t[..., idx[:, None], idx])
    return out


def _returns_within(w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:func:`_returns` over one set of parties that holds every path back (a component).

    Arrivals solve ``x = w[j] + x @ t_j`` with ``t_j`` = ``t`` less *j*'s row (*j* absorbs):
    ``x_j = (w B)_jj / (1 + c (t B)_jj)`` with ``B = (I - c t)^-1`` (Sherman-Morrison), where
    ``c = 1 - leak``: a vanishing leak keeps loops that never return to *j* (money circling
    forever) finite."""
    c = 1 - _LEAK
    n = w.shape[-1]
    try:
        inverse = np.linalg.inv(np.eye(n) - c * t)
    except np.linalg.LinAlgError:
        return _returns_solved(w, t)
    wb = np.einsum("...jk,...kj->...j", w, inverse)
    tb = np.einsum("...jk,...kj->...j", t, inverse)
    denominator = 1 + c * tb
    with np.errstate(divide="ignore", invalid="ignore"):
        x = wb / denominator
    # near-closed loops make B huge and the ratio of two huge numbers loses digits: solve those
    bad = ~np.isfinite(x) | (np.abs(denominator) > _WELL_CONDITIONED)
    if bad.any():
        rows = np.nonzero(bad.reshape(-1, n).any(axis=1))[0]
        flat = x.reshape(-1, n)
        flat[rows] = _returns_solved(w.reshape(-1, n, n)[rows], t.reshape(-1, n, n)[rows])
        x = flat.reshape(x.shape)
    out: np.ndarray = x
    return out


def _returns_solved(w: np.ndarray, t: np.ndarray) -> np.ndarray:
    """:func:`_returns` by one linear solve per party (the reference; slower)."""
    n = w.shape[-1]
    identity = np.eye(n)
    x = np.zeros(w.shape[:-1])
    for j in range(n):
        tj = t.copy()
        tj[..., j, :] = 0.0  # j absorbs what comes back
        # arrivals x solve x = w[j] + x @ tj  ->  (I - tj)^T x^T = w[j]^T
        a = np.swapaxes(identity - (1 - _LEAK) * tj, -1, -2)
        x[..., j] = np.linalg.solve(a, w[..., j, :][..., None])[..., 0][..., j]
    return x


def money_graph(matrix: np.ndarray, names: list[str], world: str = WORLD, min_usd: float = 0.0) -> nx.DiGraph:
    """A directed graph of payments (one draw or a median), world excluded."""
    import networkx as nx  # noqa: PLC0415 (only for the money graph: ~0.1 s of import a run's money need not pay first)

    graph = nx.DiGraph()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if a != world and b != world and i != j and matrix[i, j] > min_usd:
                graph.add_edge(a, b, amount_usd=float(matrix[i, j]))
    return graph


def cycles(graph: nx.DiGraph, entry_usd: dict[str, float] | None = None) -> list[list[str]]:
    """Simple cycles, closed (first name repeated), each starting where the most outside
    money enters it (``entry_usd``: a party's inflow from the world), then its largest payer."""
    import networkx as nx  # noqa: PLC0415 (see money_graph)

    entry = entry_usd or {}
    found = []
    for cycle in nx.simple_cycles(graph):
        paid = [graph[cycle[i]][cycle[(i + 1) % len(cycle)]]["amount_usd"] for i in range(len(cycle))]
        start = max(range(len(cycle)), key=lambda i: (entry.get(cycle[i], 0.0), paid[i]))
        ordered = cycle[start:] + cycle[:start]
        found.append([*ordered, ordered[0]])
    return sorted(found, key=lambda c: (len(c), c))


def sankey(matrix: np.ndarray, names: list[str]) -> dict[str, Any]:
    """Nodes and links lists for a Sankey chart (links index into nodes)."""
    used = [i for i in range(len(names)) if matrix[i].sum() > 0 or matrix[:, i].sum() > 0]
    index = {i: k for k, i in enumerate(used)}
    links = [
        {"source": index[i], "target": index[j], "value": float(matrix[i, j])}
        for i in used
        for j in used
        if i != j and matrix[i, j] > 0
    ]
    return {"nodes": [{"name": names[i]} for i in used], "links": links}


def _contracts_between(ledger: Ledger, periods: slice | None) -> dict[tuple[str, str], set[str]]:
    """The contracts that carry money from each payer to each payee (in any draw) over ``periods``."""
    paid = ledger.totals(periods).mean(axis=1)
    out: dict[tuple[str, str], set[str]] = {}
    for e in np.nonzero(paid > 0)[0]:
        pair = (str(ledger.payer[e]), str(ledger.payee[e]))
        out.setdefault(pair, set()).add(str(ledger.contract[e]))
    return out


def _lending_exchange(cycle: list[str], legs: dict[tuple[str, str], set[str]]) -> bool:
    """A two-party cycle whose legs both ways are the same contracts (loans drawn and repaid: one,
    or several between the same lender and borrower, as Vantage's two project loans from
    JPMorgan): an exchange between two parties, not money going round."""
    if len(cycle) != 3:
        return False
    there, back = legs.get((cycle[0], cycle[1]), set()), legs.get((cycle[1], cycle[0]), set())
    return bool(there) and there == back


def window_periods(edges: np.ndarray, from_day: float | None = None, to_day: float | None = None) -> slice:
    """The whole periods that overlap ``[from_day, to_day]`` (either end open when ``None``)."""
    lo = -np.inf if from_day is None else from_day
    hi = np.inf if to_day is None else to_day
    inside = np.nonzero((edges[:-1] <= hi) & (edges[1:] > lo))[0]
    if inside.size == 0:
        raise ValueError("the window holds no finance period")
    return slice(int(inside[0]), int(inside[-1]) + 1)


def _median_over_draws(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of a flow matrix ``(draw, payer, payee)``, worked out only in
    the cells that hold a bit other than +0.0 in some draw (a few dozen of the payer × payee
    cells): the median of a column of +0.0 is +0.0, the others are ``np.median``'s own."""
    flat = values.reshape(len(values), -1)
    out = np.zeros(flat.shape[1])
    used = np.flatnonzero(np.ascontiguousarray(flat).view(np.int64).any(axis=0))
    out[used] = np.median(flat[:, used], axis=0)
    return out.reshape(values.shape[1:])


def flows_summary(ledger: Ledger | xr.Dataset, periods: slice | None = None) -> dict[str, Any]:
    """Cycles (on the median graph), circularity per party (P10/P50/P90) and Sankey data,
    over the ``periods`` of the ledger (all by default; see :func:`window_periods`; a dense
    ledger, :meth:`Ledger.dataset`, is read as its entries).

    Two-party cycles whose legs both ways are the same contracts (loans drawn and repaid) are
    ``exchanges``, not ``cycles``, and their contracts are left out of circularity: money
    lent and repaid is not money going round (docs/circularity.md)."""
    if not isinstance(ledger, Ledger):
        ledger = Ledger.from_dataset(ledger)
    totals = ledger.totals(periods)
    names = involved(ledger)  # parties with no entry change no path and have no circularity
    values = flow_matrix(ledger, periods, totals=totals, parties=names)
    median = _median_over_draws(values)
    entry = {n: float(median[names.index(WORLD), j]) for j, n in enumerate(names)} if WORLD in names else {}
    found = cycles(money_graph(median, names), entry)
    legs = _contracts_between(ledger, periods)
    exchanges = [c for c in found if _lending_exchange(c, legs)]
    lent = {contract for c in exchanges for contract in legs[(c[0], c[1])]}
    if lent:
        kept = ~np.isin(ledger.contract, sorted(lent))
        values = flow_matrix(ledger, periods, kept, totals, names)
    share = circularity(values, names)
    result: dict[str, Any] = {
        "cycles": [c for c in found if c not in exchanges],
        "exchanges": exchanges,
        "circularity": {},
        "sankey": sankey(median, names),
    }
    for j, name in enumerate(names):
        column = share[:, j]
        if name == WORLD or np.all(np.isnan(column)):
            continue
        finite = column[~np.isnan(column)]
        q = percentiles(finite)  # np.nanpercentile's numbers, bit for bit
        result["circularity"][name] = {
            "p10": float(q[0]),
            "p50": float(q[1]),
            "p90": float(q[2]),
            "p50_se": median_se(finite),
        }
    return result


def median_se(values: np.ndarray) -> float:
    """Standard error of the median of ``values`` without assuming a shape: the width of the
    order-statistic 95% interval for the median (ranks n/2 ± 1.96·√n/2; Conover, *Practical
    Nonparametric Statistics*, 3rd ed., 1999, §3.2) over 2 × 1.96. A share that is zero in some
    draws and well above it in others has a median far less certain than its P10–P90 band
    suggests; this reads the draws around the median itself (``runs compare`` tests with it)."""
    half_width_percent = min(50.0, 98.0 / math.sqrt(values.size))
    low, high = np.percentile(values, [50.0 - half_width_percent, 50.0 + half_width_percent])
    return float(high - low) / (2 * 1.96)
