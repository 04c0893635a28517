"""Pydantic field types that read unit strings and distributions at the file boundary.

Use as ``power_mw: Annotated[float, unit("power")] = Field(alias="power")`` or
``online: Annotated[Dist, uncertain("date")]``, or one of the shared types at the end
(``online: Date``, ``capex_usd: Money``): every schema reads a kind of quantity one way.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainValidator

from gigawatt import distributions, limits, units
from gigawatt.distributions import Dist


class Model(BaseModel):
    """Base for file-backed models: strict about unknown keys, frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def read_leaf(value: Any, kind: str, minimum: float | None = None, bound: str | None = None) -> float:
    """One number of ``kind`` (``"date"`` for dates) in canonical units, inside the range
    :data:`gigawatt.limits.RANGES` gives for ``bound`` (default: for ``kind``)."""
    number = units.parse_date(value) if kind == "date" else units.parse(value, kind)
    if minimum is not None and number < minimum:
        raise ValueError(f"must be >= {minimum:g}, got {value!r}")
    limits.check(bound or kind, number)
    return number


@cache
def unit(kind: str, minimum: float | None = None, bound: str | None = None) -> BeforeValidator:
    """Validator reading a float from a string in units of ``kind``."""
    return BeforeValidator(lambda value: read_leaf(value, kind, minimum, bound))


@cache
def uncertain(kind: str, minimum: float | None = None, bound: str | None = None) -> PlainValidator:
    """Validator reading a :class:`Dist` from a value or a distribution mapping; ``bound``
    names the :data:`gigawatt.limits.RANGES` entry its values must lie in (default ``kind``)."""

    def read(value: Any) -> Dist:
        if isinstance(value, Dist):
            return value
        return distributions.parse(value, lambda leaf: read_leaf(leaf, kind, minimum, bound))

    return PlainValidator(read)


def as_list(value: Any) -> Any:
    """Accept one item where a list is expected (``source: x`` → ``[x]``)."""
    return [value] if isinstance(value, str) else value


SourceIds = Annotated[list[str], BeforeValidator(as_list)]

# Uncertain quantities (a value or a distribution), each in the canonical unit of its kind.
Power = Annotated[Dist, uncertain("power", 0.0)]
Compute = Annotated[Dist, uncertain("flops", 0.0)]
Money = Annotated[Dist, uncertain("money", 0.0)]
Duration = Annotated[Dist, uncertain("duration", 0.0)]
Date = Annotated[Dist, uncertain("date")]
Fraction = Annotated[Dist, uncertain("fraction", 0.0)]
Number = Annotated[Dist, uncertain("number")]
#: A yearly growth rate (0.3 = +30%/yr), above -100%/yr (see gigawatt.limits).
Growth = Annotated[Dist, uncertain("number", None, "growth")]
#: A yearly interest rate (0.05 = 5%/yr), under 100%/yr (see gigawatt.limits).
Rate = Annotated[Dist, uncertain("fraction", 0.0, "rate")]
