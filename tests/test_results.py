"""The results contract: typed summaries with an explicit kind and version, everywhere."""

import json

import pytest
from typer.testing import CliRunner

from gigawatt import results
from gigawatt.cli import app
from gigawatt.report import record_kind

runner = CliRunner()


@pytest.mark.parametrize(
    "args",
    [
        ["scenarios", "--json"],
        ["accelerators", "--json"],
        ["convert", "1 GW", "--json"],
        ["run", "stargate", "--draws", "64", "--no-record", "--json"],
        ["factory", "stargate", "--draws", "64", "--json"],
        ["finance", "stargate", "--draws", "16", "--json"],
        ["flows", "stargate", "--draws", "16", "--json"],
    ],
)
def test_every_json_output_carries_kind_and_version(args):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["version"] == results.VERSION
    assert data["kind"] in {*results.RESULTS, "scenarios", "accelerators", "conversion", "factory"}
    if data["kind"] in results.RESULTS:  # a typed summary: its model reads it back
        assert results.RESULTS[data["kind"]].model_validate(data).kind == data["kind"]


def test_a_summary_missing_a_named_field_is_refused():
    with pytest.raises(ValueError, match="targets"):
        results.tagged("run", {"scenario": "x", "draws": 1, "seed": 0})


def test_report_reads_kind_and_never_guesses():
    stress_like = {"base": {}, "shocked": {}}  # keys a guesser would take for a stress
    assert record_kind(stress_like) == "run"  # no kind stated: a run's (the first kind)
    assert record_kind({**stress_like, "kind": "plan"}) == "plan"
    assert record_kind({"kind": "plan"}, "stress") == "stress"  # the store's kind wins


_MILESTONE = {
    "campus": "abilene",
    "mw": 200.0,
    "observed": "2025-06-30",
    "p10": "2025-03-01",
    "p50": "2025-07-01",
    "p90": "2025-12-01",
    "inside": True,
    "p50_error_months": 0.0,
    "kind": "observed",
}


def test_backtest_and_crosscheck_results_validate():
    backtest = results.tagged(
        "backtest",
        {
            "coverage": 0.8,
            "median_abs_p50_error_months": 2.5,
            "crps_days": 40.0,
            "pit": [0.1, 0.7],
            "campuses": ["abilene"],
            "milestones": [_MILESTONE],
        },
    )
    assert backtest.as_dict()["kind"] == "backtest"
    # the coverage's band width and the naive baselines are named in the contract
    named = results.BacktestSummary.model_fields
    assert "median_band_months" in named and "baselines" in named
    check = {"name": "x", "published": 1.0, "model": 1.1, "low": 0.9, "high": 1.2}
    check |= {"passed": True, "source": "s"}
    assert results.tagged("crosscheck", {"checks": [check]}).as_dict()["checks"][0]["passed"] is True


def test_schema_commands_print_json_schemas():
    scenario = runner.invoke(app, ["schema"])
    assert scenario.exit_code == 0, scenario.output
    assert "sites" in json.loads(scenario.stdout)["properties"]
    kinds = runner.invoke(app, ["schema", "--results"])
    assert kinds.exit_code == 0, kinds.output
    schemas = json.loads(kinds.stdout)
    assert set(schemas) == set(results.RESULTS)
    assert "kind" in schemas["run"]["properties"]


def test_print_json_without_a_kind_names_the_command():
    import typer

    from gigawatt.commands.common import print_json

    mini = typer.Typer()

    @mini.command()
    def backtest() -> None:
        print_json(
            {
                "coverage": 0.75,
                "median_abs_p50_error_months": 3.0,
                "crps_days": 50.0,
                "pit": [0.2],
                "campuses": [],
                "milestones": [],
            }
        )

    @mini.command()
    def other() -> None:
        print_json({"a": 1})

    backtest_out = CliRunner().invoke(mini, ["backtest"])
    assert backtest_out.exit_code == 0, backtest_out.output
    assert json.loads(backtest_out.stdout)["kind"] == "backtest"
    assert json.loads(CliRunner().invoke(mini, ["other"]).stdout)["kind"] == "other"


def test_a_run_s_targets_are_typed_and_an_observed_one_has_no_probability():
    """Review 3, finding 9: the schema says an observed target's probability and date quantiles
    are null (a fact), and a target row keeps the producer's fields in its order."""
    schema = results.json_schemas()["run"]
    row = schema["$defs"]["TargetRow"]["properties"]
    assert {"type": "null"} in row["probability"]["anyOf"] and "observed" in row["probability"]["description"]
    assert {"met", "met_on", "reachable", "unreachable_reason"} <= set(row)
    target = {
        "name": "t",
        "gw": 1.0,
        "basis": "secured",
        "scope": "everything",
        "by": "2029-01-01",
        "probability": None,
        "p50_date": None,
        "p90_date": None,
        "observed": True,
        "met": True,
        "met_on": "2026-04-29",
        "extra": 1,
    }
    summary = {
        "scenario": "x",
        "draws": 1,
        "seed": 0,
        "targets": [target],
        "capacity_gw": {},
        "year_ends": [],
    }
    summary |= {"breakdown": {}, "demand": [], "supply": {}, "constraints": {}, "phases": {}}
    assert results.tagged("run", summary).as_dict()["targets"] == [target]
    assert results.target_outcome(target) == "met on 2026-04-29"
    assert results.target_outcome({**target, "met": False, "met_on": None, "reached_on": "2030-01-01"}) == (
        "missed (reached 2030-01-01)"
    )
    size = {"observed": False, "forecast": True, "reachable": False, "ceiling_gw": 1.25, "gw": 1.5}
    assert results.target_outcome(size) == "unreachable, not forecast"
    assert results.target_outcome({**size, "ceiling_gw": 2.0}) == "unreachable by its date, not forecast"
