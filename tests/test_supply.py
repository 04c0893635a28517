"""Accelerator supply with a ceiling: generations ramp, then give way to their successor."""

import numpy as np
import pytest

from gigawatt import load_scenario
from gigawatt.engine import run
from gigawatt.engine.queues import _supply_inverse
from gigawatt.errors import ScenarioError
from gigawatt.supply import Generation, cumulative, cumulative_all, grid, industry_rate_per_year, inverse


def _gen(rate, growth, start, ceiling, successor=None, share=0.25):
    one = np.ones(1)
    return Generation(rate * one, growth * one, start * one, ceiling * one, share * one, successor)


def test_a_generation_ramps_then_declines_as_its_successor_ramps():
    gens = {
        "old": _gen(4e6, 0.3, 0.0, 8e6, successor="new"),
        "new": _gen(3e6, 0.5, 500.0, 8e6),
    }
    days = grid(0.0, 3650.0)
    old, new = (industry_rate_per_year(n, gens, days)[0] for n in ("old", "new"))
    peak = int(np.argmax(old))
    assert 0 < peak < days.size - 1
    assert np.all(np.diff(old[: peak + 1]) >= -1e-6)  # ramps up
    assert old[-1] == 0.0 and new[-1] == 8e6  # then gives way
    assert np.all(old + new <= 8e6 + 1e-6)  # never above the ceiling
    assert np.all(np.diff(old[peak:]) <= 1e-6)  # and only declines after its peak
    full = (old > 0) & (old + new >= 8e6 - 1e-6)
    assert full.any()  # squeezed by the ceiling, not by its own ramp


def test_without_a_ceiling_the_curve_matches_the_closed_form():
    days = grid(0.0, 3000.0)
    curve = cumulative("g", {"g": _gen(4e6, 0.3, 0.0, np.inf)}, days)
    levels = np.array([[1e5, 1e6, 5e6, 1e12]])
    ours = inverse(curve, days)(levels)
    closed = _supply_inverse(np.array([1e6]), np.array([0.25]), np.array([0.3]), np.array([0.0]), 13.0)
    exact = closed(levels * (52.0 / (365.25 / 7)))  # amount 1e6 per 13 weeks = 4e6 per 52 weeks
    assert np.isinf(ours[0, -1])
    assert np.allclose(ours[0, :3], exact[0, :3], atol=7.0)


def test_successor_loops_are_refused():
    gens = {"a": _gen(1, 0, 0, 10, successor="b"), "b": _gen(1, 0, 0, 10, successor="a")}
    with pytest.raises(ValueError, match="loop"):
        industry_rate_per_year("a", gens, grid(0, 70))


def test_stargate_supply_is_bounded_to_2035():
    results = run(load_scenario("stargate"), draws=256, seed=0)
    table = results.supply_table()
    family = sum(np.asarray(table[n]["offered_mean"]) for n in ("nvidia-blackwell", "nvidia-rubin"))
    yearly = np.diff(family)
    # share <= 0.4 of a ceiling <= 2.6M a quarter: at most 4.16M a year to the programme
    assert yearly.max() <= 0.4 * 2.6e6 * 4
    assert family[-1] < 40e6  # uncapped compounding gave >250M by 2035
    last = table["nvidia-blackwell"]["offered_mean"]
    assert last[-1] - last[-2] < 0.2 * (last[3] - last[2])  # Blackwell has given way to Rubin


