"""Contracts → transactions on hand-made capacity, each against numbers worked out by hand."""

import numpy as np
import pytest

from gigawatt.distributions import Dist
from gigawatt.finance.capacity import Capacity, finance_edges
from gigawatt.finance.contracts import contract_flows
from gigawatt.sampling import collect, sample
from gigawatt.scenario import Contract
from gigawatt.units import parse_date

EDGES = finance_edges(parse_date("2026-01-01"), parse_date("2029-12-31"), "quarter")


def terms(contract: Contract, draws: int = 4) -> dict[str, np.ndarray]:
    params = collect({"c": contract}, "contracts")
    for i in range(len(contract.tranches)):
        params[f"contracts.c.tranches[{i}].withheld_draw"] = Dist("uniform", (0.0, 1.0))
    return sample(params, 0, 0, draws)


def capacity(dates: list[str], mw: list[float], draws: int = 4) -> Capacity:
    day = np.tile([parse_date(d) for d in dates], (draws, 1))
    power = np.tile(np.asarray(mw, float), (draws, 1))
    return Capacity(day, power, power * 400.0)


def run(spec: dict, cap: Capacity):
    contract = Contract.model_validate({"payer": "a", "payee": "b", **spec})
    return contract_flows("c", contract, terms(contract, cap.date.shape[0]), cap, EDGES)


def test_lease_starts_when_capacity_comes_online_and_ends_after_its_term():
    # 100 MW online on 2026-05-16: 46 of Q2's 91 days, $100k per MW-month, 1-year term.
    result = run(
        {"kind": "lease", "price_per_mw_month": "$100k/MW", "term": "1 year"},
        capacity(["2026-05-16"], [100.0]),
    )
    (flow,) = result.flows
    paid = flow.amount_usd[0]
    month_usd = 100 * 100e3
    assert paid[0] == 0.0  # Q1: not online yet
    assert paid[1] == pytest.approx(month_usd * 46 / (365.25 / 12))
    assert paid[2] == pytest.approx(month_usd * 92 / (365.25 / 12))
    assert paid.sum() == pytest.approx(month_usd * 12)  # exactly one year of rent
    assert paid[6:].sum() == 0.0  # the term is over
    assert (flow.payer, flow.payee, flow.kind) == ("a", "b", "lease")


def test_lease_escalates_yearly():
    result = run(
        {"kind": "lease", "price_per_mw_month": "$100k/MW", "term": "3 years", "escalator": 0.1},
        capacity(["2026-01-01"], [10.0]),
    )
    paid = result.flows[0].amount_usd[0]
    year1, year2 = paid[0:4].sum(), paid[4:8].sum()
    assert year2 / year1 == pytest.approx(1.1, rel=0.01)


def test_compute_contract_rpo_runs_off_as_capacity_is_delivered():
    spec = {
        "kind": "compute",
        "value": "$40B",
        "signed": "2026-01-01",
        "start": "2027-01-01",
        "term": "2 years",
        "capacity": "1 GW",
    }
    full = run(spec, capacity(["2026-06-30"], [1000.0]))
    rpo = full.rpo_usd[0] / 1e9
    assert rpo[0] == pytest.approx(40.0)  # booked at signing, nothing delivered yet
    assert np.all(np.diff(rpo[:12]) <= 1e-9)  # only ever runs off
    assert full.recognised_usd[0].sum() == pytest.approx(40e9, rel=1e-9)
    assert full.rpo_lapsed_usd[0].sum() == pytest.approx(0.0, abs=1.0)
    assert rpo[-1] == 0.0
    half = run(spec, capacity(["2026-06-30"], [500.0]))
    assert half.recognised_usd[0].sum() == pytest.approx(20e9, rel=1e-9)
    assert half.rpo_lapsed_usd[0].sum() == pytest.approx(20e9, rel=1e-9)  # never delivered


