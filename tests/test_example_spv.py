"""examples/spv-campus.yaml (own accelerator, SPV with lease + RVG, solar PPA, bullet bond) works
through run, finance, flows, stress and report."""

import json
from pathlib import Path

from typer.testing import CliRunner

from gigawatt.cli import app

EXAMPLE = str(Path(__file__).parents[1] / "examples" / "spv-campus.yaml")
runner = CliRunner()


def test_the_example_works_through_every_money_command(tmp_path):
    store = str(tmp_path / "store")
    run = runner.invoke(app, ["run", EXAMPLE, "--draws", "100", "--store", store])
    assert run.exit_code == 0, run.output
    finance = runner.invoke(app, ["finance", EXAMPLE, "--draws", "100", "--json"])
    assert finance.exit_code == 0, finance.output
    data = json.loads(finance.stdout)
    assert "acme-x1" in data["unit_economics"] and set(data["funding_need"]) >= {"cloud", "campus-spv"}
    cloud = data["statements"]["cloud"]
    assert cloud["terminal_value"]["by_contract_usd"]["cloud-notes-2035"]["p50"] == -10e9
    kinds = set(cloud["by_kind"])
    assert {"power", "lease", "loan_draw"} <= kinds
    flows = runner.invoke(app, ["flows", EXAMPLE, "--draws", "100", "--json"])
    assert flows.exit_code == 0, flows.output
    assert "vendor_financing" in json.loads(flows.stdout)
    stress = runner.invoke(
        app,
        ["stress", EXAMPLE, "--shock", "demand growth -30%", "--draws", "100", "--store", store, "--json"],
    )
    assert stress.exit_code == 0, stress.output
    assert json.loads(stress.stdout)["shocked"]["funding_need"]["cloud"]["policy"] is True
    runs = json.loads(runner.invoke(app, ["runs", "list", "--store", store, "--json"]).stdout)["items"]
    assert {r["kind"] for r in runs} == {"run", "stress"}
    for record in runs:
        out = tmp_path / f"report-{record['id']}.html"  # report never writes over a file unasked
        report = runner.invoke(app, ["report", record["id"], "--store", store, "-o", str(out)])
        assert report.exit_code == 0, report.output
        assert out.stat().st_size > 0
