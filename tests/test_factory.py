import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_scenario
from gigawatt.cli import app
from gigawatt.engine import factory_rate_day
from gigawatt.engine.queues import _factory_inverse
from gigawatt.factory import analyse


def test_learning_curve_reaches_the_rate_where_wright_says():
    r0, lr, ref, g0 = np.array([50.0]), np.array([0.2]), 1000.0, np.array([1000.0])
    day = factory_rate_day(100.0, r0, lr, ref, g0, 0.0)
    b = -np.log2(0.8)
    # rate doubles when cumulative G grows by 2^(1/b): G* = 1000 · 2^(1/b)
    g_star = 1000.0 * 2 ** (1 / b)
    built_by_then = g_star - 1000.0
    inverse = _factory_inverse(r0, lr, ref, g0, 0.0, None)
    assert inverse(np.array([[built_by_then]]))[0, 0] == pytest.approx(day[0], rel=1e-9)
    assert factory_rate_day(40.0, r0, lr, ref, g0, 0.0)[0] == 0.0  # already faster


def test_a_cap_below_the_rate_means_never():
    day = factory_rate_day(
        100.0, np.array([50.0]), np.array([0.2]), 1000.0, np.array([1000.0]), 0.0, np.array([80.0])
    )
    assert not np.isfinite(day[0])


def test_one_gw_a_week_needs_20_to_25_million_accelerators_at_2_2_kw():
    """Seed/issue check: 52 GW a year of facility power at ~2.2 kW all-in ≈ 20–25 M accelerators."""
    result = analyse(load_scenario("stargate"), 1000.0, "gb200-nvl72", draws=2000)
    accelerators = next(r for r in result["requirements"] if r["name"] == "accelerators")
    assert 20e6 <= accelerators["needed"] <= 27e6
    assert result["binding"].startswith(("transformers", "gas_turbines", "accelerators"))


def test_factory_cli_json():
    out = CliRunner().invoke(
        app, ["factory", "stargate", "--rate", "0.5 GW/week", "--draws", "1000", "--json"]
    )
    assert out.exit_code == 0
    data = json.loads(out.stdout)
    assert data["rate_mw_per_week"] == 500.0
    assert {"p50_date", "p90_date", "probability_by_horizon"} <= set(data["sustained"])
    bad = CliRunner().invoke(app, ["factory", "stargate", "--rate", "1 GW"])
    assert bad.exit_code == 2 and "not build_rate" in bad.stderr


def test_capped_factory_follows_learning_then_builds_at_the_cap():
    r0, lr, ref, g0, cap = np.array([2.0]), np.array([0.3]), 100.0, np.array([10.0]), np.array([2.5])
    capped = _factory_inverse(r0, lr, ref, g0, 0.0, cap)
    free = _factory_inverse(r0, lr, ref, g0, 0.0, None)
    b = -np.log2(0.7)
    g_cap = ref * (2.5 / 2.0) ** (1 / b)  # where the learning rate reaches the cap
    below = np.array([[0.5 * (g_cap - 10.0)]])
    assert capped(below)[0, 0] == pytest.approx(free(below)[0, 0])
    lo, hi = np.array([[g_cap - 10.0 + 50.0]]), np.array([[g_cap - 10.0 + 350.0]])
    assert capped(hi)[0, 0] - capped(lo)[0, 0] == pytest.approx(300.0 / 2.5 * 7.0)
    assert capped(hi)[0, 0] > free(hi)[0, 0]
