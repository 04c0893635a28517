"""Epoch's frontier data centers and their build timelines → a scenario; the timelines read for
`calibrate` and `backtest`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gigawatt import limits, units
from gigawatt.io.epoch import (
    Imported,
    Issue,
    Row,
    _date,
    _day,
    _number,
    _scenario,
    _slug,
    _tag_text,
    _tagged,
    _unique,
    degrees,
    place,
    read_rows,
)
from gigawatt.priors import developer_class

# ---------------------------------------------------------------- timelines


@dataclass(frozen=True)
class TimelineRow:
    """One dated state of a campus in Epoch's build histories."""

    line: int
    site: str
    date: float
    power_mw: float
    buildings: float
    text: str


TIMELINE_COLUMNS = ("Date", "Data center", "Construction status", "Power (MW)", "Buildings operational")


def read_timelines(text: str, file: str = "<csv>") -> tuple[dict[str, list[TimelineRow]], list[Issue]]:
    """Epoch's ``data_center_timelines`` CSV → rows per campus in date order, and rows set aside.

    A missing column is a located error. Each row set aside is reported by its line:
    unreadable fields, power below the campus's earlier peak (a revision or retirement
    the phases cannot express: the peak is kept), and a campus with a single row (no
    history to measure; it is still imported as that one state).
    """
    out: dict[str, list[TimelineRow]] = {}
    issues: list[Issue] = []
    for row in read_rows(text, TIMELINE_COLUMNS, file):
        site = row.get("Data center")
        date, power = _date(row.get("Date")), _number(row.get("Power (MW)"))
        buildings = _number(row.get("Buildings operational"))
        if not site or date is None or power is None or buildings is None:
            bad = [
                c
                for c, v in (("Data center", site or None), ("Date", date), ("Power (MW)", power))
                if v is None
            ] + (["Buildings operational"] if buildings is None else [])
            issues.append(Issue(row.line, site, f"unreadable {', '.join(bad)}"))
            continue
        if power < 0 or buildings < 0:
            issues.append(Issue(row.line, site, "negative Power (MW) or Buildings operational"))
            continue
        try:
            limits.check("power", power)
        except ValueError as exc:
            issues.append(Issue(row.line, site, f"Power (MW): {exc}"))
            continue
        first, last = limits.TIMELINE_YEARS
        if not first <= units.date_from_days(date).year <= last:
            outside = f"Date {row.get('Date')!r} is outside the years {first}-{last}"
            issues.append(Issue(row.line, site, outside))
            continue
        out.setdefault(site, []).append(
            TimelineRow(row.line, site, date, power, buildings, row.get("Construction status"))
        )
    histories: dict[str, list[TimelineRow]] = {}
    for site, rows in out.items():
        kept: list[TimelineRow] = []
        for r in sorted(rows, key=lambda r: (r.date, r.line)):
            peak = max((k.power_mw for k in kept), default=0.0)
            if r.power_mw < peak:
                issues.append(
                    Issue(
                        r.line,
                        site,
                        f"power falls from {peak:g} to {r.power_mw:g} MW (a revision or retirement): "
                        "row set aside, the campus keeps its peak",
                    )
                )
                continue
            kept.append(r)
        if len(kept) == 1:
            issues.append(
                Issue(kept[0].line, site, "only one timeline row: no build history to measure", "warning")
            )
        histories[site] = kept
    return histories, issues


def _timeline_phases(
    history: list[TimelineRow], as_of_date: float, *, keep_projections: bool = True
) -> list[dict[str, Any]]:
    """Each rise of a campus's power above its previous peak becomes a phase of that many MW.

    Sizes come from the whole history; dates only from rows on or before ``as_of_date``.
    A rise dated later is not an observation: the phase is ``under_construction`` (or
    ``announced`` if the campus had not started by then), never ``online``, and Epoch's
    date is kept as ``projected_online`` for comparison (the engine does not read it)
    unless ``keep_projections`` is off. No date later than ``as_of_date`` is written
    as ``start`` or ``online``.
    """
    start = history[0].date
    started = start <= as_of_date
    peak, built = 0.0, 0.0
    phases: list[dict[str, Any]] = []
    for row in history:
        if row.power_mw <= peak:
            continue
        first, last = int(built) + 1, int(max(row.buildings, built))
        name = f"Building {last}" if first == last else f"Buildings {first}-{last}"
        if last < first:
            name = f"Expansion to {row.power_mw:g} MW"
        observed = row.date <= as_of_date
        phase: dict[str, Any] = {
            "name": _unique(name, {str(p["name"]) for p in phases}),
            "power": f"{row.power_mw - peak:g} MW",
            "status": "online" if observed else "under_construction" if started else "announced",
        }
        if started:
            phase["start"] = _day(start)
        if observed:
            phase["online"] = _day(row.date)
        elif keep_projections:
            phase["projected_online"] = _day(row.date)
        phase |= {
            "source": ["epoch-data-centers"],
            "note": (
                f"Epoch timeline line {row.line}: {row.power_mw:g} MW facility in all. "
                + (
                    ""
                    if observed
                    else f"Dated after {_day(as_of_date)}: Epoch's projection or a later observation, "
                    "not an online date. "
                )
                + (
                    "Start is the campus's first timeline date (land clearing or construction start)."
                    if started
                    else ""
                )
            ).strip(),
        }
        phases.append(phase)
        peak, built = row.power_mw, max(built, row.buildings)
    return phases


# ---------------------------------------------------------------- data centers

DATA_CENTER_COLUMNS = ("Handle", "Title", "Address", "Current power (MW)")


