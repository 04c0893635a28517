"""The run store: every run, its inputs, its summary and its per-block arrays, on disk.

Layout under a project folder (default ``./.gigawatt``, or ``$GIGAWATT_STORE``)::

    catalog.duckdb            one row per run: scenario text + hash, seed, draws, status, summary
    catalog.lock              held (flock) for each short catalogue transaction
    catalog.changed           a token rewritten after every change (readers cache the catalogue by it)
    runs/<id>/block-000003.parquet   one file per completed block of draws: its Aggregates
    runs/<id>/draws-000003.parquet   the same block, one row per draw (engine runs; see draws_table)
    runs/<id>/run.json        the run's catalogue row, rewritten when it begins and completes, so
                              `gigawatt runs repair` can rebuild a lost catalogue (gigawatt.store_tools)

Crash safety: a block is written to a temporary file, flushed, and renamed into
place (``os.replace`` is atomic), so a block file is either whole or absent; a
block's per-draw file is renamed into place before its aggregates file, so every
completed block has whole per-draw rows and resume rewrites the same bytes. A
run's row says ``running`` until :meth:`Store.finish_run` writes its summary in
one transaction; a process killed at any moment leaves at worst a ``running`` row
(listed as ``interrupted`` once its process is gone) and some whole blocks, from
which :func:`resume_run` continues. DuckDB allows one writing process at a time,
so every catalogue access opens, works and closes under an exclusive file lock:
concurrent runs interleave their short transactions and all land. Readers (the
dashboard) keep the parsed catalogue until ``catalog.changed`` changes, so a read
opens DuckDB only after some process wrote.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import functools
import hashlib
import json
import math
import os
import re
import secrets
import socket
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from gigawatt import sources
from gigawatt.errors import GigawattError

__all__ = [
    "MANIFEST",
    "RunRecord",
    "Store",
    "StoreError",
    "RunNotFoundError",
    "compare_runs",
    "continue_run",
    "default_root",
    "diff_flat",
    "draws_table",
    "flatten",
    "jsonable",
    "aggregates_from_table",
    "aggregates_table",
    "check_resumable",
    "load_results",
    "resume_run",
    "run_recorded",
    "scenario_hash",
    "scenario_of",
    "scenario_source",
]

Status = Literal["running", "complete", "failed", "interrupted"]
_BLOCK = re.compile(r"^block-(\d{6})\.parquet$")
_MARKER = "catalog.changed"
#: Each run folder's copy of its catalogue row.
MANIFEST = "run.json"
_ID = re.compile(r"^[0-9a-f]{4,32}$")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    scenario VARCHAR NOT NULL,
    scenario_ref VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    scenario_text VARCHAR NOT NULL,
    draws BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    block_draws BIGINT NOT NULL,
    params VARCHAR NOT NULL,
    version VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    created TIMESTAMP NOT NULL,
    finished TIMESTAMP,
    elapsed_s DOUBLE,
    host VARCHAR NOT NULL,
    pid INTEGER NOT NULL,
    summary VARCHAR,
    error VARCHAR
);
ALTER TABLE runs ADD COLUMN IF NOT EXISTS resolved_text VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS run_hash VARCHAR;
"""
_COLUMNS = (
    "id, kind, scenario, scenario_ref, scenario_hash, scenario_text, draws, seed, block_draws, params, "
    "version, status, created, finished, elapsed_s, host, pid, summary, error, resolved_text, run_hash"
)


class StoreError(GigawattError):
    """A run that does not exist, is ambiguous, or cannot be resumed."""


class RunNotFoundError(StoreError):
    """No run has the id (or id prefix) asked for (the dashboard answers 404)."""


def default_root() -> Path:
    """``$GIGAWATT_STORE`` if set, else ``./.gigawatt``."""
    return Path(os.environ.get("GIGAWATT_STORE") or ".gigawatt")


