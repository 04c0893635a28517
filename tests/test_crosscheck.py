"""`gigawatt crosscheck`: published figures recomputed through convert, the engine and finance."""

import json
from dataclasses import replace

import pytest
from typer.testing import CliRunner

from gigawatt import units
from gigawatt.cli import app
from gigawatt.crosscheck import crosscheck, load_checks, parse_checks
from gigawatt.distributions import Dist
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
    # the site check reads the scenario's own Abilene through the engine, counted from its
    # published density: inside FT's 400k to DCD's 450k, not the generic conversion's ~474k
    abilene = next(r for r in data["checks"] if r["name"] == "site-abilene-gpus")
    assert 400_000 <= abilene["model"] <= 450_000


def test_every_row_shows_its_deviation_and_an_identity_is_no_test():
    """A wide pass band must not hide a wide miss: each row prints how far the model's P50 lies
    outside what the sources say (their one number, else the nearer end of their range: a P50
    inside a published range or bound reads "in range", not a miss); energy per GW at the load
    factor LBNL's figure implies is arithmetic on that figure, shown as an identity and not
    counted as a check."""
    from gigawatt.crosscheck import load_checks

    data = json.loads(runner.invoke(app, ["crosscheck", "stargate", "--json"]).stdout)
    rows = {r["name"]: r for r in data["checks"]}
    checks = load_checks().checks
    for name, row in rows.items():
        value, low, high = checks[name].published_range()
        if low == high:
            assert row["deviation"] == pytest.approx(row["model"] / value - 1)
        elif low <= row["model"] <= high:
            assert row["deviation"] == 0
        else:
            edge = low if row["model"] < low else high
            assert row["deviation"] == pytest.approx(row["model"] / edge - 1)
    # the price is a bound on the full cost ($6.7-13.3B): inside it is no miss (it read -27%)
    assert rows["oracle-price-covers-cost"]["deviation"] == 0
    # the generic conversion's 481k is 7% above DCD's 450k, the top of the published counts
    assert round(rows["abilene-1-2gw-gpus"]["deviation"] * 100) == 7
    assert rows["twh-per-gw"]["identity"] is True
    assert [n for n, r in rows.items() if r["identity"]] == ["twh-per-gw"]
    result = runner.invoke(app, ["crosscheck", "stargate"], env={"COLUMNS": "80"})
    lines = result.stdout.splitlines()
    committed = next(
        i for i, line in enumerate(lines) if line.startswith("│ Stargate US") and "7,000 MW" in line
    )
    # 5,677 MW against "nearly 7 GW" (6.1-7 GW): 7% below the published range's low end
    shown = f"{round(rows['openai-count-2025-09-23']['deviation'] * 100):+d}%"
    assert shown == "-7%" and shown in lines[committed + 1]
    price = next(i for i, line in enumerate(lines) if line.startswith("│ Oracle-OpenAI price"))
    assert "in range" in lines[price + 1]
    energy = next(i for i, line in enumerate(lines) if line.startswith("│ Energy per GW"))
    assert lines[energy].rstrip("│ ").endswith("identity")
    text = " ".join(result.stdout.split())
    tests = len(rows) - 3 - 1
    assert f"{tests} checks, 0 failed" in text and "1 identity (arithmetic on the published figure" in text


