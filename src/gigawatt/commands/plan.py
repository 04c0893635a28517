"""``gigawatt plan``: least-cost capacity expansion for a scenario's demand."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Column

from gigawatt.commands.common import JsonOpt, ScenarioArg, Table, app, console, print_json, user_errors
from gigawatt.commands.options import RecordOpt, SeedOpt, StoreOpt, print_recorded, record_result
from gigawatt.commands.progress import steps
from gigawatt.errors import GigawattError

if TYPE_CHECKING:
    from gigawatt.plan import PlanOptions, PlanResult
    from gigawatt.scenario import Scenario


# `gigawatt plan`'s own options, named here so that its signature reads as a list. Short
# metavars, and ranges checked by the type rather than shown beside it, so that the options
# table fits 80 columns (a long type column squeezed the option names: "--facility-life-ye…").


def _share(value: float | None) -> float | None:
    """A quantile or probability: between 0 and 1 (checked here, so the help shows no range)."""
    if value is not None and not 0.0 <= value <= 1.0:
        raise typer.BadParameter(f"{value} is not between 0 and 1")
    return value


def _not_negative(value: float | None) -> float | None:
    if value is not None and value < 0:
        raise typer.BadParameter(f"{value} is below 0")
    return value


PeriodsOpt = Annotated[int, typer.Option(min=1, metavar="N", help="Quarters to plan.")]
StartOpt = Annotated[
    str | None,
    typer.Option(
        metavar="QUARTER",
        help="First quarter, e.g. 2026Q3 (default: the later of the quarter demand starts and the "
        "first after the scenario's as-of date; never earlier).",
    ),
]
BudgetOpt = Annotated[
    str | None, typer.Option(metavar="USD", help='Capex budget, e.g. "$500B" (default: none).')
]
EmissionsCapOpt = Annotated[
    float | None,
    typer.Option(
        callback=_not_negative,
        metavar="MT",
        help="Cap on on-site gas CO2 over the horizon, million tonnes (default: none).",
    ),
]
DiscountRateOpt = Annotated[
    float | None,
    typer.Option(
        metavar="RATE",
        help="Yearly discount rate (default 0.08: the costs catalog's plan discount rate).",
    ),
]
PenaltyOpt = Annotated[
    str | None,
    typer.Option(
        metavar="USD",
        help='Cost of unmet demand per EFLOP/s (BF16 dense) per quarter (default ~"$3.3M": buying it '
        "under contract at the catalog's $13.3B per facility GW-year, Oracle-OpenAI, / 4 quarters / "
        "~1,003 EFLOP/s per GW of GB200 NVL72, what such contracts buy).",
    ),
]
LoadFactorOpt = Annotated[
    float | None,
    typer.Option(
        metavar="SHARE",
        help="Average load as a share of facility power (default 0.8: the costs catalog's plan load factor).",
    ),
]
FacilityLifeOpt = Annotated[
    float | None,
    typer.Option(
        metavar="YEARS",
        help="Years over which buildings and power equipment are annuitised (default 20: the costs "
        "catalog's plan facility life).",
    ),
]
RequireDemandOpt = Annotated[
    bool, typer.Option("--require-demand", help="Demand must be met in full (no unmet-demand penalty).")
]
RelaxOpt = Annotated[bool, typer.Option("--relax", help="Site opening as a 0..1 share (an LP, no binaries).")]
QuantileOpt = Annotated[
    float,
    typer.Option(
        callback=_share,
        metavar="Q",
        help="Read dates/lead times at this quantile (0 to 1), supply at 1 - it.",
    ),
]
DemandQuantileOpt = Annotated[
    float,
    typer.Option(
        callback=_share,
        metavar="Q",
        help="Read demand's level and growth at this quantile (0 to 1; --robust steps it from 0.5 instead).",
    ),
]
WritePlanOpt = Annotated[
    Path | None,
    typer.Option(
        "--write-plan", metavar="FILE", help="Write the plan as a scenario YAML that extends the input."
    ),
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Let --write-plan write over an existing file.")]
RobustOpt = Annotated[
    float | None,
    typer.Option(
        callback=_share,
        metavar="P",
        help="Target probability P (0 to 1, e.g. 0.8) of meeting demand. Re-plans for demand at quantile "
        "q = 0.5, 0.7, 0.85, 0.95 (dates, lead times and supply stay at --quantile), simulates each "
        "plan with the engine and stops at the first whose probability reaches P; else keeps the "
        "most probable. Meeting demand: the BF16 FLOP/s serving demand's party (its sites and "
        "contracted capacity, as `gigawatt run` counts them) >= its total demand (both drawn) at "
        "every year end in the plan horizon where the least-cost plan itself meets demand.",
    ),
]
RobustDrawsOpt = Annotated[
    int, typer.Option(min=1, metavar="N", help="Draws per simulated plan with --robust.")
]
#: --seed as every command has it (its help), shown as N so that the options fit 80 columns
PlanSeedOpt = Annotated[int, typer.Option(min=0, metavar="N", help=SeedOpt.__metadata__[0].help)]
RobustYesOpt = Annotated[
    bool, typer.Option("--yes", help="Start --robust simulations estimated at over 10 minutes.")
]
WhyOpt = Annotated[
    bool, typer.Option("--why", help="After the table, say for each site why it is built (or not).")
]


@app.command()
@user_errors
def plan(
    scenario: ScenarioArg = "stargate",
    periods: PeriodsOpt = 20,
    start: StartOpt = None,
    budget: BudgetOpt = None,
    emissions_cap_mt: EmissionsCapOpt = None,
    discount_rate: DiscountRateOpt = None,
    penalty: PenaltyOpt = None,
    load_factor: LoadFactorOpt = None,
    facility_life_years: FacilityLifeOpt = None,
    require_demand: RequireDemandOpt = False,
    relax: RelaxOpt = False,
    quantile: QuantileOpt = 0.5,
    demand_quantile: DemandQuantileOpt = 0.5,
    write_plan: WritePlanOpt = None,
    force: ForceOpt = False,
    robust: RobustOpt = None,
    robust_draws: RobustDrawsOpt = 2000,
    yes: RobustYesOpt = False,
    seed: PlanSeedOpt = 0,
    store_dir: StoreOpt = None,
    record: RecordOpt = True,
    why: WhyOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Decide where, when, on which power and accelerators to build to meet demand at least cost.

    The plan is recorded in the run store (kind "plan"; its summary is the --json output)."""
    from gigawatt.plan import PlanOptions, extends_ref
    from gigawatt.plan import write_plan as write
    from gigawatt.scenario import load_scenario

    options = PlanOptions(
        periods=periods,
        discount_rate_per_year=discount_rate,
        load_factor=load_factor,
        facility_life_years=facility_life_years,
        require_demand=require_demand,
        binary_sites=not relax,
        quantile=quantile,
        demand_quantile=demand_quantile,
        **_option_values(start, budget, penalty, emissions_cap_mt),
    )
    if write_plan is not None:
        _check_plan_target(scenario, write_plan, force)
    started = time.perf_counter()
    with steps(_step_labels(robust, robust_draws, write_plan is not None), not as_json) as done:
        loaded = load_scenario(scenario)
        done()
        result, summary = _solve(loaded, scenario, options, done, robust, robust_draws, seed, yes)
        done()
        if write_plan is not None:
            write(result, loaded, scenario, write_plan, extends_ref(scenario, write_plan), force=force)
            summary["plan_file"] = str(write_plan)
            done()
    recorded = record_result(
        record,
        store_dir,
        scenario,
        loaded.name,
        kind="plan",
        started=started,
        draws=robust_draws if robust is not None else 0,
        seed=seed,
        summary=summary,
        params={"periods": periods, "start": start, "robust": robust, **summary["assumptions"]},
    )
    if as_json:
        print_json(summary, "plan")
        return
    _print_outcome(loaded.name, result, summary, write_plan, why)
    print_recorded(recorded)


