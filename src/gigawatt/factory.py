"""The seed's "factory producing 1 GW of AI infrastructure a week", made checkable.

When does the scenario's programme-level build rate (a learning curve: see
:func:`gigawatt.engine.factory_rate_day`) first reach a target rate, and what
must be true to sustain it: accelerators, turbines and transformers per year
against the supply the scenario assumes. The binding constraint is the largest
ratio of need to supply.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import load_catalog
from gigawatt.engine import WEEKS_PER_YEAR, factory_rate_day
from gigawatt.errors import GigawattError
from gigawatt.sampling import sample
from gigawatt.scenario import Factory, ResolvedAccelerator, Scenario
from gigawatt.supply import Generation, industry_rate_per_year

__all__ = ["analyse"]


def _p(values: np.ndarray, q: float) -> float:
    finite = values[np.isfinite(values)]
    if finite.size < q * values.size:
        return math.inf
    return float(np.quantile(np.sort(values), q, method="inverted_cdf"))


def analyse(
    scenario: Scenario, rate_mw_per_week: float, accelerator: str, draws: int = 10_000, seed: int = 0
) -> dict[str, Any]:
    """When the factory sustains ``rate_mw_per_week`` (facility), and what it requires per year."""
    factory, acc = _checked(scenario, rate_mw_per_week, accelerator)
    p, built = _draws(scenario, factory, accelerator, acc, draws, seed)
    day = factory_rate_day(
        rate_mw_per_week,
        p["factory.initial_rate"],
        p["factory.learning_rate"],
        factory.reference_mw,
        built,
        scenario.time.as_of_day,
        p.get("factory.cap"),
    )
    day = np.where(day <= scenario.time.end_day, day, np.inf)
    rate_at_end = _rate_at_horizon(scenario, factory, p, built)
    p50, p90 = _p(day, 0.5), _p(day, 0.9)
    when_day = p50 if math.isfinite(p50) else scenario.time.end_day
    gas_share = _gas_share(scenario)
    rows = _requirements(scenario, p, rate_mw_per_week, accelerator, gas_share, when_day, seed)
    binding = max((r for r in rows if r["ratio"] is not None), key=lambda r: r["ratio"], default=None)
    return {
        "scenario": scenario.name,
        "rate_mw_per_week": rate_mw_per_week,
        "accelerator": accelerator,
        "draws": draws,
        "seed": seed,
        "sustained": {
            "p50_date": units.format_date(p50) if math.isfinite(p50) else None,
            "p90_date": units.format_date(p90) if math.isfinite(p90) else None,
            "probability_by_horizon": float(np.isfinite(day).mean()),
        },
        "rate_at_horizon_mw_per_week": {
            "date": units.format_date(scenario.time.end_day),
            "p10": float(np.quantile(rate_at_end, 0.1)),
            "p50": float(np.quantile(rate_at_end, 0.5)),
            "p90": float(np.quantile(rate_at_end, 0.9)),
        },
        "requirements": rows,
        "gas_share_of_power_plans": gas_share,
        "binding": "nothing declared limits it"
        if binding is None
        else f"{binding['name']} (needs {binding['ratio']:.1f}× the scenario's supply)",
    }


def _checked(
    scenario: Scenario, rate_mw_per_week: float, accelerator: str
) -> tuple[Factory, ResolvedAccelerator]:
    """The scenario's factory and the accelerator, once the question can be asked: a factory
    section, a positive rate and a known accelerator (else a :class:`GigawattError` saying which)."""
    if scenario.factory is None:
        raise GigawattError(
            f"scenario {scenario.name!r} has no `factory` section (initial_rate, learning_rate)"
        )
    if rate_mw_per_week <= 0:
        raise GigawattError("--rate must be positive")
    acc = scenario.accelerator(accelerator) if accelerator in _known(scenario) else None
    if acc is None:
        raise GigawattError(f"unknown accelerator {accelerator!r}")
    return scenario.factory, acc


def _draws(
    scenario: Scenario, factory: Factory, accelerator: str, acc: ResolvedAccelerator, draws: int, seed: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The factory's learning curve, the accelerator's IT power and the liquid-cooled PUE as
    drawn (the engine's parameter paths, so the same seed draws the same values), and the MW
    already built by the as-of date (phases online by then) per draw."""
    as_of = scenario.time.as_of_day
    params = {
        "factory.initial_rate": factory.initial_rate_mw_per_week,
        "factory.learning_rate": factory.learning_rate,
        f"accelerators.{accelerator}.it_power_w": acc.it_power_w,
        "pue.liquid": load_catalog().cost("pue", "liquid").dist(),
    }
    if factory.cap_mw_per_week is not None:
        params["factory.cap"] = factory.cap_mw_per_week
    online = {}
    for site_id, site in scenario.sites.items():
        for i, phase in enumerate(site.phases):
            if phase.status == "online" and phase.online_date is not None and phase.online_date.high <= as_of:
                online[f"sites.{site_id}.phases[{i}].power"] = phase.power_mw
    params.update(online)
    p = sample(params, seed, 0, draws)
    built = np.sum([p[k] for k in online], axis=0) if online else np.zeros(draws)
    return p, built


