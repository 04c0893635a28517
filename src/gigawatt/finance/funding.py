"""Outside capital: how much each party needs beyond its cash and known deals, and what its
funding policy raises.

**Need.** A party's cash position is its opening ``cash`` (solved back from a ``cash_date``:
:mod:`gigawatt.finance.facts`) plus its net cash flow (known deals included). Whatever takes the
position below the policy's ``floor`` (zero without a policy) from the as-of date on must come
from outside: the need is the deepest such gap over the forecast periods, per draw, and its first
date the first of them with the position below the floor (before the as-of date, what was raised
is what the dated deals say). Every party that declares cash or a policy is measured, and every
other party whose modelled flows take it below zero from the as-of date on (``cash_stated``
false): its own cash is not stated, so its need is what the modelled flows leave it to find from
its own cash or from outside, not a finding about its solvency. Its position is taken from the
as-of date: what it had received net by then, if positive, is still its cash; what it had paid
beyond its receipts by then was paid (a fact), so it is not a need after the as-of date.

**Policy** (:class:`gigawatt.financing.FundingPolicy`). Period by period from the as-of date, the party pays
interest on what it has raised, repays a revolver from cash above the floor, and when its
position is below the floor draws on its instruments in order: each up to what is left of its
``capacity_per_year`` that calendar year (a revolver: up to its ``limit`` outstanding), and debt
only while all the party's debt — known loans and policy debt — stays within the cap
(``max_debt``, and ``max_leverage`` × trailing-year operating cash flow, as the covenants
measure it). Policy bonds and term loans are not repaid inside the horizon (rolled over; at
the horizon they are valued at par, :mod:`gigawatt.finance.terminal`). What the policy cannot
raise is the **shortfall**. The raises and their interest are ledger flows with the world, so
statements, stress settlement and the money graph see them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.contracts import Flow
from gigawatt.finance.covenants import FINANCING, trailing
from gigawatt.finance.facts import forecast_from
from gigawatt.finance.ledger import WORLD
from gigawatt.finance.quantiles import bands
from gigawatt.financing import FundingPolicy
from gigawatt.scenario import Scenario

__all__ = ["PartyFunding", "FundingOutcome", "fund", "funding_need", "policy_contract"]


@dataclass
class PartyFunding:
    """One party's outside capital ``(draw,)`` / ``(draw, period)``, in USD."""

    need_usd: np.ndarray
    first_period: np.ndarray
    cumulative_need_usd: np.ndarray
    raised_usd: dict[str, np.ndarray] = field(default_factory=dict)
    outstanding_debt_usd: np.ndarray | None = None
    shortfall_usd: np.ndarray | None = None
    has_policy: bool = False
    #: whether the party declares its ``cash``: without it, the need is beyond the modelled flows
    cash_stated: bool = True
    #: per draw, whether the first need is a known loan falling due (:func:`_refinancing`)
    refinancing: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))


@dataclass
class FundingOutcome:
    parties: dict[str, PartyFunding]
    flows: list[Flow]


def policy_contract(party: str, index: int, kind: str) -> str:
    """The ledger's contract name for a policy instrument."""
    return f"funding:{party}:{kind}#{index}"


