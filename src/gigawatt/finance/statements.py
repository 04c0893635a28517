"""Per-party statements: cash by counterparty and kind, revenue, capex, opex, depreciation,
RPO, equity stakes, cash position, NPV and IRR (numpy-financial's conventions, vectorised),
as P10/P50/P90 by year;
IRR only over the draws where it is unique and a return (:func:`conventional`), with their share.

Revenue is recognised income: compute contracts as delivered (before payment terms),
other sales (lease, purchase, power, customers) as paid. Capex is what a party pays
under purchase contracts marked ``capital``; it is depreciated straight-line over
``life_years`` (hyperscalers use 5-6 years, critics 2-3: the switch shows the swing).
Opex is electricity, staff and maintenance of the sites a party operates, leases and power
bought, and other operating costs; the three site lines are also shown on their own. A loan
with covenants shows in its borrower's and lender's statements: the share of draws that
breach, when, and the balance called or swept. NPV counts the positions still open at the
horizon at their terminal value (:mod:`gigawatt.finance.terminal`: loans at par, equity at cost,
warrants at intrinsic value), shown on its own as ``terminal_value_usd``; ``npv_cash_only_usd``
is the NPV of cash alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.chips import capital_contracts
from gigawatt.finance.covenants import LoanService
from gigawatt.finance.ledger import WORLD, entry_sum
from gigawatt.finance.model import Money
from gigawatt.finance.terminal import CONVENTIONS, terminal_by_party, terminal_values

__all__ = [
    "statements",
    "depreciation",
    "npv_usd",
    "party_net_usd",
    "rate_per_period",
    "irr",
    "sign_changes",
    "conventional",
    "covenant_summary",
    "QUANTILES",
    "RPO_CONVENTION",
    "SWING_LIVES_YEARS",
]

QUANTILES = (10, 50, 90)
#: How the RPO series ends (issue 13): said in every statement, so a series that falls to zero
#: when a contract's term ends is not read as delivery.
RPO_CONVENTION = (
    "RPO counts from signing until each compute contract's term ends (start + term); what is not "
    "delivered by then leaves RPO that period and is counted as lapsed (rpo_lapsed_usd, by year and "
    "in total), not as revenue. The model does not extend a term when capacity comes late: whether "
    "the undelivered part would be delivered later, renegotiated or cancelled is a contract term "
    "the sources do not state."
)
#: Useful lives every statement also shows depreciation at: critics' 3 years, hyperscalers' 6
#: (Burry vs hyperscaler accounting; data/accelerators.yaml useful_life sources).
SWING_LIVES_YEARS = (3, 6)
_SALES = ("revenue", "lease", "purchase", "power")
_OPEX = ("electricity", "staff", "maintenance", "lease", "power", "operating_costs")
#: Site opex shown on their own lines: electricity at the site's price, staff, maintenance.
_SITE_OPEX = ("electricity", "staff", "maintenance")


def depreciation(capex: np.ndarray, life_periods: int, cum: np.ndarray | None = None) -> np.ndarray:
    """Straight-line depreciation ``(draw, period)`` of capex booked per period (``cum``: its
    cumulative sum over periods, if already summed)."""
    life = max(1, int(life_periods))
    if cum is None and not capex.any():  # most parties buy nothing capital
        return np.zeros_like(capex)
    cum = np.cumsum(capex, axis=1) if cum is None else cum
    lagged = np.zeros_like(cum)
    lagged[:, life:] = cum[:, : max(0, cum.shape[1] - life)]
    out: np.ndarray = (cum - lagged) / life
    return out


def npv_usd(net: np.ndarray, rate_per_period: float) -> np.ndarray:
    """Net present value of each draw's cash flows at the start of the grid (``numpy_financial.npv``'s
    convention: the first period undiscounted), for all draws at once."""
    discount = (1 + rate_per_period) ** -np.arange(net.shape[1], dtype=float)
    result: np.ndarray = net @ discount
    return result


def _carried_signs(net: np.ndarray, tol_usd: float) -> np.ndarray:
    """Signs of each flow with |flows| under ``tol_usd`` taking the previous sign (NaN before any)."""
    signs = np.where(np.abs(net) < tol_usd, np.nan, np.sign(net))
    last = np.maximum.accumulate(np.where(np.isnan(signs), 0, np.arange(net.shape[1])), axis=1)
    return np.take_along_axis(signs, last, axis=1)


def rate_per_period(edges: np.ndarray, rate_per_year: float) -> tuple[float, float]:
    """``(periods per year, the per-period rate equivalent to rate_per_year)`` of a finance grid."""
    per_year = DAYS_PER_YEAR / float(np.mean(np.diff(edges)))
    return per_year, (1 + rate_per_year) ** (1 / per_year) - 1


def party_net_usd(money: Money, party: str) -> np.ndarray:
    """A party's net cash (in minus out), ``(draw, period)``."""
    return money.book.net(party)