def test_compute_contract_sized_to_its_sites_pays_each_phase_its_term_from_online():
    """A deal for named sites whose stated GW the sites do not match: its capacity is theirs, and
    (``term_from: online``) each phase's share of the value runs the term from its online date, so
    a phase that comes late is paid later, not lost; the contract ends a term after the last."""
    spec = {
        "kind": "compute",
        "value": "$40B",
        "signed": "2026-01-01",
        "start": "2026-04-01",
        "term": "1 year",
        "sites": ["x"],
        "sized_to_sites": True,
        "term_from": "online",
    }
    # 100 MW before the start (paid from it), 300 MW a year later: a quarter and three quarters
    result = run(spec, capacity(["2026-01-15", "2027-04-01"], [100.0, 300.0]))
    paid = result.recognised_usd[0] / 1e9
    assert paid[:1].sum() == 0.0  # nothing before the start
    # the first phase's year (a Julian year: a quarter of a day spills into the next quarter)
    assert paid[1:5].sum() == pytest.approx(10.0, rel=1e-3)
    assert paid[5:10].sum() == pytest.approx(30.0 + 10.0 - paid[1:5].sum(), rel=1e-9)
    assert paid.sum() == pytest.approx(40.0, rel=1e-9)
    assert result.rpo_lapsed_usd[0].sum() == pytest.approx(0.0, abs=1.0)  # nothing lost
    rpo = result.rpo_usd[0] / 1e9
    assert rpo[4] == pytest.approx(30.0, rel=1e-3) and rpo[10:].sum() == 0.0
    # the same deal over a fixed window: the late phase's three quarters lapse
    fixed = run({**spec, "term_from": "start"}, capacity(["2026-01-15", "2027-04-01"], [100.0, 300.0]))
    assert fixed.rpo_lapsed_usd[0].sum() == pytest.approx(30e9, rel=1e-3)
    with pytest.raises(ValueError, match="sized_to_sites"):
        Contract.model_validate({"payer": "a", "payee": "b", **spec, "capacity": "1 GW"})
    with pytest.raises(ValueError, match="term_from"):
        Contract.model_validate({"payer": "a", "payee": "b", **spec, "sized_to_sites": False})


def test_investment_tranches_fire_on_gw_deployed_or_are_withheld():
    cap = capacity(["2026-02-01", "2027-08-15"], [600.0, 600.0])
    spec = {
        "kind": "investment",
        "valuation": "$100B",
        "tranches": [
            {"amount": "$10B", "gw_deployed": "0.5 GW"},
            {"amount": "$10B", "gw_deployed": "1 GW"},
            {"amount": "$10B", "gw_deployed": "1 GW", "probability": 0.0},
            {"amount": "$5B", "date": "2028-01-15"},
        ],
    }
    result = run(spec, cap)
    paid = result.flows[0].amount_usd[0] / 1e9
    assert paid[0] == 10 and paid[6] == 10  # Q1 2026 and Q3 2027
    assert paid[8] == 5  # the date tranche
    assert paid.sum() == 25  # the withheld tranche never fires
    assert result.stake_fraction[0, -1] == pytest.approx(0.25)


def test_purchase_paid_on_delivery_with_payment_terms():
    result = run(
        {"kind": "purchase", "value": "$30B", "payment_terms": "13 weeks"},
        capacity(["2026-02-01", "2026-08-01"], [200.0, 100.0]),
    )
    paid = result.flows[0].amount_usd[0] / 1e9
    assert paid[0] == 0 and paid[1] == pytest.approx(20) and paid[3] == pytest.approx(10)
    assert paid.sum() == pytest.approx(30)


def test_loan_repays_what_it_draws_with_interest_on_the_balance():
    result = run(
        {"kind": "loan", "value": "$4B", "start": "2026-01-01", "term": "2 years", "interest_rate": 0.08},
        capacity([], []),
    )
    by_kind = {f.kind: f.amount_usd[0] for f in result.flows}
    assert by_kind["loan_draw"].sum() == pytest.approx(4e9)
    assert by_kind["principal"].sum() == pytest.approx(4e9)
    # linear amortisation: average balance ~$2B for two years at 8%
    assert by_kind["interest"].sum() == pytest.approx(4e9 * 0.08 * 2 / 2, rel=0.15)
    assert {f.payer for f in result.flows if f.kind != "loan_draw"} == {"b"}


def test_warrant_vests_on_deployment_and_share_price_hurdle():
    spec = {
        "kind": "warrant",
        "start": "2026-01-01",
        "strike": "$0.01",
        "share_price": "$100",
        "share_price_growth": 1.0,  # doubles every year
        "tranches": [
            {"shares": "1M", "gw_deployed": "1 GW"},
            {"shares": "1M", "gw_deployed": "1 GW", "share_price_above": "$400"},
        ],
    }
    result = run(spec, capacity(["2026-07-01"], [1000.0]))
    vested = result.shares_vested[0]
    assert vested[2] == 1e6  # Q3 2026: deployment met, price $141 < $400
    assert vested[7] == 1e6 and vested[8] == 2e6  # $400 reached on 2028-01-01
    exercise = result.flows[0]
    assert (exercise.payer, exercise.payee) == ("b", "a")  # the holder pays the strike
    assert exercise.amount_usd[0].sum() == pytest.approx(2e6 * 0.01)
    # granted: each tranche at the price when it vested (end of its quarter), not later prices
    price = 100.0 * 2.0 ** ((EDGES[1:] - parse_date("2026-01-01")) / 365.25)
    granted = result.warrant_granted_usd[0]
    assert granted[2] == pytest.approx(1e6 * (price[2] - 0.01))
    assert granted[8] == pytest.approx(1e6 * (price[2] - 0.01) + 1e6 * (price[8] - 0.01))
    assert granted[-1] == granted[8] < 2e6 * (price[-1] - 0.01)  # the later rise is not granted


