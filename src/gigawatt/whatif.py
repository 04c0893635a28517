"""What if: a few of a scenario's main uncertain inputs changed, written as an ``extends:``
scenario (text) that the dashboard runs against its base.

The changes: a site left out; a site's schedule shifted by whole months; every site's
schedule shifted (a programme-wide construction delay); every demand stream's yearly
growth set to one figure; the share of every accelerator supply the programme gets set
to one figure. A shift moves forecasts only: a phase already online, and a plain date on
or before the scenario's ``as_of`` (observed, a fact), stay as they are.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

import yaml
from pydantic import BaseModel, Field

from gigawatt import _yaml, sources
from gigawatt.catalog import load_catalog
from gigawatt.errors import GigawattError
from gigawatt.scenario.load import _with_catalog_sites

__all__ = ["MAX_SHIFT_MONTHS", "MIN_SHIFT_MONTHS", "WhatIf", "WhatIfError", "choices", "whatif_text"]

#: Range of a schedule shift, months (a judgement: a campus two years early or five late).
MIN_SHIFT_MONTHS = -24
MAX_SHIFT_MONTHS = 60
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class WhatIfError(GigawattError):
    """A what-if names something the base scenario lacks; ``field`` is the form field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class WhatIf(BaseModel):
    """The changes to a base scenario (a built-in's name)."""

    sites_off: list[str] = Field(default=[], max_length=64, description="Sites left out")
    shift_months: dict[str, int] = Field(
        default={},
        max_length=64,
        description=f"Site id -> its schedule shifted by months ({MIN_SHIFT_MONTHS} to {MAX_SHIFT_MONTHS})",
    )
    delay_months: int = Field(
        default=0,
        ge=0,
        le=MAX_SHIFT_MONTHS,
        description="Construction delay: every site's forecast dates later by months",
    )
    demand_growth_pct_per_year: float | None = Field(
        default=None, ge=-50, le=300, description="Every demand stream's growth, percent a year"
    )
    supply_share_pct: float | None = Field(
        default=None, ge=0, le=100, description="Share of each accelerator supply the programme gets, percent"
    )


def _resolved(base: str) -> dict[str, Any]:
    """The built-in scenario ``base`` as merged YAML data (``extends`` and catalog sites
    expanded), with its units and distributions still as written."""
    doc = sources.resolve(_yaml.load(f"extends: {base}\n", f"{base}.yaml"), files=False)
    doc, _ = _with_catalog_sites(doc, load_catalog())
    return dict(_yaml.stringify_keys(doc.data))


def choices(base: str) -> dict[str, Any]:
    """What the form offers for ``base``: its sites (id, name) and the ranges allowed."""
    data = _resolved(base)
    sites = [{"id": k, "name": v.get("name", k)} for k, v in (data.get("sites") or {}).items()]
    return {
        "sites": sites,
        "shift_months": [MIN_SHIFT_MONTHS, MAX_SHIFT_MONTHS],
        "as_of": str((data.get("time") or {}).get("as_of") or ""),
    }


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _shifted(value: Any, months: int, as_of: dt.date | None, forecast: bool = False) -> Any:
    """``value`` (a date, an ISO date string, or a distribution over them) ``months`` later;
    a plain date on or before ``as_of`` is observed and stays (``forecast``: inside a
    distribution, where every point moves)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str) and _ISO.match(value):
        value = dt.date.fromisoformat(value)
    if isinstance(value, dt.date):
        if not forecast and as_of is not None and value <= as_of:
            return value
        return _add_months(value, months)
    if isinstance(value, dict):
        return {k: _shifted(v, months, as_of, True) for k, v in value.items()}
    if isinstance(value, list):
        return [_shifted(v, months, as_of, forecast) for v in value]
    return value


def _shift_site(site: dict[str, Any], months: int, as_of: dt.date | None) -> dict[str, Any]:
    """The site's phases and power plan with their forecast dates ``months`` later."""
    phases = []
    for phase in site.get("phases") or []:
        phase = dict(phase)
        if phase.get("status") != "online":
            for key in ("start", "online"):
                if key in phase:
                    phase[key] = _shifted(phase[key], months, as_of)
        phases.append(phase)
    plan = []
    for source in site.get("power_plan") or []:
        source = dict(source)
        for key in ("available", "ordered"):
            if key in source:
                source[key] = _shifted(source[key], months, as_of)
        plan.append(source)
    return {"phases": phases, "power_plan": plan}


