"""Who buys each phase's accelerators, and when capex is paid: chips at delivery, construction
as built, chips again at the end of their useful life.

**Buyers.** Each phase's accelerators have a buyer, by the first rule that applies:

1. the scenario names one for the site (``chips.buyers``: a lessor, or a customer that
   supplies its own chips); purchase contracts naming the site then leave it out;
2. a ``purchase`` contract covers the phase: its payer (priced as the contract says);
3. the site's tenant leases the campus (a lease it pays covers the site): the tenant, as a
   powered-shell lessee fits out its own IT;
4. the site's owner, else its operator.

Under rules 1, 3 and 4 the buyer pays the phase's accelerator systems (the engine's
``capex_usd``: accelerators × the accelerator's price) to the accelerator's vendor if it is
a party (e.g. ``nvidia``), else to the world, as contract ``chips:SITE`` (a capital purchase).
With ``chips.refresh`` every phase's chips (rule 2's contracts too) are bought again each
``useful_life`` of its accelerator after delivery, at the same price, while inside the horizon,
and only for capacity with a paying user: a phase whose buyer sells it under ``compute``
contracts is refreshed only while one of those contracts still has at least half the new
chips' useful life to run (a judgement: nobody buys five years of chips for one year of a
contract; a refresh beyond that would be a bet on renewal). A phase its buyer uses itself (no
compute contract of the buyer's covers it) is refreshed every life.

A phase's all-in capex (facility MW × ``per_gw.capex_per_gw_facility``) splits into IT
equipment, a share ``per_gw.compute_share_of_capex`` (accelerator systems, networking,
storage: Epoch 0.68, Business Insider 0.52), and construction, the rest (buildings, power,
cooling). Construction is paid as built: evenly from the phase's start to its online date
(progress payments). IT is paid at delivery, a lead before the online date: ``chips.lead``
if the scenario states it, else the catalog's IT fit-out plus commissioning stages
(roof-complete to operational: Epoch's ~5 months, P10/P50/P90 3.5/5.1/6.6 months by
``gigawatt calibrate``; one to two quarters), never before the phase starts. A phase that
never comes online pays nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist, fixed
from gigawatt.finance.capacity import Capacity
from gigawatt.finance.contracts import ContractResult, Flow, contract_flows
from gigawatt.scenario import Contract, Scenario

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "CATEGORIES",
    "chip_parameters",
    "chip_lead_days",
    "delivery_date",
    "capex_spent_by_usd",
    "chip_buyers",
    "chip_flows",
    "buys_chips",
    "capital_contracts",
    "covered_phases",
]

_DAYS_PER_WEEK = 7.0
#: Refreshes at most per phase (a 15-year horizon over 3-year lives)
_REFRESHES = 4
#: What a pledge may count: all capex, construction only, or IT equipment only.
CATEGORIES = ("all", "construction", "it")


def chip_parameters(scenario: Scenario) -> dict[str, Dist]:
    """The numbers chip timing, the capex split and refresh draw, by path."""
    catalog = load_catalog()
    params = {
        "per_gw.compute_share_of_capex": catalog.cost("per_gw", "compute_share_of_capex").dist(),
        "chips.lead.it_fit_out": catalog.cost("stages", "it_fit_out").dist(),
        "chips.lead.commissioning": catalog.cost("stages", "commissioning").dist(),
    }
    if scenario.chips.lead_weeks is not None:
        params["chips.lead.it_fit_out"] = scenario.chips.lead_weeks
        params["chips.lead.commissioning"] = fixed(0.0)
    if scenario.chips.refresh:
        used = {
            scenario.phase_accelerator(s, i)
            for s, site in scenario.sites.items()
            for i in range(len(site.phases))
        }
        for acc in sorted(used):
            params[f"chips.life.{acc}"] = scenario.accelerator(acc).useful_life_weeks
    return params


def buys_chips(contract: Contract) -> bool:
    """Whether a contract is a purchase of chips (paid at delivery), not of construction (paid as
    built) or anything paid at online: only a chip purchase yields to a stated chip buyer."""
    return contract.kind == "purchase" and contract.paid == "delivery"


def covered_phases(contract: Contract, ds: xr.Dataset, stated: Mapping[str, str] | None = None) -> np.ndarray:
    """The phases a contract covering sites follows (its sites, else all; its accelerators), less,
    for a purchase of chips (paid at delivery), the sites whose chip buyer the scenario states;
    a purchase paid as built (construction) keeps them."""
    chosen = np.ones(ds.sizes["phase"], bool)
    if buys_chips(contract) and stated:
        chosen &= ~np.isin(ds.site.values, list(stated))
    if contract.sites:
        chosen &= np.isin(ds.site.values, contract.sites)
    if contract.accelerators:
        chosen &= np.isin(ds.accelerator.values, contract.accelerators)
    return chosen


def capital_contracts(scenario: Scenario) -> set[str]:
    """Contracts whose payments are capex: capital purchases and the default chip purchases."""
    named = {n for n, c in scenario.contracts.items() if c.kind == "purchase" and c.capital}
    return named | {f"chips:{site}" for site in scenario.sites}


def chip_buyers(scenario: Scenario, ds: xr.Dataset) -> tuple[list[str | None], list[str]]:
    """Per phase: its default buyer (``None`` where a purchase contract covers it or nobody can
    be named) and the rule that decided (module doc)."""
    purchase = np.zeros(ds.sizes["phase"], bool)
    for contract in scenario.contracts.values():
        if buys_chips(contract) and not contract.scheduled:
            purchase |= covered_phases(contract, ds, scenario.chips.buyers)
    leased = {
        (s, c.payer)
        for c in scenario.contracts.values()
        if c.kind == "lease" and not c.scheduled
        for s in (c.sites or scenario.sites)
    }
    buyers: list[str | None] = []
    rules: list[str] = []
    for k, site_id in enumerate(ds.site.values):
        site = scenario.sites[str(site_id)]
        if site_id in scenario.chips.buyers:
            buyer, rule = scenario.chips.buyers[str(site_id)], "stated"
        elif purchase[k]:
            buyer, rule = None, "purchase contract"
        elif site.tenant is not None and (site_id, site.tenant) in leased:
            buyer, rule = site.tenant, "tenant leases the campus"
        elif site.owner is not None:
            buyer, rule = site.owner, "owner"
        elif site.operator is not None:
            buyer, rule = site.operator, "operator"
        else:
            buyer, rule = None, "no buyer named"
        buyers.append(buyer if buyer in scenario.parties else None)
        rules.append(rule)
    return buyers, rules


def _vendor(scenario: Scenario, accelerator: str) -> str:
    vendor = scenario.accelerator(accelerator).vendor.lower()
    return vendor if vendor in scenario.parties else "world"


def chip_flows(
    scenario: Scenario,
    ds: xr.Dataset,
    p: Mapping[str, np.ndarray],
    edges: np.ndarray,
    results: dict[str, ContractResult],
) -> dict[str, ContractResult]:
    """The default buyers' chip purchases, and every refresh (module doc), as contract results;
    purchase contracts' refreshes are added to their own results."""
    from gigawatt.finance.contracts import at_period

    draws, periods = ds.sizes["draw"], len(edges) - 1
    delivered = delivery_date(ds, p)
    price = ds.capex_usd.values
    life = np.zeros_like(delivered)
    if scenario.chips.refresh:
        for k, acc in enumerate(ds.accelerator.values):
            life[:, k] = p[f"chips.life.{acc}"] * _DAYS_PER_WEEK
    rounds = 1 + (_REFRESHES if scenario.chips.refresh else 0)
    buyers, _ = chip_buyers(scenario, ds)
    out: dict[str, ContractResult] = {}
    sold: dict[str, np.ndarray] = {}  # sold_until per buyer, (draw, phase)
    for k, buyer in enumerate(buyers):
        if buyer is None:
            continue
        site = str(ds.site.values[k])
        if buyer not in sold:
            sold[buyer] = sold_until(scenario, ds, p, buyer)
        until = sold[buyer][:, k]
        amount = np.zeros((draws, periods))
        for n in range(rounds):
            at_period(_refresh_day(delivered[:, k], life[:, k], n, until), price[:, k], edges, amount)
        result = out.setdefault(f"chips:{site}", ContractResult())
        result.flows.append(
            Flow(buyer, _vendor(scenario, str(ds.accelerator.values[k])), f"chips:{site}", "purchase", amount)
        )
    if scenario.chips.refresh:
        for name, contract in scenario.contracts.items():
            if not buys_chips(contract) or contract.scheduled:
                continue
            chosen = covered_phases(contract, ds, scenario.chips.buyers)
            until = sold_until(scenario, ds, p, contract.payer)[:, chosen]
            for n in range(1, rounds):
                day = _refresh_day(delivered[:, chosen], life[:, chosen], n, until)
                if not np.any(day <= edges[-1]):  # no refresh inside the horizon: pays nothing
                    continue
                again = Capacity(
                    day,
                    ds.facility_mw.values[:, chosen],
                    ds.accelerators.values[:, chosen],
                    capex_usd=ds.capex_usd.values[:, chosen],
                )
                results[name].flows += contract_flows(name, contract, p, again, edges).flows
    return out


