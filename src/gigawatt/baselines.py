"""Reference forecasts for the backtest: how close any forecast from a campus's first row could come.

The backtest (:mod:`gigawatt.backtest`) forecasts every campus from its first
timeline row, when all that is known is its start, its place and its stated
sizes. These baselines use the same information, the milestone's index (1st,
2nd, ... rise of the campus's power), and say what error is left to explain:

* ``per_index_loo``: milestone k of a campus forecast as the median, over the
  *other* campuses, of the time from their first row to their k-th rise: an
  empirical forecast fitted leave-one-campus-out, like the model's priors;
* ``per_index_hindsight``: the same median taken over *all* campuses, the one
  scored included. For each index the median minimises the summed absolute
  error, so no forecast that depends on the index alone (however its constants
  were chosen, even on the answers) has a smaller mean |error| on these
  campuses; its median |error| is a floor in that sense, not a bound on every
  statistic. (Forecast verification's "climatology" reference, Wilks,
  *Statistical Methods in the Atmospheric Sciences*, 4th ed. 2019, §9.1.)

``cadence_by_year`` groups the observed gaps between a campus's rises by the
calendar year each gap began: if the pace changed with the era, a forecast from
a campus's first row cannot know it (leave-one-campus-out does not hide what
other campuses did later).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
from scipy import stats

from gigawatt import units
from gigawatt.io.epoch_timelines import TimelineRow

__all__ = ["baselines", "cadence_by_year", "per_index"]

#: Mean days in a month (365.25 / 12).
DAYS_PER_MONTH = 30.4375


def _observed_rises(history: list[TimelineRow], snapshot: float) -> list[TimelineRow]:
    """The rows, up to the snapshot, where a campus's power rises above its earlier peak."""
    out, peak = [], 0.0
    for row in history:
        if row.date <= snapshot and row.power_mw > peak:
            out.append(row)
            peak = row.power_mw
    return out


def _months_from_start(histories: dict[str, list[TimelineRow]], snapshot: float) -> dict[str, list[float]]:
    """Per campus with a start before its first rise: months from its first row to each observed rise."""
    out = {}
    for campus, history in histories.items():
        rises = [r for r in _observed_rises(history, snapshot) if r.date > history[0].date]
        if rises:
            out[campus] = [(r.date - history[0].date) / DAYS_PER_MONTH for r in rises]
    return out


def per_index(
    histories: dict[str, list[TimelineRow]], snapshot: float, *, leave_one_out: bool
) -> dict[str, Any]:
    """Median |error| (months) of forecasting each observed rise by the campuses' median for its index.

    Rises whose index no other campus reached are not forecast (``unscored``).
    """
    times = _months_from_start(histories, snapshot)
    errors, unscored = [], 0
    for campus, mine in times.items():
        for k, t in enumerate(mine):
            pool = [v[k] for c, v in times.items() if len(v) > k and not (leave_one_out and c == campus)]
            if not pool:
                unscored += 1
                continue
            errors.append(t - float(np.median(pool)))
    e = np.array(errors)
    return {
        "count": len(errors),
        "unscored": unscored,
        "median_abs_error_months": round(float(np.median(np.abs(e))), 2) if len(e) else None,
        "mean_abs_error_months": round(float(np.mean(np.abs(e))), 2) if len(e) else None,
        "median_error_months": round(float(np.median(e)), 2) if len(e) else None,
    }


def cadence_by_year(histories: dict[str, list[TimelineRow]], snapshot: float) -> dict[str, Any]:
    """Observed gaps between rises by the year each began: count and median months, and the trend.

    ``log_gap_vs_year``: Pearson's r of the log gap on the (fractional) year it began, and its
    p-value (gaps of zero, two rises dated alike, left out); gaps of one campus are not
    independent, so read the p-value as a rough figure.
    """
    rows = []
    for history in histories.values():
        for a, b in itertools.pairwise(_observed_rises(history, snapshot)):
            rows.append((units.date_from_days(a.date).year, a.date, (b.date - a.date) / DAYS_PER_MONTH))
    years: dict[str, dict[str, float]] = {}
    for year in sorted({y for y, _, _ in rows}):
        gaps = [g for y, _, g in rows if y == year]
        years[str(year)] = {"count": len(gaps), "median_months": round(float(np.median(gaps)), 1)}
    trend = None
    spaced = [(d, g) for _, d, g in rows if g > 0]  # two rises on one date have no log gap
    if len(spaced) >= 3:
        r = stats.pearsonr([d for d, _ in spaced], np.log([g for _, g in spaced]))
        trend = {"r": round(float(r.statistic), 3), "p": float(r.pvalue)}
    return {"gaps": len(rows), "by_year": years, "log_gap_vs_year": trend}


def baselines(histories: dict[str, list[TimelineRow]], snapshot: float) -> dict[str, Any]:
    """The per-index reference forecasts and the cadence by year (see the module's docstring)."""
    return {
        "note": "forecasts from each campus's first row that know only the milestone's index",
        "per_index_loo": per_index(histories, snapshot, leave_one_out=True),
        "per_index_hindsight": per_index(histories, snapshot, leave_one_out=False),
        "cadence_by_year": cadence_by_year(histories, snapshot),
    }
