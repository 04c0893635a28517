"""``gigawatt run`` and ``gigawatt factory``: the buildout engine from the command line."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Column

from gigawatt.commands.common import JsonOpt, ScenarioArg, Table, app, console, print_json, user_errors
from gigawatt.commands.options import (
    AddressOpt,
    BackendName,
    BackendOpt,
    RecordOpt,
    RunWorkersOpt,
    SeedOpt,
    StoreOpt,
    make_backend,
)
from gigawatt.errors import GigawattError
from gigawatt.fmt import number, share

DrawsOpt = Annotated[int, typer.Option(min=1, help="Monte Carlo draws.")]


def _progress(draws: int, enabled: bool) -> tuple[Progress | None, Any]:
    if not enabled:
        return None, None
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("draws", total=draws)
    return bar, lambda n: bar.advance(task, n)


@app.command()
@user_errors
def run(
    scenario: ScenarioArg = "stargate",
    draws: DrawsOpt = 10_000,
    seed: SeedOpt = 0,
    workers: RunWorkersOpt = 0,
    backend: BackendOpt = BackendName.inprocess,
    address: AddressOpt = None,
    store_dir: StoreOpt = None,
    record: RecordOpt = True,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Continue an interrupted run by its id.")
    ] = None,
    report: Annotated[Path | None, typer.Option("--report", help="Also write the HTML report here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --report write over an existing file.")] = False,
    yes: Annotated[
        bool, typer.Option("--yes", help="Start a run estimated at over 10 minutes or 10 GB of store.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Simulate the buildout many times: capacity online, targets, what holds it back.

    Each run is recorded in the run store block by block (on any --backend), so a killed run
    continues with --resume ID and gives the same numbers; see `gigawatt runs`."""
    from gigawatt.scenario import load_scenario

    if report is not None:  # before the work, not after it
        from gigawatt.safe_write import check_target

        check_target(report, force=force, what="report")
    store = None
    if resume is not None or record:  # the store (DuckDB, Arrow) only when it is used
        from gigawatt.store import Store

        store = Store(store_dir)
    if workers == 0:
        from gigawatt.engine import block_draw_ranges
        from gigawatt.runner import auto_workers

        if store is not None and resume is not None:
            workers = auto_workers(store.get(resume).blocks_total)
        else:
            workers = auto_workers(len(block_draw_ranges(draws, 8192)))
    if backend is BackendName.inprocess and workers > 1:
        backend = BackendName.local
    executor = make_backend(backend, address, workers)  # says why an address needs --backend dask
    record_obj = None
    if store is not None and resume is not None:
        record_obj, loaded = _resume(store, resume, executor, as_json)
        summary = dict(record_obj.summary or {})
    else:
        loaded = load_scenario(scenario)
        _guard(loaded, draws, recorded=record, yes=yes, store_root=store.root if store is not None else None)
        if store is not None:  # on any backend: per-draw rows, blocks and --resume work the same
            record_obj = _recorded(store, scenario, loaded, draws, seed, executor, as_json)
            summary = dict(record_obj.summary or {})
        else:
            summary = _unrecorded(loaded, draws, seed, executor, as_json)
    if report is not None:
        if record_obj is None:
            raise GigawattError("--report needs the run recorded (drop --no-record)")
        from gigawatt.report import write_report

        write_report(record_obj, report, scenario=loaded, force=force)
    if as_json:
        print_json(summary, "run")
        return
    print_summary(summary)
    if store is not None and record_obj is not None:
        console.print(f"recorded as run [bold]{record_obj.id}[/] in {store.root}", highlight=False)
    if report is not None:
        console.print(f"report written to {report}", highlight=False)


def _resume(store: Any, run_id: str, executor: Any, as_json: bool) -> tuple[Any, Any]:
    """Continue an interrupted run; its record and the scenario it ran."""
    from gigawatt.store import resume_run, scenario_of

    with _blocks_progress(not as_json, store.get(run_id).blocks_total) as advance:
        record = resume_run(store, run_id, progress=advance, backend=executor)
    if not as_json and _files_changed(record):
        console.print(
            f"note: the scenario's files changed since run {record.id} began; it finished on "
            "the scenario it began with (a new run simulates the files as they are now)",
            highlight=False,
        )
    return record, scenario_of(record)


