"""The built-in site catalog as rows: what a scenario can name with ``sites.X.catalog: ID``."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gigawatt import units
from gigawatt.catalog import load_catalog
from gigawatt.scenario import Site

__all__ = ["catalog_sites"]


def catalog_sites() -> list[dict[str, Any]]:
    """One row per catalog site: id, name, country, programme, parties, accelerator, power
    sources, phases by status and their total power (P50 of each phase's power, MW, on the
    site's ``power_basis``: facility or IT), first and last dates stated, sources."""
    catalog = load_catalog()
    rows = []
    for key, data in (catalog.sites.data or {}).get("sites", {}).items():
        site = Site.model_validate(data)
        statuses = Counter(ph.status for ph in site.phases)
        online = [ph.online_date.ppf(0.5) for ph in site.phases if ph.online_date is not None]
        rows.append(
            {
                "id": key,
                "name": site.name,
                "country": site.country,
                "region": site.region,
                "programme": site.programme,
                "operator": site.operator,
                "tenant": site.tenant,
                "accelerator": site.accelerator,
                "cooling": site.cooling,
                "power_basis": site.power_basis,
                "power_mw_p50": float(sum(ph.power_mw.ppf(0.5) for ph in site.phases)),
                "power_sources": sorted({source.kind for source in site.power_plan}),
                "phases": len(site.phases),
                "phases_by_status": dict(statuses),
                "announced": units.format_date(site.announced_date) if site.announced_date else None,
                "last_online_p50": units.format_date(max(online)) if online else None,
                "location": None if site.location is None else site.location.model_dump(),
                "sources": sorted({s for ph in site.phases for s in ph.source} | set(site.source)),
            }
        )
    return rows
