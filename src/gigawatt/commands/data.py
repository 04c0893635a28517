"""``gigawatt import`` (Epoch AI CSVs → scenario or catalog YAML) and ``gigawatt calibrate``."""

from __future__ import annotations

import contextlib
import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Column

from gigawatt import units
from gigawatt.commands.common import JsonOpt, Table, app, console, err, print_json, user_errors
from gigawatt.errors import GigawattError

if TYPE_CHECKING:
    from gigawatt.backtest import Backtest

FileArg = Annotated[Path, typer.Argument(help="An Epoch AI CSV file.")]
AsOfOpt = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Snapshot date: later rows are Epoch's projections (default: the catalog's Epoch date).",
    ),
]


class Kind(StrEnum):
    """What the CSV holds."""

    data_centers = "epoch-data-centers"
    gpu_clusters = "epoch-gpu-clusters"
    hardware = "epoch-hardware"


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise GigawattError(f"cannot read {str(path)!r}: {exc}") from None


def _as_of(text: str | None, option: str = "--as-of") -> float:
    """The snapshot date (days since 1970): rows after it are Epoch's projections. A date after
    today cannot be one (its rows up to it would be read as observed); a date after the
    catalog's Epoch snapshot gets a note, since only a newer download can have observed them."""
    from gigawatt.catalog import load_catalog

    catalog_date = load_catalog().sources["epoch-data-centers"].date
    try:
        day = units.parse_date(text or catalog_date)
    except ValueError as exc:
        raise GigawattError(f"{option}: {exc}") from None
    if day > units.days_from_date(datetime.date.today()):
        raise GigawattError(
            f"{option} {text}: a snapshot cannot be in the future (rows up to it would be taken "
            "as observed; they are Epoch's projections): give the date the file was downloaded"
        )
    if text is not None and day > units.parse_date(catalog_date):
        err.print(
            f"note: {option} {text} is after the catalog's Epoch snapshot ({catalog_date}): rows up "
            "to it are taken as observed, right only for a file downloaded on or after that date",
            highlight=False,
            soft_wrap=True,
        )
    return day


