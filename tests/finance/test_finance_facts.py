"""Facts in the money layer: a party's cash at its reported date in every draw, and nothing drawn
before the as-of date (no policy raise, no outside capital need, no covenant test, no one short)."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.finance import buildout, settle, simulate_money
from gigawatt.finance.facts import net_to_day
from gigawatt.finance.funding import funding_need
from gigawatt.finance.model import money_parameters
from gigawatt.finance.statements import party_net_usd
from gigawatt.finance.stress import report
from gigawatt.sampling import sample
from gigawatt.scenario import load_scenario, load_scenario_text
from gigawatt.units import parse_date

AS_OF = "2026-06-30"
POLICY = """
funding:
  cloud:
    floor: $0.5B
    max_debt: $30B
    instruments:
      - {kind: bond, capacity_per_year: $20B, rate: 0.05}
"""
LOAN = """  bank-loan:
    kind: loan
    payer: lab
    payee: cloud
    value: "$1B"
    start: 2025-02-01
    term: "10 years"
    interest_rate: 0.05
    covenants: {min_cash: "$0.5B", on_breach: accelerate}
targets:"""


def _with_as_of(small_text: str, cloud: str = 'cash: "$1B"') -> str:
    """SMALL as of mid-2026, the cloud with cash: it buys ~300 MW of chips in 2025-27, so its cash
    falls below $0.5B before the as-of date in most draws."""
    text = small_text.replace(
        "time: {start: 2025-01-01, end: 2030-12-31, step: week}",
        f"time: {{start: 2025-01-01, end: 2030-12-31, step: week, as_of: {AS_OF}}}",
    )
    return text.replace(
        "  cloud: {name: Cloud, kind: cloud}", f"  cloud: {{name: Cloud, kind: cloud, {cloud}}}"
    )


def _position(money, party: str) -> np.ndarray:
    """A party's cash after each period ``(draw, period)``, from the ledger."""
    net = party_net_usd(money, party)
    return money.parameters[f"parties.{party}.cash"][:, None] + np.cumsum(net, axis=1)


def test_the_position_at_the_cash_date_is_the_stated_cash_in_every_draw(small_text):
    text = _with_as_of(small_text, 'cash: {pert: ["$1B", "$2B", "$4B"]}, cash_date: 2026-03-31') + POLICY
    scenario = load_scenario_text(text)
    money = simulate_money(scenario, buildout(scenario, 60, 0), 0)
    at = int(np.searchsorted(money.edges[1:], parse_date("2026-04-01")))  # the quarter to 31 March
    key = "parties.cloud.cash"
    drawn = sample({key: money_parameters(scenario)[key]}, 0, 0, 60)[key]  # the balance stated
    assert np.ptp(drawn) > 1e8  # uncertain here, yet each draw's balance is met exactly
    assert _position(money, "cloud")[:, at] == pytest.approx(drawn, rel=1e-12)
    # the opening was solved back: the cash at the grid's start is not the stated balance
    assert not np.allclose(money.parameters[key], drawn)


def test_oracles_cash_is_its_reported_balance_at_28_feb_2026_in_every_draw():
    """The flagship states Oracle's ~$38.5B at 28 Feb 2026 (Q3 FY26): a fact in every draw, on a
    monthly grid (a period ends there) and on the quarterly one (the date inside a quarter)."""
    scenario = load_scenario("stargate")
    ds = buildout(scenario, 100, 0)
    monthly = simulate_money(scenario, ds, 0, step="month")
    at = int(np.searchsorted(monthly.edges[1:], parse_date("2026-03-01")))  # the end of February
    assert _position(monthly, "oracle")[:, at] == pytest.approx(np.full(100, 38.5e9), rel=1e-12)
    quarterly = simulate_money(scenario, ds, 0)
    net = party_net_usd(quarterly, "oracle")
    at_date = quarterly.parameters["parties.oracle.cash"] + net_to_day(
        net, quarterly.edges, parse_date("2026-02-28")
    )
    assert at_date == pytest.approx(np.full(100, 38.5e9), rel=1e-12)


