"""Outside capital: the need, the funding policy worked by hand, and the Stargate answer."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
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