def _nets(
    flows: list[Flow], parties: list[str], shape: tuple[int, int]
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Each party's net cash flow ``(draw, period)`` in one pass over the flows (the same sums, in
    the same order, as :func:`gigawatt.finance.facts.party_net` for each), and the principal of
    known loans it repays, for the parties that repay any."""
    nets = {n: np.zeros(shape) for n in parties}
    repaid: dict[str, np.ndarray] = {}
    for f in flows:
        if f.payer == f.payee:
            continue
        if f.payee in nets:
            nets[f.payee] += f.amount_usd
        if f.payer in nets:
            nets[f.payer] -= f.amount_usd
            if f.kind == "principal":
                repaid[f.payer] = repaid.get(f.payer, np.zeros(shape)) + f.amount_usd
    return nets, repaid


def _position(flows: list[Flow], party: str, net: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Net cash flow (given), operating cash flow (no financing, no capital purchases) and known
    debt outstanding of ``party``, each ``(draw, period)``."""
    shape = net.shape
    operating, debt = np.zeros(shape), np.zeros(shape)
    for f in flows:
        sign = (f.payee == party) * 1.0 - (f.payer == party) * 1.0
        if not sign:
            continue
        amount = np.broadcast_to(f.amount_usd, shape)
        add = np.add if sign > 0 else np.subtract
        if f.kind not in FINANCING and f.kind != "purchase":
            add(operating, amount, out=operating)
        if f.payee == party and f.kind == "loan_draw":
            debt += amount
        elif f.payer == party and f.kind == "principal":
            debt -= amount
    return net, operating, np.cumsum(debt, axis=1)


def fund(
    scenario: Scenario, p: dict[str, np.ndarray], edges: np.ndarray, flows: list[Flow]
) -> FundingOutcome:
    """Each party's need and, where it has a policy, what the policy raises (module doc)."""
    draws = len(next(iter(p.values())))
    periods = len(edges) - 1
    shape = (draws, periods)
    window = max(1, round(DAYS_PER_YEAR / float(np.mean(np.diff(edges)))))
    names = [n for n in scenario.parties if n != WORLD]
    nets, repaid = _nets(flows, names, shape)
    out: dict[str, PartyFunding] = {}
    new_flows: list[Flow] = []
    start = forecast_from(scenario, edges)  # the first forecast period (finance.facts)
    for party in names:
        policy = scenario.funding.get(party)
        stated = f"parties.{party}.cash" in p
        if not stated and policy is None:
            result = _unstated_need(nets[party], start)
            if result is not None:
                out[party] = _refinancing(result, repaid.get(party))
            continue
        base = f"funding.{party}"
        cash0 = p.get(f"parties.{party}.cash", np.zeros(draws))
        floor = p[f"{base}.floor"] if policy is not None else np.zeros(draws)
        net, operating, known_debt = _position(flows, party, nets[party])
        position = cash0[:, None] + np.cumsum(net, axis=1)
        result = _refinancing(_need(floor[:, None] - position, start), repaid.get(party))
        result.cash_stated = stated
        out[party] = result
        if policy is None:
            continue
        result.has_policy = True
        new_flows += _apply_policy(
            policy, party, p, edges, (net, operating, known_debt), cash0, floor, result, window, start
        )
    return FundingOutcome(out, new_flows)


def _need(gap: np.ndarray, start: int) -> PartyFunding:
    """The need from a party's gap below its floor ``(draw, period)``, counted from period ``start``
    (before the as-of date nothing is needed: what was raised is the dated deals), worked on in place."""
    np.clip(gap, 0.0, None, out=gap)
    if start:
        gap[:, :start] = 0.0
    below = gap > 1.0
    return PartyFunding(
        need_usd=gap.max(axis=1),
        first_period=np.where(below.any(axis=1), np.argmax(below, axis=1), -1),
        cumulative_need_usd=np.maximum.accumulate(gap, axis=1),
        refinancing=np.zeros(gap.shape[0], bool),
    )


def _refinancing(result: PartyFunding, repaid: np.ndarray | None) -> PartyFunding:
    """``result`` with ``refinancing``: per draw, whether its first need comes in a period where the
    party repays at least that much principal of known loans (a loan falling due: a refinancing)."""
    first = result.first_period
    if repaid is not None:
        rows, k = np.nonzero(first >= 0)[0], first[first >= 0]
        due = np.broadcast_to(repaid, result.cumulative_need_usd.shape)[rows, k]
        result.refinancing[rows] = due >= result.cumulative_need_usd[rows, k]
    return result


