"""Scenario + buildout → money: every contract's transactions in one ledger, plus positions.

:func:`simulate_money` takes the engine's per-draw, per-phase buildout
(``online_date``, ``facility_mw``, ``accelerators``) and the scenario's contracts,
draws every uncertain contract term with common random numbers (keyed by its path,
so a shocked scenario reuses the base's numbers), and returns a :class:`Money`.
Besides contracts, flows cross the system's edge: parties' revenue from customers
(``revenue_per_year``) and each site operator's opex — electricity at the site's catalog price
(facility MW online × load factor × hours, less what the operator's power purchase agreements
deliver to the site), staff (catalog ``opex.staff_cost_per_mw`` per facility MW-year) and
maintenance (catalog ``opex.maintenance_share_of_capex_per_year`` × all-in capex per facility
MW, per MW-year online), paid by the site's tenant instead where it leases the site from the
operator on a net lease (``running_costs: tenant``). A party's cash stated at a date becomes its
opening balance, solved back from the flows so far (:mod:`gigawatt.finance.facts`:
``parameters["parties.PARTY.cash"]`` is the opening from there on). Loans with covenants are
then re-served against the whole ledger (:mod:`gigawatt.finance.covenants`, tested from the
as-of date), in declaration order; last, each party's outside capital need is measured and its
funding policy raises money from the as-of date (:mod:`gigawatt.finance.funding`).
Dated financing deals (``financing:``) are contracts like any other
(:func:`gigawatt.financing.with_financing`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist
from gigawatt.engine import Model, simulate_block
from gigawatt.finance.capacity import DAYS_PER_YEAR, Capacity, finance_edges
from gigawatt.finance.chips import buys_chips, capital_contracts, chip_flows, chip_parameters, delivery_date
from gigawatt.finance.contracts import ContractResult, Flow, contract_flows, loan_repaid_share
from gigawatt.finance.covenants import FINANCING, CovenantTerms, service
from gigawatt.finance.facts import forecast_from, open_at_cash_dates
from gigawatt.finance.funding import FundingOutcome, fund
from gigawatt.finance.ledger import WORLD, Ledger, build_ledger
from gigawatt.financing import with_financing
from gigawatt.sampling import collect, sample
from gigawatt.scenario import Contract, Scenario

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["Money", "simulate_money", "buildout", "money_parameters", "contract_capacity"]

#: Catalog numbers every draw of the money uses (section, key): opex and all-in capex.
_CATALOG_TERMS = (
    ("opex", "staff_cost_per_mw"),
    ("opex", "maintenance_share_of_capex_per_year"),
    ("per_gw", "capex_per_gw_facility"),
)


@dataclass
class Money:
    """A scenario's money for a block of draws: the ledger and the contracts' positions."""

    scenario: Scenario
    #: the ledger, each entry its own (draw, period) array (finance.ledger)
    book: Ledger
    results: dict[str, ContractResult]
    parameters: dict[str, np.ndarray]
    edges: np.ndarray
    buildout: xr.Dataset
    #: outside capital: each party's need and what its funding policy raised (finance.funding)
    funding: FundingOutcome | None = None

    @property
    def parties(self) -> list[str]:
        return list(self.book.parties)

    @cached_property
    def ledger(self) -> xr.Dataset:
        """The dense ledger, ``amount_usd`` over ``(draw, period, entry)`` (:meth:`Ledger.dataset`),
        built on first use: the money commands read :attr:`book` instead."""
        return self.book.dataset()

    def statements_frame(self, **options: Any) -> Any:
        """Each party's statements by year as one tidy DataFrame (party, year, line in USD,
        P10/P50/P90); ``options`` go to :func:`gigawatt.finance.statements.statements`."""
        from gigawatt.finance.statements import statements
        from gigawatt.frames import statements_frame

        return statements_frame(statements(self, **options))


def buildout(scenario: Scenario, draws: int, seed: int) -> xr.Dataset:
    """The engine's buildout for draws ``0..draws``."""

    return simulate_block(Model.from_scenario(scenario), seed, 0, draws)


