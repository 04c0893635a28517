"""The pint-free fast path of unit parsing gives pint's own floats, bit for bit."""

import random

import pytest

from gigawatt import units


@pytest.mark.parametrize(("kind", "unit"), sorted(units._FAST_FACTORS))
def test_fast_factor_is_pints(kind, unit):
    ureg = units._registry()
    source = units._quantity(f"1 USD {unit}" if kind.startswith("money") else f"1 {unit}")
    target = ureg.Unit(units.KINDS[kind].canonical)
    assert units._FAST_FACTORS[kind, unit] == ureg._get_conversion_factor(source._units, target._units)


@pytest.mark.parametrize(("kind", "unit"), sorted(units._FAST_FACTORS))
def test_fast_parse_matches_pint_bit_for_bit(kind, unit):
    rng = random.Random(hash((kind, unit)) & 0xFFFF)
    ureg = units._registry()
    target = ureg.Unit(units.KINDS[kind].canonical)
    numbers = ["1", "0", "18", "1.2", "2.5", "1e3", "4.75", "0.01", "139"]
    numbers += [f"{rng.uniform(0, 1e4):.{rng.randint(0, 6)}f}" for _ in range(40)]
    for number in numbers:
        if kind.startswith("money"):
            for scale in ("", "k", "M", "B"):
                text = f"${number}{scale}{unit}"
                fast = units._fast(text, kind)
                assert fast is not None, text
                assert fast == units._quantity(text).to(target).magnitude, text
        else:
            text = f"{number} {unit}"
            fast = units._fast(text, kind)
            assert fast is not None, text
            assert fast == units._quantity(text).to(target).magnitude, text


@pytest.mark.parametrize(
    ("text", "kind"),
    [("1.2 furlongs", "power"), ("-3 GW", "power"), ("1,200 MW", "power"), ("$5B/fortnight", "money")],
)
def test_other_spellings_go_to_pint(text, kind):
    assert units._fast(text, kind) is None


def test_z90_is_the_normal_90th_percentile():
    from scipy import stats

    from gigawatt import distributions

    assert float(stats.norm.ppf(0.9)) == distributions._Z90
