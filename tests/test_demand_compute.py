"""Demand stated as compute (BF16 dense FLOP/s): schema, engine, plan, CLI.

The scenario's one accelerator is pinned (2,000 W IT, 2.5 PFLOP/s BF16 dense) and, where the
engine is compared, so is PUE (1.25): then 1 facility MW holds 1e6 / (1.25 × 2,000) × 2.5e15 =
1e18 FLOP/s, and demand of N EFLOP/s must behave as demand of N facility MW."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.engine import Model, Results, aggregate_block, simulate_block
from gigawatt.plan import PlanOptions, demand_met, plan_inputs, solve
from gigawatt.scenario import load_scenario

runner = CliRunner()

FLOPS_PER_MW = 1e18  # at PUE 1.25, with the pinned accelerator
PUE = 1.25

BASE = """\
name: {name}
time: {{start: 2025-01-01, end: 2028-12-31, as_of: 2025-01-01, step: week}}
parties:
  lab: {{name: Lab, kind: ai_lab}}
accelerators:
  chip: {{base: gb200-nvl72, it_power: "2000 W", bf16_dense: "2.5 PFLOP/s"}}
stages: {{permitting: "4 weeks", site_and_shell: "20 weeks", it_fit_out: "8 weeks", commissioning: "4 weeks"}}
sites:
  grid-site:
    name: Grid site
    country: US
    region: us-tx
    tenant: lab
    power_basis: facility
    accelerator: chip
    power_plan:
      - {{kind: grid, capacity: "400 MW", available: {{pert: [2026-03-31, 2026-09-30, 2027-12-31]}}}}
    phases:
      - {{name: G1, power: "400 MW", status: announced}}
  gas-site:
    name: Gas site
    country: US
    region: us-tx
    tenant: lab
    power_basis: facility
    accelerator: chip
    power_plan:
      - {{kind: gas, capacity: "400 MW", technology: recip_engine, ordered: 2025-01-01}}
    phases:
      - {{name: S1, power: "400 MW", status: announced}}
demand:
{demand}"""

POWER_DEMAND = """\
  training:
    start: 2026-01-01
    level: "450 MW"
    growth_per_year: {pert: [0.0, 0.3, 1.0]}
    ceiling: "900 MW"
"""
COMPUTE_DEMAND = """\
  training:
    start: 2026-01-01
    compute: "450 EFLOP/s"
    growth_per_year: {pert: [0.0, 0.3, 1.0]}
    compute_ceiling: "900 EFLOP/s"
