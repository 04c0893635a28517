"""gigawatt export and the tidy DataFrames behind it."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.engine import run
from gigawatt.export import run_frames
from gigawatt.finance.model import buildout, simulate_money
from gigawatt.scenario import load_scenario
from gigawatt.store import Store, run_recorded


@pytest.fixture
def recorded(tmp_path: Path, small_text: str, write):
    store = Store(tmp_path / "s")
    return store, run_recorded(store, write(small_text), draws=1024, seed=3)


def test_workbook_has_the_tables_with_units_and_formats(recorded, tmp_path: Path) -> None:
    store, record = recorded
    out = tmp_path / "run.xlsx"
    cli = CliRunner()
    done = cli.invoke(app, ["export", record.id[:6], "-o", str(out)], env={"GIGAWATT_STORE": str(store.root)})
    assert done.exit_code == 0, done.output
    book = openpyxl.load_workbook(out)
    assert {"summary", "targets", "capacity", "money", "inputs", "sources"} <= set(book.sheetnames)
    targets = book["targets"]
    header = [c.value for c in targets[1]]
    assert header[:2] == ["target", "facility_gw"]
    row = dict(zip(header, (c for c in targets[2]), strict=True))
    assert row["probability"].value == pytest.approx(record.summary["targets"][0]["probability"])
    assert row["probability"].number_format == "0.0%" and row["by"].number_format == "yyyy-mm-dd"
    money = book["money"]
    assert [c.value for c in money[1]][-1] == "p90_net_cash_usd" and money["D2"].number_format.startswith(
        '"$"'
    )
    capacity = pd.read_excel(out, sheet_name="capacity")
    sites = set(capacity.loc[capacity["kind"] == "site", "series"])
    assert sites == {"alpha", "beta"} and capacity["year_end"].nunique() == len(record.summary["year_ends"])
    inputs = pd.read_excel(out, sheet_name="inputs")
    assert "sites.alpha.phases[P1].power" in set(inputs["path"])


def test_bad_exports_are_clear_errors_with_exit_2(recorded, tmp_path: Path) -> None:
    store, record = recorded
    env = {"GIGAWATT_STORE": str(store.root)}
    cli = CliRunner()
    existing = tmp_path / "kept.xlsx"
    existing.write_text("mine")
    cases = {
        "exists: pass --force": ["export", record.id, "-o", str(existing)],
        "does not exist": ["export", record.id, "-o", str(tmp_path / "no" / "r.xlsx")],
        "no run 'abcdef'": ["export", "abcdef", "-o", str(tmp_path / "r.xlsx")],
        ".xlsx, .csv or .parquet": ["export", record.id, "-o", str(tmp_path / "r.txt")],
        "no table 'nope'": ["export", record.id, "-o", str(tmp_path / "r.csv"), "--table", "nope"],
    }
    for message, args in cases.items():
        result = cli.invoke(app, args, env=env)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert existing.read_text() == "mine" and not list(tmp_path.glob(".*.tmp"))
    forced = cli.invoke(app, ["export", record.id, "-o", str(existing), "--force"], env=env)
    assert forced.exit_code == 0 and openpyxl.load_workbook(existing).sheetnames[0] == "summary"


def test_csv_and_parquet_hold_one_table(recorded, tmp_path: Path) -> None:
    store, record = recorded
    env = {"GIGAWATT_STORE": str(store.root)}
    cli = CliRunner()
    assert cli.invoke(app, ["export", record.id, "-o", str(tmp_path / "c.parquet")], env=env).exit_code == 0
    expected = run_frames(record)["capacity"]
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "c.parquet"), expected, check_dtype=False)
    assert (
        cli.invoke(
            app, ["export", record.id, "-o", str(tmp_path / "t.csv"), "--table", "targets"], env=env
        ).exit_code
        == 0
    )
    assert list(pd.read_csv(tmp_path / "t.csv")["target"]) == ["half-gw"]


def test_python_api_returns_tidy_frames(small_text: str, write) -> None:
    scenario = load_scenario(write(small_text))
    results = run(scenario, draws=256, seed=1)
    capacity = results.to_frame("capacity")
    total = capacity[(capacity["kind"] == "total")].set_index("year_end")["p50"]
    assert total.iloc[-1] == pytest.approx(results.summary()["year_ends"][-1]["facility_gw"]["p50"])
    assert pd.api.types.is_datetime64_any_dtype(results.to_frame("targets")["by"])
    with pytest.raises(KeyError, match="the tables are"):
        results.to_frame("nope")
    statements = simulate_money(scenario, buildout(scenario, 64, 1), 1).statements_frame()
    assert {"party", "year", "line", "p10", "p50", "p90"} == set(statements.columns)
    assert set(statements["party"]) >= {"lab", "cloud"} and "revenue_usd" in set(statements["line"])


def test_a_stress_run_exports_its_parties_base_against_shocked() -> None:
    from gigawatt.frames import stress_frame

    party = {
        "probability_short": 0.25,
        "first_short_date": {"p50": "2030-01-01"},
        "peak_shortfall_usd": {"p50": 2e10},
    }
    frame = stress_frame({"base": {"parties": {"lab": {}}}, "shocked": {"parties": {"lab": party}}})
    assert list(frame["case"]) == ["base", "shocked"] and frame["probability_short"].iloc[1] == 0.25
    assert frame["first_short_p50"].iloc[1] == pd.Timestamp("2030-01-01")


def test_demand_sheet_leaves_years_before_as_of_empty_and_gives_serving_capacity(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    record = run_recorded(store, "stargate", draws=512, seed=3)  # as of 2026-06-30
    out = tmp_path / "run.xlsx"
    done = CliRunner().invoke(
        app, ["export", record.id, "-o", str(out)], env={"GIGAWATT_STORE": str(store.root)}
    )
    assert done.exit_code == 0, done.output
    sheet = pd.read_excel(out, sheet_name="demand")
    past, ahead = sheet[sheet["before_as_of"]], sheet[~sheet["before_as_of"]]
    assert [str(d)[:10] for d in past["year_end"]] == ["2024-12-31", "2025-12-31"] and len(ahead) > 1
    # before the as-of date demand was never observed: no surplus, no P(cover), no "0%"
    forecast_only = ["training_gw_p50", "surplus_gw_p50", "p_capacity_covers_demand"]
    assert past[forecast_only].isna().all().all() and ahead[forecast_only].notna().all().all()
    # what the surplus is against: all capacity serving the demand's party, as `run --json` has it
    serving = record.summary["serving"]
    assert serving["party"] == "openai"
    for q in ("p10", "p50", "p90"):
        assert sheet[f"serving_facility_gw_{q}"].tolist() == pytest.approx(serving["facility_gw"][q])
        assert sheet[f"stargate_share_{q}"].tolist() == pytest.approx(serving["share"]["stargate"][q])
    book = openpyxl.load_workbook(out)["demand"]
    header = [c.value for c in book[1]]
    assert book.cell(row=2, column=header.index("stargate_share_p50") + 1).number_format == "0.0%"
    assert book.cell(row=2, column=header.index("p_capacity_covers_demand") + 1).value is None
