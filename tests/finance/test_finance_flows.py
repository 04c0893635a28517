"""Circularity on graphs with known answers, including docs/circularity.md's worked example."""

import networkx as nx
import numpy as np
import pytest

from gigawatt.finance.flows import circularity, cycles, money_graph, sankey

NAMES = ["world", "openai", "oracle", "nvidia"]


def worked_example() -> np.ndarray:
    """The example in docs/circularity.md: $B paid by row to column."""
    w = np.zeros((4, 4))
    w[0, 1] = 50  # customers pay OpenAI
    w[1, 2] = 60  # OpenAI buys compute from Oracle
    w[2, 3] = 40  # Oracle buys GPUs from NVIDIA
    w[3, 1] = 10  # NVIDIA invests in OpenAI
    return w


def test_worked_example_from_the_docs():
    share = circularity(worked_example(), NAMES)
    assert np.isnan(share[0])
    assert share[1] == pytest.approx(1.0)  # OpenAI: its $10 from NVIDIA is all its own money back
    assert share[2] == pytest.approx(10 / 60)  # Oracle: $10 of its $60 returns
    assert share[3] == pytest.approx((10 * 40 / 60) / 40)  # NVIDIA: $6.67 of its $40


def test_docs_state_the_worked_example_numbers():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "circularity.md").read_text(encoding="utf-8")
    for figure in ("100%", "16.7%", "6.67"):
        assert figure in text


def test_no_loop_means_no_circularity():
    w = np.zeros((4, 4))
    w[0, 1], w[1, 2], w[2, 3] = 10, 10, 10
    share = circularity(w, NAMES)
    assert np.all(share[2:] == 0)
    assert np.isnan(share[1])  # OpenAI gets nothing from the system


def test_closed_two_party_loop_is_fully_circular():
    w = np.zeros((4, 4))
    w[1, 2], w[2, 1] = 5, 5
    share = circularity(w, NAMES)
    assert share[1] == pytest.approx(1.0) and share[2] == pytest.approx(1.0)


def test_money_leaving_to_the_world_does_not_come_back():
    w = worked_example()
    w[2, 0] = 60  # Oracle also pays the world $60, out of its own funds beyond its $60 inflow
    share = circularity(w, NAMES)
    # Oracle forwards 40/100 of each dollar to NVIDIA: 24 of OpenAI's 60; NVIDIA passes 10/40 on
    assert share[1] == pytest.approx(60 * 0.4 * 0.25 / 10)


def test_draws_broadcast():
    stacked = np.stack([worked_example(), 2 * worked_example()])
    share = circularity(stacked, NAMES)
    assert share.shape == (2, 4)
    assert np.allclose(share[0, 1:], share[1, 1:])  # scale-free


def test_cycles_start_where_outside_money_enters():
    w = worked_example()
    graph = money_graph(w, NAMES)
    assert isinstance(graph, nx.DiGraph)
    assert cycles(graph, {"openai": 50.0}) == [["openai", "oracle", "nvidia", "openai"]]


def test_sankey_links_index_nodes():
    data = sankey(worked_example(), NAMES)
    names = [n["name"] for n in data["nodes"]]
    assert {(names[link["source"]], names[link["target"]]) for link in data["links"]} == {
        ("world", "openai"),
        ("openai", "oracle"),
        ("oracle", "nvidia"),
        ("nvidia", "openai"),
    }
    assert sum(link["value"] for link in data["links"]) == 160


def test_a_window_that_excludes_a_flow_removes_it():
    from gigawatt.finance.contracts import Flow
    from gigawatt.finance.flows import flows_summary, window_periods
    from gigawatt.finance.ledger import build_ledger
    from gigawatt.units import parse_date

    edges = np.array([parse_date(d) for d in ("2027-01-01", "2027-04-01", "2027-07-01", "2027-10-01")])
    first, third = np.zeros((2, 3)), np.zeros((2, 3))
    first[:, 0], third[:, 2] = 10.0, 4.0
    flows = [Flow("a", "b", "sale", "purchase", first), Flow("b", "a", "refund", "equity", third)]
    ledger = build_ledger(flows, edges, np.arange(2), ["a", "b", "world"])
    whole = flows_summary(ledger)
    assert whole["cycles"] == [["a", "b", "a"]]
    window = window_periods(edges, parse_date("2027-01-01"), parse_date("2027-06-30"))
    assert window == slice(0, 2)
    early = flows_summary(ledger, window)
    assert early["cycles"] == []
    assert [(link["source"], link["target"]) for link in early["sankey"]["links"]] == [(0, 1)]
    assert "a" not in early["circularity"]  # nothing reaches a inside the window
    late = flows_summary(ledger, window_periods(edges, parse_date("2027-08-15"), None))
    assert [n["name"] for n in late["sankey"]["nodes"]] == ["a", "b"]
    assert late["sankey"]["links"] == [{"source": 1, "target": 0, "value": 4.0}]
    with pytest.raises(ValueError, match="no finance period"):
        window_periods(edges, parse_date("2030-01-01"), None)


