"""Guards on huge work: estimated from measured per-draw costs, refused or confirmed with
--yes before anything starts, never a MemoryError traceback (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt import guards
from gigawatt.cli import app

runner = CliRunner()


def test_run_of_a_billion_draws_is_refused_before_it_starts(tmp_path: Path) -> None:
    store = tmp_path / "s"
    result = runner.invoke(app, ["run", "stargate", "--draws", "1000000000", "--store", str(store), "--yes"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "1,000,000,000 draws of 24 phases" in result.stderr and "500.0 GB of store" in result.stderr
    assert "disk is free" in result.stderr or "memory is free" in result.stderr
    assert not store.exists()  # nothing begun


def test_finance_of_a_hundred_million_draws_is_refused_not_a_memory_error() -> None:
    for command in (["finance"], ["flows"], ["stress", "stargate", "--shock", "demand growth -30%"]):
        result = runner.invoke(app, [*command, "--draws", "100000000", "--no-record"][: len(command) + 2])
        assert result.exit_code == 2 and "Traceback" not in result.output, command
        [line] = result.stderr.strip().splitlines()  # one clear line
        assert line.startswith("error: ") and "100,000,000 draws" in line and "memory is free" in line, line
        assert "6.3 TB of memory" in line, line  # the buildout and its money, held whole


def test_a_long_run_needs_yes(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", "stargate", "--draws", "2000000", "--store", str(tmp_path / "s")])
    assert result.exit_code == 2 and "add --yes to start it" in result.stderr


def test_estimates_scale_and_check_refuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = guards.estimate_run(10_000, 22, recorded=True)
    big = guards.estimate_run(20_000, 22, recorded=True)
    fixed = guards.estimate_run(0, 22, recorded=True)  # the per-time-step part
    assert big.seconds - fixed.seconds == pytest.approx(2 * (small.seconds - fixed.seconds))
    assert big.store_bytes == 2 * small.store_bytes
    assert big.memory_bytes == small.memory_bytes  # one block in flight
    longer = guards.estimate_run(10_000, 22, recorded=True, steps=5270)
    assert longer.memory_bytes > 8 * small.memory_bytes and longer.seconds > 8 * small.seconds
    guards.check(small, store_root=tmp_path)
    guards.check(guards.estimate_run(10_000_000, 22, recorded=False), yes=True)
    monkeypatch.setattr(guards, "free_disk_bytes", lambda path: 1e6)
    with pytest.raises(guards.TooBigError, match="of disk is free"):
        guards.check(small, yes=True, store_root=tmp_path)
    monkeypatch.setattr(guards, "available_memory_bytes", lambda: 1e9)
    with pytest.raises(guards.TooBigError, match="of memory is free"):
        guards.check(guards.estimate_finance(100_000, 48), yes=True)


def test_plan_robust_and_countries_ask_for_yes_before_huge_work() -> None:
    plan = runner.invoke(
        app, ["plan", "stargate", "--robust", "0.8", "--robust-draws", "100000000", "--no-record"]
    )
    assert plan.exit_code == 2 and "400,000,000 draws" in plan.stderr and "--yes" in plan.stderr
    countries = runner.invoke(app, ["countries", "--draws", "100000000"])
    assert countries.exit_code == 2 and "add --yes" in countries.stderr


def test_finance_flows_stress_and_sensitivity_ask_for_yes_above_the_threshold(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Like run: work estimated over CONFIRM_SECONDS needs --yes (the threshold lowered here so
    that a small run crosses it), and with --yes it starts."""
    monkeypatch.setattr(guards, "CONFIRM_SECONDS", 1e-6)
    shock = ["stress", "stargate", "--shock", "demand growth -30%", "--no-record"]
    for command in (["finance"], ["flows"], shock, ["sensitivity", "--samples", "2", "--no-record"]):
        asked = runner.invoke(app, [*command, "--draws", "10"] if command[0] != "sensitivity" else command)
        assert asked.exit_code == 2 and "Traceback" not in asked.output, (command, asked.output)
        [line] = asked.stderr.strip().splitlines()
        assert line.endswith("add --yes to start it") and "draws" in line, line
    started = runner.invoke(app, ["finance", "--draws", "10", "--yes", "--json"])
    assert started.exit_code == 0, started.output


def test_sensitivity_of_huge_samples_is_refused_before_it_starts() -> None:
    result = runner.invoke(app, ["sensitivity", "--samples", "100000000", "--no-record"])
    assert result.exit_code == 2 and "add --yes" in result.stderr and "Traceback" not in result.output
