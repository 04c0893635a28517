import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt import compute
from gigawatt.compute import ConversionError, convert

positive = st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, allow_infinity=False)


@given(facility_mw=positive, pue=st.floats(1.0, 2.0), it_power_w=st.floats(300, 5000))
def test_power_accelerators_power_round_trip(facility_mw, pue, it_power_w):
    it_mw = compute.it_mw_from_facility_mw(facility_mw, pue)
    n = compute.accelerators_from_it_mw(it_mw, it_power_w)
    back = compute.facility_mw_from_it_mw(compute.it_mw_from_accelerators(n, it_power_w), pue)
    assert back == pytest.approx(facility_mw, rel=1e-12)


def test_energy_of_one_gw_year():
    assert compute.energy_twh_per_year(1000.0, 1.0) == pytest.approx(8.766)


def test_tokens_per_second():
    # 1 PFLOP/s at full use on a 1e9-parameter model: 1e15 / 2e9 = 5e5 tokens/s
    assert compute.tokens_per_second(1e15, 1e9, 1.0) == pytest.approx(5e5)


def test_ten_gw_is_four_to_five_million_gb200():
    result = convert("10 GW", "gb200-nvl72")
    low, mid, high = result.accelerators
    assert low < mid < high
    assert 4.0e6 <= mid <= 5.2e6
    assert result.facility_mw == pytest.approx((10_000, 10_000, 10_000))
    assert result.it_mw[1] < 10_000
    total = result.capex_usd["total"][1]
    assert 30e9 * 10 <= total <= 60e9 * 10  # $30–60B per GW headline range (REFERENCE §29.5)


def test_count_form_round_trips_through_power():
    forward = convert("10 GW", "gb200-nvl72")
    mid = forward.accelerators[1]
    back = convert(f"{mid:.0f} gb200-nvl72")
    assert back.facility_mw[1] == pytest.approx(10_000, rel=2e-3)


@pytest.mark.parametrize("text", ["8 GW", "5 EFLOP/s", "40 TWh", "$300B"])
def test_every_input_kind_converts(text):
    result = convert(text, "h100")
    assert result.accelerators[1] > 0
    assert result.energy_twh_per_year[0] <= result.energy_twh_per_year[2]


def test_it_basis_gives_more_accelerators_than_facility():
    facility = convert("1 GW", "b200", basis="facility").accelerators[1]
    it = convert("1 GW", "b200", basis="it").accelerators[1]
    assert it > facility


@pytest.mark.parametrize(
    ("text", "acc", "message"),
    [
        ("10 GW", "gb200", "did you mean"),
        ("10 bananas", None, "unknown accelerator 'bananas'"),
        ("10 kg", None, "cannot read"),
        ("400000 h100", "b200", "names h100"),
    ],
)
def test_conversion_errors(text, acc, message):
    with pytest.raises(ConversionError, match=message):
        convert(text, acc)


def test_same_seed_same_answer():
    assert convert("1 GW", seed=3) == convert("1 GW", seed=3)
    assert np.isfinite(convert("1 GW").bf16_flops[1])