def _step_labels(robust: float | None, robust_draws: int, writes: bool) -> list[str]:
    """The progress bar's steps: reading, then solving once (or one plan and simulation per
    demand quantile with ``--robust``), explaining, and writing with ``--write-plan``."""
    from gigawatt.plan import ROBUST_QUANTILES

    labels = ["reading the scenario"]
    if robust is None:
        labels += ["stating the problem", "solving (HiGHS), then the duals"]
    else:
        labels += [f"demand q = {q:g}: plan, {robust_draws:,} draws" for q in ROBUST_QUANTILES]
    return labels + ["explaining the plan"] + (["writing the plan"] if writes else [])


def _solve(
    loaded: Scenario,
    scenario: str,
    options: PlanOptions,
    done: Callable[[], None],
    robust: float | None,
    robust_draws: int,
    seed: int,
    yes: bool,
) -> tuple[PlanResult, dict[str, Any]]:
    """The least-cost plan (stating the problem, then solving: a step each), or with ``robust``
    the robust plan (a step per demand quantile tried, each plan simulated), and its summary
    (with the ``robust`` iterations)."""
    from gigawatt.guards import check_engine_run
    from gigawatt.plan import ROBUST_QUANTILES, plan_inputs, robust_plan, solve

    if robust is None:
        inputs = plan_inputs(loaded, options)
        done()
        result = solve(inputs)
        done()
        return result, result.summary()
    check_engine_run(loaded, robust_draws, yes=yes, runs=len(ROBUST_QUANTILES))
    report = robust_plan(loaded, scenario, options, robust, draws=robust_draws, seed=seed, progress=done)
    assert report.best.result is not None
    result = report.best.result
    summary = result.summary()
    summary["robust"] = report.summary()
    return result, summary


