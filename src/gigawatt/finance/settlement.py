"""Settlement: each period's obligations paid as far as cash and credit allow.

Settlement (:func:`settle`) pays each period's obligations in the ledger's order of
time. A party with declared ``cash`` (plus ``credit``) that cannot meet what it owes in
a period pays every counterparty the same share (a clearing vector in the sense of
Eisenberg & Noe, "Systemic Risk in Financial Systems", Management Science 47(2), 2001,
found by fixed-point iteration from full payment); the unpaid rest is deferred to the
next period or defaulted, by each contract's ``on_shortfall``, and its counterparties
receive less in turn. Parties without declared cash, and the world, always pay
(:mod:`gigawatt.finance.stress` shocks a scenario and reports who runs short). Before the
scenario's as-of date every party pays in full: no one runs short in the past
(:mod:`gigawatt.finance.facts`).

A party with a funding policy (:mod:`gigawatt.finance.funding`) has raised, in the ledger, what
its policy raises when everyone pays it as scheduled. Where a counterparty paid it less and it
ran short, its policy is run again on what it was actually paid (its own payments in full) and
the settlement repeated with those raises: it defers its own payments only where its policy
cannot cover the gap, so "short" here is short after its policy, as ``funding_need`` counts it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.finance.contracts import Flow
from gigawatt.finance.facts import forecast_from
from gigawatt.finance.funding import fund
from gigawatt.finance.ledger import WORLD, Ledger
from gigawatt.finance.model import Money

__all__ = ["Settlement", "settle"]


@dataclass
class Settlement:
    """What was actually paid, and what was not.

    Only entries a constrained party pays (``scaled``) can be paid in part, and only in the draws
    where a constrained party ever falls short (``settled``, indices). Payments that differ from
    the schedule are kept by cell: in draw ``changed_draw[i]``, period ``changed_period[i]``, the
    ``j``-th scaled entry was paid ``changed_paid_usd[j][i]`` (one array of cells per scaled entry:
    no single block of memory the size of them all, whose first touch costs more than its sums);
    every other cell is paid as scheduled (most are: in a settled draw a party is short in a few
    periods).
    ``unpaid_usd`` is each entry's unpaid total over the horizon ``(draw, entry)`` (defaulted, or
    still deferred at the end). ``shortfall_usd`` and ``cash_usd`` are ``(draw, period, party)``,
    the constrained parties' (zero for the parties that always pay, whose cash is their running
    net of what was paid: :meth:`paid_usd`)."""

    scheduled: Ledger
    scaled: np.ndarray
    settled: np.ndarray
    changed_draw: np.ndarray
    changed_period: np.ndarray
    changed_paid_usd: list[np.ndarray]
    unpaid_usd: np.ndarray
    shortfall_usd: np.ndarray
    cash_usd: np.ndarray
    constrained: np.ndarray

    def _paid_entry(self, j: int, e: int) -> np.ndarray:
        amount = np.array(self.scheduled.amounts[e])
        amount[self.changed_draw, self.changed_period] = self.changed_paid_usd[j]
        return amount

    @property
    def paid(self) -> Ledger:
        """The ledger as paid: the scheduled one with the scaled entries' payments."""
        chosen = np.nonzero(self.scaled)[0]
        return self.scheduled.replaced(chosen, [self._paid_entry(j, int(e)) for j, e in enumerate(chosen)])

    def late_usd(self, entries: np.ndarray) -> np.ndarray:
        """What was scheduled under ``entries`` (a mask of scaled entries), summed, less what was paid
        under them, in each changed cell ``(cell,)``: elsewhere everything was paid as scheduled (the
        difference is zero). Each cell's sums are the ones the whole ``(draw, period)`` sums of the
        schedule and of the payments hold there, added in the same order."""
        chosen = np.nonzero(entries)[0]
        if not chosen.size:
            return np.zeros(self.changed_draw.size)
        where = np.cumsum(self.scaled) - 1
        gathered = [self.scheduled_at_cells(int(e)) for e in chosen]
        scheduled = np.array(gathered[0], dtype=float)
        for g in gathered[1:]:
            scheduled += g
        paid = scheduled.copy()
        for e, g in zip(chosen, gathered, strict=True):
            paid += self.changed_paid_usd[where[e]] - g
        late: np.ndarray = scheduled - paid
        return late

    def scheduled_at_cells(self, e: int) -> np.ndarray:
        """Entry ``e``'s scheduled amounts in the changed cells ``(cell,)``: taken from the flat
        array where it is one (cheaper than indexing by draw and period), else indexed."""
        amount = self.scheduled.amounts[e]
        if amount.flags.c_contiguous:
            flat = self.changed_draw * amount.shape[1] + self.changed_period
            taken: np.ndarray = amount.ravel().take(flat)
            return taken
        at: np.ndarray = amount[self.changed_draw, self.changed_period]
        return at


