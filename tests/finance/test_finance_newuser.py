"""What a new user found: own accelerators through finance, a PPA on the plant's output,
bonds outstanding at the horizon, pledges by capex category."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.finance import buildout, simulate_money, statements
from gigawatt.scenario import load_scenario

runner = CliRunner()

OWN_CHIP = """\
accelerators:
  my-chip: {base: gb200-nvl72, name: My chip, price: "$45000"}
"""


def with_own_chip(small_text: str) -> str:
    text = small_text.replace("accelerator: gb200-nvl72", "accelerator: my-chip")
    return text.replace("sites:\n", OWN_CHIP + "sites:\n", 1)


def test_finance_accepts_a_scenario_own_accelerator(small_text, write):
    path = write(with_own_chip(small_text))
    result = runner.invoke(app, ["finance", str(path), "--draws", "50", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    own = data["unit_economics"]["my-chip"]["capex_per_gw_facility_usd"]
    base = data["unit_economics"]["h100"]["capex_per_gw_facility_usd"]
    assert own["total"]["p50"] > own["accelerators"]["p50"] > 0
    assert base["total"]["p50"] > 0


def bond(small_text: str, maturity: str) -> str:
    body = (
        "    kind: loan\n    payer: cloud\n    payee: lab\n    value: $10B\n    start: 2026-01-01\n"
        f"    term: {maturity}\n    interest_rate: 0.06\n    amortisation: bullet\n"
    )
    return small_text.replace("targets:\n", f"  bond:\n{body}targets:\n", 1)


def test_a_bullet_bond_past_the_horizon_is_valued_at_par_not_a_loss(small_text, write):
    scenario = load_scenario(write(bond(small_text, "10 years")))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    s = statements(money, ["cloud", "lab"], discount_rate=0.06)
    lender = s["cloud"]["totals"]
    assert lender["terminal_value_usd"]["p50"] == pytest.approx(10e9)
    # the principal still owed at the horizon comes back into NPV, discounted from the last period
    periods = len(money.edges) - 1
    per_quarter = 1.06 ** (1 / 4) - 1
    added = lender["npv_usd"]["p50"] - lender["npv_cash_only_usd"]["p50"]
    assert added == pytest.approx(10e9 / (1 + per_quarter) ** (periods - 1), rel=0.01)
    assert s["lab"]["totals"]["terminal_value_usd"]["p50"] == pytest.approx(-10e9)
    assert s["cloud"]["terminal_value"]["by_contract_usd"]["bond"]["p50"] == pytest.approx(10e9)


def test_a_bond_repaid_inside_the_horizon_has_no_terminal_value(small_text, write):
    scenario = load_scenario(write(bond(small_text, "2 years")))
    money = simulate_money(scenario, buildout(scenario, 10, 0), 0)
    s = statements(money, ["cloud"])
    assert s["cloud"]["terminal_value"]["by_contract_usd"] == {}
    assert np.isclose(s["cloud"]["totals"]["terminal_value_usd"]["p50"], 0.0)


SOLAR = """\
  solar-ppa:
    kind: power_purchase
    payer: cloud
    payee: sunco
    sites: [alpha]
    price_per_mwh: "$40/MWh"
    start: 2025-01-01
    term: 20 years
    plant_capacity: "100 MW"
    capacity_factor: 0.25