@app.command("import")
@user_errors
def import_(
    kind: Annotated[Kind, typer.Argument(help="What FILE holds.")],
    file: FileArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the YAML here.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Let -o write over an existing file.")] = False,
    timelines: Annotated[
        Path | None, typer.Option(help="Epoch's data_center_timelines CSV: phases with dates (data centers).")
    ] = None,
    accelerator: Annotated[
        str, typer.Option(help="Catalog accelerator for sites whose chips are unknown.")
    ] = "h100",
    extends: Annotated[
        str, typer.Option(help="epoch-hardware: the scenario the imported accelerators are added to.")
    ] = "stargate",
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Turn an Epoch AI CSV into a scenario: sites with phases, or (epoch-hardware) accelerators.

    epoch-hardware writes `extends: EXTENDS` plus `accelerators:` (each chip on a catalog `base`).

    `gigawatt validate OUT.yaml` works as it is; use a chip by its id in a scenario with `extends: OUT.yaml`.

    Skipped: consumer/workstation cards (GeForce, TITAN, Quadro, RTX, Radeon RX), rows without date/TDP/BF16.

    A chip without an Epoch price keeps its base's catalog price: warned, and marked in the YAML.

    Skipped rows and caveats are reported on stderr with their CSV line (and in --json).
    """
    from gigawatt.io import import_data_centers, import_gpu_clusters, import_hardware
    from gigawatt.safe_write import check_target, write_text

    inputs: list[str | Path] = [file, *([timelines] if timelines else [])]
    if kind is Kind.hardware:
        from gigawatt.resolved import extends_chain

        with contextlib.suppress(GigawattError):  # an unknown scenario: the importer says so
            inputs += extends_chain(extends)
    if output is not None:
        check_target(output, force=force, protected=inputs, what="scenario")
    text = _read(file)
    if kind is Kind.hardware:
        result = import_hardware(text, extends=extends, file=str(file))
    elif kind is Kind.gpu_clusters:
        result = import_gpu_clusters(text, as_of_date=_as_of(as_of), accelerator=accelerator, file=str(file))
    else:
        result = import_data_centers(
            text,
            as_of_date=_as_of(as_of),
            timelines_text=_read(timelines) if timelines else None,
            accelerator=accelerator,
            file=str(file),
            timelines_file=str(timelines),
        )
    for issue in result.issues:
        err.print(issue.located(str(file)), markup=False, highlight=False, soft_wrap=True)
    if output is not None:
        write_text(output, result.yaml_text(), force=force, protected=inputs, what="scenario")
    if as_json:
        print_json({**result.as_dict(), "output": str(output) if output else None}, "import")
        return
    if output is None:
        typer.echo(result.yaml_text(), nl=False)
        return
    # rows of the main file skipped, and (apart) those of the timelines file
    skipped, other = result.skipped(), result.skipped(main=False)
    also = f"; {timelines}: {other} rows skipped" if other else ""
    console.print(
        f"{file}: {len(result.items)} of {result.rows} rows imported, {skipped} skipped{also} → {output}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@user_errors
def calibrate(
    file: Annotated[Path, typer.Argument(help="Epoch's data_center_timelines CSV.")],
    as_of: AsOfOpt = None,
    write_priors: Annotated[
        Path | None,
        typer.Option(
            "--write-priors",
            help="Write the fitted priors here; a scenario uses them with `priors: FILE` (or --priors).",
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write over an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Fit stage durations to observed build histories; how well do the catalog priors cover them?"""
    from gigawatt.calibrate import calibrate as run_calibration
    from gigawatt.priors import fit_priors, priors_yaml
    from gigawatt.safe_write import check_target, write_text

    if write_priors is not None:  # before the work, not after it
        check_target(write_priors, force=force, protected=[file], what="priors")
    result = run_calibration(_read(file), as_of_date=_as_of(as_of), file=str(file))
    for issue in result.issues:
        err.print(issue.located(str(file)), markup=False, highlight=False, soft_wrap=True)
    if write_priors is not None:
        text = priors_yaml(fit_priors(result), source_file=str(file), as_of_date=result.as_of_date)
        write_text(write_priors, text, force=force, protected=[file], what="priors")
        err.print(f"priors written to {write_priors}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(result.as_dict(), "calibration")
        return
    table = Table(
        Column("span", no_wrap=True),
        "seen",
        Column("fit P10/50/90", no_wrap=True),
        Column("prior P10/50/90", no_wrap=True),
        "in prior band",
        box=box.SIMPLE_HEAD,
        title=f"Durations in months, observed by {units.format_date(result.as_of_date)}",
        caption="; ".join(f"{c.span} = {' + '.join(c.stages)}" for c in result.spans.values() if c.stages),
    )
    month = units.WEEKS_PER_GREGORIAN_YEAR / 12

    def months(*weeks: float | None) -> str:
        return "/".join(f"{w / month:.1f}" for w in weeks if w is not None) or "–"

    for check in result.spans.values():
        seen = sum(1 for o in check.observations if not o.censored)
        censored = len(check.observations) - seen
        fit = check.fit
        table.add_row(
            check.span,
            f"{seen}" + (f" +{censored} open" if censored else ""),
            months(fit.p10_weeks, fit.p50_weeks, fit.p90_weeks) if fit else "–",
            months(check.catalog_p10_weeks, check.catalog_p50_weeks, check.catalog_p90_weeks),
            f"{check.inside}/{seen} ({check.coverage:.0%})" if check.coverage is not None else "–",
        )
    console.print(table)


@app.command()
@user_errors
def backtest(
    file: Annotated[Path, typer.Argument(help="An Epoch-format data_center_timelines CSV.")],
    priors: Annotated[
        str | None,
        typer.Option(help="Priors file (or 'default') used as given; default: fitted without the campus."),
    ] = None,
    as_of: Annotated[
        str,
        typer.Option(
            "--as-of",
            help="Forecast each campus from its first row ('first'), each milestone from the row "
            "before it ('previous': one step ahead), or every campus from DATE.",
        ),
    ] = "first",
    snapshot: Annotated[
        str | None,
        typer.Option(help="The file's snapshot: later rows are Epoch's projections (default: catalog date)."),
    ] = None,
    leave_one_out: Annotated[
        bool,
        typer.Option(
            "--leave-one-out/--in-sample",
            help="Fit priors without the campus forecast, or (--in-sample) on every campus; "
            "not with --priors.",
        ),
    ] = True,
    power_limited: Annotated[
        list[str] | None,
        typer.Option("--power-limited", help="A campus waiting on new power plants: scored apart (repeat)."),
    ] = None,
    draws: Annotated[int, typer.Option(min=10, help="Monte Carlo draws per campus.")] = 2000,
    seed: Annotated[int, typer.Option(min=0, help="Random seed.")] = 0,
    report: Annotated[
        Path | None,
        typer.Option("--report", help="Also write an HTML page: scores, PIT histogram, one fan a campus."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Let --report write over an existing file.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Score the engine's build-time forecasts against observed campus histories.

    Each campus is forecast from its as-of point: its dates known then, but its phase sizes and
    their number from the whole history, and power unconstrained. Every later milestone (MW
    online by a date) is scored: inside P10-P90 (with the bands' median width), P50 error beside
    a naive baseline (the other campuses' median time to the same rise), CRPS, PIT.
    Rows after the snapshot are Epoch's projections, scored apart (kind: projected).
    """
    from gigawatt.backtest import backtest as run_backtest
    from gigawatt.priors import resolve_priors
    from gigawatt.safe_write import check_target, write_text

    if report is not None:  # before the work, not after it
        check_target(report, force=force, protected=[file], what="report")
    start = _backtest_start(as_of)
    given = resolve_priors(priors) if priors is not None else None
    text = _read(file)
    result = run_backtest(
        text,
        snapshot_date=_as_of(snapshot, "--snapshot"),
        file=str(file),
        priors=given,
        leave_one_out=leave_one_out,
        as_of=start,
        draws=draws,
        seed=seed,
        power_limited=power_limited or (),
    )
    for issue in result.issues:
        err.print(issue.located(str(file)), markup=False, highlight=False, soft_wrap=True)
    if report is not None:
        from gigawatt.report import render_backtest

        page = render_backtest(result.as_dict(), text, str(file))
        write_text(report, page, force=force, protected=[file], what="report")
        err.print(f"report written to {report}", highlight=False, soft_wrap=True)
    if as_json:
        print_json(result.as_dict(), "backtest")
        return
    console.print(_milestone_table(result, file.name))
    _print_scores(result, priors)


def _backtest_start(as_of: str) -> str | float:
    """``--as-of``: 'first' or 'previous' as they are, else a date (days since 1970)."""
    if as_of in ("first", "previous"):
        return as_of
    try:
        return units.parse_date(as_of)
    except ValueError as exc:
        raise GigawattError(f"--as-of: {exc} (or 'first', 'previous')") from None


def _milestone_table(result: Backtest, name: str) -> Table:
    """One row a scored milestone: MW, when it was seen, the forecast P10..P90, the P50 error,
    whether it fell inside and of which kind it is."""
    table = Table(
        Column("campus", max_width=21, overflow="fold"),  # names wrap, never cut
        Column("MW", justify="right", no_wrap=True),
        Column("seen", no_wrap=True),
        Column("P10..P90", no_wrap=True),
        Column("err", justify="right", no_wrap=True),
        Column("in", no_wrap=True),
        Column("kind", no_wrap=True),
        box=box.SIMPLE_HEAD,
        title=f"Backtest of {name}",
        caption=f"Snapshot {result.snapshot}; {result.draws:,} draws a campus. Dates YY-MM; "
        "err: P50 error in months (+: forecast late); proj.: Epoch's projection; "
        "open: nothing online by the snapshot; PL: power-limited.",
    )
    for m in result.milestones:
        table.add_row(
            m.campus,
            f"{m.mw:g}",
            m.observed[2:7] if m.observed else "-",
            f"{m.p10[2:7]}..{m.p90[2:7]}",
            f"{m.p50_error_months:+.1f}" if m.p50_error_months is not None else "-",
            "yes" if m.inside else "no",
            {"observed": "seen", "projected": "proj.", "censored": "open"}[m.kind]
            + (" PL" if m.power_limited else ""),
        )
    return table


def _score_line(label: str, s: dict[str, object]) -> str:
    """A group of milestones' scores in one line: count, coverage, P50 error, CRPS, PIT test."""
    if not s["count"]:
        return f"{label}: none"
    test = s["pit_test"]
    assert isinstance(test, dict)
    return (
        f"{label}: n={s['count']}, inside P10-P90 {s['coverage']:.0%} (median band "
        f"{s['median_band_months']:.1f} months wide), median |P50 error| "
        f"{s['median_abs_p50_error_months']:.1f} months, CRPS {s['crps_days']:.0f} days, "
        f"PIT bins {test['bins']} (chi2 p={test['chi2_p']:.2f}, KS p={test['ks_p']:.2f})"
    )


def _print_scores(result: Backtest, priors: str | None) -> None:
    """The scores under the table: observed milestones (with the spread from resampling
    campuses, and first milestones apart from later ones), Epoch's projections, power-limited
    campuses, and the censored forecasts."""
    priors_text = "leave-one-campus-out" if result.leave_one_out else (priors or "fitted on all campuses")
    console.print(_score_line(f"Observed ({priors_text} priors)", result.scores()), highlight=False)
    spread = result.campus_bootstrap()
    if spread["coverage"] is not None and spread["median_abs_p50_error_months"] is not None:
        (c_lo, c_hi), (e_lo, e_hi) = spread["coverage"], spread["median_abs_p50_error_months"]
        console.print(
            f"  resampling campuses (90%): inside P10-P90 {c_lo:.0%}-{c_hi:.0%}, "
            f"median |P50 error| {e_lo:.1f}-{e_hi:.1f} months",
            highlight=False,
        )
    _print_baselines(result.baselines)
    steps = result.by_step()
    if steps["first"]["count"] and steps["later"]["count"]:
        first, later = steps["first"], steps["later"]
        console.print(
            f"  first milestone of each forecast: n={first['count']}, inside {first['coverage']:.0%}, "
            f"median |P50 error| {first['median_abs_p50_error_months']:.1f} months; later: "
            f"n={later['count']}, inside {later['coverage']:.0%}, "
            f"{later['median_abs_p50_error_months']:.1f} months",
            highlight=False,
        )
    console.print(
        _score_line("Epoch projections (not observations)", result.scores("projected")), highlight=False
    )
    limited = result.scores("observed", True)
    if limited["count"]:
        console.print(_score_line("Power-limited campuses, observed", limited), highlight=False)
    censored = [m for m in result.milestones if m.kind == "censored"]
    if censored:
        console.print(
            f"Censored (nothing online by the snapshot): {sum(m.inside for m in censored)} of "
            f"{len(censored)} forecasts leave room for it (P90 after the snapshot).",
            highlight=False,
        )


def _print_baselines(found: dict[str, Any]) -> None:
    """The naive forecasts beside the model's: the per-index medians from each campus's first
    row, of the other campuses and (a floor, knowing the answers) of all of them."""
    loo, hindsight = found.get("per_index_loo") or {}, found.get("per_index_hindsight") or {}
    if loo.get("median_abs_error_months") is None:
        return
    floor = hindsight.get("median_abs_error_months")
    console.print(
        f"  naive baseline (the other campuses' median time from the first row to the same rise): "
        f"n={loo['count']}, median |error| {loo['median_abs_error_months']:.1f} months"
        + ("" if floor is None else f"; over all campuses (in hindsight, a floor): {floor:.1f}"),
        highlight=False,
    )