#: Draws settled together: each block's (period, draw, entry) cube stays small (cache, memory).
_BLOCK_DRAWS = 1000


#: Rounds of funding policies raising against what was actually paid: the first settles a
#: counterparty's deferral; more are needed only where what a party raises reaches itself again.
_POLICY_ROUNDS = 3


def settle(money: Money) -> Settlement:
    """Pay each period's obligations as far as cash, credit and funding policies allow (module doc).

    A party with a funding policy whose counterparties paid it less than scheduled raises against
    what it was actually paid (:func:`_refunded`), as far as its policy allows, before it defers
    its own payments: it runs short only when its policy cannot cover the gap, as ``funding_need``
    measures a shortfall. :attr:`Settlement.scheduled` is then the ledger with those raises."""
    settlement = _settle(money, money.book)
    for _ in range(_POLICY_ROUNDS):
        book = _refunded(money, settlement)
        if book is None:
            break
        settlement = _settle(money, book)
    return settlement


def _refunded(money: Money, s: Settlement) -> Ledger | None:
    """The settled ledger with each funding policy run again on what its party was actually
    paid (its own payments in full), in the draws where the party ran short and a counterparty
    paid it less than scheduled: its raises there replace the policy's. ``None`` when no raise
    changes (no policy party was short for want of what it was owed)."""
    book, outcome = s.scheduled, money.funding
    if outcome is None:
        return None
    entries: list[int] = []
    amounts: list[np.ndarray] = []
    where = np.cumsum(s.scaled) - 1
    keys = {k: e for e, k in enumerate(zip(book.payer, book.payee, book.contract, book.kind, strict=True))}
    for party, policy in money.scenario.funding.items():
        i = money.parties.index(party) if party in money.parties else -1
        known = outcome.parties.get(party)
        if i < 0 or not s.constrained[i] or known is None or not known.has_policy:
            continue
        received = np.nonzero((book.payee == party) & s.scaled)[0]
        paid = {int(e): s._paid_entry(int(where[e]), int(e)) for e in received}
        cut = np.zeros(book.shape[0], bool)
        for e, amount in paid.items():
            cut |= np.any(amount < np.asarray(book.amounts[e]) - 1.0, axis=1)
        rows = np.nonzero(cut & (s.shortfall_usd[:, :, i] > 1.0).any(axis=1))[0]
        if not rows.size:
            continue
        own = f"funding:{party}:"
        flows = [
            Flow(str(book.payer[e]), str(book.payee[e]), str(book.contract[e]), str(book.kind[e]),
                 paid.get(int(e), book.amounts[e])[rows])
            for e in np.nonzero((book.payer == party) | (book.payee == party))[0]
            if not str(book.contract[e]).startswith(own)
        ]  # fmt: skip
        p = {
            k: v[rows]
            for k, v in money.parameters.items()
            if k.startswith(f"funding.{party}.") or k == f"parties.{party}.cash"
        }
        alone = money.scenario.model_copy(
            update={"parties": {party: money.scenario.parties[party]}, "funding": {party: policy}}
        )
        for f in fund(alone, p, money.edges, flows).flows:
            e = keys[(f.payer, f.payee, f.contract, f.kind)]
            amount = np.array(book.amounts[e])
            amount[rows] = f.amount_usd
            if not np.array_equal(amount, book.amounts[e]):
                entries.append(e)
                amounts.append(amount)
    return book.replaced(np.array(entries, int), amounts) if entries else None


