"""The per-block Parquet files of a run: its aggregates (``block-NNNNNN.parquet``) and
per-draw rows (``draws-NNNNNN.parquet``), each written to a temporary file, flushed and
renamed into place, so a file is either whole or absent; DuckDB queries over the per-draw rows."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gigawatt import safe_write, units
from gigawatt.resolved import inputs_of
from gigawatt.store.records import RunNotFoundError, RunRecord, StoreError

__all__ = ["AGGREGATES_SCHEMA", "BlockFiles", "aggregates_from_table", "aggregates_table", "draws_table"]

_BLOCK = re.compile(r"^block-(\d{6})\.parquet$")


class BlockFiles:
    """A store's block files, by run: the part of :class:`~gigawatt.store.Store` that writes
    and reads Parquet (the catalogue is the rest)."""

    root: Path

    if TYPE_CHECKING:

        def get(self, run_id: str) -> RunRecord: ...

    def run_dir(self, run_id: str) -> Path:
        return self.root / "runs" / run_id

    def write_block(self, run_id: str, index: int, table: pa.Table | Mapping[str, Any]) -> Path:
        """Write block ``index`` of a run atomically (temp file, fsync, rename): the block is complete."""
        if not isinstance(table, pa.Table):
            table = pa.table(dict(table))
        # zstd without dictionaries: 2x smaller and faster to write than the default
        settings: dict[str, Any] = {"compression": "zstd", "use_dictionary": False}
        if table.schema.equals(AGGREGATES_SCHEMA):
            settings["column_encoding"] = _DELTA
        return self._write_atomic(
            run_id, f"block-{index:06d}.parquet", table, write_page_checksum=True, **settings
        )

    def write_draws(self, run_id: str, index: int, table: pa.Table) -> Path:
        """Write block ``index``'s per-draw rows atomically; call before :meth:`write_block`."""
        # a dictionary only for the column of cause names: dictionaries for the columns of
        # numbers made writing 4x slower (Stargate, 8,192 draws: 15 ms against 5 ms) and larger
        dictionary = [f.name for f in table.schema if pa.types.is_dictionary(f.type)]
        return self._write_atomic(
            run_id,
            f"draws-{index:06d}.parquet",
            table,
            compression="zstd",
            use_dictionary=dictionary,
            write_page_checksum=True,
        )

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


