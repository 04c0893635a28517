"""Derived (unpublished) specs are marked in the catalog, and the plan says when it rests on one."""

import json

from typer.testing import CliRunner

from gigawatt.catalog import load_catalog
from gigawatt.cli import app

runner = CliRunner()


def test_vera_rubin_bf16_is_marked_derived_with_a_wide_range():
    rubin = load_catalog().accelerators["vera-rubin-nvl144"]
    derived = rubin.derived()
    assert set(derived) >= {"bf16_dense", "h100_equivalents"}
    bf16 = derived["bf16_dense"]
    assert bf16.low is not None and bf16.high is not None
    assert bf16.low <= 4.3e15 and bf16.high >= 8.0e15
    # a published datasheet figure is not marked
    assert "bf16_dense" not in load_catalog().accelerators["gb200-nvl72"].derived()


def test_plan_says_when_its_choice_rests_on_a_derived_spec():
    result = runner.invoke(app, ["plan", "stargate", "--no-record", "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    built = {
        acc for row in summary["sites"].values() for acc, mw in row["by_accelerator_mw"].items() if mw > 1e-6
    }
    listed = {(s["accelerator"], s["field"]) for s in summary["derived_specs"]}
    assert ("vera-rubin-nvl144" in built) == (("vera-rubin-nvl144", "bf16_dense") in listed)
    # ... or its party's contracted capacity delivers (how much it must build rests on those)
    contracted = {s["accelerator"] for s in summary["derived_specs"] if s["contracted"]}
    assert {"mi450", "openai-titan"} <= contracted
    assert {acc for acc, _ in listed} <= built | contracted and not built & contracted
    text = runner.invoke(app, ["plan", "stargate", "--no-record"], env={"COLUMNS": "80"})
    assert ("rests on a derived spec" in text.stdout) == bool(listed)