def _settle(money: Money, book: Ledger) -> Settlement:
    """Settle ``book`` (the money's ledger, or it with policies' raises against what was paid).

    A draw where every constrained party can pay everything it owes in every period, paying in
    full, is settled at once: paid as scheduled, cash its running net. The others (``settled``)
    are independent, so they are settled in blocks of :data:`_BLOCK_DRAWS`, period by period, over
    the entries constrained parties pay (only those can be paid in part); what the others pay the
    constrained parties is always paid, summed once per party beforehand."""
    draws, periods = book.shape
    entries = len(book.amounts)
    names = money.parties
    n = len(names)
    payer = np.array([names.index(x) for x in book.payer], dtype=int)
    payee = np.array([names.index(x) for x in book.payee], dtype=int)
    defer = np.array(
        [
            money.scenario.contracts[c].on_shortfall == "defer" if c in money.scenario.contracts else True
            for c in book.contract
        ]
    )
    constrained = np.array([x != WORLD and f"parties.{x}.cash" in money.parameters for x in names])
    parties = np.nonzero(constrained)[0]
    cash0 = np.zeros((draws, parties.size))
    floor = np.zeros((draws, parties.size))
    for c, i in enumerate(parties):
        cash0[:, c] = money.parameters[f"parties.{names[i]}.cash"]
        floor[:, c] = -money.parameters.get(f"parties.{names[i]}.credit", np.zeros(draws))
    scaled = constrained[payer]
    chosen = np.nonzero(scaled)[0]
    # what the parties that always pay owe the constrained ones, and what these owe, in full:
    # (draw, period, constrained party)
    fixed_in = np.zeros((draws, periods, parties.size))
    owed_in = np.zeros((draws, periods, parties.size))
    owed_out = np.zeros((draws, periods, parties.size))
    for c, i in enumerate(parties):
        fixed_in[:, :, c] = book.sum(~scaled & (payee == i))
        owed_in[:, :, c] = fixed_in[:, :, c] + book.sum(scaled & (payee == i))
        owed_out[:, :, c] = book.sum(payer == i)
    cash = cash0[:, None, :] + np.cumsum(owed_in - owed_out, axis=1)  # after each period, paid in full
    start = forecast_from(money.scenario, money.edges)  # no one short before as-of
    settled = _settled_draws(cash, cash0, floor, owed_in, owed_out, start)
    shortfall = np.zeros((draws, periods, parties.size))
    changed: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (draw, period, paid) by block
    unpaid = np.zeros((draws, entries))
    incidence = np.eye(n)[:, parties]
    rules = _Rules(
        incidence[payer[chosen]],
        incidence[payee[chosen]],
        defer[chosen],
        np.searchsorted(parties, payer[chosen]),
        entries + 2,
        start,
    )
    scratch = _Scratch(periods, chosen.size, min(settled.size, _BLOCK_DRAWS))
    for lo in range(0, settled.size, _BLOCK_DRAWS):
        block = slice(lo, min(settled.size, lo + _BLOCK_DRAWS))
        rows = settled[block]
        by_period = _by_period([book.amounts[e] for e in chosen], rows, scratch)
        block_unpaid = np.zeros((rows.size, chosen.size))
        block_short = np.zeros((periods, rows.size, parties.size))
        block_cash = np.zeros((periods, rows.size, parties.size))
        block_changed = _settle_block(
            by_period, np.ascontiguousarray(fixed_in[rows].transpose(1, 0, 2)), cash0[rows],
            floor[rows], rules, block_unpaid, block_short, block_cash,
        )  # fmt: skip
        changed += [(rows[local], np.full(local.size, k), amount) for k, local, amount in block_changed]
        unpaid[np.ix_(rows, chosen)] = block_unpaid
        shortfall[rows] = block_short.transpose(1, 0, 2)
        cash[rows] = block_cash.transpose(1, 0, 2)
    # (draw, period, party), stored party-major: the columns of parties that always pay stay zero
    # pages, never written
    shortfall_all = np.zeros((n, draws, periods))
    cash_all = np.zeros((n, draws, periods))
    for c, i in enumerate(parties):
        shortfall_all[i] = shortfall[:, :, c]
        cash_all[i] = cash[:, :, c]
    return Settlement(
        book, scaled, settled, *_cells(changed, chosen.size), unpaid, shortfall_all.transpose(1, 2, 0),
        cash_all.transpose(1, 2, 0), constrained,
    )  # fmt: skip


