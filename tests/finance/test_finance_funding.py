"""Outside capital: the need, the funding policy worked by hand, and the Stargate answer."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.capacity import finance_edges
from gigawatt.finance.contracts import Flow
from gigawatt.finance.funding import fund, funding_need
from gigawatt.finance.model import money_parameters
from gigawatt.sampling import sample
from gigawatt.scenario import load_scenario
from gigawatt.units import parse_date

POLICY = """
funding:
  cloud:
    floor: $0.5B
    max_debt: $3B
    instruments:
      - {kind: bond, capacity_per_year: $2B, rate: 0.0}
      - {kind: equity, capacity_per_year: $1B, rate: 0.1}
"""


def test_the_policy_raises_in_order_within_capacity_and_cap(small_text, write):
    text = small_text.replace(
        "  cloud: {name: Cloud, kind: cloud}", '  cloud: {name: Cloud, kind: cloud, cash: "$1B"}'
    )
    scenario = load_scenario(write(text + POLICY))
    edges = finance_edges(parse_date("2026-01-01"), parse_date("2027-12-31"))
    p = sample(money_parameters(scenario), 0, 0, 2)
    spend = np.zeros((2, len(edges) - 1))
    spend[:, 0] = 5e9  # $5B out in 2026 Q1
    outcome = fund(scenario, p, edges, [Flow("cloud", "world", "capex", "purchase", spend)])
    cloud = outcome.parties["cloud"]
    # $1B cash, $0.5B floor: $4.5B needed from the first quarter
    assert cloud.need_usd == pytest.approx([4.5e9, 4.5e9])
    assert cloud.first_period.tolist() == [0, 0]
    # 2026: bonds to their $2B a year, equity to its $1B: $1.5B short; 2027: bonds up to the
    # $3B cap ($1B more), equity $0.5B, nothing short
    assert cloud.raised_usd["bond#0"] == pytest.approx([3e9, 3e9])
    assert cloud.raised_usd["equity#1"] == pytest.approx([1.5e9, 1.5e9])
    assert cloud.shortfall_usd == pytest.approx([1.5e9, 1.5e9])
    need = funding_need(outcome, edges)["cloud"]
    assert need["p50"] == pytest.approx(4.5e9) and need["first_date"]["p50"] == "2026-01-01"
    assert need["shortfall_usd"]["p50"] == pytest.approx(1.5e9)
    assert need["by_instrument"]["bond#0"]["p50"] == pytest.approx(3e9)
    # the raises are ledger flows from the world: money in equals money raised
    raised = sum(f.amount_usd.sum(axis=1) for f in outcome.flows if f.payer == "world")
    assert raised == pytest.approx([4.5e9, 4.5e9])


def test_a_named_overflow_tier_takes_what_the_capped_tiers_leave_under_its_name(small_text, write):
    """A last tier of non-debt capital, named: what the capped tiers cannot raise is reported as
    raised by it (a financing need at a stated cost), not as a shortfall."""
    text = small_text.replace(
        "  cloud: {name: Cloud, kind: cloud}", '  cloud: {name: Cloud, kind: cloud, cash: "$1B"}'
    )
    overflow = "      - {kind: equity, name: overflow, capacity_per_year: $100B, rate: 0.12}\n"
    scenario = load_scenario(write(text + POLICY + overflow))
    edges = finance_edges(parse_date("2026-01-01"), parse_date("2027-12-31"))
    p = sample(money_parameters(scenario), 0, 0, 2)
    spend = np.zeros((2, len(edges) - 1))
    spend[:, 0] = 5e9
    outcome = fund(scenario, p, edges, [Flow("cloud", "world", "capex", "purchase", spend)])
    cloud = outcome.parties["cloud"]
    # as above, bonds $2B and equity $1B in 2026 Q1; the $1.5B left comes from the overflow tier
    assert cloud.raised_usd["bond#0"] == pytest.approx([2e9, 2e9])
    assert cloud.raised_usd["overflow#2"] == pytest.approx([1.5e9, 1.5e9])
    assert cloud.shortfall_usd == pytest.approx([0.0, 0.0])
    assert "overflow#2" in funding_need(outcome, edges)["cloud"]["by_instrument"]


def test_stargate_finance_json_has_funding_need_per_party():
    result = CliRunner().invoke(app, ["finance", "stargate", "--draws", "100", "--json"])
    assert result.exit_code == 0, result.output
    need = json.loads(result.stdout)["funding_need"]
    oracle = need["oracle"]
    assert {"p10", "p50", "p90", "first_date", "by_instrument", "shortfall_usd"} <= set(oracle)
    assert 0 <= oracle["p10"] <= oracle["p50"] <= oracle["p90"]
    assert oracle["shortfall_usd"]["p50"] <= oracle["p50"]


def test_stress_reports_the_shortfall_after_the_policy():
    args = ["stress", "stargate", "--shock", "demand growth -30%", "--draws", "100", "--no-record", "--json"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    for run in ("base", "shocked"):
        oracle = data[run]["funding_need"]["oracle"]
        assert oracle["policy"] and oracle["shortfall_usd"]["p50"] <= oracle["p50"]
    rows = {r["name"] for r in data["key_figures"]["rows"]}
    assert "oracle: short after its funding policy" in rows
    # the demand shock reaches Oracle through the contract's demand-linked share
    assert data["shocked"]["rpo_never_delivered_usd"]["p50"] > data["base"]["rpo_never_delivered_usd"]["p50"]


def _as_of(small_text: str) -> str:
    """SMALL as of mid-2026 (its parties state no cash and no policy)."""
    return small_text.replace(
        "time: {start: 2025-01-01, end: 2030-12-31, step: week}",
        "time: {start: 2025-01-01, end: 2030-12-31, step: week, as_of: 2026-06-30}",
    )


def test_a_party_without_cash_or_policy_whose_flows_go_negative_needs_outside_capital(small_text, write):
    """The lab states neither cash nor a policy: it had $0.5B net by the as-of date (its cash), then
    pays $1B, $2B or $3B in 2026 Q4: it needs $0.5B, $1.5B or $2.5B from outside, first then. What it
    paid before the as-of date is paid (the cloud's $5B is not a need); receipts alone never are."""
    scenario = load_scenario(write(_as_of(small_text)))
    edges = finance_edges(parse_date("2026-01-01"), parse_date("2027-12-31"))
    p = sample(money_parameters(scenario), 0, 0, 3)
    shape = (3, len(edges) - 1)
    income, spend, past = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    income[:, 0], spend[:, 1] = 1e9, 0.5e9  # before the as-of date: $0.5B net
    spend[:, 3] = [1e9, 2e9, 3e9]  # 2026-10-01
    income[:, 5] = 1e9  # after: the deepest gap is still the need
    past[:, 1] = 5e9
    flows = [
        Flow("world", "lab", "sales", "revenue", income),
        Flow("lab", "world", "capex", "purchase", spend),
        Flow("cloud", "world", "capex", "purchase", past),
    ]
    outcome = fund(scenario, p, edges, flows)
    assert set(outcome.parties) == {"lab"} and outcome.flows == []
    need = funding_need(outcome, edges)["lab"]
    assert need["p50"] == pytest.approx(1.5e9) and need["p10"] < need["p50"] < need["p90"]
    assert need["first_date"]["p50"] == "2026-10-01" and need["probability_needed"] == 1.0
    assert need["cash_stated"] is False and need["policy"] is False
    assert need["shortfall_usd"] is None and need["probability_shortfall"] is None  # not "short"
    assert need["refinancing_share"] == 0.0


DEV = "  dev: {name: Developer, kind: developer}\n"
DEV_STAKE = """  dev-stake:
    kind: investment
    payer: dev
    payee: cloud
    value: "$2B"
    start: 2026-02-01
"""
DEV_LOAN = """
financing:
  dev-loan:
    kind: project_loan
    issuer: dev
    amount: "$2B"
    date: 2026-01-15
    maturity: "3 years"
    rate: 0.0
    amortisation: bullet
"""


def test_a_bullet_loan_falling_due_inside_the_horizon_is_a_refinancing_need(small_text, write):
    """A developer borrows $2B (bullet, 3 years, no interest) and spends it on a stake: nothing is
    needed until the loan falls due on 2029-01-15, then all of it, first in that quarter: a
    refinancing."""
    text = _as_of(small_text).replace(
        "  cloud: {name: Cloud, kind: cloud}\n", "  cloud: {name: Cloud, kind: cloud}\n" + DEV
    )
    scenario = load_scenario(write(text.replace("contracts:\n", "contracts:\n" + DEV_STAKE) + DEV_LOAN))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    need = funding_need(money.funding, money.edges)["dev"]
    assert need["p10"] == pytest.approx(2e9) and need["p90"] == pytest.approx(2e9)
    assert need["first_date"] == {"p10": "2029-01-01", "p50": "2029-01-01", "p90": "2029-01-01"}
    assert need["by_year_end_p50_usd"]["2028"] == 0.0 and need["refinancing_share"] == 1.0
    assert need["cash_stated"] is False
