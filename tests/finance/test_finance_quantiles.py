"""Money quantiles: the partition-based percentiles are numpy's (linear method) bit for bit."""

import numpy as np
import pytest

from gigawatt.finance.quantiles import bands, percentiles


@pytest.mark.parametrize("n", [1, 2, 3, 10, 11, 999, 1000, 2001])
def test_percentiles_are_numpys_bit_for_bit(n):
    rng = np.random.default_rng(n)
    for values in (
        rng.standard_normal((n, 5)) * 1e9,
        np.round(rng.standard_normal((n, 3)), 1),  # ties
        rng.integers(-2, 3, (n, 4)).astype(float),  # many ties, zeros
        -rng.lognormal(0, 3, n),  # one column, skewed
    ):
        expected = np.percentile(values, (10, 50, 90), axis=0)
        got = percentiles(values)
        assert got.shape == expected.shape
        assert np.array_equal(got, expected)


def test_other_quantiles_and_a_year_grid():
    values = np.random.default_rng(1).standard_normal((500, 12)).cumsum(axis=1)
    assert np.array_equal(
        percentiles(values, (5, 25, 75, 95)), np.percentile(values, (5, 25, 75, 95), axis=0)
    )


def test_bands_leave_out_what_is_not_finite():
    assert bands(np.array([np.nan, np.inf, 1.0, 2.0, 3.0])) == {"p10": 1.2, "p50": 2.0, "p90": 2.8}
    assert bands(np.array([np.nan])) == {"p10": None, "p50": None, "p90": None}


@pytest.mark.parametrize("n", [1, 2, 10, 1000])
def test_constant_columns_are_numpys_bit_for_bit(n):
    """Columns whose values are all the same (zero, negative zero, a fixed amount) are not sorted:
    the same numbers as numpy's, sign of zero included, beside columns that are."""
    rng = np.random.default_rng(n)
    values = np.column_stack(
        [np.zeros(n), np.full(n, -0.0), np.full(n, 3.5e9), rng.standard_normal(n), np.full(n, -2.0)]
    )
    mixed = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # equal values, different bits: sorted
    expected = np.percentile(values, (10, 50, 90), axis=0)
    got = percentiles(np.column_stack([values, mixed]))
    assert got.shape == (3, 6)
    assert got[:, :5].tobytes() == expected.tobytes()
    assert np.array_equal(got[:, 5], np.zeros(3))
    assert percentiles(np.full((n, 2, 3), 7.0)).tobytes() == np.full((3, 2, 3), 7.0).tobytes()


def test_a_column_constant_only_on_the_sampled_draws_is_partitioned():
    """Constant columns are looked for on every 97th draw, then checked on all: a column that
    differs only between the sampled draws, or only in the sign of a zero, is not taken as
    constant."""
    n = 2001
    rng = np.random.default_rng(7)
    values = np.zeros((n, 4))
    values[:, 0] = 1.0
    values[::97, 0] = 0.0  # zero on the sampled draws 0, 97, 194, ... only: mostly one
    values[5, 1] = -5.0
    values[:, 2] = 2.5
    values[rng.random(n) < 0.5, 3] = -0.0  # zeros of both signs
    expected = np.percentile(values, (10, 50, 90), axis=0)
    got = percentiles(values)
    assert got[:, :3].tobytes() == expected[:, :3].tobytes()
    assert np.array_equal(got[:, 3], np.zeros(3))
    values[97::97, 0] = 1.0  # now the sample differs from the first draw too
    assert percentiles(values).tobytes() == np.percentile(values, (10, 50, 90), axis=0).tobytes()


def test_columns_repeating_the_one_before_are_numpys_bit_for_bit():
    """A column the same as the one before it, bit for bit, takes that one's order statistics (a
    running figure that stops moving); one that differs only between the sampled draws, or only in
    the sign of its zeros, is partitioned."""
    n = 2001
    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.standard_normal((n, 4)) * 1e9, axis=1)
    off = walk[:, -1].copy()
    off[[95, 96, 98, 99, 100]] = -1e13  # the same as the column before on every 97th draw only
    mixed = np.where(rng.random(n) < 0.5, 0.0, -0.0)  # zeros of both signs, then each flipped
    values = np.column_stack([walk, walk[:, -1], off, off, np.zeros(n), mixed, -mixed, -mixed, walk[:, 0]])
    expected = np.percentile(values, (10, 50, 90), axis=0)
    assert percentiles(values).tobytes() == expected.tobytes()
    by_year = values.reshape(n, 2, 6)  # (draw, party, year): the columns in order, flat
    assert percentiles(by_year).tobytes() == np.percentile(by_year, (10, 50, 90), axis=0).tobytes()


def test_median_se_reads_the_draws_around_the_median_not_the_band():
    from gigawatt.compare import band_median_se
    from gigawatt.finance.flows import median_se

    rng = np.random.default_rng(0)
    normal = rng.normal(size=4000)
    # about 1.2533 sigma / sqrt(n) for a normal sample
    assert median_se(normal) == pytest.approx(1.2533 / np.sqrt(4000), rel=0.15)
    # half the draws at 0, half spread over (0.2, 0.4): the median sits at the edge of a gap, and
    # seeds move it far more than the P10-P90 band's normal approximation says
    gap = np.where(rng.random(4000) < 0.5, 0.0, rng.uniform(0.2, 0.4, 4000))
    band = dict(zip(("p10", "p50", "p90"), np.percentile(gap, [10, 50, 90]), strict=True))
    assert median_se(gap) > 5 * band_median_se(band, 4000)
