"""Importers for Epoch AI's public CSVs: data centers, GPU clusters, ML hardware.

Each importer is pure: CSV text in, an :class:`Imported` out (a YAML-ready
document plus one :class:`Issue` per row it skipped or imported with a caveat,
located by CSV line). Data centers and GPU clusters become a scenario (sites with
phases); hardware becomes a scenario fragment (``extends:`` a scenario, plus
``accelerators:`` on catalog bases) that validates and runs as it is. Epoch's confidence tags (``#confident``,
``#likely``, ``#speculative``; the clusters' Certainty) are kept in each item and
in the site notes. Epoch AI's data are CC BY 4.0; every output cites them.
"""

from __future__ import annotations

import csv
import io
import math
import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from gigawatt import units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.errors import GigawattError
from gigawatt.priors import developer_class

__all__ = [
    "IMPORTERS",
    "Imported",
    "Issue",
    "Row",
    "TimelineRow",
    "import_data_centers",
    "import_gpu_clusters",
    "import_hardware",
    "read_rows",
    "read_timelines",
]

CITATION = (
    "Epoch AI, 'Data on Frontier AI Data Centers' / 'Data on GPU Clusters' / 'Data on Machine "
    "Learning Hardware', epoch.ai (CC BY 4.0, https://creativecommons.org/licenses/by/4.0/)"
)
#: Source entries the outputs cite (publication, date, URL), keyed like the built-in catalogs.
_SOURCES: dict[str, dict[str, str]] = {
    "epoch-data-centers": {
        "publication": "Epoch AI, 'Data on Frontier AI Data Centers' (CC BY 4.0): data_centers.csv "
        "and data_center_timelines.csv, imported by `gigawatt import`",
        "url": "https://epoch.ai/data/data-centers",
    },
    "epoch-gpu-clusters": {
        "publication": "Epoch AI, 'Data on GPU Clusters' (CC BY 4.0): gpu_clusters.csv, imported by "
        "`gigawatt import`",
        "url": "https://epoch.ai/data/gpu-clusters",
    },
    "epoch-ml-hardware": {
        "publication": "Epoch AI, 'Data on Machine Learning Hardware' (CC BY 4.0): ml_hardware.csv, "
        "imported by `gigawatt import`",
        "url": "https://epoch.ai/data/machine-learning-hardware",
    },
}
_CONFIDENCE = re.compile(r"#(confident|likely|speculative)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Issue:
    """A row skipped (``skipped``) or imported with a caveat (``warning``), by CSV line."""

    line: int
    row: str
    message: str
    action: str = "skipped"
    #: the file the line is in, when not the importer's main file (the timelines)
    file: str = ""

    def located(self, file: str) -> str:
        where = self.file or file
        return f"{where}:{self.line}: {self.row or '<no name>'}: {self.action}: {self.message}"


@dataclass(frozen=True)
class Row:
    """One CSV record and the line it starts on (the header is line 1)."""

    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


@dataclass
class Imported:
    """What an importer made: the YAML document, one item per imported row, the issues."""

    kind: str
    document: dict[str, Any]
    items: list[dict[str, Any]] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rows: int = 0
    #: YAML comments written above entries: section → entry key → lines
    comments: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def yaml_text(self) -> str:
        """The document as YAML, headed by the citation Epoch's licence asks for."""
        body: list[str] = []
        for section, value in self.document.items():
            notes = self.comments.get(section)
            if not notes or not isinstance(value, dict):
                body.append(_dump({section: value}))
                continue
            body.append(f"{section}:\n")
            for key, entry in value.items():
                body += [f"  # {line}\n" for line in notes.get(key, [])]
                body.append(textwrap.indent(_dump({key: entry}), "  "))
        head = (
            f"# Imported by `gigawatt import {self.kind}` from Epoch AI's public data.\n"
            f"# Source: {CITATION}.\n"
            f"# {len(self.items)} of {self.rows} rows imported; skipped rows are listed by "
            f"`gigawatt import ... --json`.\n"
        )
        return head + "".join(body)

    def as_dict(self) -> dict[str, Any]:
        skipped = [i for i in self.issues if i.action == "skipped"]
        return {
            "kind": self.kind,
            "rows": self.rows,
            "imported": len(self.items),
            "skipped": len(skipped),
            "items": self.items,
            "issues": [vars(i) for i in self.issues],
            "citation": CITATION,
        }


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------- reading


def read_rows(text: str, required: tuple[str, ...], file: str = "<csv>") -> list[Row]:
    """CSV records with their starting line; a missing column is a located error."""
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    missing = [c for c in required if c not in header]
    if missing:
        raise GigawattError(f"{file}:1: not an Epoch CSV of this kind: missing columns {missing}")
    rows = []
    last = reader.line_num
    for values in reader:
        rows.append(Row(last + 1, {k: v for k, v in values.items() if k is not None}))
        last = reader.line_num
    return rows


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if value == value else None  # NaN → None


def _date(text: str) -> float | None:
    """Days since 1970 for YYYY-MM-DD (or YYYY-MM: the month's first day); None if unreadable."""
    text = text.strip()[:10]
    if re.fullmatch(r"\d{4}-\d{2}", text):
        text += "-01"
    try:
        return units.parse_date(text)
    except ValueError:
        return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _unique(key: str, taken: set[str]) -> str:
    out, n = key, 2
    while out in taken:
        out, n = f"{key}-{n}", n + 1
    taken.add(out)
    return out


def _tagged(text: str) -> list[dict[str, str | None]]:
    """``"OpenAI #likely, Microsoft #likely"`` → names with their Epoch confidence tags."""
    out: list[dict[str, str | None]] = []
    for part in text.split(","):
        tag = _CONFIDENCE.search(part)
        name = _CONFIDENCE.sub("", part).strip()
        if name:
            out.append({"name": name, "confidence": tag[1].lower() if tag else None})
    return out


def _tag_text(label: str, tagged: list[dict[str, str | None]]) -> str:
    names = ", ".join(
        f"{t['name']} (#{t['confidence']})" if t["confidence"] else str(t["name"]) for t in tagged
    )
    return f"{label}: {names}" if names else ""


def _day(days: float) -> str:
    return units.format_date(days)


# ---------------------------------------------------------------- places

_US_STATES = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip
#: Country names as Epoch writes them (ISO 3166 English short names and common forms) → ISO code.
_COUNTRIES = {
    "united states of america": "US", "united states": "US", "usa": "US", "china": "CN",
    "japan": "JP", "france": "FR", "korea (republic of)": "KR", "south korea": "KR", "india": "IN",
    "germany": "DE", "saudi arabia": "SA", "brazil": "BR", "united arab emirates": "AE", "italy": "IT",
    "united kingdom of great britain and northern ireland": "GB", "united kingdom": "GB",
    "sweden": "SE", "russia": "RU", "russian federation": "RU", "canada": "CA", "taiwan": "TW",
    "singapore": "SG", "thailand": "TH", "finland": "FI", "australia": "AU", "switzerland": "CH",
    "hong kong": "HK", "poland": "PL", "malaysia": "MY", "norway": "NO", "israel": "IL",
    "netherlands": "NL", "iceland": "IS", "vietnam": "VN", "viet nam": "VN", "philippines (the)": "PH",
    "philippines": "PH", "spain": "ES", "denmark": "DK", "luxembourg": "LU", "czechia": "CZ",
    "slovenia": "SI", "mexico": "MX", "indonesia": "ID", "qatar": "QA", "kuwait": "KW",
    "austria": "AT", "belgium": "BE", "ireland": "IE", "portugal": "PT", "chile": "CL",
    "argentina": "AR", "south africa": "ZA", "egypt": "EG", "turkey": "TR", "türkiye": "TR",
    "new zealand": "NZ", "greece": "GR", "hungary": "HU", "kazakhstan": "KZ", "pakistan": "PK",
}  # fmt: skip
_ZIP = re.compile(r"\b([A-Z]{2})\s+\d{5}\b")


def place(text: str) -> tuple[str, str] | None:
    """(ISO country, region) from an address or place name; regions are ``us-tx`` or the country."""
    zip_state = _ZIP.search(text)
    if zip_state and zip_state[1] in _US_STATES:
        return "US", f"us-{zip_state[1].lower()}"
    lowered = text.lower()
    for code, name in sorted(_US_STATES.items(), key=lambda kv: -len(kv[1])):
        if re.search(rf"\b{name.lower()}\b", lowered):
            return "US", f"us-{code.lower()}"
    for name, code in sorted(_COUNTRIES.items(), key=lambda kv: -len(kv[0])):
        if re.search(rf"\b{re.escape(name)}\b", lowered):
            return code, code.lower()
    return None


def _country(name: str, location: str) -> tuple[str, str] | None:
    code = _COUNTRIES.get(name.strip().lower())
    if code is None:
        return None
    if code == "US":
        state = place(location)
        if state and state[0] == "US":
            return state
    return code, code.lower()


_DMS = re.compile(r"^\s*(\d+(?:\.\d+)?)°\s*(?:(\d+(?:\.\d+)?)')?\s*(?:(\d+(?:\.\d+)?)\")?\s*([NSEW])\s*$")


def degrees(text: str) -> float | None:
    """``32°35'25"N`` → 32.5903; None if not degrees-minutes-seconds."""
    found = _DMS.match(text)
    if not found:
        return None
    value = float(found[1]) + float(found[2] or 0) / 60 + float(found[3] or 0) / 3600
    return -value if found[4] in "SW" else value


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
        power = _number(row.get("Current power (MW)"))
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
            phases = _timeline_phases(history, as_of_date)
            if not phases:
                issues.append(
                    Issue(
                        row.line,
                        handle,
                        "every timeline row is 0 MW: no size to simulate (the campus has not stated one)",
                    )
                )
                continue
        elif power is not None and power > 0:
            phases = [
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
        else:
            why = "unreadable" if power is None else "0 MW"
            issues.append(
                Issue(row.line, handle, f"current power {why} and no timeline rows: a site needs a phase")
            )
            continue
        site_id = _unique(_slug(handle), taken)
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
        sites[site_id] = site
        items.append(
            {
                "id": site_id,
                "line": row.line,
                "handle": handle,
                "facility_mw": total,
                "phases": len(phases),
                "owner": owner,
                "users": users,
                "project": project,
            }
        )
    for name, history in histories.items():
        if name not in used:
            issues.append(Issue(history[0].line, name, "no campus with this Handle", file=timelines_file))
    document = _scenario("epoch-data-centers", sites, as_of_date, "Epoch AI frontier AI data centers")
    return Imported("epoch-data-centers", document, items, issues, len(rows))


def _scenario(source_id: str, sites: dict[str, Any], as_of_date: float, what: str) -> dict[str, Any]:
    starts = [units.parse_date(p["start"]) for s in sites.values() for p in s["phases"] if "start" in p]
    first_year = min([2024, *(units.date_from_days(d).year for d in starts)])
    return {
        "name": source_id,
        "description": f"{what}, imported from Epoch AI's public data (CC BY 4.0).",
        "time": {"start": f"{first_year}-01-01", "end": "2035-12-31", "as_of": _day(as_of_date)},
        "sites": sites,
        "sources": {source_id: {**_SOURCES[source_id], "date": _day(as_of_date)}},
    }


# ---------------------------------------------------------------- GPU clusters

CLUSTER_COLUMNS = ("Name", "Status", "Certainty", "Country", "Power Capacity (MW)", "First Operational Date")
#: Epoch chip names (lowercase substrings, most specific first) → catalog accelerator ids.
_CHIPS = (
    ("gb300", "gb300-nvl72"),
    ("gb200", "gb200-nvl72"),
    ("b300", "b300"),
    ("b200", "b200"),
    ("h200", "h200"),
    ("h100", "h100"),
    ("gh200", "h100"),
    ("a100", "a100"),
    ("mi355x", "mi355x"),
    ("mi300x", "mi300x"),
    ("tpu v7", "tpu-v7"),
    ("tpu v6e", "tpu-v6e"),
    ("trainium2", "trainium2"),
    ("trainium3", "trainium3"),
)


def _chip(name: str) -> str | None:
    lowered = name.lower()
    return next((acc for key, acc in _CHIPS if key in lowered), None)


def _imputed_power(row: Row) -> tuple[tuple[float, float, float], str] | None:
    """Facility MW (P10, P50, P90) from a cluster's chips, through :func:`gigawatt.compute.convert`.

    A count of a catalog chip converts as that chip; otherwise Epoch's H100 equivalents
    convert as that many H100s (an H100-equivalent is a unit of compute, so the power
    of other chips is only approximated). The band is the conversion's own uncertainty
    (IT watts per chip, PUE). None when the row has neither.
    """
    from gigawatt.compute import convert

    acc = _chip(row.get("Chip type (primary)"))
    count = _number(row.get("Chip quantity (primary)"))
    h100e = _number(row.get("H100 equivalents"))
    if acc is not None and count is not None and count > 0:
        given, how = f"{count:.0f} {acc}", f"{count:,.0f} {acc} (Epoch's chip count)"
    elif h100e is not None and h100e > 0:
        given, how = f"{h100e:.0f} h100", f"{h100e:,.0f} H100 equivalents (as H100s)"
    else:
        return None
    return convert(given, draws=4000).facility_mw, how


def import_gpu_clusters(
    text: str, *, as_of_date: float, accelerator: str = "h100", file: str = "<csv>"
) -> Imported:
    """Epoch's ``gpu_clusters.csv`` → a scenario, one site with one phase per cluster.

    Skipped (and reported): decommissioned clusters, clusters superseded by a later
    row, rows without a known country, and rows without power that give no chips to
    impute it from. A row without power but with a count of a catalog chip or H100
    equivalents is imported with its facility power imputed by
    :func:`gigawatt.compute.convert` (a lognormal through the conversion's P50 and
    P90), reported as ``imputed`` and marked in the site note and the item.
    Existing clusters are online at their first operational date; planned ones are
    announced, with Epoch's planned date as ``projected_online`` (not simulated).
    """
    rows = read_rows(text, CLUSTER_COLUMNS, file)
    names = {r.get("Name") for r in rows}
    sites: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    issues: list[Issue] = []
    taken: set[str] = set()
    for row in rows:
        name, status = row.get("Name"), row.get("Status")
        power = _number(row.get("Power Capacity (MW)"))
        where = _country(row.get("Country"), row.get("Location"))
        online = _date(row.get("First Operational Date"))
        superseded = row.get("Superseded by")
        imputed = _imputed_power(row) if power is None or power <= 0 else None
        skip = (
            "no Name"
            if not name
            else "decommissioned"
            if status == "Decommissioned"
            else f"superseded by {superseded!r} (its capacity is counted there)"
            if superseded and superseded in names
            else "no power capacity, and no H100 equivalents or count of a catalog chip to impute it from"
            if (power is None or power <= 0) and imputed is None
            else f"unknown country {row.get('Country')!r}"
            if where is None
            else f"unknown status {status!r}"
            if status not in ("Existing", "Planned")
            else None
        )
        if skip:
            issues.append(Issue(row.line, name, skip))
            continue
        assert where is not None
        chip = row.get("Chip type (primary)")
        power_spec: str | dict[str, Any] = f"{power or 0:g} MW"
        if imputed is not None:
            (low, power, high), how = imputed
            power_spec = {"lognormal": {"p50": f"{power:.4g} MW", "p90": f"{high:.4g} MW"}}
            issues.append(
                Issue(
                    row.line,
                    name,
                    f"no power capacity: facility power imputed from {how} "
                    f"(P10/P50/P90 {low:.3g}/{power:.3g}/{high:.3g} MW)",
                    "imputed",
                )
            )
        assert power is not None
        acc = _chip(chip)
        if acc is None:
            acc = accelerator
            issues.append(
                Issue(
                    row.line, name, f"chip {chip or 'not given'!r} not in the catalog; using {acc}", "warning"
                )
            )
        if row.get("Possible Duplicate").lower() == "true":
            issues.append(
                Issue(
                    row.line,
                    name,
                    f"Epoch flags a possible duplicate of {row.get('Possible Duplicate Of')!r}",
                    "warning",
                )
            )
        phase: dict[str, Any] = {"name": "Cluster", "power": power_spec}
        if status == "Existing":
            if online is None:
                online = as_of_date
                issues.append(
                    Issue(row.line, name, "existing cluster without a date: online by as-of", "warning")
                )
            phase |= {"status": "online", "start": _day(online), "online": _day(online)}
        else:
            phase["status"] = "announced"
            if online is not None:  # Epoch's planned date: kept for comparison, never a floor
                phase["projected_online"] = _day(online)
        certainty = row.get("Certainty")
        phase |= {"source": ["epoch-gpu-clusters"], "note": f"Epoch certainty: {certainty}."}
        site_id = _unique(_slug(name), taken)
        reported = row.get("Reported Power Capacity (MW)")
        notes = [
            f"Epoch line {row.line}; {status}, certainty {certainty}",
            f"chip {chip} x {row.get('Chip quantity (primary)') or '?'}" if chip else "",
            f"H100e {row.get('H100 equivalents')}" if row.get("H100 equivalents") else "",
            f"power IMPUTED from {imputed[1]} by gigawatt's conversions (not Epoch's)"
            if imputed
            else "power reported"
            if reported
            else "power calculated by Epoch from chips",
            f"owner {row.get('Owner')}" if row.get("Owner") else "",
            f"users {row.get('Users')}" if row.get("Users") else "",
            f"single cluster: {row.get('Single cluster?')}" if row.get("Single cluster?") else "",
        ]
        sites[site_id] = {
            "name": name,
            "country": where[0],
            "region": where[1],
            **({"owner": _slug(row.get("Owner"))} if row.get("Owner") else {}),
            "power_basis": "facility",
            "basis_note": "Epoch's cluster power capacity includes cooling (PUE), i.e. facility power.",
            "accelerator": acc,
            "power_plan": [
                {
                    "kind": "grid",
                    "capacity": f"{imputed[0][2] if imputed else power:.4g} MW",
                    "available": phase.get("start") or phase.get("online") or _day(as_of_date),
                    "note": "Epoch does not publish the power plan; sized to the cluster (judgement"
                    + ("; its imputed P90)." if imputed else ")."),
                }
            ],
            "phases": [phase],
            "source": ["epoch-gpu-clusters"],
            "note": "; ".join(n for n in notes if n),
        }
        items.append(
            {
                "id": site_id,
                "line": row.line,
                "name": name,
                "status": status,
                "certainty": certainty,
                "facility_mw": power,
                "accelerator": acc,
                "power_imputed": imputed is not None,
                **({"facility_mw_p10_p90": [imputed[0][0], imputed[0][2]]} if imputed else {}),
            }
        )
    document = _scenario("epoch-gpu-clusters", sites, as_of_date, "Epoch AI GPU clusters")
    return Imported("epoch-gpu-clusters", document, items, issues, len(rows))


# ---------------------------------------------------------------- hardware

HARDWARE_COLUMNS = (
    "Hardware name",
    "Manufacturer",
    "Release date",
    "Release price (USD)",
    "Tensor-FP16/BF16 performance (FLOP/s)",
    "TDP (W)",
)
#: Epoch's power breakdown: server = 1.53 x accelerator TDP, IT = 1.14 x server.
_IT_PER_TDP = 1.53 * 1.14
#: Consumer and workstation graphics product lines: not data-center accelerators, so skipped.
CONSUMER_GPU = re.compile(r"\b(geforce|titan|quadro|radeon rx|rtx)\b", re.IGNORECASE)


def _hardware_base(name: str, maker: str, bf16: float, catalog: Catalog) -> tuple[str, str]:
    """The catalog accelerator an imported chip builds on, and how it was chosen."""
    named = _chip(name)
    if named is not None:
        return named, "same chip family by name"
    accs = catalog.accelerators
    same_vendor = [k for k, a in accs.items() if a.vendor in _slug(maker).split("-")]
    nearest = min(same_vendor or accs, key=lambda k: abs(math.log(accs[k].bf16_flops.value / bf16)))
    return nearest, f"nearest dense BF16 {'of its vendor ' if same_vendor else ''}in the catalog"


def import_hardware(text: str, *, extends: str = "stargate", file: str = "<csv>") -> Imported:
    """Epoch's ``ml_hardware.csv`` → a scenario fragment: ``extends: EXTENDS`` plus ``accelerators:``.

    The built-in catalog cannot take extra files, so each chip becomes a scenario
    accelerator (``gigawatt.scenario.Accelerator``) on a catalog ``base``: the same
    chip family by name, else the catalog chip with the nearest dense BF16 (of the same
    vendor where the catalog has one). Epoch's release date, TDP, dense BF16 and IT
    power (Epoch's power breakdown, 1.53 x 1.14 x TDP) replace the base's, the vendor is
    Epoch's manufacturer and the H100-equivalents the chip's dense BF16 over the H100's;
    only the useful life stays the base's.
    Price is Epoch's release price when given; without one the base's catalog price
    is kept as a marked fallback (warned, and commented in the YAML).

    Skipped, each reported with its reason: consumer and workstation graphics cards
    (:data:`CONSUMER_GPU`: GeForce, TITAN, Quadro, RTX, Radeon RX), and rows lacking a
    name, release date, TDP or dense BF16 FLOP/s.
    """
    rows = read_rows(text, HARDWARE_COLUMNS, file)
    catalog = load_catalog()
    h100_flops = catalog.accelerators["h100"].bf16_flops.value
    entries: dict[str, Any] = {}
    notes: dict[str, list[str]] = {}
    items: list[dict[str, Any]] = []
    issues: list[Issue] = []
    taken: set[str] = set(catalog.accelerators)
    for row in rows:
        name = row.get("Hardware name")
        fields: dict[str, float | None] = {
            "release date": _date(row.get("Release date")),
            "TDP": _number(row.get("TDP (W)")),
            "dense BF16 FLOP/s": _number(row.get("Tensor-FP16/BF16 performance (FLOP/s)")),
        }
        missing = [k for k, v in fields.items() if v is None or v <= 0]
        consumer = CONSUMER_GPU.search(name)
        if not name or consumer or missing:
            reason = (
                "missing Hardware name"
                if not name
                else f"consumer/workstation graphics card ({consumer[0]}), not a data-center accelerator"
                if consumer
                else f"missing {', '.join(missing)}"
            )
            issues.append(Issue(row.line, name, reason))
            continue
        released, tdp, bf16 = (float(v or 0) for v in fields.values())
        key = _unique(_slug(name), taken)
        base_id, how = _hardware_base(name, row.get("Manufacturer"), bf16, catalog)
        base = catalog.accelerators[base_id]
        price = _number(row.get("Release price (USD)"))
        has_price = price is not None and price > 0
        entry: dict[str, Any] = {
            "base": base_id,
            "name": name,
            "available": _day(released),
            "chip_tdp": f"{tdp:g} W",
            "it_power": f"{tdp * _IT_PER_TDP:.4g} W",
            "bf16_dense": f"{bf16:.6g} FLOP/s",
            "h100_equivalents": round(bf16 / h100_flops, 4),
        }
        if row.get("Manufacturer"):
            entry["vendor"] = _slug(row.get("Manufacturer"))
        comment = [
            f"{name}: Epoch ML hardware line {row.line} ({row.get('Manufacturer') or 'no manufacturer'}, "
            f"type {row.get('Type') or 'not given'}); release date, TDP and dense BF16 from Epoch;",
            "it_power = 1.53 x 1.14 x TDP (Epoch's power breakdown: server / IT overheads).",
            f"h100_equivalents = its dense BF16 / the H100's; base {base_id} ({how}): useful life "
            "comes from it.",
        ]
        if has_price:
            assert price is not None
            entry["price"] = f"${price:,.0f}"
            comment.append(
                "price: Epoch's release price (list price; the catalog's includes a system share)."
            )
        else:
            comment.append(
                f"price: NOT IN EPOCH - FALLBACK to base {base_id}'s catalog price "
                f"(${base.price_usd.value:,.0f}); capex for this chip is not its own."
            )
            issues.append(
                Issue(
                    row.line,
                    name,
                    f"no release price: capex uses {base_id}'s catalog price (fallback)",
                    "warning",
                )
            )
        memory, fp8 = (
            _number(row.get("Memory size per board (Byte)")),
            _number(row.get("FP8 performance (FLOP/s)")),
        )
        extra = [
            f"memory {memory / 1e9:g} GB" if memory else "",
            f"dense FP8 {fp8:.6g} FLOP/s" if fp8 else "",
        ]
        if any(extra):
            comment.append(f"Also in Epoch (not in the scenario schema): {', '.join(e for e in extra if e)}.")
        entries[key] = entry
        notes[key] = comment
        items.append(
            {
                "id": key,
                "line": row.line,
                "name": name,
                "base": base_id,
                "bf16_flops": bf16,
                "price_usd": price if has_price else None,
                "price_from": "epoch" if has_price else f"fallback: {base_id} catalog price",
            }
        )
    document = {
        "name": "epoch-hardware",
        "description": f"Epoch AI's ML hardware as accelerators, added to {extends}; use one by its id "
        "as a site's or phase's `accelerator`.",
        "extends": extends,
        "sources": {
            "epoch-ml-hardware": {**_SOURCES["epoch-ml-hardware"], "date": "2025-12"},
            "epoch-power-breakdown": catalog.sources["epoch-power-breakdown"].model_dump(),
        },
        "accelerators": entries,
    }
    return Imported("epoch-hardware", document, items, issues, len(rows), {"accelerators": notes})


#: Importer kinds of the ``gigawatt import`` command.
IMPORTERS: dict[str, Callable[..., Imported]] = {
    "epoch-data-centers": import_data_centers,
    "epoch-gpu-clusters": import_gpu_clusters,
    "epoch-hardware": import_hardware,
}
