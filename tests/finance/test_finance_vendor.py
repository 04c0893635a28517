"""Vendor financing (investment returned / sales for the customer) and unspent money."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.finance.contracts import Flow
from gigawatt.finance.ledger import build_ledger
from gigawatt.finance.model import Money
from gigawatt.finance.vendor import unspent, vendor_financing
from gigawatt.scenario import load_scenario


def worked_example(small_text, write) -> Money:
    """docs/circularity.md's four parties, $B, in one period, plus a holding vehicle."""
    one = lambda x: np.array([[x * 1e9]])  # noqa: E731
    flows = [
        Flow("world", "openai", "customers", "revenue", one(50)),
        Flow("openai", "oracle", "c", "compute", one(60)),
        Flow("oracle", "nvidia", "p", "purchase", one(40)),
        Flow("nvidia", "openai", "i", "equity", one(10)),
        Flow("openai", "jv", "j", "equity", one(5)),
    ]
    parties = ["openai", "oracle", "nvidia", "jv", "world"]
    edges = np.array([0.0, 90.0])
    ledger = build_ledger(flows, edges, np.arange(1), parties)
    scenario = load_scenario(write(small_text))
    return Money(scenario, ledger, {}, {}, edges, None)  # type: ignore[arg-type]


def test_vendor_financing_counts_sales_made_for_the_customer_through_its_supplier(small_text, write):
    money = worked_example(small_text, write)
    (row,) = vendor_financing(money)
    assert (row["vendor"], row["customer"]) == ("nvidia", "openai")
    # Oracle's compute income is all OpenAI's: all $40B of NVIDIA's sales to Oracle are for OpenAI
    assert row["sales_usd"] == pytest.approx(40e9) and row["returned_usd"] == pytest.approx(10e9)
    assert row["ratio"]["p50"] == pytest.approx(0.25)
    assert set(row["window"]) == {"from", "to"}
    assert unspent(money) == {"jv": {"invested_in_usd": 5e9, "paid_out_usd": 0.0, "unspent_usd": 5e9}}


def test_flows_json_carries_vendor_financing():
    result = CliRunner().invoke(app, ["flows", "stargate", "--draws", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pairs = {(r["vendor"], r["customer"]): r for r in data["vendor_financing"]}
    nvidia = pairs[("nvidia", "openai")]
    assert {"sales_usd", "returned_usd", "ratio", "window"} <= set(nvidia)
    assert 0 < nvidia["ratio"]["p10"] <= nvidia["ratio"]["p50"] <= nvidia["ratio"]["p90"]
    # the JV's equity pledges are not cash (never drawn by as_of, and the sites' capex is paid by
    # their builders): no JV pools money; CoreWeave's NVIDIA stake is spent on costs outside the scenario
    assert set(data["unspent"]) == {"coreweave"}
    # an investor that sells a few hundred million for the customer is no vendor: no ratio of 75x
    minor = {(r["vendor"], r["customer"]) for r in data["vendor_financing_minor"]}
    assert ("softbank", "openai") in minor and ("softbank", "openai") not in pairs
    assert all(r["sales_usd"] >= 1e9 for r in data["vendor_financing"])


def test_a_warrant_returns_its_shares_at_their_value_when_they_vested():
    """AMD → OpenAI (stargate): the warrant counts at the value of each tranche when it
    vested, as equity counts at what was paid, not at the price the shares reach by the window's
    end; a window that ends before the first tranche vests counts none of it."""
    from gigawatt.finance.flows import window_periods
    from gigawatt.finance.model import buildout, simulate_money
    from gigawatt.units import parse_date

    scenario = load_scenario("stargate")
    money = simulate_money(scenario, buildout(scenario, 200, 0), 0)
    warrant = money.results["amd-openai-warrant"]
    granted = warrant.warrant_granted_usd[:, -1]
    # at the path's price at the horizon instead, the shares would count for more in most draws
    # (the price rises) and for less in some (it falls after vesting)
    price = next(v for k, v in money.parameters.items() if k.endswith("amd-openai-warrant.share_price"))
    growth = next(
        v for k, v in money.parameters.items() if k.endswith("amd-openai-warrant.share_price_growth")
    )
    years = (money.edges[-1] - parse_date("2025-10-06")) / 365.25
    marked = warrant.shares_vested[:, -1] * (price * (1 + growth) ** years - 0.01)
    assert np.median(marked - granted) > 1e9 and np.any(granted > marked)
    row = next(r for r in vendor_financing(money) if (r["vendor"], r["customer"]) == ("amd", "openai"))
    equity_and_loans = 0.0  # AMD pays OpenAI nothing else: what returns is the warrant alone
    assert row["returned_usd"] == pytest.approx(float(np.median(granted)) + equity_and_loans, rel=1e-9)
    early = window_periods(money.edges, None, parse_date("2026-06-30"))
    assert all(r["vendor"] != "amd" for r in vendor_financing(money, early))