def _unstated_need(net: np.ndarray, start: int) -> PartyFunding | None:
    """The need of a party that states no cash and no policy (module doc): its position from the
    as-of date, its net received by then if positive plus its net flows after, below zero; ``None``
    where it never falls a dollar below in any draw (it is not reported)."""
    position = np.cumsum(net, axis=1)
    if start:
        position[:, start:] -= np.minimum(position[:, start - 1], 0.0)[:, None]
    if not (position[:, start:] < -1.0).any():  # never a dollar below (most parties): nothing to measure
        return None
    result = _need(-position, start)
    if not (result.first_period >= 0).any():
        return None
    result.cash_stated = False
    return result


def _apply_policy(
    policy: FundingPolicy,
    party: str,
    p: dict[str, np.ndarray],
    edges: np.ndarray,
    position: tuple[np.ndarray, np.ndarray, np.ndarray],
    cash0: np.ndarray,
    floor: np.ndarray,
    result: PartyFunding,
    window: int,
    start: int = 0,
) -> list[Flow]:
    """A party's funding policy period by period (module doc): what each instrument raises, its
    interest and a revolver's repayments as ledger flows; the shortfall and the debt outstanding
    at the horizon into ``result``. ``position``: the party's net, operating cash flow and known
    debt outstanding ``(draw, period)``; the policy acts from period ``start`` (the first after
    the as-of date: before it, cash only moves by the net cash flow)."""
    net, operating, known_debt = position
    draws, periods = net.shape
    base = f"funding.{party}"
    years = np.array([units.date_from_days(d).year for d in edges[:-1]])
    period_years = np.diff(edges) / DAYS_PER_YEAR
    instruments = policy.instruments
    rate = [p[f"{base}.instruments[{i}].rate"] for i in range(len(instruments))]
    # period-major (period, draw) inside the loop: each period's row is contiguous
    by_period = (periods, draws)
    raised = [np.zeros(by_period) for _ in instruments]
    repaid = [np.zeros(by_period) for _ in instruments]
    outstanding = [np.zeros(draws) for _ in instruments]
    interest = [np.zeros(by_period) for _ in instruments]
    used_this_year = [np.zeros(draws) for _ in instruments]
    shortfall = np.zeros(by_period)
    net_t, known_t = np.ascontiguousarray(net.T), np.ascontiguousarray(known_debt.T)
    cap_t = _debt_cap(policy, base, p, operating, window)
    cash = cash0.copy()
    for k in range(periods):
        if k and years[k] != years[k - 1]:
            used_this_year = [np.zeros(draws) for _ in instruments]
        cash = cash + net_t[k]
        if k < start:
            continue
        for i, inst in enumerate(instruments):
            if inst.kind != "equity":
                interest[i][k] = outstanding[i] * rate[i] * period_years[k]
                cash = cash - interest[i][k]
            if inst.kind == "revolver":
                back = np.clip(np.minimum(outstanding[i], cash - floor), 0.0, None)
                repaid[i][k], outstanding[i] = back, outstanding[i] - back
                cash = cash - back
        deficit = np.clip(floor - cash, 0.0, None)
        debt = known_t[k] + sum(
            o for o, inst in zip(outstanding, instruments, strict=True) if inst.kind != "equity"
        )
        for i, inst in enumerate(instruments):
            if inst.kind == "revolver":
                room = p[f"{base}.instruments[{i}].limit"] - outstanding[i]
            else:
                room = p[f"{base}.instruments[{i}].capacity_per_year"] - used_this_year[i]
            if inst.kind != "equity":
                room = np.minimum(room, cap_t[k] - debt)
            take = np.clip(np.minimum(deficit, room), 0.0, None)
            raised[i][k] = take
            used_this_year[i] = used_this_year[i] + take
            if inst.kind != "equity":
                outstanding[i] = outstanding[i] + take
                debt = debt + take
            deficit, cash = deficit - take, cash + take
        shortfall[k] = deficit
    result.shortfall_usd = shortfall.max(axis=0)
    result.outstanding_debt_usd = sum((o for o in outstanding), np.zeros(draws))
    return _policy_flows(policy, party, raised, repaid, interest, result)