def import_data_centers(
    text: str,
    *,
    as_of_date: float,
    timelines_text: str | None = None,
    accelerator: str = "h100",
    file: str = "<csv>",
    timelines_file: str = "<timelines>",
) -> Imported:
    """Epoch's ``data_centers.csv`` (and optionally its timelines) → a scenario, one site per campus.

    Without timelines a campus gets one phase of its current power, online by ``as_of_date``
    (Epoch gives no date). Power is read as facility power (Epoch models total facility power
    per building). Accelerators default to the H100, the unit of Epoch's H100-equivalents.
    """
    rows = read_rows(text, DATA_CENTER_COLUMNS, file)
    histories: dict[str, list[TimelineRow]] = {}
    issues: list[Issue] = []
    if timelines_text is not None:
        histories, bad = read_timelines(timelines_text, timelines_file)
        issues += [Issue(i.line, i.row, i.message, i.action, file=timelines_file) for i in bad]
    sites: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    taken: set[str] = set()
    used: set[str] = set()
    for row in rows:
        handle = row.get("Handle")
        where = place(row.get("Address"))
        if not handle:
            issues.append(Issue(row.line, "", "no Handle"))
            continue
        if where is None:
            issues.append(
                Issue(row.line, handle, f"cannot tell the country from Address {row.get('Address')!r}")
            )
            continue
        history = histories.get(handle)
        if history:
            used.add(handle)
        phases = _campus_phases(row, history, as_of_date)
        if isinstance(phases, str):
            issues.append(Issue(row.line, handle, phases))
            continue
        site_id = _unique(_slug(handle), taken)
        sites[site_id], item = _campus_site(row, handle, where, phases, accelerator, as_of_date)
        items.append({"id": site_id, "line": row.line, "handle": handle, **item})
    for name, history in histories.items():
        if name not in used:
            issues.append(Issue(history[0].line, name, "no campus with this Handle", file=timelines_file))
    document = _scenario("epoch-data-centers", sites, as_of_date, "Epoch AI frontier AI data centers")
    return Imported("epoch-data-centers", document, items, issues, len(rows))


def _campus_phases(
    row: Row, history: list[TimelineRow] | None, as_of_date: float
) -> list[dict[str, Any]] | str:
    """A campus's phases: from its timeline rows where it has any, else one phase of its current
    power online by ``as_of_date``; or why it has none (the row is skipped)."""
    if history:
        phases = _timeline_phases(history, as_of_date)
        if not phases:
            return "every timeline row is 0 MW: no size to simulate (the campus has not stated one)"
        return phases
    power = _number(row.get("Current power (MW)"))
    if power is not None and power > 0:
        return [
            {
                "name": "Current",
                "power": f"{power:g} MW",
                "status": "online",
                "start": _day(as_of_date),
                "online": _day(as_of_date),
                "source": ["epoch-data-centers"],
                "note": "Epoch's current power; online by the snapshot date (no date without timelines).",
            }
        ]
    why = "unreadable" if power is None else "0 MW"
    return f"current power {why} and no timeline rows: a site needs a phase"


def _campus_site(
    row: Row,
    handle: str,
    where: tuple[str, str],
    phases: list[dict[str, Any]],
    accelerator: str,
    as_of_date: float,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A campus as a scenario site (place, parties, developer class, a grid power plan sized to
    its phases, Epoch's tags in the note), and what the import reports of it (facility MW,
    phases, owner, users, project)."""
    owner, users = _tagged(row.get("Owner")), _tagged(row.get("Users"))
    project = _tagged(row.get("Project"))
    notes = [
        _tag_text("Project", project),
        _tag_text("Owner", owner),
        _tag_text("Users", users),
        _tag_text("Investors", _tagged(row.get("Investors"))),
        _tag_text("Builders", _tagged(row.get("Construction companies"))),
        _tag_text("Energy", _tagged(row.get("Energy companies"))),
        f"Epoch current H100e {row.get('Current H100 equivalents') or '?'}, "
        f"capital cost ${row.get('Current total capital cost (2025 USD billions)') or '?'}B (2025 USD)",
    ]
    total = sum(units.parse(p["power"], "power") for p in phases)
    site: dict[str, Any] = {
        "name": row.get("Title") or handle,
        "programme": _slug(str(project[0]["name"])) if project else "other",
        "country": where[0],
        "region": where[1],
    }
    lat, lon = degrees(row.get("Latitude")), degrees(row.get("Longitude"))
    if lat is not None and lon is not None:
        site["location"] = {"lat": round(lat, 4), "lon": round(lon, 4)}
    if owner:
        site["owner"] = _slug(str(owner[0]["name"]))
    if users:
        site["tenant"] = _slug(str(users[0]["name"]))
    builder = developer_class(handle, *(str(o["name"]) for o in owner))
    if builder is not None:
        site["developer_class"] = builder
    site |= {
        "power_basis": "facility",
        "basis_note": "Epoch models total facility power per building (see abilene's basis_note).",
        "accelerator": accelerator,
        "power_plan": [
            {
                "kind": "grid",
                "capacity": f"{total:g} MW",
                "available": phases[0].get("start", _day(as_of_date)),
                "note": "Epoch does not publish the power plan; sized to the build-out (judgement).",
            }
        ],
        "phases": phases,
        "source": ["epoch-data-centers"],
        "note": f"Epoch line {row.line}. " + "; ".join(n for n in notes if n),
    }
    item = {"facility_mw": total, "phases": len(phases), "owner": owner, "users": users, "project": project}
    return site, item
