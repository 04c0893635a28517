"""``gigawatt runs list|show|compare|rm``, ``gigawatt report`` and ``gigawatt serve``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Column

from gigawatt.commands.common import JsonOpt, Table, app, console, print_json, user_errors
from gigawatt.errors import GigawattError

runs_app = typer.Typer(
    help="The run store: list, show, compare, verify, repair and remove recorded runs.",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="runs")

ForceOpt = Annotated[bool, typer.Option("--force", help="Write over an existing output file.")]
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
    # At 80 columns nothing to read breaks: the id whole with its kind under it, the date and
    # the time each on a line, figures whole; only a scenario's name or path folds.
    table = Table(
        Column("id\nkind", no_wrap=True),
        Column("scenario", overflow="fold", ratio=1),
        Column("created\nUTC", no_wrap=True),
        Column("draws", justify="right", no_wrap=True),
        Column("seed", justify="right", no_wrap=True),
        Column("status", overflow="fold"),
        Column("secs", justify="right", no_wrap=True),
        title=f"Runs in {_store(store).root}",
        caption="status: blocks of draws on disk while a run is unfinished; secs: seconds it took",
        caption_justify="left",
    )
    for r in records:
        status = r.status if r.status == "complete" or not r.blocks else f"{r.status} {r.blocks}"
        table.add_row(
            f"{r.id}\n[dim]{escape(r.kind)}[/]",
            r.scenario,
            r.created.strftime("%Y-%m-%d\n%H:%M"),
            f"{r.draws:,}",
            str(r.seed),
            status,
            "" if r.elapsed_s is None else f"{r.elapsed_s:,.0f}",
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
    from gigawatt.results import target_outcome

    for target in (record.summary or {}).get("targets", []):
        what = f"{target['gw']:g} GW facility {target['basis']} by {target['by']}"
        words = target_outcome(target)
        if target.get("observed") or not target.get("reachable", True):  # a fact, or met in no draw
            fact = " (observed)" if target.get("observed") else ""
            console.print(f"target {target['name']}: {what}: {words}{fact}", highlight=False)
            continue
        console.print(
            f"target {target['name']}: P({what}) = {target['probability']:.1%}"
            + ("" if words is None else f" ({words})")
            + ("" if counted is None else f" (per-draw rows: {counted[target['name']]:.1%})"),
            highlight=False,
        )


@runs_app.command()
@user_errors
def compare(
    a: RunId,
    b: RunId,
    show_all: Annotated[
        bool,
        typer.Option("--all", help="List every differing input and output (default: the first 30 of each)."),
    ] = False,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """What changed between two runs: the answers (with Monte Carlo error), the inputs, the rest.

    The headline differences carry a standard error and a `significant` flag, the family-wise
    error over the tested ones held at 5% (Holm): two seeds of one scenario differ by noise only.
    Facts are shown, not tested: what a run observed by its as-of date (a target's outcome, year
    ends before it, marked observed) and a target it does not forecast."""
    from gigawatt.compare import compare as compare_records

    st = _store(store)
    result = compare_records(st, st.get(a), st.get(b))
    if as_json:
        print_json(result, "compare")
        return
    _print_headline(result)
    for section, title in (
        ("settings", "Settings"),
        ("inputs", "Inputs (scenario, merged through extends)"),
        ("outputs", "Other outputs (summary)"),
    ):
        _print_differences(result[section], section, title, None if show_all else 30)


def _print_headline(result: dict[str, Any]) -> None:
    """Which runs A and B are, then the facts that differ (lines: no Monte Carlo error) and the
    headline figures (a table: B − A with its SE, a star where significant)."""
    from gigawatt.compare import format_change, format_value

    console.print(
        f"A = run {result['a']['id']} ({result['a']['scenario']}, seed {result['a']['seed']}, "
        f"{result['a']['draws']:,} draws)\nB = run {result['b']['id']} ({result['b']['scenario']}, "
        f"seed {result['b']['seed']}, {result['b']['draws']:,} draws)",
        highlight=False,
        soft_wrap=True,
    )
    # each run's as-of date and targets' observed outcomes with their dates: lines
    facts = [r for r in result["headline"] if r["name"] == "as of" or r["unit"] == "outcome"]
    for row in facts:
        change = "" if row["diff"] is None else f" ({format_change(row['diff'], row['unit'])})"
        console.print(
            f"{row['name']} — A: {format_value(row['a'], row['unit'])}; "
            f"B: {format_value(row['b'], row['unit'])}{change}",
            highlight=False,
        )
    figures = [r for r in result["headline"] if r not in facts]
    # significance as a star on B − A, not a column of its own: the figure names keep the room;
    # a fact (observed by the as-of date, or a target not forecast) has no SE and is not tested
    table = Table(
        Column("figure", overflow="fold"),
        # on a narrow terminal a fact's words wrap, leaving the room to the figure's name
        *(Column(h, overflow="fold", max_width=None if console.width >= 120 else 10) for h in ("A", "B")),
        *(Column(h, no_wrap=True) for h in ("B − A", "± SE")),
        title=f"Headline: {result['significant']} of {result['tested']} tested differences significant "
        f"(*: Holm, {result['alpha']:.0%} family-wise; facts, marked observed, are not tested)",
    )
    for row in figures:
        unit, fact = row["unit"], row.get("facts") or (False, False)
        table.add_row(
            row["name"],
            format_value(row["a"], unit, fact[0]),
            format_value(row["b"], unit, fact[1]),
            format_change(row["diff"], unit) + ("*" if row["significant"] else ""),
            format_change(row["se"], unit, signed=False),
        )
    console.print(table)


def _print_differences(rows: list[dict[str, Any]], section: str, title: str, limit: int | None) -> None:
    """One section's differences (settings, inputs or other outputs) as a table of at most
    ``limit`` rows (all with ``None``), and how many more there are."""
    shown = rows if limit is None else rows[:limit]
    more = len(rows) - len(shown)
    table = Table(
        Column("path", overflow="fold"),
        Column("A", overflow="fold"),
        Column("B", overflow="fold"),
        Column("B − A", no_wrap=True),
        title=f"{title}: {len(rows):,} differences" + (f", first {len(shown)} shown" if more else ""),
    )
    for row in shown:
        change = row.get("change")
        table.add_row(
            escape(row.get("label", row["path"])),
            escape(_cell(row["a"])),
            escape(_cell(row["b"])),
            "" if change is None else _signed(change),
        )
    if rows:
        console.print(table)
    if more:
        console.print(
            f"… {more:,} more {section} differ: --all lists them, --json gives all.", highlight=False
        )


def _signed(change: float) -> str:
    from gigawatt.fmt import number

    return number(change, sign=True)


def _cell(value: Any) -> str:
    """A stored value: thousands separators, never scientific notation."""
    from gigawatt.fmt import number

    return number(value) if isinstance(value, float) else str(value)


@runs_app.command()
@user_errors
def draws(
    run_id: RunId,
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", help="Write all rows to FILE.parquet or FILE.csv (by its suffix)."),
    ] = None,
    store: StoreOpt = None,
    force: ForceOpt = False,
) -> None:
    """A recorded engine run's per-draw rows: each target's date met, facility/IT GW at year ends, cause.

    Without -o, prints each column with its first draws' values. Query them with DuckDB, e.g.
    SELECT avg(coalesce("target:NAME" <= DATE '2029-12-31', false)::INT) FROM 'FILE.parquet'
    (a draw that never meets a target has no date: coalesce counts it as not met)."""
    st = _store(store)
    record = st.get(run_id)
    if output is not None:
        fmt = output.suffix.lower().lstrip(".")
        if fmt not in ("csv", "parquet"):
            raise GigawattError(f"{str(output)!r}: give a .parquet or .csv file")
        path = st.export_draws(record.id, output, fmt, force=force)
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


@runs_app.command()
@user_errors
def verify(
    run_id: Annotated[str | None, typer.Argument(help="A run id (default: every run).")] = None,
    store: StoreOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check every stored block: page checksums, every value readable, schema and row counts.

    Prints one line per damaged or missing file and exits 1 if there is any (0 if none)."""
    from gigawatt.store.verify import verify as check

    st = _store(store)
    found = check(st, run_id)
    if as_json:
        print_json([{"run": d.run_id, "file": d.file, "problem": d.problem} for d in found], "verify")
    else:
        for damage in found:
            console.print(str(damage), markup=False, highlight=False, soft_wrap=True)
        scope = f"run {st.get(run_id).id}" if run_id else f"the runs in {st.root}"
        console.print(
            f"{len(found)} damaged or missing files in {scope}"
            + ("; `gigawatt runs repair` sets them aside for --resume" if found else ""),
            highlight=False,
            soft_wrap=True,
        )
    if found:
        raise typer.Exit(1)