def _recorded(
    store: Any, scenario: str, loaded: Any, draws: int, seed: int, executor: Any, as_json: bool
) -> Any:
    """A new run recorded block by block in ``store``: its complete record."""
    from gigawatt.engine import block_draw_ranges
    from gigawatt.store import run_recorded

    with _blocks_progress(not as_json, len(block_draw_ranges(draws, 8192))) as advance:
        return run_recorded(
            store,
            scenario,
            draws=draws,
            seed=seed,
            block_draws=8192,
            progress=advance,
            loaded=loaded,
            backend=executor,
        )


def _unrecorded(loaded: Any, draws: int, seed: int, executor: Any, as_json: bool) -> dict[str, Any]:
    """The summary of a run kept in memory only (``--no-record``)."""
    from gigawatt.backends import run as run_on

    bar, step = _progress(draws, not as_json)
    if bar is None:
        return run_on(loaded, draws=draws, seed=seed, backend=executor).summary()
    with bar:
        return run_on(loaded, draws=draws, seed=seed, progress=step, backend=executor).summary()


def _files_changed(record: Any) -> bool:
    """Whether a run's scenario, resolved from its files now, differs from what it recorded."""
    from gigawatt.resolved import resolve
    from gigawatt.store import scenario_source

    if record.resolved_text is None:
        return False
    try:
        text, _ = scenario_source(record.scenario_ref)
        return resolve(text, record.scenario_ref, record.scenario).sha256 != record.scenario_hash
    except (GigawattError, OSError, UnicodeDecodeError):
        return True


def _guard(loaded: Any, draws: int, *, recorded: bool, yes: bool, store_root: Path | None) -> None:
    """Refuse a run that will not fit in memory or on disk; ask for --yes for a huge one."""
    from gigawatt.guards import check_engine_run

    check_engine_run(loaded, draws, recorded=recorded, yes=yes, store_root=store_root)


@contextmanager
def _blocks_progress(enabled: bool, total: int) -> Iterator[Any]:
    """A progress bar over ``total`` blocks fed by ``progress(done_blocks, total_blocks)`` callbacks."""
    if not enabled:
        yield None
        return
    bar = Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total} blocks"),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    task = bar.add_task("blocks", total=total)
    with bar:
        yield lambda done, total: bar.update(task, completed=done, total=total)


def _date(value: str | None) -> str:
    return value or "after end"


def print_summary(summary: dict[str, Any]) -> None:
    """The human summary of a run: targets, capacity at year ends, what holds it back."""
    console.print(
        f"[bold]{summary['scenario']}[/]: {summary['draws']:,} draws, seed {summary['seed']}, "
        f"statuses as of {summary['as_of']}"
    )
    if summary["targets"]:
        _print_targets(summary["targets"])
    else:
        console.print("No targets in this scenario (a `targets:` section names dates to meet).")
    _print_year_ends(summary["year_ends"], summary.get("energy_load_factor"), summary.get("as_of"))
    from gigawatt.results import demand_forecast

    forecast = demand_forecast(summary)
    if forecast:
        past = len(summary["demand"]) - len(forecast)
        _print_demand(forecast, summary.get("as_of") if past else None)
    serving = summary.get("serving") or {}
    if serving.get("share"):
        _print_serving(serving, summary.get("as_of"))
    _print_constraints(summary["constraints"])
    _print_supply_headroom(summary.get("supply") or {})
    if summary.get("money"):
        print_money(summary["money"])