def money_parameters(scenario: Scenario) -> dict[str, Dist]:
    """Every uncertain number finance draws, by path (the engine's paths where shared)."""
    params = {
        **collect(scenario.contracts, "contracts"),
        **collect(scenario.parties, "parties"),
        **collect(scenario.commitments, "commitments"),
        **collect(scenario.funding, "funding"),
    }
    for block in sorted(
        {c.contracted for c in scenario.contracts.values() if c.contracted in scenario.contracted}
    ):
        # the block's own paths: the same draws as the buildout's (sampling is keyed by path)
        params.update(collect(scenario.contracted[block], f"contracted.{block}"))
    for name, contract in scenario.contracts.items():
        if contract.renewals:
            params[f"contracts.{name}.renewal_draw"] = Dist("uniform", (0.0, 1.0))
        for i in range(len(contract.tranches)):
            params[f"contracts.{name}.tranches[{i}].withheld_draw"] = Dist("uniform", (0.0, 1.0))
    catalog = load_catalog()
    prices = catalog.costs.get("electricity_price", {})
    for region in sorted({site.region for site in scenario.sites.values()} & set(prices)):
        params[f"electricity_price.{region}"] = prices[region].dist()
    for section, key in _CATALOG_TERMS:
        params[f"{section}.{key}"] = catalog.cost(section, key).dist()
    return {**params, **chip_parameters(scenario)}


def contract_capacity(
    scenario: Scenario,
    name: str,
    ds: xr.Dataset,
    p: dict[str, np.ndarray],
    known: dict[tuple[bytes, bool], Capacity] | None = None,
) -> Capacity:
    """The capacity events contract ``name`` follows: its schedule, its contracted block's
    deliveries (the buildout's draws), or its sites' phases (kept in ``known`` by the phases
    chosen: contracts over the same phases share their arrays, read only)."""
    contract = scenario.contracts[name]
    scenario_buyers = scenario.chips.buyers
    draws = ds.sizes["draw"]
    if contract.scheduled:
        block = contract.contracted
        base = f"contracted.{block}" if block else f"contracts.{name}"
        steps = len(scenario.contracted[block].schedule) if block else len(contract.schedule)
        date = np.stack([p[f"{base}.schedule[{i}].date"] for i in range(steps)], axis=1)
        mw = np.stack([p[f"{base}.schedule[{i}].power"] for i in range(steps)], axis=1)
        return Capacity(date, mw, np.zeros_like(mw))
    site = ds.site.values
    accelerator = ds.accelerator.values
    chosen = np.ones(ds.sizes["phase"], bool)
    if contract.sites:
        chosen &= np.isin(site, contract.sites)
    if contract.accelerators:
        chosen &= np.isin(accelerator, contract.accelerators)
    if buys_chips(contract) and scenario_buyers:  # a stated chip buyer overrides (finance.chips)
        chosen &= ~np.isin(site, list(scenario_buyers))
    if not chosen.any():
        empty = np.zeros((draws, 0))
        return Capacity(empty, empty, empty, capex_usd=empty)
    key = (chosen.tobytes(), buys_chips(contract))
    if known is not None and key in known:
        return known[key]
    date = delivery_date(ds, p, chosen) if key[1] else ds.online_date.values[:, chosen]
    capacity = Capacity(
        date,
        ds.facility_mw.values[:, chosen],
        ds.accelerators.values[:, chosen],
        ds.start_date.values[:, chosen] if "start_date" in ds else None,
        ds.capex_usd.values[:, chosen] if "capex_usd" in ds else None,
    )
    if known is not None:
        known[key] = capacity
    return capacity


def _revenue_level(
    party: str, p: Mapping[str, np.ndarray], edges: np.ndarray, growth: np.ndarray | None = None
) -> np.ndarray:
    """A party's yearly revenue rate at each period's middle ``(draw, period)``, at its drawn growth
    (or ``growth``), flat after ``revenue_growth_until``; zero before ``revenue_start``.

    ``revenue_per_year`` is the revenue of the first year from ``revenue_start`` (as revenue is
    reported: a year's total), so the rate starts below it when revenue grows: it compounds
    continuously, ``R · ln(1+g)/g · (1+g)^t``, whose integral over that first year is ``R``."""
    base = f"parties.{party}"
    start = p[f"{base}.revenue_start"][:, None]
    mid = (edges[:-1] + edges[1:]) / 2
    until = p.get(f"{base}.revenue_growth_until", np.full(len(start), np.inf))[:, None]
    years = np.clip((np.minimum(mid, until) - start) / DAYS_PER_YEAR, 0, None)
    rate = p[f"{base}.revenue_growth"] if growth is None else growth
    out: np.ndarray = (
        (p[f"{base}.revenue_per_year"] * _first_year_factor(rate))[:, None]
        * _growth_factor(1 + rate[:, None], years, mid >= until, start, until)
        * (mid > start)
    )
    return out


