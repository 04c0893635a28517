"""Loan covenants: a five-year loan worked out by hand, and covenants in the built-in scenario."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gigawatt.errors import ScenarioError
from gigawatt.finance import buildout, simulate_money, statements
from gigawatt.finance.covenants import CovenantTerms, service, trailing
from gigawatt.finance.ledger import imbalance_usd
from gigawatt.scenario import load_scenario

# $100 drawn at once, repaid linearly over five yearly periods at 10% a year:
# interest 0, 8, 6, 4, 2; principal 20 each year; balance 80, 60, 40, 20, 0.
DRAWN = np.array([[100.0, 0, 0, 0, 0]])
REPAID = np.array([[0.2, 0.4, 0.6, 0.8, 1.0]])
RATE = np.full((1, 5), 0.1)
# The borrower's operating cash flow dips in year 3: DSCR 30/20, 30/28, 20/26 = 0.77, ...
OPERATING = np.array([[30.0, 30, 20, 30, 30]])
ALL = np.ones((1, 5), bool)


def run(terms: CovenantTerms, tested=ALL, other=OPERATING, cash0=0.0):
    return service(DRAWN, REPAID, RATE, OPERATING, other, np.array([cash0]), tested, terms, window=1)


def test_without_a_breach_the_schedule_is_unchanged():
    out = run(CovenantTerms(min_dscr=np.array([0.5])))
    assert out.breach_period.tolist() == [-1]
    assert out.interest_usd[0] == pytest.approx([0, 8, 6, 4, 2])
    assert out.principal_usd[0] == pytest.approx([20] * 5)


def test_dscr_breach_accelerates_the_balance():
    out = run(CovenantTerms(min_dscr=np.array([1.0])))
    assert out.dscr[0, :3] == pytest.approx([1.5, 30 / 28, 20 / 26])
    assert out.breach_period.tolist() == [2]  # year 3: 0.77 < 1.0
    # the $40 left at the end of year 3 is called in year 4, with that year's interest on it
    assert out.principal_usd[0] == pytest.approx([20, 20, 20, 40, 0])
    assert out.interest_usd[0] == pytest.approx([0, 8, 6, 4, 0])
    assert out.accelerated_usd.tolist() == pytest.approx([40.0])
    assert out.principal_usd.sum() == pytest.approx(100.0)


def test_dscr_breach_sweeps_half_the_spare_cash():
    out = run(CovenantTerms(min_dscr=np.array([1.0]), on_breach="sweep", sweep_share=0.5))
    # year 4: opening 40, interest 4, scheduled 20, spare 30 - 4 - 20 = 6, half swept = 3
    # year 5: opening 17, interest 1.7, the scheduled 20 is capped at the 17 left
    assert out.principal_usd[0] == pytest.approx([20, 20, 20, 23, 17])
    assert out.interest_usd[0] == pytest.approx([0, 8, 6, 4, 1.7])
    assert out.swept_usd.tolist() == pytest.approx([3.0])
    assert out.balance_usd[0, -1] == pytest.approx(0.0)


def test_leverage_is_tested_only_from_test_from():
    tested = np.array([[False, True, True, True, True]])
    out = run(CovenantTerms(max_leverage=np.array([1.9])), tested=tested)
    # year 1 (80/30 = 2.7) is not tested; year 2: 60/30 = 2.0 > 1.9
    assert out.leverage[0, :2] == pytest.approx([80 / 30, 2.0])
    assert out.breach_period.tolist() == [1]
    assert out.principal_usd[0] == pytest.approx([20, 20, 60, 0, 0])


def test_min_cash_counts_the_loan_itself():
    # cash 50 + 100 drawn - service: 130, 102, 76, 52, 30 with no other money
    out = run(CovenantTerms(min_cash_usd=np.array([60.0])), other=np.zeros((1, 5)), cash0=50.0)
    assert out.cash_usd[0] == pytest.approx([130, 102, 76, 52, 30])
    assert out.breach_period.tolist() == [3]


def test_trailing_sums_a_window():
    assert trailing(np.array([[1.0, 2, 3, 4]]), 2)[0].tolist() == [1, 3, 5, 7]


def test_stargate_loan_covenant_shows_in_statements_and_books_balance():
    scenario = load_scenario("stargate")
    money = simulate_money(scenario, buildout(scenario, 60, 0), 0)
    assert np.abs(imbalance_usd(money.ledger)).max() < 1.0
    outcome = money.results["abilene-jpmorgan-loan"].covenants
    assert outcome is not None
    s = statements(money, ["crusoe", "jpmorgan"])
    for party in ("crusoe", "jpmorgan"):
        c = s[party]["covenants"]["abilene-jpmorgan-loan"]
        assert c["probability_breach"] == pytest.approx(float(np.mean(outcome.breach_period >= 0)))
    # whatever happens, the lender gets back what it lent (called or scheduled), never more
    entries = money.ledger.contract.values == "abilene-jpmorgan-loan"
    kinds = money.ledger.kind.values[entries]
    totals = money.ledger.amount_usd.values[:, :, entries].sum(axis=1)
    drawn = totals[:, kinds == "loan_draw"].sum(axis=1)
    repaid = totals[:, kinds == "principal"].sum(axis=1)
    assert np.all(repaid <= drawn + 1.0)
    hit = outcome.breach_period >= 0
    assert np.allclose(repaid[hit], drawn[hit])  # a called loan is repaid in full


BAD = """
extends: stargate
name: bad-covenants
contracts:
  abilene-jpmorgan-loan:
    covenants:
      {field}