def scenario_hash(text: str) -> str:
    """SHA-256 of a scenario's text: the identity of what was simulated."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunRecord:
    """One run as the catalogue knows it (``summary`` is ``None`` until complete)."""

    id: str
    kind: str
    scenario: str
    scenario_ref: str
    scenario_hash: str
    scenario_text: str
    draws: int
    seed: int
    block_draws: int
    params: dict[str, Any]
    version: str
    status: Status
    created: datetime
    finished: datetime | None
    elapsed_s: float | None
    host: str
    pid: int
    summary: dict[str, Any] | None = None
    error: str | None = None
    blocks_done: int = field(default=0)
    #: The scenario with every ``extends`` parent merged in, as simulated (None: not resolvable,
    #: or recorded before gigawatt kept it); see :mod:`gigawatt.resolved`.
    resolved_text: str | None = None
    #: The run's identity: resolved scenario, catalogs, version and seed (:func:`gigawatt.resolved.run_hash`).
    run_hash: str | None = None

    @property
    def blocks_total(self) -> int:
        return math.ceil(self.draws / self.block_draws) if self.draws else 0

    @property
    def blocks(self) -> str | None:
        """``done/total`` blocks of draws on disk; None for a result recorded whole (plan, stress…)."""
        if self.status == "complete" and self.blocks_done == 0:
            return None
        return f"{self.blocks_done}/{self.blocks_total}"

    def brief(self) -> dict[str, Any]:
        """The fields of ``runs list --json``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash[:12],
            "run_hash": (self.run_hash or "")[:12],
            "created": self.created.isoformat(),
            "draws": self.draws,
            "seed": self.seed,
            "status": self.status,
            "elapsed_s": self.elapsed_s,
            "blocks": self.blocks,
            "version": self.version,
        }

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["created"] = self.created.isoformat()
        out["finished"] = self.finished.isoformat() if self.finished else None
        return out


