"""The ``gigawatt`` command: a thin shell over the importable core."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import textwrap
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.markup import escape
from rich.table import Column

from gigawatt import units
from gigawatt.commands.common import (
    JsonOpt,
    ScenarioArg,
    Table,
    app,
    console,
    err,
    print_json,
    user_errors,
)
from gigawatt.errors import GigawattError, ScenarioError


class Basis(StrEnum):
    """Whether a power figure is facility power or IT power."""

    facility = "facility"
    it = "it"


@app.command()
@user_errors
def scenarios(as_json: JsonOpt = False) -> None:
    """List the built-in scenarios."""
    from gigawatt.scenario import builtin_scenarios

    found = builtin_scenarios()
    if as_json:
        print_json([{"name": k, "description": v} for k, v in found.items()], "scenarios")
        return
    table = Table("name", "description", title="Built-in scenarios")
    for name, description in found.items():
        table.add_row(name, description)
    console.print(table)


@app.command()
@user_errors
def validate(
    files: Annotated[list[str], typer.Argument(help="Scenario files or built-in names.")],
) -> None:
    """Check scenarios; print one located line per problem; exit 2 if any is invalid.

    Warnings (exit 0): inputs whose every source is dated after the scenario's
    ``time.as_of``, which it could not have known then."""
    from gigawatt.scenario import load_scenario

    bad = False
    for name in files:
        try:
            scenario = load_scenario(name)
        except ScenarioError as exc:
            bad = True
            for problem in exc.problems:
                err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        except GigawattError as exc:
            bad = True
            err.print(f"{name}: {exc}", markup=False, highlight=False, soft_wrap=True)
        else:
            for warning in scenario.warnings:
                width = err.width if err.is_terminal else None
                err.print(located_line(str(warning), width), markup=False, highlight=False, soft_wrap=True)
            phases = sum(len(s.phases) for s in scenario.sites.values())
            warned = len(scenario.warnings)
            also = f", {warned} warning{'s' * (warned != 1)}" if warned else ""
            console.print(f"{name}: ok ({len(scenario.sites)} sites, {phases} phases{also})", highlight=False)
    if bad:
        raise typer.Exit(2)


def located_line(text: str, width: int | None) -> str:
    """One located message; on a terminal narrower than it, wrapped at spaces with the
    continuation indented (never inside a path or a source id)."""
    if width is None or len(text) <= width:
        return text
    return textwrap.fill(
        text, width, subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )


@app.command()
@user_errors
def accelerators(as_json: JsonOpt = False) -> None:
    """The accelerator catalog: power, performance, price, with sources."""
    from gigawatt.catalog import load_catalog

    catalog = load_catalog()
    rows: list[dict[str, Any]] = []
    for key, acc in catalog.accelerators.items():
        rows.append(
            {
                "id": key,
                "name": acc.name,
                "vendor": acc.vendor,
                "chip_tdp_w": acc.chip_tdp_w.value,
                "it_power_w": acc.it_power_w.value,
                "it_power_w_range": [acc.it_power_w.low, acc.it_power_w.high],
                "bf16_flops": acc.bf16_flops.value,
                "memory_gb": acc.memory_gb.value,
                "price_usd": acc.price_usd.value,
                "useful_life_years": acc.useful_life_weeks.value / units.WEEKS_PER_GREGORIAN_YEAR,
                "sources": sorted(
                    {s for e in (acc.it_power_w, acc.bf16_flops, acc.price_usd) for s in e.source}
                ),
            }
        )
    if as_json:
        print_json(rows, "accelerators")
        return
    # The id (what a scenario names) whole on its own line, the name wrapped at spaces under it;
    # figures never break, a range on its own line under its value (never "(700–93" / "0)").
    table = Table(
        Column("id\nname", no_wrap=False, overflow="fold"),
        *(
            Column(head, no_wrap=True, justify="right")
            for head in ("TDP\nW", "IT W\n(range)", "BF16\nTFLOP/s", "HBM\nGB", "price\n$k")
        ),
        title="Accelerators (per accelerator package)",
    )
    for row in rows:
        lo, hi = row["it_power_w_range"]
        rng = f"{row['it_power_w']:,.0f}" + (f"\n({lo:,.0f}–{hi:,.0f})" if lo is not None else "")
        table.add_row(
            f"[bold]{escape(row['id'])}[/]\n{escape(row['name'])}",
            f"{row['chip_tdp_w']:,.0f}",
            rng,
            f"{row['bf16_flops'] / 1e12:,.0f}",
            f"{row['memory_gb']:,.0f}",
            f"{row['price_usd'] / 1e3:,.0f}",
        )
    console.print(table)


@app.command()
@user_errors
def convert(
    quantity: Annotated[
        str, typer.Argument(help='"10 GW", "400000 gb200-nvl72", "5 EFLOP/s", "70 TWh" or "$500B".')
    ],
    accelerator: Annotated[
        str | None, typer.Option(help="Catalog accelerator id (default gb200-nvl72).")
    ] = None,
    basis: Annotated[Basis, typer.Option(help="Whether a power is facility or IT power.")] = Basis.facility,
    cooling: Annotated[str, typer.Option(help="Cooling type, for the PUE.")] = "liquid",
    load_factor: Annotated[float, typer.Option(help="Average load as a share of facility power.")] = 0.8,
    as_json: JsonOpt = False,
) -> None:
    """Convert between facility power, IT power, accelerators, FLOP/s, energy and capex."""
    from gigawatt.compute import convert as do_convert

    result = do_convert(
        quantity,
        accelerator,
        basis="it" if basis is Basis.it else "facility",
        cooling=cooling,
        load_factor=load_factor,
    )
    if as_json:
        print_json(result.as_dict(), "conversion")
        return
    table = Table(
        "quantity",
        "P10",
        "P50",
        "P90",
        title=f"{quantity} as {result.accelerator} (P10/P50/P90 over catalog ranges)",
    )

    def row(label: str, values: tuple[float, float, float], scale: float, fmt: str) -> None:
        table.add_row(label, *(format(v / scale, fmt) for v in values))

    row("facility power, GW", result.facility_mw, 1e3, ",.2f")
    row("IT power, GW", result.it_mw, 1e3, ",.2f")
    row("accelerators, million", result.accelerators, 1e6, ",.3f")
    row("H100-equivalents, million", result.h100_equivalents, 1e6, ",.3f")
    row("BF16 dense, EFLOP/s", result.bf16_flops, 1e18, ",.1f")
    row(f"energy at LF {load_factor:g}, TWh/yr", result.energy_twh_per_year, 1, ",.1f")
    for name, values in result.capex_usd.items():
        row(f"capex {name}, $B", values, 1e9, ",.1f")
    console.print(table)


@app.command()
@user_errors
def schema(
    results: Annotated[
        bool, typer.Option("--results", help="The results' schemas (one per kind) instead.")
    ] = False,
) -> None:
    """Print the JSON Schema of a scenario file, or (--results) of each kind of --json result."""
    import json
    import warnings

    if results:
        from gigawatt.results import json_schemas

        found = json_schemas()
    else:
        from gigawatt.scenario import Scenario

        with warnings.catch_warnings():  # pydantic warns writing Dist defaults into the schema
            warnings.simplefilter("ignore")
            found = Scenario.model_json_schema()
    sys.stdout.write(json.dumps(found, indent=2, default=str) + "\n")


def main() -> None:
    """The ``gigawatt`` command in this process (raises :class:`SystemExit` as typer does)."""
    app()


def script() -> NoReturn:
    """Entry point of the installed ``gigawatt`` script: :func:`main`, then the process ends
    without tearing the interpreter down. Python's finalization frees every loaded module's
    objects one by one, 0.2–0.3 s once xarray, pandas and scipy are in, after the answer is
    printed; here exit handlers run (a pool's shutdown, the table cache's save), output is
    flushed, and the process exits with the command's code. An uncaught error propagates as
    usual (its traceback, exit 1).

    The objects alive now (the modules imported so far) live as long as the process: frozen
    (:func:`gc.freeze`), no collection walks them again, nor touches their pages in the processes
    a run forks (measured: a recorded Stargate run's collections 0.22–0.25 → 0.11–0.18 s of CPU)."""
    gc.freeze()
    try:
        main()
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:  # a message: printed, exit 1, as the interpreter does
            print(exc.code, file=sys.stderr)
            code = 1
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


# Each capability's commands live in their own module under gigawatt/commands and register on
# `app` when imported (after the general commands above, so `--help` lists those first); they
# import the shared pieces from gigawatt.commands.common, never from here: no import cycle.
import gigawatt.commands.buildout  # noqa: E402
import gigawatt.commands.crosscheck  # noqa: E402
import gigawatt.commands.data  # noqa: E402
import gigawatt.commands.export  # noqa: E402
import gigawatt.commands.finance  # noqa: E402
import gigawatt.commands.plan  # noqa: E402
import gigawatt.commands.runs  # noqa: E402
import gigawatt.commands.scale  # noqa: E402
import gigawatt.commands.sites  # noqa: E402, F401

if __name__ == "__main__":  # pragma: no cover
    script()


__all__ = ["app", "console", "err", "main", "print_json", "user_errors", "JsonOpt", "ScenarioArg", "Path"]
