import numpy as np
import pytest
from scipy import stats

from gigawatt import distributions
from gigawatt.distributions import Dist


def leaf(value):
    return float(value)


@pytest.mark.parametrize(
    "spec",
    [
        {"uniform": [1, 3]},
        {"triangular": [1, 2, 4]},
        {"pert": [1, 2, 4]},
        {"lognormal": {"p50": 2, "p90": 4}},
        {"choice": {"values": [1, 2, 3], "weights": [0.2, 0.5, 0.3]}},
    ],
)
def test_samples_match_quantiles(spec):
    dist = distributions.parse(spec, leaf)
    draws = dist.sample(np.random.default_rng(1), 200_000)
    for q in (0.1, 0.5, 0.9):
        assert np.quantile(draws, q) == pytest.approx(dist.ppf(q), rel=0.02, abs=0.02)


def test_lognormal_p50_p90():
    dist = distributions.parse({"lognormal": {"p50": 10, "p90": 30}}, leaf)
    assert dist.ppf(0.5) == pytest.approx(10)
    assert dist.ppf(0.9) == pytest.approx(30)


def test_pert_mean_is_classic_formula():
    dist = Dist("pert", (1.0, 2.0, 6.0))
    draws = dist.sample(np.random.default_rng(0), 400_000)
    assert draws.mean() == pytest.approx((1 + 4 * 2 + 6) / 6, rel=0.01)
    assert draws.min() >= 1 and draws.max() <= 6


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"normal": [1, 2]}, "unknown distribution"),
        ({"pert": [3, 2, 1]}, "increasing order"),
        ({"pert": [1, 2]}, r"takes a list \[LOW, MODE, HIGH\]"),
        ({"lognormal": {"p50": 3, "p90": 2}}, "0 < p50 < p90"),
        ({"choice": {"values": [1, 2], "weights": [1]}}, "one weight per value"),
        ({"uniform": [1, 2], "pert": [1, 2, 3]}, "one key"),
    ],
)
def test_bad_specs(spec, message):
    with pytest.raises(ValueError, match=message):
        distributions.parse(spec, leaf)


@pytest.mark.parametrize("params", [(1.0, 2.0, 4.0), (0.0, 0.05, 1.0), (10.0, 39.0, 40.0), (0.0, 0.5, 1.0)])
def test_pert_draws_invert_the_exact_beta_quantile(params):
    """A PERT draw is the tabulated Beta quantile at a uniform draw: it matches scipy's exact ppf."""
    dist = Dist("pert", params)
    u = np.random.default_rng(5).random(100_000)
    draws = dist.sample(np.random.default_rng(5), 100_000)
    a, b = distributions._pert_shape(*params)
    low, span = params[0], params[2] - params[0]
    exact = low + span * stats.beta.ppf(u, a, b)
    assert np.max(np.abs(draws - exact)) < 1e-4 * span
    assert draws.min() >= params[0] and draws.max() <= params[2]
    assert stats.kstest((draws - low) / span, stats.beta(a, b).cdf).pvalue > 0.01


@pytest.mark.parametrize(
    "spec",
    [
        "12 GW",
        {"uniform": ["1 GW", "2 GW"]},
        {"triangular": ["1 GW", "1.5 GW", "3 GW"]},
        {"pert": ["0.7 GW", "0.9 GW", "1.2 GW"]},
        {"lognormal": {"p50": "1 GW", "p90": "2 GW"}},
        {"choice": {"values": ["1 GW", "2 GW"], "weights": [1, 3]}},
    ],
)
def test_spec_is_read_back_as_the_same_distribution(spec):
    from gigawatt import units

    def power(v):
        return units.parse(v, "power")

    dist = distributions.parse(spec, power)
    written = dist.spec(lambda mw: f"{mw:.17g} MW")
    assert distributions.parse(written, power) == dist
    # scaled, as a plan restates power demand as compute
    flops = dist.scaled(1.1e15)
    assert distributions.parse(
        flops.spec(lambda f: f"{f:.17g} FLOP/s"), lambda v: units.parse(v, "flops")
    ) == (flops)


def test_prepare_builds_the_tables_a_draw_uses_before_it_draws(monkeypatch):
    # a process pool's parent prepares the model's PERTs once, so that no worker builds them
    monkeypatch.setattr(distributions, "_TABLES", {})
    monkeypatch.setattr(distributions, "table_store", None)
    pert, flat = Dist("pert", (1.0, 2.0, 5.0)), Dist("pert", (3.0, 3.0, 3.0))
    distributions.prepare([pert, flat, Dist("uniform", (0.0, 1.0))])
    assert list(distributions._TABLES) == [distributions._pert_shape(1.0, 2.0, 5.0)]
    built = dict(distributions._TABLES)
    pert.sample(np.random.default_rng(0), 100)
    assert built == distributions._TABLES  # drawing found it: nothing built again