def test_unknown_successor_is_located(write, small_text):
    text = small_text.replace(
        "contracts:",
        "supply:\n  chips:\n    resource: accelerators\n    accelerators: [gb200-nvl72]\n"
        '    amount: "100000"\n    successor: rubn\ncontracts:',
    )
    path = write(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert any("supply.chips.successor" in str(p) and "rubn" in str(p) for p in info.value.problems)


def test_a_supply_shock_scales_the_ceiling_too():
    from gigawatt.finance.stress import apply_shocks, parse_shock

    base = load_scenario("stargate")
    shocked = apply_shocks(base, [parse_shock("accelerator supply -50%")])
    for name in ("nvidia-blackwell", "nvidia-rubin"):
        before, after = base.supply[name], shocked.supply[name]
        assert before.ceiling is not None and after.ceiling is not None
        assert after.ceiling.mid == pytest.approx(0.5 * before.ceiling.mid)
        assert after.amount.mid == pytest.approx(0.5 * before.amount.mid)


def _cumulative_by_the_formula(generations, days):
    """The curves written out plainly, (draw, time), as the module's docstring states them."""
    rates = {}

    def rate(name):
        if name not in rates:
            gen = generations[name]
            years = (days - gen.start_day[:, None]) / 365.25
            ramp = gen.rate_per_year[:, None] * np.exp(
                np.log1p(gen.growth_per_year)[:, None] * np.maximum(years, 0)
            )
            room = np.broadcast_to(gen.ceiling_per_year[:, None], ramp.shape)
            if gen.successor is not None:
                room = room - rate(gen.successor)
            rates[name] = np.maximum(np.minimum(np.where(years >= 0, ramp, 0.0), room), 0.0)
        return rates[name]

    widths = (np.diff(days) / 365.25)[None, :]
    out = {}
    for name, gen in generations.items():
        r = rate(name) * gen.share[:, None]
        steps = 0.5 * (r[:, 1:] + r[:, :-1]) * widths
        out[name] = np.concatenate([np.zeros((r.shape[0], 1)), np.cumsum(steps, axis=1)], axis=1)
    return rates, out


@pytest.mark.parametrize("same_start", [True, False])
def test_the_curves_are_the_formula_bit_for_bit(same_start):
    """Laid out (time, draw) and computed in place, the curves are still exactly the formula's,
    with starts shared or per draw, a ceiling or none, and a successor."""
    rng = np.random.default_rng(3)
    n = 300
    start = np.full(n, 400.0) if same_start else rng.uniform(0.0, 900.0, n)
    gens = {
        "old": Generation(
            rng.uniform(1e6, 4e6, n),
            rng.uniform(0.1, 0.6, n),
            np.zeros(n),
            rng.uniform(6e6, 9e6, n),
            rng.uniform(0.1, 0.4, n),
            "new",
        ),
        "new": Generation(
            rng.uniform(1e6, 3e6, n),
            rng.uniform(0.2, 1.0, n),
            start,
            rng.uniform(6e6, 9e6, n),
            rng.uniform(0.1, 0.4, n),
        ),
        "alone": Generation(
            rng.uniform(1e5, 1e6, n), rng.uniform(0.0, 0.3, n), start, np.full(n, np.inf), np.ones(n)
        ),
    }
    days = grid(-100.0, 3650.0)
    rates, curves = _cumulative_by_the_formula(gens, days)
    got = cumulative_all(gens, days)
    for name in gens:
        assert got[name].shape == (n, days.size)
        assert np.array_equal(got[name], curves[name]), name
        assert np.array_equal(industry_rate_per_year(name, gens, days), rates[name]), name


def test_inverse_reads_a_curve_in_either_layout_alike():
    """A curve laid out (time, draw), as cumulative_all makes them, is searched as its copy in
    draw rows is, across several blocks of draws and past the curve's end."""
    rng = np.random.default_rng(4)
    days = grid(0.0, 1500.0)
    rows = np.cumsum(rng.uniform(0.0, 10.0, (700, days.size)), axis=1)
    by_time = np.ascontiguousarray(rows.T).T
    levels = np.sort(rng.uniform(-1.0, 900.0, (700, 5)), axis=1)
    levels[0, -1] = np.inf
    want = inverse(rows, days)(levels)
    assert not by_time.flags.c_contiguous
    assert np.array_equal(inverse(by_time, days)(levels), want)
    assert np.isinf(want).any() and np.isfinite(want).any()