def sold_until(scenario: Scenario, ds: xr.Dataset, p: Mapping[str, np.ndarray], seller: str) -> np.ndarray:
    """Per ``(draw, phase)``: when the last ``compute`` contract ``seller`` is paid under for the
    phase ends (``inf`` where none covers it: the seller uses the capacity itself); a contract
    whose term runs from each phase's online date ends for each phase a term after it."""
    from gigawatt.finance.capacity import finance_edges
    from gigawatt.finance.contracts import _start

    until = np.full(ds.online_date.shape, -np.inf)
    sold = np.zeros(ds.sizes["phase"], bool)
    edges = finance_edges(scenario.time.start_day, scenario.time.start_day)  # the grid's first day
    for name, contract in scenario.contracts.items():
        if contract.kind != "compute" or contract.payee != seller or contract.scheduled:
            continue
        chosen = covered_phases(contract, ds)
        start, term = _start(name, contract, p, edges), p[f"contracts.{name}.term"] * _DAYS_PER_WEEK
        if contract.term_from == "online":  # each phase's term from its online date
            end = np.maximum(ds.online_date.values[:, chosen], start[:, None]) + term[:, None]
        else:
            end = (start + term)[:, None]
        until[:, chosen] = np.maximum(until[:, chosen], end)
        sold |= chosen
    return np.where(sold[None, :], until, np.inf)


def _refresh_day(delivered: np.ndarray, life: np.ndarray, n: int, until: np.ndarray) -> np.ndarray:
    """The ``n``-th purchase of a phase's chips (0: the first), ``inf`` (never) for a refresh
    without half a life of paid use left (:func:`sold_until`)."""
    day = delivered + n * life
    if n == 0:
        out: np.ndarray = day
        return out
    with np.errstate(invalid="ignore"):  # a phase never delivered: inf - inf, never bought again
        return np.where(until - day >= life / 2, day, np.inf)


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