@runs_app.command()
@user_errors
def repair(store: StoreOpt = None, as_json: JsonOpt = False) -> None:
    """Rebuild an unreadable catalogue from the runs' own records (run.json) and set damaged
    blocks aside (renamed damaged-*), marking their runs failed so `run --resume` recomputes them."""
    from dataclasses import asdict

    from gigawatt.store.verify import repair as fix

    st = _store(store)
    done = fix(st)
    if as_json:
        print_json(asdict(done), "repair")
        return
    if done.catalogue_rebuilt:
        console.print("the catalogue could not be read: set aside and rebuilt", highlight=False)
    for label, items in (
        ("restored to the catalogue", done.restored),
        ("set aside", done.set_aside),
        ("to finish with `gigawatt run --resume ID`", done.to_resume),
        ("lost (no readable run.json)", done.lost),
    ):
        if items:
            console.print(f"{label}: {', '.join(items)}", highlight=False, soft_wrap=True)
    if not (done.catalogue_rebuilt or done.restored or done.set_aside or done.lost):
        console.print(f"nothing to repair in {st.root}", highlight=False)


@app.command()
@user_errors
def report(
    run_id: RunId,
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path("report.html"),
    store: StoreOpt = None,
    force: ForceOpt = False,
    compare: Annotated[
        str | None,
        typer.Option(
            "--compare",
            metavar="B",
            help="Overlay run B: both capacity fans on one chart, the headline side by side "
            "with Monte Carlo errors (as `runs compare`).",
        ),
    ] = None,
) -> None:
    """Write a run's self-contained HTML report (opens offline)."""
    from gigawatt.report import write_report

    st = _store(store)
    record = st.get(run_id)
    other = None if compare is None else (st, st.get(compare))
    try:
        path = write_report(record, output, force=force, compare_with=other)
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

    from gigawatt.web.app import LOOPBACK_HOSTS, create_app

    # any address: any name may reach it, so any Host is answered; else loopback names and --host
    allowed = ["*"] if host in ("0.0.0.0", "::", "") else [*LOOPBACK_HOSTS, host]
    uvicorn.run(create_app(store, allowed_hosts=allowed), host=host, port=port, log_level="warning")
