"""Derived (unpublished) specs are marked in the catalog, and the plan says when it rests on one."""

import json

import pytest
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


@pytest.mark.parametrize("acc_id", ["vera-rubin-nvl144", "mi450"])
def test_a_bf16_derived_from_fp8_of_unknown_sparsity_takes_the_middle(acc_id):
    """Vendors give Rubin's and MI450's FP8 without saying dense or sparse: both take the middle
    of the two readings (not one the dense top, the other the middle), H100e to match."""
    acc = load_catalog().accelerators[acc_id]
    bf16 = acc.bf16_flops
    assert bf16.derived and bf16.low is not None and bf16.high is not None
    assert bf16.value == pytest.approx((bf16.low + bf16.high) / 2, rel=0.02)
    assert acc.h100_equivalents.value == pytest.approx(bf16.value / 989e12, rel=0.03)
    assert "h100_equivalents" in acc.derived()


def test_mi450_fp8_is_twice_its_bf16_and_the_middle_of_its_range():
    acc = load_catalog().accelerators["mi450"]
    fp8 = acc.fp8_flops
    assert fp8 is not None and fp8.low is not None and fp8.high is not None
    assert fp8.value == pytest.approx(2 * acc.bf16_flops.value)
    assert fp8.value == pytest.approx((fp8.low + fp8.high) / 2)
