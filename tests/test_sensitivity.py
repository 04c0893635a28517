"""Global sensitivity: known Sobol' indices (Ishigami), marginals through Dist.ppf, the engine path."""

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_scenario
from gigawatt.backends import Backend
from gigawatt.cli import app
from gigawatt.distributions import Dist
from gigawatt.engine import Model, simulate_block
from gigawatt.errors import GigawattError
from gigawatt.sampling import sample
from gigawatt.sensitivity import analyse, blockwise, scenario_sensitivity, sensitivity_figure

PI = float(np.pi)


def ishigami(_: object, v: dict[str, np.ndarray]) -> np.ndarray:
    """Ishigami & Homma (1990): S1 = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244 (a=7, b=0.1)."""
    return np.sin(v["x1"]) + 7 * np.sin(v["x2"]) ** 2 + 0.1 * v["x3"] ** 4 * np.sin(v["x1"])


def test_ishigami_sobol_indices():
    parameters = {f"x{i}": Dist("uniform", (-PI, PI)) for i in (1, 2, 3)}
    result = analyse(parameters, blockwise(ishigami, None, Backend(), rows_per_block=5000), "sobol", 4096)
    got = {name: i for i, name in enumerate(result.parameters)}
    s1 = [result.indices["S1"][got[f"x{i}"]] for i in (1, 2, 3)]
    st = [result.indices["ST"][got[f"x{i}"]] for i in (1, 2, 3)]
    np.testing.assert_allclose(s1, [0.314, 0.442, 0.0], atol=0.03)
    np.testing.assert_allclose(st, [0.558, 0.442, 0.244], atol=0.03)
    assert result.parameters == ["x1", "x2", "x3"]  # ranked by ST
    assert result.evaluations == 4096 * 5 + 7
    assert result.tornado_base == pytest.approx(0.0)  # all at the median 0
    assert result.tornado["x2"][0] == pytest.approx(7 * np.sin(-0.8 * PI) ** 2)


def test_marginals_come_from_each_dist():
    """The design's columns follow each parameter's own distribution (PERT, lognormal)."""
    pert, logn = Dist("pert", (10.0, 20.0, 60.0)), Dist("lognormal", (5.0, 9.0))
    seen: dict[str, list[np.ndarray]] = {"a": [], "b": []}

    def record(values: dict[str, np.ndarray]) -> np.ndarray:
        for k in seen:
            seen[k].append(values[k])
        return values["a"] + values["b"]

    analyse({"a": pert, "b": logn}, record, "sobol", 2048)
    a, b = (np.concatenate(seen[k])[: 2048 * 4] for k in ("a", "b"))
    qs = [0.1, 0.5, 0.9]
    np.testing.assert_allclose(np.quantile(a, qs), pert.ppf(np.array(qs)), rtol=0.02)
    np.testing.assert_allclose(np.quantile(b, qs), logn.ppf(np.array(qs)), rtol=0.02)


def test_morris_ranks_a_linear_model():
    """y = 3a + b with a ~ U(0, 2), b ~ U(0, 1): a's elementary effect is 6x b's."""
    parameters = {"b": Dist("uniform", (0.0, 1.0)), "a": Dist("uniform", (0.0, 2.0))}
    result = analyse(parameters, lambda v: 3 * v["a"] + v["b"], "morris", 20)
    mu_star = dict(zip(result.parameters, result.indices["mu_star"], strict=True))
    assert result.parameters == ["a", "b"]
    assert mu_star["a"] / mu_star["b"] == pytest.approx(6.0)


def test_constant_output_is_a_clear_error():
    with pytest.raises(GigawattError, match="no parameter moves it"):
        analyse({"a": Dist("uniform", (0.0, 1.0))}, lambda v: np.zeros(len(v["a"])), "sobol", 64)
    with pytest.raises(GigawattError, match="power of 2"):
        analyse({"a": Dist("uniform", (0.0, 1.0))}, lambda v: v["a"], "sobol", 100)


