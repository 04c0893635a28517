"""`gigawatt crosscheck`: published figures recomputed through convert, the engine and finance."""

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.crosscheck import crosscheck, load_checks, parse_checks
from gigawatt.errors import ScenarioError
from gigawatt.scenario import builtin_scenarios, load_scenario

runner = CliRunner()


@pytest.mark.parametrize("name", sorted(builtin_scenarios()))
def test_every_builtin_scenario_passes_at_least_ten_checks(name):
    result = crosscheck(load_scenario(name), name)
    failed = [(r.name, r.model, r.low, r.high) for r in result.results if not r.passed]
    assert not failed
    assert len(result.results) >= 10
    names = {r.name for r in result.results} | {n for n, _ in result.skipped}
    assert names == set(load_checks().checks)


def test_cli_json_contract_and_exit_code():
    result = runner.invoke(app, ["crosscheck", "stargate", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["kind"] == "crosscheck"
    assert len(data["checks"]) >= 10
    for row in data["checks"]:
        assert {"name", "published", "model", "low", "high", "passed", "source"} <= set(row)
        assert row["passed"] is True
        assert row["source"].count("http") >= 1
    # the site check reads the scenario's own Abilene through the engine
    abilene = next(r for r in data["checks"] if r["name"] == "site-abilene-gpus")
    assert 360_000 <= abilene["model"] <= 495_000


def test_cli_table_fits_80_columns():
    result = runner.invoke(app, ["crosscheck", "stargate"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "pass" in result.stdout and "FAIL" not in result.stdout


def test_a_failing_check_exits_1(monkeypatch):
    checks = load_checks()
    strict = checks.checks["nvidia-10gw-gpus"].model_copy(
        update={"published": checks.checks["nvidia-10gw-gpus"].published.model_copy(update={"low": 4.9e6})}
    )
    patched = replace(checks, checks={**checks.checks, "nvidia-10gw-gpus": strict})
    result = crosscheck(load_scenario("stargate"), "stargate", patched)
    row = next(r for r in result.results if r.name == "nvidia-10gw-gpus")
    assert not row.passed and not result.passed
    monkeypatch.setattr("gigawatt.crosscheck.load_checks", lambda: patched)
    assert runner.invoke(app, ["crosscheck", "stargate"]).exit_code == 1


def test_conversions_sit_between_the_published_families():
    """GB200 facility power per GPU must fall between NVIDIA's 2.0-2.5 kW and Abilene's 2.7-3.0 kW."""
    result = {r.name: r for r in crosscheck(load_scenario("stargate"), "stargate").results}
    kw_per_gpu = 10e6 / result["nvidia-10gw-gpus"].model
    assert 2.3 < kw_per_gpu < 2.8


def test_bad_checks_file_is_located():
    text = """sources:
  s: {publication: p, date: 2025-01-01, url: https://x}
checks:
  a:
    title: t
    kind: convert
    quantity: "1 GW"
    output: acelerators
    published: {value: 1}
    tolerance: 0.1
    why: w
    source: [s]
  b:
    title: t
    kind: site
    output: accelerators
    published: {value: "3 GW"}
    tolerance: 0.1
    why: w
    source: [nope]
"""
    with pytest.raises(ScenarioError) as info:
        parse_checks(text, "checks.yaml")
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith("checks.yaml:8:") and "unknown output 'acelerators'" in m for m in messages)
    assert any("checks.b.published" in m for m in messages)
