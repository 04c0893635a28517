"""Scope: which capacity a target, an observation or a sum counts.

A scope selects by country, region, party (whom the capacity serves: a site's
tenant, a contracted block's party), programme and site. Every key given must
match; a key left out matches anything. ``contracted`` says whether capacity
contracted from providers (:mod:`gigawatt.contracted`) counts too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator

from gigawatt._fields import Model, as_list

__all__ = ["Scope", "Subject", "narrower"]

Names = Annotated[list[str], BeforeValidator(as_list)]

_KEYS = ("country", "region", "party", "programme", "sites")


class Subject(Model):
    """What a scope is matched against: one site's phases or one contracted block."""

    site: str = ""
    country: str = ""
    region: str = ""
    party: str = ""
    programme: str = ""


class Scope(Model):
    """A selection of capacity; each key one name or a list of names."""

    country: Names | None = None
    region: Names | None = None
    party: Names | None = None
    programme: Names | None = None
    sites: Names | None = None
    contracted: bool = True

    def matches(self, subject: Subject) -> bool:
        """Whether ``subject`` (a site or a contracted block) is inside this scope."""
        values = {
            "country": subject.country,
            "region": subject.region,
            "party": subject.party,
            "programme": subject.programme,
            "sites": subject.site,
        }
        if not subject.site and not self.contracted:
            return False
        if subject.site == "" and self.sites is not None:
            return False
        return all(getattr(self, k) is None or values[k] in getattr(self, k) for k in _KEYS)

    def select(self, subjects: Iterable[Subject]) -> list[bool]:
        return [self.matches(s) for s in subjects]

    def describe(self) -> str:
        parts = [f"{k} {'/'.join(getattr(self, k))}" for k in _KEYS if getattr(self, k) is not None]
        return ", ".join(parts) or "everything"


def narrower(inner: Scope, outer: Scope) -> bool:
    """Whether everything ``inner`` selects is inside ``outer`` (so a count over ``inner``
    is a lower bound of the count over ``outer``)."""
    for key in _KEYS:
        wide: Any = getattr(outer, key)
        if wide is None:
            continue
        narrow = getattr(inner, key)
        if narrow is None or not set(narrow) <= set(wide):
            return False
    return outer.contracted or not inner.contracted