def test_simulate_block_params_override_is_exact():
    model = Model.from_scenario(load_scenario("stargate"))
    p = sample(model.parameters, 11, 1024, 1500)
    given = {k: v for k, v in p.items() if k.startswith(("sites.abilene", "supply."))}
    a = simulate_block(model, 11, 1024, 1500)
    b = simulate_block(model, 11, 1024, 1500, params=given)
    assert a.identical(b)
    shifted = {"sites.abilene.phases[3].online": p["sites.abilene.phases[3].online"] + 400}
    c = simulate_block(model, 11, 1024, 1500, params=shifted)
    assert not a["online_date"].identical(c["online_date"])
    with pytest.raises(ValueError, match="needs 476 values"):
        simulate_block(model, 11, 1024, 1500, params={"pue.liquid": np.ones(3)})


ONE_UNCERTAIN = """\
name: one
time: {start: 2025-01-01, end: 2032-12-31, as_of: 2025-06-30, step: week}
stages: {permitting: "10 weeks", site_and_shell: "40 weeks", it_fit_out: "10 weeks", commissioning: "4 weeks"}
sites:
  alpha:
    name: Alpha
    country: US
    region: us-tx
    power_basis: facility
    accelerator: gb200-nvl72
    power_plan: [{kind: grid, capacity: "1 GW", available: 2025-06-01}]
    phases:
      - name: P1
        power: "300 MW"
        status: under_construction
        start: 2025-03-01
        online: {pert: [2027-01-01, 2028-01-01, 2030-01-01]}
      - {name: P2, power: "100 MW", status: committed, online: 2026-06-30}
targets:
  big:
    power: "0.4 GW"
    by: 2028-06-30
    basis: online
"""


def test_scenario_sensitivity_finds_the_one_date_that_matters(write):
    """Reaching 0.3 GW waits for P1 alone: its online date has ST ~ 1, nothing else matters.
    The Dask backend gives the same indices."""
    scenario = load_scenario(write(ONE_UNCERTAIN))
    result = scenario_sensitivity(scenario, "gw-online:0.3", "sobol", 256)
    assert result.parameters[0] == "sites.alpha.phases[0].online"
    assert result.indices["ST"][0] == pytest.approx(1.0, abs=0.05)
    assert result.indices["S1"][0] == pytest.approx(1.0, abs=0.1)
    assert np.nanmax(np.abs(result.indices["ST"][1:])) < 0.01
    low, high = result.tornado["sites.alpha.phases[0].online"]
    online = scenario.sites["alpha"].phases[0].online_date
    assert online is not None
    assert (low, high) == pytest.approx((float(online.ppf(0.1)), float(online.ppf(0.9))))
    on_dask = scenario_sensitivity(
        scenario, "gw-online:0.3", "sobol", 256, backend=Backend("dask", workers=2, processes=False)
    )
    assert json.dumps(on_dask.as_dict()) == json.dumps(result.as_dict())
    fig = sensitivity_figure(result)
    assert len(fig.data) == 4  # S1, ST, P10, P90


def test_target_output_is_a_per_draw_indicator(write):
    scenario = load_scenario(write(ONE_UNCERTAIN))
    result = scenario_sensitivity(scenario, "target:big", "sobol", 256)
    online = scenario.sites["alpha"].phases[0].online_date
    by = scenario.targets["big"].by_date
    assert online is not None
    # P(P1 online by the target date) under its PERT, estimated from the Sobol' design
    expected = float(np.mean(online.ppf(np.linspace(0.0005, 0.9995, 1000)) <= by))
    assert result.output_mean == pytest.approx(expected, abs=0.05)
    assert result.parameters[0] == "sites.alpha.phases[0].online"
    with pytest.raises(GigawattError, match="no target 'small'"):
        scenario_sensitivity(scenario, "target:small")
    with pytest.raises(GigawattError, match="no party 'openai'"):
        scenario_sensitivity(scenario, "npv:openai")
    with pytest.raises(GigawattError, match="npv:PARTY"):
        scenario_sensitivity(scenario, "irr:openai")


