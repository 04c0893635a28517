"""The sparse ledger and the faster money paths give what the dense, plain computations give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gigawatt.finance import flows_summary, simulate_money
from gigawatt.finance import settlement as settlement_module
from gigawatt.finance.contracts import Flow
from gigawatt.finance.ledger import WORLD, Ledger, build_ledger, flow_matrix, involved
from gigawatt.finance.model import buildout
from gigawatt.finance.settlement import settle
from gigawatt.finance.statements import _carried_signs, _changes, conventional, irr
from gigawatt.scenario import load_scenario

PARTIES = ["a", "b", "c", WORLD]
EDGES = np.arange(0.0, 91.0 * 7, 91.0)  # 6 periods


@pytest.fixture(scope="module")
def money():
    scenario = load_scenario("stargate")
    return simulate_money(scenario, buildout(scenario, 300, 5), 5)


def test_the_dense_view_holds_every_entry_as_stored(money):
    book, dense = money.book, money.ledger
    assert dense.amount_usd.shape == (*book.shape, len(book.amounts))
    for e in (0, len(book.amounts) // 2, len(book.amounts) - 1):
        assert np.array_equal(dense.amount_usd.values[:, :, e], book.amounts[e])
    again = Ledger.from_dataset(dense)
    assert np.array_equal(again.totals(), book.totals())
    assert list(again.payer) == list(book.payer) and again.parties == book.parties


def test_sums_by_year_give_the_horizon_totals(money):
    book = Ledger(*(getattr(money.book, k) for k in ("amounts", "payer", "payee", "contract", "kind")),
                  money.book.parties, money.book.draws, money.book.edges)  # fmt: skip
    years = np.repeat(np.eye(12), 4, axis=0)  # 48 quarters, 12 years
    by_year = book.by_bucket(years)
    assert np.allclose(book.totals(), [a.sum(axis=1) for a in book.amounts], rtol=1e-12, atol=1e-3)
    assert np.allclose(by_year[3], book.amounts[3].reshape(-1, 12, 4).sum(axis=2), rtol=1e-12, atol=1e-3)


def test_a_party_net_is_what_it_receives_less_what_it_pays(money):
    book = money.book
    dense = money.ledger.amount_usd.values
    for party in ("oracle", "openai", "nvidia"):
        expected = dense[:, :, book.payee == party].sum(axis=2) - dense[:, :, book.payer == party].sum(axis=2)
        assert np.allclose(book.net(party), expected, rtol=1e-9, atol=1.0)


def test_flow_matrix_over_the_parties_involved_is_the_whole_one_cut_down(money):
    whole = flow_matrix(money.book)
    names = involved(money.book)
    cut = flow_matrix(money.book, parties=names)
    keep = [money.parties.index(n) for n in names]
    assert np.array_equal(cut, whole[:, keep][:, :, keep])
    left_out = [i for i, n in enumerate(money.parties) if n not in names]
    assert not whole[:, left_out].any() and not whole[:, :, left_out].any()
    # and the dense ledger, read as entries, gives the same graph
    assert flows_summary(money.ledger) == flows_summary(money.book)


@pytest.fixture(scope="module")
def money_2025_09():
    """A scenario where some draws run short and some do not (in `stargate` OpenAI, which pays for
    all its compute, runs short in every draw)."""
    scenario = load_scenario("stargate-2025-09")
    return simulate_money(scenario, buildout(scenario, 300, 5), 5)


def test_settling_only_the_draws_that_run_short_changes_nothing(money_2025_09, monkeypatch):
    money = money_2025_09
    fast = settle(money)
    assert 0 < fast.settled.size < money.book.shape[0]  # some draws skipped, some settled
    monkeypatch.setattr(settlement_module, "_settled_draws", lambda cash, *_: np.arange(cash.shape[0]))
    slow = settle(money)
    assert slow.settled.size == money.book.shape[0]
    scale = max(1.0, float(np.abs(slow.cash_usd).max()))
    assert np.allclose(fast.cash_usd, slow.cash_usd, rtol=1e-9, atol=1e-9 * scale)
    assert np.allclose(fast.shortfall_usd, slow.shortfall_usd, rtol=1e-9, atol=1e-3)
    assert np.allclose(fast.unpaid_usd, slow.unpaid_usd, rtol=1e-9, atol=1e-3)
    fast_paid, slow_paid = fast.paid, slow.paid
    for party in ("oracle", "nvidia", "crusoe"):
        mask = money.book.payee == party
        assert np.allclose(fast_paid.sum(mask), slow_paid.sum(mask), rtol=1e-9, atol=1e-3)


flows_strategy = st.lists(
    st.tuples(
        st.sampled_from(PARTIES),
        st.sampled_from(PARTIES),
        arrays(np.float64, (2, 6), elements=st.floats(0, 1e9)),
    ).filter(lambda t: t[0] != t[1]),
    min_size=1,
    max_size=8,
)


@settings(max_examples=100, deadline=None)
@given(flows_strategy)
def test_entries_kept_apart_sum_as_the_dense_cube_does(items):
    book = build_ledger(
        [Flow(a, b, f"c{i}", "lease", x) for i, (a, b, x) in enumerate(items)], EDGES, np.arange(2), PARTIES
    )
    dense = book.dataset().amount_usd.values
    for party in PARTIES:
        expected = dense[:, :, book.payee == party].sum(axis=2) - dense[:, :, book.payer == party].sum(axis=2)
        assert np.allclose(book.net(party), expected, rtol=1e-12, atol=1e-3)
    matrix = flow_matrix(book)
    assert np.allclose(matrix.sum(axis=(1, 2)), dense.sum(axis=(1, 2)), rtol=1e-12, atol=1e-3)


@settings(max_examples=300, deadline=None)
@given(arrays(np.float64, (4, 7), elements=st.sampled_from([-5.0, -0.5, 0.0, 0.4, 3.0, 8.0])))
def test_conventional_flows_are_one_sign_change_from_out_to_in(net):
    # the definition it replaces: carried signs (flows under a dollar skipped), first one out, one change
    carried = _carried_signs(net, 1.0)
    first = carried[np.arange(net.shape[0]), np.argmax(np.isfinite(carried), axis=1)]
    assert conventional(net).tolist() == ((first < 0) & (_changes(carried) == 1)).tolist()


def test_irr_by_horner_matches_a_direct_root():
    net = np.array([[-100.0, 10, 10, 10, 10, 110], [-50.0, 0, 0, 0, 0, 80]])
    rates = irr(net, 1.0)
    for row, rate in zip(net, rates, strict=True):
        assert np.polyval(row[::-1], 1 / (1 + rate)) == pytest.approx(0.0, abs=1e-6)
    assert rates[0] == pytest.approx(0.10, abs=1e-9)