def _growth_factor(
    growth: np.ndarray, years: np.ndarray, flat: np.ndarray, start: np.ndarray, until: np.ndarray
) -> np.ndarray:
    """``growth ** years`` ``(draw, period)``, raised only in the periods before every draw's
    years stop growing: from there (``flat``, from ``until``) each period has the years at
    ``until``, so its power is each draw's one power (the same call on the same strides: the
    same numbers)."""
    grows = np.nonzero(~flat.all(axis=0))[0]  # the periods where some draw's years still grow
    first_flat = int(grows[-1]) + 1 if grows.size else 0
    out = np.empty_like(years)
    np.power(growth, years[:, :first_flat], out=out[:, :first_flat])
    if first_flat < years.shape[1]:
        at_until = np.clip((until - start) / DAYS_PER_YEAR, 0, None)  # (draw, 1), as in ``years``
        out[:, first_flat:] = np.power(growth, np.repeat(at_until, 2, axis=1))[:, :1]
    return out


def _first_year_factor(growth: np.ndarray) -> np.ndarray:
    """``ln(1+g)/g`` (1 at g = 0): the rate at the start of a year whose total, growing
    continuously at ``g`` a year, is 1."""
    growth = np.asarray(growth, float)
    safe = np.where(np.abs(growth) > 1e-12, growth, 1.0)
    factor: np.ndarray = np.where(np.abs(growth) > 1e-12, np.log1p(safe) / safe, 1.0)
    return factor


def _usage(
    scenario: Scenario, contract: Contract, name: str, p: Mapping[str, np.ndarray], edges: np.ndarray
) -> np.ndarray | None:
    """A compute contract's usage by its payer: revenue over revenue at the reference growth, at most 1."""
    party = scenario.parties.get(contract.payer)
    if contract.kind != "compute" or contract.demand_share.high <= 0:
        return None
    if party is None or party.revenue_usd_per_year is None:
        return None
    actual = _revenue_level(contract.payer, p, edges)
    planned = _revenue_level(contract.payer, p, edges, p[f"contracts.{name}.reference_growth"])
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(planned > 0, np.clip(actual / np.where(planned > 0, planned, 1.0), 0.0, 1.0), 1.0)


def _revenue(scenario: Scenario, p: dict[str, np.ndarray], edges: np.ndarray) -> list[Flow]:
    flows = []
    for name, party in scenario.parties.items():
        if party.revenue_usd_per_year is None:
            continue
        base = f"parties.{name}"
        start = p[f"{base}.revenue_start"][:, None]
        amount = _revenue_level(name, p, edges) * np.diff(edges) / DAYS_PER_YEAR * (edges[1:] > start)
        flows.append(Flow(WORLD, name, "customers", "revenue", amount))
        costs = amount * (1 - p[f"{base}.operating_margin"][:, None])
        flows.append(Flow(name, WORLD, "operations", "operating_costs", costs))
    return flows


def _ppa_mwh_by_site(
    scenario: Scenario,
    ds: xr.Dataset,
    edges: np.ndarray,
    results: dict[str, ContractResult],
    site_mw: _SiteMW,
) -> dict[str, np.ndarray]:
    """MWh each site receives from power purchase agreements its operator signed, ``(draw, period)``:
    each PPA's delivered energy shared among the sites it covers by their facility MW online."""
    out: dict[str, np.ndarray] = {}
    for name, contract in scenario.contracts.items():
        energy = results[name].energy_mwh if name in results else None
        if contract.kind != "power_purchase" or contract.scheduled or energy is None:
            continue
        covered = [
            s
            for s, site in scenario.sites.items()
            if (not contract.sites or s in contract.sites) and site.operator == contract.payer
        ]
        mw = {s: site_mw.get(s) for s in covered}
        total = sum(mw.values(), np.zeros_like(energy))
        for s in covered:
            share = np.where(total > 0, mw[s] / np.where(total > 0, total, 1.0), 0.0)
            out[s] = out.get(s, np.zeros_like(energy)) + energy * share
    return out


