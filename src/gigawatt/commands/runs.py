"""``gigawatt runs list|show|compare|rm``, ``gigawatt report`` and ``gigawatt serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from gigawatt.commands.common import JsonOpt, app, console, print_json, user_errors
from gigawatt.errors import GigawattError

runs_app = typer.Typer(
    help="The run store: list, show, compare and remove recorded runs.", no_args_is_help=True
)
app.add_typer(runs_app, name="runs")

StoreOpt = Annotated[
    Path | None,
    typer.Option(
        "--store",
        envvar="GIGAWATT_STORE",
        help="Run store folder (default ./.gigawatt; env GIGAWATT_STORE).",
        show_default=False,
    ),
]
RunId = Annotated[str, typer.Argument(help="A run id (or a unique prefix of one).")]


def _store(root: Path | None) -> Any:
    from gigawatt.store import Store

    return Store(root)


@runs_app.command("list")
@user_errors
def list_runs(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Every recorded run, newest first."""
    records = _store(store).list_runs()
    if as_json:
        print_json([r.brief() for r in records], "runs")
        return
    table = Table(
        "id",
        "kind",
        "scenario",
        "created (UTC)",
        "draws",
        "seed",
        "status",
        "blocks",
        "seconds",
        title=f"Runs in {_store(store).root}",
    )
    for r in records:
        table.add_row(
            r.id,
            r.kind,
            r.scenario,
            r.created.strftime("%Y-%m-%d %H:%M:%S"),
            f"{r.draws:,}",
            str(r.seed),
            r.status,
            r.blocks or "–",
            "" if r.elapsed_s is None else f"{r.elapsed_s:.1f}",
        )
    console.print(table)


@runs_app.command()
@user_errors
def show(run_id: RunId, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """One run: its settings, status and summary."""
    st = _store(store)
    record = st.get(run_id)
    counted = st.draw_target_probabilities(record.id) if record.status == "complete" else None
    if as_json:
        data = record.as_dict()
        data["per_draw_targets"] = counted
        print_json(data, "run_record")
        return
    for key, value in record.brief().items():
        console.print(f"[bold]{key}[/bold]: {value}", highlight=False)
    if record.error:
        console.print(f"[bold]error[/bold]: {record.error}", highlight=False, markup=False)
    for target in (record.summary or {}).get("targets", []):
        console.print(
            f"target {target['name']}: P({target['gw']:g} GW facility {target['basis']} by {target['by']})"
            f" = {target['probability']:.1%}"
            + ("" if counted is None else f" (per-draw rows: {counted[target['name']]:.1%})"),
            highlight=False,
        )


@runs_app.command()
@user_errors
def compare(a: RunId, b: RunId, store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """What changed between two runs' scenarios, and what it did to the answers."""
    from gigawatt.store import compare_runs

    st = _store(store)
    result = compare_runs(st.get(a), st.get(b))
    if as_json:
        print_json(result, "comparison")
        return
    for section, title in (
        ("settings", "Settings"),
        ("inputs", "Inputs (scenario)"),
        ("outputs", "Outputs (summary)"),
    ):
        rows = result[section]
        table = Table(
            "path",
            f"A {result['a']['id']}",
            f"B {result['b']['id']}",
            "B − A",
            title=f"{title}: {len(rows)} differences",
        )
        for row in rows[:200]:
            change = row.get("change")
            table.add_row(
                row["path"], _cell(row["a"]), _cell(row["b"]), "" if change is None else f"{change:+,.4g}"
            )
        console.print(table)


def _cell(value: Any) -> str:
    return f"{value:,.4g}" if isinstance(value, float) else str(value)


@runs_app.command()
@user_errors
def draws(
    run_id: RunId,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write all rows to FILE.parquet or FILE.csv (by its suffix)."),
    ] = None,
    store: StoreOpt = None,
) -> None:
    """A recorded engine run's per-draw rows: each target's date met, facility/IT GW at year ends, cause.

    Without -o, prints each column with its first draws' values. Query them with DuckDB, e.g.
    SELECT avg(("target:NAME" <= DATE '2029-12-31')::INT) FROM 'FILE.parquet'."""
    st = _store(store)
    record = st.get(run_id)
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("csv", "parquet"):
            raise GigawattError(f"{str(output)!r}: give a .parquet or .csv file")
        path = st.export_draws(record.id, output, fmt)
        console.print(f"wrote {path} ({record.draws:,} rows)", highlight=False)
        return
    rows = st.query_draws(record.id, "SELECT * FROM draws LIMIT 3")
    names = [r[0] for r in st.query_draws(record.id, "SELECT column_name FROM (DESCRIBE draws)")]
    table = Table(
        "column",
        *(f"draw {row[0]}" for row in rows),
        title=f"Run {record.id}: {record.draws:,} rows (write them all with -o FILE.parquet|csv)",
    )
    for i, name in enumerate(names):
        table.add_row(name, *("null" if row[i] is None else _cell(row[i]) for row in rows))
    console.print(table)


@runs_app.command("rm")
@user_errors
def remove(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids to delete.")], store: StoreOpt = None
) -> None:
    """Delete runs and their stored blocks."""
    st = _store(store)
    for run_id in run_ids:
        console.print(f"removed {st.remove(run_id)}", highlight=False)


@app.command()
@user_errors
def report(
    run_id: RunId,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    store: StoreOpt = None,
) -> None:
    """Write a run's self-contained HTML report (opens offline)."""
    from gigawatt.report import write_report

    record = _store(store).get(run_id)
    try:
        path = write_report(record, output)
    except OSError as exc:
        raise GigawattError(f"cannot write {str(output)!r}: {exc.strerror}") from None
    console.print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)", highlight=False)


@app.command()
@user_errors
def serve(
    host: Annotated[
        str, typer.Option(help="Address to bind (loopback unless told otherwise).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port.")] = 8050,
    store: StoreOpt = None,
) -> None:
    """The web dashboard: pick or edit a scenario, run it, see and compare results."""
    import uvicorn

    from gigawatt.web.app import create_app

    uvicorn.run(create_app(store), host=host, port=port, log_level="warning")
