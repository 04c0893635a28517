import json

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app, located_line
from gigawatt.results import VERSION

runner = CliRunner()


def test_scenarios_json():
    result = runner.invoke(app, ["scenarios", "--json"])
    assert result.exit_code == 0
    listing = json.loads(result.stdout)
    assert listing["kind"] == "scenarios"
    rows = listing["items"]
    assert {"name": "stargate"}.items() <= rows[0].items() or any(r["name"] == "stargate" for r in rows)
    assert all(r["description"] for r in rows)


def test_validate_ok_and_bad(write, small_text):
    good = write(small_text, "good.yaml")
    bad = write(small_text.replace('power: "300 MW"', 'power: "3 GWh"'), "bad.yaml")
    assert runner.invoke(app, ["validate", str(good), "stargate"]).exit_code == 0
    result = runner.invoke(app, ["validate", str(good), str(bad)])
    assert result.exit_code == 2
    assert f"{bad}:" in result.stderr and "is energy, not power" in result.stderr
    assert "Traceback" not in result.output


def test_convert_json_contract():
    result = runner.invoke(app, ["convert", "10 GW", "--accelerator", "gb200-nvl72", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    for key in ("facility_mw", "it_mw", "accelerators", "energy_twh_per_year"):
        assert set(data[key]) == {"low", "mid", "high"}
    assert set(data["capex_usd"]["total"]) == {"low", "mid", "high"}
    count = runner.invoke(app, ["convert", "400000 gb200-nvl72", "--json"])
    assert json.loads(count.stdout)["accelerators"]["mid"] == 400000


def test_convert_error_exit_2():
    result = runner.invoke(app, ["convert", "10 GW", "--accelerator", "gb300"])
    assert result.exit_code == 2
    assert "did you mean" in result.stderr


def test_accelerators_table_and_json():
    result = runner.invoke(app, ["accelerators", "--json"])
    assert result.exit_code == 0
    ids = {row["id"] for row in json.loads(result.stdout)["items"]}
    assert {"h100", "mi450", "tpu-v7"} <= ids
    assert runner.invoke(app, ["accelerators"]).exit_code == 0


def test_every_command_has_help():
    for command in ("run", "validate", "scenarios", "accelerators", "convert"):
        result = runner.invoke(app, [command, "--help"])
        assert result.exit_code == 0, command


def test_unknown_scenario_exit_2():
    result = runner.invoke(app, ["run", "stargat"])
    assert result.exit_code == 2
    assert "did you mean 'stargate'" in result.stderr


def test_run_json_contract():
    result = runner.invoke(app, ["run", "stargate", "--draws", "1500", "--seed", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["scenario"] == "stargate" and data["draws"] == 1500 and data["seed"] == 4
    names = {t["name"] for t in data["targets"]}
    assert "ten-gw-secured-2029" in names
    assert set(data["capacity_gw"]) >= {"dates", "p10", "p50", "p90"}


def test_run_prints_summary():
    result = runner.invoke(app, ["run", "stargate", "--draws", "1024"])
    assert result.exit_code == 0, result.output
    assert "What holds it back" in result.stdout and "Targets" in result.stdout


def test_run_says_at_which_load_its_energy_is_counted(tmp_path):
    path = tmp_path / "lf.yaml"
    path.write_text("extends: stargate\nname: lf\ndemand:\n  load_factor: 0.6\n", encoding="utf-8")
    args = ["run", str(path), "--draws", "200", "--no-record"]
    text = " ".join(runner.invoke(app, args, env={"COLUMNS": "200"}).stdout.split())
    assert "TWh/yr: energy at an average load of 60% of facility power (demand.load_factor)" in text
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["energy_load_factor"] == 0.6
    # the energy column is the facility GW at that load over a year of 8,766 hours
    end = data["year_ends"][-1]
    assert end["energy_twh_per_year"]["p50"] == pytest.approx(
        end["facility_gw"]["p50"] * 0.6 * 8.766, rel=1e-9
    )


def test_run_is_recorded_and_matches_the_engine(tmp_path):
    from gigawatt import engine, load_scenario
    from gigawatt.store import Store

    store = tmp_path / "store"
    out = runner.invoke(
        app, ["run", "stargate", "--draws", "2048", "--seed", "5", "--json", "--store", str(store)]
    )
    assert out.exit_code == 0, out.output
    recorded = json.loads(out.stdout)
    assert (recorded.pop("kind"), recorded.pop("version")) == ("run", VERSION)
    money = recorded.pop("money")  # a recorded run also carries its money, on its first draws
    assert money["draws"] == 2000
    assert any({"OpenAI", "Oracle", "NVIDIA"} <= set(cycle) for cycle in money["cycle_names"])
    direct = engine.run(load_scenario("stargate"), draws=2048, seed=5).summary()
    assert json.dumps(recorded, sort_keys=True) == json.dumps(direct, sort_keys=True, default=str)
    (record,) = Store(store).list_runs()
    assert record.status == "complete" and record.draws == 2048
    report = tmp_path / "r.html"
    again = runner.invoke(
        app, ["run", "stargate", "--draws", "1024", "--store", str(store), "--report", str(report)]
    )
    assert again.exit_code == 0, again.output
    assert report.stat().st_size > 100_000 and "recorded as run" in again.stdout


def test_a_run_of_several_blocks_uses_the_cores_and_gives_the_numbers_of_one_process(
    small_text, write, monkeypatch
):
    import os

    from gigawatt.runner import Backend

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    pools: list[int] = []
    pool = Backend._imap_pool
    monkeypatch.setattr(Backend, "_imap_pool", lambda self, *a: pools.append(self.workers) or pool(self, *a))
    path = write(small_text)
    args = ["run", str(path), "--draws", "9000", "--seed", "4", "--no-record", "--json"]
    auto = runner.invoke(app, args)
    one = runner.invoke(app, [*args, "--workers", "1"])
    assert auto.exit_code == 0 and one.exit_code == 0, auto.output + one.output
    assert json.loads(auto.output) == json.loads(one.output)
    assert pools == [2]  # the default ran on a pool of two; --workers 1 in this process


def test_validate_warns_about_later_sources_and_still_passes(write, small_text):
    text = small_text.replace("step: week}", "step: week, as_of: 2025-09-30}").replace(
        '        capacity: "500 MW"\n', '        capacity: "500 MW"\n        source: [later]\n', 1
    )
    text += "sources:\n  later: {publication: A later report, date: 2026-02-01, url: https://example.org}\n"
    path = write(text, "late.yaml")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0
    [line] = result.stderr.splitlines()
    assert (
        line.startswith(f"{path}:{text.splitlines().index('        source: [later]') + 1}:")
        and "sites.alpha.power_plan[0].source: warning:" in line
    )
    assert "late.yaml: ok (2 sites, 2 phases, 1 warning)" in " ".join(result.stdout.split())


def test_located_lines_wrap_at_spaces_on_narrow_terminals():
    line = (
        "gigawatt/data/sites.yaml:437:9: sites.dona-ana.power_plan[0].source: warning: every source is later"
    )
    assert located_line(line, None) == line and located_line(line, 200) == line
    wrapped = located_line(line, 80).splitlines()
    assert all(len(part) <= 80 for part in wrapped) and wrapped[1].startswith("    ")
    assert " ".join(part.strip() for part in wrapped) == line
