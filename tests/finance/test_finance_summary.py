"""The money of a recorded run: flows, cash by party, RPO run-off, circularity, loops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.conftest import SMALL

from gigawatt.finance import buildout, flows_summary, simulate_money, statements
from gigawatt.finance import summary as money_module
from gigawatt.finance.summary import cash_by_party, flow_totals, money_summary, rpo_by_seller, with_money
from gigawatt.scenario import Scenario, load_scenario

#: SMALL plus an investment back from the cloud to the lab: a money loop lab → cloud → lab.
LOOP = SMALL.replace(
    "targets:\n",
    """  stake:
    kind: investment
    payer: cloud
    payee: lab
    value: "$2B"
    valuation: "$100B"
    start: 2026-01-01
targets:
""",
)
DRAWS = 64


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    path = tmp_path_factory.mktemp("money") / "loop.yaml"
    path.write_text(LOOP)
    return load_scenario(path)


def test_flows_are_the_ledger_totals_and_match_the_money_graph(loop: Scenario) -> None:
    money = simulate_money(loop, buildout(loop, DRAWS, 1), 1)
    flows = {(f["payer"], f["payee"], f["kind"]): f["amount_usd"] for f in flow_totals(money)}
    assert flows[("lab", "cloud", "compute")] == pytest.approx(10e9)  # the whole contract is delivered
    assert flows[("cloud", "lab", "equity")] == pytest.approx(2e9)
    electricity = flows[("cloud", "world", "electricity")]
    assert 0 < electricity < 5e9
    # the operator's site opex and its chips (it buys them by default: finance.chips) go to the
    # world as four kinds; every other pair has one
    assert {k for (payer, payee, k) in flows if (payer, payee) == ("cloud", "world")} == {
        "electricity",
        "staff",
        "maintenance",
        "purchase",
    }
    # a pair with one kind: its flow is the median payment of the money graph's Sankey
    graph = flows_summary(money.ledger)["sankey"]
    names = [n["name"] for n in graph["nodes"]]
    links = {(names[k["source"]], names[k["target"]]): k["value"] for k in graph["links"]}
    single = {(payer, payee): amount for (payer, payee, _), amount in flows.items() if payee != "world"}
    assert {pair: links[pair] for pair in single} == pytest.approx(single)
    assert links[("cloud", "world")] > electricity


def test_cash_by_party_is_the_statements_net_cash(loop: Scenario) -> None:
    money = simulate_money(loop, buildout(loop, DRAWS, 2), 2)
    cash = cash_by_party(money)
    full = statements(money)
    assert set(cash["parties"]) == {"lab", "cloud"}  # the world is left out
    for party, bands in cash["parties"].items():
        assert full[party]["years"] == cash["years"]
        expected = full[party]["lines"]["net_cash_usd"]
        for q in ("p10", "p50", "p90"):
            np.testing.assert_allclose(bands[q], expected[q], rtol=1e-12, atol=1e-3)
    # the lab pays $2B a year for compute and receives the $2B stake in 2026
    assert cash["parties"]["lab"]["p50"][cash["years"].index(2025)] == pytest.approx(-2e9, rel=0.01)
    assert cash["parties"]["lab"]["p50"][cash["years"].index(2026)] == pytest.approx(0.0, abs=0.02e9)


def test_rpo_runs_off_from_the_contract_value_to_zero(loop: Scenario) -> None:
    money = simulate_money(loop, buildout(loop, DRAWS, 3), 3)
    rpo = rpo_by_seller(money)
    assert list(rpo["sellers"]) == ["cloud"] and len(rpo["dates"]) == money.ledger.sizes["period"]
    for q in ("p10", "p50", "p90"):
        series = np.array(rpo["sellers"]["cloud"][q])
        peak = int(np.argmax(series))
        assert series[peak] <= 10e9 and series[peak] > 9e9  # $10B signed, first quarter recognised
        assert np.all(np.diff(series[peak:]) <= 1e-3)  # non-increasing as it is delivered
        assert series[-1] == 0.0  # the 5-year term ends (2030-01-01) before the horizon
    assert rpo["dates"][0] == "2025-04-01"  # RPO at each quarter's end


def test_money_summary_circularity_loops_and_draws(loop: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    money = money_summary(loop, 10_000, 4)
    assert money is not None and money["draws"] == money_module.MONEY_DRAWS
    assert money["cycles"] == [["lab", "cloud", "lab"]] and money["cycle_names"] == [["Lab", "Cloud", "Lab"]]
    for q in money["circularity"].values():
        assert 0.0 <= q["p10"] <= q["p50"] <= q["p90"] <= 1.0
    # the cloud gets $10B from the lab and sends $2B back: a fifth of its inflow is its own money
    assert money["circularity"]["cloud"]["p50"] == pytest.approx(0.2, abs=1e-6)
    assert money["commitments"] == {}  # the loop declares no programme pledge
    monkeypatch.setattr(money_module, "MONEY_DRAWS", 16)
    assert money_summary(loop, 100, 4)["draws"] == 16  # type: ignore[index]
    assert money_summary(loop, 8, 4)["draws"] == 8  # type: ignore[index]


def test_no_contracts_no_money_entry(tmp_path: Path) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text(SMALL.split("contracts:\n")[0] + "targets:\n" + SMALL.split("targets:\n")[1])
    bare = load_scenario(path)
    assert not bare.contracts and money_summary(bare, 100, 0) is None
    summary = {"draws": 100}
    assert with_money(summary, bare, 100, 0) is summary


def test_gigawatt_run_records_and_prints_the_money(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gigawatt.cli import app
    from gigawatt.store import Store, jsonable

    path = tmp_path / "loop.yaml"
    path.write_text(LOOP)
    store = tmp_path / "store"
    out = CliRunner().invoke(app, ["run", str(path), "--draws", "300", "--seed", "2", "--store", str(store)])
    assert out.exit_code == 0, out.output
    assert "Money (first 300 draws): loops Lab → Cloud → Lab" in out.stdout
    # Lab's share is $10B / the cloud's outflow: the chips it buys (finance.chips) are a smaller
    # part since the conversions fit published site counts (fewer GPUs per facility MW)
    assert "Circularity (P50, own money returning): Lab 91%, Cloud 20%" in out.stdout
    (record,) = Store(store).list_runs()
    assert record.summary is not None and record.summary["money"]["draws"] == 300
    # the recorded money is the money of the run's first draws: same seed, same numbers
    assert record.summary["money"] == jsonable(money_summary(load_scenario(path), 300, 2))


def test_the_money_of_plain_draws_is_the_money_of_their_dataset() -> None:
    """A recorded run's money reads the engine's draws as plain arrays (``DrawsBuildout``): the
    same variables, labels and sizes as their Dataset, and the same money bit for bit."""
    from gigawatt.engine import Model
    from gigawatt.engine.simulate import simulate_drawn
    from gigawatt.finance.summary import DrawsBuildout

    scenario = load_scenario("stargate")
    draws = simulate_drawn(Model.from_scenario(scenario), 3, 100, 100 + DRAWS)[0]
    plain, ds = DrawsBuildout(draws), draws.to_dataset()
    assert plain.sizes == dict(ds.sizes)
    for name in [*ds.variables, "nothing"]:
        assert (name in plain) == (name in ds)
    for name in ds.variables:
        got, want = getattr(plain, name), ds[name]
        assert got.shape == want.shape
        assert got.values.dtype == want.values.dtype
        np.testing.assert_array_equal(got.values, want.values)
    with pytest.raises(AttributeError):
        _ = plain.nothing
    assert with_money({}, scenario, 10_000, 3, plain) == with_money({}, scenario, 10_000, 3, ds)
