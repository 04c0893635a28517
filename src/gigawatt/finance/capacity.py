"""The finance calendar and contracted capacity: who has how many MW online when.

Capacity is a set of *events* per draw: (date, facility MW, accelerators), one per
phase of the sites a contract covers (from the buildout engine's ``online_date``)
or one per delivery of a contract's own ``schedule``. Everything is an array over
``(draw, event)`` or ``(draw, period)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from gigawatt import units

__all__ = ["DAYS_PER_YEAR", "Capacity", "finance_edges", "overlap_days"]

#: Mean days in a year (Julian).
DAYS_PER_YEAR = units.DAYS_PER_YEAR
_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def finance_edges(start_day: float, end_day: float, step: str = "quarter") -> np.ndarray:
    """Period boundaries (days since 1970) on calendar months from ``start_day``'s month."""
    months = _MONTHS[step]
    first = units.date_from_days(start_day)
    year, month = first.year, first.month
    edges = []
    while True:
        day = units.days_from_date(dt.date(year, month, 1))
        edges.append(day)
        if day > end_day:
            break
        month += months
        year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return np.asarray(edges, dtype=float)


def overlap_days(
    edges: np.ndarray,
    begin: np.ndarray,
    end: np.ndarray,
    out: np.ndarray | None = None,
    scratch: np.ndarray | None = None,
) -> np.ndarray:
    """Days of each period inside ``[begin, end)``; ``begin``/``end`` broadcast as ``(..., 1)``.
    Written into ``out`` and worked in ``scratch`` (arrays of the result's shape), if given: a
    loop over events allocates nothing."""
    lo = np.maximum(edges[:-1], begin[..., None], out=scratch)
    out = np.minimum(edges[1:], end[..., None], out=out)
    np.subtract(out, lo, out=out)
    np.maximum(out, 0.0, out=out)  # in place: no temporaries (np.clip's wrapper costs more)
    return out


def _scatter(column: np.ndarray, value: np.ndarray, width: int, out: np.ndarray | None = None) -> np.ndarray:
    """``(draw, width)`` zeros (or ``out``, zeroed by the caller) with each event's ``value`` added
    at its ``column`` (per draw), event by event: the order ``np.bincount`` would add them in,
    without its flat (draw × width) pass."""
    draws, events = column.shape
    out = np.zeros((draws, width)) if out is None else out
    flat, start = out.reshape(-1), np.arange(draws) * width
    value = np.broadcast_to(value, column.shape)
    for e in range(events):
        flat[start + column[:, e]] += value[:, e]  # one cell per draw: no index repeats
    return out


@dataclass(frozen=True)
class Capacity:
    """Capacity events of one contract: arrays ``(draw, event)``; ``inf`` date = never."""

    date: np.ndarray
    mw: np.ndarray
    accelerators: np.ndarray
    #: when each event's build began (for progress payments), if known
    start: np.ndarray | None = None
    #: each event's accelerators at the catalog's price (the engine's ``capex_usd``), if known
    capex_usd: np.ndarray | None = None

    @property
    def total_mw(self) -> np.ndarray:
        """Everything the events would deliver, per draw (online or not)."""
        out: np.ndarray = self.mw.sum(axis=1)
        return out

    def filled(self, capacity_mw: np.ndarray) -> Capacity:
        """The first ``capacity_mw`` (per draw) of these events, filled as they come: earliest date
        first (declaration order on a tie, an event never online last), each event keeping what the
        earlier ones left of the capacity, its accelerators (and their price) in proportion. A
        stated capacity is then all delivered once that many MW are online, whether a later,
        optional phase is built or not."""
        order = np.argsort(self.date, axis=1, kind="stable")
        mw = np.take_along_axis(self.mw, order, axis=1)
        before = np.cumsum(mw, axis=1) - mw  # MW of the events that came before, per event
        kept = np.empty_like(mw)
        np.put_along_axis(kept, order, np.clip(capacity_mw[:, None] - before, 0.0, mw), axis=1)
        share = np.divide(kept, self.mw, out=np.zeros_like(kept), where=self.mw > 0)
        capex = None if self.capex_usd is None else self.capex_usd * share
        return Capacity(self.date, kept, self.accelerators * share, self.start, capex)

    def built_mw(self, day: np.ndarray) -> np.ndarray:
        """Facility MW built by each of ``day`` ``(draw, period)``: each event evenly from its start
        to its date (all of it at its date without a start); nothing for an event never online."""
        if self.start is None:
            return self.online_mw(day)
        span = (self.date - self.start)[..., None]
        spread = span > 0
        # (draw, event, day), worked in place: the share built by each day
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.subtract(day[None, None, :], self.start[..., None])
            share /= np.where(spread, span, 1.0)
        np.copyto(share, self.date[..., None] <= day[None, None, :], where=~spread)  # all at its date
        np.clip(share, 0.0, 1.0, out=share)
        np.copyto(share, 0.0, where=~np.isfinite(self.date)[..., None])
        out: np.ndarray = np.einsum("de,dek->dk", self.mw, share)
        return out

    def online_mw(self, day: np.ndarray | float) -> np.ndarray:
        """Facility MW online at ``day``: per draw, or ``(draw, period)`` for an array of days
        (ascending)."""
        day = np.asarray(day, dtype=float)
        if day.ndim == 0:
            out: np.ndarray = (self.mw * (self.date <= day)).sum(axis=1)
            return out
        first = np.searchsorted(day, self.date, side="left")  # the first day each event is online
        # the prefix sums of the first len(day) columns: contiguous, the same numbers
        return np.cumsum(_scatter(first, self.mw, len(day) + 1)[:, : len(day)], axis=1)

    def average_mw(self, edges: np.ndarray, scratch: np.ndarray | None = None) -> np.ndarray:
        """Mean facility MW online over each period ``(draw, period)`` (pro rata from online).

        Each event is online for all of every period after the one holding its date and for
        the rest of that one: a running sum of MW plus one partial period per event, so the cost
        is per event, not per event and period. ``scratch``, a ``(draw, period + 1)`` array, is
        worked in if given (its contents are lost)."""
        periods = len(edges) - 1
        holding = np.searchsorted(edges, self.date, side="right") - 1  # -1 before, periods after
        if scratch is not None:
            scratch.fill(0.0)
        full = _scatter(np.clip(holding + 1, 0, periods), self.mw, periods + 1, scratch)
        inside = (holding >= 0) & (holding < periods)
        at = np.clip(holding, 0, periods - 1)
        rest = np.where(inside, (edges[at + 1] - self.date) / np.diff(edges)[at], 0.0)
        out: np.ndarray = np.cumsum(full[:, :periods], axis=1)  # contiguous, the same prefix sums
        full.fill(0.0)  # its buffer again, for the partial periods
        out += _scatter(np.where(inside, holding, periods), self.mw * rest, periods + 1, full)[:, :periods]
        return out

    def milestone_date(self, threshold_mw: float) -> np.ndarray:
        """First date the online MW reaches ``threshold_mw``, per draw (``inf`` if never)."""
        order = np.argsort(self.date, axis=1, kind="stable")
        dates = np.take_along_axis(self.date, order, axis=1)
        cum = np.cumsum(np.take_along_axis(self.mw, order, axis=1), axis=1)
        reached = cum >= threshold_mw - 1e-6
        index = np.argmax(reached, axis=1)
        found = reached[np.arange(len(index)), index]
        return np.where(found, dates[np.arange(len(index)), index], np.inf)
