"""Contracts → transactions: each kind of contract as array arithmetic over ``(draw, period)``.

A :class:`Flow` is one line of money: payer, payee, contract, kind and an amount per
``(draw, period)``. :func:`contract_flows` turns one :class:`~gigawatt.scenario.Contract`
(its uncertain terms already drawn into ``p``) and its capacity into flows plus the
non-cash positions it creates (RPO, equity stakes, warrant shares). Conventions:

* purchase — the buyer pays ``value`` pro rata to delivery (or ``price_per_mw`` per facility
  MW, or with ``price: catalog`` each phase's accelerators at the catalog's price, as a default
  chip buyer does), ``payment_terms`` later; for sites' phases, delivery is the chips' (a lead before online,
  :mod:`gigawatt.finance.chips`), progress as built (``paid: as_built``) or online (``paid: online``);
  a purchase or lease with a stated ``capacity`` covers the first ``capacity`` MW of its phases as
  they come online (:meth:`~gigawatt.finance.capacity.Capacity.filled`), not a share of each;
* lease — each phase's lease runs ``term`` from the date it comes online, priced per MW-month
  of facility power or per accelerator-hour, escalating yearly from that date; each of
  ``renewals`` extends it by ``renewal_term`` with ``renewal_probability`` while the earlier
  ones were taken (one uniform draw ``u``: ``k`` renewals when ``u < p^k``); with a residual
  value guarantee the tenant pays the lessor, at each phase's lease end, its share (by MW) of
  ``residual_value_guarantee`` less what the asset is worth (``residual_value`` × ``asset_cost``),
  if positive (a lease running past the horizon pays the rest of its payments and the guarantee
  outside the ledger: :mod:`gigawatt.finance.terminal` values them at the horizon);
* compute — ``value`` over ``term`` from ``start``, recognised at ``value/term`` per day times
  the delivered share (online MW / ``capacity``, or / the sites' total MW with ``sized_to_sites``;
  with ``term_from: online`` each phase's share runs the term from its online date instead) and,
  for the ``demand_share`` that is not take-or-pay, times the payer's usage: its revenue over the
  revenue it would have at ``reference_growth`` (at most 1), so a demand shock reaches the seller's
  revenue; what is not recognised by the end of the term lapses: RPO never delivered. RPO counts
  from ``signed``. ``prepaid`` of the value is paid at signing and drawn down as delivered (the rest paid as
  recognised); the prepaid part of what lapses is refunded at the term's end; a term running past
  the horizon pays the rest outside the ledger (:mod:`gigawatt.finance.terminal` values it);
* investment — tranches fire when all their milestones are met (GW online, a date); a
  tranche with ``probability`` < 1 is withheld in that share of draws; stake = amount / valuation;
* warrant — tranches of shares vest on milestones and share-price hurdles along the path
  ``share_price × (1 + share_price_growth)^years``; the holder pays the strike on vesting; what
  the issuer grants is each tranche's value net of strike at the price when it vests (as equity
  counts at what was paid: the price's later path is the holder's gain or loss);
* power purchase — MWh = online facility MW × load factor × hours, at ``price_per_mwh``,
  at least ``take_or_pay`` × ``capacity`` × hours within the term; a plant's PPA
  (``plant_capacity``, ``capacity_factor``) is billed on the plant's output instead (nameplate ×
  capacity factor × hours, as generated), and the part the campus uses (at most its load) is
  energy its operator does not buy again from the grid (``energy_mwh``);
* loan — drawn at ``start`` (or in tranches; ``drawn: as_built``: a construction loan, pro rata
  to its sites' MW built, until it matures), interest on the balance, principal repaid
  linearly over ``term`` (or at maturity for ``bullet``); covenants are applied afterwards,
  on the whole ledger (:mod:`gigawatt.finance.covenants`, :func:`~gigawatt.finance.model.simulate_money`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, partial

import numpy as np

from gigawatt.finance.capacity import DAYS_PER_YEAR, Capacity, overlap_days
from gigawatt.finance.covenants import LoanService
from gigawatt.scenario import Contract

__all__ = [
    "Flow",
    "ContractResult",
    "PaymentSchedule",
    "contract_flows",
    "period_of",
    "delay_periods",
    "loan_repaid_share",
    "renewals_taken",
]

#: Cells of a ``(draw, period)`` array: their draws and periods.
Cells = tuple[np.ndarray, np.ndarray]

_DAYS_PER_WEEK = 7.0
_HOURS_PER_DAY = 24.0
_DAYS_PER_MONTH = DAYS_PER_YEAR / 12


@dataclass(frozen=True)
class Flow:
    """Money from ``payer`` to ``payee`` under ``contract``, ``(draw, period)`` in USD."""

    payer: str
    payee: str
    contract: str
    kind: str
    amount_usd: np.ndarray


@dataclass(frozen=True)
class PaymentSchedule:
    """What a lease or compute contract pays as drawn, per draw and phase, to value what runs past
    the horizon (:mod:`gigawatt.finance.terminal`): each phase pays ``usd_per_day`` from
    ``start_day`` for ``term_days`` (a lease's renewals taken included), times ``growth`` to the
    power of the whole years since its start (a lease's escalator), and ``guarantee_usd`` (a
    residual value guarantee, if any) at its end."""

    start_day: np.ndarray
    usd_per_day: np.ndarray
    growth: np.ndarray
    term_days: np.ndarray
    guarantee_usd: np.ndarray | None = None


@dataclass
class ContractResult:
    """What one contract produces: cash flows and non-cash positions ``(draw, period)``."""

    flows: list[Flow] = field(default_factory=list)
    #: how to work out the RPO held by the seller at the end of each period (of the periods given,
    #: of all given ``None``): :attr:`rpo_usd`, :meth:`rpo_at`
    rpo: Callable[[np.ndarray | None], np.ndarray] | None = None
    #: how to work out the RPO that lapsed undelivered at the term's end: :attr:`rpo_lapsed_usd`
    lapsed: Callable[[], np.ndarray] | None = None
    #: recognised revenue (compute contracts), before payment terms
    recognised_usd: np.ndarray | None = None
    #: how to work out the investor's cumulative equity share of the investee: :attr:`stake_fraction`
    stake: Callable[[], np.ndarray] | None = None
    #: cumulative vested warrant shares
    shares_vested: np.ndarray | None = None
    #: cumulative value of the warrant's shares net of strike when each vested: what the issuer
    #: has handed over by each period (later moves of the price are the holder's gain or loss)
    warrant_granted_usd: np.ndarray | None = None
    #: how to work out the facility MW the contract pays for (lease, compute), in every cell
    #: (given ``None``) or in the cells ``(draws, periods)`` given: :attr:`covered_mw`
    covered: Callable[[Cells | None], np.ndarray] | None = None
    #: power purchase: MWh delivered to the covered campus, per period (not bought from the grid)
    energy_mwh: np.ndarray | None = None
    #: loans with covenants: the service after covenants (breach period, amounts called or swept)
    covenants: LoanService | None = None
    #: leases and compute contracts: the payment schedule, for what runs past the horizon
    schedule: PaymentSchedule | None = None

    @cached_property
    def stake_fraction(self) -> np.ndarray | None:
        """Cumulative equity share of the investee held by the investor ``(draw, period)``, worked
        out when first read (statements read it)."""
        return None if self.stake is None else self.stake()

    @cached_property
    def rpo_usd(self) -> np.ndarray | None:
        """Remaining performance obligation held by the seller at each period's end ``(draw,
        period)``, worked out when first read (statements, RPO series, a run's summary: not flows)."""
        return None if self.rpo is None else self.rpo(None)

    def rpo_at(self, periods: np.ndarray) -> np.ndarray | None:
        """:attr:`rpo_usd` at the end of the ``periods`` only ``(draw, len(periods))``: the same
        numbers, without the other periods' (statements read year ends)."""
        if self.rpo is None or "rpo_usd" in self.__dict__:
            return None if self.rpo_usd is None else self.rpo_usd[:, periods]
        return self.rpo(periods)

    @cached_property
    def rpo_lapsed_usd(self) -> np.ndarray | None:
        """RPO that lapsed undelivered at the end of the term, in the period it lapsed ``(draw,
        period)``, worked out when first read."""
        return None if self.lapsed is None else self.lapsed()

    @cached_property
    def covered_mw(self) -> np.ndarray | None:
        """Facility MW the contract pays for, per period (lease, compute), worked out when first
        read (only stress reads it)."""
        return None if self.covered is None else self.covered(None)


def period_of(day: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Index of the period holding each day; -1 before the grid, len(periods) after or never."""
    index = np.searchsorted(edges, day, side="right") - 1
    return np.where(np.isfinite(day), np.clip(index, -1, len(edges) - 1), len(edges) - 1)


def at_period(
    day: np.ndarray, amount: np.ndarray, edges: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """``amount`` (per draw) placed in the period holding ``day``: ``(draw, period)``; added to
    ``out`` in place, if given."""
    n = len(edges) - 1
    index = period_of(day, edges)
    inside = (index >= 0) & (index < n)
    rows = np.nonzero(inside)[0]
    if out is None:
        out = np.zeros((len(day), n))
        out[rows, index[inside]] = np.broadcast_to(amount, day.shape)[inside]
    else:
        out[rows, index[inside]] += np.broadcast_to(amount, day.shape)[inside]
    return out


def delay_periods(amount: np.ndarray, delay_days: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Shift each draw's row later by ``delay_days`` rounded to whole periods (payment terms)."""
    if not np.any(delay_days):
        return amount
    mean_period = float(np.mean(np.diff(edges)))
    shift = np.rint(np.broadcast_to(delay_days, amount.shape[:1]) / mean_period).astype(int)
    source = np.arange(amount.shape[1])[None, :] - shift[:, None]
    valid = source >= 0
    return np.where(valid, np.take_along_axis(amount, np.clip(source, 0, None), axis=1), 0.0)


def _increments(cumulative: np.ndarray) -> np.ndarray:
    """Each period's increase of a running total ``(draw, period)`` (from zero): ``np.diff`` with a
    zero prepended, without the copy it makes."""
    out = np.empty_like(cumulative, dtype=float)
    out[:, :1] = cumulative[:, :1]
    np.subtract(cumulative[:, 1:], cumulative[:, :-1], out=out[:, 1:])
    return out


def _tranche_dates(
    name: str, contract: Contract, p: Mapping[str, np.ndarray], capacity: Capacity, draws: int
) -> list[np.ndarray]:
    """When each tranche fires (``inf`` = never): the latest of its milestones, unless withheld."""
    out = []
    for i, tranche in enumerate(contract.tranches):
        path = f"contracts.{name}.tranches[{i}]"
        day = np.full(draws, -np.inf)
        if tranche.when_gw_deployed is not None:
            day = np.maximum(day, capacity.milestone_date(tranche.when_gw_deployed))
        if tranche.on_date is not None:
            day = np.maximum(day, p[f"{path}.date"])
        if tranche.share_price_usd is not None:
            day = np.maximum(day, _hurdle_date(name, p, p[f"{path}.share_price_above"]))
        withheld = p[f"{path}.withheld_draw"] >= p[f"{path}.probability"]
        out.append(np.where(withheld, np.inf, day))
    return out


def _start(name: str, contract: Contract, p: Mapping[str, np.ndarray], edges: np.ndarray) -> np.ndarray:
    for key, value in (("start", contract.start_date), ("signed", contract.signed_date)):
        if value is not None:
            return p[f"contracts.{name}.{key}"]
    return np.full(len(next(iter(p.values()))), edges[0])


def _share_price(name: str, p: Mapping[str, np.ndarray], start: np.ndarray, day: np.ndarray) -> np.ndarray:
    base = f"contracts.{name}"
    years = (day - start[:, None]) / DAYS_PER_YEAR
    growth = (1 + p[f"{base}.share_price_growth"][:, None]) ** years
    out: np.ndarray = p[f"{base}.share_price"][:, None] * growth
    return out


def _hurdle_date(name: str, p: Mapping[str, np.ndarray], hurdle: np.ndarray) -> np.ndarray:
    base = f"contracts.{name}"
    price, growth = p[f"{base}.share_price"], p[f"{base}.share_price_growth"]
    start = p.get(f"{base}.start", p.get(f"{base}.signed", np.zeros_like(price)))
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.log(hurdle / price) / np.log1p(growth)
    years = np.where(hurdle <= price, 0.0, np.where(growth > 0, years, np.inf))
    return start + years * DAYS_PER_YEAR


@dataclass
class _Terms:
    """One contract as its kind's function reads it: its name, terms drawn (``p``, paths under
    ``base``), capacity, the grid, payment terms in days, and the result its flows go into."""

    name: str
    contract: Contract
    p: Mapping[str, np.ndarray]
    capacity: Capacity
    edges: np.ndarray
    terms_days: np.ndarray
    result: ContractResult

    @property
    def base(self) -> str:
        return f"contracts.{self.name}"

    @property
    def shape(self) -> tuple[int, int]:
        """``(draw, period)``."""
        return self.capacity.date.shape[0], len(self.edges) - 1

    def term(self, key: str) -> np.ndarray:
        """The contract's drawn term ``key``, per draw."""
        return self.p[f"{self.base}.{key}"]

    def flow(self, kind: str, amount: np.ndarray, reverse: bool = False) -> None:
        """Money from payer to payee (payee to payer if ``reverse``)."""
        c = self.contract
        payer, payee = (c.payee, c.payer) if reverse else (c.payer, c.payee)
        self.result.flows.append(Flow(payer, payee, self.name, kind, amount))


def contract_flows(
    name: str,
    contract: Contract,
    p: Mapping[str, np.ndarray],
    capacity: Capacity,
    edges: np.ndarray,
    usage: np.ndarray | None = None,
) -> ContractResult:
    """Transactions and positions of one contract; ``p`` holds its drawn terms by path, ``usage``
    the payer's usage ``(draw, period)`` in [0, 1] for a compute contract's ``demand_share``."""
    base = f"contracts.{name}"
    if contract.capacity_mw is not None and contract.kind in ("purchase", "lease"):
        capacity = capacity.filled(p[f"{base}.capacity"])  # its phases in the order they come online
    t = _Terms(
        name, contract, p, capacity, edges, p[f"{base}.payment_terms"] * _DAYS_PER_WEEK, ContractResult()
    )
    kind = contract.kind
    if kind == "purchase":
        _purchase(t)
    elif kind == "lease":
        _lease(t)
    elif kind == "compute":
        _compute(t, usage)
    elif kind in ("investment", "loan"):
        _investment_or_loan(t)
    elif kind == "warrant":
        _warrant(t)
    elif kind == "power_purchase":
        _power_purchase(t)
    return t.result


def _purchase(t: _Terms) -> None:
    """Paid pro rata to delivery (per MW, or each phase's accelerators at the catalog's price), built
    or online, ``payment_terms`` later."""
    capacity, edges = t.capacity, t.edges
    if t.contract.price == "catalog":  # the USD each event delivers, counted as its MW are
        if capacity.capex_usd is None:
            raise ValueError(f"contract {t.name}: price: catalog needs phases with accelerators")
        capacity = Capacity(capacity.date, capacity.capex_usd, capacity.accelerators, capacity.start)
    online_end = (
        capacity.built_mw(edges[1:]) if t.contract.paid == "as_built" else capacity.online_mw(edges[1:])
    )
    # online_end is this function's own: worked on in place
    if t.contract.price == "catalog":
        delivered = online_end
    elif t.contract.value_usd is not None:
        total = capacity.total_mw
        delivered = np.multiply(t.term("value")[:, None], online_end, out=online_end)
        delivered /= np.where(total > 0, total, 1)[:, None]
        delivered[~(total > 0)] = 0.0
    else:
        delivered = np.multiply(t.term("price_per_mw")[:, None], online_end, out=online_end)
    t.flow("purchase", delay_periods(_increments(delivered), t.terms_days, edges))


def _lease(t: _Terms) -> None:
    """Each phase leased for its term (and renewals) from online, escalating yearly; the residual
    value guarantee at each phase's lease end."""
    capacity, edges, (draws, periods) = t.capacity, t.edges, t.shape
    term_days = t.term("term") * _DAYS_PER_WEEK
    if t.contract.renewals:
        renewal_days = t.term("renewal_term") * _DAYS_PER_WEEK
        term_days = term_days + renewals_taken(t.contract, t.p, t.base) * renewal_days
    if t.contract.price_usd_per_mw_month is not None:
        rate = t.term("price_per_mw_month")[:, None] * capacity.mw / _DAYS_PER_MONTH
    else:
        rate = t.term("price_per_accelerator_hour")[:, None] * capacity.accelerators * _HOURS_PER_DAY
    # one phase at a time, over the periods that hold a day of its lease in some draw (the others
    # add nothing), into three buffers: escalated yearly from the phase's online date, whole years
    # at the period's middle (each draw's powers of its growth worked out once, then looked up)
    mid = (edges[:-1] + edges[1:]) / 2
    powers = _year_powers(1 + t.term("escalator")[:, None], mid, capacity.date)
    row = np.arange(draws, dtype=float)[:, None] * powers.shape[1]  # each draw's first power, flat
    lease_usd, buffer = np.zeros((draws, periods)), np.empty(2 * draws * periods)
    index_buffer = np.empty(draws * periods, dtype=np.intp)
    for e in range(capacity.date.shape[1]):
        date = capacity.date[:, e]
        end = date + term_days
        lo, hi = _periods_touched(edges, date, end)
        if lo >= hi:
            continue
        size = draws * (hi - lo)
        days, years = buffer[:size].reshape(draws, -1), buffer[size : 2 * size].reshape(draws, -1)
        overlap_days(edges[lo : hi + 1], date, end, out=days, scratch=years)
        np.subtract(mid[lo:hi], date[:, None], out=years)  # whole years since online, in place from here
        years /= DAYS_PER_YEAR
        np.floor(np.maximum(years, 0.0, out=years), out=years)
        years += row
        index = index_buffer[:size].reshape(draws, -1)
        index[...] = years
        escalation = np.take(powers.reshape(-1), index, out=years)
        days *= rate[:, e, None]
        days *= escalation
        lease_usd[:, lo:hi] += days
    t.flow("lease", delay_periods(lease_usd, t.terms_days, edges))
    t.result.covered = partial(_leased_mw, capacity, edges, term_days)
    t.result.schedule = PaymentSchedule(capacity.date, rate, 1 + t.term("escalator"), term_days)
    if t.contract.residual_value_guarantee_usd is not None:
        gap = np.clip(
            t.term("residual_value_guarantee") - t.term("residual_value") * t.term("asset_cost"), 0.0, None
        )
        total = capacity.total_mw
        share = np.where(total[:, None] > 0, capacity.mw / np.where(total > 0, total, 1.0)[:, None], 0.0)
        ends = capacity.date + term_days[:, None]
        rvg = np.zeros((draws, periods))
        for k in range(ends.shape[1]):  # added in place: the same sums, no fresh array each
            at_period(ends[:, k], gap * share[:, k], edges, rvg)
        t.flow("residual_value_guarantee", rvg)
        t.result.schedule = replace(t.result.schedule, guarantee_usd=gap[:, None] * share)


def _year_powers(growth: np.ndarray, mid: np.ndarray, date: np.ndarray) -> np.ndarray:
    """``growth ** k`` per draw ``(draw, k)`` for every whole number of years ``k`` from an event's
    ``date`` to a period's ``mid`` (0 before it): the escalation a lease looks up instead of
    raising each cell to its power (``np.power`` is the cost; the same numbers, the same call)."""
    finite = date[np.isfinite(date)]
    # the most whole years any cell has, by the same arithmetic (rounding is monotone)
    most = 0 if finite.size == 0 else int(np.floor(max(mid[-1] - finite.min(), 0.0) / DAYS_PER_YEAR))
    years = np.empty((len(growth), most + 1))
    years[:] = np.arange(most + 1, dtype=float)
    out: np.ndarray = np.power(growth, years, out=years)
    return out


def _periods_touched(edges: np.ndarray, begin: np.ndarray, end: np.ndarray) -> tuple[int, int]:
    """The periods ``lo:hi`` outside which no draw's ``[begin, end)`` has a day (empty where no
    begin is finite)."""
    finite = np.isfinite(begin)
    if not finite.any():
        return 0, 0
    lo = int(np.searchsorted(edges[1:], begin[finite].min(), side="right"))
    hi = int(np.searchsorted(edges[:-1], end[finite].max(), side="left"))
    return lo, min(hi, len(edges) - 1)


def _leased_mw(
    capacity: Capacity, edges: np.ndarray, term_days: np.ndarray, cells: Cells | None
) -> np.ndarray:
    """Facility MW a lease covers per period ``(draw, period)`` (or in the ``cells`` only): each
    phase's MW times the share of the period inside its term."""
    if cells is not None:  # the same arithmetic, cell by cell
        draw, period = cells
        length, covered = np.diff(edges)[period], np.zeros(draw.size)
        for e in range(capacity.date.shape[1]):
            date = capacity.date[draw, e]
            part = np.minimum(edges[1:][period], date + term_days[draw])
            part -= np.maximum(edges[:-1][period], date)
            np.maximum(part, 0.0, out=part)
            part *= capacity.mw[draw, e]
            part /= length
            covered += part
        return covered
    length = np.diff(edges)
    shape = (len(term_days), len(edges) - 1)
    covered, days, scratch = np.zeros(shape), np.empty(shape), np.empty(shape)
    for e in range(capacity.date.shape[1]):
        date = capacity.date[:, e]
        part = overlap_days(edges, date, date + term_days, out=days, scratch=scratch)
        part *= capacity.mw[:, e, None]
        part /= length
        covered += part
    return covered


def _capped_mw(average: np.ndarray, capacity_mw: np.ndarray, cells: Cells | None) -> np.ndarray:
    """A compute contract's covered MW: the MW online, at most its capacity (in the ``cells`` only)."""
    out: np.ndarray = (
        np.minimum(average, capacity_mw[:, None])
        if cells is None
        else np.minimum(average[cells], capacity_mw[cells[0]])
    )
    return out


def _delivered_share(t: _Terms) -> np.ndarray | None:
    """A compute contract's share delivered per period: online MW over its capacity (stated, or its
    sites' total with ``sized_to_sites``), at most 1; ``None`` without a capacity (all of it)."""
    if t.contract.capacity_mw is None and not t.contract.sized_to_sites:
        return None
    average = t.capacity.average_mw(t.edges)
    capacity_mw = t.capacity.total_mw if t.contract.sized_to_sites else t.term("capacity")
    t.result.covered = partial(_capped_mw, average, capacity_mw)
    out: np.ndarray = np.minimum(1.0, average / np.where(capacity_mw > 0, capacity_mw, 1.0)[:, None])
    return out


def _phase_terms(t: _Terms, start: np.ndarray, term_days: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``term_from: online``: each phase's share of the sites' MW runs the term from its online
    date (not before ``start``). Days of term per period, weighted by the phases' shares of the
    total MW ``(draw, period)``, and when the last finite term ends, per draw."""
    capacity, edges = t.capacity, t.edges
    phased = Capacity(np.maximum(capacity.date, start[:, None]), capacity.mw, capacity.accelerators)
    t.result.covered = partial(_leased_mw, phased, edges, term_days)
    total = capacity.total_mw
    days = _leased_mw(phased, edges, term_days, None)  # mean MW in term, then days x share, in place
    days *= np.diff(edges)
    days /= np.where(total > 0, total, 1.0)[:, None]
    finite = np.where(np.isfinite(phased.date), phased.date, -np.inf).max(axis=1)
    return days, np.where(np.isfinite(finite), finite, start) + term_days


def _compute(t: _Terms, usage: np.ndarray | None) -> None:
    """Recognised as delivered over the term (times usage for the demand share), RPO from
    signing, what is undelivered at the term's end lapsed; prepaid at signing, refunded pro rata."""
    edges = t.edges
    start = _start(t.name, t.contract, t.p, edges)
    term_days = t.term("term") * _DAYS_PER_WEEK
    value = t.term("value")
    if t.contract.term_from == "online":
        recognised, ends = _phase_terms(t, start, term_days)
        share = None
        total = t.capacity.total_mw  # each phase's part of the value a day, from its online date
        begin = np.maximum(t.capacity.date, start[:, None])
        per_day = (value / term_days)[:, None] * t.capacity.mw / np.where(total > 0, total, 1.0)[:, None]
    else:
        recognised = overlap_days(edges, start, start + term_days)  # days, then USD, in place
        ends = start + term_days
        share = _delivered_share(t)  # the share delivered, None where it is 1
        begin, per_day = start[:, None], (value / term_days)[:, None]
    if usage is not None:
        used = 1 - t.term("demand_share")[:, None] * (1 - usage)
        share = used if share is None else share * used
    recognised *= (value / term_days)[:, None]
    if share is not None:
        recognised *= share
    signed = t.term("signed") if t.contract.signed_date is not None else start
    lapsed = value - _running_total(recognised)  # what is undelivered at the term's end
    # positions only statements and stress read: worked out when read (``recognised`` is never
    # changed after this: the ledger's entries are read only)
    t.result.rpo = partial(_rpo, recognised, value, signed, ends, edges)
    t.result.lapsed = partial(_rpo_lapsed, lapsed, ends, edges)
    t.result.recognised_usd = recognised
    prepaid = t.term("prepaid")[:, None]
    if np.any(prepaid > 0):
        t.flow("compute", at_period(signed, value, edges) * prepaid)
        t.flow("refund", at_period(ends, lapsed, edges) * prepaid * (ends < edges[-1])[:, None], reverse=True)
    # paid as recognised, less what was prepaid (nothing prepaid: the same array, read only)
    billed = recognised * (1 - prepaid) if np.any(prepaid) else recognised
    t.flow("compute", delay_periods(billed, t.terms_days, edges))
    # after the horizon: paid at the last period's delivered share and usage, less what was prepaid
    per_day = per_day * (1 - prepaid) * (1.0 if share is None else share[:, -1:])
    t.result.schedule = PaymentSchedule(begin, per_day, np.ones(len(value)), term_days)


def _running_total(values: np.ndarray) -> np.ndarray:
    """``np.cumsum(values, axis=1)[:, -1]``, the same numbers (each period added in order), without
    the running totals before it."""
    out: np.ndarray = values[:, 0].copy()
    for k in range(1, values.shape[1]):
        out += values[:, k]
    return out


def _rpo(
    recognised: np.ndarray,
    value: np.ndarray,
    signed: np.ndarray,
    ends: np.ndarray,
    edges: np.ndarray,
    periods: np.ndarray | None,
) -> np.ndarray:
    """A compute contract's RPO at each period's end (only the ``periods``, if given): its value
    less what is recognised so far, from signing until the term ends (zero outside)."""
    at = slice(None) if periods is None else periods
    end = edges[1:][at]
    live = (end[None, :] >= signed[:, None]) & ~(end[None, :] >= ends[:, None])
    rpo: np.ndarray = np.subtract(value[:, None], np.cumsum(recognised, axis=1)[:, at])
    np.copyto(rpo, 0.0, where=~live)  # np.where(live, rpo, 0.0) in place
    return rpo


def _rpo_lapsed(lapsed: np.ndarray, ends: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """What is undelivered at the term's end, in the period it ends (within the horizon)."""
    out = at_period(ends, lapsed, edges)
    out *= (ends < edges[-1])[:, None]
    return out


def _investment_or_loan(t: _Terms) -> None:
    """Paid in tranches on their milestones (or at start); an investment's stake, a loan's service."""
    edges, (draws, periods) = t.edges, t.shape
    if t.contract.tranches:
        dates = _tranche_dates(t.name, t.contract, t.p, t.capacity, draws)
        amounts = [t.term(f"tranches[{i}].amount") for i in range(len(t.contract.tranches))]
    else:
        dates, amounts = [_start(t.name, t.contract, t.p, edges)], [t.term("value")]
    if t.contract.drawn == "as_built":
        paid = _drawn_as_built(t, dates[0], amounts[0])
    else:
        paid = np.zeros((draws, periods))
        for d, a in zip(dates, amounts, strict=True):
            at_period(d, a, edges, paid)
    if t.contract.kind == "investment":
        t.flow("equity", paid)
        if t.contract.valuation_usd is not None:
            t.result.stake = partial(_stake, paid, t.term("valuation"))
    else:
        t.flow("loan_draw", paid)
        _loan_service(t.contract, t.p, t.base, edges, paid, t.flow)


def _drawn_as_built(t: _Terms, start: np.ndarray, value: np.ndarray) -> np.ndarray:
    """A construction loan's draws ``(draw, period)``: its value pro rata to its sites' facility MW
    built (what was built before ``start`` drawn then), drawing nothing from the period it
    matures in (what is not drawn by then lapses)."""
    total = t.capacity.total_mw
    share = t.capacity.built_mw(t.edges[1:]) / np.where(total > 0, total, 1.0)[:, None]
    share[np.arange(share.shape[1])[None, :] < period_of(start, t.edges)[:, None]] = 0.0
    share[t.edges[1:][None, :] >= (start + t.term("term") * _DAYS_PER_WEEK)[:, None]] = 0.0
    cumulative: np.ndarray = np.maximum.accumulate(share, axis=1) * value[:, None]
    return _increments(cumulative)


def _stake(paid: np.ndarray, valuation: np.ndarray) -> np.ndarray:
    """The cumulative share of an investee bought by ``paid`` ``(draw, period)`` at ``valuation``."""
    out: np.ndarray = np.cumsum(paid, axis=1) / valuation[:, None]
    return out


def _warrant(t: _Terms) -> None:
    """Shares vest on their milestones and hurdles; the holder pays the strike; each tranche is
    valued at the path's price when it vests."""
    edges, (draws, periods) = t.edges, t.shape
    start = _start(t.name, t.contract, t.p, edges)
    dates = _tranche_dates(t.name, t.contract, t.p, t.capacity, draws)
    vested = np.zeros((draws, periods))
    for i, d in enumerate(dates):
        at_period(d, t.term(f"tranches[{i}].shares"), edges, vested)
    t.flow("warrant_exercise", vested * t.term("strike")[:, None], reverse=True)
    t.result.shares_vested = np.cumsum(vested, axis=1)
    price = _share_price(t.name, t.p, start, np.broadcast_to(edges[1:], (draws, periods)))
    intrinsic = np.clip(price - t.term("strike")[:, None], 0, None)
    t.result.warrant_granted_usd = np.cumsum(vested * intrinsic, axis=1)


def _power_purchase(t: _Terms) -> None:
    """MWh used (or a plant's output) at the price, at least the take-or-pay floor."""
    edges = t.edges
    start = _start(t.name, t.contract, t.p, edges)
    days = overlap_days(edges, start, start + t.term("term") * _DAYS_PER_WEEK)
    hours = days * _HOURS_PER_DAY
    used_mwh = t.capacity.average_mw(edges) * t.term("load_factor")[:, None] * hours
    billed_mwh = used_mwh
    if t.contract.plant_capacity_mw is not None:
        billed_mwh = t.term("plant_capacity")[:, None] * t.term("capacity_factor")[:, None] * hours
        t.result.energy_mwh = np.minimum(billed_mwh, used_mwh)
    else:
        t.result.energy_mwh = used_mwh
    floor_mwh = np.zeros_like(used_mwh)
    if t.contract.capacity_mw is not None:
        floor_mwh = t.term("take_or_pay")[:, None] * t.term("capacity")[:, None] * hours
    bill = np.maximum(billed_mwh, floor_mwh) * t.term("price_per_mwh")[:, None]
    t.flow("power", delay_periods(bill, t.terms_days, edges))


def renewals_taken(contract: Contract, p: Mapping[str, np.ndarray], base: str) -> np.ndarray:
    """Renewals taken per draw: ``k`` while ``u < p^k`` (each taken with ``p`` if the last was)."""
    u, prob = p[f"{base}.renewal_draw"], p[f"{base}.renewal_probability"]
    k = np.arange(1, contract.renewals + 1)
    out: np.ndarray = (u[:, None] < prob[:, None] ** k[None, :]).sum(axis=1).astype(float)
    return out


def loan_repaid_share(
    contract: Contract, p: Mapping[str, np.ndarray], base: str, edges: np.ndarray
) -> np.ndarray:
    """Scheduled share of what is drawn repaid by each period's end ``(draw, period)``."""
    start, term_days = p[f"{base}.start"], p[f"{base}.term"] * _DAYS_PER_WEEK
    end = edges[1:][None, :]
    if contract.amortisation == "linear":
        out: np.ndarray = np.subtract(end, start[:, None])  # in place from here
        out /= term_days[:, None]
        return np.clip(out, 0.0, 1.0, out=out)
    return (end >= (start + term_days)[:, None]).astype(float)


def _loan_service(
    contract: Contract,
    p: Mapping[str, np.ndarray],
    base: str,
    edges: np.ndarray,
    drawn: np.ndarray,
    flow: object,
) -> None:
    """Interest on the opening balance and principal repaid linearly (or at maturity)."""
    cum_drawn = np.cumsum(drawn, axis=1)
    cum_repaid = loan_repaid_share(contract, p, base, edges)  # the share, then the amount, in place
    cum_repaid *= cum_drawn
    interest = np.empty_like(cum_drawn)  # the opening balance, then its interest, in place
    interest[:, 0] = 0.0
    np.subtract(cum_drawn[:, :-1], cum_repaid[:, :-1], out=interest[:, 1:])
    interest *= p[f"{base}.interest_rate"][:, None]
    interest *= np.diff(edges)
    interest /= DAYS_PER_YEAR
    assert callable(flow)
    flow("interest", interest, True)
    flow("principal", _increments(cum_repaid), True)
