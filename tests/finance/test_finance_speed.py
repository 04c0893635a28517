"""The faster money paths (issue 13, item 7) give, bit for bit, what the plain computations give."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from gigawatt.finance import settle, simulate_money
from gigawatt.finance.capacity import DAYS_PER_YEAR, Capacity, _scatter, finance_edges, overlap_days
from gigawatt.finance.contracts import _leased_mw, _periods_touched, _running_total, at_period, contract_flows
from gigawatt.finance.covenants import CovenantTerms, _after_breach, _reserve, _schedule
from gigawatt.finance.flows import _median_over_draws
from gigawatt.finance.model import _growth_factor, buildout, money_parameters
from gigawatt.finance.quantiles import percentiles
from gigawatt.sampling import collect, sample
from gigawatt.scenario import Contract, load_scenario
from gigawatt.units import parse_date

EDGES = finance_edges(parse_date("2026-01-01"), parse_date("2031-12-31"), "quarter")
DAYS = st.one_of(st.floats(EDGES[0] - 400, EDGES[-1] + 400), st.just(np.inf))


@pytest.fixture(scope="module")
def money():
    scenario = load_scenario("stargate")
    return simulate_money(scenario, buildout(scenario, 400, 3), 3)


@settings(max_examples=200, deadline=None)
@given(
    arrays(np.int64, (5, 3), elements=st.integers(0, 6)),
    arrays(np.float64, (5, 3), elements=st.floats(-1e9, 1e9)),
)
def test_a_scatter_event_by_event_adds_as_bincount_does(column, value):
    width = 7
    flat = (np.arange(5)[:, None] * width + column).ravel()
    expected = np.bincount(flat, weights=value.ravel(), minlength=5 * width).reshape(5, width)
    assert np.array_equal(_scatter(column, value, width), expected)
    scratch = np.zeros((5, width))
    assert _scatter(column, value, width, scratch) is scratch
    assert np.array_equal(scratch, expected)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(DAYS, st.floats(0, 3000)), min_size=1, max_size=6))
def test_no_day_of_any_draw_falls_outside_the_periods_touched(spans):
    begin = np.array([b for b, _ in spans])
    end = begin + np.array([length for _, length in spans])
    lo, hi = _periods_touched(EDGES, begin, end)
    days = overlap_days(EDGES, begin, end)
    outside = np.ones(len(EDGES) - 1, bool)
    outside[lo:hi] = False
    assert not days[:, outside].any()


def test_a_lease_over_the_periods_touched_pays_what_every_period_would():
    contract = Contract.model_validate(
        {"kind": "lease", "payer": "a", "payee": "b", "price_per_mw_month": "$100k/MW",
         "term": "2 years", "escalator": 0.03}
    )  # fmt: skip
    first, second, third = (parse_date(d) for d in ("2027-05-16", "2028-02-01", "2029-07-01"))
    dates = np.array([[first, np.inf], [second, third]])
    mw = np.array([[100.0, 50.0], [80.0, 20.0]])
    p = sample(collect({"c": contract}, "contracts"), 0, 0, 2)
    result = contract_flows("c", contract, p, Capacity(dates, mw, mw * 400.0), EDGES)
    (flow,) = result.flows
    # the plain sum over every period of every phase
    term = p["contracts.c.term"] * 7.0
    rate = p["contracts.c.price_per_mw_month"][:, None] * mw / (365.25 / 12)
    mid = (EDGES[:-1] + EDGES[1:]) / 2
    expected = np.zeros(flow.amount_usd.shape)
    for e in range(2):
        days = overlap_days(EDGES, dates[:, e], dates[:, e] + term)
        years = np.floor(np.maximum((mid - dates[:, e, None]) / 365.25, 0.0))
        expected += days * rate[:, e, None] * (1 + p["contracts.c.escalator"][:, None]) ** years
    assert np.array_equal(flow.amount_usd, expected)
    assert flow.amount_usd[0, :5].sum() == 0.0 and flow.amount_usd[0, 5] > 0  # online in 2027-Q2
    # covered MW, worked out when read: each phase's MW times the share of the period leased
    covered = result.covered_mw
    assert covered is result.covered_mw  # once
    assert np.array_equal(covered, _leased_mw(Capacity(dates, mw, mw), EDGES, term, None))
    share = overlap_days(EDGES, dates[:, 0], dates[:, 0] + term) / np.diff(EDGES)
    assert covered[0] == pytest.approx(100.0 * share[0])  # the second phase never comes online


def test_settlement_keeps_every_payment_that_differs_from_the_schedule(money):
    s = settle(money)
    cells = set(zip(s.changed_draw.tolist(), s.changed_period.tolist(), strict=True))
    assert len(cells) == s.changed_draw.size > 0  # each cell once
    assert set(s.changed_draw.tolist()) <= set(s.settled.tolist())
    paid = s.paid
    chosen = np.nonzero(s.scaled)[0]
    for j, e in enumerate(chosen):
        differs = np.argwhere(paid.amounts[e] != s.scheduled.amounts[e])
        assert {tuple(x) for x in differs.tolist()} <= cells
        assert np.array_equal(paid.amounts[e][s.changed_draw, s.changed_period], s.changed_paid_usd[j])
    unscaled = np.nonzero(~s.scaled)[0]
    assert all(paid.amounts[e] is s.scheduled.amounts[e] for e in unscaled)


def test_what_was_paid_late_in_the_changed_cells_is_the_whole_schedule_less_the_whole_payments(money):
    """``late_usd`` sums only the changed cells: bit for bit the (draw, period) sums' difference there
    (what stress's exposure read before), which is zero in every other cell."""
    s = settle(money)
    cells = (s.changed_draw, s.changed_period)
    where = np.cumsum(s.scaled) - 1
    for party in ("oracle", "nvidia", "crusoe", "openai"):
        mask = (s.scheduled.payee == party) & s.scaled
        if not mask.any():
            continue
        scheduled = s.scheduled.sum(mask)
        paid = scheduled.copy()
        sums = paid[cells]
        for e in np.nonzero(mask)[0]:
            sums += s.changed_paid_usd[where[e]] - s.scheduled.amounts[e][cells]
        paid[cells] = sums
        whole = scheduled - paid
        assert s.late_usd(mask).tobytes() == whole[cells].tobytes()
        outside = np.ones(whole.shape, bool)
        outside[cells] = False
        assert not whole[outside].any()


def test_positions_worked_out_when_read_are_the_formulas(money):
    for name, r in money.results.items():
        contract = money.scenario.contracts[name]
        if contract.kind == "investment" and contract.valuation_usd is not None:
            paid = money.book.sum((money.book.contract == name) & (money.book.kind == "equity"))
            valuation = money.parameters[f"contracts.{name}.valuation"]
            assert np.array_equal(r.stake_fraction, np.cumsum(paid, axis=1) / valuation[:, None])
        elif contract.kind not in ("lease", "compute"):
            assert r.covered_mw is None and r.stake_fraction is None


def test_rpo_worked_out_when_read_is_the_running_total_of_what_is_recognised(money):
    computes = [n for n, c in money.scenario.contracts.items() if c.kind == "compute"]
    assert computes
    year_ends = np.array([3, 7, 11, len(money.edges) - 2])
    for name in computes:
        r, base = money.results[name], f"contracts.{name}"
        before = r.rpo_at(year_ends)  # worked out at those periods only: rpo_usd not yet read
        assert "rpo_usd" not in r.__dict__
        assert before.tobytes() == np.ascontiguousarray(r.rpo_usd[:, year_ends]).tobytes()
        assert r.rpo_at(year_ends).tobytes() == before.tobytes()  # read from rpo_usd now
        value, edges = money.parameters[f"{base}.value"], money.edges
        ends = money.parameters[f"{base}.start"] + money.parameters[f"{base}.term"] * 7.0
        cum = np.cumsum(r.recognised_usd, axis=1)
        if money.scenario.contracts[name].term_from != "online":
            expected = at_period(ends, value - cum[:, -1], edges) * (ends < edges[-1])[:, None]
            assert r.rpo_lapsed_usd.tobytes() == expected.tobytes()
        live = r.rpo_usd != 0
        assert np.array_equal(r.rpo_usd[live], (value[:, None] - cum)[live])


@settings(max_examples=200, deadline=None)
@given(arrays(np.float64, (6, 9), elements=st.one_of(st.floats(-1e12, 1e12), st.just(-0.0))))
def test_a_running_total_is_the_last_of_numpys_running_sums(values):
    assert _running_total(values).tobytes() == np.cumsum(values, axis=1)[:, -1].tobytes()


def test_fixed_money_terms_are_the_numbers_sample_fills_without_memory_per_draw(money):
    wanted = money_parameters(money.scenario)
    fixed = [k for k, d in wanted.items() if d.is_fixed]
    assert fixed and len(fixed) < len(wanted)
    drawn = sample({k: wanted[k] for k in fixed[:50]}, 3, 0, 400)
    for k in fixed[:50]:
        got = money.parameters[k]
        assert got.strides == (0,) and not got.flags.writeable
        assert got.dtype == drawn[k].dtype and np.ascontiguousarray(got).tobytes() == drawn[k].tobytes()
    assert list(money.parameters)[: len(wanted)] == list(wanted)  # the order sample gives


def test_covered_mw_in_some_cells_is_those_cells_of_the_whole(money):
    s = settle(money)
    cells = (s.changed_draw, s.changed_period)
    covering = [r for r in money.results.values() if r.covered is not None]
    assert covering and cells[0].size
    for r in covering:
        assert np.array_equal(r.covered(cells), r.covered_mw[cells])


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.sampled_from(["accelerate", "sweep"]))
def test_re_serving_only_the_draws_that_breach_is_re_serving_every_draw(seed, on_breach):
    """The draws that never breach keep their schedule, and their balance is the running sum the
    period loop would give them: bit for bit what re-serving every draw gives."""
    rng = np.random.default_rng(seed)
    draws, periods = 9, 14
    drawn = np.where(rng.random((draws, periods)) < 0.3, rng.uniform(0, 1e9, (draws, periods)), 0.0)
    repaid = np.clip(np.cumsum(rng.uniform(0, 0.15, (draws, periods)), axis=1), 0, 1)
    rate = rng.uniform(0, 0.03, (draws, 1))
    interest, principal, balance = _schedule(drawn, repaid, rate)
    operating = rng.normal(1e8, 3e8, (draws, periods))
    first = rng.integers(-1, periods, draws)
    first[0] = -1  # one draw at least never breaches
    after = (first[:, None] >= 0) & (np.arange(periods)[None, :] > first[:, None])
    if on_breach == "accelerate":
        drawn = np.where(after, 0.0, drawn)
    share = rng.uniform(0, 1, draws)
    every = _reserve(
        drawn.T, interest.T, principal.T, np.broadcast_to(rate, drawn.shape).T, operating.T, after.T,
        first, on_breach, share,
    )  # fmt: skip
    got = _after_breach(
        drawn, interest.copy(), principal.copy(), balance.copy(), rate, operating, after, first,
        CovenantTerms(on_breach=on_breach, sweep_share=share),
    )  # fmt: skip
    for whole, part in zip(every[:3], got[:3], strict=True):
        assert np.ascontiguousarray(whole.T).tobytes() == np.ascontiguousarray(part).tobytes()
    assert every[3].tobytes() == got[3].tobytes() and every[4].tobytes() == got[4].tobytes()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_revenue_growth_raised_only_before_it_stops_is_every_cell_raised(seed):
    rng = np.random.default_rng(seed)
    draws = 6
    mid = (EDGES[:-1] + EDGES[1:]) / 2
    start = rng.uniform(EDGES[0] - 800, EDGES[-1], (draws, 1))
    until = np.where(rng.random((draws, 1)) < 0.2, np.inf, rng.uniform(EDGES[0], EDGES[-1] + 200, (draws, 1)))
    years = np.clip((np.minimum(mid, until) - start) / DAYS_PER_YEAR, 0, None)
    growth = 1 + rng.uniform(-0.2, 1.5, (draws, 1))
    got = _growth_factor(growth, years, mid >= until, start, until)
    assert got.tobytes() == (growth**years).tobytes()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 40))
def test_a_flow_matrix_median_over_its_used_cells_is_numpys(seed, draws):
    """The money graph's median is worked out in the cells some draw uses: bit for bit
    ``np.median`` over every cell, negative zeros and ties included."""
    rng = np.random.default_rng(seed)
    values = np.zeros((draws, 4, 4))
    values[:, 0, 1] = rng.lognormal(20, 2, draws)
    values[:, 2, 3] = np.round(rng.standard_normal(draws), 1)  # ties, zeros
    values[:, 1, 2] = -0.0  # a cell of negative zeros is worked out (np.median gives +0.0 there)
    values[:, 3, 0] = np.where(rng.random(draws) < 0.5, 1e9, 0.0)
    assert _median_over_draws(values).tobytes() == np.median(values, axis=0).tobytes()


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(1, 60))
def test_percentiles_of_the_values_that_are_not_nan_are_nanpercentile(seed, draws):
    rng = np.random.default_rng(seed)
    column = np.where(rng.random(draws) < 0.3, np.nan, rng.standard_normal(draws))
    column[0] = 0.5  # one value at least
    expected = np.nanpercentile(column, [10, 50, 90])
    assert percentiles(column[~np.isnan(column)]).tobytes() == expected.tobytes()