"""


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("min_dscr: -1", "min_dscr"),
        ("on_breach: explode", "on_breach"),
        ('min_cash: "$1B"', "min_cash needs the borrower (crusoe) to declare cash"),
        ("test_from: 2040-01-01", "never tested"),
        ("sweep_share: 1.5", "sweep_share must be between 0 and 1"),
    ],
)
def test_bad_covenants_are_located_errors(tmp_path, field, message):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.format(field=field))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    text = str(err.value)
    assert message in text
    assert f"{path}:" in text and "contracts.abilene-jpmorgan-loan.covenants" in text


def test_covenants_only_on_loans(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.replace("abilene-jpmorgan-loan", "abilene-lease").format(field="min_dscr: 1.2"))
    with pytest.raises(ScenarioError, match="covenants apply to loans"):
        load_scenario(path)


@settings(max_examples=60, deadline=None)
@given(
    operating=st.lists(st.floats(-50, 60), min_size=8, max_size=8),
    min_dscr=st.floats(0.1, 3.0),
    share=st.floats(0.0, 1.0),
    mode=st.sampled_from(["accelerate", "sweep"]),
)
def test_covenants_never_repay_more_than_drawn(operating, min_dscr, share, mode):
    drawn = np.array([[60.0, 40.0, 0, 0, 0, 0, 0, 0]])
    repaid = np.clip(np.arange(1, 9) / 6.0, 0, 1)[None, :]
    op = np.array([operating])
    out = service(
        drawn,
        repaid,
        np.full((1, 8), 0.02),
        op,
        op,
        np.array([0.0]),
        np.ones((1, 8), bool),
        CovenantTerms(min_dscr=np.array([min_dscr]), on_breach=mode, sweep_share=share),
        window=4,
    )
    assert np.all(out.balance_usd >= -1e-9) and np.all(out.principal_usd >= -1e-9)
    # the term ends inside the grid: everything drawn is repaid, once
    assert out.principal_usd.sum() == pytest.approx(out.drawn_usd.sum())
    k = int(out.breach_period[0])
    if mode == "accelerate" and 0 <= k < 7:
        assert out.balance_usd[0, k + 1 :] == pytest.approx(0.0)
        assert out.accelerated_usd[0] == pytest.approx(out.balance_usd[0, k] if k >= 0 else 0.0)


def test_operating_cash_flow_leaves_out_financing_and_capex():
    from gigawatt.finance.contracts import Flow
    from gigawatt.finance.model import borrower_cash_flows

    def one(amount: float) -> np.ndarray:
        return np.full((1, 2), amount)

    flows = [
        Flow("tenant", "spv", "rent", "lease", one(10.0)),
        Flow("spv", "world", "staff:x", "staff", one(1.0)),
        Flow("spv", "vendor", "chips", "purchase", one(50.0)),  # capex
        Flow("spv", "vendor", "spares", "purchase", one(2.0)),  # not capital
        Flow("investor", "spv", "stake", "equity", one(30.0)),
        Flow("spv", "bank", "other-loan", "interest", one(3.0)),
        Flow("a", "b", "elsewhere", "lease", one(99.0)),
    ]
    operating, net = borrower_cash_flows(flows, "spv", {"chips"}, (1, 2))
    assert operating[0].tolist() == [7.0, 7.0]  # 10 - 1 - 2
    assert net[0].tolist() == [-16.0, -16.0]  # 10 - 1 - 50 - 2 + 30 - 3
