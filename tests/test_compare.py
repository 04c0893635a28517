"""gigawatt runs compare: a headline with Monte Carlo error, then inputs, then the rest."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.compare import band_median_se, compare, holm, proportion_diff_se, quantile_se, readable
from gigawatt.store import Store, run_recorded


def test_holm_rejects_step_down_and_stops_at_the_first_acceptance() -> None:
    # m = 4: thresholds 0.0125, 0.0167, 0.025, 0.05 for the sorted p-values
    assert holm([0.01, 0.04, 0.03, 0.005]) == [True, False, False, True]
    assert holm([0.011, 0.016, 0.024, 0.049]) == [True, True, True, True]
    assert holm([0.02, 0.02]) == [True, True] and holm([0.03, 0.5]) == [False, False]


def test_standard_errors_match_their_textbook_values() -> None:
    assert proportion_diff_se(0.5, 1000, 0.5, 1000) == pytest.approx(math.sqrt(0.25 * 2 / 1000))
    n = 20_000
    sample = np.random.default_rng(3).normal(10.0, 2.0, n)
    # the median's asymptotic SE for a normal: sqrt(pi/2)·sigma/sqrt(n)
    exact = math.sqrt(math.pi / 2) * 2.0 / math.sqrt(n)
    assert quantile_se(lambda qs: np.quantile(sample, qs), 0.5, n, 0.0) == pytest.approx(exact, rel=0.05)
    # from a P10/P90 band: conservative by 1.28x for a normal
    band = {"p10": 10 - 1.2816 * 2, "p90": 10 + 1.2816 * 2}
    assert band_median_se(band, n) == pytest.approx(1.278 * exact, rel=0.01)


@pytest.fixture
def two_seeds(tmp_path: Path, small_text: str, write) -> tuple[Store, object, object]:
    store = Store(tmp_path / "s")
    path = write(small_text)
    return store, run_recorded(store, path, draws=2048, seed=1), run_recorded(store, path, draws=2048, seed=2)


def test_two_seeds_of_one_scenario_differ_by_noise_only(two_seeds) -> None:
    store, a, b = two_seeds
    result = compare(store, a, b)
    rows = {r["name"]: r for r in result["headline"]}
    assert {"P(half-gw)", "half-gw: P50 date", "2027 end facility GW, P50"} <= set(rows)
    tested = [r for r in result["headline"] if r["se"] is not None]
    assert all(r["se"] > 0 for r in tested) and any(r["diff"] != 0 for r in tested)
    assert not any(r["significant"] for r in result["headline"]) and result["significant"] == 0
    assert result["inputs"] == [] and result["settings"] == [{"path": "seed", "a": 1, "b": 2, "change": 1.0}]


def test_a_real_change_is_significant_and_its_input_listed(tmp_path: Path, small_text: str, write) -> None:
    store = Store(tmp_path / "s")
    a = run_recorded(store, write(small_text, "a.yaml"), draws=2048, seed=1)
    child = (
        "extends: a.yaml\nsites:\n  alpha:\n    phases:\n      - {name: P1, power: 300 MW, status: committed,"
        " start: 2025-03-01, online: {pert: [2027-09-30, 2029-06-30, 2029-12-31]}}\n"
    )
    b = run_recorded(store, write(child, "b.yaml"), draws=2048, seed=2)
    result = compare(store, a, b)
    rows = {r["name"]: r for r in result["headline"]}
    assert rows["P(half-gw)"]["significant"] and rows["P(half-gw)"]["diff"] < -0.3
    changed = {r["path"] for r in result["inputs"]}
    # merged through extends: the child's own site fields are the parent's, only the date moved
    # (a range that can still meet the target by its date: a forecast, not unreachable)
    assert "sites.alpha.phases[P1].online.pert[0]" in changed and "sites.alpha.name" not in changed


def test_cli_compare_json_and_text_never_truncate_silently(two_seeds) -> None:
    store, a, b = two_seeds
    env = {"GIGAWATT_STORE": str(store.root), "COLUMNS": "80"}
    cli = CliRunner()
    out = cli.invoke(app, ["runs", "compare", a.id, b.id, "--json"], env=env)
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["kind"] == "compare" and {"headline", "inputs", "outputs"} <= set(data)
    assert all({"name", "a", "b", "diff", "se", "significant"} <= set(r) for r in data["headline"])
    text = cli.invoke(app, ["runs", "compare", a.id, b.id], env=env).output
    assert "0 of" in text and "significant" in text and "e+0" not in text and "e-0" not in text
    total = len(data["outputs"])
    assert total > 30 and f"{total:,} differences, first 30 shown" in text and "--all" in text
    every = cli.invoke(app, ["runs", "compare", a.id, b.id, "--all"], env=env).output
    assert "more outputs differ" not in every and every.count("breakdown.") >= sum(
        r["path"].startswith("breakdown.") for r in data["outputs"]
    )
    # every output also carries the name a reader uses (the path stays the key)
    assert all(r["label"] == readable(r["path"]) for r in data["outputs"])


def test_outputs_name_countries() -> None:
    assert readable("breakdown.country:US.p50[3]") == "breakdown.United States.p50[3]"
    assert readable("breakdown.country:ZZ.p50") == "breakdown.country:ZZ.p50"  # no such country
    assert readable("breakdown.site:alpha.p50") == "breakdown.site:alpha.p50"


def test_stress_runs_compare_each_partys_chance_of_running_short(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")

    def stress(p_short: float) -> object:
        party = {"probability_short": p_short, "probability_first_short": p_short}
        summary = {"draws": 1000, "base": {"parties": {"lab": party}}, "shocked": {"parties": {"lab": party}}}
        return store.record_run(
            kind="stress", scenario="x", scenario_text="x", draws=1000, seed=0, summary=summary
        )

    same = compare(store, stress(0.20), stress(0.22))
    [row] = same["headline"]
    assert row["name"] == "lab: P(runs short), shocked" and not row["significant"]
    assert row["se"] == pytest.approx(proportion_diff_se(0.2, 1000, 0.22, 1000))
    [moved] = compare(store, stress(0.20), stress(0.35))["headline"]
    assert moved["significant"]
