"""Safe writes: no command writes over an input or a file of its `extends` chain, over an
existing file only with --force, and always via a temporary file and a rename (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt import safe_write
from gigawatt.cli import app
from gigawatt.store import Store, run_recorded

runner = CliRunner()
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def chain(tmp_path: Path) -> tuple[Path, Path]:
    from tests.plan.test_plan import TINY

    parent = tmp_path / "parent.yaml"
    parent.write_text(TINY, encoding="utf-8")
    child = tmp_path / "child.yaml"
    child.write_text("extends: parent.yaml\nname: child\n", encoding="utf-8")
    return parent, child


def test_write_plan_onto_a_parent_of_the_extends_chain_is_refused(chain):
    parent, child = chain
    before = parent.read_text(encoding="utf-8")
    result = runner.invoke(
        app, ["plan", str(child), "--periods", "12", "--no-record", "--write-plan", str(parent), "--force"]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "--write-plan would overwrite the scenario it plans or a file it extends" in result.output
    assert parent.read_text(encoding="utf-8") == before  # the parent is not lost


def test_library_write_plan_protects_the_extends_chain(chain):
    from gigawatt.plan import PlanOptions, plan_inputs, solve, write_plan
    from gigawatt.scenario import load_scenario

    parent, child = chain
    scenario = load_scenario(child)
    result = solve(plan_inputs(scenario, PlanOptions(periods=12)))
    with pytest.raises(safe_write.WriteRefused, match="is an input of this command"):
        write_plan(result, scenario, str(child), parent, "child.yaml", force=True)
    out = parent.with_name("plan.yaml")
    write_plan(result, scenario, str(child), out, "child.yaml")
    with pytest.raises(safe_write.WriteRefused, match="exists; add --force"):
        write_plan(result, scenario, str(child), out, "child.yaml")
    assert write_plan(result, scenario, str(child), out, "child.yaml", force=True).sites


def test_write_plan_over_an_existing_file_needs_force(chain, tmp_path):
    _, child = chain
    out = tmp_path / "plan.yaml"
    out.write_text("# mine\n", encoding="utf-8")
    args = ["plan", str(child), "--periods", "12", "--no-record", "--write-plan", str(out)]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "exists; add --force" in refused.output
    assert out.read_text(encoding="utf-8") == "# mine\n"
    forced = runner.invoke(app, [*args, "--force"])
    assert forced.exit_code == 0, forced.output
    assert "extends: child.yaml" in out.read_text(encoding="utf-8")


def test_report_and_export_over_an_existing_file_need_force(tmp_path: Path, small_text: str, write):
    root = tmp_path / "s"
    record = run_recorded(Store(root), write(small_text), draws=1024, seed=1)
    env = {"GIGAWATT_STORE": str(root)}
    for command, name in ((["report", record.id], "r.html"), (["runs", "draws", record.id], "d.csv")):
        out = tmp_path / name
        out.write_text("keep me", encoding="utf-8")
        refused = runner.invoke(app, [*command, "-o", str(out)], env=env)
        assert refused.exit_code == 2 and "exists; add --force" in refused.output, refused.output
        assert out.read_text(encoding="utf-8") == "keep me"
        forced = runner.invoke(app, [*command, "-o", str(out), "--force"], env=env)
        assert forced.exit_code == 0, forced.output
        assert out.read_text(encoding="utf-8") != "keep me"
    assert not list(tmp_path.glob(".*.tmp"))


def test_run_report_is_checked_before_the_work(tmp_path: Path, small_text: str, write):
    out = tmp_path / "r.html"
    out.write_text("keep me", encoding="utf-8")
    args = [
        "run",
        str(write(small_text)),
        "--draws",
        "100",
        "--store",
        str(tmp_path / "s"),
        "--report",
        str(out),
    ]
    refused = runner.invoke(app, args)
    assert refused.exit_code == 2 and "exists; add --force" in refused.output
    assert not (tmp_path / "s").exists()  # nothing simulated or recorded


def test_import_never_writes_over_its_input(tmp_path: Path):
    csv = tmp_path / "hw.csv"
    csv.write_bytes((FIXTURES / "epoch_ml_hardware.csv").read_bytes())
    before = csv.read_bytes()
    result = runner.invoke(app, ["import", "epoch-hardware", str(csv), "-o", str(csv), "--force"])
    assert result.exit_code == 2 and "is an input of this command" in result.output
    assert csv.read_bytes() == before


def test_a_failed_write_leaves_the_old_file_whole(tmp_path: Path):
    target = tmp_path / "a.txt"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), safe_write.replacing(target, force=True) as temp:
        temp.write_text("half", encoding="utf-8")
        raise RuntimeError("killed mid-write")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
    with pytest.raises(safe_write.WriteRefused, match="is a folder"):
        safe_write.write_text(tmp_path, "x", force=True)
    with pytest.raises(safe_write.WriteRefused, match="no folder"):
        safe_write.write_text(tmp_path / "missing" / "x.txt", "x")


def test_a_report_never_writes_over_the_runs_scenario(tmp_path: Path, small_text: str, write):
    scenario = write(small_text)
    before = scenario.read_text(encoding="utf-8")
    root = tmp_path / "s"
    record = run_recorded(Store(root), scenario, draws=1024, seed=1)
    refused = runner.invoke(app, ["report", record.id, "-o", str(scenario), "--force", "--store", str(root)])
    assert refused.exit_code == 2 and "is an input of this command" in refused.output
    assert scenario.read_text(encoding="utf-8") == before
