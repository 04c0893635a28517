"""Unit parsing at the file boundary.

Scenario and catalog files carry quantities as strings with units (``"1.2 GW"``,
``"$300B"``, ``"18 months"``). This module turns them into plain floats in the
canonical unit of a *kind* (``power`` → MW, ``money`` → USD, ``duration`` →
weeks …). Nothing inside the package sees a unit string or a pint object.

Dates (``2026-06-30``, ``2026Q3``, ``2026H2``, ``2026``) become float days since
1970-01-01; a period stands for its last day ("by 2026Q3" = by 2026-09-30).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pint

__all__ = [
    "DAYS_PER_YEAR",
    "HOURS_PER_YEAR",
    "WEEKS_PER_YEAR",
    "WEEKS_PER_GREGORIAN_YEAR",
    "KINDS",
    "UnitError",
    "has_unit",
    "parse",
    "parse_date",
    "date_from_days",
    "days_from_date",
    "format_date",
]


#: Days in a mean Julian year (365.25 d): the year of every rate "per year" in gigawatt, and
#: pint's ``year`` (IAU; https://www.iau.org/static/resolutions/IAU1976_French.pdf, units).
DAYS_PER_YEAR = 365.25
#: Hours in a Julian year (365.25 d × 24 h), for energy per year at a load factor.
HOURS_PER_YEAR = 8766.0
#: Weeks in a Julian year (365.25 / 7), the engine's and the finance calendar's year.
WEEKS_PER_YEAR = DAYS_PER_YEAR / 7
#: Days in a mean month of the Julian year (365.25 / 12 = 30.4375), the grid of monthly series.
DAYS_PER_MONTH = DAYS_PER_YEAR / 12
#: Weeks in a mean Gregorian year (365.2425 d / 7 = 52.1775; ISO 8601's calendar). Used where
#: the planner and the CLI turn weeks into quarters, months or years; 0.02% shorter than
#: :data:`WEEKS_PER_YEAR` (kept as written so that plans and figures stay the same).
WEEKS_PER_GREGORIAN_YEAR = 52.1775


class UnitError(ValueError):
    """A value that cannot be read as the expected kind of quantity."""


@dataclass(frozen=True)
class Kind:
    """A kind of quantity: its canonical unit and an example for messages."""

    canonical: str
    example: str


#: Kinds of quantity a file may hold, with the canonical unit each becomes.
KINDS: dict[str, Kind] = {
    "power": Kind("MW", '"1.2 GW"'),
    "unit_power": Kind("W", '"1400 W"'),
    "energy": Kind("MWh", '"8.7 TWh"'),
    "money": Kind("USD", '"$300B"'),
    "duration": Kind("week", '"18 months"'),
    "memory": Kind("GB", '"192 GB"'),
    "flops": Kind("FLOP/s", '"2.5 PFLOP/s"'),
    "money_per_power": Kind("USD/kW", '"$600/kW"'),
    "money_per_energy": Kind("USD/MWh", '"$66/MWh"'),
    "money_per_power_it": Kind("USD/MW", '"$11.7M/MW"'),
    "money_per_area": Kind("USD/acre", '"$244k/acre"'),
    "build_rate": Kind("MW/week", '"1 GW/week"'),
    "area": Kind("acre", '"875 acre"'),
    "count": Kind("", "400000"),
    "fraction": Kind("", "0.3 or 30%"),
    "number": Kind("", "1.15"),
}

_SCALE = {
    "": 1.0,
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mm": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "t": 1e12,
    "tn": 1e12,
    "trillion": 1e12,
}
_MONEY = re.compile(
    r"^\s*(?P<sign>-)?\s*(?:US)?\$\s*(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*"
    r"(?P<scale>thousand|million|billion|trillion|mn|mm|bn|tn|[kKmMbBtT])?\b\s*(?P<rest>.*)$"
)
_COUNT = re.compile(
    r"^\s*(?P<num>[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*"
    r"(?P<scale>thousand|million|billion|[kKM])?\s*$"
)
# pint treats information as dimensionless (and "B" as the bel), so memory is read here.
_MEMORY = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[KMGTP]i?B)\s*$")
_MEMORY_GB = {
    "KB": 1e-6,
    "MB": 1e-3,
    "GB": 1.0,
    "TB": 1e3,
    "PB": 1e6,
    "KiB": 2**10 / 1e9,
    "MiB": 2**20 / 1e9,
    "GiB": 2**30 / 1e9,
    "TiB": 2**40 / 1e9,
    "PiB": 2**50 / 1e9,
}
_PERCENT = re.compile(r"^\s*(?P<num>-?[0-9]+(?:\.[0-9]+)?)\s*%\s*$")


# Conversion factors to each kind's canonical unit for the unit spellings scenario and catalog
# files use, so reading them needs no pint (importing pint and building its registry takes
# about a second). Each factor is exactly pint's own (test_units checks every one against
# pint's conversion factor, and the parsed floats bit for bit); any other spelling goes to pint.
_FAST_FACTORS: dict[tuple[str, str], float] = {
    ("power", "W"): 1e-06,
    ("power", "kW"): 0.001,
    ("power", "MW"): 1.0,
    ("power", "GW"): 1000.0,
    ("power", "TW"): 1000000.0,
    ("unit_power", "W"): 1.0,
    ("unit_power", "kW"): 1000.0,
    ("unit_power", "MW"): 1000000.0,
    ("energy", "kWh"): 0.001,
    ("energy", "MWh"): 1.0,
    ("energy", "GWh"): 1000.0,
    ("energy", "TWh"): 1000000.0,
    ("duration", "day"): 0.14285714285714285,
    ("duration", "days"): 0.14285714285714285,
    ("duration", "week"): 1.0,
    ("duration", "weeks"): 1.0,
    ("duration", "month"): 4.348214285714286,
    ("duration", "months"): 4.348214285714286,
    ("duration", "year"): 52.17857142857142,
    ("duration", "years"): 52.17857142857142,
    ("flops", "FLOP/s"): 1.0,
    ("flops", "GFLOP/s"): 1e9,
    ("flops", "TFLOP/s"): 1e12,
    ("flops", "PFLOP/s"): 1e15,
    ("flops", "EFLOP/s"): 1e18,
    ("build_rate", "MW/week"): 1.0,
    ("build_rate", "GW/week"): 1000.0,
    ("area", "acre"): 1.0,
    ("area", "acres"): 1.0,
    ("money", ""): 1.0,
    ("money_per_power", "/kW"): 1.0,
    ("money_per_power", "/MW"): 0.001,
    ("money_per_energy", "/kWh"): 1000.0,
    ("money_per_energy", "/MWh"): 1.0,
    ("money_per_power_it", "/MW"): 1.0,
    ("money_per_power_it", "/kW"): 1000.0,
    ("money_per_area", "/acre"): 1.0,
}
#: The unit as written after a quantity's number ("0.9 GB" → "GB").
_UNIT_WRITTEN = re.compile(r"^\s*[-+]?[0-9][0-9,]*(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\s*(?P<unit>\S.*?)\s*$")
_PLAIN = re.compile(r"^\s*(?P<num>[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)\s*(?P<unit>[A-Za-z/]+)\s*$")


def _fast(text: str, kind: str) -> float | None:
    """``text`` in the canonical unit of ``kind`` when it is a number and a common unit, else None."""
    money = _MONEY.match(text)
    if money:
        factor = _FAST_FACTORS.get((kind, money["rest"].strip().replace(" ", "")))
        if factor is None:
            return None
        number = float(money["num"].replace(",", "")) * _SCALE[(money["scale"] or "").lower()]
        return (-number if money["sign"] else number) * factor
    plain = _PLAIN.match(text)
    if plain is None or kind.startswith("money"):
        return None
    factor = _FAST_FACTORS.get((kind, plain["unit"]))
    return None if factor is None else float(plain["num"]) * factor


@lru_cache(maxsize=1)
def _registry() -> pint.UnitRegistry[Any]:
    import pint  # noqa: PLC0415 (about a second to import and build; only for rare unit spellings)

    ureg: pint.UnitRegistry[Any] = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
    ureg.define("FLOP = [computation] = flop")
    ureg.define("USD = [currency] = usd = dollar")
    return ureg


def _quantity(text: str) -> pint.Quantity[Any]:
    import pint  # noqa: PLC0415 (see _registry)

    ureg = _registry()
    money = _MONEY.match(text)
    if money:
        number = float(money["num"].replace(",", "")) * _SCALE[(money["scale"] or "").lower()]
        number = -number if money["sign"] else number
        rest = money["rest"].strip()
        text = f"{number!r} USD {rest}" if rest else f"{number!r} USD"
    try:
        return ureg.Quantity(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError) as exc:
        raise UnitError(f"unknown unit in {text!r}: {exc}") from None
    except Exception:  # pint's parser raises assorted errors on garbage
        raise UnitError(f"cannot read {text!r} as a quantity") from None


def _number(value: object, kind: str) -> float:
    if isinstance(value, bool):
        raise UnitError(f"expected a {kind}, got a boolean")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        pct = _PERCENT.match(value)
        count = _COUNT.match(value)
        if pct and kind == "fraction":
            number = float(pct["num"]) / 100
        elif count:
            number = float(count["num"].replace(",", "")) * _SCALE[(count["scale"] or "").lower()]
        else:
            try:
                number = float(value)
            except ValueError:
                raise UnitError(
                    f"expected a plain {kind} like {KINDS[kind].example}, got {value!r}"
                ) from None
    else:
        raise UnitError(f"expected a {kind}, got {type(value).__name__}")
    if not math.isfinite(number):
        raise UnitError(f"expected a finite {kind}, got {value!r}")
    return number


def parse(value: object, kind: str) -> float:
    """Read ``value`` as a quantity of ``kind`` and return it in the canonical unit.

    >>> parse("1.2 GW", "power")
    1200.0
    >>> parse("$40 billion", "money")
    40000000000.0
    """
    if kind not in KINDS:
        raise KeyError(f"unknown quantity kind {kind!r}")
    spec = KINDS[kind]
    if not spec.canonical:
        return _number(value, kind)
    if kind == "memory":
        memory = _MEMORY.match(value) if isinstance(value, str) else None
        if not memory:
            raise UnitError(f"expected a memory size like {spec.example}, got {value!r}")
        return float(memory["num"]) * _MEMORY_GB[memory["unit"]]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise UnitError(f"expected a {kind} like {spec.example}, got {type(value).__name__}")
    if not isinstance(value, str):
        raise UnitError(f"{value!r} has no unit: write a {kind} with its unit, like {spec.example}")
    fast = _fast(value, kind)
    if fast is not None and math.isfinite(fast):
        return fast
    quantity = _quantity(value)
    if quantity.dimensionless:
        written = _UNIT_WRITTEN.match(value)
        if written and str(quantity.units) != "dimensionless":  # pint's bytes, %, dB: no dimension
            raise UnitError(f"unknown unit {written['unit']!r} for a {kind}: write it like {spec.example}")
        raise UnitError(f"{value!r} has no unit: write a {kind} with its unit, like {spec.example}")
    ureg = _registry()
    target = ureg.Unit(spec.canonical)
    if quantity.dimensionality != target.dimensionality:
        raise UnitError(f"{value!r} is {_describe(quantity)}, not {kind}: write it like {spec.example}")
    number = float(quantity.to(target).magnitude)
    if not math.isfinite(number):
        raise UnitError(f"{value!r} is not a finite {kind}")
    return number


def has_unit(text: str) -> bool:
    """Whether ``text`` reads as a quantity with a known, non-dimensionless unit."""
    try:
        return not _quantity(text).dimensionless
    except UnitError:
        return False


def _describe(quantity: pint.Quantity[Any]) -> str:
    for name, spec in KINDS.items():
        if spec.canonical and quantity.dimensionality == _registry().Unit(spec.canonical).dimensionality:
            return name
    return f"in {quantity.units:~}"


_EPOCH = dt.date(1970, 1, 1)
_PERIOD = re.compile(r"^\s*(?P<year>\d{4})(?:\s*(?P<half>H[12])|\s*(?P<quarter>Q[1-4]))?\s*$", re.I)


def days_from_date(date: dt.date) -> float:
    """Days since 1970-01-01."""
    return float((date - _EPOCH).days)


def date_from_days(days: float) -> dt.date:
    """Inverse of :func:`days_from_date` (rounded down to a whole day)."""
    return _EPOCH + dt.timedelta(days=math.floor(days))


def format_date(days: float) -> str:
    """ISO date for a float day count; ``"never"`` for non-finite values."""
    return date_from_days(days).isoformat() if math.isfinite(days) else "never"


def parse_date(value: object) -> float:
    """Read a date (``2026-06-30``, ``2026Q3``, ``2026H2``, ``2026``) as days since 1970.

    Periods stand for their last day.
    """
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return days_from_date(value)
    if isinstance(value, int) and not isinstance(value, bool) and 1900 <= value <= 2200:
        return days_from_date(dt.date(value, 12, 31))
    if not isinstance(value, str):
        raise UnitError(f"expected a date like 2026-06-30 or 2026Q3, got {value!r}")
    period = _PERIOD.match(value)
    if period:
        year = int(period["year"])
        if period["quarter"]:
            month = 3 * int(period["quarter"][1])
        elif period["half"]:
            month = 6 * int(period["half"][1])
        else:
            month = 12
        last = calendar.monthrange(year, month)[1]
        return days_from_date(dt.date(year, month, last))
    try:
        return days_from_date(dt.date.fromisoformat(value.strip()))
    except ValueError:
        raise UnitError(f"expected a date like 2026-06-30 or 2026Q3, got {value!r}") from None
