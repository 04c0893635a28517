"""Loan covenants: tested per draw and period on the borrower's money; a breach accelerates or sweeps.

Tests (docs/finance.md), each at a period's end from ``test_from`` while a balance is open:

* DSCR — the borrower's trailing-year *operating* cash flow (everything it receives minus
  everything it pays, leaving out financing — loan draws, interest, principal, equity, warrant
  exercises — and capex, i.e. purchases marked ``capital``) over this loan's trailing-year debt
  service (interest + principal); breached below ``min_dscr`` (no debt service in the year: no test);
* leverage — the balance over the trailing-year operating cash flow; breached above
  ``max_leverage`` (or when the operating cash flow is not positive);
* cash — the borrower's cash position (declared cash plus every net flow so far) below ``min_cash``.

The tests run on the scheduled flows, so the first breach is exact: nothing before it changes.
From the period after the first breach, ``accelerate`` calls the balance (the lender funds no
further draws) and ``sweep`` prepays, each period, ``sweep_share`` of the operating cash flow
left after interest and scheduled principal. Arrays are ``(draw, period)`` in USD.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["FINANCING", "CovenantTerms", "LoanService", "service", "trailing", "first_true"]

#: Kinds of flow that are financing, not operations: left out of operating cash flow.
FINANCING = ("loan_draw", "interest", "principal", "equity", "warrant_exercise")


@dataclass(frozen=True)
class CovenantTerms:
    """Drawn covenant thresholds per draw (``None``: not tested) and what a breach does."""

    min_dscr: np.ndarray | None = None
    max_leverage: np.ndarray | None = None
    min_cash_usd: np.ndarray | None = None
    on_breach: str = "accelerate"
    sweep_share: np.ndarray | float = 1.0


@dataclass(frozen=True)
class LoanService:
    """A loan's money after covenants: draws, interest and principal ``(draw, period)``."""

    drawn_usd: np.ndarray
    interest_usd: np.ndarray
    principal_usd: np.ndarray
    balance_usd: np.ndarray
    #: period of the first breach per draw (-1: never), and its components ``(draw, period)``
    breach_period: np.ndarray
    dscr: np.ndarray
    leverage: np.ndarray
    cash_usd: np.ndarray
    #: balance called at acceleration, and the total prepaid by the sweep, per draw
    accelerated_usd: np.ndarray
    swept_usd: np.ndarray


def trailing(values: np.ndarray, window: int) -> np.ndarray:
    """Sum over the last ``window`` periods (fewer at the start), along axis 1."""
    total = np.cumsum(values, axis=1)
    out = np.empty_like(total)  # total less the total ``window`` periods before (zero at the start)
    out[:, :window] = total[:, :window]
    np.subtract(total[:, window:], total[:, :-window], out=out[:, window:])
    return out


def first_true(mask: np.ndarray) -> np.ndarray:
    """Index of the first True along axis 1, per row; -1 if none."""
    return np.where(mask.any(axis=1), np.argmax(mask, axis=1), -1)


def _schedule(drawn: np.ndarray, repaid_share: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, ...]:
    cum_drawn = np.cumsum(drawn, axis=1)
    cum_repaid = cum_drawn * repaid_share
    balance = cum_drawn - cum_repaid
    opening = np.concatenate([np.zeros((drawn.shape[0], 1)), balance[:, :-1]], axis=1)
    principal = np.empty_like(cum_repaid)  # np.diff with a zero prepended, without its copy
    principal[:, :1] = cum_repaid[:, :1]
    np.subtract(cum_repaid[:, 1:], cum_repaid[:, :-1], out=principal[:, 1:])
    return opening * rate, principal, balance


def service(
    drawn: np.ndarray,
    repaid_share: np.ndarray,
    rate_per_period: np.ndarray,
    operating_usd: np.ndarray,
    other_net_usd: np.ndarray,
    cash0_usd: np.ndarray,
    tested: np.ndarray,
    terms: CovenantTerms,
    window: int,
) -> LoanService:
    """The loan's draws, interest and principal once its covenants are applied.

    ``repaid_share``: scheduled cumulative share of the drawn amount repaid by each period's end;
    ``rate_per_period``: interest per dollar of opening balance in each period; ``operating_usd``:
    the borrower's operating cash flow; ``other_net_usd``: its net cash flow apart from this loan;
    ``tested``: the periods the covenants are tested in; ``window``: periods in a year.
    """
    draws, periods = drawn.shape
    interest, principal, balance = _schedule(drawn, repaid_share, rate_per_period)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # tiny cash flow: leverage inf
        op_year = trailing(operating_usd, window)
        service_year = trailing(interest + principal, window)
        dscr = np.where(service_year > 0, op_year / np.where(service_year > 0, service_year, 1.0), np.inf)
        leverage = np.where(op_year > 0, balance / np.where(op_year > 0, op_year, 1.0), np.inf)
    cash = cash0_usd[:, None] + np.cumsum(other_net_usd + drawn - interest - principal, axis=1)
    breach = np.zeros((draws, periods), bool)
    if terms.min_dscr is not None:
        breach |= dscr < terms.min_dscr[:, None]
    if terms.max_leverage is not None:
        breach |= leverage > terms.max_leverage[:, None]
    if terms.min_cash_usd is not None:
        breach |= cash < terms.min_cash_usd[:, None]
    breach &= tested & (balance > 1e-6)
    first = first_true(breach)
    after = (first[:, None] >= 0) & (np.arange(periods)[None, :] > first[:, None])
    accelerated = np.zeros(draws)
    swept = np.zeros(draws)
    if after.any():
        drawn = np.where(after & (terms.on_breach == "accelerate"), 0.0, drawn)
        interest, principal, balance, accelerated, swept = _after_breach(
            drawn, interest, principal, balance, rate_per_period, operating_usd, after, first, terms
        )
    return LoanService(drawn, interest, principal, balance, first, dscr, leverage, cash, accelerated, swept)