class Store:
    """A folder of runs: a DuckDB catalogue plus one Parquet file per block."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        self._ready = False
        self._cache: tuple[str, list[RunRecord]] | None = None  # (marker, parsed catalogue)

    # ------------------------------------------------------------ catalogue access

    @contextlib.contextmanager
    def _db(self, write: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
        """An exclusive, short-lived connection (one DuckDB writer at a time, across processes).

        ``write``: bump the change marker first, under the lock: a reader that sees the new
        marker reloads under the same lock, so after the commit, even if this process dies
        between the two."""
        self._mkdir(self.root)
        try:
            lock = open(self.root / "catalog.lock", "a+")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise StoreError(f"cannot open the run store in {str(self.root)!r}: {exc.strerror}") from None
        with lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                con = duckdb.connect(str(self.root / "catalog.duckdb"))
            except duckdb.Error as exc:
                raise StoreError(self._damaged(exc)) from None
            try:
                if not self._ready:
                    con.execute(_SCHEMA)
                    self._ready = True
                if write:
                    self._bump()
                yield con
            except duckdb.Error as exc:
                raise StoreError(self._damaged(exc)) from None
            finally:
                con.close()
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _damaged(self, exc: Exception) -> str:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return (
            f"cannot read the run store's catalogue {str(self.root / 'catalog.duckdb')!r} ({first}); "
            "`gigawatt runs repair` rebuilds it from the stored blocks"
        )

    def _mkdir(self, folder: Path, exist_ok: bool = True) -> None:
        """Make a folder of the store, or say in one line why it cannot be one."""
        try:
            folder.mkdir(parents=True, exist_ok=exist_ok)
        except OSError as exc:
            raise StoreError(
                f"cannot use {str(self.root)!r} as a run store: {exc.strerror} ({str(folder)!r})"
            ) from None

    def _bump(self) -> None:
        """Rewrite the change marker (atomically) so readers drop their cached catalogue."""
        temp = self.root / f".{_MARKER}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
        temp.write_text(secrets.token_hex(8))
        os.replace(temp, self.root / _MARKER)

    def _marker(self) -> str | None:
        try:
            return (self.root / _MARKER).read_text()
        except OSError:
            return None

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    # ------------------------------------------------------------ writing a run

    def begin_run(
        self,
        *,
        scenario: str,
        scenario_text: str,
        draws: int,
        seed: int,
        block_draws: int,
        kind: str = "run",
        scenario_ref: str | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> str:
        """Register a new run as ``running``; returns its id. Its scenario is resolved here
        (every ``extends`` parent merged in, as :mod:`gigawatt.resolved` says) and kept, with
        the hash of what the run depends on."""
        from gigawatt import __version__
        from gigawatt.resolved import run_hash

        if draws < 0 or block_draws < 1:
            raise StoreError("a run needs draws >= 0 and block_draws >= 1")
        resolved = _resolve(scenario_text, scenario_ref or scenario, scenario)
        inputs = resolved.sha256 if resolved is not None else scenario_hash(scenario_text)
        run_id = secrets.token_hex(5)
        self._mkdir(self.run_dir(run_id), exist_ok=False)
        row = (
            run_id,
            kind,
            scenario,
            scenario_ref or scenario,
            inputs,
            scenario_text,
            draws,
            seed,
            block_draws,
            json.dumps(dict(params or {}), sort_keys=True, default=str),
            __version__,
            "running",
            _now(),
            None,
            None,
            socket.gethostname(),
            os.getpid(),
            None,
            None,
            resolved.text if resolved is not None else None,
            run_hash(inputs, __version__, seed),
        )
        with self._db(write=True) as con:
            con.execute(f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)
        self._write_manifest(run_id)
        return run_id

    def _write_manifest(self, run_id: str) -> None:
        """Copy a run's catalogue row into its folder (``run.json``, atomically)."""
        from gigawatt import safe_write

        data = self.get(run_id).as_dict()
        data.pop("blocks_done")
        text = json.dumps(data, sort_keys=True, allow_nan=False)
        safe_write.write_text(self.run_dir(run_id) / MANIFEST, text, force=True, what="run manifest")

    def write_block(self, run_id: str, index: int, table: pa.Table | Mapping[str, Any]) -> Path:
        """Write block ``index`` of a run atomically (temp file, fsync, rename): the block is complete."""
        # histograms: zstd without dictionaries is 2x smaller and faster to write than the default
        return self._write_atomic(
            run_id,
            f"block-{index:06d}.parquet",
            table,
            compression="zstd",
            use_dictionary=False,
            write_page_checksum=True,
        )

    def write_draws(self, run_id: str, index: int, table: pa.Table) -> Path:
        """Write block ``index``'s per-draw rows atomically; call before :meth:`write_block`."""
        return self._write_atomic(run_id, f"draws-{index:06d}.parquet", table, write_page_checksum=True)

    def _write_atomic(
        self, run_id: str, name: str, table: pa.Table | Mapping[str, Any], **parquet: Any
    ) -> Path:
        if not isinstance(table, pa.Table):
            table = pa.table(dict(table))
        folder = self.run_dir(run_id)
        if not folder.is_dir():
            raise RunNotFoundError(f"no run {run_id!r} in {str(self.root)!r}")
        final = folder / name
        temp = folder / f".{final.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
        try:
            pq.write_table(table, temp, **parquet)
            with open(temp, "rb") as handle:
                os.fsync(handle.fileno())
            os.replace(temp, final)
        finally:
            temp.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # make the rename itself durable
            fd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        return final

    def completed_blocks(self, run_id: str) -> list[int]:
        """Indices of the blocks whose files are whole (written by rename)."""
        folder = self.run_dir(run_id)
        if not folder.is_dir():
            return []
        found = (_BLOCK.match(p.name) for p in folder.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def draw_files(self, run_id: str) -> list[Path]:
        """The per-draw files of a run's completed blocks, in block order (none for runs without them)."""
        folder = self.run_dir(run_id)
        files = [folder / f"draws-{i:06d}.parquet" for i in self.completed_blocks(run_id)]
        return [f for f in files if f.is_file()]

    def query_draws(self, run_id: str, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """``sql`` over a run's per-draw rows, which it names ``draws`` (in-memory DuckDB, streamed)."""
        files = self.draw_files(run_id)
        if not files:
            raise StoreError(
                f"run {run_id} has no per-draw rows (only engine runs recorded block by block do)"
            )
        try:
            with duckdb.connect() as con:
                con.read_parquet([str(f) for f in files]).create_view("draws")
                return con.execute(sql, params).fetchall()
        except duckdb.Error as exc:
            raise StoreError(
                f"cannot read run {run_id}'s per-draw rows ({str(exc).splitlines()[0]}); "
                f"`gigawatt runs verify {run_id}` finds the damaged file"
            ) from None

    def export_draws(
        self, run_id: str, output: str | Path, fmt: Literal["csv", "parquet"], *, force: bool = False
    ) -> Path:
        """Write a run's per-draw rows, in draw order, to one CSV or Parquet file (streamed, then
        renamed); over an existing file only with ``force``."""
        from gigawatt import safe_write
        from gigawatt.resolved import inputs_of

        files = self.draw_files(run_id)
        if not files:
            raise StoreError(
                f"run {run_id} has no per-draw rows (only engine runs recorded block by block do)"
            )
        output = Path(output)
        options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet, COMPRESSION zstd"
        inputs = inputs_of(self.get(run_id).scenario_ref)
        with safe_write.replacing(output, force=force, protected=inputs, what="export") as temp:
            try:
                with duckdb.connect() as con:
                    con.read_parquet([str(f) for f in files]).create_view("draws")
                    quoted = str(temp).replace("'", "''")
                    con.execute(f"COPY (SELECT * FROM draws) TO '{quoted}' ({options})")
            except duckdb.Error as exc:
                raise StoreError(f"cannot write {str(output)!r}: {exc}") from None
        return output

    def draw_target_probabilities(self, run_id: str) -> dict[str, float] | None:
        """P(each target by its date) counted over the per-draw rows (``None`` if the run has none);
        the same answer the summary gives from its histograms."""
        record = self.get(run_id)
        targets = (record.summary or {}).get("targets") or []
        files = self.draw_files(record.id)
        if not targets or not files or len(files) != record.blocks_total:
            return None
        met = ", ".join(
            'avg(CASE WHEN "target:{}" <= CAST(? AS DATE) THEN 1.0 ELSE 0.0 END)'.format(
                t["name"].replace('"', '""')
            )
            for t in targets
        )
        [row] = self.query_draws(record.id, f"SELECT {met} FROM draws", tuple(t["by"] for t in targets))
        return {t["name"]: float(p) for t, p in zip(targets, row, strict=True)}

    def read_block(self, run_id: str, index: int) -> pa.Table:
        path = self.run_dir(run_id) / f"block-{index:06d}.parquet"
        try:
            return pq.read_table(path, page_checksum_verification=True)
        except (OSError, pa.ArrowException) as exc:
            raise StoreError(
                f"block {index} of run {run_id} is damaged ({str(exc).splitlines()[0]}); "
                "`gigawatt runs repair` sets it aside so `gigawatt run --resume` recomputes it"
            ) from None

    def read_blocks(self, run_id: str) -> pa.Table:
        """All completed blocks of a run, in block order, as one table."""
        blocks = [self.read_block(run_id, i) for i in self.completed_blocks(run_id)]
        if not blocks:
            return pa.table({})
        return pa.concat_tables(blocks, promote_options="default")

    def finish_run(
        self, run_id: str, summary: Mapping[str, Any], elapsed_s: float | None = None
    ) -> RunRecord:
        """Mark a run complete with its summary, in one transaction; ``elapsed_s`` is the time
        the work took when it was done before the run was begun (default: since begun). The
        summary is kept with the run's ``kind`` and the results ``version`` in it."""
        from gigawatt.results import stamped

        record = self.get(run_id)
        finished = _now()
        if elapsed_s is None:
            elapsed_s = (finished - record.created).total_seconds()
        text = json.dumps(jsonable(stamped(record.kind, summary)), allow_nan=False)
        with self._db(write=True) as con:
            con.execute(
                "UPDATE runs SET status = 'complete', summary = ?, finished = ?, elapsed_s = ?, error = NULL "
                "WHERE id = ?",
                (text, finished, elapsed_s, run_id),
            )
        self._write_manifest(run_id)
        return self.get(run_id)

    def fail_run(self, run_id: str, message: str) -> None:
        """Mark a run failed, saying why."""
        with self._db(write=True) as con:
            con.execute(
                "UPDATE runs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
                (message, _now(), run_id),
            )
        self._write_manifest(run_id)

    def adopt(self, run_id: str) -> None:
        """Make this process the owner of a ``running`` run (a worker taking over from its server)."""
        with self._db(write=True) as con:
            con.execute(
                "UPDATE runs SET pid = ?, host = ? WHERE id = ?", (os.getpid(), socket.gethostname(), run_id)
            )

    def claim(self, run_id: str) -> RunRecord:
        """Take over an unfinished run (for ``--resume``): it becomes ``running`` under this process."""
        record = self.get(run_id)
        if record.status == "complete":
            raise StoreError(
                f"run {record.id} is already complete (`gigawatt runs verify {record.id}` checks its "
                "blocks; `runs repair` marks damaged ones for --resume)"
            )
        if record.status == "running":
            raise StoreError(f"run {record.id} is still running (process {record.pid} on {record.host})")
        with self._db(write=True) as con:
            con.execute(
                "UPDATE runs SET status = 'running', pid = ?, host = ?, error = NULL, finished = NULL "
                "WHERE id = ?",
                (os.getpid(), socket.gethostname(), record.id),
            )
        for stale in self.run_dir(record.id).glob(".*.tmp"):
            stale.unlink(missing_ok=True)
        return self.get(record.id)

    def record_run(
        self,
        *,
        scenario: str,
        scenario_text: str,
        draws: int,
        seed: int,
        summary: Mapping[str, Any],
        blocks: list[pa.Table] | None = None,
        block_draws: int | None = None,
        kind: str = "run",
        scenario_ref: str | None = None,
        params: Mapping[str, Any] | None = None,
        elapsed_s: float | None = None,
    ) -> RunRecord:
        """Record a run that already finished in memory (``plan``, ``stress``, a plain ``run``);
        ``elapsed_s``: how long the work took (default: the time to record it)."""
        blocks = blocks or []
        run_id = self.begin_run(
            scenario=scenario,
            scenario_text=scenario_text,
            draws=draws,
            seed=seed,
            block_draws=block_draws or max(draws, 1),
            kind=kind,
            scenario_ref=scenario_ref,
            params=params,
        )
        for index, table in enumerate(blocks):
            self.write_block(run_id, index, table)
        return self.finish_run(run_id, summary, elapsed_s)

    def record_result(self, source: str | Path, name: str, **fields: Any) -> RunRecord:
        """:meth:`record_run` for a result of the scenario ``source`` (a built-in's name or a
        path), named ``name``: its text and reference are read here."""
        text, ref = scenario_source(source)
        return self.record_run(scenario=name, scenario_text=text, scenario_ref=ref, **fields)

    # ------------------------------------------------------------ reading

    def list_runs(self) -> list[RunRecord]:
        """Every run, newest first."""
        return [self._live(r) for r in self._catalogue()]

    def _catalogue(self) -> list[RunRecord]:
        """The parsed catalogue, newest first: cached until the change marker changes."""
        if not (self.root / "catalog.duckdb").exists():
            return []
        marker = self._marker()
        cached = self._cache
        if marker is not None and cached is not None and cached[0] == marker:
            return cached[1]
        with self._db() as con:
            marker = self._marker()  # under the lock: consistent with the rows
            rows = con.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY created DESC, id").fetchall()
        records = [self._record(row) for row in rows]
        if marker is not None:
            self._cache = (marker, records)
        return records

    def _live(self, record: RunRecord) -> RunRecord:
        """A cached record brought up to date: unfinished runs' blocks (progress, written without a
        catalogue change) and owner process recounted."""
        if record.status not in ("running", "interrupted"):
            return record
        status = record.status
        if status == "running" and not _alive(record.host, record.pid):
            status = "interrupted"
        return dataclasses.replace(record, status=status, blocks_done=len(self.completed_blocks(record.id)))

    def get(self, run_id: str) -> RunRecord:
        """A run by id or unique id prefix."""
        run_id = run_id.strip().lower()
        if not _ID.match(run_id):
            raise StoreError(f"not a run id: {run_id!r}")
        if not (self.root / "catalog.duckdb").exists():
            raise RunNotFoundError(f"no run {run_id!r}: the store {str(self.root)!r} is empty")
        found = sorted((r for r in self._catalogue() if r.id.startswith(run_id)), key=lambda r: r.id)
        if not found:
            raise RunNotFoundError(f"no run {run_id!r} in {str(self.root)!r}")
        if len(found) > 1:
            raise StoreError(f"run id {run_id!r} is ambiguous: {', '.join(r.id for r in found)}")
        return self._live(found[0])

    def remove(self, run_id: str) -> str:
        """Delete a run's row and its blocks; returns the full id."""
        record = self.get(run_id)
        with self._db(write=True) as con:
            con.execute("DELETE FROM runs WHERE id = ?", (record.id,))
        folder = self.run_dir(record.id)
        if folder.is_dir():
            for item in folder.iterdir():
                item.unlink()
            folder.rmdir()
        return record.id

    def _record(self, row: tuple[Any, ...]) -> RunRecord:
        values = dict(zip(_COLUMNS.split(", "), row, strict=True))
        values["params"] = json.loads(values["params"])
        values["summary"] = json.loads(values["summary"]) if values["summary"] else None
        values["blocks_done"] = len(self.completed_blocks(values["id"]))
        return RunRecord(**values)  # as stored: readers pass it through _live


# ---------------------------------------------------------------- comparing runs


def flatten(data: Any, prefix: str = "", max_list: int = 12) -> dict[str, Any]:
    """Nested dicts/lists → ``{"a.b[0].c": leaf}``; lists of named dicts are keyed by name;
    long numeric lists (time series) are left out."""
    out: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key), max_list))
    elif isinstance(data, list):
        if data and all(isinstance(v, Mapping) and "name" in v for v in data):
            for item in data:
                rest = {k: v for k, v in item.items() if k != "name"}
                out.update(flatten(rest, f"{prefix}[{item['name']}]", max_list))
        elif len(data) <= max_list:
            for index, value in enumerate(data):
                out.update(flatten(value, f"{prefix}[{index}]", max_list))
    else:
        out[prefix] = data
    return out


