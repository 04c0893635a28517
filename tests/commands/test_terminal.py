"""Terminal output at 80 columns: nothing to copy is cut, no scientific notation, known totals."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path

import pytest
from tests.conftest import DEMAND
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.fmt import number
from gigawatt.store import Store, run_recorded

runner = CliRunner()
NARROW = {"COLUMNS": "80"}


@pytest.mark.parametrize("value", [1.5e7, 3.44e8, 1.9e10, 2.5e22, 0.5, 5.983e-5, -1e-9, 123.456, 9999.5])
def test_numbers_never_use_scientific_notation(value: float) -> None:
    text = number(value)
    assert "e" not in text.lower() and float(text.replace(",", "")) == pytest.approx(value, rel=1e-3)
    assert number(1.5e7) == "15,000,000" and number(1234.5, 3) == "1,230"


def test_runs_list_shows_whole_run_ids_at_80_columns(tmp_path: Path, small_text: str, write) -> None:
    store = Store(tmp_path / "s")
    record = run_recorded(store, write(small_text), draws=256, seed=1)
    out = runner.invoke(app, ["runs", "list", "--store", str(store.root)], env=NARROW).output
    assert record.id in out and "…" not in out and max(map(len, out.splitlines())) <= 80


def test_run_output_at_80_columns(tmp_path: Path, small_text: str, write) -> None:
    args = ["run", str(write(small_text)), "--draws", "256", "--store", str(tmp_path / "s")]
    out = runner.invoke(app, args, env=NARROW).output
    assert "…" not in out and not re.search(r"\de[+-]\d", out) and "None" not in out
    assert max(map(len, out.splitlines())) <= 80


def test_plan_is_a_table_with_the_prose_behind_why() -> None:
    # demand at its 95th percentile over 12 quarters: at the median, or over 8, contracted
    # capacity and the phases under construction leave nothing to build
    args = ["plan", "stargate", "--periods", "12", "--demand-quantile", "0.95", "--no-record"]
    out = runner.invoke(app, args, env=NARROW).output
    for header in ("site", "power source", "accelerator", "first", "MW", "binding"):
        assert header in out
    # OpenAI's sites only: Norway is Microsoft's offtake, not capacity serving OpenAI's demand
    assert "abilene " in out and "stargate-uae " in out and "stargate-norway" not in out
    assert "PFLOP/s per $M" not in out
    why = runner.invoke(app, [*args, "--why"], env=NARROW).output
    assert "PFLOP/s per $M" in why and max(map(len, out.splitlines())) <= 80
    # the phases under construction: their own table, fixed, not decisions
    assert "under construction: fixed builds, not decisions" in out and "shackelford " in out
    assert "under construction: fixed, 140 MW facility from 2027Q1" in " ".join(why.split())


def test_shell_completion_is_on() -> None:
    assert "--install-completion" in runner.invoke(app, ["--help"]).output


def test_demand_is_set_against_capacity_only_from_the_as_of_date(small_text: str, write) -> None:
    # before the as-of date capacity is observed and demand never was: no "probability" there
    text = small_text.replace("step: week}", "step: week, as_of: 2026-06-30}") + DEMAND
    args = ["run", str(write(text)), "--draws", "256", "--no-record"]
    out = runner.invoke(app, args, env=NARROW).output
    table = out[out.index("Demand against capacity") :]
    years = re.findall(r"^│ (\d{4}) ", table, flags=re.M)
    assert years[:2] == ["2026", "2027"] and "2025" not in years[: len(years) // 2]
    assert "from the as-of date (2026-06-30) on" in table
    rows = json.loads(runner.invoke(app, [*args, "--json"]).output)["demand"]
    flagged = {row["date"][:4]: row["before_as_of"] for row in rows}
    assert flagged["2025"] is True and flagged["2026"] is False


def test_constraints_table_order_does_not_depend_on_dict_order() -> None:
    """Causes tied on the last phase's share keep one order (MW share, then name) whatever order
    the summary's dicts were built in (set order of strings changes from process to process)."""
    from gigawatt.commands.buildout import _print_constraints
    from gigawatt.commands.common import console

    last = {"construction": 0.6, "power:grid": 0.4}
    by_mw = {"transformers": 0.0, "power:gas": 0.13, "build rate": 0.13, "observed": 0.05}
    by_mw["construction"] = 0.5
    outputs = []
    for order in (by_mw, dict(reversed(list(by_mw.items())))):
        with console.capture() as captured:
            _print_constraints({"last_gw": last, "by_mw": order})
        outputs.append(captured.get())
    assert outputs[0] == outputs[1]
    rows = [line.split("│")[1].strip() for line in outputs[0].splitlines() if line.startswith("│")]
    assert rows == ["construction", "power:grid", "build rate", "power:gas", "observed", "transformers"]


