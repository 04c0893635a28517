"""Bounds on what an input may say, in one place.

A value outside these bounds is not an opinion about the future but a typing
mistake or an attack: each is refused with a located error at the file boundary.

- YAML aliases: a document may use at most :data:`MAX_YAML_ALIASES` aliases and
  expand to at most :data:`MAX_YAML_NODES` nodes (a "billion laughs" document of
  a few hundred bytes otherwise expands to billions of values).
- Numbers: :data:`RANGES` maps a quantity kind to the closed interval a value of
  that kind must lie in, in the canonical unit the kind is read into
  (:mod:`gigawatt.units`).
"""

from __future__ import annotations

from dataclasses import dataclass

from gigawatt.units import HOURS_PER_YEAR, WEEKS_PER_GREGORIAN_YEAR

__all__ = [
    "MAX_YAML_ALIASES",
    "MAX_YAML_NODES",
    "PLANETARY_POWER_MW",
    "RANGES",
    "TIMELINE_YEARS",
    "Range",
    "check",
]

#: Most aliases (``*name``) in one YAML document; the built-in files use none.
MAX_YAML_ALIASES = 1_000
#: Most values (scalars, lists, mappings) one YAML document may expand to, aliases
#: counted each time they are used. The largest built-in file has about 2,800.
MAX_YAML_NODES = 200_000

#: World electricity generation capacity, about 9,000 GW in 2023 (IEA, World Energy
#: Outlook 2024, https://www.iea.org/reports/world-energy-outlook-2024), times 100:
#: no single buildout, site or demand stream can exceed it.
PLANETARY_POWER_MW = 9.0e8
#: World GDP, about $105 trillion in 2023 (IMF, World Economic Outlook, October 2024),
#: times 1,000: a bound on any one amount of money.
PLANETARY_MONEY_USD = 1.05e17
#: 100 years (a lease, loan or build longer than that is a typing mistake), in weeks.
MAX_TERM_WEEKS = 100 * WEEKS_PER_GREGORIAN_YEAR
#: The years a row of a campus's build history (Epoch's timelines) may be dated in: a date
#: outside them is a typing mistake (and year 1 once reached the engine as a traceback).
TIMELINE_YEARS = (1900, 2100)


@dataclass(frozen=True)
class Range:
    """A closed interval ``[low, high]`` and the reason for it."""

    low: float
    high: float
    why: str


#: The range of every quantity kind that has a meaningful bound, in canonical units.
RANGES: dict[str, Range] = {
    "power": Range(-PLANETARY_POWER_MW, PLANETARY_POWER_MW, "100x the world's generation capacity"),
    "energy": Range(
        -PLANETARY_POWER_MW * HOURS_PER_YEAR, PLANETARY_POWER_MW * HOURS_PER_YEAR, "100x world generation"
    ),
    "money": Range(-PLANETARY_MONEY_USD, PLANETARY_MONEY_USD, "1,000x world GDP"),
    "duration": Range(-MAX_TERM_WEEKS, MAX_TERM_WEEKS, "100 years"),
    "rate": Range(-1.0, 0.99, "a yearly interest rate is under 100%"),
    "growth": Range(-0.99, 10.0, "above -100%/yr (below, amounts turn negative) and at most +1,000%/yr"),
}


def check(kind: str, value: float) -> None:
    """Raise ``ValueError`` when ``value`` of ``kind`` lies outside its :data:`RANGES` entry."""
    bound = RANGES.get(kind)
    if bound is not None and not bound.low <= value <= bound.high:
        raise ValueError(
            f"{value:g} is outside the range of a {kind} [{bound.low:g}, {bound.high:g}] ({bound.why})"
        )
