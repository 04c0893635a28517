"""Instruments still outstanding at the horizon, valued at the horizon (terminal value).

The ledger stops at ``time.end``; a bond maturing after it has paid its holders interest
but not yet their principal, so summing cash alone shows them a loss that is only a cut-off.
Each open position is therefore valued at the horizon's end, by a stated convention, and
added to both sides' NPV (never to the ledger, which holds cash only):

* loan or bond (a funding policy's debt too) — the principal still outstanding, at par
  (the borrower owes it, the lender holds it): the book value of a performing loan;
* equity investment — the amount paid in, at cost (the investor holds it, the investee's
  owners have diluted by it): no mark-up or loss is invented for an unlisted stake;
* warrant — vested shares at their value when they vested (the share-price path's price then,
  less strike), which the issuer has given away: like equity at cost, no later gain or loss;
* lease with a residual value guarantee — nothing: the guarantee is a cash flow at the end
  of the lease's term (:mod:`gigawatt.finance.contracts`), inside the horizon or, after it,
  left out (stated).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.finance.ledger import WORLD, entry_sum
from gigawatt.finance.model import Money

__all__ = ["TerminalValue", "terminal_values", "terminal_by_party", "CONVENTIONS"]

#: How each kind of open position is valued at the horizon (shown with the figures).
CONVENTIONS = {
    "loan": "principal outstanding at par",
    "investment": "equity at cost (amount paid in)",
    "warrant": "vested shares at their value when they vested",
}


@dataclass(frozen=True)
class TerminalValue:
    """One open position at the horizon: ``holder`` owns ``value_usd`` (per draw) of ``issuer``."""

    contract: str
    kind: str
    holder: str
    issuer: str
    value_usd: np.ndarray


def terminal_values(money: Money) -> list[TerminalValue]:
    """Every contract's position still open at the horizon's end, per draw (zero rows left out)."""
    out = []
    book = money.book
    totals = book.totals()  # (entry, draw)

    def total(name: str, kind: str) -> np.ndarray:
        return entry_sum(totals, (book.contract == name) & (book.kind == kind), totals.shape[1:])

    for name, contract in money.scenario.contracts.items():
        result = money.results.get(name)
        if contract.kind == "loan":
            value = total(name, "loan_draw") - total(name, "principal")
            holder, issuer = contract.payer, contract.payee
        elif contract.kind == "investment":
            value = total(name, "equity")
            holder, issuer = contract.payer, contract.payee
        elif contract.kind == "warrant" and result is not None and result.warrant_granted_usd is not None:
            value = result.warrant_granted_usd[:, -1]
            holder, issuer = contract.payee, contract.payer
        else:
            continue
        value = np.clip(value, 0.0, None)
        if np.any(value > 1.0):
            out.append(TerminalValue(name, contract.kind, holder, issuer, value))
    for party, funded in money.funding.parties.items() if money.funding else ():
        debt = funded.outstanding_debt_usd
        if debt is not None and np.any(debt > 1.0):
            out.append(TerminalValue(f"funding:{party}", "loan", WORLD, party, debt))
    return out


def terminal_by_party(
    money: Money, party: str, positions: list[TerminalValue] | None = None
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """A party's terminal value per draw (held minus owed) and its part per contract; ``positions``
    are :func:`terminal_values` if already computed."""
    draws = money.book.shape[0]
    total = np.zeros(draws)
    parts: dict[str, np.ndarray] = {}
    for tv in terminal_values(money) if positions is None else positions:
        sign = (tv.holder == party) * 1.0 - (tv.issuer == party) * 1.0
        if sign:
            parts[tv.contract] = sign * tv.value_usd
            total += sign * tv.value_usd
    return total, parts
