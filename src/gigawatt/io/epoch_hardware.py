"""Epoch's ML hardware → a scenario fragment of accelerators on catalog bases."""

from __future__ import annotations

import math
import re
from typing import Any

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.io.epoch import _SOURCES, Imported, Issue, Row, _date, _day, _number, _slug, _unique, read_rows
from gigawatt.io.epoch_clusters import _chip

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
        skipped = _skip_reason(name, fields)
        if skipped is not None:
            issues.append(Issue(row.line, name, skipped))
            continue
        released, tdp, bf16 = (float(v or 0) for v in fields.values())
        key = _unique(_slug(name), taken)
        base_id, how = _hardware_base(name, row.get("Manufacturer"), bf16, catalog)
        price = _number(row.get("Release price (USD)"))
        price = price if price is not None and price > 0 else None
        entries[key] = _hardware_entry(row, base_id, released, tdp, bf16, h100_flops, price)
        notes[key] = _hardware_comment(row, base_id, how, price, catalog)
        if price is None:
            issues.append(
                Issue(
                    row.line,
                    name,
                    f"no release price: capex uses {base_id}'s catalog price (fallback)",
                    "warning",
                )
            )
        items.append(
            {
                "id": key,
                "line": row.line,
                "name": name,
                "base": base_id,
                "bf16_flops": bf16,
                "price_usd": price,
                "price_from": "epoch" if price is not None else f"fallback: {base_id} catalog price",
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


def _skip_reason(name: str, fields: dict[str, float | None]) -> str | None:
    """Why a row is not imported (no name; a consumer or workstation card; a figure missing or
    not positive), or None."""
    missing = [k for k, v in fields.items() if v is None or v <= 0]
    consumer = CONSUMER_GPU.search(name)
    if not name:
        return "missing Hardware name"
    if consumer:
        return f"consumer/workstation graphics card ({consumer[0]}), not a data-center accelerator"
    if missing:
        return f"missing {', '.join(missing)}"
    return None


def _hardware_entry(
    row: Row,
    base_id: str,
    released: float,
    tdp: float,
    bf16: float,
    h100_flops: float,
    price: float | None,
) -> dict[str, Any]:
    """A chip as a scenario accelerator on catalog ``base_id``: Epoch's figures (IT power from
    the TDP by Epoch's power breakdown; H100 equivalents by dense BF16), its vendor and, where
    given, its release price."""
    entry: dict[str, Any] = {
        "base": base_id,
        "name": row.get("Hardware name"),
        "available": _day(released),
        "chip_tdp": f"{tdp:g} W",
        "it_power": f"{tdp * _IT_PER_TDP:.4g} W",
        "bf16_dense": f"{bf16:.6g} FLOP/s",
        "h100_equivalents": round(bf16 / h100_flops, 4),
    }
    if row.get("Manufacturer"):
        entry["vendor"] = _slug(row.get("Manufacturer"))
    if price is not None:
        entry["price"] = f"${price:,.0f}"
    return entry


def _hardware_comment(row: Row, base_id: str, how: str, price: float | None, catalog: Catalog) -> list[str]:
    """The YAML comment over a chip's entry: where each figure comes from, the price's source
    (or that it falls back to the base's catalog price) and what Epoch gives that the schema
    does not take."""
    name = row.get("Hardware name")
    comment = [
        f"{name}: Epoch ML hardware line {row.line} ({row.get('Manufacturer') or 'no manufacturer'}, "
        f"type {row.get('Type') or 'not given'}); release date, TDP and dense BF16 from Epoch;",
        "it_power = 1.53 x 1.14 x TDP (Epoch's power breakdown: server / IT overheads).",
        f"h100_equivalents = its dense BF16 / the H100's; base {base_id} ({how}): useful life comes from it.",
    ]
    if price is not None:
        comment.append("price: Epoch's release price (list price; the catalog's includes a system share).")
    else:
        comment.append(
            f"price: NOT IN EPOCH - FALLBACK to base {base_id}'s catalog price "
            f"(${catalog.accelerators[base_id].price_usd.value:,.0f}); capex for this chip is not its own."
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
    return comment
