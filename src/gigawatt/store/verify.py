"""Find damaged blocks (``gigawatt runs verify``) and rebuild what can be
rebuilt (``gigawatt runs repair``).

A block file is checked whole: every Parquet page against its CRC-32 (written with the
block), every value decoded, its schema against what the store writes (an engine
run's aggregates; per-draw rows with one row per draw of the block). Repair sets a
damaged block aside (renamed ``damaged-…``, never deleted), so the run is no longer
complete and ``gigawatt run --resume`` recomputes exactly that block, and it rebuilds
a catalogue that cannot be read from each run folder's ``run.json``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from gigawatt.store.catalogue import _COLUMNS, Store
from gigawatt.store.records import MANIFEST, RunRecord, StoreError
from gigawatt.store.tables import aggregates_table

__all__ = ["Damage", "RepairReport", "repair", "verify"]

_FILE = re.compile(r"^(?P<kind>block|draws)-(?P<index>\d{6})\.parquet$")


@dataclass(frozen=True)
class Damage:
    """One damaged or missing file of a run."""

    run_id: str
    file: str
    problem: str

    def __str__(self) -> str:
        return f"run {self.run_id}: {self.file}: {self.problem}"


@dataclass
class RepairReport:
    """What :func:`repair` did."""

    catalogue_rebuilt: bool = False
    #: runs whose row was rebuilt from their ``run.json``
    restored: list[str] = field(default_factory=list)
    #: run folders that could not be restored (no readable ``run.json``)
    lost: list[str] = field(default_factory=list)
    #: files set aside, as ``run/file``
    set_aside: list[str] = field(default_factory=list)
    #: runs marked for ``--resume`` (a block of theirs was damaged)
    to_resume: list[str] = field(default_factory=list)


def _aggregates_schema() -> pa.Schema:
    from gigawatt.engine import Aggregates

    return aggregates_table(Aggregates()).schema


def check_file(path: Path, kind: str, draws: tuple[int, int] | None) -> str | None:
    """Why the block file ``path`` is damaged, or None if whole. ``kind``: ``block`` or
    ``draws``; ``draws``: the draw range of an engine run's block (None for other runs)."""
    try:
        table = pq.read_table(path, page_checksum_verification=True)
        table.validate(full=True)
    except (OSError, pa.ArrowException) as exc:
        return f"unreadable: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    if draws is None:
        return None
    if kind == "block" and not table.schema.equals(_aggregates_schema()):
        return "not an engine block (its columns differ from the aggregates the store writes)"
    if kind == "draws":
        lo, hi = draws
        if "draw" not in table.column_names:
            return "per-draw rows without a draw column"
        if table.num_rows != hi - lo:
            return f"{table.num_rows} rows for draws {lo}..{hi - 1} ({hi - lo} expected)"
        column = table.column("draw")
        if column.null_count or pc.min(column).as_py() != lo or pc.max(column).as_py() != hi - 1:
            return f"draw numbers are not {lo}..{hi - 1}"
    return None


def _run_damage(store: Store, run_id: str, record: RunRecord | None) -> list[Damage]:
    folder = store.run_dir(run_id)
    engine = record is not None and record.kind == "run" and any(folder.glob("draws-*.parquet"))
    found: list[Damage] = []
    blocks: set[int] = set()
    for path in sorted(folder.iterdir()):
        match = _FILE.match(path.name)
        if not match:
            continue
        index = int(match["index"])
        if match["kind"] == "block":
            blocks.add(index)
        span = None
        if engine and record is not None:
            lo = index * record.block_draws
            span = (lo, min(record.draws, lo + record.block_draws))
        problem = check_file(path, match["kind"], span)
        if problem:
            found.append(Damage(run_id, path.name, problem))
    if engine:
        for index in sorted(blocks):
            if not (folder / f"draws-{index:06d}.parquet").is_file():
                found.append(Damage(run_id, f"draws-{index:06d}.parquet", "missing (its block is there)"))
    if record is not None and record.status == "complete" and blocks and len(blocks) < record.blocks_total:
        missing = sorted(set(range(record.blocks_total)) - blocks)
        found.append(Damage(run_id, f"block-{missing[0]:06d}.parquet", f"missing ({len(missing)} blocks)"))
    return found