def _print_outcome(
    name: str, result: PlanResult, summary: dict[str, Any], write_plan: Path | None, why: bool
) -> None:
    """The plan (and with ``--robust`` its re-plans) for a terminal, and where it was written."""
    robust = "robust" in summary
    kind = (
        f"robust plan (demand q = {result.inputs.attrs['demand_quantile']:g})"
        if robust
        else "least-cost plan"
    )
    _print_plan(summary, f"{name}: {kind} ({summary['status']}), facility MW built", why)
    if robust:
        _print_robust(summary["robust"], sum(summary["unmet_mw"]))
    if write_plan is not None:
        console.print(
            f"plan written to {write_plan} (check it: gigawatt validate {write_plan})", highlight=False
        )


def _option_values(
    start: str | None, budget: str | None, penalty: str | None, emissions_cap_mt: float | None
) -> dict[str, float | None]:
    """The options given with units, in the plan's units (days, $, tonnes), checked."""
    from gigawatt.units import UnitError, parse, parse_date

    try:
        values = {
            "start_date": None if start is None else parse_date(start) - _quarter_days(start),
            "budget_usd": None if budget is None else parse(budget, "money"),
            "penalty_usd_per_eflops_quarter": None if penalty is None else parse(penalty, "money"),
            "emissions_cap_t": None if emissions_cap_mt is None else emissions_cap_mt * 1e6,
        }
    except UnitError as exc:
        raise GigawattError(str(exc)) from None
    for flag, key in (("--budget", "budget_usd"), ("--penalty", "penalty_usd_per_eflops_quarter")):
        usd = values[key]
        if usd is not None and usd < 0:
            raise GigawattError(f"{flag}: must be at least $0, got -${-usd:,.0f}")
    return values


def _check_plan_target(scenario: str, path: Path, force: bool) -> None:
    """Refuse ``--write-plan`` over the scenario or a file it extends, or over an existing file
    without ``--force``, before any work."""
    from gigawatt.resolved import extends_chain
    from gigawatt.safe_write import check_target

    chain = extends_chain(scenario)
    if path.resolve() in {Path(f).resolve() for f in chain}:
        raise GigawattError(
            f"{path}: --write-plan would overwrite the scenario it plans or a file it "
            f"extends ({', '.join(chain)}), and the plan would extend itself; "
            "write the plan to another file"
        )
    check_target(path, force=force, what="plan")