"""


def with_solar(small_text: str) -> str:
    text = small_text.replace(
        "  cloud: {name: Cloud, kind: cloud}\n",
        "  cloud: {name: Cloud, kind: cloud}\n  sunco: {name: Sun Co, kind: energy}\n",
        1,
    )
    return text.replace("targets:\n", SOLAR + "targets:\n", 1)


def kind_total(money, kind, contract=None):
    ledger = money.ledger
    mask = ledger.kind.values == kind
    if contract is not None:
        mask &= ledger.contract.values == contract
    return ledger.amount_usd.values[:, :, mask].sum(axis=2)


def test_a_solar_ppa_is_billed_on_the_plant_output_and_not_bought_again_from_the_grid(small_text, write):
    plain = load_scenario(
        write(
            small_text.replace(
                "  cloud: {name: Cloud, kind: cloud}\n",
                "  cloud: {name: Cloud, kind: cloud}\n  sunco: {name: Sun Co, kind: energy}\n",
                1,
            ),
            "plain.yaml",
        )
    )
    solar = load_scenario(write(with_solar(small_text), "solar.yaml"))
    ds = buildout(plain, 30, 0)
    before, after = simulate_money(plain, ds, 0), simulate_money(solar, ds, 0)
    hours = np.diff(after.edges) * 24
    bill = kind_total(after, "power", "solar-ppa")
    # the plant's output (100 MW x 0.25), whatever the campus draws
    assert bill[0] == pytest.approx(100 * 0.25 * hours * 40)
    grid_before = kind_total(before, "electricity")
    grid_after = kind_total(after, "electricity")
    price = after.parameters["electricity_price.us-tx"][:, None]
    used_mwh = grid_before / price
    # the grid sells the campus only what the plant does not cover
    expected = np.clip(used_mwh - np.minimum(100 * 0.25 * hours, used_mwh), 0, None) * price
    assert grid_after == pytest.approx(expected, rel=1e-9, abs=1e-3)
    assert (grid_after < grid_before).any() and (grid_after <= grid_before + 1e-6).all()


def linked(small_text: str, share: float, prepaid: float = 0.0) -> str:
    text = small_text.replace(
        "  lab: {name: Lab, kind: ai_lab}\n",
        '  lab: {name: Lab, kind: ai_lab, revenue_per_year: "$10B", revenue_start: 2025-01-01,'
        " revenue_growth: 0.0}\n",
        1,
    )
    return text.replace(
        '    term: "5 years"\n',
        f'    term: "5 years"\n    demand_share: {share}\n    reference_growth: 0.5\n'
        f"    prepaid: {prepaid}\n",
        1,
    )


def test_a_demand_linked_contract_follows_the_payer_revenue(small_text, write):
    take_or_pay = load_scenario(write(linked(small_text, 0.0), "top.yaml"))
    half = load_scenario(write(linked(small_text, 0.5), "half.yaml"))
    ds = buildout(take_or_pay, 10, 0)
    full, cut = (simulate_money(s, ds, 0).results["compute"].recognised_usd for s in (take_or_pay, half))
    edges = simulate_money(half, ds, 0).edges
    mid = (edges[:-1] + edges[1:]) / 2
    years = np.clip((mid - edges[0]) / 365.25, 0, None)
    # flat revenue against 50%/yr planned, both $10B over their first year: the planned rate
    # starts at ln(1.5)/0.5 of it and compounds (gigawatt.finance.model._revenue_level)
    usage = np.minimum(1.0, 1.0 / (np.log(1.5) / 0.5 * 1.5**years))
    assert cut == pytest.approx(full * (1 - 0.5 * (1 - usage))[None, :], rel=1e-9, abs=1e-3)


def test_a_prepaid_contract_is_paid_at_signing_and_refunds_what_lapses(small_text, write):
    scenario = load_scenario(write(linked(small_text, 0.0, prepaid=0.4)))
    money = simulate_money(scenario, buildout(scenario, 10, 0), 0)
    ledger = money.ledger
    mine = ledger.contract.values == "compute"
    paid = ledger.amount_usd.values[:, :, mine & (ledger.kind.values == "compute")].sum(axis=2)
    recognised = money.results["compute"].recognised_usd
    # 40% at signing (the start here), the rest as delivered
    assert paid[:, 0] == pytest.approx(0.4 * 10e9 + 0.6 * recognised[:, 0], rel=1e-9)
    refund = ledger.amount_usd.values[:, :, mine & (ledger.kind.values == "refund")].sum(axis=(1, 2))
    lapsed = money.results["compute"].rpo_lapsed_usd.sum(axis=1)
    assert refund == pytest.approx(0.4 * lapsed, rel=1e-9, abs=1e-3)
    assert paid.sum(axis=1) - refund == pytest.approx(
        money.results["compute"].recognised_usd.sum(axis=1), rel=1e-9
    )


def borrower(small_text: str) -> str:
    """The small scenario with a party that only borrows $10B at 6% from cloud, for ten years
    (past the horizon), and does nothing else with it."""
    party = "  holdco: {name: Holdco, kind: developer}\n"
    body = bond(small_text, "10 years").replace(
        "payee: lab\n    value: $10B", "payee: holdco\n    value: $10B"
    )
    return body.replace("sites:\n", party + "sites:\n", 1)


def test_npv_is_before_the_partys_own_financing_and_a_lenders_loan_stays_in(small_text, write):
    """A party that only borrows at 6% and invests nothing is worth nothing before its financing;
    discounted at 10% its loan looks like value (the cheap money's spread), which only the figure
    with financing shows. The lender's NPV still counts its loan (lending is its business)."""
    scenario = load_scenario(write(borrower(small_text)))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    s = statements(money, ["holdco", "cloud"], discount_rate=0.10)
    holdco, cloud = s["holdco"]["totals"], s["cloud"]["totals"]
    assert holdco["npv_usd"]["p50"] == pytest.approx(0.0, abs=1.0)
    assert holdco["npv_with_financing_usd"]["p50"] > 0.5e9  # $10B at 6% looks like value at 10%
    assert holdco["terminal_value_usd"]["p50"] == pytest.approx(-10e9)  # still owed, shown apart
    # the lender: paid 6% on $10B, discounted at 10%, a loss in NPV either way, the same figure
    assert cloud["npv_usd"]["p50"] == pytest.approx(cloud["npv_with_financing_usd"]["p50"])
    bare = load_scenario(write(small_text, "bare.yaml"))
    without = statements(simulate_money(bare, buildout(bare, 20, 0), 0), ["cloud"], discount_rate=0.10)
    lent = cloud["npv_usd"]["p50"] - without["cloud"]["totals"]["npv_usd"]["p50"]
    assert lent == pytest.approx(-holdco["npv_with_financing_usd"]["p50"], rel=0.05)