def _print_targets(targets: list[dict[str, Any]]) -> None:
    """The targets: P(met) and P50/P90 dates of each forecast; a target decided by facts observed
    by the as-of date in a table of its own, met on its date or missed, never a probability."""
    from gigawatt.results import target_outcome, unreachable_reason

    facts = [t for t in targets if t.get("observed")]
    drawn = [t for t in targets if not t.get("observed")]
    if drawn:
        _print_forecasts(drawn)
    if facts:
        table = Table(  # at 80 columns: whole target names and dates
            Column("target", no_wrap=True),
            Column("facility GW", overflow="fold"),
            Column("by", no_wrap=True),
            Column("outcome (observed)", no_wrap=True),
            title="Targets decided by facts",
            caption="decided by facts by the as-of date ("
            + "; ".join(sorted({t.get("decided_by") or "facts" for t in facts}))
            + "), not drawn",
            collapse_padding=True,
        )
        for t in facts:
            table.add_row(
                t["name"], f"{t['gw']:,g} {t['basis'].replace('_', ' ')}", t["by"], target_outcome(t)
            )
        console.print(table)
    for t in drawn:
        if not t.get("reachable", True):  # only a forecast target can be unreachable
            console.print(f"{t['name']}: {target_outcome(t)}: {unreachable_reason(t)}.", highlight=False)
    unforecast = [t for t in drawn if not t.get("forecast", True)]
    if unforecast:
        held = " ".join(
            f"{t['name']}: {'met' if t['probability'] >= 0.5 else 'not met'} by what is "
            f"{t['basis']} at the as-of date ({_in_draws(t['probability'])})."
            for t in unforecast
        )
        console.print(
            "–: not forecast. A target on an announced, committed or secured basis counts what "
            "holds that status at the as-of date; commitments made after it are not modelled. " + held,
            highlight=False,
        )


def _in_draws(p: float) -> str:
    """How many draws a status count holds in: "in no draw", "in every draw" or "in N% of draws"
    (the phases' sizes are drawn, the status is the as-of date's)."""
    return "in no draw" if p == 0 else "in every draw" if p == 1 else f"in {share(p)} of draws"


def _print_forecasts(targets: list[dict[str, Any]]) -> None:
    """The targets not decided by facts: P(met) and P50/P90 dates, or "–" where a target is not
    forecast (a status basis) or unreachable (said below the table)."""
    table = Table(  # at 80 columns: whole target names; "10 committed" wraps at its space
        Column("target", no_wrap=True),
        Column("facility GW", overflow="fold"),
        *(Column(h, no_wrap=True) for h in ("by", "P(met)", "P50 date", "P90 date")),
        title="Targets",
        collapse_padding=True,
    )
    for t in targets:
        if not t.get("forecast", True) or not t.get("reachable", True):
            met, when = "–", ("–", "–")
        else:
            met, when = f"{t['probability']:.1%}", (_date(t["p50_date"]), _date(t["p90_date"]))
        table.add_row(t["name"], f"{t['gw']:,g} {t['basis'].replace('_', ' ')}", t["by"], met, *when)
        if "after end" in when:
            table.caption = "after end: not met within the scenario's time grid"
    console.print(table)


#: The note under a table whose year ends before the as-of date are marked ``*``.
_PAST = "*: before the as-of date ({}): capacity observed (a P10–P90 range there is the sources' range)"


def _before(date: str, as_of: str | None) -> bool:
    """Whether ``date`` is before the as-of date: observed, not drawn."""
    return as_of is not None and date < as_of


def _marked(label: str, date: str, as_of: str | None) -> str:
    """``label``, marked ``*`` where ``date`` is before the as-of date (:func:`_before`)."""
    return label + ("*" if _before(date, as_of) else "")


def _year(date: str, as_of: str | None) -> str:
    """A year end's label: its year, marked as :func:`_marked` says."""
    return _marked(date[:4], date, as_of)


def _past_note(dates: list[str], as_of: str | None) -> str | None:
    """:data:`_PAST` where any of ``dates`` is marked, else nothing."""
    return _PAST.format(as_of) if any(_before(d, as_of) for d in dates) else None


