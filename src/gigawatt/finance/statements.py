"""Per-party statements: cash by counterparty and kind, revenue, capex, opex, depreciation,
RPO, equity stakes, cash position, NPV at the as-of date and IRR (numpy-financial's conventions,
vectorised), as P10/P50/P90 by year;
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
a funding policy's equity too, warrants at intrinsic value, leases' remaining payments
discounted), shown on its own as ``terminal_value_usd``. ``npv_usd`` is before the party's own
financing: the equity and loans (bonds, a funding policy's raises) it issues, their interest and
principal and their balances open at the horizon are left out, so money raised at a rate below the
discount rate is not counted as value; a lender's or investor's own loans and stakes (its business),
and warrants on either side, stay in. ``npv_with_financing_usd`` counts everything, and the IRR is
on those flows; ``npv_cash_only_usd`` is the NPV of cash alone. ``costs_modelled`` is false for a
party paid for sales whose costs of selling the scenario does not hold
(:func:`gigawatt.finance.customers.receipts_only`): its NPV is receipts.

**Discounting.** Every NPV is valued at the scenario's as-of date (``time.as_of``; the grid's start
without one), ``npv_valued_at`` in each statement: what was paid before it is a fact, not part of a
decision taken then, so only what is still to come counts. Its flows are those of the forecast
periods (:func:`gigawatt.finance.facts.forecast_from`: the periods that start on or after the as-of
date), each period's taken at its start and discounted by whole periods at the per-period rate
equivalent to the yearly one (numpy-financial's convention), plus the days from the as-of date to
the first forecast period's start (one day for ``stargate``'s 2026-06-30 on calendar quarters); a
flow in a period that starts on the as-of date is not discounted. The terminal value is counted
with the last period's flows, as before. The flows before the as-of date are sunk and shown apart,
undiscounted: ``net_cash_before_as_of_usd`` (all cash in less out, financing included) and
``cash_out_before_as_of_usd``. The IRR stays the programme's return over every flow since the
grid's start, sunk ones included: a rate of return does not depend on the date it is valued at,
only on which flows it covers, and over the flows from the as-of date alone a party midway through
its spending would mostly have money coming in first, so no return. NPV and IRR can therefore
disagree in sign (a programme that returns less than the rate overall can still be worth carrying
on from the as-of date).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.chips import capital_contracts
from gigawatt.finance.contracts import ContractResult
from gigawatt.finance.covenants import LoanService
from gigawatt.finance.customers import receipts_only
from gigawatt.finance.facts import forecast_from
from gigawatt.finance.ledger import WORLD, entry_sum
from gigawatt.finance.model import Money
from gigawatt.finance.quantiles import percentiles
from gigawatt.finance.terminal import CONVENTIONS, TerminalValue, terminal_by_party, terminal_values

__all__ = [
    "statements",
    "depreciation",
    "npv_usd",
    "valued_from",
    "as_of_npv_usd",
    "party_net_usd",
    "own_financing_usd",
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
    "RPO counts from signing until each compute contract's term ends (start + term; a term that "
    "runs from each phase's online date ends a term after the last phase's); what is not "
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
#: Kinds of flow by which a party raises money it issues (it is the payee), and services it (the
#: payer); and the kinds of open position it issued that :func:`_returns` leaves out with them.
_RAISED = ("equity", "loan_draw")
_SERVICE = ("interest", "principal")
_ISSUED = ("loan", "investment")


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


def npv_usd(net: np.ndarray, rate_per_period: float, first: int = 0, stub_periods: float = 0.0) -> np.ndarray:
    """Net present value of each draw's cash flows, for all draws at once, at ``stub_periods`` before
    the start of period ``first``: the flows before ``first`` are not counted (sunk), period ``k``'s
    are discounted ``k - first + stub_periods`` periods. By default at the start of the grid over every
    flow (``numpy_financial.npv``'s convention: the first period undiscounted)."""
    periods = np.arange(net.shape[1], dtype=float)
    discount = np.where(periods >= first, (1 + rate_per_period) ** -(periods - first + stub_periods), 0.0)
    result: np.ndarray = net @ discount
    return result


def valued_from(money: Money, per_year: float) -> tuple[int, float]:
    """Where a party's NPV is valued: ``(first, stub_periods)`` for :func:`npv_usd`. At the
    scenario's as-of date: ``first`` is the first forecast period (:func:`gigawatt.finance.facts.
    forecast_from`: the first that starts on or after ``time.as_of``), ``stub_periods`` the days
    from the as-of date to its start in periods (``per_year`` a year). Without ``time.as_of``, the
    grid's start: ``(0, 0.0)``. An as-of date after the last period's start leaves no period, and so
    nothing (the terminal value goes with the last period's flows), to value."""
    time = money.scenario.time
    first = forecast_from(money.scenario, money.edges)
    if time.as_of_date is None or first >= len(money.edges) - 1:
        return first, 0.0
    return first, float(money.edges[first] - time.as_of_day) * per_year / DAYS_PER_YEAR


def as_of_npv_usd(money: Money, net: np.ndarray, rate_per_year: float) -> np.ndarray:
    """The NPV at the scenario's as-of date (:func:`valued_from`) of flows ``(draw, period)`` on the
    money's grid at ``rate_per_year``: what is still to come; the flows before it are sunk."""
    per_year, rate = rate_per_period(money.edges, rate_per_year)
    return npv_usd(net, rate, *valued_from(money, per_year))


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


#: Bisection steps before Newton's: the bracket is then 2^-24 of its width, where Newton's steps
#: (quadratic) reach the root to rounding in a few
_BISECTIONS = 24
_NEWTON_STEPS = 4


def _npv_and_slope(by_period: np.ndarray, rate: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each draw's NPV at its per-period ``rate`` and its derivative in the rate, flows ``(period,
    draw)`` (Horner's rule in the discount factor ``f``, the polynomial and its derivative at once;
    ``dNPV/drate = -f^2 dNPV/df``)."""
    factor = 1 / (1 + rate)
    value = by_period[-1].copy()
    slope = np.zeros_like(value)
    for k in range(by_period.shape[0] - 2, -1, -1):
        slope *= factor
        slope += value
        value *= factor
        value += by_period[k]
    return value, -slope * factor * factor


def _conventional_root(net: np.ndarray) -> np.ndarray:
    """The per-period rate where NPV is zero, for flows that go out first and then only come in:
    their NPV falls strictly as the rate rises, so bisection (all draws at once) brackets the one
    root that ``numpy_financial.irr`` finds by polynomial roots, one draw at a time, and Newton's
    steps from the bracket's middle, kept inside it, find it to rounding."""
    by_period = np.ascontiguousarray(net.T)
    low = np.full(net.shape[0], -0.999999)
    high = np.full(net.shape[0], 1.0)
    for _ in range(60):  # widen until NPV at ``high`` is negative (a return above 100%/period is rare)
        grow = _npv_positive(by_period, high)
        if not grow.any():
            break
        high = np.where(grow, high * 2 + 1, high)
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        positive = _npv_positive(by_period, mid)
        low, high = np.where(positive, mid, low), np.where(positive, high, mid)
    rate = (low + high) / 2
    for _ in range(_NEWTON_STEPS):
        value, slope = _npv_and_slope(by_period, rate)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = np.where(slope < 0, value / slope, 0.0)
        rate = np.clip(rate - step, low, high)
    out: np.ndarray = rate
    return out


def _bands(values: np.ndarray) -> dict[str, Any]:
    """P10/P50/P90 over draws (axis 0), NaN-aware."""
    if values.size == 0 or np.all(np.isnan(values)):
        return {f"p{q}": None for q in QUANTILES}
    if not values.any():  # all zero (a line the party never has): no sort needed
        zero = np.zeros(values.shape[1:])
        return {f"p{q}": zero.tolist() if zero.ndim else 0.0 for q in QUANTILES}
    nan = np.isnan(values).any()
    q = np.nanpercentile(values, QUANTILES, axis=0) if nan else percentiles(values, QUANTILES)
    return {
        f"p{k}": v.tolist() if hasattr(v, "tolist") else float(v) for k, v in zip(QUANTILES, q, strict=True)
    }


def _zero_bands(years: int | None) -> dict[str, Any]:
    """The bands of a line that is zero in every draw: by year (``years`` long) or a total."""
    return {f"p{q}": [0.0] * years if years is not None else 0.0 for q in QUANTILES}


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


@dataclass(frozen=True)
class _Calendar:
    """The statements' calendar: years, each period's year (``in_year``, 0/1 ``(period, year)``),
    each year's last period, periods per year, the per-period discount rate, and where NPV is
    valued (:func:`valued_from`: the first period it counts, the stub before it, the date)."""

    years: list[int]
    in_year: np.ndarray
    last_of_year: np.ndarray
    per_year: float
    rate: float
    first: int
    stub_periods: float
    valued_at: str


def _calendar(money: Money, discount_rate: float) -> _Calendar:
    edges = money.edges
    years = np.array([units.date_from_days(d).year for d in edges[:-1]])
    year_list = sorted(set(years.tolist()))
    year_index = np.searchsorted(year_list, years)
    per_year, rate = rate_per_period(edges, discount_rate)
    first, stub = valued_from(money, per_year)
    at = money.scenario.time.as_of_day if money.scenario.time.as_of_date is not None else edges[0]
    return _Calendar(
        year_list,
        (year_index[:, None] == np.arange(len(year_list))[None, :]) * 1.0,
        np.array([np.nonzero(years == y)[0][-1] for y in year_list]),
        per_year,
        rate,
        first,
        stub,
        units.format_date(at),
    )


class _Sums:
    """What statements read, summed once per ledger entry (by year, and over the horizon), and
    the bands of a set of entries kept by that set (a payment is one party's cash out and another's
    cash in: its bands are worked out once). ``None`` is a line with no entries: zero."""

    def __init__(self, money: Money, cal: _Calendar) -> None:
        self.book, self.cal = money.book, cal
        self.by_year = self.book.by_bucket(cal.in_year)  # each entry's (draw, year)
        self.total = self.book.totals()  # (entry, draw): from the years'
        self._kept: dict[tuple[str, tuple[int, ...]], dict[str, Any]] = {}

    def yearly(self, flow: np.ndarray) -> np.ndarray:
        """A ``(draw, period)`` flow by year (a product: faster than np.add.reduceat along rows)."""
        result: np.ndarray = flow @ self.cal.in_year
        return result

    def year(self, mask: np.ndarray) -> np.ndarray | None:
        return None if not mask.any() else entry_sum(self.by_year, mask)

    def year_bands(self, mask: np.ndarray) -> dict[str, Any]:
        return self._kept_bands("year", mask)

    def total_bands(self, mask: np.ndarray) -> dict[str, Any]:
        return self._kept_bands("total", mask)

    def _kept_bands(self, what: str, mask: np.ndarray) -> dict[str, Any]:
        key = (what, tuple(np.nonzero(mask)[0].tolist()))
        if key not in self._kept:
            if not key[1]:
                self._kept[key] = _zero_bands(len(self.cal.years) if what == "year" else None)
            else:
                self._kept[key] = _bands(entry_sum(self.by_year if what == "year" else self.total, mask))
        return self._kept[key]


def _year_bands(values: np.ndarray | None, years: int) -> dict[str, Any]:
    return _zero_bands(years) if values is None else _bands(values)


def _contract_lines(
    money: Money, party: str, read: Callable[[ContractResult], np.ndarray | None]
) -> np.ndarray | None:
    """A non-cash line of the compute contracts ``party`` sells (``read`` from each result:
    recognised, RPO at year ends, RPO lapsed) summed; ``None`` without one."""
    found = [
        line
        for n, r in money.results.items()
        if money.scenario.contracts[n].payee == party and (line := read(r)) is not None
    ]
    if not found:
        return None
    total: np.ndarray = found[0].copy()
    for line in found[1:]:  # in place: the same sums as sum(), no fresh array each
        total += line
    return total


def _cash_lines(money: Money, party: str, sums: _Sums) -> tuple[dict[str, Any], dict[str, Any]]:
    """A party's cash, revenue, opex and RPO lines by year, and their totals."""
    book, n_years = sums.book, len(sums.cal.years)
    inn, out_mask = book.payee == party, book.payer == party
    zero = np.zeros((book.shape[0], n_years))
    cash_in_y, cash_out_y = sums.year(inn), sums.year(out_mask)
    cash_in_y = zero if cash_in_y is None else cash_in_y
    cash_out_y = zero if cash_out_y is None else cash_out_y
    sales = inn & np.isin(book.kind, _SALES)
    sales_y = sums.year(sales)
    recognised = _contract_lines(money, party, lambda r: r.recognised_usd)
    if recognised is not None:
        sales_y = sums.yearly(recognised) if sales_y is None else sales_y + sums.yearly(recognised)
    # lines that are a set of entries' sums (revenue without compute contracts; net cash without
    # payments out, as cash in less zeros is cash in bit for bit) read those entries' kept bands
    revenue = _year_bands(sales_y, n_years) if recognised is not None else sums.year_bands(sales)
    rpo = _contract_lines(money, party, lambda r: r.rpo_at(sums.cal.last_of_year))  # at year ends
    lapsed = _contract_lines(money, party, lambda r: r.rpo_lapsed_usd)
    cash0 = money.parameters.get(f"parties.{party}.cash", np.zeros(book.shape[0]))
    net_y = cash_in_y - cash_out_y
    net_bands = _bands(net_y) if out_mask.any() else sums.year_bands(inn)
    position_y = cash0[:, None] + np.cumsum(net_y, axis=1)  # at each year's last period end
    lines = {
        "cash_in_usd": sums.year_bands(inn),
        "cash_out_usd": sums.year_bands(out_mask),
        "net_cash_usd": net_bands,
        "revenue_usd": revenue,
        "opex_usd": sums.year_bands(out_mask & np.isin(book.kind, _OPEX)),
        **{f"opex_{k}_usd": sums.year_bands(out_mask & (book.kind == k)) for k in _SITE_OPEX},
        "rpo_usd": _year_bands(rpo, n_years),
        "rpo_lapsed_usd": _year_bands(None if lapsed is None else sums.yearly(lapsed), n_years),
        "cash_position_usd": _bands(position_y),
    }
    totals = {
        "cash_in_usd": _bands(cash_in_y.sum(axis=1)),
        "cash_out_usd": _bands(cash_out_y.sum(axis=1)),
        "rpo_lapsed_usd": _zero_bands(None) if lapsed is None else _bands(lapsed.sum(axis=1)),
    }
    return lines, totals


def _capex_lines(
    money: Money, party: str, sums: _Sums, life_years: float
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A party's capex (purchase contracts marked capital) and its depreciation by year, at
    ``life_years`` and at each of :data:`SWING_LIVES_YEARS`, and their totals."""
    book, cal, n_years = sums.book, sums.cal, len(sums.cal.years)
    mask = (book.payer == party) & np.isin(book.contract, list(capital_contracts(money.scenario)))
    capex = book.sum(mask) if mask.any() else None
    if capex is None or not capex.any():  # no capex, no depreciation
        zero = _zero_bands(n_years)
        return (
            {"capex_usd": zero, "depreciation_usd": zero}
            | {f"depreciation_life_{k}y_usd": zero for k in SWING_LIVES_YEARS},
            {"capex_usd": _zero_bands(None), "depreciation_usd": _zero_bands(None)},
        )
    cum = np.cumsum(capex, axis=1)
    cum_y = sums.yearly(cum)
    dep_y = _yearly_depreciation(cum, cum_y, round(life_years * cal.per_year), cal.in_year)
    swing = {
        f"depreciation_life_{life}y_usd": _bands(
            _yearly_depreciation(cum, cum_y, round(life * cal.per_year), cal.in_year)
        )
        for life in SWING_LIVES_YEARS
    }
    lines = {"capex_usd": _bands(sums.yearly(capex)), "depreciation_usd": _bands(dep_y), **swing}
    return lines, {"capex_usd": _bands(capex.sum(axis=1)), "depreciation_usd": _bands(dep_y.sum(axis=1))}


def _yearly_depreciation(
    cum: np.ndarray, cum_y: np.ndarray, life_periods: int, in_year: np.ndarray
) -> np.ndarray:
    """:func:`depreciation` by year, from the capex's running total ``cum`` ``(draw, period)`` and
    its sum by year ``cum_y``: straight-line depreciation is (running total less the running total
    ``life`` periods before) / life, and a sum by year is linear, so the lagged total's sum by year
    is a product with the calendar shifted (no lagged copy)."""
    life = max(1, int(life_periods))
    lagged_y = cum[:, : max(0, cum.shape[1] - life)] @ in_year[life:]
    out: np.ndarray = (cum_y - lagged_y) / life
    return out


def own_financing_usd(money: Money, party: str) -> np.ndarray:
    """The net cash of the financing ``party`` issues, ``(draw, period)``: equity and loan (or bond,
    or funding-policy) draws it receives less the interest and principal it pays. A lender's or
    investor's side of the same contracts (loans made, stakes bought) is its business: not here."""
    book = money.book
    received = (book.payee == party) & np.isin(book.kind, _RAISED)
    paid = (book.payer == party) & np.isin(book.kind, _SERVICE)
    out = book.sum(received)
    for e in np.nonzero(paid)[0]:
        out -= book.amounts[e]
    return out


def _returns(
    money: Money, party: str, cal: _Calendar, positions: list[TerminalValue]
) -> tuple[dict[str, Any], tuple[dict[str, np.ndarray], dict[str, np.ndarray]]]:
    """A party's NPV at the as-of date (module doc) before its own financing (:func:`own_financing_usd`,
    and the loans and equity it issued that are open at the horizon, left out), with it, and of cash
    alone; its net cash and cash out before the as-of date (sunk, undiscounted); its terminal value
    and IRR (on its cash with financing and every open position, since the grid's start), and its
    terminal value by contract and by kind."""
    net, before = money.book.net(party), money.book.totals(slice(0, cal.first))
    terminal, parts, kinds = terminal_by_party(money, party, positions)
    with_terminal = net
    if terminal.any():
        with_terminal = net.copy()
        with_terminal[:, -1] += terminal
    unlevered = net - own_financing_usd(money, party)
    issued = [tv for tv in positions if tv.issuer == party and tv.kind in _ISSUED]
    unlevered[:, -1] += terminal + sum((tv.value_usd for tv in issued), np.zeros(len(terminal)))
    rates = irr(with_terminal, cal.per_year)  # the programme's return: every flow since the start
    at = (cal.rate, cal.first, cal.stub_periods)  # NPV at the as-of date, of the flows from it on
    npv_cash = npv_usd(net, *at)
    totals = {
        "npv_usd": _bands(npv_usd(unlevered, *at)),
        "npv_with_financing_usd": _bands(
            npv_usd(with_terminal, *at) if with_terminal is not net else npv_cash
        ),
        "npv_cash_only_usd": _bands(npv_cash),
        "net_cash_before_as_of_usd": _bands(net[:, : cal.first].sum(axis=1)),
        "cash_out_before_as_of_usd": _bands(entry_sum(before, money.book.payer == party, before.shape[1:])),
        "terminal_value_usd": _bands(terminal),
        "irr_per_year": _bands(rates),
        "irr_defined_share": float(np.mean(np.isfinite(rates))),
    }
    return totals, (parts, kinds)


def _breakdowns(party: str, sums: _Sums) -> dict[str, Any]:
    """A party's money over the horizon by counterparty and by kind, in and out."""
    book = sums.book
    payer, payee, kind = book.payer, book.payee, book.kind
    inn, out_mask = payee == party, payer == party
    return {
        "by_counterparty": {
            c: {
                "in_usd": sums.total_bands(inn & (payer == c)),
                "out_usd": sums.total_bands(out_mask & (payee == c)),
            }
            for c in sorted(set(payer[inn]) | set(payee[out_mask]))
        },
        "by_kind": {
            k: {
                "in_usd": sums.total_bands(inn & (kind == k)),
                "out_usd": sums.total_bands(out_mask & (kind == k)),
            }
            for k in sorted(set(kind[inn | out_mask]))
        },
    }


def _positions(money: Money, party: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A party's equity stakes and warrants held at the horizon, and its loans' covenants."""
    stakes = {}
    for n, r in money.results.items():
        c = money.scenario.contracts[n]
        if r.stake_fraction is not None and c.payer == party:
            stakes[c.payee] = _bands(r.stake_fraction[:, -1])
        if r.warrant_granted_usd is not None and c.payee == party:
            stakes[f"{c.payer} (warrant at vesting, USD)"] = _bands(r.warrant_granted_usd[:, -1])
    covenants = {
        n: covenant_summary(r.covenants, money.edges)
        for n, r in money.results.items()
        if r.covenants is not None
        and party in (money.scenario.contracts[n].payer, money.scenario.contracts[n].payee)
    }
    return stakes, covenants


def statements(
    money: Money,
    parties: list[str] | None = None,
    life_years: float = 5.5,
    discount_rate: float = 0.10,
) -> dict[str, Any]:
    """Statements of each party (all but the world by default), by calendar year."""
    cal = _calendar(money, discount_rate)
    sums = _Sums(money, cal)
    open_positions = terminal_values(money, discount_rate)
    unpriced = receipts_only(money.book)
    out: dict[str, Any] = {}
    for party in parties or [p for p in money.parties if p != WORLD]:
        cash, cash_totals = _cash_lines(money, party, sums)
        capex, capex_totals = _capex_lines(money, party, sums, life_years)
        returns, (terminal_parts, terminal_kinds) = _returns(money, party, cal, open_positions)
        stakes, covenants = _positions(money, party)
        out[party] = {
            "years": cal.years,
            "lines": {
                **{k: cash[k] for k in ("cash_in_usd", "cash_out_usd", "net_cash_usd", "revenue_usd")},
                "capex_usd": capex["capex_usd"],
                "opex_usd": cash["opex_usd"],
                **{f"opex_{k}_usd": cash[f"opex_{k}_usd"] for k in _SITE_OPEX},
                **{k: v for k, v in capex.items() if k.startswith("depreciation")},
                **{k: cash[k] for k in ("rpo_usd", "rpo_lapsed_usd", "cash_position_usd")},
            },
            "totals": {
                **{k: cash_totals[k] for k in ("cash_in_usd", "cash_out_usd")},
                **capex_totals,
                "rpo_lapsed_usd": cash_totals["rpo_lapsed_usd"],
                **returns,
            },
            **_breakdowns(party, sums),
            "equity_stakes": stakes,
            "covenants": covenants,
            "terminal_value": {
                "at": units.format_date(money.edges[-1]),
                "conventions": CONVENTIONS,
                "by_contract_usd": {n: _bands(v) for n, v in terminal_parts.items()},
                "by_kind_usd": {k: _bands(v) for k, v in terminal_kinds.items()},
            },
            "useful_life_years": life_years,
            "discount_rate_per_year": discount_rate,
            "npv_valued_at": cal.valued_at,
            "costs_modelled": party not in unpriced,
        }
    return out