"""


def _write(tmp_path, name, demand):
    path = tmp_path / f"{name}.yaml"
    path.write_text(BASE.format(name=name, demand=demand), encoding="utf-8")
    return path


@pytest.fixture
def power(tmp_path):
    return load_scenario(_write(tmp_path, "power", POWER_DEMAND))


@pytest.fixture
def compute(tmp_path):
    return load_scenario(_write(tmp_path, "compute", COMPUTE_DEMAND))


def test_compute_demand_is_read_as_flops(compute, power):
    stream = compute.demand.training
    assert compute.demand.stated_in == "flops" and power.demand.stated_in == "mw"
    assert stream.level_mw is None and stream.level_flops.mid == pytest.approx(4.5e20)
    assert stream.ceiling_flops.mid == pytest.approx(9e20) and stream.ceiling_mw is None
    # parameters are named by their YAML keys, so sampling and shocks find them
    params = Model.from_scenario(compute).parameters
    assert {"demand.training.compute", "demand.training.compute_ceiling"} <= set(params)
    assert "demand.training.level" not in params


def _scaled(flops_per_mw):
    """COMPUTE_DEMAND with level and ceiling at 450 and 900 MW × ``flops_per_mw``."""
    return COMPUTE_DEMAND.replace('"450 EFLOP/s"', f'"{450 * flops_per_mw!r} FLOP/s"').replace(
        '"900 EFLOP/s"', f'"{900 * flops_per_mw!r} FLOP/s"'
    )


def _results(scenario, draws=1024, seed=3):
    """The engine's results with PUE pinned, so each draw's FLOP/s per facility MW is exact."""
    model = Model.from_scenario(scenario)
    ds = simulate_block(model, seed, 0, draws, params={"pue.liquid": np.full(draws, PUE)})
    np.testing.assert_allclose(ds["bf16_flops"].values, ds["facility_mw"].values * FLOPS_PER_MW)
    return Results(model, aggregate_block(model, seed, 0, draws, ds=ds), seed)


def test_engine_compute_demand_agrees_with_power_demand_at_a_known_flops_per_mw(power, compute):
    by_power, by_compute = _results(power), _results(compute)
    # Same draws of growth (same path), demand scaled by exactly FLOPS_PER_MW, capacity too:
    # each draw is covered in one iff it is in the other.
    covered = by_power.aggregates.counts["demand_covered"]
    np.testing.assert_array_equal(by_compute.aggregates.counts["demand_covered"], covered)
    assert ((covered > 100) & (covered < 924)).any()  # many draws on each side of the line
    rows_power, rows_compute = by_power.demand_table(), by_compute.demand_table()
    assert set(rows_compute[0]) == {
        "date",
        "before_as_of",
        "training_eflops_p50",
        "surplus_eflops",
        "p_capacity_covers_demand",
        "inference_tokens_per_second_p50",
    }
    for p, c in zip(rows_power, rows_compute, strict=True):
        assert c["p_capacity_covers_demand"] == p["p_capacity_covers_demand"]
        # GW × 1e3 MW/GW × 1e18 FLOP/s per MW / 1e18 = EFLOP/s; histogram bins are ~1% wide
        assert c["training_eflops_p50"] == pytest.approx(p["training_gw_p50"] * 1e3, rel=0.02)
        for q in ("p10", "p50", "p90"):
            assert c["surplus_eflops"][q] == pytest.approx(p["surplus_gw"][q] * 1e3, rel=0.02, abs=1.0)
    # demand grows from 450 EFLOP/s at the start, logistically towards 900
    first, last = rows_compute[1]["training_eflops_p50"], rows_compute[-1]["training_eflops_p50"]
    assert 450 < first < last < 900


def test_engine_compute_demand_counts_flops_online_not_mw(compute):
    """Covered means BF16 FLOP/s online on Dec 31 ≥ demand, per draw (PUE drawn here)."""
    model = Model.from_scenario(compute)
    ds = simulate_block(model, 5, 0, 1024)
    got = aggregate_block(model, 5, 0, 1024, ds=ds).counts["demand_covered"]
    online = ds["online_date"].values[:, :, None] <= model.year_ends[None, None, :]
    flops = (ds["bf16_flops"].values[:, :, None] * online).sum(axis=1)
    need = demand_met(compute, model.year_ends, 1024, seed=5)
    from gigawatt.engine import demand_streams
    from gigawatt.sampling import sample

    params = {k: v for k, v in model.parameters.items() if k.startswith("demand.")}
    demand = demand_streams(model, sample(params, 5, 0, 1024), model.year_ends)["training"]
    np.testing.assert_array_equal(got, (flops >= demand).sum(axis=0))
    # demand_met (the plan's --robust check) reads the same
    np.testing.assert_array_equal(need.values.sum(axis=0), got)


def test_plan_compute_demand_is_power_demand_times_the_reference(tmp_path, power, compute):
    by_power = plan_inputs(power, PlanOptions(periods=8))
    reference = by_power.attrs["reference_flops_per_mw"]
    # Demand stated as compute at N × reference plans exactly as demand of N facility MW.
    by_compute_scenario = load_scenario(_write(tmp_path, "scaled", _scaled(reference)))
    by_compute = plan_inputs(by_compute_scenario, PlanOptions(periods=8))
    assert by_compute.attrs["demand_stated_as"] == "flops" and by_power.attrs["demand_stated_as"] == "mw"
    np.testing.assert_allclose(by_compute.demand_flops.values, by_power.demand_flops.values, rtol=1e-12)
    np.testing.assert_allclose(by_compute.demand_mw.values, by_power.demand_mw.values, rtol=1e-12)
    a, b = solve(by_power), solve(by_compute)
    assert b.objective_usd == pytest.approx(a.objective_usd, rel=1e-6)
    assert b.summary()["assumptions"]["demand_stated_as"] == "compute"
    assert "stated so in the scenario" in b.summary()["assumptions"]["demand_reference"]
    # and as stated: the plan's compute demand is the scenario's, not converted from MW
    flops = plan_inputs(compute, PlanOptions(periods=8)).demand_flops.sel(workload="training").values
    assert flops[0] == pytest.approx(4.5e20, rel=0.05) and np.all(np.diff(flops) > 0) and flops[-1] < 9e20


def test_plan_demand_met_is_runs_p_cover_in_demands_own_unit(power):
    """--robust's check reads what `gigawatt run` reads: facility MW for demand stated as power
    (a written plan states it as compute, which the test above checks)."""
    from gigawatt.engine import run

    dates = Model.from_scenario(power).year_ends
    ours = demand_met(power, dates, 512, seed=2).mean("draw").values
    theirs = [row["p_capacity_covers_demand"] for row in run(power, draws=512, seed=2).demand_table()]
    assert ours == pytest.approx(theirs, abs=1e-12)
    assert 0 < ours.mean() < 1


BAD = [
    (
        "ceiling of the other kind",
        COMPUTE_DEMAND.replace("compute_ceiling:", "ceiling:").replace('"900 EFLOP/s"', '"900 MW"'),
        "demand.training.ceiling",
        "`ceiling` does not match `compute`",
    ),
    (
        "compute ceiling on a power level",
        POWER_DEMAND.replace("ceiling:", "compute_ceiling:").replace('"900 MW"', '"900 EFLOP/s"'),
        "demand.training.compute_ceiling",
        "write its ceiling as `ceiling`",
    ),
    (
        "streams of two kinds",
        POWER_DEMAND + COMPUTE_DEMAND.replace("training:", "inference:"),
        "demand.inference.compute",
        "state every demand stream the same way",
    ),
    (
        "both kinds in one stream",
        POWER_DEMAND.replace('    level: "450 MW"\n', '    level: "450 MW"\n    compute: "3 EFLOP/s"\n'),
        "demand.training.compute",
        "not both",
    ),
    (
        "FLOP/s under level",
        POWER_DEMAND.replace('"450 MW"', '"450 EFLOP/s"'),
        "demand.training.level",
        "goes under `compute`",
    ),
    (
        "neither",
        POWER_DEMAND.replace('    level: "450 MW"\n', ""),
        "demand.training",
        "needs `level` (facility power) or `compute`",
    ),
]


@pytest.mark.parametrize(("case", "demand", "path", "message"), BAD, ids=[b[0] for b in BAD])
def test_mixed_kinds_give_a_located_error(tmp_path, case, demand, path, message):
    file = _write(tmp_path, "bad", demand)
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 2, result.output
    lines = file.read_text().splitlines()
    key = path.rsplit(".", 1)[-1] + ":"
    first = next(i for i, line in enumerate(lines) if line.strip().startswith(key)) + 1
    assert f"bad.yaml:{first}:" in result.stderr and f"{path}: " in result.stderr
    assert message in result.stderr and "Traceback" not in result.output


def test_cli_run_and_plan_on_compute_demand(tmp_path, monkeypatch):
    monkeypatch.setenv("GIGAWATT_STORE", str(tmp_path / "store"))
    file = _write(tmp_path, "compute", COMPUTE_DEMAND)
    run = runner.invoke(app, ["run", str(file), "--draws", "1024", "--seed", "1", "--json", "--no-record"])
    assert run.exit_code == 0, run.output
    rows = json.loads(run.stdout)["demand"]
    assert rows and all("surplus_eflops" in r and "surplus_gw" not in r for r in rows)
    table = runner.invoke(app, ["run", str(file), "--draws", "1024", "--no-record"])
    assert table.exit_code == 0, table.output
    assert "Demand against capacity (BF16 dense compute online)" in table.output
    plan = runner.invoke(app, ["plan", str(file), "--periods", "8", "--json", "--no-record"])
    assert plan.exit_code == 0, plan.output
    data = json.loads(plan.stdout)
    assert data["assumptions"]["demand_stated_as"] == "compute"
    assert data["demand_flops"][0] == pytest.approx(4.5e20, rel=0.05)
    text = runner.invoke(app, ["plan", str(file), "--periods", "8", "--no-record"])
    assert text.exit_code == 0, text.output
    assert "demand stated as compute; MW equivalents at" in " ".join(text.stdout.split())
    from gigawatt.report import plan_demand_figure

    figure = plan_demand_figure(data)  # the report and dashboard draw compute demand in EFLOP/s
    assert figure.layout.yaxis.title.text == "EFLOP/s (BF16 dense)"
    demand_line = next(t for t in figure.data if t.name == "demand")
    assert list(demand_line.y) == pytest.approx([v / 1e18 for v in data["demand_flops"]])


def test_demand_growth_shock_scales_compute_demand(compute):
    from gigawatt.finance.stress import apply_shocks, parse_shock

    shocked = apply_shocks(compute, [parse_shock("demand growth -30%")])
    stream, before = shocked.demand.training, compute.demand.training
    assert stream.growth_per_year.mid == pytest.approx(before.growth_per_year.mid * 0.7)
    assert stream.level_flops == before.level_flops and shocked.demand.stated_in == "flops"