def _print_year_ends(
    year_ends: list[dict[str, Any]], load_factor: float | None, as_of: str | None = None
) -> None:
    """Capacity online at each year end: facility GW P10–P90, and P50s of IT power, H100
    equivalents, BF16 compute and energy (at the scenario's average load, ``load_factor``; a
    run recorded before it was stored says none); year ends before ``as_of`` marked ``*``."""
    notes = (
        []
        if load_factor is None
        else [
            f"TWh/yr: energy at an average load of {load_factor:.0%} of facility power (demand.load_factor)"
        ]
    )
    past = _past_note([row["date"] for row in year_ends], as_of)
    if past:
        notes.append(past)
    table = Table(
        "Dec 31",
        "facility GW P10",
        "P50",
        "P90",
        "IT GW P50",
        "H100e M P50",
        "BF16 EFLOP/s P50",
        "TWh/yr P50",
        title="Capacity online at the scenario's sites",
        caption="; ".join(notes) or None,
    )
    for row in year_ends:
        gw = row["facility_gw"]
        table.add_row(
            _year(row["date"], as_of),
            f"{gw['p10']:.2f}",
            f"{gw['p50']:.2f}",
            f"{gw['p90']:.2f}",
            f"{row['it_gw']['p50']:.2f}",
            f"{row['h100_equivalents_million']['p50']:.1f}",
            f"{row['bf16_eflops']['p50']:,.0f}",
            f"{row['energy_twh_per_year']['p50']:.1f}",
        )
    console.print(table)


def _print_demand(rows: list[dict[str, Any]], as_of: str | None) -> None:
    """Demand against capacity at each year end, in the unit demand is stated in; ``as_of``:
    the scenario's as-of date where rows before it were left out."""
    # demand stated as compute comes in BF16 dense EFLOP/s (`*_eflops`), else facility GW
    key, label = ("eflops", "EFLOP/s") if "surplus_eflops" in rows[0] else ("gw", "GW")
    table = Table(
        *(
            Column(h, overflow="fold")
            for h in (
                "Dec 31",
                f"train {label} P50",
                f"infer {label} P50",
                f"surplus {label} P10",
                "P50",
                "P90",
                "P(cover)",
                "sites' infer M tok/s P50",
            )
        ),
        title="Demand against capacity ("
        + ("BF16 dense compute online" if key == "eflops" else "facility power")
        + ")",
        caption=(
            ""
            if as_of is None
            else f"year ends from the as-of date ({as_of}) on: before it, demand was not observed; "
        )
        + "surplus and P(cover): all capacity serving demand's party (contracted included); "
        "tok/s: the scenario's own sites, serving inference first",
    )
    for row in rows:
        s10, s50, s90 = (row[f"surplus_{key}"][k] for k in ("p10", "p50", "p90"))
        table.add_row(
            row["date"][:4],
            f"{row.get(f'training_{key}_p50', 0):.2f}",
            f"{row.get(f'inference_{key}_p50', 0):.2f}",
            f"{s10:+.2f}",
            f"{s50:+.2f}",
            f"{s90:+.2f}",
            share(row["p_capacity_covers_demand"]),
            f"{row['inference_tokens_per_second_p50'] / 1e6:,.0f}",
        )
    console.print(table)


def _print_serving(serving: dict[str, Any], as_of: str | None = None) -> None:
    """Facility power serving the demand's party (its own sites and contracted capacity) and
    each source's share; year ends before ``as_of`` marked ``*``."""
    who = serving["party"] or "demand"
    table = Table(
        "year end",
        "GW P10",
        "P50",
        "P90",
        *(f"{p} share P50" for p in serving["share"]),
        title=f"Facility power serving {who} (own sites + contracted)",
        caption=_past_note(serving["dates"], as_of),
    )
    for i, date in enumerate(serving["dates"]):
        gw = serving["facility_gw"]
        table.add_row(
            _marked(date, date, as_of),
            *(f"{gw[q][i]:.2f}" for q in ("p10", "p50", "p90")),
            *(f"{v['p50'][i]:.0%}" for v in serving["share"].values()),
        )
    console.print(table)


def _print_constraints(constraints: dict[str, Any]) -> None:
    """What holds the buildout back: how often each constraint sets the last phase's date, and
    the share of MW it sets."""
    held = Table(
        "constraint", "sets the last phase's date", "share of MW it sets", title="What holds it back"
    )
    last, by_mw = constraints["last_gw"], constraints["by_mw"]
    # ties (many causes set 0% of last dates) by MW share, then name: the same order every run
    for cause in sorted(set(last) | set(by_mw), key=lambda c: (-last.get(c, 0), -by_mw.get(c, 0), c)):
        held.add_row(cause, f"{last.get(cause, 0):.0%}", f"{by_mw.get(cause, 0):.0%}")
    console.print(held)
    if last:
        top = max(last, key=lambda c: last[c])
        console.print(f"In {last[top]:.0%} of draws [bold]{top}[/] set the date of the last phase online.")


