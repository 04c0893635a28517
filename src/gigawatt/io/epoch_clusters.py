"""Epoch's GPU clusters → a scenario; clusters without a power capacity imputed from their chips."""

from __future__ import annotations

from typing import Any

from gigawatt.compute import convert
from gigawatt.io.epoch import (
    Imported,
    Issue,
    Row,
    _country,
    _date,
    _day,
    _number,
    _scenario,
    _slug,
    _unique,
    read_rows,
)

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


#: A facility MW band (P10, P50, P90) imputed from a cluster's chips, and how.
_Imputed = tuple[tuple[float, float, float], str]


def _chip(name: str) -> str | None:
    lowered = name.lower()
    return next((acc for key, acc in _CHIPS if key in lowered), None)


def _imputed_power(row: Row) -> _Imputed | None:
    """Facility MW (P10, P50, P90) from a cluster's chips, through :func:`gigawatt.compute.convert`.

    A count of a catalog chip converts as that chip; otherwise Epoch's H100 equivalents
    convert as that many H100s (an H100-equivalent is a unit of compute, so the power
    of other chips is only approximated). The band is the conversion's own uncertainty
    (IT watts per chip, PUE). None when the row has neither.
    """
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
        imputed = _imputed_power(row) if power is None or power <= 0 else None
        skip = _skip_reason(row, names, power, where, imputed)
        if skip:
            issues.append(Issue(row.line, name, skip))
            continue
        assert where is not None
        power, power_spec, found = _cluster_power(row, power, imputed)
        issues += found
        acc, found = _cluster_accelerator(row, accelerator)
        issues += found
        phase, found = _cluster_phase(row, online, power_spec, as_of_date)
        issues += found
        site_id = _unique(_slug(name), taken)
        sites[site_id] = _cluster_site(row, where, acc, power, imputed, phase, as_of_date)
        items.append(
            {
                "id": site_id,
                "line": row.line,
                "name": name,
                "status": status,
                "certainty": row.get("Certainty"),
                "facility_mw": power,
                "accelerator": acc,
                "power_imputed": imputed is not None,
                **({"facility_mw_p10_p90": [imputed[0][0], imputed[0][2]]} if imputed else {}),
            }
        )
    document = _scenario("epoch-gpu-clusters", sites, as_of_date, "Epoch AI GPU clusters")
    return Imported("epoch-gpu-clusters", document, items, issues, len(rows))


def _skip_reason(
    row: Row,
    names: set[str],
    power: float | None,
    where: tuple[str, str] | None,
    imputed: _Imputed | None,
) -> str | None:
    """Why a cluster row is not imported, or None: the first reason that applies."""
    name, status = row.get("Name"), row.get("Status")
    superseded = row.get("Superseded by")
    return (
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


def _cluster_power(
    row: Row, power: float | None, imputed: _Imputed | None
) -> tuple[float, str | dict[str, Any], list[Issue]]:
    """A cluster's facility MW (P50 where imputed), its scenario ``power`` and the issue an
    imputation raises."""
    issues: list[Issue] = []
    power_spec: str | dict[str, Any] = f"{power or 0:g} MW"
    if imputed is not None:
        (low, power, high), how = imputed
        power_spec = {"lognormal": {"p50": f"{power:.4g} MW", "p90": f"{high:.4g} MW"}}
        issues.append(
            Issue(
                row.line,
                row.get("Name"),
                f"no power capacity: facility power imputed from {how} "
                f"(P10/P50/P90 {low:.3g}/{power:.3g}/{high:.3g} MW)",
                "imputed",
            )
        )
    assert power is not None
    return power, power_spec, issues


def _cluster_accelerator(row: Row, accelerator: str) -> tuple[str, list[Issue]]:
    """The catalog accelerator of a cluster's chip (else ``accelerator``), and warnings: a chip
    not in the catalog, a row Epoch flags as a possible duplicate."""
    name, chip = row.get("Name"), row.get("Chip type (primary)")
    issues: list[Issue] = []
    acc = _chip(chip)
    if acc is None:
        acc = accelerator
        issues.append(
            Issue(row.line, name, f"chip {chip or 'not given'!r} not in the catalog; using {acc}", "warning")
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
    return acc, issues


def _cluster_phase(
    row: Row, online: float | None, power_spec: str | dict[str, Any], as_of_date: float
) -> tuple[dict[str, Any], list[Issue]]:
    """A cluster's one phase: online at its first operational date (existing; as-of where
    undated, with a warning) or announced with Epoch's date as ``projected_online`` (planned)."""
    issues: list[Issue] = []
    phase: dict[str, Any] = {"name": "Cluster", "power": power_spec}
    if row.get("Status") == "Existing":
        if online is None:
            online = as_of_date
            message = "existing cluster without a date: online by as-of"
            issues.append(Issue(row.line, row.get("Name"), message, "warning"))
        phase |= {"status": "online", "start": _day(online), "online": _day(online)}
    else:
        phase["status"] = "announced"
        if online is not None:  # Epoch's planned date: kept for comparison, never a floor
            phase["projected_online"] = _day(online)
    certainty = row.get("Certainty")
    phase |= {"source": ["epoch-gpu-clusters"], "note": f"Epoch certainty: {certainty}."}
    return phase, issues


def _cluster_site(
    row: Row,
    where: tuple[str, str],
    acc: str,
    power: float,
    imputed: _Imputed | None,
    phase: dict[str, Any],
    as_of_date: float,
) -> dict[str, Any]:
    """A cluster as a scenario site: its place, chip, a grid power plan sized to it (Epoch
    publishes none), its one phase, and a note of what Epoch says and what was imputed."""
    name, status, chip = row.get("Name"), row.get("Status"), row.get("Chip type (primary)")
    certainty = row.get("Certainty")
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
    return {
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