def timing(money: Money, party: str, by_day: float) -> dict[str, Any]:
    """When a party's money moves: P50 over draws of what it paid and received in the periods
    that start before ``by_day``, and the date by which half its capex over the horizon is paid."""
    book, edges = money.book, money.edges
    before = slice(0, int(np.sum(edges[:-1] < by_day)))  # periods are in order
    capital = list(capital_contracts(money.scenario))
    capex = np.cumsum(book.sum((book.payer == party) & np.isin(book.contract, capital)), axis=1)
    has = capex[:, -1] > 0
    half = np.argmax(capex >= capex[:, -1:] / 2, axis=1)
    half_day = _bands(edges[1:][half][has])["p50"]
    totals = book.totals(before)
    return {
        "by": units.format_date(by_day),
        "paid_usd": float(np.median(entry_sum(totals, book.payer == party, totals.shape[1:]))),
        "received_usd": float(np.median(entry_sum(totals, book.payee == party, totals.shape[1:]))),
        "half_capex_paid_date": None if half_day is None else units.format_date(half_day),
    }


def sign_changes(net: np.ndarray, tol_usd: float = 1.0) -> np.ndarray:
    """Sign changes in each draw's cash flows, |flows| under ``tol_usd`` skipped (Descartes' rule of
    signs: at most that many IRRs)."""
    return _changes(_carried_signs(net, tol_usd))


