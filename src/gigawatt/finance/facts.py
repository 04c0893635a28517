"""What the money layer takes as observed, never drawn: a party's reported cash at its date, and
the periods before the scenario's as-of date.

**Forecast periods.** The periods that start on or after ``time.as_of`` (every period when the
scenario states none: its as-of is then ``time.start``). Only there does a funding policy raise,
a covenant get tested, an outside capital need count and a party run short in settlement. Before
it, what a party raised is what the scenario's dated deals say, and every party pays what it
owes: the past is not a draw.

**Cash at a date.** A party's ``cash`` is its balance at the grid's start, or, with ``cash_date``,
at the end of that day (never after as-of: a reported balance is a fact). With a date, its
opening balance is solved back per draw, ``opening = cash − net flows from the grid's start to
the end of cash_date`` (a period's flows spread evenly over its days where the date falls inside
it), so that its position at that date is the stated cash in every draw. The opening is then
what every reader of ``parties.PARTY.cash`` uses. It is well defined because nothing before the
as-of date depends on cash (the rules above), and the cash date is never after it.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gigawatt.finance.contracts import Flow
from gigawatt.scenario import Scenario

__all__ = ["forecast_from", "net_to_day", "open_at_cash_dates", "party_net"]


def forecast_from(scenario: Scenario, edges: np.ndarray) -> int:
    """The first forecast period: the first that starts on or after ``time.as_of`` (the number of
    periods if none does); the first period when the scenario states no as-of date."""
    as_of = scenario.time.as_of_date
    if as_of is None:
        return 0
    return int(np.searchsorted(edges[:-1], float(as_of.mid), side="left"))


def net_to_day(net: np.ndarray, edges: np.ndarray, day: float) -> np.ndarray:
    """Net flows ``(draw, period)`` summed from the grid's start to the end of ``day`` ``(draw,)``:
    the periods before it in full, the one it falls in by its share of days elapsed."""
    point = day + 1.0  # the end of the day
    k = int(np.searchsorted(edges, point, side="right")) - 1  # edges[k] <= point < edges[k + 1]
    if k < 0:
        return np.zeros(net.shape[0])
    if k >= net.shape[1]:
        return np.asarray(net.sum(axis=1))
    share = (point - edges[k]) / (edges[k + 1] - edges[k])
    out: np.ndarray = net[:, :k].sum(axis=1) + share * net[:, k]
    return out


def party_net(flows: Iterable[Flow], party: str, shape: tuple[int, int]) -> np.ndarray:
    """A party's net cash flow ``(draw, period)``: what it receives less what it pays (a flow from
    itself to itself: nothing), added in the flows' order."""
    net = np.zeros(shape)
    for f in flows:
        if f.payee == party and f.payer != party:
            net += f.amount_usd
        elif f.payer == party and f.payee != party:
            net -= f.amount_usd
    return net


def open_at_cash_dates(
    scenario: Scenario, p: dict[str, np.ndarray], edges: np.ndarray, flows: list[Flow]
) -> None:
    """Each party that states ``cash_date``: ``p["parties.PARTY.cash"]``, drawn as its cash at that
    date, replaced by its opening balance at the grid's start (module doc). ``flows`` are every
    flow before covenants and funding policies act: these change nothing before the as-of date."""
    periods = len(edges) - 1
    for name, party in scenario.parties.items():
        key = f"parties.{name}.cash"
        if party.cash_date is None or key not in p:
            continue
        stated = p[key]
        net = party_net(flows, name, (len(stated), periods))
        p[key] = stated - net_to_day(net, edges, float(party.cash_date.mid))