def test_cli_table_fits_80_columns():
    result = runner.invoke(app, ["crosscheck", "stargate"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "pass" in result.stdout and "FAIL" not in result.stdout
    # Oracle's RPO checks reproduce what the scenario was sized from: shown as inputs, not tests
    text = " ".join(result.stdout.split())
    assert "3 inputs reproduced (the scenario is sized from them: not a test)" in text
    rpo = [line for line in result.stdout.splitlines() if line.startswith("│ Oracle RPO at")]
    assert len(rpo) == 3 and all(line.rstrip("│ ").endswith("input") for line in rpo)
    data = json.loads(runner.invoke(app, ["crosscheck", "stargate", "--json"]).stdout)
    assert {r["name"] for r in data["checks"] if r["calibrated"]} == {
        "oracle-rpo-fq1-fy26",
        "oracle-rpo-fq2-fy26",
        "oracle-rpo-fq3-fy26",
    }


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


def _only(*names):
    checks = load_checks()
    return replace(checks, checks={n: checks.checks[n] for n in names})


def _rows(scenario, *names):
    result = crosscheck(scenario, "test", _only(*names))
    return {r.name: r for r in result.results}, dict(result.skipped)


COUNTS = ("openai-count-2025-09-23", "openai-count-2025-10-30", "openai-count-2026-04-29")
RPO = ("oracle-rpo-fq1-fy26", "oracle-rpo-fq2-fy26", "oracle-rpo-fq3-fy26")


def test_committed_series_is_computed_from_sites_and_blocks_not_read_back():
    """OpenAI's counts are compared with the capacity the scenario holds as committed by each
    date (drawn phase sizes and contracted blocks), not with the scenario's own observed counts."""
    scenario = load_scenario("stargate")
    rows, _ = _rows(scenario, *COUNTS)
    model = [rows[n].model for n in COUNTS]
    assert all(rows[n].passed for n in COUNTS)
    # the series grows with the sites named in October and the blocks signed since
    assert model[0] < model[1] < model[2]
    assert 5_500 < model[0] < 6_500 and 9_500 < model[2] < 11_500
    # removing the observed counts changes nothing: the check does not read them back
    bare = scenario.model_copy(
        update={"observations": scenario.observations.model_copy(update={"counts": []})}
    )
    again, _ = _rows(bare, *COUNTS)
    assert [again[n].model for n in COUNTS] == model
    # dropping a committed site lowers the count by its size, and can fail the check
    sites = {k: v for k, v in scenario.sites.items() if k not in ("shackelford", "dona-ana")}
    smaller, _ = _rows(scenario.model_copy(update={"sites": sites}), *COUNTS)
    assert smaller["openai-count-2025-09-23"].model < model[0] - 2_000
    assert not smaller["openai-count-2026-04-29"].passed


def test_committed_counts_after_the_as_of_or_without_the_counted_blocks_are_skipped():
    _, skipped = _rows(load_scenario("stargate-2025-09"), *COUNTS)
    assert "after the scenario's as-of (2025-09-30)" in skipped["openai-count-2025-10-30"]
    assert "openai-count-2025-09-23" not in skipped
    _, skipped = _rows(load_scenario("frontier"), *COUNTS)
    assert "aws-trainium" in skipped["openai-count-2026-04-29"]


def test_oracle_rpo_follows_the_modelled_contract():
    """Oracle's modelled RPO is its AI contracts from their signing (OpenAI's and the other
    customers' books by quarter), a moving series against reported RPO less the pre-surge $138B;
    signed after the quarter, or worth more than Oracle reported, it fails."""
    scenario = load_scenario("stargate")
    rows, _ = _rows(scenario, *RPO)
    assert all(rows[n].passed for n in RPO)
    assert rows["oracle-rpo-fq1-fy26"].model == pytest.approx(317e9, rel=0.01)
    assert rows["oracle-rpo-fq2-fy26"].model == pytest.approx(385e9, rel=0.01)
    assert rows["oracle-rpo-fq3-fy26"].model == pytest.approx(415e9, rel=0.01)
    name = "oracle-openai-compute"
    contract = scenario.contracts[name]

    def changed(**update):
        contracts = {**scenario.contracts, name: contract.model_copy(update=update)}
        return _rows(scenario.model_copy(update={"contracts": contracts}), *RPO)[0]

    late = changed(signed_date=Dist("fixed", (units.parse_date("2025-10-15"),)))
    assert late["oracle-rpo-fq1-fy26"].model == pytest.approx(17e9, rel=0.01)
    assert not late["oracle-rpo-fq1-fy26"].passed
    assert late["oracle-rpo-fq2-fy26"].passed
    big = changed(value_usd=Dist("fixed", (600e9,)))
    assert not big["oracle-rpo-fq3-fy26"].passed
    _, skipped = _rows(load_scenario("frontier"), *RPO)
    assert "no compute contract paid to oracle" in skipped["oracle-rpo-fq1-fy26"]
    # as believed in Sept 2025: the first quarter's book only; later reports are not applicable
    rows, skipped = _rows(load_scenario("stargate-2025-09"), *RPO)
    assert rows["oracle-rpo-fq1-fy26"].passed
    assert "after the scenario's as-of" in skipped["oracle-rpo-fq2-fy26"]


def test_a_committed_check_without_its_date_is_located():
    text = """sources:
  s: {publication: p, date: 2025-01-01, url: https://x}
checks:
  a:
    title: t
    kind: committed
    scope: {programme: stargate}
    output: committed_mw
    published: {value: "7 GW"}
    tolerance: 0.1
    why: w
    source: [s]
"""
    with pytest.raises(ScenarioError) as info:
        parse_checks(text, "checks.yaml")
    messages = [str(p) for p in info.value.problems]
    assert any(m.startswith("checks.yaml:4:3: checks.a:") and "needs `date`" in m for m in messages)