def test_power_purchase_take_or_pay_floor():
    spec = {
        "kind": "power_purchase",
        "price_per_mwh": "$50/MWh",
        "start": "2026-01-01",
        "term": "1 year",
        "capacity": "100 MW",
        "take_or_pay": 0.5,
        "load_factor": 0.8,
    }
    result = run(spec, capacity(["2026-07-01"], [100.0]))
    bill = result.flows[0].amount_usd[0]
    q1_hours = (EDGES[1] - EDGES[0]) * 24
    assert bill[0] == pytest.approx(0.5 * 100 * q1_hours * 50)  # nothing online: the floor
    q3_hours = (EDGES[3] - EDGES[2]) * 24
    assert bill[2] == pytest.approx(0.8 * 100 * q3_hours * 50)  # online: what is used


def test_stated_capacity_fills_phases_in_order_not_a_share_of_an_optional_one():
    # A firm 230 MW phase (2026-07-01) and an optional 290 MW one, built in draws 0-1 (2027-07-01)
    # and never in draws 2-3: a 230 MW lease is all of the firm phase either way, the full
    # 230 MW x $100k x 12 months; before, it leased 230/520 of each phase (half the rent unbuilt).
    never = np.inf
    day = np.array(
        [[parse_date("2026-07-01"), parse_date("2027-07-01")]] * 2 + [[parse_date("2026-07-01"), never]] * 2
    )
    mw = np.tile([230.0, 290.0], (4, 1))
    spec = {"kind": "lease", "capacity": "230 MW", "price_per_mw_month": "$100k/MW", "term": "1 year"}
    paid = run(spec, Capacity(day, mw, mw * 400.0)).flows[0].amount_usd
    assert paid.sum(axis=1) == pytest.approx([230 * 100e3 * 12] * 4)
    assert np.array_equal(paid[0], paid[2])  # the optional phase changes nothing
    # order is by date, not declaration: a later-declared phase online first fills first, and a
    # phase never online comes last (what is left to it is never delivered)
    late = np.array(
        [[parse_date("2027-07-01"), parse_date("2026-07-01")]] * 2 + [[parse_date("2027-07-01"), never]] * 2
    )
    filled = Capacity(late, mw, mw * 400.0).filled(np.full(4, 300.0))
    assert filled.mw[0].tolist() == [10.0, 290.0] and filled.mw[2].tolist() == [230.0, 70.0]
    assert filled.accelerators[0].tolist() == pytest.approx([4000.0, 116000.0])


def test_catalog_price_is_for_a_purchase_over_phases_and_alone():
    base = {"payer": "a", "payee": "b", "kind": "purchase", "price": "catalog"}
    assert Contract.model_validate({**base, "sites": ["x"]}).missing() == []
    schedule = [{"date": "2026-01-01", "power": "1 GW"}]
    for wrong in ({"schedule": schedule}, {"kind": "lease", "term": "1 year", "price_per_mw_month": "$1/MW"}):
        with pytest.raises(ValueError, match="price: catalog applies"):
            Contract.model_validate({**base, **wrong})
    with pytest.raises(ValueError, match="one of value, price_per_mw or price: catalog"):
        Contract.model_validate({**base, "price_per_mw": "$20M/MW"})
    # the price is each phase's: the USD of its accelerators, as they are delivered
    cap = capacity(["2026-02-01", "2026-08-01"], [200.0, 100.0])
    priced = Capacity(cap.date, cap.mw, cap.accelerators, capex_usd=np.tile([6e9, 5e9], (4, 1)))
    paid = run({"kind": "purchase", "price": "catalog"}, priced).flows[0].amount_usd[0] / 1e9
    assert paid[0] == 6 and paid[2] == 5 and paid.sum() == 11
