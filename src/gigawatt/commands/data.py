"""``gigawatt import`` (Epoch AI CSVs → scenario or catalog YAML) and ``gigawatt calibrate``."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Column, Table

from gigawatt import units
from gigawatt.commands.common import JsonOpt, app, console, err, print_json, user_errors
from gigawatt.errors import GigawattError

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


def _as_of(text: str | None) -> float:
    from gigawatt.catalog import load_catalog

    try:
        return units.parse_date(text or load_catalog().sources["epoch-data-centers"].date)
    except ValueError as exc:
        raise GigawattError(f"--as-of: {exc}") from None


@app.command("import")
@user_errors
def import_(
    kind: Annotated[Kind, typer.Argument(help="What FILE holds.")],
    file: FileArg,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write the YAML here.")] = None,
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
    from gigawatt import importers

    text = _read(file)
    if kind is Kind.hardware:
        result = importers.import_hardware(text, extends=extends, file=str(file))
    elif kind is Kind.gpu_clusters:
        result = importers.import_gpu_clusters(
            text, as_of_date=_as_of(as_of), accelerator=accelerator, file=str(file)
        )
    else:
        result = importers.import_data_centers(
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
        try:
            output.write_text(result.yaml_text(), encoding="utf-8")
        except OSError as exc:
            raise GigawattError(f"cannot write {str(output)!r}: {exc}") from None
    if as_json:
        print_json({**result.as_dict(), "output": str(output) if output else None}, "import")
        return
    if output is None:
        typer.echo(result.yaml_text(), nl=False)
        return
    skipped = sum(1 for i in result.issues if i.action == "skipped")
    console.print(
        f"{file}: {len(result.items)} of {result.rows} rows imported, {skipped} skipped → {output}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
@user_errors
def calibrate(
    file: Annotated[Path, typer.Argument(help="Epoch's data_center_timelines CSV.")],
    as_of: AsOfOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Fit stage durations to observed build histories; how well do the catalog priors cover them?"""
    from gigawatt.calibrate import calibrate as run_calibration

    result = run_calibration(_read(file), as_of_date=_as_of(as_of), file=str(file))
    for issue in result.issues:
        err.print(issue.located(str(file)), markup=False, highlight=False, soft_wrap=True)
    if as_json:
        print_json(result.as_dict(), "calibration")
        return
    table = Table(
        Column("span", no_wrap=True),
        "seen",
        "fit P10/50/90",
        "prior P10/50/90",
        "in prior band",
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