class _SiteMW:
    """Each site's mean facility MW online per period ``(draw, period)``, worked out once (all
    sites in one scatter buffer)."""

    def __init__(self, ds: xr.Dataset, edges: np.ndarray) -> None:
        self.ds, self.edges = ds, edges
        self.known: dict[str, np.ndarray] = {}
        self.scratch = np.empty((ds.sizes["draw"], len(edges)))

    def get(self, site_id: str) -> np.ndarray:
        if site_id not in self.known:
            self.known[site_id] = _site_capacity(self.ds, site_id).average_mw(self.edges, self.scratch)
        return self.known[site_id]

    def take(self, site_id: str) -> np.ndarray:
        """:meth:`get`, for its caller to keep (and work on in place): not kept here."""
        out = self.get(site_id)
        del self.known[site_id]
        return out


def _site_capacity(ds: xr.Dataset, site_id: str) -> Capacity:
    phases = ds.site.values == site_id
    return Capacity(
        ds.online_date.values[:, phases], ds.facility_mw.values[:, phases], ds.accelerators.values[:, phases]
    )


def _net_lease_tenants(scenario: Scenario) -> dict[tuple[str, str], str]:
    """(site, its operator) -> the tenant that pays the site's running costs: the payer of a
    lease from the operator with ``running_costs: tenant`` covering the site."""
    out = {}
    for contract in scenario.contracts.values():
        if contract.kind == "lease" and contract.running_costs == "tenant":
            for site_id in contract.sites or list(scenario.sites):
                out[(site_id, contract.payee)] = contract.payer
    return out


def _site_opex(
    scenario: Scenario,
    ds: xr.Dataset,
    p: dict[str, np.ndarray],
    edges: np.ndarray,
    parties: set[str],
    ppa_mwh: dict[str, np.ndarray],
    site_mw: _SiteMW,
) -> list[Flow]:
    """Each site operator's electricity (less what its PPAs deliver), staff and maintenance,
    paid to the world."""
    flows = []
    load = scenario.demand.load_factor
    years = np.diff(edges) / DAYS_PER_YEAR
    staff_usd_per_mw_year = p["opex.staff_cost_per_mw"][:, None]
    capex_usd_per_mw = p["per_gw.capex_per_gw_facility"][:, None] / 1000.0
    maintenance_usd_per_mw_year = p["opex.maintenance_share_of_capex_per_year"][:, None] * capex_usd_per_mw
    tenants = _net_lease_tenants(scenario)
    for site_id, site in scenario.sites.items():
        payer = site.operator and tenants.get((site_id, site.operator), site.operator)
        if payer not in parties:
            continue
        mw_years = site_mw.take(site_id)  # read last here: worked on in place
        mw_years *= years
        staff = Flow(payer, WORLD, f"staff:{site_id}", "staff", mw_years * staff_usd_per_mw_year)
        maintenance = Flow(
            payer,
            WORLD,
            f"maintenance:{site_id}",
            "maintenance",
            mw_years * maintenance_usd_per_mw_year,
        )
        price = p.get(f"electricity_price.{site.region}")
        if price is not None:
            usd = mw_years  # MWh bought, then USD, in place
            usd *= DAYS_PER_YEAR
            usd *= 24.0
            usd *= load
            usd -= ppa_mwh.get(site_id, 0.0)
            np.maximum(usd, 0.0, out=usd)
            usd *= price[:, None]
            flows.append(Flow(payer, WORLD, f"electricity:{site_id}", "electricity", usd))
        flows += [staff, maintenance]
    return flows