def _pruned(data: dict[str, Any], off: set[str]) -> dict[str, Any]:
    """Overrides for every section entry whose ``sites`` list names a site left out: the
    list without it, or the entry removed (``null``) when no site is left."""
    out: dict[str, Any] = {}
    for section in ("targets", "contracts", "commitments", "financing", "contracted"):
        entries = data.get(section)
        if not isinstance(entries, dict):
            continue
        for name, entry in entries.items():
            listed = entry.get("sites") if isinstance(entry, dict) else None
            if not isinstance(listed, list) or not off & set(listed):
                continue
            kept = [s for s in listed if s not in off]
            out.setdefault(section, {})[name] = {"sites": kept} if kept else None
    return out


def whatif_text(base: str, change: WhatIf) -> str:
    """An ``extends: base`` scenario with ``change`` applied, as YAML text.

    Raises :class:`WhatIfError` for a site the base lacks."""
    data = _resolved(base)
    sites: dict[str, Any] = data.get("sites") or {}
    for field, ids in (("sites_off", change.sites_off), ("shift_months", list(change.shift_months))):
        for site_id in ids:
            if site_id not in sites:
                raise WhatIfError(f"{field}.{site_id}", f"{base} has no site {site_id!r}")
    for site_id, months in change.shift_months.items():
        if not MIN_SHIFT_MONTHS <= months <= MAX_SHIFT_MONTHS:
            raise WhatIfError(
                f"shift_months.{site_id}",
                f"{months} months is out of range: shift between {MIN_SHIFT_MONTHS} and {MAX_SHIFT_MONTHS}",
            )
    off = set(change.sites_off)
    if off >= set(sites):
        raise WhatIfError("sites_off", "leave at least one site on")
    as_of = (data.get("time") or {}).get("as_of")
    as_of = as_of if isinstance(as_of, dt.date) else None
    said: list[str] = []
    doc: dict[str, Any] = {"extends": base, "name": f"{base}-what-if"}
    overrides: dict[str, Any] = {}
    for site_id in sites:
        if site_id in off:
            overrides[site_id] = None
            continue
        months = change.delay_months + change.shift_months.get(site_id, 0)
        if months:
            overrides[site_id] = _shift_site(sites[site_id], months, as_of)
    if off:
        said.append("left out: " + ", ".join(sorted(off)))
    said += [f"{k} {v:+d} months" for k, v in change.shift_months.items() if v]
    if change.delay_months:
        said.append(f"every site {change.delay_months:+d} months")
    if overrides:
        doc["sites"] = overrides
    doc.update(_pruned(data, off))
    if change.demand_growth_pct_per_year is not None:
        streams = [k for k in ("training", "inference") if (data.get("demand") or {}).get(k)]
        growth = change.demand_growth_pct_per_year / 100
        doc["demand"] = {k: {"growth_per_year": growth} for k in streams}
        said.append(f"demand growth {change.demand_growth_pct_per_year:g}%/yr")
    if change.supply_share_pct is not None:
        chips = [k for k, v in (data.get("supply") or {}).items() if v.get("resource") == "accelerators"]
        doc["supply"] = {k: {"share": change.supply_share_pct / 100} for k in chips}
        said.append(f"accelerator supply share {change.supply_share_pct:g}%")
    doc["description"] = f"{base}, what if: " + ("; ".join(said) or "no change")
    header = f"# Written by the dashboard's what-if form from the built-in {base!r}.\n"
    return header + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)