def test_a_scenario_without_targets_says_so_instead_of_an_empty_table() -> None:
    out = runner.invoke(app, ["run", "frontier", "--draws", "256", "--no-record"], env=NARROW).output
    assert "No targets in this scenario" in out and "Targets" not in out
    assert "Capacity online at the scenario's sites" in out


def test_demand_table_says_what_capacity_each_column_counts() -> None:
    out = runner.invoke(app, ["run", "stargate", "--draws", "256", "--no-record"], env=NARROW).output
    # tokens/s come from the scenario's own sites, surplus from all that serves demand: said so
    text = " ".join(out.split())
    assert "tok/s: the scenario's own sites" in text and "P(cover): all capacity serving" in text
    assert max(map(len, out.splitlines())) <= 80


def test_help_sentences_are_not_broken_at_80_columns() -> None:
    """A docstring's line breaks are not kept in ``--help`` (the terminal wraps each paragraph):
    no help line ends mid-sentence far short of the width, as `crosscheck --help` did."""
    for command in (["crosscheck"], ["export"], ["backtest"], ["runs", "compare"], ["runs", "draws"]):
        out = runner.invoke(app, [*command, "--help"], env=NARROW).output
        intro = out.split("╭")[0]  # the description, before the option panels
        lines = [line.rstrip() for line in intro.splitlines()]
        for line, after in itertools.pairwise(lines):
            # a line followed by more text of the same paragraph is filled to near the width
            assert not (line and after.strip() and len(line) < 60 and not line.endswith(":")), (command, line)


def test_accelerators_at_80_columns_keep_ranges_and_words_whole() -> None:
    """Each IT power range whole on one line (never "(700–93" / "0)"), each id and each word of a
    name whole (never "Blackwel" / "l")."""
    out = runner.invoke(app, ["accelerators"], env=NARROW).stdout
    assert max(map(len, out.splitlines())) <= 80
    for row in json.loads(runner.invoke(app, ["accelerators", "--json"]).stdout)["items"]:
        lo, hi = row["it_power_w_range"]
        assert f"({lo:,.0f}–{hi:,.0f})" in out, row["id"]
        assert re.search(rf"│ {re.escape(row['id'])} ", out), row["id"]
        words = re.findall(r"[^\s│]+", out)
        assert all(word in words for word in row["name"].split()), row["name"]


def test_runs_list_at_80_columns_keeps_dates_kinds_and_headers_whole(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    summary = {"method": "morris", "output": "capacity:2028-12-31", "evaluations": 10, "output_mean": 1.0}
    summary |= {"output_std": 0.1, "tornado_base": 1.0, "parameters": [], "notes": []}
    record = store.record_run(
        scenario="a-scenario-with-a-long-name",
        scenario_text="name: x\n",
        scenario_ref="x",
        kind="sensitivity",
        draws=12_345,
        seed=7,
        summary=summary,
    )
    out = runner.invoke(app, ["runs", "list", "--store", str(store.root)], env=NARROW).stdout
    assert max(map(len, out.splitlines())) <= 80
    words = re.findall(r"[^\s│┃]+", out)
    assert record.id in words and "sensitivity" in words and "12,345" in words
    assert record.created.strftime("%Y-%m-%d") in words and record.created.strftime("%H:%M") in words
    assert "secs" in words
