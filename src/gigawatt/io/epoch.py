"""Epoch AI's public CSVs at the boundary: what every Epoch importer shares.

Each importer is pure: CSV text in, an :class:`Imported` out (a YAML-ready
document plus one :class:`Issue` per row it skipped or imported with a caveat,
located by CSV line). Data centers and GPU clusters become a scenario (sites with
phases); hardware becomes a scenario fragment (``extends:`` a scenario, plus
``accelerators:`` on catalog bases) that validates and runs as it is. Epoch's confidence tags (``#confident``,
``#likely``, ``#speculative``; the clusters' Certainty) are kept in each item and
in the site notes. Epoch AI's data are CC BY 4.0; every output cites them.
The importers themselves: :mod:`gigawatt.io.epoch_timelines` (data centers and their
timelines), :mod:`gigawatt.io.epoch_clusters`, :mod:`gigawatt.io.epoch_hardware`.
"""

from __future__ import annotations

import csv
import io
import math
import re
import textwrap
from dataclasses import dataclass, field
from typing import Any

import yaml

from gigawatt import units
from gigawatt.errors import GigawattError

__all__ = [
    "Imported",
    "Issue",
    "Row",
    "read_rows",
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

    def skipped(self, main: bool = True) -> int:
        """Rows skipped in the importer's main file (``main``), or in the other (the timelines)."""
        return sum(1 for i in self.issues if i.action == "skipped" and (not i.file) == main)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "rows": self.rows,
            "imported": len(self.items),
            "skipped": self.skipped(),
            "skipped_timelines": self.skipped(main=False),
            "items": self.items,
            "issues": [vars(i) for i in self.issues],
            "citation": CITATION,
        }


def _dump(data: dict[str, Any]) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


# ---------------------------------------------------------------- reading


def read_rows(text: str, required: tuple[str, ...], file: str = "<csv>") -> list[Row]:
    """CSV records with their starting line; a missing column or a line the CSV reader cannot
    read (a NUL byte, a stray quote at the end) is a located error. Line ends may be ``\n``,
    ``\r\n`` or ``\r`` (``newline=""``, as the csv module asks)."""
    reader = csv.DictReader(io.StringIO(text, newline=""))
    last = 0  # the last line read whole
    try:
        header = reader.fieldnames or []
        missing = [c for c in required if c not in header]
        if missing:
            raise GigawattError(f"{file}:1: not an Epoch CSV of this kind: missing columns {missing}")
        rows = []
        last = reader.line_num
        for values in reader:
            rows.append(Row(last + 1, {k: v for k, v in values.items() if k is not None}))
            last = reader.line_num
    except csv.Error as exc:
        raise GigawattError(f"{file}:{last + 1}: not readable as CSV: {exc}") from None
    return rows


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None  # NaN, ±inf → None: unreadable


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