def _cells(
    changed: list[tuple[np.ndarray, np.ndarray, np.ndarray]], entries: int
) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """The blocks' cells paid other than scheduled as one list: draws, periods, and each scaled
    entry's payments in them."""
    if not changed:
        return np.zeros(0, int), np.zeros(0, int), [np.zeros(0) for _ in range(entries)]
    draw, period = (np.concatenate([c[i] for c in changed]).astype(int) for i in range(2))
    return draw, period, [np.concatenate([c[2][:, j] for c in changed]) for j in range(entries)]


class _Scratch:
    """The two ``(period, ·, ·)`` arrays :func:`_by_period` writes, made once for every block of a
    settlement (fresh memory is costly to touch first; the blocks reuse it)."""

    def __init__(self, periods: int, entries: int, draws: int) -> None:
        self.by_entry = np.empty((periods, entries, draws))
        self.out = np.empty((periods, draws, entries))


def _by_period(amounts: list[np.ndarray], rows: np.ndarray, scratch: _Scratch) -> np.ndarray:
    """The ``rows`` (draws) of each entry's ``(draw, period)`` amounts as one ``(period, draw,
    entry)`` array (in ``scratch``), by two transposes of pieces that stay in cache: each entry's
    rows as ``(period, draw)``, then each period's ``(entry, draw)`` as ``(draw, entry)`` (faster
    than writing each entry's transpose strided across the whole block)."""
    periods = amounts[0].shape[1] if amounts else 0
    by_entry = scratch.by_entry[:, :, : rows.size]
    for j, a in enumerate(amounts):
        by_entry[:, j, :] = a[rows].T
    out = scratch.out[:, : rows.size, :]
    for k in range(periods):
        out[k] = by_entry[k].T
    return out


def _settled_draws(
    cash: np.ndarray,
    cash0: np.ndarray,
    floor: np.ndarray,
    owed_in: np.ndarray,
    owed_out: np.ndarray,
    start: int = 0,
) -> np.ndarray:
    """The draws where, everything paid in full, a constrained party at some period from ``start``
    (the first after the as-of date) owes more than its cash, what it receives and its credit: only
    those need settling period by period. ``cash`` is the running cash after each period paid in
    full, the rest as in :func:`settle`."""
    before = np.concatenate([cash0[:, None, :], cash[:, :-1, :]], axis=1)
    room = before + owed_in - floor[:, None, :]
    # a margin far above rounding, so a draw left out is one the iteration would not change
    margin = 1.0 + 1e-9 * (np.abs(before) + owed_in + owed_out + np.abs(floor[:, None, :]))
    short = owed_out[:, start:] > room[:, start:] - margin[:, start:]
    result: np.ndarray = np.nonzero(short.any(axis=(1, 2)))[0]
    return result


@dataclass(frozen=True)
class _Rules:
    """The entries constrained parties pay, as those parties see them: who pays and receives
    (incidence on the constrained parties), deferred or defaulted when short, and the payer's
    column among the constrained."""

    payer_inc: np.ndarray
    payee_inc: np.ndarray
    defer: np.ndarray
    payer: np.ndarray
    #: at most this many rounds of the fixed-point iteration (one per ledger entry, and two)
    rounds: int
    #: the first period a party can be short in (finance.facts: before it, the past, all pay)
    start: int = 0


