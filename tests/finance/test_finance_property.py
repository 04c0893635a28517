"""Property: whatever contracts and financing validate, money is finite and the ledger balances."""

import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import SMALL

from gigawatt.finance import buildout, imbalance_usd, simulate_money, statements
from gigawatt.finance.funding import funding_need
from gigawatt.scenario import load_scenario

PARTIES = "  sunco: {name: Sun Co, kind: energy}\n  spv: {name: SPV, kind: developer}\n"
BASE = SMALL.replace(
    "  cloud: {name: Cloud, kind: cloud}\n", '  cloud: {name: Cloud, kind: cloud, cash: "$1B"}\n' + PARTIES, 1
)

billions = st.floats(0.01, 50.0).map(lambda x: f'"${x:.3f}B"')
years = st.integers(1, 20).map(lambda y: f'"{y} years"')
rates = st.floats(0.0, 0.2).map(lambda r: f"{r:.4f}")
shares = st.floats(0.0, 1.0)
fractions = st.floats(0.0, 1.0).map(lambda r: f"{r:.4f}")
dates = st.sampled_from(["2025-03-01", "2026-06-30", "2028-01-01", "2030-06-30"])


@st.composite
def financing(draw: st.DrawFn) -> str:
    cost = draw(st.floats(1.0, 20.0))
    a = draw(shares)
    text = f"""
financing:
  bond:
    kind: bond
    issuer: {draw(st.sampled_from(["lab", "cloud"]))}
    amount: {draw(billions)}
    date: {draw(dates)}
    maturity: {draw(years)}
    rate: {draw(rates)}
    amortisation: {draw(st.sampled_from(["bullet", "linear"]))}
  vehicle:
    kind: spv
    issuer: spv
    sponsors: {{lab: {a:.6f}, cloud: {1 - a:.6f}}}
    equity: {draw(billions)}
    date: {draw(dates)}
    asset_cost: "${cost:.3f}B"
    bonds: {{amount: {draw(billions)}, date: {draw(dates)}, maturity: {draw(years)}, rate: {draw(rates)}}}
    lease:
      tenant: cloud
      sites: [alpha]
      term: {draw(years)}
      price_per_mw_month: "${draw(st.floats(0, 300)):.1f}k/MW"
      renewals: {draw(st.integers(0, 3))}
      renewal_term: {draw(years)}
      renewal_probability: {draw(fractions)}
      residual_value_guarantee: "${cost * draw(shares):.3f}B"
      residual_value: {draw(fractions)}
  round:
    kind: equity_round
    issuer: lab
    tranches:
      - {{investor: cloud, amount: {draw(billions)}, date: {draw(dates)}, probability: {draw(fractions)}}}
funding:
  cloud:
    floor: {draw(billions)}
    max_leverage: {draw(st.floats(0, 10)):.3f}
    instruments:
      - {{kind: revolver, limit: {draw(billions)}, rate: {draw(rates)}}}
      - {{kind: bond, capacity_per_year: {draw(billions)}, rate: {draw(rates)}}}
      - {{kind: equity, capacity_per_year: {draw(billions)}, rate: {draw(rates)}}}
chips: {{refresh: {draw(st.booleans())}}}
"""
    ppa = f"""  ppa:
    kind: power_purchase
    payer: cloud
    payee: sunco
    sites: [alpha]
    price_per_mwh: "${draw(st.floats(0, 200)):.2f}/MWh"
    start: {draw(dates)}
    term: {draw(years)}
    plant_capacity: "{draw(st.floats(1, 1000)):.1f} MW"
    capacity_factor: {draw(fractions)}
"""
    return BASE.replace("targets:\n", ppa + "targets:\n", 1) + text


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(financing())
def test_money_is_finite_and_balances_for_any_valid_financing(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(text)
        scenario = load_scenario(path)
    money = simulate_money(scenario, buildout(scenario, 8, 0), 0)
    amount = money.ledger.amount_usd.values
    assert np.isfinite(amount).all()
    assert np.abs(imbalance_usd(money.ledger)).max() < 1e-3 * max(1.0, np.abs(amount).sum(axis=2).max())
    s = statements(money, ["cloud", "spv"])
    for party in s.values():
        for band in party["totals"]["npv_usd"].values():
            assert band is None or np.isfinite(band)
    for row in funding_need(money.funding, money.edges).values():
        assert all(np.isfinite(row[k]) for k in ("p10", "p50", "p90"))