def _print_plan(summary: dict[str, Any], title: str, why: bool) -> None:
    """The plan as a table of sites, its cost and demand in one paragraph, the shared limits
    that bind and the derived specs it rests on; with ``why``, each site's reasons and how
    demand is read as compute."""
    table = Table(
        Column("site", no_wrap=True),
        Column("power source MW", overflow="fold"),
        Column("accelerator MW", overflow="fold"),
        Column("first", no_wrap=True),
        Column("MW", justify="right", no_wrap=True),
        Column("binding", overflow="fold", ratio=1),
        title=title,
        caption="--why says for each site why it is built or not",
    )
    for site, row in summary["sites"].items():
        table.add_row(site, *_site_cells(row, summary["periods"]))
    console.print(table)
    _print_fixed_builds(summary)
    unmet = sum(summary["unmet_mw"])
    demand, served, bought = summary["demand_flops"], summary["served_flops"], summary["contracted_flops"]
    party = summary.get("demand_party")
    after = f", the first after the as-of date {summary['as_of']}," if summary.get("as_of") else ""
    console.print(
        f"net present cost ${summary['objective_usd'] / 1e9:,.1f}B; unmet demand "
        f"{sum(summary['unmet_flops']) / 1e18:,.1f} EFLOP/s-quarters ({unmet:,.0f} facility MW-quarters "
        f"at the reference) over {len(summary['periods'])} quarters, from {summary['periods'][0]}"
        f"{after} to {summary['periods'][-1]}; last quarter: "
        f"{f'{party} ' if party else ''}demand {demand[-1] / 1e18:,.1f} EFLOP/s "
        f"({summary['demand_mw'][-1]:,.0f} MW), of which its contracted capacity meets "
        f"{bought[-1] / 1e18:,.1f}; served {served[-1] / 1e18:,.1f} EFLOP/s "
        f"({summary['served_mw'][-1]:,.0f} MW){_beyond(summary)}",
        highlight=False,
    )
    assumptions = summary["assumptions"]
    reference = f"{assumptions['reference_flops_per_facility_mw'] / 1e15:,.0f} PFLOP/s per facility MW"
    console.print(
        (
            f"demand as compute: {reference}"
            if assumptions["demand_stated_as"] == "facility power"
            else f"demand stated as compute; MW equivalents at {reference}"
        )
        + (f". {assumptions['demand_reference']}" if why else " (the reference; --why says how)"),
        highlight=False,
    )
    for line in summary["binding"]:
        console.print(f"binding — {line}", highlight=False)
    for spec in summary["derived_specs"]:
        scale, unit = (1e15, " PFLOP/s") if spec["field"].endswith("_dense") else (1.0, "")
        span = (
            ""
            if spec["low"] is None
            else f" (range {spec['low'] / scale:,.1f}–{spec['high'] / scale:,.1f}{unit})"
        )
        whose = " (contracted capacity)" if spec.get("contracted") else ""
        console.print(
            f"rests on a derived spec — {spec['accelerator']}{whose} {spec['field']} "
            f"{spec['value'] / scale:,.1f}{unit}{span} is derived, not published",
            highlight=False,
        )
    if why:
        for site, row in summary["sites"].items():
            console.print(f"[bold]{site}[/bold]: {row['why']}", highlight=False)


_BINDS = "binding (why not more): "


def _beyond(summary: dict[str, Any]) -> str:
    """Where what serves demand (existing, contracted, under construction, built) exceeds it most."""
    have, need = summary.get("capacity_flops"), summary["demand_flops"]
    if not have:
        return ""
    over = [h - d for h, d in zip(have, need, strict=True)]
    t = max(range(len(over)), key=lambda i: over[i])
    if over[t] <= 1e-6 * need[t]:
        return ""
    return (
        f"; capacity beyond demand at most {over[t] / 1e18:,.1f} EFLOP/s "
        f"({100 * over[t] / need[t]:,.0f}% over, {summary['periods'][t]})"
    )


def _print_fixed_builds(summary: dict[str, Any]) -> None:
    """The party's phases under construction, by site (fixed, not decisions), and in one line
    what they add and cost."""
    fixed = summary.get("fixed_builds") or {}
    rows = {
        site: row["fixed_build"]
        for site, row in summary["sites"].items()
        if row.get("fixed_build", {}).get("mw", 0) > 0.5
    }
    if not rows:
        return
    table = Table(
        Column("site", no_wrap=True),
        Column("facility MW", justify="right", no_wrap=True),
        Column("accelerator", overflow="fold"),
        Column("from", no_wrap=True),
        Column("capex", justify="right", no_wrap=True),
        title="under construction: fixed builds, not decisions",
    )
    last = summary["periods"][-1]
    for site, row in rows.items():
        accs = ", ".join(row["by_accelerator_mw"]) or "—"
        table.add_row(
            site,
            f"{row['mw']:,.0f}",
            accs,
            row["first"] or f"after {last}",
            f"${row['capex_usd'] / 1e9:,.1f}B",
        )
    console.print(table)
    console.print(
        f"fixed builds: {fixed['mw'] / 1e3:,.2f} GW under construction, "
        f"${fixed['capex_usd'] / 1e9:,.1f}B capex committed, not a decision and not in the net present "
        f"cost; they add {fixed['flops'][-1] / 1e18:,.1f} EFLOP/s by {last}",
        highlight=False,
    )


