"""The books always balance: for every draw and period, net cash over all parties is zero."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gigawatt.finance import imbalance_usd, net_by_party, simulate_money
from gigawatt.finance.contracts import Flow
from gigawatt.finance.ledger import WORLD, build_ledger, flow_matrix
from gigawatt.finance.model import buildout
from gigawatt.finance.stress import settle
from gigawatt.scenario import load_scenario

PARTIES = ["a", "b", "c", "d", WORLD]
EDGES = np.arange(0.0, 91.0 * 9, 91.0)  # 8 periods
DRAWS = 3

flows_strategy = st.lists(
    st.tuples(
        st.sampled_from(PARTIES),
        st.sampled_from(PARTIES),
        st.sampled_from(["lease", "purchase", "equity", "interest"]),
        arrays(np.float64, (DRAWS, 8), elements=st.floats(0, 1e12)),
    ).filter(lambda t: t[0] != t[1]),
    max_size=12,
)


def ledger_of(items):
    flows = [Flow(a, b, f"c{i}", kind, amount) for i, (a, b, kind, amount) in enumerate(items)]
    return build_ledger(flows, EDGES, np.arange(DRAWS), PARTIES)


@settings(max_examples=200, deadline=None)
@given(flows_strategy)
def test_every_ledger_balances(items):
    ledger = ledger_of(items)
    scale = max(1.0, float(ledger.dataset().amount_usd.sum()))
    assert np.all(np.abs(imbalance_usd(ledger)) <= 1e-9 * scale)
    # and each party's net is what it received minus what it paid, counted one flow at a time
    net = net_by_party(ledger).sum(("period",)).values
    for p, party in enumerate(PARTIES):
        expected = sum(a.sum(axis=1) for (x, y, _, a) in items if y == party) - sum(
            a.sum(axis=1) for (x, y, _, a) in items if x == party
        )
        assert np.allclose(net[:, p], expected, atol=1e-6 * scale)


@settings(max_examples=100, deadline=None)
@given(flows_strategy)
def test_flow_matrix_keeps_every_dollar(items):
    ledger = ledger_of(items)
    matrix = flow_matrix(ledger)
    assert np.allclose(matrix.sum(axis=(1, 2)), ledger.dataset().amount_usd.sum(("period", "entry")).values)
    assert np.all(np.diagonal(matrix, axis1=1, axis2=2) == 0)


def test_unknown_party_is_refused():
    with pytest.raises(ValueError, match="outside the ledger"):
        build_ledger([Flow("a", "zz", "c", "lease", np.ones((1, 8)))], EDGES, np.arange(1), PARTIES)


@pytest.fixture(scope="module")
def stargate_money():
    scenario = load_scenario("stargate")
    return simulate_money(scenario, buildout(scenario, 256, 3), 3)


def test_stargate_books_balance_every_draw_and_period(stargate_money):
    ledger = stargate_money.ledger
    assert ledger.amount_usd.shape[0] == 256
    scale = float(np.abs(ledger.amount_usd).max())
    assert scale > 1e9
    assert np.all(np.abs(imbalance_usd(ledger)) <= 1e-9 * scale * ledger.sizes["entry"])
    assert np.all(ledger.amount_usd.values >= 0)


def test_settled_books_still_balance(stargate_money):
    settlement = settle(stargate_money)
    paid = settlement.paid.dataset().amount_usd.values
    # the ledger settled: the money's, but for funding policies' raises against what was paid
    scheduled = settlement.scheduled.dataset().amount_usd.values
    differs = np.any(scheduled != stargate_money.ledger.amount_usd.values, axis=(0, 1))
    assert all(c.startswith("funding:") for c in settlement.scheduled.contract[differs])
    # every scheduled dollar is either paid, or unpaid (defaulted, or still deferred at the end)
    accounted = paid.sum(axis=1) + settlement.unpaid_usd
    assert np.allclose(accounted, scheduled.sum(axis=1), rtol=1e-9, atol=1.0)
    assert np.all(paid >= -1e-6)
    scale = float(np.abs(scheduled).max())
    assert np.all(np.abs(imbalance_usd(settlement.paid)) <= 1e-9 * scale * paid.shape[2])
