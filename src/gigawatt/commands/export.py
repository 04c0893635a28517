"""``gigawatt export RUN -o FILE.xlsx|.csv|.parquet``: a recorded run for spreadsheets and data tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from gigawatt.commands.common import app, console, user_errors
from gigawatt.commands.runs import RunId, StoreOpt, _store


@app.command()
@user_errors
def export(
    run_id: RunId,
    output: Annotated[
        Path,
        typer.Option(
            "-o", "--output", help="FILE.xlsx (every table, a sheet each), FILE.csv or FILE.parquet."
        ),
    ],
    table: Annotated[
        str,
        typer.Option(
            help="The table a .csv or .parquet holds: summary, targets, capacity, year_ends, "
            "demand, phases, money, flows, inputs or sources."
        ),
    ] = "capacity",
    force: Annotated[bool, typer.Option("--force", help="Replace OUTPUT if it exists.")] = False,
    store: StoreOpt = None,
) -> None:
    """Write a recorded run's tables: a workbook, or one table as CSV/Parquet.

    The workbook has summary, targets, capacity by year and site, year ends, demand, phases,
    money by party and year, flows, inputs as resolved, and sources. Units are in the column
    names."""
    from gigawatt.export import export_run

    record = _store(store).get(run_id)
    path, tables = export_run(record, output, table=table, force=force)
    console.print(f"wrote {path} ({', '.join(tables)}; run {record.id})", highlight=False, soft_wrap=True)
