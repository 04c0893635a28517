"""Instruments still outstanding at the horizon, valued at the horizon (terminal value).

The ledger stops at ``time.end``; a bond maturing after it has paid its holders interest
but not yet their principal, so summing cash alone shows them a loss that is only a cut-off.
Each open position is therefore valued at the horizon's end, by a stated convention, and
added to both sides' NPV (never to the ledger, which holds cash only), discounted from there with
the last period's flows to the date the NPV is valued at, the scenario's as-of date
(:mod:`gigawatt.finance.statements`):

* loan or bond (a funding policy's debt too) — the principal still outstanding, at par
  (the borrower owes it, the lender holds it): the book value of a performing loan;
* equity investment — the amount paid in, at cost (the investor holds it, the investee's
  owners have diluted by it): no mark-up or loss is invented for an unlisted stake. Equity a
  funding policy raises counts the same way (its investors are the world, outside the
  statements): the issuer's NPV counts money raised, not earned, only for the time value of
  holding it, as with a dated round;
* warrant — vested shares at their value when they vested (the share-price path's price then,
  less strike), which the issuer has given away: like equity at cost, no later gain or loss;
* lease running past the horizon — its remaining contracted payments, each phase's own
  schedule as drawn (rent, yearly escalator from its online date, renewals taken, to its term's
  end) and its residual value guarantee at its end, discounted to the horizon at the NPV's
  discount rate (continuously, at ``ln(1 + rate)`` a year; payment terms ignored after the
  horizon): a receivable for the lessor, a liability for the lessee, as if the ledger ran on.
  The asset the lessor keeps after the lease (its residual value) is not counted;
* compute contract whose term runs past the horizon — the same, on its own schedule: each
  phase's part of the value a day (``term_from: online``: from its online date; else the
  contract's, at the delivered share and usage of the horizon's last period), less what was
  prepaid, to its term's end: a receivable for the seller, a liability for the buyer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.contracts import PaymentSchedule
from gigawatt.finance.funding import policy_contract
from gigawatt.finance.ledger import WORLD, entry_sum
from gigawatt.finance.model import Money

__all__ = ["TerminalValue", "terminal_values", "terminal_by_party", "lease_value_usd", "CONVENTIONS"]

#: How each kind of open position is valued at the horizon (shown with the figures).
CONVENTIONS = {
    "loan": "principal outstanding at par",
    "investment": "equity at cost (amount paid in; a funding policy's equity too)",
    "warrant": "vested shares at their value when they vested",
    "lease": "remaining payments (escalated, to the term's end) and residual value guarantee, "
    "discounted to the horizon at the NPV's discount rate",
    "compute": "remaining payments to the term's end (the last period's delivered share), "
    "discounted to the horizon at the NPV's discount rate",
}


@dataclass(frozen=True)
class TerminalValue:
    """One open position at the horizon: ``holder`` owns ``value_usd`` (per draw) of ``issuer``."""

    contract: str
    kind: str
    holder: str
    issuer: str
    value_usd: np.ndarray


def terminal_values(money: Money, discount_rate: float = 0.10) -> list[TerminalValue]:
    """Every contract's position still open at the horizon's end, per draw (zero rows left out);
    ``discount_rate`` (a year) discounts what a lease pays after the horizon back to it."""
    out = []
    book = money.book
    totals = book.totals()  # (entry, draw)

    def total(name: str, kind: str) -> np.ndarray:
        return entry_sum(totals, (book.contract == name) & (book.kind == kind), totals.shape[1:])

    def add(name: str, kind: str, holder: str, issuer: str, value: np.ndarray) -> None:
        value = np.clip(value, 0.0, None)
        if np.any(value > 1.0):
            out.append(TerminalValue(name, kind, holder, issuer, value))

    for name, contract in money.scenario.contracts.items():
        result = money.results.get(name)
        if contract.kind == "loan":
            add(
                name,
                "loan",
                contract.payer,
                contract.payee,
                total(name, "loan_draw") - total(name, "principal"),
            )
        elif contract.kind == "investment":
            add(name, "investment", contract.payer, contract.payee, total(name, "equity"))
        elif contract.kind == "warrant" and result is not None and result.warrant_granted_usd is not None:
            add(name, "warrant", contract.payee, contract.payer, result.warrant_granted_usd[:, -1])
        elif contract.kind in ("lease", "compute") and result is not None and result.schedule is not None:
            value = lease_value_usd(result.schedule, float(money.edges[-1]), discount_rate)
            add(name, contract.kind, contract.payee, contract.payer, value)
    for party, funded in money.funding.parties.items() if money.funding else ():
        debt = funded.outstanding_debt_usd
        if debt is not None:
            add(f"funding:{party}", "loan", WORLD, party, debt)
        policy = money.scenario.funding.get(party)
        for i, instrument in enumerate(policy.instruments if policy and funded.has_policy else ()):
            if instrument.kind == "equity":
                name = policy_contract(party, i, "equity")
                add(name, "investment", WORLD, party, total(name, "equity"))
    return out


def lease_value_usd(schedule: PaymentSchedule, horizon_day: float, rate_per_year: float) -> np.ndarray:
    """What a lease (or compute contract) still pays after ``horizon_day`` (module doc), per draw,
    valued there: each phase's payments year by year from its start (whole years escalate them),
    discounted continuously at ``ln(1 + rate_per_year)``, and its guarantee at its end."""
    start = schedule.start_day
    end = start + schedule.term_days[:, None]
    live = np.isfinite(start) & (end > horizon_day)
    value = np.zeros(start.shape[0])
    if not live.any():
        return value
    delta = np.log1p(rate_per_year) / DAYS_PER_YEAR  # per day

    def discount(day: np.ndarray) -> np.ndarray:
        out: np.ndarray = np.exp(-delta * (day - horizon_day))
        return out

    start = np.where(live, start, horizon_day)
    end = np.where(live, end, horizon_day)
    begin = np.maximum(start, horizon_day)
    first = int(np.floor(((begin - start) / DAYS_PER_YEAR)[live].min()))
    last = int(np.ceil(((end - start) / DAYS_PER_YEAR)[live].max()))
    for year in range(first, last):  # the rent of each whole year since the phase's start
        a = np.clip(start + year * DAYS_PER_YEAR, begin, end)
        b = np.clip(start + (year + 1) * DAYS_PER_YEAR, begin, end)
        days = (discount(a) - discount(b)) / delta if delta else b - a
        value += (schedule.usd_per_day * days).sum(axis=1) * schedule.growth**year
    if schedule.guarantee_usd is not None:
        value += np.where(live, schedule.guarantee_usd * discount(end), 0.0).sum(axis=1)
    return value


def terminal_by_party(
    money: Money, party: str, positions: list[TerminalValue] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
    """A party's terminal value per draw (held minus owed), its part per contract and per kind of
    position (:data:`CONVENTIONS`' keys); ``positions`` are :func:`terminal_values` if already
    computed."""
    draws = money.book.shape[0]
    total = np.zeros(draws)
    parts: dict[str, np.ndarray] = {}
    kinds: dict[str, np.ndarray] = {}
    for tv in terminal_values(money) if positions is None else positions:
        sign = (tv.holder == party) * 1.0 - (tv.issuer == party) * 1.0
        if sign:
            parts[tv.contract] = sign * tv.value_usd
            kinds[tv.kind] = kinds.get(tv.kind, np.zeros(draws)) + parts[tv.contract]
            total += sign * tv.value_usd
    return total, parts, kinds