def _site_cells(row: dict[str, Any], periods: list[str]) -> tuple[str, ...]:
    """A plan's site as table cells: power sources and accelerators built (MW), the first
    quarter it builds, the MW, and what binds it (from its explanation)."""

    def listed(values: dict[str, float]) -> str:
        return ", ".join(f"{k} {v:,.0f}" for k, v in sorted(values.items(), key=lambda kv: -kv[1]) if v > 0.5)

    from gigawatt.plan.result import FIXED_TEXT_END

    built = [i for i, mw in enumerate(row["build_mw_by_period"]) if mw > 1e-6]
    why = row["why"].partition(FIXED_TEXT_END)[2] or row["why"]  # what the plan decided at the site
    if row["build_mw"] < 0.5 or not built:
        if why.startswith("not built although"):  # it would pay: the cell gives why it is not built
            reason = why.rsplit(": ", 1)[-1]
            while re.search(r"\([^()]*\)", reason):  # parentheses out, innermost first
                reason = re.sub(r" ?\([^()]*\)", "", reason)
            return "—", "—", "—", "0", f"not built: {reason}"
        reason = re.split(r" \(|; |, |: ", why.removeprefix("not built: "))[0]
        if not reason.startswith(("not built", "nothing more")):
            reason = f"not built: {reason}"
        return "—", "—", "—", "0", reason
    limits = [part for part in why.partition(_BINDS)[2].split("; ") if part]
    binds = (limits[0] if limits else "—").replace(
        "nothing at the site, only the shared limits", "shared limits"
    )
    binds = binds.replace("its phases ready by then full", "phases ready").replace("all its firm ", "firm ")
    if len(limits) > 1:
        binds += f" (+{len(limits) - 1} more)"
    return (
        listed(row["by_source_mw"]),
        listed(row["by_accelerator_mw"]),
        periods[built[0]],
        f"{row['build_mw']:,.0f}",
        binds,
    )


def _percent(p: float | None) -> str:
    return "no plan" if p is None or math.isnan(p) else f"{100 * p:.0f}%"


def _print_robust(report: dict[str, Any], unmet_mw_quarters: float) -> None:
    """The --robust iterations: q, cost, simulated probability of meeting demand, what changed."""
    steps = report["iterations"]
    dates = f"{report['dates'][0]}…{report['dates'][-1]}" if report["dates"] else "—"
    console.print(
        f"least-cost plan meets demand with {_percent(report['least_cost_probability'])} probability "
        f"({report['draws']:,} draws, seed {report['seed']}; every checked year end {dates})",
        highlight=False,
    )
    short = report["dates_not_checked_unmet_flops"]
    if short:
        listed = ", ".join(f"{d} ({flops / 1e18:,.0f} EFLOP/s)" for d, flops in short.items())
        console.print(
            f"not checked, as the least-cost plan itself leaves demand unmet there: {listed}",
            highlight=False,
        )
    table = Table(
        "demand q", "net present cost", "P(meets demand)", "change vs least-cost", title="--robust re-plans"
    )
    for row in steps:
        cost = "—" if row["objective_usd"] is None else f"${row['objective_usd'] / 1e9:,.1f}B"
        table.add_row(f"{row['quantile']:g}", cost, _percent(row["probability"]), row["change"])
    console.print(table)
    chosen = next(r for r in steps if r["quantile"] == report["chosen_quantile"])
    target = _percent(report["target_probability"])
    if report["reached"]:
        console.print(
            f"robust plan: demand q = {chosen['quantile']:g} meets demand with "
            f"{_percent(chosen['probability'])} (target {target}); {chosen['change']}",
            highlight=False,
        )
    else:
        console.print(
            f"target {target} NOT reached after {len(steps)} plans; the best, demand q = "
            f"{chosen['quantile']:g}, meets demand with {_percent(chosen['probability'])} (shown and written)"
            + (
                f"; that plan itself leaves {unmet_mw_quarters:,.0f} MW-quarters of demand unmet "
                "(building more costs more than the unmet-demand penalty, or no site, power or supply "
                "allows it)"
                if unmet_mw_quarters > 0.5
                else ""
            ),
            highlight=False,
        )
    if report["note"]:
        console.print(f"note: {report['note']}", highlight=False)
    console.print(f"method: {report['method']}", highlight=False)


def _quarter_days(text: str) -> float:
    """A quarter label stands for its last day; the plan wants its first (days back to it)."""
    import pandas as pd

    from gigawatt.units import date_from_days, days_from_date, parse_date

    end = parse_date(text)
    first = pd.Timestamp(date_from_days(end)).to_period("Q").start_time.date()
    return end - days_from_date(first)
