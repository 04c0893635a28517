"""The money of a recorded run, compact enough to store with its summary.

A plain ``gigawatt run`` simulates many draws of the buildout; its money is computed on
the first :data:`MONEY_DRAWS` of them (same seed: the same buildout draws, common random
numbers) and kept as P10/P50/P90 bands: the flows between parties (for the Sankey), each
party's net cash flow per calendar year, each seller's remaining performance obligation
(RPO) per period, each party's circularity and the money loops, and each programme
commitment checked against simulated capex (:mod:`gigawatt.finance.commitments`). A
scenario without contracts has no money entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.engine.draws import PHASE_LABELS, Draws
from gigawatt.finance.commitments import commitments_summary
from gigawatt.finance.flows import flows_summary
from gigawatt.finance.ledger import WORLD
from gigawatt.finance.model import Money, buildout, simulate_money
from gigawatt.finance.quantiles import percentiles
from gigawatt.runner import MONEY_DRAWS
from gigawatt.scenario import Scenario

__all__ = [
    "MONEY_DRAWS",
    "DrawsBuildout",
    "money_summary",
    "with_money",
    "flow_totals",
    "cash_by_party",
    "rpo_by_seller",
]

_Q = (10, 50, 90)


@dataclass(frozen=True)
class _Variable:
    """One variable of :class:`DrawsBuildout`, as a Dataset's is read: ``values``, ``shape``."""

    values: np.ndarray

    @property
    def shape(self) -> tuple[int, ...]:
        return self.values.shape


@dataclass(frozen=True)
class DrawsBuildout:
    """The engine's :class:`~gigawatt.engine.draws.Draws` (plain numpy) read as the money reads a
    buildout Dataset (``ds.online_date.values``, ``ds.site.values``, ``ds.sizes``, ``"capex_usd" in
    ds``): the same arrays as :meth:`Draws.to_dataset`'s, so a recorded run's money needs neither
    xarray nor pandas (~0.35 s of imports) nor a Dataset built."""

    draws: Draws

    @property
    def sizes(self) -> dict[str, int]:
        return self.draws.sizes

    @cached_property
    def _labels(self) -> dict[str, np.ndarray]:
        phases = self.draws.phases
        labels = {attr: np.asarray([getattr(ph, attr) for ph in phases]) for attr in PHASE_LABELS}
        return {"phase": np.asarray([ph.id for ph in phases]), **labels}

    def __contains__(self, name: str) -> bool:
        return name == "draw" or name in self._labels or name in self.draws.arrays

    def __getattr__(self, name: str) -> _Variable:
        if name.startswith("_"):  # not a variable (copy, pickle and cached_property look these up)
            raise AttributeError(name)
        if name in self._labels:
            return _Variable(self._labels[name])
        if name == "draw" or name in self.draws.arrays:
            return _Variable(self.draws[name].values)
        raise AttributeError(f"the buildout has no variable {name!r}")


def _bands(values: np.ndarray) -> dict[str, list[float]]:
    """P10/P50/P90 over draws (axis 0) of ``(draw, n)``."""
    q = percentiles(values, _Q)
    return {f"p{k}": row.tolist() for k, row in zip(_Q, q, strict=True)}


def flow_totals(money: Money) -> list[dict[str, Any]]:
    """Money over the horizon per payer → payee → kind: the P50 over draws of each total, USD.

    The world (customers, utilities, suppliers outside the system) is a party like the others."""
    book = money.book
    totals = book.totals()  # (entry, draw)
    keys = list(zip(book.payer, book.payee, book.kind, strict=True))
    out = []
    for key in sorted(set(keys)):
        picked = [i for i, k in enumerate(keys) if k == key]
        amount = float(np.median(totals[picked].sum(axis=0)))
        if amount > 0:
            payer, payee, kind = (str(x) for x in key)
            out.append(
                {
                    "name": f"{payer} → {payee}: {kind}",
                    "payer": payer,
                    "payee": payee,
                    "kind": kind,
                    "amount_usd": amount,
                }
            )
    return out


def cash_by_party(money: Money) -> dict[str, Any]:
    """Each party's net cash flow (received − paid) per calendar year, P10/P50/P90, USD.

    Parties with no money at all are left out; the world is left out."""
    book = money.book
    years = np.array([units.date_from_days(d).year for d in money.edges[:-1]])
    year_list = sorted(set(years.tolist()))
    in_year = np.searchsorted(year_list, years)
    parties = {}
    for party in book.parties:
        if party == WORLD:
            continue
        net = book.sum(book.payee == party) - book.sum(book.payer == party)  # (draw, period)
        yearly = np.zeros((len(book.draws), len(year_list)))
        for period, y in enumerate(in_year):  # in period order, as np.add.at
            yearly[:, y] += net[:, period]
        if np.any(yearly):
            parties[str(party)] = _bands(yearly)
    return {"years": year_list, "parties": parties}


def rpo_by_seller(money: Money) -> dict[str, Any]:
    """Remaining performance obligation held by each seller at each period's end, P10/P50/P90, USD."""
    by_seller: dict[str, np.ndarray] = {}
    for name, result in money.results.items():
        if result.rpo_usd is None:
            continue
        seller = money.scenario.contracts[name].payee
        by_seller[seller] = by_seller.get(seller, 0.0) + result.rpo_usd
    if not by_seller:
        return {}
    return {
        "dates": [units.format_date(d) for d in money.edges[1:]],
        "sellers": {seller: _bands(rpo) for seller, rpo in sorted(by_seller.items())},
    }


def money_summary(scenario: Scenario, draws: int, seed: int, built: Any = None) -> dict[str, Any] | None:
    """The money of the first ``min(draws, MONEY_DRAWS)`` draws; ``None`` without contracts or deals.
    ``built``: those draws' buildout when the run already simulated them (else simulated here)."""
    if not scenario.contracts and not scenario.financing:
        return None
    used = min(draws, MONEY_DRAWS)
    money = simulate_money(scenario, built if built is not None else buildout(scenario, used, seed), seed)
    graph = flows_summary(money.book)
    named = {key: party.name for key, party in scenario.parties.items()}
    return {
        "draws": used,
        "seed": seed,
        "period": "quarter",
        "parties": {p: named.get(p, p) for p in money.parties},
        "flows": flow_totals(money),
        "cash_by_party": cash_by_party(money),
        "rpo": rpo_by_seller(money),
        "circularity": graph["circularity"],
        "cycles": graph["cycles"],
        "cycle_names": [[named.get(x, x) for x in cycle] for cycle in graph["cycles"]],
        "commitments": commitments_summary(scenario, money.buildout, money.parameters),
    }


def with_money(
    summary: dict[str, Any], scenario: Scenario, draws: int, seed: int, built: Any = None
) -> dict[str, Any]:
    """A run's summary with its ``money`` entry added (unchanged for a scenario without contracts);
    ``built``: see :func:`money_summary`."""
    money = money_summary(scenario, draws, seed, built)
    return summary if money is None else {**summary, "money": money}
