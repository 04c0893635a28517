"""When capex is paid: chips at delivery, construction as built.

A phase's all-in capex (facility MW × ``per_gw.capex_per_gw_facility``) splits into IT
equipment, a share ``per_gw.compute_share_of_capex`` (accelerator systems, networking,
storage: Epoch 0.68, Business Insider 0.52), and construction, the rest (buildings, power,
cooling). Construction is paid as built: evenly from the phase's start to its online date
(progress payments). IT is paid at delivery, a lead before the online date equal to the
catalog's IT fit-out plus commissioning stages (roof-complete to operational: Epoch's
~5 months, P10/P50/P90 3.5/5.1/6.6 months by ``gigawatt calibrate``; one to two quarters),
never before the phase starts. A phase that never comes online pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist

__all__ = ["CATEGORIES", "chip_parameters", "chip_lead_days", "delivery_date", "capex_spent_by_usd"]

_DAYS_PER_WEEK = 7.0
#: What a pledge may count: all capex, construction only, or IT equipment only.
CATEGORIES = ("all", "construction", "it")


def chip_parameters() -> dict[str, Dist]:
    """The catalog numbers chip timing and the capex split draw, by path."""
    catalog = load_catalog()
    return {
        "per_gw.compute_share_of_capex": catalog.cost("per_gw", "compute_share_of_capex").dist(),
        "chips.lead.it_fit_out": catalog.cost("stages", "it_fit_out").dist(),
        "chips.lead.commissioning": catalog.cost("stages", "commissioning").dist(),
    }


def chip_lead_days(p: Mapping[str, np.ndarray]) -> np.ndarray:
    """Days from chip delivery (and payment) to online, per draw."""
    weeks = p["chips.lead.it_fit_out"] + p["chips.lead.commissioning"]
    return np.asarray(weeks * _DAYS_PER_WEEK, dtype=float)


def delivery_date(
    ds: xr.Dataset, p: Mapping[str, np.ndarray], chosen: np.ndarray | None = None
) -> np.ndarray:
    """Each phase's chip delivery date ``(draw, phase)``: online less the lead, not before its start."""
    cols = slice(None) if chosen is None else chosen
    online = ds.online_date.values[:, cols]
    start = ds.start_date.values[:, cols]
    return np.where(np.isfinite(online), np.maximum(online - chip_lead_days(p)[:, None], start), np.inf)


def _evenly(start: np.ndarray, end: np.ndarray, day: float) -> np.ndarray:
    span = end - start
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(span > 0, (day - start) / np.where(span > 0, span, 1.0), (day >= end) * 1.0)
    return np.where(np.isfinite(end), np.clip(share, 0.0, 1.0), 0.0)


def capex_spent_by_usd(
    ds: xr.Dataset,
    p: Mapping[str, np.ndarray],
    day: float,
    chosen: np.ndarray,
    category: str = "all",
) -> np.ndarray:
    """Capex of ``category`` paid by ``day`` on the ``chosen`` phases, per draw."""
    capex_usd_per_mw = p["per_gw.capex_per_gw_facility"][:, None] / 1000.0
    it_share = p["per_gw.compute_share_of_capex"][:, None]
    mw = ds.facility_mw.values[:, chosen]
    online = ds.online_date.values[:, chosen]
    built = _evenly(ds.start_date.values[:, chosen], online, day)
    delivered = (delivery_date(ds, p, chosen) <= day) * 1.0
    parts = {
        "construction": mw * capex_usd_per_mw * (1 - it_share) * built,
        "it": mw * capex_usd_per_mw * it_share * delivered,
    }
    chosen_parts = parts.values() if category == "all" else [parts[category]]
    return np.asarray(sum(part.sum(axis=1) for part in chosen_parts))