#: The columns of an aggregates table (:func:`aggregates_table`).
AGGREGATES_SCHEMA = pa.schema(
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
#: An aggregates table's sorted flat indices and integer counts and sums, delta-encoded in
#: Parquet: with zstd, 40% fewer bytes and half the time to write of zstd alone (Stargate,
#: 8,192 draws: 1.5 MB in 19 ms against 2.5 MB in 39 ms).
_DELTA = {"index.list.element": "DELTA_BINARY_PACKED", "ints.list.element": "DELTA_BINARY_PACKED"}


def aggregates_table(agg: Any) -> pa.Table:
    """An engine :class:`~gigawatt.engine.Aggregates` as a sparse, exact Parquet-ready table.

    One row per array: its field, name, chunk (-1 unless a per-chunk sum; -2 for a count), shape, and the
    flat indices and values of its non-zero entries (integers stay int64, sums float64). The list
    columns are built from the non-zero cells of all arrays at once, and an array that several
    series share (series of the same phases) is scanned once."""
    labels: list[tuple[str, str, int, list[int]]] = []
    cells: list[tuple[np.ndarray, np.ndarray]] = []  # per row: flat indices, values
    seen: dict[int, tuple[Any, tuple[np.ndarray, np.ndarray]]] = {}  # id -> (array kept alive, cells)

    def add(group: str, name: str, chunk: int, array: Any) -> None:
        key = id(array)
        if key not in seen:
            flat = np.asarray(array).ravel()
            index = np.nonzero(flat != 0)[0]  # a bool pass first: 2-3x faster than flatnonzero
            is_int = np.issubdtype(flat.dtype, np.integer)
            seen[key] = (array, (index, flat[index].astype(np.int64 if is_int else np.float64)))
        labels.append((group, name, chunk, list(np.shape(array))))
        cells.append(seen[key][1])

    packed = getattr(agg, "packed", None)  # a block from another process: its histograms' nonzero cells
    for group in ("draws", "hist", "date_hist", "counts", "chunk_sums"):  # an Aggregates or a Packed
        if group == "hist" and packed is not None:  # read as packed, never unpacked
            for name, (shape, where, values) in sorted(packed.items()):
                labels.append((group, name, -1, list(shape)))
                cells.append(_packed_cells(shape, where, values))
            continue
        value = getattr(agg, group)
        if isinstance(value, int):
            add(group, group, -2, [value])
        elif all(isinstance(k, int) for k in value):  # per-chunk sums
            for chunk, sums in sorted(value.items()):
                for name, array in sorted(sums.items()):
                    add(group, name, chunk, array)
        else:
            for name, array in sorted(value.items()):
                add(group, name, -1, array)
    ints = np.array([values.dtype == np.int64 for _, values in cells], bool)
    columns = [
        _strings([label[0] for label in labels]),
        _strings([label[1] for label in labels]),
        _arrow(np.array([label[2] for label in labels], np.int64), pa.int64()),
        _lists([np.array(label[3], np.int64) for label in labels], np.ones(len(labels), bool), pa.int64()),
    ]
    columns.append(_lists([index for index, _ in cells], np.ones(len(cells), bool), pa.int64()))
    columns.append(_lists([v for (_, v), i in zip(cells, ints, strict=True) if i], ints, pa.int64()))
    columns.append(_lists([v for (_, v), i in zip(cells, ints, strict=True) if not i], ~ints, pa.float64()))
    return pa.Table.from_arrays(columns, schema=AGGREGATES_SCHEMA)


def _packed_cells(
    shape: tuple[int, ...], where: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The flat indices and values of a packed histogram's non-zero entries, as they are found
    in the dense array: ``where`` are cells of one (time, bin) plane, ``values`` one row per plane."""
    plane = int(np.prod(shape[1:]))
    kept = values != 0  # row by row, as the dense array's flat order has them
    index = (np.arange(shape[0], dtype=np.int64)[:, None] * plane + where)[kept]
    return index, values[kept].astype(np.int64, copy=False)


def _lists(parts: list[np.ndarray], present: np.ndarray, kind: pa.DataType) -> pa.Array:
    """A list array with ``parts`` in turn in the rows where ``present``, null elsewhere."""
    lengths = np.zeros(len(present), np.int32)
    lengths[present] = [len(p) for p in parts]
    offsets = np.zeros(len(present) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    values = np.concatenate(parts) if parts else np.empty(0, np.int64 if kind == pa.int64() else np.float64)
    # from its buffers: ``ListArray.from_arrays(..., mask=...)`` imports pyarrow.compute to invert
    # the mask (0.04 s of CPU, once per process that writes a recorded run)
    nulls = int(present.size - present.sum())
    bitmap = pa.py_buffer(np.packbits(present, bitorder="little")) if nulls else None
    buffers = [bitmap, pa.py_buffer(offsets)]
    return pa.Array.from_buffers(
        pa.list_(kind), len(present), buffers, null_count=nulls, children=[_arrow(values, kind)]
    )


def _arrow(values: np.ndarray, kind: pa.DataType, valid: np.ndarray | None = None) -> pa.Array:
    """A 1-D numpy array of ``kind``'s width as an Arrow array, null where ``valid`` is false: what
    ``pa.array(values, kind, mask=~valid)`` gives, built from its buffers because ``pa.array``
    imports pandas on its first call (0.3-0.4 s of CPU in every process that makes a table)."""
    values = np.ascontiguousarray(values)
    if kind == pa.bool_():
        data = pa.py_buffer(np.packbits(values, bitorder="little"))
    elif values.dtype.itemsize * 8 == kind.bit_width:
        data = pa.py_buffer(values)
    else:
        raise ValueError(f"{values.dtype} values are not {kind}")
    if valid is None:
        return pa.Array.from_buffers(kind, len(values), [None, data], null_count=0)
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(kind, len(values), [bitmap, data], null_count=int(valid.size - valid.sum()))


def _strings(texts: list[str]) -> pa.Array:
    """``texts`` as an Arrow string array (as ``pa.array(texts)``, without importing pandas)."""
    encoded = [text.encode() for text in texts]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))]
    return pa.Array.from_buffers(pa.string(), len(encoded), buffers, null_count=0)


def aggregates_from_table(table: pa.Table) -> Any:
    """Inverse of :func:`aggregates_table`."""
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


def draws_table(
    model: Any, seed: int, start: int, stop: int, ds: Any = None, met: Mapping[str, np.ndarray] | None = None
) -> pa.Table:
    """Draws ``start``..``stop`` of an engine run, one row each (what the aggregates summarise);
    ``ds`` is their :func:`~gigawatt.engine.simulate_block` output if already made, ``met``
    their :func:`~gigawatt.engine.target_days` if already worked out (by the block's aggregation).

    Columns: ``draw``; ``target:NAME`` — the date the target is met on its basis, on the run's
    time grid (the first grid date on or after it, as the summary counts; null if not within
    the horizon), so ``P(target by D)`` is the share of rows with ``target:NAME <= D``;
    ``facility_gw:YEAR`` — facility GW online at that year's end; ``it_gw:YEAR`` likewise for
    IT power; ``phases_online`` within the horizon; ``all_online`` — the day the last phase
    comes online if every phase does (null otherwise); ``last_phase_cause`` — the constraint
    that set the date of the last phase online (null if none is)."""
    from gigawatt.engine import date_bins, simulate_block, target_days

    if ds is None:
        ds = simulate_block(model, seed, start, stop)
    if met is None:
        met = target_days(model, ds)
    grid = model.grid_days
    online = ds["online_date"].values
    columns: dict[str, pa.Array] = {"draw": _arrow(ds["draw"].values.astype(np.int64), pa.int64())}
    for name, days in met.items():
        bins = date_bins(days, grid)
        within = bins < grid.size
        on_grid = grid[np.minimum(bins, grid.size - 1)].astype(np.int32)
        columns[f"target:{name}"] = _arrow(on_grid, pa.date32(), within)
    years = [units.date_from_days(day).year for day in model.year_ends]
    is_online = online[:, :, None] <= model.year_ends[None, None, :]
    for variable, label in (("facility_mw", "facility_gw"), ("it_mw", "it_gw")):
        gw = np.einsum("dk,dkt->td", ds[variable].values, is_online) / 1e3  # a year end's draws contiguous
        columns.update({f"{label}:{year}": _arrow(gw[t], pa.float64()) for t, year in enumerate(years)})
    finite = np.isfinite(online)
    columns["phases_online"] = _arrow(finite.sum(axis=1).astype(np.int32), pa.int32())
    dated = np.where(finite, online, -np.inf)
    last = np.argmax(dated, axis=1)
    draw = np.arange(online.shape[0])
    every = finite.all(axis=1)
    columns["all_online"] = _arrow(
        np.floor(np.where(every, dated[draw, last], 0)).astype(np.int32), pa.date32(), every
    )
    cause = ds["critical"].values[draw, last].astype(np.int32)
    columns["last_phase_cause"] = pa.DictionaryArray.from_arrays(
        _arrow(cause, pa.int32(), finite.any(axis=1)), _cause_names()
    )
    return pa.table(columns)


@functools.cache
def _cause_names() -> pa.Array:
    from gigawatt.engine import CAUSES

    return _strings(list(CAUSES))
