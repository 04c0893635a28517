"""Each site's firm power: when each source can carry load, and when each phase's power is ready.

A site's phases take its firm power plan in order: a phase's power is ready on the day the
plan's cumulative firm MW (sources in order of availability) covers it and the phases before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from gigawatt.engine.model import CAUSES, DAYS_PER_WEEK, Model
from gigawatt.leadtimes import lead_weeks

#: Power source kinds, in the order of their ``power:<kind>`` causes.
_POWER_KINDS = ("grid", "gas", "solar_battery")
_POWER_CAUSES = tuple(CAUSES.index(f"power:{kind}") for kind in _POWER_KINDS)


def _power_day(p: Mapping[str, np.ndarray], base: str, src: Any) -> np.ndarray:
    """Day a power source can carry load: as stated, or ordered + the catalog's lead times."""
    if src.available_date is not None:
        return p[f"{base}.available"]
    out: np.ndarray = p[f"{base}.ordered"] + lead_weeks(src.kind, src.technology, p) * DAYS_PER_WEEK
    return out


def _firm_plan(p: Mapping[str, np.ndarray], site_id: str, site: Any) -> tuple[np.ndarray, ...]:
    """A site's power sources in order of availability, (draw, source): the day each can carry
    load, the cumulative firm MW available by then, and its kind (index in :data:`_POWER_KINDS`)."""
    days, mw, kinds = [], [], []
    for i, src in enumerate(site.power_plan):
        base = f"sites.{site_id}.power_plan[{i}]"
        days.append(_power_day(p, base, src))
        mw.append(p[f"{base}.capacity"] * p[f"{base}.firm_fraction"])
        kinds.append(_POWER_KINDS.index(src.kind))
    day_arr, mw_arr = np.stack(days, axis=1), np.stack(mw, axis=1)
    order = np.argsort(day_arr, axis=1, kind="stable")
    cum = np.cumsum(np.take_along_axis(mw_arr, order, axis=1), axis=1)
    return np.take_along_axis(day_arr, order, axis=1), cum, np.asarray(kinds)[order]


def site_power(
    model: Model,
    p: Mapping[str, np.ndarray],
    facility_mw: np.ndarray,
    commissioning: np.ndarray,
    observed: np.ndarray,
    power_day: np.ndarray,
    candidates: np.ndarray,
) -> None:
    """Fill in ``power_day`` (draw, phase) of each phase to be built, and its ``power:<kind>``
    row of ``candidates`` (cause, draw, phase): power ready plus commissioning, under the kind
    of the source that completes its share of the site's plan."""
    for site_id, site in model.scenario.sites.items():
        ks = [k for k, ph in enumerate(model.phases) if ph.site == site_id]
        built = [k for k in ks if not observed[k]]
        if not built:
            continue
        day, cum, kind_of = _firm_plan(p, site_id, site)
        need = np.cumsum(facility_mw[:, ks], axis=1)[:, [ks.index(k) for k in built]] - 1e-6
        # (draw, phase): how many sources, in order, fall short of the phase and those before it
        short = np.zeros(need.shape, np.intp)
        for s in range(cum.shape[1]):
            short += cum[:, s : s + 1] < need
        # the day and kind of the source that completes it (none: never, under the last's kind)
        ready = np.full(need.shape, np.inf)
        kind = np.broadcast_to(kind_of[:, -1:], need.shape)
        for s in range(cum.shape[1]):
            ready = np.where(short == s, day[:, s : s + 1], ready)
            kind = np.where(short == s, kind_of[:, s : s + 1], kind)
        power_day[:, built] = ready
        loaded = ready + commissioning[:, built]
        for code, cause in enumerate(_POWER_CAUSES):
            candidates[cause][:, built] = np.where(kind == code, loaded, -np.inf)