def _rate_at_horizon(
    scenario: Scenario, factory: Factory, p: dict[str, np.ndarray], built: np.ndarray
) -> np.ndarray:
    """The learning curve's build rate (MW/week) at the horizon per draw, had the factory built
    at its own rate from the as-of date (capped where the scenario caps it)."""
    b = -np.log2(1.0 - p["factory.learning_rate"])
    g0 = np.maximum(built, 1.0)
    weeks = (scenario.time.end_day - scenario.time.as_of_day) / 7.0
    grown = (g0 ** (1 - b) + (1 - b) * p["factory.initial_rate"] * factory.reference_mw ** (-b) * weeks) ** (
        1 / (1 - b)
    )
    rate_at_end = p["factory.initial_rate"] * (grown / factory.reference_mw) ** b
    if "factory.cap" in p:
        rate_at_end = np.minimum(rate_at_end, p["factory.cap"])
    return rate_at_end


def _requirements(
    scenario: Scenario,
    p: dict[str, np.ndarray],
    rate_mw_per_week: float,
    accelerator: str,
    gas_share: float,
    when_day: float,
    seed: int,
) -> list[dict[str, Any]]:
    """What the rate needs per year (accelerators, gas turbines, transformers) against the
    scenario's supply (P50) on ``when_day``, and their ratio (None where supply is unlimited)."""
    facility_mw_per_year = rate_mw_per_week * WEEKS_PER_YEAR
    accelerators_per_year = float(
        np.median(facility_mw_per_year / p["pue.liquid"] * 1e6 / p[f"accelerators.{accelerator}.it_power_w"])
    )
    needs = {
        "accelerators": ("accelerators", accelerators_per_year),
        "gas_turbines": ("MW", facility_mw_per_year * gas_share),
        "transformers": ("MW", facility_mw_per_year),
    }
    rows: list[dict[str, Any]] = []
    for resource, (unit, needed) in needs.items():
        supply = _supply_per_year(scenario, resource, accelerator, when_day, seed)
        ratio = None if supply is None else (needed / supply if supply > 0 else math.inf)
        rows.append({"name": resource, "unit": unit, "needed": needed, "supply_p50": supply, "ratio": ratio})
    return rows


def _known(scenario: Scenario) -> set[str]:

    return set(load_catalog().accelerators) | set(scenario.accelerators)


def _gas_share(scenario: Scenario) -> float:
    """Share of all power-plan capacity (P50) that is on-site gas."""
    gas = sum(
        s.capacity_mw.mid for site in scenario.sites.values() for s in site.power_plan if s.kind == "gas"
    )
    total = sum(s.capacity_mw.mid for site in scenario.sites.values() for s in site.power_plan)
    return gas / total if total else 0.0


def _supply_per_year(
    scenario: Scenario, resource: str, accelerator: str, day: float, seed: int
) -> float | None:
    """P50 of the scenario's yearly supply of a resource on ``day`` (None if unlimited)."""
    found = False
    total = np.zeros(2001)
    for name, supply in scenario.supply.items():
        if supply.resource != resource or (
            resource == "accelerators" and accelerator not in supply.accelerators
        ):
            continue
        found = True
        prefix = f"supply.{name}"
        p = sample(
            {
                f"{prefix}.{k}": getattr(supply, attr)
                for k, attr in (("amount", "amount"), ("share", "share"), ("growth", "growth_per_year"))
            },
            seed,
            0,
            total.size,
        )
        start = supply.start_date.mid if supply.start_date is not None else scenario.time.start_day
        years = max(day - start, 0.0) / units.DAYS_PER_YEAR
        periods = {"week": WEEKS_PER_YEAR, "month": 12, "quarter": 4, "year": 1}[supply.per]
        if resource == "accelerators" and (supply.ceiling is not None or supply.successor is not None):
            family = _generations(scenario, seed, total.size)
            rate = industry_rate_per_year(name, family, np.array([day]))[:, 0]
            total += rate * family[name].share
            continue
        total += p[f"{prefix}.amount"] * p[f"{prefix}.share"] * periods * (1 + p[f"{prefix}.growth"]) ** years
    return float(np.median(total)) if found else None


def _generations(scenario: Scenario, seed: int, draws: int) -> dict[str, Generation]:
    """Every accelerator supply as drawn (the engine's parameter paths), for capped families."""
    out = {}
    for name, supply in scenario.supply.items():
        if supply.resource != "accelerators":
            continue
        prefix = f"supply.{name}"
        dists = {"amount": supply.amount, "share": supply.share, "growth_per_year": supply.growth_per_year}
        if supply.ceiling is not None:
            dists["ceiling"] = supply.ceiling
        p = sample({f"{prefix}.{k}": v for k, v in dists.items()}, seed, 0, draws)
        per_year = {"week": WEEKS_PER_YEAR, "month": 12, "quarter": 4, "year": 1}[supply.per]
        start = supply.start_date.mid if supply.start_date is not None else scenario.time.start_day
        out[name] = Generation(
            rate_per_year=p[f"{prefix}.amount"] * per_year,
            growth_per_year=p[f"{prefix}.growth_per_year"],
            start_day=np.full(draws, start),
            ceiling_per_year=p[f"{prefix}.ceiling"] * per_year
            if supply.ceiling is not None
            else np.full(draws, np.inf),
            share=p[f"{prefix}.share"],
            successor=supply.successor,
        )
    return out
