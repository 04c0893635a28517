"""Scenario + buildout → money: every contract's transactions in one ledger, plus positions.

:func:`simulate_money` takes the engine's per-draw, per-phase buildout
(``online_date``, ``facility_mw``, ``accelerators``) and the scenario's contracts,
draws every uncertain contract term with common random numbers (keyed by its path,
so a shocked scenario reuses the base's numbers), and returns a :class:`Money`.
Besides contracts, two flows cross the system's edge: parties' revenue from
customers (``revenue_per_year``) and each site operator's electricity bill at the
site's catalog price (facility MW online × load factor × hours).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist
from gigawatt.finance.capacity import DAYS_PER_YEAR, Capacity, finance_edges
from gigawatt.finance.contracts import ContractResult, Flow, contract_flows
from gigawatt.finance.ledger import WORLD, build_ledger
from gigawatt.sampling import collect, sample
from gigawatt.scenario import Contract, Scenario

__all__ = ["Money", "simulate_money", "buildout", "money_parameters", "contract_capacity"]


@dataclass
class Money:
    """A scenario's money for a block of draws: the ledger and the contracts' positions."""

    scenario: Scenario
    ledger: xr.Dataset
    results: dict[str, ContractResult]
    parameters: dict[str, np.ndarray]
    edges: np.ndarray
    buildout: xr.Dataset

    @property
    def parties(self) -> list[str]:
        return [str(p) for p in self.ledger.party.values]


def buildout(scenario: Scenario, draws: int, seed: int) -> xr.Dataset:
    """The engine's buildout for draws ``0..draws``."""
    from gigawatt.engine import Model, simulate_block

    return simulate_block(Model.from_scenario(scenario), seed, 0, draws)


def money_parameters(scenario: Scenario) -> dict[str, Dist]:
    """Every uncertain number finance draws, by path (the engine's paths where shared)."""
    params = {**collect(scenario.contracts, "contracts"), **collect(scenario.parties, "parties")}
    for name, contract in scenario.contracts.items():
        for i in range(len(contract.tranches)):
            params[f"contracts.{name}.tranches[{i}].withheld_draw"] = Dist("uniform", (0.0, 1.0))
    catalog = load_catalog()
    prices = catalog.costs.get("electricity_price", {})
    for region in sorted({site.region for site in scenario.sites.values()} & set(prices)):
        params[f"electricity_price.{region}"] = prices[region].dist()
    return params


def contract_capacity(contract: Contract, name: str, ds: xr.Dataset, p: dict[str, np.ndarray]) -> Capacity:
    """The capacity events a contract follows: its schedule, or its sites' phases."""
    draws = ds.sizes["draw"]
    if contract.schedule:
        base = f"contracts.{name}.schedule"
        date = np.stack([p[f"{base}[{i}].date"] for i in range(len(contract.schedule))], axis=1)
        mw = np.stack([p[f"{base}[{i}].power"] for i in range(len(contract.schedule))], axis=1)
        return Capacity(date, mw, np.zeros_like(mw))
    site = ds.site.values
    accelerator = ds.accelerator.values
    chosen = np.ones(ds.sizes["phase"], bool)
    if contract.sites:
        chosen &= np.isin(site, contract.sites)
    if contract.accelerators:
        chosen &= np.isin(accelerator, contract.accelerators)
    if not chosen.any():
        empty = np.zeros((draws, 0))
        return Capacity(empty, empty, empty)
    return Capacity(
        ds.online_date.values[:, chosen],
        ds.facility_mw.values[:, chosen],
        ds.accelerators.values[:, chosen],
    )


def _revenue(scenario: Scenario, p: dict[str, np.ndarray], edges: np.ndarray) -> list[Flow]:
    flows = []
    for name, party in scenario.parties.items():
        if party.revenue_usd_per_year is None:
            continue
        base = f"parties.{name}"
        start = p[f"{base}.revenue_start"][:, None]
        mid = (edges[:-1] + edges[1:]) / 2
        until = p.get(f"{base}.revenue_growth_until", np.full(len(start), np.inf))[:, None]
        years = np.clip((np.minimum(mid, until) - start) / DAYS_PER_YEAR, 0, None)
        level = p[f"{base}.revenue_per_year"][:, None] * (1 + p[f"{base}.revenue_growth"][:, None]) ** years
        amount = level * np.diff(edges) / DAYS_PER_YEAR * (edges[1:] > start)
        flows.append(Flow(WORLD, name, "customers", "revenue", amount))
        costs = amount * (1 - p[f"{base}.operating_margin"][:, None])
        flows.append(Flow(name, WORLD, "operations", "operating_costs", costs))
    return flows


def _electricity(
    scenario: Scenario, ds: xr.Dataset, p: dict[str, np.ndarray], edges: np.ndarray, parties: set[str]
) -> list[Flow]:
    flows = []
    load = scenario.demand.load_factor
    for site_id, site in scenario.sites.items():
        price = p.get(f"electricity_price.{site.region}")
        if site.operator not in parties or price is None:
            continue
        phases = ds.site.values == site_id
        capacity = Capacity(
            ds.online_date.values[:, phases],
            ds.facility_mw.values[:, phases],
            ds.accelerators.values[:, phases],
        )
        mwh = capacity.average_mw(edges) * load * np.diff(edges) * 24.0
        flows.append(
            Flow(site.operator, WORLD, f"electricity:{site_id}", "electricity", mwh * price[:, None])
        )
    return flows


def simulate_money(scenario: Scenario, ds: xr.Dataset, seed: int, step: str = "quarter") -> Money:
    """All money of ``scenario`` for the draws in ``ds`` (the engine's buildout)."""
    edges = finance_edges(scenario.time.start_day, scenario.time.end_day, step)
    draws = ds.draw.values
    p = sample(money_parameters(scenario), seed, int(draws[0]), int(draws[-1]) + 1)
    parties = [n for n in scenario.parties if n != WORLD] + [WORLD]
    flows = _revenue(scenario, p, edges) + _electricity(scenario, ds, p, edges, set(parties))
    results = {}
    for name, contract in scenario.contracts.items():
        result = contract_flows(name, contract, p, contract_capacity(contract, name, ds, p), edges)
        results[name] = result
        flows += result.flows
    return Money(scenario, build_ledger(flows, edges, draws, parties), results, p, edges, ds)