def _print_supply_headroom(supply: dict[str, Any]) -> None:
    """How much more each accelerator family offered than was installed, by the year end 90% of
    its installs are in: chips can only set dates when that is near 1x, and the offer is the
    scenario's share of a maker's output (an input), so say so."""
    parts = []
    for family, series in supply.items():
        delivered, offered = series["delivered_mean"], series["offered_mean"]
        if not delivered or delivered[-1] <= 0:
            continue
        i = next(k for k, d in enumerate(delivered) if d >= 0.9 * delivered[-1])
        parts.append(f"{family} {offered[i] / delivered[i]:.1f}x by end-{series['dates'][i][:4]}")
    if parts:
        console.print(
            "Accelerators offered over those installed (means, by the year end 90% were in): "
            + ", ".join(parts)
            + "; the offer is the scenario's share of each maker's output (`supply`, an input).",
            highlight=False,
        )


def print_money(money: dict[str, Any]) -> None:
    """The money of a recorded run in two lines: its loops and the most circular parties."""
    loops = "; ".join(" → ".join(cycle) for cycle in money["cycle_names"]) or "none"
    console.print(f"Money (first {money['draws']:,} draws): loops {loops}", highlight=False)
    ranked = sorted(money["circularity"].items(), key=lambda kv: -kv[1]["p50"])[:4]
    shares = ", ".join(f"{money['parties'].get(p, p)} {q['p50']:.0%}" for p, q in ranked if q["p50"] > 0)
    if shares:
        console.print(f"Circularity (P50, own money returning): {shares}", highlight=False)


@app.command()
@user_errors
def factory(
    scenario: ScenarioArg = "stargate",
    rate: Annotated[str, typer.Option(help='Build rate to sustain, e.g. "1 GW/week".')] = "1 GW/week",
    accelerator: Annotated[str, typer.Option(help="Accelerator the factory installs.")] = "vera-rubin-nvl144",
    draws: DrawsOpt = 10_000,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """When could the programme sustain a build rate, and what must be true to sustain it?"""
    from gigawatt.factory import analyse
    from gigawatt.scenario import load_scenario
    from gigawatt.units import UnitError, parse

    try:
        rate_mw_per_week = parse(rate, "build_rate")
    except UnitError as exc:
        raise GigawattError(f"--rate: {exc}") from None
    result = analyse(load_scenario(scenario), rate_mw_per_week, accelerator, draws=draws, seed=seed)
    if as_json:
        print_json(result, "factory")
        return
    when = result["sustained"]
    console.print(
        f"[bold]{rate}[/] sustained: P50 {when['p50_date'] or 'never'}, P90 {when['p90_date'] or 'never'} "
        f"(P(by horizon) {when['probability_by_horizon']:.0%})"
    )
    at_end = result["rate_at_horizon_mw_per_week"]
    console.print(
        f"The scenario's learning-curve build rate by {at_end['date']}: "
        f"P50 {at_end['p50'] / 1e3:.2f} GW/week "
        f"(P10–P90 {at_end['p10'] / 1e3:.2f}–{at_end['p90'] / 1e3:.2f})"
    )
    table = Table(
        "requirement per year",
        "needed",
        "scenario supply P50",
        "needed / supply",
        title=f"What {rate} requires ({accelerator})",
    )
    for row in result["requirements"]:
        supply = row["supply_p50"]
        ratio = row["ratio"]
        table.add_row(
            row["name"],
            f"{number(row['needed'], 3)} {row['unit']}",
            "—" if supply is None else f"{number(supply, 3)} {row['unit']}",
            "—" if ratio is None or not math.isfinite(ratio) else f"{ratio:.1f}×",
        )
    console.print(table)
    console.print(f"Binding constraint: [bold]{result['binding']}[/]")


__all__ = ["run", "factory", "print_summary", "print_money"]