def test_a_loan_drawn_and_repaid_is_an_exchange_not_a_cycle():
    from gigawatt.finance.contracts import Flow
    from gigawatt.finance.flows import flows_summary
    from gigawatt.finance.ledger import build_ledger
    from gigawatt.units import parse_date

    edges = np.array([parse_date(d) for d in ("2027-01-01", "2027-07-01", "2028-01-01")])
    drawn, repaid, sold = np.zeros((2, 2)), np.zeros((2, 2)), np.zeros((2, 2))
    drawn[:, 0], repaid[:, 1], sold[:, 1] = 10.0, 11.0, 3.0
    loan = [Flow("bank", "dev", "loan", "loan_draw", drawn), Flow("dev", "bank", "loan", "principal", repaid)]
    ledger = build_ledger(loan, edges, np.arange(2), ["bank", "dev", "world"])
    summary = flows_summary(ledger)
    assert summary["cycles"] == [] and [sorted(c[:-1]) for c in summary["exchanges"]] == [["bank", "dev"]]
    assert summary["circularity"] == {}  # the repayment is not the bank's money going round
    # a second contract the other way round makes it money going round again
    both = build_ledger(
        [*loan, Flow("bank", "dev", "rent", "lease", sold)], edges, np.arange(2), ["bank", "dev", "world"]
    )
    round_trip = flows_summary(both)
    assert [sorted(c[:-1]) for c in round_trip["cycles"]] == [["bank", "dev"]]
    assert round_trip["circularity"]["bank"]["p50"] > 0
    # two loans between the same lender and borrower (Vantage's two project loans from JPMorgan)
    second = [
        Flow("bank", "dev", "loan-2", "loan_draw", drawn),
        Flow("dev", "bank", "loan-2", "principal", repaid),
    ]
    two = flows_summary(build_ledger([*loan, *second], edges, np.arange(2), ["bank", "dev", "world"]))
    assert two["cycles"] == [] and [sorted(c[:-1]) for c in two["exchanges"]] == [["bank", "dev"]]
    assert two["circularity"] == {}
    # a loan drawn one way and another repaid the other is not one exchange
    crossed = [
        Flow("bank", "dev", "loan", "loan_draw", drawn),
        Flow("dev", "bank", "loan-2", "principal", repaid),
    ]
    assert flows_summary(build_ledger(crossed, edges, np.arange(2), ["bank", "dev", "world"]))["cycles"]


def test_returns_by_one_inverse_match_one_solve_per_party():
    """Sherman-Morrison (one inverse per draw) gives what one solve per party gives, also where
    two parties pass everything to each other (a near-closed loop: that draw is solved)."""
    from gigawatt.finance.flows import _returns, _returns_solved

    rng = np.random.default_rng(0)
    w = rng.uniform(0, 1, (50, 6, 6)) * (rng.uniform(0, 1, (50, 6, 6)) < 0.5)
    w[:5, 0, :], w[:5, 1, :] = 0.0, 0.0
    w[:5, 0, 1], w[:5, 1, 0] = 1.0, 1.0  # 0 and 1 pay only each other, in full
    outflow, inflow = w.sum(axis=-1), w.sum(axis=-2)
    pool = np.maximum(outflow, inflow)
    t = np.divide(w, pool[..., None], out=np.zeros_like(w), where=pool[..., None] > 0)
    assert np.allclose(_returns(w, t), _returns_solved(w, t), rtol=1e-9, atol=1e-9)


def test_returns_per_component_match_the_whole_solve():
    """Solved per strongly connected component, the returns are those of one solve per party on
    the whole matrix: two separate loops, a party paying into one (on no loop: nothing back) and
    one paid out of the other."""
    from gigawatt.finance.flows import _returns, _returns_solved

    rng = np.random.default_rng(3)
    w = np.zeros((40, 7, 7))
    for a, b in ((0, 1), (1, 2), (2, 0), (3, 4), (4, 3), (5, 0), (2, 6), (4, 6)):
        w[:, a, b] = rng.uniform(0.1, 1.0, 40)
    outflow, inflow = w.sum(axis=-1), w.sum(axis=-2)
    pool = np.maximum(outflow, inflow)
    t = np.divide(w, pool[..., None], out=np.zeros_like(w), where=pool[..., None] > 0)
    got = _returns(w, t)
    assert np.allclose(got, _returns_solved(w, t), rtol=1e-9, atol=1e-9)
    assert (got[:, [5, 6]] == 0).all() and (got[:, :5] > 0).all()
