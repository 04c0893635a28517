"""Unit economics per accelerator: capex per GW by component, cost per accelerator-hour,
per MW-month of facility power and per million tokens served.

Capex per GW is :func:`gigawatt.compute.convert`'s arithmetic (accelerators, networking,
building, power equipment for 1 GW of facility power) applied to the scenario's own view of
each accelerator (catalog figures with its overrides, or an accelerator it defines on a
catalog ``base``), so a scenario's own accelerator works here as in every other command.
The yearly cost of one
accelerator is its all-in capex (system, networking, building, power equipment)
annualised over ``life_years`` at ``discount_rate`` (``numpy_financial.pmt``) plus its
electricity (all-in IT watts × PUE × load factor × hours × price). Tokens per second
follow :func:`gigawatt.compute.tokens_per_second` for a model of ``active_params`` at
``utilisation`` (the scenario's demand section).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy_financial as npf

from gigawatt.catalog import load_catalog
from gigawatt.compute import HOURS_PER_YEAR, tokens_per_second
from gigawatt.sampling import sample
from gigawatt.scenario import Scenario

__all__ = ["unit_economics"]


def _bands(values: np.ndarray) -> dict[str, float]:
    q = np.percentile(values, [10, 50, 90])
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}


def unit_economics(
    scenario: Scenario,
    life_years: float = 5.5,
    discount_rate: float = 0.10,
    draws: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Unit economics of each accelerator the scenario deploys, P10/P50/P90."""
    catalog = load_catalog()
    used: dict[str, str] = {}
    for site in scenario.sites.values():
        for phase in site.phases:
            used.setdefault(phase.accelerator or site.accelerator, site.region)
    prices = catalog.costs.get("electricity_price", {})
    load = scenario.demand.load_factor
    out: dict[str, Any] = {}
    for acc_id, region in sorted(used.items()):
        acc = scenario.accelerator(acc_id)
        params = {
            f"accelerators.{acc_id}.price_usd": acc.price_usd,
            f"accelerators.{acc_id}.it_power_w": acc.it_power_w,
            f"accelerators.{acc_id}.bf16_flops": acc.bf16_flops,
            "pue.liquid": catalog.cost("pue", "liquid").dist(),
            "networking_share": catalog.cost("construction", "networking_share_of_it").dist(),
            "building_usd_per_mw_it": catalog.cost("construction", "building_per_mw_it").dist(),
            "power_usd_per_kw": catalog.cost("power_equipment", "substation_per_kw").dist(),
            f"electricity_price.{region}": (prices.get(region) or prices["us-tx"]).dist(),
        }
        p = sample(params, seed, 0, draws)
        price, watts = p[f"accelerators.{acc_id}.price_usd"], p[f"accelerators.{acc_id}.it_power_w"]
        facility_kw = watts * p["pue.liquid"] / 1e3
        capex = (
            price * (1 + p["networking_share"])
            + watts / 1e6 * p["building_usd_per_mw_it"]
            + facility_kw * p["power_usd_per_kw"]
        )
        per_gw = 1e6 / facility_kw  # accelerators in 1 GW (1e6 kW) of facility power
        parts = {
            "accelerators": per_gw * price,
            "networking": per_gw * price * p["networking_share"],
            "building": per_gw * watts / 1e6 * p["building_usd_per_mw_it"],
            "power_equipment": 1e6 * p["power_usd_per_kw"] * np.ones_like(price),
        }
        parts["total"] = sum(parts.values())
        capital_per_year = npf.pmt(discount_rate, life_years, -capex)
        energy_per_year = facility_kw / 1e3 * load * HOURS_PER_YEAR * p[f"electricity_price.{region}"]
        per_year = capital_per_year + energy_per_year
        per_hour = per_year / HOURS_PER_YEAR
        per_mw_month = per_year / (facility_kw / 1e3) / 12
        tokens = tokens_per_second(
            p[f"accelerators.{acc_id}.bf16_flops"],
            scenario.demand.model_active_params,
            scenario.demand.utilisation,
        )
        out[acc_id] = {
            "capex_per_gw_facility_usd": {name: _bands(v) for name, v in parts.items()},
            "cost_per_accelerator_hour_usd": _bands(per_hour),
            "cost_per_mw_month_usd": _bands(per_mw_month),
            "cost_per_million_tokens_usd": _bands(per_hour / (tokens * 3600) * 1e6),
            "electricity_region": region,
            "useful_life_years": life_years,
            "discount_rate_per_year": discount_rate,
            "model_active_params": scenario.demand.model_active_params,
            "utilisation": scenario.demand.utilisation,
        }
    return out