def borrower_cash_flows(
    flows: list[Flow], borrower: str, capital: set[str], shape: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """A borrower's operating cash flow (financing and ``capital`` purchase contracts left out)
    and its whole net cash flow, ``(draw, period)``."""
    operating, net = np.zeros(shape), np.zeros(shape)
    for f in flows:
        sign = (f.payee == borrower) * 1.0 - (f.payer == borrower) * 1.0
        if sign:
            amount = np.broadcast_to(f.amount_usd, shape)
            add = np.add if sign > 0 else np.subtract  # in place: x - y is x + (-y) exactly
            add(net, amount, out=net)
            if f.kind not in FINANCING and f.contract not in capital:
                add(operating, amount, out=operating)
    return operating, net


def _apply_covenants(
    scenario: Scenario,
    p: dict[str, np.ndarray],
    edges: np.ndarray,
    flows: list[Flow],
    results: dict[str, ContractResult],
) -> list[Flow]:
    """Re-serve each loan with covenants against everything else its borrower pays and receives."""
    window = max(1, round(DAYS_PER_YEAR / float(np.mean(np.diff(edges)))))
    capital = capital_contracts(scenario)
    forecast = np.arange(len(edges) - 1) >= forecast_from(scenario, edges)  # finance.facts
    for name, contract in scenario.contracts.items():
        terms = contract.covenants
        if contract.kind != "loan" or terms is None:
            continue
        base, borrower = f"contracts.{name}", contract.payee
        draws, periods = len(p[f"{base}.start"]), len(edges) - 1
        drawn = np.zeros((draws, periods))
        for f in flows:  # in place: the same sums as sum(), no fresh array each
            if f.contract == name and f.kind == "loan_draw":
                drawn += f.amount_usd
        operating, other = borrower_cash_flows(
            [f for f in flows if f.contract != name], borrower, capital, (draws, periods)
        )
        test_from = p.get(f"{base}.covenants.test_from", p[f"{base}.start"])
        outcome = service(
            drawn,
            loan_repaid_share(contract, p, base, edges),
            p[f"{base}.interest_rate"][:, None] * np.diff(edges)[None, :] / DAYS_PER_YEAR,
            operating,
            other,
            p.get(f"parties.{borrower}.cash", np.zeros(draws)),
            (edges[1:][None, :] > test_from[:, None]) & forecast,
            CovenantTerms(
                p.get(f"{base}.covenants.min_dscr"),
                p.get(f"{base}.covenants.max_leverage"),
                p.get(f"{base}.covenants.min_cash"),
                terms.on_breach,
                p[f"{base}.covenants.sweep_share"],
            ),
            window,
        )
        mine = [
            Flow(contract.payer, borrower, name, "loan_draw", outcome.drawn_usd),
            Flow(borrower, contract.payer, name, "interest", outcome.interest_usd),
            Flow(borrower, contract.payer, name, "principal", outcome.principal_usd),
        ]
        results[name].flows = mine
        results[name].covenants = outcome
        flows = [f for f in flows if f.contract != name] + mine
    return flows


def _sample(wanted: Mapping[str, Dist], seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """:func:`gigawatt.sampling.sample` of ``wanted``, in its order, a fixed number (most of a
    scenario's money terms: 767 of Stargate's 889) as one value seen as every draw's (read only,
    no memory per draw: a fresh page per 512 draws is the cost of ``np.full``), the same dtype
    and value as the array ``sample`` fills."""
    drawn = sample({k: d for k, d in wanted.items() if not d.is_fixed}, seed, start, stop)
    return {
        k: drawn[k] if k in drawn else np.broadcast_to(np.full(1, d.params[0]), (stop - start,))
        for k, d in wanted.items()
    }


def simulate_money(
    scenario: Scenario,
    ds: xr.Dataset,
    seed: int,
    step: str = "quarter",
    params: Mapping[str, np.ndarray] | None = None,
) -> Money:
    """All money of ``scenario`` for the draws in ``ds`` (the engine's buildout); ``params`` gives
    some parameters' values per draw instead of sampling them (a sensitivity design)."""
    scenario = with_financing(scenario)
    edges = finance_edges(scenario.time.start_day, scenario.time.end_day, step)
    draws = ds.draw.values
    given = {k: np.asarray(v, dtype=float) for k, v in (params or {}).items()}
    wanted = {k: d for k, d in money_parameters(scenario).items() if k not in given}
    p = {**_sample(wanted, seed, int(draws[0]), int(draws[-1]) + 1), **given}
    parties = [n for n in scenario.parties if n != WORLD] + [WORLD]
    phases: dict[tuple[bytes, bool], Capacity] = {}
    results = {
        name: contract_flows(
            name,
            contract,
            p,
            contract_capacity(scenario, name, ds, p, phases),
            edges,
            _usage(scenario, contract, name, p, edges),
        )
        for name, contract in scenario.contracts.items()
    }
    default_chips = chip_flows(scenario, ds, p, edges, results)
    site_mw = _SiteMW(ds, edges)
    ppa_mwh = _ppa_mwh_by_site(scenario, ds, edges, results, site_mw)
    flows = _revenue(scenario, p, edges) + _site_opex(scenario, ds, p, edges, set(parties), ppa_mwh, site_mw)
    for result in (*results.values(), *default_chips.values()):
        flows += result.flows
    open_at_cash_dates(scenario, p, edges, flows)  # a dated cash: the opening solved back (finance.facts)
    flows = _apply_covenants(scenario, p, edges, flows, results)
    funded = fund(scenario, p, edges, flows)
    flows += funded.flows
    return Money(scenario, build_ledger(flows, edges, draws, parties), results, p, edges, ds, funded)
