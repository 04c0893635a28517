"""Inputs a scenario could not have known on its as-of date: warnings, never errors.

A scenario is meant to be true at its own ``time.as_of``. An input (any mapping with a
``source:`` list: a site, a phase, a power source, a contract, a target, an observation…)
whose every cited source is dated after ``as_of`` was published later, so the scenario
could not have known it: :func:`late_sources` says so, located at the ``source`` key
(``FILE:LINE:COLUMN: path: warning: …``). Inputs citing some source dated on or before
``as_of`` are not flagged: the earlier source may be what the value rests on, the later
one a confirmation. An input is not judged where a source's date cannot be read (an unknown
source id is an error: :func:`gigawatt.catalog.check_source_ids`). A source's date is its
``date:`` in the catalogs' or the scenario's own
``sources:`` (the scenario's win); a partial date stands for its first day (``2026-01`` →
2026-01-01, ``2026Q2`` → 2026-04-01, ``2026`` → 2026-01-01), so only sources certainly later
than ``as_of`` are flagged. Without a stated ``time.as_of`` nothing is flagged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from gigawatt import _yaml
from gigawatt.catalog import Source
from gigawatt.errors import Problem

__all__ = ["earliest_day", "late_sources"]

_DATE = re.compile(
    r"^\s*(?P<year>\d{4})(?:-(?P<month>\d{1,2})(?:-(?P<day>\d{1,2}))?|\s*(?P<period>[QH])(?P<n>[1-4]))?\s*$",
    re.I,
)


def earliest_day(text: str) -> dt.date | None:
    """The first day a source's ``date`` can mean; ``None`` if it cannot be read.

    >>> earliest_day("2026Q2"), earliest_day("2025-10"), earliest_day("2026-04-17")
    (datetime.date(2026, 4, 1), datetime.date(2025, 10, 1), datetime.date(2026, 4, 17))
    """
    match = _DATE.match(str(text))
    if match is None:
        return None
    year, month, day = int(match["year"]), 1, 1
    if match["period"]:
        per_period = 3 if match["period"].upper() == "Q" else 6
        month = per_period * (int(match["n"]) - 1) + 1
    elif match["month"]:
        month, day = int(match["month"]), int(match["day"] or 1)
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def late_sources(doc: _yaml.Document, sources: Mapping[str, Source], as_of: dt.date) -> list[Problem]:
    """A warning for every input in ``doc`` whose cited sources are all dated after ``as_of``."""
    found: list[Problem] = []

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "source" and path:
                    _judge(doc, sources, as_of, (*path, key), item, found)
                elif not (key == "sources" and not path):
                    walk(item, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))

    walk(doc.data, ())
    return found


def _judge(
    doc: _yaml.Document,
    sources: Mapping[str, Source],
    as_of: dt.date,
    path: tuple[str | int, ...],
    cited: Any,
    found: list[Problem],
) -> None:
    ids = [cited] if isinstance(cited, str) else cited
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) and i in sources for i in ids):
        return
    days = [earliest_day(sources[i].date) for i in ids]
    if any(day is None or day <= as_of for day in days):
        return
    cites = ", ".join(f"{i} ({sources[i].date})" for i in ids)
    found.append(doc.problem(path, f"warning: every source is dated after as_of {as_of}: {cites}"))
