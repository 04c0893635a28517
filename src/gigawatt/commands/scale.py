"""``gigawatt sensitivity`` and ``gigawatt countries``."""

from __future__ import annotations

import time
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column

from gigawatt.commands.common import JsonOpt, Table, app, console, err, print_json, user_errors, wrap_path
from gigawatt.commands.options import (
    AddressOpt,
    BackendName,
    BackendOpt,
    RecordOpt,
    SeedOpt,
    StoreOpt,
    WorkersOpt,
    YesOpt,
    make_backend,
    print_recorded,
    record_result,
)
from gigawatt.commands.progress import steps
from gigawatt.fmt import number, number_beside

if TYPE_CHECKING:
    from gigawatt.sensitivity import SensitivityResult


class MethodName(StrEnum):
    """Sensitivity method."""

    sobol = "sobol"
    morris = "morris"


def _sensitivity_guard(loaded: Any, rows: int, money: bool, yes: bool) -> None:
    """Refuse evaluations that will not fit; ask for ``--yes`` above 10 minutes (each row is one
    buildout draw, with its money for npv:PARTY, over the scenario's quarters)."""
    from gigawatt.guards import check_money
    from gigawatt.sensitivity import _MONEY_ROWS

    periods = int((loaded.time.end_day - loaded.time.start_day) / 91.31) + 1
    check_money(loaded, rows, periods, yes=yes, money=money, block_draws=_MONEY_ROWS if money else 8192)


# `gigawatt sensitivity`'s own options, named here so that its signature reads as a list
#: The default output: a level every draw has (never censored at the horizon, as a date that
#: the all-median point may never reach is), in the middle of the built-in scenarios' buildouts.
DEFAULT_OUTPUT = "capacity:2028-12-31"
OutputOpt = Annotated[
    str,
    typer.Option(
        help="capacity:DATE (facility GW online then; the default: defined in every draw), "
        "gw-online:N (date N facility GW are online; a level never reached counts as the horizon's "
        "end), target:NAME (P(met)), or npv:PARTY (NPV of its net cash, USD, at the as-of date over "
        "the flows from it on, as finance; contract and party terms become inputs too)."
    ),
]
MethodOpt = Annotated[
    MethodName, typer.Option(help="sobol (S1, ST) or morris (screening, cheaper for many parameters).")
]
SamplesOpt = Annotated[
    int, typer.Option(min=2, help="Sobol' base sample N (a power of 2) or Morris trajectories.")
]
IncludeOpt = Annotated[
    list[str] | None,
    typer.Option(help="Only parameters under this path prefix (repeatable), e.g. supply, sites.abilene."),
]
DiscountRateOpt = Annotated[
    float, typer.Option(help="Yearly discount rate for npv:PARTY (as gigawatt finance).")
]