def diff_flat(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entries that differ between two flattened mappings, with the change when numeric."""
    rows = []
    for key in sorted(set(a) | set(b)):
        old, new = a.get(key), b.get(key)
        if old == new:
            continue
        row: dict[str, Any] = {"path": key, "a": old, "b": new}
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        if numbers and math.isfinite(float(old)) and math.isfinite(float(new)):  # type: ignore[arg-type]
            row["change"] = float(new) - float(old)  # type: ignore[arg-type]
        rows.append(row)
    return rows


def resolved_inputs(record: RunRecord) -> dict[str, Any]:
    """A run's scenario as simulated (every ``extends`` parent merged in, as recorded; for
    older records, built-in parents merged and a file's text as written), flattened."""
    from gigawatt import _yaml

    try:
        if record.resolved_text is not None:  # as simulated, whatever the files say now
            data = _yaml.load(record.resolved_text, record.scenario_ref).data
        else:
            doc = _yaml.load(record.scenario_text, record.scenario_ref)
            try:
                data = sources.resolve(doc, files=False).data
            except GigawattError:  # extends a file: compare the text as written
                data = doc.data
    except GigawattError:
        data = {"text": record.scenario_text}
    return flatten(_yaml.stringify_keys(data), max_list=1000)


def compare_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """What changed between two runs' scenarios (inputs) and what it did to the answers (outputs)."""
    settings = {"draws": a.draws, "seed": a.seed}, {"draws": b.draws, "seed": b.seed}
    return {
        "a": a.brief(),
        "b": b.brief(),
        "same_scenario": a.scenario_hash == b.scenario_hash,
        "settings": diff_flat(*settings),
        "inputs": diff_flat(resolved_inputs(a), resolved_inputs(b)),
        "outputs": diff_flat(flatten(a.summary or {}), flatten(b.summary or {})),
    }


# ---------------------------------------------------------------- helpers


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _alive(host: str, pid: int) -> bool:
    """Whether the process that owns a ``running`` row still exists (other hosts: assume so)."""
    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return _not_zombie(pid)


def _not_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def jsonable(value: Any) -> Any:
    """JSON-ready copy: numpy scalars/arrays to Python, non-finite floats to None."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# ---------------------------------------------------------------- recorded engine runs


def aggregates_table(agg: Any) -> pa.Table:
    """An engine :class:`~gigawatt.engine.Aggregates` as a sparse, exact Parquet-ready table.

    One row per array: its field, name, chunk (-1 unless a per-chunk sum; -2 for a count), shape, and the
    flat indices and values of its non-zero entries (integers stay int64, sums float64)."""
    rows: dict[str, list[Any]] = {
        k: [] for k in ("group", "name", "chunk", "shape", "index", "ints", "floats")
    }

    def add(group: str, name: str, chunk: int, array: Any) -> None:
        import numpy as np

        flat = np.asarray(array).ravel()
        index = np.flatnonzero(flat)
        rows["group"].append(group)
        rows["name"].append(name)
        rows["chunk"].append(chunk)
        rows["shape"].append(list(np.shape(array)))
        rows["index"].append(index)
        is_int = np.issubdtype(flat.dtype, np.integer)
        rows["ints"].append(flat[index].astype(np.int64) if is_int else None)
        rows["floats"].append(None if is_int else flat[index].astype(np.float64))

    for spec in dataclasses.fields(agg):
        value = getattr(agg, spec.name)
        if isinstance(value, int):
            add(spec.name, spec.name, -2, [value])
        elif all(isinstance(k, int) for k in value):  # per-chunk sums
            for chunk, sums in sorted(value.items()):
                for name, array in sorted(sums.items()):
                    add(spec.name, name, chunk, array)
        else:
            for name, array in sorted(value.items()):
                add(spec.name, name, -1, array)
    schema = pa.schema(
        [
            ("group", pa.string()),
            ("name", pa.string()),
            ("chunk", pa.int64()),
            ("shape", pa.list_(pa.int64())),
            ("index", pa.list_(pa.int64())),
            ("ints", pa.list_(pa.int64())),
            ("floats", pa.list_(pa.float64())),
        ]
    )
    return pa.table(rows, schema=schema)


def aggregates_from_table(table: pa.Table) -> Any:
    """Inverse of :func:`aggregates_table`."""
    import numpy as np

    from gigawatt.engine import Aggregates

    agg = Aggregates()
    table = table.combine_chunks()
    groups, names = table.column("group").to_pylist(), table.column("name").to_pylist()
    chunks, shapes = table.column("chunk").to_pylist(), table.column("shape").to_pylist()
    index, ints, floats = (table.column(k).chunk(0) for k in ("index", "ints", "floats"))
    for i, (group, name, chunk, shape) in enumerate(zip(groups, names, chunks, shapes, strict=True)):
        is_int = ints[i].is_valid
        values = (ints if is_int else floats)[i].values.to_numpy(zero_copy_only=False)
        array = np.zeros(int(np.prod(shape)), dtype=np.int64 if is_int else np.float64)
        array[index[i].values.to_numpy(zero_copy_only=False)] = values
        array = array.reshape(shape)
        if chunk == -2:
            setattr(agg, group, int(array[0]))
        elif chunk >= 0:
            getattr(agg, group).setdefault(int(chunk), {})[name] = array
        else:
            getattr(agg, group)[name] = array
    return agg


def draws_table(model: Any, seed: int, start: int, stop: int, ds: Any = None) -> pa.Table:
    """Draws ``start``..``stop`` of an engine run, one row each (what the aggregates summarise);
    ``ds`` is their :func:`~gigawatt.engine.simulate_block` output if already made.

    Columns: ``draw``; ``target:NAME`` — the date the target is met on its basis, on the run's
    time grid (the first grid date on or after it, as the summary counts; null if not within
    the horizon), so ``P(target by D)`` is the share of rows with ``target:NAME <= D``;
    ``facility_gw:YEAR`` — facility GW online at that year's end; ``it_gw:YEAR`` likewise for
    IT power; ``phases_online`` within the horizon; ``all_online`` — the day the last phase
    comes online if every phase does (null otherwise); ``last_phase_cause`` — the constraint
    that set the date of the last phase online (null if none is)."""
    import numpy as np

    from gigawatt import units
    from gigawatt.engine import CAUSES, date_bins, simulate_block, target_days

    if ds is None:
        ds = simulate_block(model, seed, start, stop)
    grid = model.grid_days
    online = ds["online_date"].values
    columns: dict[str, pa.Array] = {"draw": pa.array(ds["draw"].values.astype(np.int64))}
    for name, days in target_days(model, ds).items():
        bins = date_bins(days, grid)
        within = bins < grid.size
        on_grid = grid[np.minimum(bins, grid.size - 1)].astype(np.int32)
        columns[f"target:{name}"] = pa.array(on_grid, pa.date32(), mask=~within)
    years = [units.date_from_days(day).year for day in model.year_ends]
    is_online = online[:, :, None] <= model.year_ends[None, None, :]
    for variable, label in (("facility_mw", "facility_gw"), ("it_mw", "it_gw")):
        gw = np.einsum("dk,dkt->dt", ds[variable].values, is_online) / 1e3
        columns.update({f"{label}:{year}": pa.array(gw[:, t]) for t, year in enumerate(years)})
    finite = np.isfinite(online)
    columns["phases_online"] = pa.array(finite.sum(axis=1).astype(np.int32))
    last_day = np.where(finite, online, -np.inf).max(axis=1)
    every = finite.all(axis=1)
    columns["all_online"] = pa.array(
        np.floor(np.where(every, last_day, 0)).astype(np.int32), pa.date32(), mask=~every
    )
    last = np.argmax(np.where(finite, online, -np.inf), axis=1)
    cause = np.take_along_axis(ds["critical"].values, last[:, None], axis=1)[:, 0].astype(np.int32)
    names = pa.array(list(CAUSES))
    columns["last_phase_cause"] = pa.DictionaryArray.from_arrays(
        pa.array(cause, mask=~finite.any(axis=1)), names
    )
    return pa.table(columns)


def scenario_source(name_or_path: str | Path) -> tuple[str, str]:
    """``(text, reference)`` of a scenario: a file's text and absolute path, or a built-in's."""
    found = sources.find(name_or_path)
    return found.text, found.ref


def scenario_of(record: RunRecord) -> Any:
    """The scenario a run simulated: its recorded resolved scenario (every ``extends`` parent
    as it was when the run began); for runs recorded without one, its file if unchanged, else
    its stored text (cached: frozen)."""
    if record.resolved_text is not None:
        return _scenario_from_text(record.scenario, record.resolved_text)
    return _scenario_cached(record.scenario, record.scenario_ref, record.scenario_hash, record.scenario_text)


@functools.lru_cache(maxsize=32)
def _scenario_from_text(name: str, text: str) -> Any:
    from gigawatt.scenario import load_scenario_text

    return load_scenario_text(text, name=name)


def _resolve(text: str, ref: str, name: str) -> Any:
    """The resolved scenario of ``text`` read from ``ref``, or None if it cannot be read."""
    from gigawatt.resolved import resolve

    try:
        return resolve(text, ref, name)
    except (GigawattError, OSError, UnicodeDecodeError):
        return None


def check_resumable(record: RunRecord) -> None:
    """Refuse to continue a run whose identity (:attr:`RunRecord.run_hash`) this process
    cannot reproduce: other catalogs or another gigawatt version would mix two models'
    blocks in one result. The scenario files may have changed: the run continues on its
    recorded resolved scenario."""
    from gigawatt import __version__
    from gigawatt.resolved import Resolved, catalog_sha256, run_hash

    if record.run_hash is None or record.resolved_text is None:
        return
    inputs = Resolved(record.resolved_text, (), catalog_sha256()).sha256
    if run_hash(inputs, __version__, record.seed) != record.run_hash:
        raise StoreError(
            f"run {record.id} cannot be resumed: it began with gigawatt {record.version} and other "
            f"catalogs than gigawatt {__version__} has; its blocks would mix two models. "
            "Start a new run instead"
        )


@functools.lru_cache(maxsize=32)
def _scenario_cached(name: str, ref: str, digest: str, text: str) -> Any:
    from gigawatt.scenario import load_scenario, load_scenario_text

    try:
        current, _ = scenario_source(ref)
    except GigawattError:
        current = None
    if current is not None and scenario_hash(current) == digest:
        return load_scenario(ref)
    folder = Path(ref).parent if sources.is_file_ref(ref) else None
    return load_scenario_text(text, name=name, base_dir=folder, file=f"{name}.yaml")


def run_recorded(
    store: Store,
    scenario: str | Path,
    *,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int | None = None,
    progress: Any = None,
    loaded: Any = None,
    scenario_text: str | None = None,
    backend: Any = None,
) -> RunRecord:
    """Run the engine block by block on ``backend`` (a :class:`gigawatt.runner.Backend`;
    default in process), each block's per-draw rows and aggregates saved as it completes.

    ``loaded`` (an already validated :class:`~gigawatt.scenario.Scenario`) and
    ``scenario_text`` skip re-reading the scenario; ``progress(done, total)`` is
    called after each block. Returns the complete record."""
    from gigawatt.sampling import BLOCK_DRAWS
    from gigawatt.scenario import load_scenario

    if scenario_text is None:
        scenario_text, ref = scenario_source(scenario)
    else:
        ref = str(scenario)
    loaded = loaded if loaded is not None else load_scenario(scenario)
    block = max(BLOCK_DRAWS, -(-(block_draws or BLOCK_DRAWS) // BLOCK_DRAWS) * BLOCK_DRAWS)
    run_id = store.begin_run(
        scenario=loaded.name,
        scenario_text=scenario_text,
        scenario_ref=ref,
        draws=draws,
        seed=seed,
        block_draws=block,
    )
    return continue_run(store, run_id, loaded, progress, backend)


def resume_run(store: Store, run_id: str, *, progress: Any = None, backend: Any = None) -> RunRecord:
    """Continue an interrupted or failed run from its last completed block (on ``backend``), on
    the resolved scenario it was begun with (never the files as they are now, which may have changed)."""
    check_resumable(store.get(run_id))
    record = store.claim(run_id)
    try:
        loaded = scenario_of(record)
    except GigawattError as exc:
        store.fail_run(record.id, str(exc))
        raise
    return continue_run(store, record.id, loaded, progress, backend)


@dataclasses.dataclass
class RecordSink:
    """The runner's sink of a recorded run: each block's per-draw rows, then its aggregates
    (a block is complete once its aggregates land), whichever executor simulated it."""

    store: Store
    run_id: str

    def __call__(self, out: Any) -> None:
        self.store.write_draws(self.run_id, out.index, out.rows)
        self.store.write_block(self.run_id, out.index, aggregates_table(out.value))


def continue_run(
    store: Store, run_id: str, loaded: Any, progress: Any = None, backend: Any = None
) -> RunRecord:
    """Simulate the blocks a begun run lacks (on ``backend``, a :class:`gigawatt.runner.Backend`;
    default in process), then merge all blocks and mark it complete.

    Any failure marks the run failed (with the reason) and is re-raised."""
    from gigawatt.engine import Aggregates, Model, Results, simulate_blocks
    from gigawatt.finance.summary import MONEY_DRAWS, with_money
    from gigawatt.runner import BlockOut, BlockProgress, Head, Merge, run_blocks

    record = store.get(run_id)
    try:
        model = Model.from_scenario(loaded)
        ranges = [
            (lo, min(record.draws, lo + record.block_draws))
            for lo in range(0, record.draws, record.block_draws)
        ]
        done = set(store.completed_blocks(record.id))
        merged = Merge(Aggregates())
        has_money = bool(loaded.contracts or loaded.financing)
        head = Head(min(record.draws, MONEY_DRAWS) if has_money else 0)  # the money's draws
        sinks: list[Any] = [RecordSink(store, record.id), merged, head]
        if progress:
            sinks.append(BlockProgress(progress, len(ranges)))
        for index in sorted(done):  # from an earlier, interrupted process
            out = BlockOut(index, 0, aggregates_from_table(store.read_block(record.id, index)))
            for sink in sinks[1:]:
                sink(out)
        todo = [(i, lo, hi) for i, (lo, hi) in enumerate(ranges) if i not in done]
        run_blocks(
            simulate_blocks,
            model,
            todo,
            sinks,
            executor=backend,
            args=(record.seed, draws_table, False, head.draws),
            per_block=True,
        )
        results = Results(model, merged.total, record.seed).summary()
        summary = with_money(results, loaded, record.draws, record.seed, head.dataset())
    except Exception as exc:
        store.fail_run(record.id, f"{type(exc).__name__}: {exc}")
        raise
    return store.finish_run(record.id, summary)


def load_results(store: Store, run_id: str) -> Any:
    """The engine :class:`~gigawatt.engine.Results` of a stored run, rebuilt from its blocks."""
    from gigawatt.engine import Aggregates, Model, Results

    record = store.get(run_id)
    model = Model.from_scenario(scenario_of(record))
    total = Aggregates()
    for index in store.completed_blocks(record.id):
        total = total.merge(aggregates_from_table(store.read_block(record.id, index)))
    return Results(model, total, record.seed)