def test_net_to_day_counts_the_days_elapsed_in_the_period_it_falls_in():
    edges = np.array([0.0, 10.0, 20.0, 40.0])
    net = np.array([[1.0, 2.0, 4.0]])
    assert net_to_day(net, edges, 4.0).tolist() == [0.5]  # to the end of day 4: half of period 0
    assert net_to_day(net, edges, 9.0).tolist() == [1.0]  # the end of day 9 is the edge at 10
    assert net_to_day(net, edges, 29.0).tolist() == [5.0]  # 1 + 2 + half of 4
    assert net_to_day(net, edges, 99.0).tolist() == [7.0]


def test_no_policy_raise_or_outside_capital_need_before_the_as_of_date(small_text):
    scenario = load_scenario_text(_with_as_of(small_text) + POLICY)
    money = simulate_money(scenario, buildout(scenario, 100, 0), 0)
    before = money.edges[:-1] < parse_date(AS_OF)
    assert money.funding is not None
    raised = sum(f.amount_usd for f in money.funding.flows if f.kind == "loan_draw")
    assert raised[:, before].sum() == 0.0
    assert raised[:, ~before].sum() > 1e9  # the policy still raises, from the as-of date
    need = funding_need(money.funding, money.edges)["cloud"]
    assert need["probability_needed"] > 0.5
    assert all(d is None or d > AS_OF for d in need["first_date"].values())
    assert all(v == 0.0 for y, v in need["by_year_end_p50_usd"].items() if y < AS_OF[:4])


def test_no_covenant_is_tested_before_the_as_of_date(small_text):
    scenario = load_scenario_text(_with_as_of(small_text).replace("targets:", LOAN))
    money = simulate_money(scenario, buildout(scenario, 100, 0), 0)
    covenants = money.results["bank-loan"].covenants
    assert covenants is not None
    first = covenants.breach_period
    assert (first >= 0).mean() > 0.5  # the cash floor is breached, but only from the as-of date
    assert np.all(money.edges[first[first >= 0]] >= parse_date(AS_OF))


def test_no_party_runs_short_before_the_as_of_date(small_text):
    scenario = load_scenario_text(_with_as_of(small_text))
    money = simulate_money(scenario, buildout(scenario, 100, 0), 0)
    settlement = settle(money)
    cloud = money.parties.index("cloud")
    before = money.edges[:-1] < parse_date(AS_OF)
    assert not (settlement.shortfall_usd[:, before, cloud] > 1.0).any()
    result = report(money, settlement)
    assert result["probability_any_short"] > 0.5  # it runs short, from the as-of date
    dates = [
        *result["first_short"]["date"].values(),
        *result["parties"]["cloud"]["first_short_date"].values(),
    ]
    assert all(d is None or d > AS_OF for d in dates)


def test_stargate_finance_dates_nothing_before_its_as_of_date():
    result = CliRunner().invoke(app, ["finance", "stargate", "--draws", "200", "--json"])
    assert result.exit_code == 0, result.output
    need = json.loads(result.stdout)["funding_need"]
    for party, row in need.items():
        assert all(d is None or d > "2026-06-30" for d in row["first_date"].values()), party


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("cash_date: 2026-08-01", "cash_date 2026-08-01 is after time.as_of, 2026-06-30"),
        ("cash_date: 2023-08-01", "is outside the time grid (2024-01-01 to 2035-12-31)"),
        ("cash_date: {uniform: [2025-01-01, 2025-03-01]}", "cash_date must be a plain date"),
    ],
)
def test_a_bad_cash_date_is_a_located_error_exit_2(tmp_path, line, message):
    path = tmp_path / "bad.yaml"
    path.write_text(f"extends: stargate\nname: bad\nparties:\n  oracle:\n    {line}\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert message in str(err.value) and f"{path}:5:" in str(err.value)
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and message in result.output


def test_a_cash_date_needs_cash(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("extends: stargate\nname: bad\nparties:\n  crusoe:\n    cash_date: 2025-01-01\n")
    with pytest.raises(ScenarioError, match="cash_date needs cash") as err:
        load_scenario(path)
    assert f"{path}:5:" in str(err.value)
