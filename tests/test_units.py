import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gigawatt import units


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("1.2 GW", "power", 1200.0),
        ("360 MW", "power", 360.0),
        ("1400 W", "unit_power", 1400.0),
        ("$300B", "money", 300e9),
        ("$40 billion", "money", 40e9),
        ("$3.2M", "money", 3.2e6),
        ("$40k", "money", 40e3),
        ("18 months", "duration", 18 * 365.25 / 12 / 7),
        ("5.5 years", "duration", 5.5 * 365.25 / 7),
        ("128 weeks", "duration", 128.0),
        ("$600/kW", "money_per_power", 600.0),
        ("$66/MWh", "money_per_energy", 66.0),
        ("$11.7M/MW", "money_per_power_it", 11.7e6),
        ("2.5 PFLOP/s", "flops", 2.5e15),
        ("192 GB", "memory", 192.0),
        ("8.7 TWh", "energy", 8.7e6),
        ("1 GW/week", "build_rate", 1000.0),
        ("30%", "fraction", 0.3),
        ("1.2 million", "count", 1.2e6),
    ],
)
def test_parse_each_kind(text, kind, expected):
    assert units.parse(text, kind) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("text", "kind", "message"),
    [
        ("1.2 GWh", "power", "is energy, not power"),
        ("1200", "power", "has no unit"),
        ("1.2 XW", "power", "unknown unit"),
        ("0.9 GB", "power", "unknown unit 'GB' for a power"),
        ("$5", "power", "is money, not power"),
        ("nan GW", "power", "not a finite"),
    ],
)
def test_parse_rejects(text, kind, message):
    with pytest.raises(units.UnitError, match=message):
        units.parse(text, kind)


def test_periods_are_their_last_day():
    assert units.format_date(units.parse_date("2026Q3")) == "2026-09-30"
    assert units.format_date(units.parse_date("2026H2")) == "2026-12-31"
    assert units.format_date(units.parse_date("2026H1")) == "2026-06-30"
    assert units.format_date(units.parse_date("2026-02-14")) == "2026-02-14"
    assert units.format_date(math.inf) == "never"


_PREFIX = {"": 1.0, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}
_KIND_UNITS = {
    "power": ("W", 1e-6),
    "energy": ("Wh", 1e-6),
    "unit_power": ("W", 1.0),
    "flops": ("FLOP/s", 1.0),
}


@given(
    value=st.floats(min_value=1e-3, max_value=1e6, allow_nan=False),
    prefix=st.sampled_from(sorted(_PREFIX)),
    kind=st.sampled_from(sorted(_KIND_UNITS)),
)
def test_every_dimension_parses_with_any_prefix(value, prefix, kind):
    unit, to_canonical = _KIND_UNITS[kind]
    parsed = units.parse(f"{value!r} {prefix}{unit}", kind)
    assert parsed == pytest.approx(value * _PREFIX[prefix] * to_canonical, rel=1e-9)


@given(st.floats(min_value=0, max_value=1e13, allow_nan=False))
def test_money_round_trips(value):
    assert units.parse(f"${value!r}", "money") == pytest.approx(value, rel=1e-12, abs=1e-9)


@given(st.dates(min_value=__import__("datetime").date(1990, 1, 1)))
def test_dates_round_trip(date):
    assert units.date_from_days(units.parse_date(date.isoformat())) == date