def verify(store: Store, run_id: str | None = None) -> list[Damage]:
    """Every damaged or missing block file of one run (``run_id``) or of every run."""
    if run_id is not None:
        record = store.get(run_id)
        return _run_damage(store, record.id, record)
    records = {r.id: r for r in store.list_runs()}
    found: list[Damage] = []
    runs = store.root / "runs"
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        if folder.is_dir():
            if folder.name not in records:
                found.append(Damage(folder.name, MANIFEST, "run folder not in the catalogue (runs repair)"))
            found += _run_damage(store, folder.name, records.get(folder.name))
    return found


def repair(store: Store) -> RepairReport:
    """Rebuild an unreadable catalogue from the run folders' ``run.json``, set damaged block
    files aside, and mark runs that lost a block as failed, so ``--resume`` recomputes it."""
    report = RepairReport()
    try:
        records = {r.id: r for r in store.list_runs()}
    except StoreError:
        _set_catalogue_aside(store)
        report.catalogue_rebuilt = True
        records = {}
    runs = store.root / "runs"
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        if not folder.is_dir():
            continue
        record = records.get(folder.name)
        if record is None:
            record = _restore(store, folder)
            if record is None:
                report.lost.append(folder.name)
                continue
            report.restored.append(record.id)
        if record.status == "running":  # its process is alive: leave its files alone
            continue
        damaged = _run_damage(store, record.id, record)
        lost_blocks = set()
        for damage in damaged:
            path = folder / damage.file
            match = _FILE.match(damage.file)
            if match is None or not path.is_file():
                continue
            lost_blocks.add(int(match["index"]))
        for index in sorted(lost_blocks):  # a block and its per-draw rows go together
            for kind in ("block", "draws"):
                path = folder / f"{kind}-{index:06d}.parquet"
                if path.is_file():
                    path.rename(folder / f"damaged-{path.name}")
                    report.set_aside.append(f"{record.id}/{path.name}")
        remaining = len(store.completed_blocks(record.id))
        short = record.status == "complete" and 0 < remaining < record.blocks_total
        if (lost_blocks or short) and record.status in ("complete", "interrupted"):
            blocks = ", ".join(str(i) for i in sorted(lost_blocks)) or "none"
            store.fail_run(
                record.id,
                f"blocks missing or damaged (set aside: {blocks}) found by runs repair; "
                "--resume recomputes them",
            )
            report.to_resume.append(record.id)
    return report


def _set_catalogue_aside(store: Store) -> None:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    for name in ("catalog.duckdb", "catalog.duckdb.wal"):
        path = store.root / name
        if path.exists():
            path.rename(store.root / f"{name}.damaged-{stamp}")
    store._ready = False
    store._cache = None


def _restore(store: Store, folder: Path) -> RunRecord | None:
    """Put a run folder's ``run.json`` back in the catalogue; unfinished runs as failed."""
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if data.get("id") != folder.name:
            return None
        if data["status"] != "complete":
            data["status"] = "failed"
            data["error"] = "restored by runs repair after the catalogue was lost; --resume continues it"
        columns = _COLUMNS.split(", ")
        row = [data.get(c) for c in columns]
        for key in ("params", "summary"):
            value = data.get(key)
            row[columns.index(key)] = None if value is None else json.dumps(value, sort_keys=True)
        for key in ("created", "finished"):
            value = data.get(key)
            row[columns.index(key)] = None if value is None else datetime.fromisoformat(value)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    with store._db(write=True) as con:
        con.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)
    return store.get(folder.name)
