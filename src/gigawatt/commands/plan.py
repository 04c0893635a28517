"""``gigawatt plan``: least-cost capacity expansion for a scenario's demand."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gigawatt.cli import JsonOpt, ScenarioArg, app, console, print_json, user_errors
from gigawatt.errors import GigawattError


@app.command()
@user_errors
def plan(
    scenario: ScenarioArg = "stargate",
    periods: Annotated[int, typer.Option(min=1, help="Quarters to plan.")] = 20,
    start: Annotated[
        str | None, typer.Option(help="First quarter, e.g. 2026Q1 (default: the quarter demand starts).")
    ] = None,
    budget: Annotated[str | None, typer.Option(help='Capex budget, e.g. "$500B" (default: none).')] = None,
    emissions_cap_mt: Annotated[
        float | None,
        typer.Option(help="Cap on on-site gas CO2 over the horizon, million tonnes (default: none)."),
    ] = None,
    discount_rate: Annotated[float, typer.Option(help="Yearly discount rate (assumption).")] = 0.08,
    penalty: Annotated[
        str | None,
        typer.Option(
            help='Cost of unmet demand per facility MW per quarter (default "$4.4M": renting H100s at '
            "~$3/GPU-hour at 1.5 kW facility per GPU)."
        ),
    ] = None,
    load_factor: Annotated[float, typer.Option(help="Average load as a share of facility power.")] = 0.8,
    facility_life_years: Annotated[
        float, typer.Option(help="Life over which buildings and power equipment are annuitised (assumption).")
    ] = 20.0,
    require_demand: Annotated[
        bool, typer.Option("--require-demand", help="Demand must be met in full (no unmet-demand penalty).")
    ] = False,
    relax: Annotated[
        bool, typer.Option("--relax", help="Site opening as a 0..1 share (an LP, no binaries).")
    ] = False,
    quantile: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="Read dates/lead times at this quantile, supply at 1 - it."),
    ] = 0.5,
    write_plan: Annotated[
        Path | None,
        typer.Option("--write-plan", help="Write the plan as a scenario YAML that extends the input."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Decide where, when, on which power and accelerators to build to meet demand at least cost."""
    from gigawatt.plan import (
        DEFAULT_PENALTY_USD_PER_MW_QUARTER,
        PlanOptions,
        plan_inputs,
        solve,
    )
    from gigawatt.plan import write_plan as write
    from gigawatt.scenario import load_scenario
    from gigawatt.units import UnitError, parse, parse_date

    try:
        options = PlanOptions(
            start_date=None if start is None else parse_date(start) - _quarter_days(start),
            periods=periods,
            discount_rate_per_year=discount_rate,
            penalty_usd_per_mw_quarter=DEFAULT_PENALTY_USD_PER_MW_QUARTER
            if penalty is None
            else parse(penalty, "money"),
            budget_usd=None if budget is None else parse(budget, "money"),
            emissions_cap_t=None if emissions_cap_mt is None else emissions_cap_mt * 1e6,
            load_factor=load_factor,
            facility_life_years=facility_life_years,
            require_demand=require_demand,
            binary_sites=not relax,
            quantile=quantile,
        )
    except UnitError as exc:
        raise GigawattError(str(exc)) from None
    loaded = load_scenario(scenario)
    result = solve(plan_inputs(loaded, options))
    summary = result.summary()
    if write_plan is not None:
        extends = scenario
        if Path(scenario).suffix in (".yaml", ".yml") or Path(scenario).exists():
            extends = os.path.relpath(Path(scenario).resolve(), write_plan.resolve().parent)
        write(result, loaded, scenario, write_plan, extends)
        summary["plan_file"] = str(write_plan)
    if as_json:
        print_json(summary)
        return
    table = Table(
        "site", "open", "MW built", "why", title=f"{loaded.name}: least-cost plan ({summary['status']})"
    )
    for site, row in summary["sites"].items():
        table.add_row(site, "yes" if row["open"] else "no", f"{row['build_mw']:,.0f}", row["why"])
    console.print(table)
    unmet = sum(summary["unmet_mw"])
    console.print(
        f"net present cost ${summary['objective_usd'] / 1e9:,.1f}B; unmet demand {unmet:,.0f} MW-quarters "
        f"over {len(summary['periods'])} quarters ({summary['periods'][0]}–{summary['periods'][-1]})",
        highlight=False,
    )
    for line in summary["binding"]:
        console.print(f"binding — {line}", highlight=False)
    if write_plan is not None:
        console.print(
            f"plan written to {write_plan} (check it: gigawatt validate {write_plan})", highlight=False
        )


def _quarter_days(text: str) -> float:
    """A quarter label stands for its last day; the plan wants its first (days back to it)."""
    import pandas as pd

    from gigawatt.units import date_from_days, days_from_date, parse_date

    end = parse_date(text)
    first = pd.Timestamp(date_from_days(end)).to_period("Q").start_time.date()
    return end - days_from_date(first)
