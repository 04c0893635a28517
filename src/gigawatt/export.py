"""A recorded run's tables written for spreadsheets and data tools: an Excel workbook (one
sheet per table of :mod:`gigawatt.frames`, units in the headers, number formats set), or
one table as CSV or Parquet.

Files are written to a temporary file beside the target and renamed into place, so a
reader never sees half a file; an existing file is replaced only when asked (``force``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import pandas as pd

from gigawatt.catalog import load_catalog
from gigawatt.errors import GigawattError
from gigawatt.frames import _Q, _frame
from gigawatt.frames import TABLES as SUMMARY_TABLES
from gigawatt.store import resolved_inputs, scenario_of

__all__ = ["ExportError", "FORMATS", "TABLES", "export_run", "run_frames", "write_workbook"]

FORMATS = ("xlsx", "csv", "parquet")


class ExportError(GigawattError):
    """A run that cannot be written where asked (format, existing file, folder)."""


def summary_frame(record: Any) -> pd.DataFrame:
    """What a recorded run is: id, kind, scenario and its hash, draws, seed, when, version."""
    brief = record.brief()
    fields = {
        **{k: brief[k] for k in ("id", "kind", "scenario", "draws", "seed", "status", "version")},
        "scenario_sha256": record.scenario_hash,
        "scenario_ref": record.scenario_ref,
        "created_utc": brief["created"],
        "elapsed_s": record.elapsed_s,
        "as_of": (record.summary or {}).get("as_of"),
    }
    return pd.DataFrame(
        {"field": list(fields), "value": [None if v is None else str(v) for v in fields.values()]}
    )


def inputs_frame(record: Any) -> pd.DataFrame:
    """The run's scenario as merged through ``extends``: one row per ``path: value``."""
    flat = resolved_inputs(record)
    return pd.DataFrame({"path": list(flat), "value": [str(v) for v in flat.values()]})


def sources_frame(record: Any) -> pd.DataFrame:
    """Every source the run's numbers cite: the scenario's own and the built-in catalogs'."""
    rows = []
    try:
        own = scenario_of(record).sources
    except Exception:
        own = {}
    for origin, sources in (("scenario", own), ("catalog", load_catalog().sources)):
        for key, source in sources.items():
            rows.append({"origin": origin, "id": key, **source.model_dump()})
    return _frame(rows, ["origin", "id", "publication", "date", "url"])


#: The tables of a recorded run, in workbook order: name → (function, takes the record).
TABLES: dict[str, tuple[Any, bool]] = {
    "summary": (summary_frame, True),
    **SUMMARY_TABLES,
    "inputs": (inputs_frame, True),
    "sources": (sources_frame, True),
}


def run_frames(record: Any) -> dict[str, pd.DataFrame]:
    """Every table of a recorded run (:data:`TABLES`), empty ones left out (e.g. money
    without contracts), the summary, inputs and sources always there."""
    out = {}
    for name, (function, whole) in TABLES.items():
        frame = function(record) if whole else function(record.summary or {})
        if whole or not frame.empty:
            out[name] = frame
    return out


def _number_format(column: str, frame: pd.DataFrame) -> str | None:
    """Excel number format from a column's name (its unit) and type."""
    series = frame[column]
    if pd.api.types.is_datetime64_any_dtype(series):
        return "yyyy-mm-dd"
    if not pd.api.types.is_numeric_dtype(series) or column in ("year", "draws", "seed"):
        return None
    if column.endswith("_usd"):
        return '"$"#,##0'
    if column.startswith(("probability", "p_")) or column.endswith(("_share", *(f"_share_{q}" for q in _Q))):
        return "0.0%"
    if column.endswith(("_per_second_p50", "_per_second")):
        return "#,##0"
    return "#,##0.000"


def _header(column: str, frame: pd.DataFrame) -> str:
    """A sheet header that says its unit: P10/P50/P90 of a table with a ``unit`` column
    (capacity) name it when the table has one unit, else the column name as is."""
    if column in ("p10", "p50", "p90") and "unit" in frame and frame["unit"].nunique() == 1:
        return f"{column} ({frame['unit'].iloc[0]})"
    return column


def write_workbook(frames: dict[str, pd.DataFrame], path: Path) -> None:
    """One sheet per frame: bold frozen header, number formats by unit, columns sized to fit."""
    from openpyxl.styles import Font  # noqa: PLC0415 (openpyxl only to write .xlsx)
    from openpyxl.utils import get_column_letter  # noqa: PLC0415

    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for name, frame in frames.items():
            out = frame.rename(columns={c: _header(c, frame) for c in frame.columns})
            out.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            sheet.freeze_panes = "A2"
            for j, column in enumerate(frame.columns, start=1):
                sheet.cell(row=1, column=j).font = Font(bold=True)
                fmt = _number_format(column, frame)
                if fmt:
                    for (cell,) in sheet.iter_rows(min_row=2, min_col=j, max_col=j):
                        cell.number_format = fmt
                width = max([len(str(out.columns[j - 1]))] + [len(str(v)) for v in frame[column].head(200)])
                sheet.column_dimensions[get_column_letter(j)].width = min(max(width + 2, 8), 60)


def export_run(
    record: Any, output: str | Path, *, table: str = "capacity", force: bool = False
) -> tuple[Path, list[str]]:
    """Write a recorded run to ``output``: ``.xlsx`` every table, one per sheet; ``.csv`` or
    ``.parquet`` the one table named ``table`` (see :data:`gigawatt.frames.TABLES`).
    Returns the path and the tables written.

    Raises :class:`ExportError` for another suffix, an unknown table, an existing file
    without ``force``, or a folder that is missing or not writable."""
    output = Path(output)
    fmt = output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ExportError(f"{str(output)!r}: give a file ending in .xlsx, .csv or .parquet")
    if fmt != "xlsx" and table not in TABLES:
        raise ExportError(f"no table {table!r}; the tables are: {', '.join(TABLES)}")
    if output.is_dir():
        raise ExportError(f"{str(output)!r} is a folder: give a file name")
    if output.exists() and not force:
        raise ExportError(f"{str(output)!r} exists: pass --force to replace it")
    folder = output.parent
    if not folder.is_dir():
        raise ExportError(f"cannot write {str(output)!r}: the folder {str(folder)!r} does not exist")
    if record.status != "complete":
        raise ExportError(f"run {record.id} is {record.status}: only a complete run has results to export")
    frames = run_frames(record)
    if fmt != "xlsx" and table not in frames:
        raise ExportError(
            f"run {record.id} ({record.kind}) has no {table!r} table; it has: {', '.join(frames)}"
        )
    temp = folder / f".{output.name}.{secrets.token_hex(3)}.tmp"
    try:
        if fmt == "xlsx":
            write_workbook(frames, temp)
        elif fmt == "csv":
            frames[table].to_csv(temp, index=False)
        else:
            frames[table].to_parquet(temp, index=False)
        os.replace(temp, output)
    except OSError as exc:
        raise ExportError(f"cannot write {str(output)!r}: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)
    return output, list(frames) if fmt == "xlsx" else [table]