def _settle_block(
    by_period: np.ndarray,
    fixed_in: np.ndarray,
    cash: np.ndarray,
    floor: np.ndarray,
    r: _Rules,
    unpaid_out: np.ndarray,
    shortfall_out: np.ndarray,
    position_out: np.ndarray,
) -> list[tuple[int, np.ndarray, np.ndarray]]:
    """:func:`settle` for one block of draws: ``by_period`` is what the constrained parties owe
    ``(period, draw, entry)`` (overwritten), ``fixed_in`` what they receive from parties that always
    pay ``(period, draw, party)``, ``cash``/``floor`` theirs; the outputs (``unpaid_out`` ``(draw,
    entry)``, ``shortfall_out`` and ``position_out`` ``(period, draw, party)``) are written in
    place. Returns the payments that differ from the schedule: per period, the draws (a draw short
    in that period or owing arrears from the one before) and what each entry paid there."""
    periods, draws, entries = by_period.shape
    c = cash.shape[1]
    unpaid = np.zeros((draws, entries))
    arrears = np.zeros((draws, entries))
    all_defer = bool(r.defer.all())
    both = np.concatenate([r.payer_inc, r.payee_inc], axis=1)  # owed and received, one product
    moved = r.payee_inc - r.payer_inc
    in_arrears = False
    owing = np.zeros(0, int)  # the draws with arrears from the period before
    changed = []
    for k in range(periods):
        owed_e = by_period[k] + arrears if in_arrears else by_period[k]
        rows = np.zeros(0, int)  # before the as-of date everyone pays in full: no sums needed
        if k >= r.start:
            sides = owed_e @ both
            owed = sides[:, :c]
            # from full payment, a draw where every constrained party can pay in full is settled at
            # once (share 1: paid as owed, nothing left); only the others pay a share, found on them
            room = cash + fixed_in[k] + sides[:, c:] - floor
            rows = np.nonzero((owed > room).any(axis=1))[0]
        paid = owed_e  # (draw, entry) of this period: as owed, but in the draws short (in place)
        if rows.size:
            owed_rows = owed_e[rows]
            share = _shares(owed_rows, owed[rows], fixed_in[k][rows], cash[rows] - floor[rows], r)
            paid_rows = owed_rows * share[:, r.payer]
            paid[rows] = paid_rows
            left = owed_rows - paid_rows
            arrears = np.zeros((draws, entries))
            if all_defer:
                arrears[rows] = left
            else:
                arrears[rows] = np.where(r.defer, left, 0.0)
                unpaid[rows] += np.where(r.defer, 0.0, left)
            left_all = np.zeros((draws, entries))  # one product over the block: the same sums
            left_all[rows] = left
            shortfall_out[k] = left_all @ r.payer_inc
            in_arrears = True
        elif in_arrears:
            arrears, in_arrears = np.zeros((draws, entries)), False
        if owing.size:  # the draws short now or owing from the period before, in order
            marked = np.zeros(draws, bool)
            marked[rows], marked[owing] = True, True
            differs = np.flatnonzero(marked)
        else:
            differs = rows
        if differs.size:
            changed.append((k, differs, paid[differs]))
        owing = rows
        cash = cash + fixed_in[k] + paid @ moved
        position_out[k] = cash
    unpaid_out[...] = unpaid + arrears
    return changed


def _shares(
    owed_e: np.ndarray, owed: np.ndarray, fixed: np.ndarray, base: np.ndarray, r: _Rules
) -> np.ndarray:
    """The share of what it owes each constrained party pays, for draws where one is short: from
    full payment, each draw iterated until its own shares stop moving (Eisenberg-Noe's fixed
    point). ``owed_e`` ``(draw, entry)`` what is owed under each entry, ``owed`` ``(draw, party)``
    its sum by payer, ``fixed`` what parties that always pay pay them, ``base`` cash less floor."""
    share = np.ones(owed.shape)
    live = np.arange(owed.shape[0])
    for _ in range(r.rounds):
        at = slice(None) if live.size == owed.shape[0] else live  # all still moving: views, no copies
        old = share[at]
        received = fixed[at] + (owed_e[at] * old[:, r.payer]) @ r.payee_inc
        o = owed[at]
        new = np.where(o > 0, np.clip((base[at] + received) / np.where(o > 0, o, 1.0), 0.0, 1.0), 1.0)
        moving = ~np.all(np.abs(new - old) <= 1e-12, axis=1)
        share[live] = new
        live = live[moving]
        if live.size == 0:
            break
    return share
