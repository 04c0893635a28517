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

from typing import Any

import networkx as nx
import numpy as np
import xarray as xr

from gigawatt.finance.ledger import WORLD, flow_matrix

__all__ = ["circularity", "cycles", "money_graph", "sankey", "flows_summary", "window_periods"]

_LEAK = 1e-12


def circularity(matrix: np.ndarray, names: list[str], world: str = WORLD) -> np.ndarray:
    """Share of each party's inflows from the system that is its own earlier outflows returning.

    ``matrix[..., i, j]`` is money paid by ``names[i]`` to ``names[j]``; leading axes (draws)
    broadcast. Returns ``(..., party)``; NaN for a party with no inflow from the system.
    """
    w = np.asarray(matrix, dtype=float)
    n = w.shape[-1]
    outflow, inflow = w.sum(axis=-1), w.sum(axis=-2)
    pool = np.maximum(outflow, inflow)
    transfer = np.divide(w, pool[..., None], out=np.zeros_like(w), where=pool[..., None] > 0)
    if world in names:
        transfer[..., names.index(world), :] = 0.0  # the world is a sink
    identity = np.eye(n)
    out = np.full(w.shape[:-1], np.nan)
    for j in range(n):
        if names[j] == world:
            continue
        t = transfer.copy()
        t[..., j, :] = 0.0  # j absorbs what comes back
        # arrivals x solve x = w[j] + x @ t  →  (I - t)^T x^T = w[j]^T
        # a vanishing leak keeps loops that never return to j (money circling forever) finite
        a = np.swapaxes(identity - (1 - _LEAK) * t, -1, -2)
        x = np.linalg.solve(a, w[..., j, :][..., None])[..., 0]
        system_in = inflow[..., j] - (w[..., names.index(world), j] if world in names else 0.0)
        out[..., j] = np.where(system_in > 0, x[..., j] / np.where(system_in > 0, system_in, 1.0), np.nan)
    return out


def money_graph(matrix: np.ndarray, names: list[str], world: str = WORLD, min_usd: float = 0.0) -> nx.DiGraph:
    """A directed graph of payments (one draw or a median), world excluded."""
    graph = nx.DiGraph()
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            if a != world and b != world and i != j and matrix[i, j] > min_usd:
                graph.add_edge(a, b, amount_usd=float(matrix[i, j]))
    return graph


def cycles(graph: nx.DiGraph, entry_usd: dict[str, float] | None = None) -> list[list[str]]:
    """Simple cycles, closed (first name repeated), each starting where the most outside
    money enters it (``entry_usd``: a party's inflow from the world), then its largest payer."""
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


def _contracts_between(ledger: xr.Dataset, periods: slice | None) -> dict[tuple[str, str], set[str]]:
    """The contracts that carry money from each payer to each payee (in any draw) over ``periods``."""
    paid = ledger.amount_usd.values[:, periods or slice(None), :].sum(axis=1).mean(axis=0)
    out: dict[tuple[str, str], set[str]] = {}
    for e in np.nonzero(paid > 0)[0]:
        pair = (str(ledger.payer.values[e]), str(ledger.payee.values[e]))
        out.setdefault(pair, set()).add(str(ledger.contract.values[e]))
    return out


def _one_contract_exchange(cycle: list[str], legs: dict[tuple[str, str], set[str]]) -> bool:
    """A two-party cycle whose both legs are one contract's (a loan drawn and repaid): an
    exchange between two parties, not money going round."""
    if len(cycle) != 3:
        return False
    there, back = legs.get((cycle[0], cycle[1]), set()), legs.get((cycle[1], cycle[0]), set())
    return len(there) == 1 and there == back


def window_periods(edges: np.ndarray, from_day: float | None = None, to_day: float | None = None) -> slice:
    """The whole periods that overlap ``[from_day, to_day]`` (either end open when ``None``)."""
    lo = -np.inf if from_day is None else from_day
    hi = np.inf if to_day is None else to_day
    inside = np.nonzero((edges[:-1] <= hi) & (edges[1:] > lo))[0]
    if inside.size == 0:
        raise ValueError("the window holds no finance period")
    return slice(int(inside[0]), int(inside[-1]) + 1)


def flows_summary(ledger: xr.Dataset, periods: slice | None = None) -> dict[str, Any]:
    """Cycles (on the median graph), circularity per party (P10/P50/P90) and Sankey data,
    over the ``periods`` of the ledger (all by default; see :func:`window_periods`).

    Two-party cycles made of one contract's two legs (a loan drawn and repaid) are
    ``exchanges``, not ``cycles``, and their contracts are left out of circularity: money
    lent and repaid is not money going round (docs/circularity.md)."""
    matrix = flow_matrix(ledger, periods)
    names = [str(n) for n in matrix.payer.values]
    values = matrix.values
    median = np.median(values, axis=0)
    entry = {n: float(median[names.index(WORLD), j]) for j, n in enumerate(names)} if WORLD in names else {}
    found = cycles(money_graph(median, names), entry)
    legs = _contracts_between(ledger, periods)
    exchanges = [c for c in found if _one_contract_exchange(c, legs)]
    lent = {contract for c in exchanges for contract in legs[(c[0], c[1])]}
    if lent:
        kept = ~np.isin(ledger.contract.values.astype(str), sorted(lent))
        values = flow_matrix(ledger, periods, kept).values
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
        q = np.nanpercentile(column, [10, 50, 90])
        result["circularity"][name] = {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
    return result