def test_a_constant_date_output_is_reported_as_a_date(write):
    """5 GW is never reached: every evaluation is censored at the horizon's end, shown as a date."""
    scenario = load_scenario(write(ONE_UNCERTAIN))
    with pytest.raises(GigawattError, match=r"is 2032-12-\d\d in every evaluation"):
        scenario_sensitivity(scenario, "gw-online:5", "morris", 4)


#: the lab buys the chips of the small scenario's site (otherwise its operator, the cloud, would)
LAB_CHIPS = "chips: {buyers: {alpha: lab}}\n"


def test_npv_output_ranks_the_contract_value_first_for_the_payee(write, small_text):
    """The cloud's NPV is the compute contract it is paid, less its costs: the contract's value
    (uncertain, $5-15B) moves it most; money terms are inputs, the rest held at medians."""
    # the lab supplies the chips (finance.chips), so the cloud's money is the contract and its opex
    text = small_text.replace('value: "$10B"', 'value: {uniform: ["$5B", "$15B"]}') + LAB_CHIPS
    scenario = load_scenario(write(text))
    result = scenario_sensitivity(scenario, "npv:cloud", "morris", 8, discount_rate=0.08)
    assert result.parameters[0] == "contracts.compute.value"
    mu_star = dict(zip(result.parameters, result.indices["mu_star"], strict=True))
    assert mu_star["contracts.compute.value"] > 3 * result.indices["mu_star"][1]
    low, high = result.tornado["contracts.compute.value"]
    assert 2e9 < high - low < 8e9  # P10 $6B -> P90 $14B of contract value, discounted
    assert any(p.startswith(("opex.", "electricity_price.")) for p in result.parameters)
    assert result.output.startswith("npv:cloud")


def test_npv_output_is_finances_npv_at_the_as_of_date(write, small_text):
    """``npv:PARTY`` is valued as ``gigawatt finance`` values a party's cash: at the as-of date, over
    the flows from then on (all at medians, the tornado's base: finance's NPV of cash alone)."""
    from gigawatt.finance import simulate_money, statements
    from gigawatt.finance.model import money_parameters

    time = "time: {start: 2025-01-01, end: 2030-12-31, step: week}"
    text = small_text.replace(time, time.replace("step", "as_of: 2026-07-01, step")) + LAB_CHIPS
    scenario = load_scenario(write(text))
    result = scenario_sensitivity(scenario, "npv:cloud", "morris", 2, discount_rate=0.08)
    assert any(n.startswith("NPV at 2026-07-01 (the as-of date)") for n in result.notes)
    model = Model.from_scenario(scenario)
    medians = {
        k: np.full(1, float(d.ppf(0.5)))
        for k, d in {**model.parameters, **money_parameters(scenario)}.items()
    }
    money = simulate_money(scenario, simulate_block(model, 0, 0, 1, params=medians), 0, params=medians)
    cash = statements(money, ["cloud"], discount_rate=0.08)["cloud"]["totals"]["npv_cash_only_usd"]["p50"]
    assert result.tornado_base == pytest.approx(cash, rel=1e-9)


