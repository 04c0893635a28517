"""The catalogue of runs: one DuckDB row per run, under a file lock (:class:`Store`).

Every access opens, works and closes under an exclusive lock, so concurrent runs interleave
their short transactions; each write rewrites ``catalog.changed``, and readers keep the
parsed catalogue until it changes."""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import re
import secrets
import socket
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from gigawatt import __version__, safe_write
from gigawatt.errors import GigawattError
from gigawatt.resolved import resolve, run_hash
from gigawatt.results import stamped
from gigawatt.store.records import (
    MANIFEST,
    RunNotFoundError,
    RunRecord,
    StoreError,
    default_root,
    jsonable,
    scenario_hash,
    scenario_source,
)
from gigawatt.store.tables import BlockFiles

__all__ = ["Store"]

_MARKER = "catalog.changed"
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


class Store(BlockFiles):
    """A folder of runs: a DuckDB catalogue plus one Parquet file per block."""

    def __init__(self, root: str | Path | None = None):
        self.root = Path(root) if root is not None else default_root()
        self._ready = False
        self._cache: _Cache | None = None  # runs parsed, valid while the change marker stays

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

    def _bump(self) -> str:
        """Rewrite the change marker (atomically) so readers drop their cached catalogue; the new marker."""
        marker = secrets.token_hex(8)
        temp = self.root / f".{_MARKER}.{os.getpid()}.{secrets.token_hex(3)}.tmp"
        temp.write_text(marker)
        os.replace(temp, self.root / _MARKER)
        return marker

    def _marker(self) -> str | None:
        try:
            return (self.root / _MARKER).read_text()
        except OSError:
            return None

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
        self._change(run_id, f"INSERT INTO runs ({_COLUMNS}) VALUES ({', '.join('?' * len(row))})", row)
        return run_id

    def _change(self, run_id: str, sql: str, params: tuple[Any, ...]) -> RunRecord:
        """Change run ``run_id``'s row with ``sql`` and read it back, in one transaction; copy it
        into the run's folder (``run.json``). The parsed catalogue, if current before the change,
        stays current (nothing is read again); else the run alone is known until the next change."""
        with self._db() as con:
            before = self._marker()
            marker = self._bump()  # before the change, as every write (see _db)
            con.execute(sql, params)
            row = con.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFoundError(f"no run {run_id!r} in {str(self.root)!r}")
        record = self._record(row)
        cached = self._cache
        if cached is not None and cached.marker == before:
            self._cache = cached.with_run(marker, record)
        else:
            self._cache = _Cache(marker, [record], complete=False)
        self._write_manifest(record)
        return self._live(record)

    def _write_manifest(self, record: RunRecord) -> None:
        """Copy a run's catalogue row into its folder (``run.json``, atomically)."""
        data = record.as_dict()
        data.pop("blocks_done")
        text = json.dumps(data, sort_keys=True, allow_nan=False)
        safe_write.write_text(self.run_dir(record.id) / MANIFEST, text, force=True, what="run manifest")

    def finish_run(
        self, run_id: str, summary: Mapping[str, Any], elapsed_s: float | None = None
    ) -> RunRecord:
        """Mark a run complete with its summary, in one transaction; ``elapsed_s`` is the time
        the work took when it was done before the run was begun (default: since begun). The
        summary is kept with the run's ``kind`` and the results ``version`` in it."""
        record = self.get(run_id)
        finished = _now()
        if elapsed_s is None:
            elapsed_s = (finished - record.created).total_seconds()
        text = json.dumps(jsonable(stamped(record.kind, summary)), allow_nan=False)
        return self._change(
            record.id,
            "UPDATE runs SET status = 'complete', summary = ?, finished = ?, elapsed_s = ?, error = NULL "
            "WHERE id = ?",
            (text, finished, elapsed_s, record.id),
        )

    def fail_run(self, run_id: str, message: str) -> None:
        """Mark a run failed, saying why."""
        self._change(
            run_id,
            "UPDATE runs SET status = 'failed', error = ?, finished = ? WHERE id = ?",
            (message, _now(), run_id),
        )

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
        if marker is not None and cached is not None and cached.marker == marker and cached.complete:
            return cached.runs
        with self._db() as con:
            marker = self._marker()  # under the lock: consistent with the rows
            rows = con.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY created DESC, id").fetchall()
        records = [self._record(row) for row in rows]
        if marker is not None:
            self._cache = _Cache(marker, records, complete=True)
        return records

    def _matching(self, run_id: str) -> list[RunRecord]:
        """The runs whose id starts with ``run_id``: from the parsed catalogue while it is current
        (or the run itself, if known by its whole id), else read (only those rows)."""
        marker = self._marker()
        cached = self._cache
        if marker is not None and cached is not None and cached.marker == marker:
            if cached.complete:
                return [r for r in cached.runs if r.id.startswith(run_id)]
            known = [r for r in cached.runs if r.id == run_id]
            if known:
                return known
        if not (self.root / "catalog.duckdb").exists():
            return []
        with self._db() as con:
            marker = self._marker()  # under the lock: consistent with the rows
            rows = con.execute(
                f"SELECT {_COLUMNS} FROM runs WHERE starts_with(id, ?) ORDER BY created DESC, id", (run_id,)
            ).fetchall()
        records = [self._record(row) for row in rows]
        if marker is not None and len(records) == 1:  # known until the next change
            cached = self._cache
            if cached is not None and cached.marker == marker:
                self._cache = cached.with_run(marker, records[0])
            else:
                self._cache = _Cache(marker, records, complete=False)
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
        found = sorted(self._matching(run_id), key=lambda r: r.id)
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


@dataclasses.dataclass(frozen=True)
class _Cache:
    """Runs parsed from the catalogue, valid while the change marker is ``marker``: every run
    (``complete``, newest first) or only those this process read or wrote by id since."""

    marker: str
    runs: list[RunRecord]
    complete: bool

    def with_run(self, marker: str, record: RunRecord) -> _Cache:
        """This cache with ``record`` in (replacing its older row), valid at ``marker``."""
        runs = sorted([r for r in self.runs if r.id != record.id] + [record], key=lambda r: r.id)
        runs.sort(key=lambda r: r.created, reverse=True)  # stable: as ORDER BY created DESC, id
        return _Cache(marker, runs, self.complete)


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


def _resolve(text: str, ref: str, name: str) -> Any:
    """The resolved scenario of ``text`` read from ``ref``, or None if it cannot be read."""
    try:
        return resolve(text, ref, name)
    except (GigawattError, OSError, UnicodeDecodeError):
        return None
