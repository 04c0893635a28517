"""Programme commitments (e.g. Stargate's "$500B over four years") checked against simulated capex.

A phase's all-in capex is its facility MW times the catalog's all-in capex per facility GW
(``per_gw.capex_per_gw_facility``, drawn per draw with the money's common random numbers):
construction paid as built, IT equipment at delivery (:mod:`gigawatt.finance.chips`); a phase
that never comes online spends nothing. A commitment is met in a draw when the capex of its
category (``counts``: all, construction or it) spent by its date on the phases it covers (its
programme's, or its sites', or all; in its country if it names one) reaches its amount.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt.finance.chips import capex_spent_by_usd
from gigawatt.scenario import Commitment, Scenario
from gigawatt.units import format_date

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["commitment_check", "commitments_summary"]


def _chosen(commitment: Commitment, ds: xr.Dataset) -> np.ndarray:
    chosen = np.ones(ds.sizes["phase"], bool)
    if commitment.programme is not None:
        chosen &= ds.programme.values == commitment.programme
    if commitment.country is not None:
        chosen &= ds.country.values == commitment.country
    if commitment.sites:
        chosen &= np.isin(ds.site.values, commitment.sites)
    return chosen


def _scope(commitment: Commitment) -> str:
    """What the pledge covers, in words: "programme stargate, country US, sites a/b" or "every site"."""
    parts = [
        f"{k} {v}" for k, v in (("programme", commitment.programme), ("country", commitment.country)) if v
    ]
    if commitment.sites:
        parts.append("sites " + "/".join(commitment.sites))
    return ", ".join(parts) or "every site"


def _bands(values: np.ndarray) -> dict[str, float]:
    q = np.percentile(values, [10, 50, 90])
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def commitment_check(
    commitment: Commitment, ds: xr.Dataset, p: dict[str, np.ndarray], pledge_usd: np.ndarray
) -> dict[str, Any]:
    """One commitment across draws: the share met, capex spent by its date, the gap, facility GW online."""
    day = commitment.by_date.mid
    chosen = _chosen(commitment, ds)
    spent = capex_spent_by_usd(ds, p, day, chosen, commitment.counts)
    online_mw = (ds.facility_mw.values[:, chosen] * (ds.online_date.values[:, chosen] <= day)).sum(axis=1)
    return {
        "pledge_usd": float(np.median(pledge_usd)),
        "counts": commitment.counts,
        "by": format_date(day),
        "scope": _scope(commitment),
        "phases": int(chosen.sum()),
        "probability_met": float(np.mean(spent >= pledge_usd)),
        "capex_spent_usd": _bands(spent),
        "shortfall_usd": _bands(np.maximum(pledge_usd - spent, 0.0)),
        "facility_gw_online": _bands(online_mw / 1000.0),
    }


def commitments_summary(scenario: Scenario, ds: xr.Dataset, p: dict[str, np.ndarray]) -> dict[str, Any]:
    """Every commitment of ``scenario`` checked on the buildout ``ds`` with money parameters ``p``."""
    return {
        name: commitment_check(c, ds, p, p[f"commitments.{name}.capex"])
        for name, c in scenario.commitments.items()
    }