def test_cli_json(write):
    path = write(ONE_UNCERTAIN)
    result = CliRunner().invoke(
        app, ["sensitivity", str(path), "--output", "capacity:2028-06-30", "--samples", "8", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["method"] == "morris"
    assert data["parameters"][0]["parameter"] == "sites.alpha.phases[0].online"
    assert data["parameters"][0]["mu_star"] > 0


def test_cli_npv_for_a_party(write, small_text):
    path = write(small_text.replace('value: "$10B"', 'value: {pert: ["$6B", "$10B", "$16B"]}') + LAB_CHIPS)
    args = ["sensitivity", str(path), "--output", "npv:cloud", "--samples", "4", "--no-record"]
    result = CliRunner().invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["parameters"][0]["parameter"] == "contracts.compute.value"
    assert data["tornado_base"] > 0  # the cloud is paid more than it spends at the medians
    bad = CliRunner().invoke(app, ["sensitivity", str(path), "--output", "npv:nobody", "--no-record"])
    assert bad.exit_code == 2 and "no party 'nobody' (parties: lab, cloud" in bad.output


def test_cli_table_at_80_columns_keeps_figures_whole(write, small_text):
    """USD effects in $B beside $B values, dates whole: at 80 columns no figure breaks across
    lines (raw USD mu* such as 8,410,000,000 used to fold into four lines)."""
    path = write(small_text.replace('value: "$10B"', 'value: {pert: ["$6B", "$10B", "$16B"]}') + LAB_CHIPS)
    args = ["sensitivity", str(path), "--output", "npv:cloud", "--samples", "4", "--no-record"]
    out = CliRunner().invoke(app, args, env={"COLUMNS": "80"}).output
    assert "mu*, sigma in $B" in " ".join(out.split())
    assert max(map(len, out.splitlines())) <= 80
    rows = [
        [c.strip() for c in line.strip("│").split("│")] for line in out.splitlines() if line.startswith("│")
    ]
    assert rows
    for cells in rows:
        values = cells[1:]
        if not any(values):  # a parameter's name continued
            continue
        assert all(re.fullmatch(r"-?\d[\d,]*(\.\d+)?", c) for c in values[:2]), cells  # mu*, sigma
        assert all(re.fullmatch(r"\$-?[\d,]+\.\d\dB", c) for c in values[2:]), cells  # at P10, P90


def test_a_level_the_all_median_point_never_reaches_is_warned(write):
    """P1's size is uncertain (200-400 MW): with every input at its median the site holds 400 MW, so
    0.45 GW is never reached there and the indices measure what tips the total over it: a warning;
    0.3 GW is reached at the median: none."""
    text = ONE_UNCERTAIN.replace('power: "300 MW"', 'power: {uniform: ["200 MW", "400 MW"]}', 1)
    scenario = load_scenario(write(text))
    censored = scenario_sensitivity(scenario, "gw-online:0.45", "morris", 4)
    assert censored.tornado_base == Model.from_scenario(scenario).grid_days[-1]
    (warning,) = censored.warnings
    assert "0.45 GW is never reached by the horizon (2032-12-" in warning  # the last grid week
    assert censored.as_dict()["warnings"] == [warning]
    assert scenario_sensitivity(scenario, "gw-online:0.3", "morris", 4).warnings == []


def test_cli_default_output_is_a_level_every_draw_has_and_the_median_point_is_labelled(write):
    """The default output is capacity at end-2028 (never censored at the horizon); the all-median
    figure reads as what it is, with its unit; a censored date output warns on stderr."""
    path = write(ONE_UNCERTAIN.replace('power: "300 MW"', 'power: {uniform: ["200 MW", "400 MW"]}', 1))
    shown = CliRunner().invoke(app, ["sensitivity", str(path), "--samples", "4", "--no-record"])
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.stdout.split())
    assert "What moves capacity:2028-12-31" in text and "mu*, sigma in facility GW" in text
    assert re.search(r"All inputs at their medians \(not the P50 forecast\): [\d.]+ facility GW", text)
    assert "all at median" not in text
    args = ["sensitivity", str(path), "--output", "gw-online:0.45", "--samples", "4", "--no-record"]
    warned = CliRunner().invoke(app, args)
    assert warned.exit_code == 0, warned.output
    assert "warning: with every input at its median, 0.45 GW is never reached" in " ".join(
        warned.stderr.split()
    )


def test_parameter_paths_break_only_after_a_dot():
    from gigawatt.commands.common import wrap_path

    path = "sites.stargate-india.power_plan[1].available"
    assert wrap_path(path, 80) == path
    assert wrap_path(path, 24).splitlines() == ["sites.stargate-india.", "power_plan[1].available"]
    assert wrap_path(path, 10).splitlines() == ["sites.", "stargate-india.", "power_plan[1].", "available"]
    for width in range(8, 50):
        lines = wrap_path(path, width).splitlines()
        assert "".join(lines) == path and all(line.endswith(".") for line in lines[:-1])