@app.command()
@user_errors
def sensitivity(
    scenario: Annotated[str, typer.Argument(help="A built-in scenario name or a YAML file.")] = "stargate",
    output: OutputOpt = DEFAULT_OUTPUT,
    method: MethodOpt = MethodName.morris,
    samples: SamplesOpt = 32,
    include: IncludeOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Rows to print.")] = 15,
    discount_rate: DiscountRateOpt = 0.10,
    seed: SeedOpt = 0,
    backend: BackendOpt = BackendName.inprocess,
    address: AddressOpt = None,
    workers: WorkersOpt = 2,
    store_dir: StoreOpt = None,
    record: RecordOpt = True,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Which assumptions matter: global sensitivity (Sobol' or Morris) of one output.

    Recorded in the run store (kind "sensitivity"); `gigawatt report ID` draws its charts."""
    from gigawatt.scenario import load_scenario
    from gigawatt.sensitivity import scenario_sensitivity

    started = time.perf_counter()
    labels = (
        f"reading {scenario}",
        f"sampling ({method.value})",
        "evaluating the model, analysing",
        "recording",
    )
    with steps(labels[: 4 if record else 3], not as_json) as done:
        loaded = load_scenario(scenario)
        done()

        def guard(rows: int, money: bool) -> None:
            """Check the work before it starts; sampling is done by then."""
            _sensitivity_guard(loaded, rows, money, yes)
            done()

        result = scenario_sensitivity(
            loaded,
            output,
            method.value,
            samples,
            seed,
            include or (),
            make_backend(backend, address, workers),
            discount_rate,
            guard=guard,
        )
        done()
        summary = {"scenario": scenario, **result.as_dict()}
        recorded = record_result(
            record,
            store_dir,
            scenario,
            loaded.name,
            kind="sensitivity",
            started=started,
            draws=result.evaluations,
            seed=seed,
            summary=summary,
            params={
                "output": output,
                "method": method.value,
                "samples": samples,
                "include": include or [],
                "discount_rate": discount_rate,
            },
        )
        if record:
            done()
    if as_json:
        print_json(summary, "sensitivity")
        return
    _print_sensitivity(result, output, top)
    print_recorded(recorded)


def _print_sensitivity(result: SensitivityResult, output: str, top: int) -> None:
    """Warnings first, then the ``top`` parameters by the method's indices, with the output at each
    one's P10 and P90 (the others at their medians), under the output with every input at its
    median (which is not the P50 forecast), each with its unit; then the analysis's notes."""
    import numpy as np

    from gigawatt.sensitivity import output_units
    from gigawatt.units import format_date

    for warning in result.warnings:
        err.print(f"[yellow]warning:[/] {warning}", highlight=False)
    keys = ("S1", "ST") if result.method == "sobol" else ("mu_star", "sigma")
    is_date, is_usd = output.startswith("gw-online:"), output.startswith("npv:")
    value_unit, effect_unit = output_units(output)

    def show(value: float) -> str:
        return format_date(value) if is_date else f"${value / 1e9:,.2f}B" if is_usd else number(value)

    scale = 1e9 if is_usd else 1.0  # Morris effects of a USD output in $B, as its values
    unit = "" if result.method == "sobol" or not effect_unit else f"; mu*, sigma in {effect_unit}"
    effects = {k: result.indices[k][:top] / (1.0 if k in ("S1", "ST") else scale) for k in keys}
    largest = {k: float(np.nanmax(np.abs(v), initial=0.0)) for k, v in effects.items()}
    rows = [
        [
            *(number_beside(effects[k][i], largest[k]) for k in keys),
            *(show(v) for v in result.tornado[name]),
        ]
        for i, name in enumerate(result.parameters[:top])
    ]
    heads = ["mu*" if k == "mu_star" else k for k in keys] + ["at P10", "at P90"]
    # the figures never break; the parameter paths take the rest of the width, broken after a "."
    figures = sum(max(len(h), *(len(r[j]) for r in rows)) for j, h in enumerate(heads))
    width = max(12, console.width - figures - 3 * (len(heads) + 1) - 1)
    table = Table(
        "parameter",
        *(Column(h, no_wrap=True, justify="right") for h in heads),
        title=f"What moves {output} ({result.method}, {result.evaluations:,} evaluations{unit})",
        caption_justify="left",
        caption="All inputs at their medians (not the P50 forecast): "
        f"{show(result.tornado_base)}{value_unit}; at P10 / P90: one input there, the others at "
        "their medians.",
    )
    for name, row in zip(result.parameters[:top], rows, strict=True):
        table.add_row(wrap_path(name, width), *row)
    console.print(table)
    for note in result.notes:
        console.print(f"note: {note}", highlight=False)


@app.command()
@user_errors
def countries(
    scenarios: Annotated[
        list[str] | None, typer.Argument(help="Built-in scenario names or YAML files (default: frontier).")
    ] = None,
    draws: Annotated[int, typer.Option(min=1, help="Monte Carlo draws.")] = 2_000,
    metric: Annotated[
        str, typer.Option(help="Table to print: facility_mw, accelerators, h100_equivalents, bf16_flops.")
    ] = "facility_mw",
    seed: SeedOpt = 0,
    backend: BackendOpt = BackendName.inprocess,
    address: AddressOpt = None,
    workers: WorkersOpt = 2,
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Capacity by site location (country, world region) at each year end, P10/P50/P90.

    Where the compute is built, not whose it is (Stargate UAE, run by Oracle for OpenAI, counts in
    the Middle East); the notes list each country's tenants, operators and owners."""
    from gigawatt.countries import METRICS, country_view
    from gigawatt.errors import GigawattError
    from gigawatt.scenario import load_scenario

    if metric not in METRICS:
        raise GigawattError(f"--metric {metric!r}: use {', '.join(METRICS)}")
    from gigawatt.guards import check_engine_run

    names = scenarios or ["frontier"]
    reading = f"reading {names[0]}" if len(names) == 1 else f"reading {len(names)} scenarios"
    simulating = f"simulating {draws:,} draws" + ("" if len(names) == 1 else f" of {len(names)} scenarios")
    with steps((reading, simulating), not as_json) as done:
        loaded = [load_scenario(name) for name in names]
        for one in loaded:
            check_engine_run(one, draws, yes=yes, runs=len(loaded))
        done()
        view = country_view(loaded, draws, seed, make_backend(backend, address, workers))
        done()
    if as_json:
        print_json(view.as_dict(), "countries")
        return
    q = view.quantiles.sel(metric=metric)
    scale, unit = _SCALES[metric]
    values = q.values.reshape(-1, q.sizes["time"])
    changed = [t for t in range(1, values.shape[1]) if (values[:, t] != values[:, t - 1]).any()]
    shown = (changed[-1] if changed else 0) + 1
    past = view.before_as_of[:shown]  # observed: a range there is between sources
    years = [
        str(t)[:4] + ("*" if before else "") for t, before in zip(q.time.values[:shown], past, strict=True)
    ]
    last_region = [str(g) for g in q.group.values if str(g).startswith("region:")][-1]
    labels = [str(g).split(":", 1)[-1] for g in q.group.values]
    cells = _cells(q, shown, scale)
    # As many year columns as fit the terminal (rich: 3 characters of padding and rule per
    # column), the rest in further tables below, so no cell is cut.
    label_width = max(map(len, [*labels, "country / region"]))
    cell_width = max(len(text) for row in cells for cell in row for text in (*cell, "2028"))
    per_table = max(1, (console.width - label_width - 4) // (cell_width + 3))
    where = "by site location (the country a site stands in, not whose it is)"
    console.print(
        f"{unit} online at year end {where}: P50, P10–P90 below ({', '.join(view.scenarios)})",
        highlight=False,
    )
    for first in range(0, len(years), per_table):
        chunk = range(first, min(first + per_table, len(years)))
        table = Table(
            Column("country / region", no_wrap=True, min_width=label_width),
            *(Column(years[t], no_wrap=True, justify="right", min_width=cell_width) for t in chunk),
        )
        for g, group in enumerate(q.group.values):
            texts = [f"{p50}\n[dim]{band}[/]" if band else p50 for p50, band in (cells[g][t] for t in chunk)]
            table.add_row(labels[g], *texts, end_section=str(group) in ("total", last_region))
        console.print(table)
    if any(past):
        _print_past(view.as_of, several=len(loaded) > 1)
    if shown < q.sizes["time"]:
        console.print(
            f"Unchanged after {years[-1].rstrip('*')} (to {str(q.time.values[-1])[:4]}).", highlight=False
        )
    for note in view.notes:
        console.print(f"note: {note}", highlight=False)


#: The table's scale and unit of each metric.
_SCALES = {
    "facility_mw": (1e3, "facility GW"),
    "accelerators": (1e6, "million accelerators"),
    "h100_equivalents": (1e6, "million H100-equivalents"),
    "bf16_flops": (1e18, "BF16 EFLOP/s"),
}


def _print_past(as_of: str | None, several: bool) -> None:
    """The footnote of the years marked ``*``: before the as-of date (of every scenario), where
    capacity is observed and a range is the sources' disagreement, not a forecast."""
    when = f"every as-of date (from {as_of})" if several else f"the as-of date ({as_of})"
    console.print(
        f"*: before {when}: capacity observed; a P10–P90 range there is the range between "
        "sources, not a forecast.",
        highlight=False,
    )


__all__ = ["DEFAULT_OUTPUT", "sensitivity", "countries"]


def _cells(q: Any, shown: int, scale: float) -> list[list[tuple[str, str]]]:
    """Per group, per year end shown: (P50, "P10–P90"), the band only where it shows one at the
    printed precision (never "0.0–0.0")."""
    cells = []
    for group in q.group.values:
        p10, p50, p90 = (q.sel(group=group, quantile=x).values[:shown] / scale for x in (0.1, 0.5, 0.9))
        cells.append([(f"{b:,.1f}", _band(a, c)) for a, b, c in zip(p10, p50, p90, strict=True)])
    return cells


def _band(p10: float, p90: float) -> str:
    """``P10–P90`` at one decimal, or nothing where both print the same."""
    low, high = f"{p10:,.1f}", f"{p90:,.1f}"
    return "" if low == high else f"{low}–{high}"