def _changes(carried: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.sum(carried[:, 1:] * carried[:, :-1] < 0, axis=1)
    return out


def conventional(net: np.ndarray, tol_usd: float = 1.0) -> np.ndarray:
    """Draws whose cash goes out first, then only comes in: one sign change, so one IRR, and
    IRR > rate exactly when NPV at that rate > 0. Flows under ``tol_usd`` are skipped: the flows
    out (at most ``-tol_usd``) all come before the flows in (at least ``tol_usd``), both present."""
    out, into = net <= -tol_usd, net >= tol_usd
    last_out = net.shape[1] - 1 - np.argmax(out[:, ::-1], axis=1)
    first_in = np.argmax(into, axis=1)
    result: np.ndarray = out.any(axis=1) & into.any(axis=1) & (last_out < first_in)
    return result


def irr(net: np.ndarray, periods_per_year: float) -> np.ndarray:
    """Yearly internal rate of return of each draw (numpy-financial); NaN unless its flows are
    :func:`conventional`.

    With several sign changes several rates may fit (Descartes' rule of signs) and none is the
    return; money in first (a loan taken) has an IRR that is a cost, not a return. Only the
    conventional draws are solved, so the root-finding cost is paid where a rate exists."""
    rates = np.full(net.shape[0], np.nan)
    rows = np.nonzero(conventional(net))[0]
    if rows.size:
        rates[rows] = _conventional_root(net[rows])
    return (1 + rates) ** periods_per_year - 1


def _npv_positive(by_period: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """Whether each draw's NPV at its per-period ``rate`` is positive, flows ``(period, draw)``
    (Horner's rule in the discount factor: one multiply-add per period, no powers)."""
    factor = 1 / (1 + rate)
    value = by_period[-1].copy()
    for k in range(by_period.shape[0] - 2, -1, -1):
        value *= factor
        value += by_period[k]
    result: np.ndarray = value > 0
    return result


def _conventional_root(net: np.ndarray, iterations: int = 64) -> np.ndarray:
    """The per-period rate where NPV is zero, for flows that go out first and then only come in:
    their NPV falls strictly as the rate rises, so bisection (all draws at once) finds the one root
    that ``numpy_financial.irr`` finds by polynomial roots, one draw at a time."""
    by_period = np.ascontiguousarray(net.T)
    low = np.full(net.shape[0], -0.999999)
    high = np.full(net.shape[0], 1.0)
    for _ in range(60):  # widen until NPV at ``high`` is negative (a return above 100%/period is rare)
        grow = _npv_positive(by_period, high)
        if not grow.any():
            break
        high = np.where(grow, high * 2 + 1, high)
    for _ in range(iterations):
        mid = (low + high) / 2
        positive = _npv_positive(by_period, mid)
        low, high = np.where(positive, mid, low), np.where(positive, high, mid)
    out: np.ndarray = (low + high) / 2
    return out


def _bands(values: np.ndarray) -> dict[str, Any]:
    """P10/P50/P90 over draws (axis 0), NaN-aware."""
    if values.size == 0 or np.all(np.isnan(values)):
        return {f"p{q}": None for q in QUANTILES}
    if not values.any():  # all zero (a line the party never has): no sort needed
        zero = np.zeros(values.shape[1:])
        return {f"p{q}": zero.tolist() if zero.ndim else 0.0 for q in QUANTILES}
    nan = np.isnan(values).any()
    q = (np.nanpercentile if nan else np.percentile)(values, QUANTILES, axis=0)
    return {
        f"p{k}": v.tolist() if hasattr(v, "tolist") else float(v) for k, v in zip(QUANTILES, q, strict=True)
    }


def covenant_summary(outcome: LoanService, edges: np.ndarray) -> dict[str, Any]:
    """A loan's covenant outcome over draws: share that breach, when (P10/P50/P90), amounts called."""
    first = outcome.breach_period
    hit = first >= 0
    day = np.where(hit, edges[1:][np.maximum(first, 0)], np.nan)
    when = {k: None if v is None else units.format_date(v) for k, v in _bands(day[hit]).items()}
    return {
        "probability_breach": float(hit.mean()),
        "first_breach_date": when,
        "accelerated_usd": _bands(outcome.accelerated_usd[hit]) if hit.any() else _bands(np.array([])),
        "swept_usd": _bands(outcome.swept_usd[hit]) if hit.any() else _bands(np.array([])),
    }


def statements(
    money: Money,
    parties: list[str] | None = None,
    life_years: float = 5.5,
    discount_rate: float = 0.10,
) -> dict[str, Any]:
    """Statements of each party (all but the world by default), by calendar year."""
    book, edges = money.book, money.edges
    payer, payee, kind, contract = book.payer, book.payee, book.kind, book.contract
    years = np.array([units.date_from_days(d).year for d in edges[:-1]])
    year_list = sorted(set(years.tolist()))
    year_index = np.searchsorted(year_list, years)
    last_of_year = np.array([np.nonzero(years == y)[0][-1] for y in year_list])
    per_year, rate = rate_per_period(edges, discount_rate)
    capital = capital_contracts(money.scenario)

    in_year = (year_index[:, None] == np.arange(len(year_list))[None, :]) * 1.0  # (period, year)

    def yearly(flow: np.ndarray) -> np.ndarray:
        result: np.ndarray = flow @ in_year  # a product: faster than np.add.reduceat along rows
        return result

    chosen = parties or [p for p in money.parties if p != WORLD]
    # what statements read is summed once per entry: by year, and over the horizon
    draws = book.shape[0]
    by_year = book.by_bucket(in_year)  # each entry's (draw, year)
    entry_total = book.totals()  # (entry, draw): from the years'
    open_positions = terminal_values(money)

    def by_year_sum(mask: np.ndarray) -> np.ndarray:
        return entry_sum(by_year, mask, (draws, len(year_list)))

    def total_sum(mask: np.ndarray) -> np.ndarray:
        return entry_sum(entry_total, mask, (draws,))

    out: dict[str, Any] = {}
    for party in chosen:
        inn, out_mask = payee == party, payer == party
        cash_in_y, cash_out_y = by_year_sum(inn), by_year_sum(out_mask)
        net = book.net(party)
        terminal, terminal_parts = terminal_by_party(money, party, open_positions)
        with_terminal = net.copy()
        with_terminal[:, -1] += terminal
        rates = irr(with_terminal, per_year)
        sales_y = by_year_sum(inn & np.isin(kind, _SALES))
        recognised = sum(
            (
                r.recognised_usd
                for n, r in money.results.items()
                if r.recognised_usd is not None and money.scenario.contracts[n].payee == party
            ),
            np.zeros_like(net),
        )
        capex = book.sum(out_mask & np.isin(contract, list(capital)))
        opex_y = by_year_sum(out_mask & np.isin(kind, _OPEX))
        capex_cum = np.cumsum(capex, axis=1) if capex.any() else None  # None: no capex, no depreciation
        dep = depreciation(capex, round(life_years * per_year), capex_cum)
        swing = {
            str(life): yearly(depreciation(capex, round(life * per_year), capex_cum))
            for life in SWING_LIVES_YEARS
        }
        rpo = sum(
            (
                r.rpo_usd
                for n, r in money.results.items()
                if r.rpo_usd is not None and money.scenario.contracts[n].payee == party
            ),
            np.zeros_like(net),
        )
        lapsed_by_period = sum(
            (
                r.rpo_lapsed_usd
                for n, r in money.results.items()
                if r.rpo_lapsed_usd is not None and money.scenario.contracts[n].payee == party
            ),
            np.zeros_like(net),
        )
        lapsed = lapsed_by_period.sum(axis=1)
        cash0 = money.parameters.get(f"parties.{party}.cash", np.zeros(net.shape[0]))
        net_y = cash_in_y - cash_out_y
        position_y = cash0[:, None] + np.cumsum(net_y, axis=1)  # at each year's last period end
        stakes = {}
        for n, r in money.results.items():
            c = money.scenario.contracts[n]
            if r.stake_fraction is not None and c.payer == party:
                stakes[c.payee] = _bands(r.stake_fraction[:, -1])
            if r.warrant_value_usd is not None and c.payee == party:
                stakes[f"{c.payer} (warrant, USD)"] = _bands(r.warrant_value_usd[:, -1])
        site_opex = {f"opex_{k}_usd": _bands(by_year_sum(out_mask & (kind == k))) for k in _SITE_OPEX}
        covenants = {
            n: covenant_summary(r.covenants, edges)
            for n, r in money.results.items()
            if r.covenants is not None
            and party in (money.scenario.contracts[n].payer, money.scenario.contracts[n].payee)
        }
        counterparties = sorted(set(payer[inn]) | set(payee[out_mask]))
        by_counterparty = {
            c: {
                "in_usd": _bands(total_sum(inn & (payer == c))),
                "out_usd": _bands(total_sum(out_mask & (payee == c))),
            }
            for c in counterparties
        }
        kinds = sorted(set(kind[inn | out_mask]))
        by_kind = {
            k: {
                "in_usd": _bands(total_sum(inn & (kind == k))),
                "out_usd": _bands(total_sum(out_mask & (kind == k))),
            }
            for k in kinds
        }
        out[party] = {
            "years": year_list,
            "lines": {
                "cash_in_usd": _bands(cash_in_y),
                "cash_out_usd": _bands(cash_out_y),
                "net_cash_usd": _bands(net_y),
                "revenue_usd": _bands(sales_y + yearly(recognised)),
                "capex_usd": _bands(yearly(capex)),
                "opex_usd": _bands(opex_y),
                **site_opex,
                "depreciation_usd": _bands(yearly(dep)),
                **{f"depreciation_life_{k}y_usd": _bands(v) for k, v in swing.items()},
                "rpo_usd": _bands(rpo[:, last_of_year]),
                "rpo_lapsed_usd": _bands(yearly(lapsed_by_period)),
                "cash_position_usd": _bands(position_y),
            },
            "totals": {
                "cash_in_usd": _bands(cash_in_y.sum(axis=1)),
                "cash_out_usd": _bands(cash_out_y.sum(axis=1)),
                "capex_usd": _bands(capex.sum(axis=1)),
                "depreciation_usd": _bands(dep.sum(axis=1)),
                "rpo_lapsed_usd": _bands(lapsed),
                "npv_usd": _bands(npv_usd(with_terminal, rate)),
                "npv_cash_only_usd": _bands(npv_usd(net, rate)),
                "terminal_value_usd": _bands(terminal),
                "irr_per_year": _bands(rates),
                "irr_defined_share": float(np.mean(np.isfinite(rates))),
            },
            "by_counterparty": by_counterparty,
            "by_kind": by_kind,
            "equity_stakes": stakes,
            "covenants": covenants,
            "terminal_value": {
                "at": units.format_date(edges[-1]),
                "conventions": CONVENTIONS,
                "by_contract_usd": {n: _bands(v) for n, v in terminal_parts.items()},
            },
            "useful_life_years": life_years,
            "discount_rate_per_year": discount_rate,
        }
    return out