def _debt_cap(
    policy: FundingPolicy, base: str, p: dict[str, np.ndarray], operating: np.ndarray, window: int
) -> np.ndarray:
    """The most debt the policy allows, (period, draw): its stated cap and its leverage cap on
    the trailing operating cash flow (``window`` periods), the lower."""
    cap = np.full(operating.shape, np.inf)
    if policy.max_debt_usd is not None:
        cap = np.minimum(cap, p[f"{base}.max_debt"][:, None])
    if policy.max_leverage is not None:
        op_trailing = trailing(operating, window)
        cap = np.minimum(cap, p[f"{base}.max_leverage"][:, None] * np.clip(op_trailing, 0.0, None))
    return np.ascontiguousarray(cap.T)


def _policy_flows(
    policy: FundingPolicy,
    party: str,
    raised: list[np.ndarray],
    repaid: list[np.ndarray],
    interest: list[np.ndarray],
    result: PartyFunding,
) -> list[Flow]:
    """The ledger flows of what each instrument raised, its interest and a revolver's repayments
    (each given (period, draw), laid out (draw, period) here: only those that become flows, so an
    equity's interest and a term loan's repayments, all zero, are never copied); what each raised
    in total into ``result``."""
    flows: list[Flow] = []
    for i, inst in enumerate(policy.instruments):
        name = policy_contract(party, i, inst.kind)
        raised_usd = np.ascontiguousarray(raised[i].T)
        result.raised_usd[f"{inst.name or inst.kind}#{i}"] = raised_usd.sum(axis=1)
        kind = "equity" if inst.kind == "equity" else "loan_draw"
        flows.append(Flow(WORLD, party, name, kind, raised_usd))
        if inst.kind != "equity":
            flows.append(Flow(party, WORLD, name, "interest", np.ascontiguousarray(interest[i].T)))
        if inst.kind == "revolver":
            flows.append(Flow(party, WORLD, name, "principal", np.ascontiguousarray(repaid[i].T)))
    return flows


def funding_need(outcome: FundingOutcome, edges: np.ndarray) -> dict[str, Any]:
    """Per party: outside capital needed (P10/P50/P90, USD), its first date, the cumulative need
    at each year end (P50), whether it states its cash, what the policy raises by instrument, and
    the shortfall after it (``None`` for a party with neither cash nor policy stated)."""
    years = np.array([units.date_from_days(d).year for d in edges[:-1]])
    year_ends = {int(y): int(np.nonzero(years == y)[0][-1]) for y in sorted(set(years.tolist()))}
    out: dict[str, Any] = {}
    for party, f in outcome.parties.items():
        hit = f.first_period >= 0
        first = np.where(hit, edges[:-1][np.maximum(f.first_period, 0)], np.nan)
        row: dict[str, Any] = {
            **bands(f.need_usd),
            "probability_needed": float(hit.mean()),
            "first_date": {k: None if v is None else units.format_date(v) for k, v in bands(first).items()},
            "by_year_end_p50_usd": {
                str(y): float(np.median(f.cumulative_need_usd[:, k])) for y, k in year_ends.items()
            },
            "policy": f.has_policy,
            "cash_stated": f.cash_stated,
            # of the draws that need capital, the share whose first need is a known loan falling due
            "refinancing_share": float(f.refinancing[hit].mean()) if hit.any() else 0.0,
            "by_instrument": {k: bands(v) for k, v in f.raised_usd.items()},
        }
        if f.shortfall_usd is not None:
            row["shortfall_usd"] = bands(f.shortfall_usd)
            row["probability_shortfall"] = float(np.mean(f.shortfall_usd > 1.0))
        elif f.cash_stated:  # no policy: short of its own stated cash by the need
            row["shortfall_usd"] = bands(f.need_usd)
            row["probability_shortfall"] = float(hit.mean())
        else:  # neither: outside capital it must raise, not a finding that it runs short
            row["shortfall_usd"] = None
            row["probability_shortfall"] = None
        out[party] = row
    return out