def _after_breach(
    drawn: np.ndarray,
    interest: np.ndarray,
    principal: np.ndarray,
    balance: np.ndarray,
    rate_per_period: np.ndarray,
    operating_usd: np.ndarray,
    after: np.ndarray,
    first: np.ndarray,
    terms: CovenantTerms,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The loan re-served period by period once a covenant is breached (accelerated: the balance
    called the period after; swept: a share of what operations leave prepaid): interest,
    principal, balance ``(draw, period)`` and the amounts called and swept per draw.

    Only the draws that breach are re-served (period-major, each period's row contiguous); the
    others keep their interest and principal, and their balance is the same running sum, drawn
    less principal period by period. ``interest``, ``principal`` and ``balance`` are worked on in
    place. The same numbers as re-serving every draw."""
    draws, periods = drawn.shape
    rows = np.nonzero(first >= 0)[0]
    opening = np.zeros(draws)
    for k in range(periods):  # (opening + drawn) - principal, as re-served
        np.add(opening, drawn[:, k], out=balance[:, k])
        balance[:, k] -= principal[:, k]
        opening = balance[:, k]
    share = np.broadcast_to(np.asarray(terms.sweep_share, dtype=float), (draws,))[rows]
    interest_t, principal_t, balance_t, accelerated_rows, swept_rows = _reserve(
        drawn[rows].T,
        interest[rows].T,
        principal[rows].T,
        np.broadcast_to(rate_per_period, drawn.shape)[rows].T,
        operating_usd[rows].T,
        after[rows].T,
        first[rows],
        terms.on_breach,
        share,
    )
    interest[rows], principal[rows], balance[rows] = interest_t.T, principal_t.T, balance_t.T
    accelerated, swept = np.zeros(draws), np.zeros(draws)
    accelerated[rows], swept[rows] = accelerated_rows, swept_rows
    return interest, principal, balance, accelerated, swept


def _reserve(
    drawn_t: np.ndarray,
    interest_t: np.ndarray,
    scheduled_t: np.ndarray,
    rate_t: np.ndarray,
    operating_t: np.ndarray,
    after_t: np.ndarray,
    first: np.ndarray,
    on_breach: str,
    share: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_after_breach` for the draws given, arrays ``(period, draw)``: interest, principal,
    balance ``(period, draw)``, called and swept per draw."""
    periods, draws = drawn_t.shape
    drawn_t, after_t, rate_t, operating_t = (
        np.ascontiguousarray(x) for x in (drawn_t, after_t, rate_t, operating_t)
    )
    interest_t, scheduled_t = np.array(interest_t, order="C"), np.ascontiguousarray(scheduled_t)
    principal_t, balance_t = np.empty_like(scheduled_t), np.empty_like(scheduled_t)
    accelerated, swept = np.zeros(draws), np.zeros(draws)
    bal = np.zeros(draws)
    for k in range(periods):
        opening = bal
        interest_t[k] = np.where(after_t[k], opening * rate_t[k], interest_t[k])
        if on_breach == "accelerate":
            called = after_t[k] & (k - 1 == first)
            pay = np.where(called, opening, np.where(after_t[k], 0.0, scheduled_t[k]))
            accelerated += np.where(called, opening, 0.0)
        else:
            due = np.minimum(scheduled_t[k], opening + drawn_t[k])
            room = np.maximum(operating_t[k] - interest_t[k] - due, 0.0) * share
            extra = np.where(after_t[k], np.minimum(room, opening + drawn_t[k] - due), 0.0)
            pay = np.where(after_t[k], due + extra, scheduled_t[k])
            swept += extra
        principal_t[k] = pay
        bal = opening + drawn_t[k] - pay
        balance_t[k] = bal
    return interest_t, principal_t, balance_t, accelerated, swept
