"""``gigawatt finance``, ``gigawatt flows`` and ``gigawatt stress``: the money of a scenario."""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer
from rich.table import Column

from gigawatt.commands.common import JsonOpt, ScenarioArg, Table, app, console, print_json, user_errors
from gigawatt.commands.options import print_recorded, record_result
from gigawatt.commands.progress import steps
from gigawatt.fmt import share as _share

DrawsOpt = Annotated[
    int, typer.Option(min=1, help="Monte Carlo draws (finance is heavier than the buildout).")
]
SeedOpt = Annotated[int, typer.Option(min=0, help="Random seed (same seed, same numbers).")]
YesOpt = Annotated[bool, typer.Option("--yes", help="Start work estimated at over 10 minutes.")]
StepOpt = Annotated[str, typer.Option(help="Finance period: month, quarter or year.")]


#: The steps of a money command, for its progress bar.
_STEPS = ("reading the scenario", "simulating the buildout", "simulating the money", "summarising")


def _money(
    scenario: str, draws: int, seed: int, step: str, done: Any = lambda: None, yes: bool = False
) -> Any:
    from gigawatt.errors import GigawattError
    from gigawatt.finance import buildout, simulate_money
    from gigawatt.scenario import load_scenario

    if step not in ("month", "quarter", "year"):
        raise GigawattError(f"--step must be month, quarter or year, not {step!r}")
    loaded = load_scenario(scenario)
    _guard(loaded, draws, step, yes=yes)
    done()
    built = buildout(loaded, draws, seed)
    done()
    money = simulate_money(loaded, built, seed, step)
    done()
    return money


def _guard(loaded: Any, draws: int, step: str, runs: int = 1, yes: bool = False) -> None:
    """Refuse a buildout and money that will not fit in free memory (each held whole: draw x
    period), and ask for ``--yes`` above 10 minutes (:func:`gigawatt.guards.check_money`)."""
    from gigawatt.guards import check_money

    days = {"month": 30.44, "quarter": 91.31, "year": 365.25}.get(step, 91.31)
    periods = int((loaded.time.end_day - loaded.time.start_day) / days) + 1
    check_money(loaded, draws, periods, runs=runs, yes=yes)


def _b(value: float | None) -> str:
    return "–" if value is None else f"{value / 1e9:,.1f}"


def _b3(value: float | None) -> str:
    """USD as $B to three significant digits (narrow columns)."""
    from gigawatt.fmt import number

    if value is None:
        return "–"
    return number(value / 1e9, 3) if abs(value) >= 1e10 else f"{value / 1e9:,.1f}"


@app.command()
@user_errors
def finance(
    scenario: ScenarioArg = "stargate",
    party: Annotated[list[str] | None, typer.Option("--party", help="Only this party (repeatable).")] = None,
    life: Annotated[float, typer.Option(min=0.5, help="Useful life of capex in years (5-6 vs 2-3).")] = 5.5,
    discount_rate: Annotated[
        float, typer.Option(help="Yearly discount rate for NPV and annualised capex.")
    ] = 0.10,
    draws: DrawsOpt = 2000,
    seed: SeedOpt = 0,
    step: StepOpt = "quarter",
    yes: YesOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Per-party statements (cash, revenue, capex, opex, depreciation, RPO, NPV/IRR) and unit economics."""
    from gigawatt.commands.capital import print_capital
    from gigawatt.errors import GigawattError
    from gigawatt.finance import statements
    from gigawatt.finance.commitments import commitments_summary
    from gigawatt.finance.customers import unsold_sites
    from gigawatt.finance.economics import unit_economics
    from gigawatt.finance.funding import funding_need
    from gigawatt.finance.statements import RPO_CONVENTION

    with steps(_STEPS, not as_json) as done:
        money = _money(scenario, draws, seed, step, done, yes)
        for name in party or []:
            if name not in money.parties:
                raise GigawattError(f"unknown party {name!r}; parties: {', '.join(money.parties)}")
        result = statements(
            money, list(party) if party else None, life_years=life, discount_rate=discount_rate
        )
        economics = unit_economics(money.scenario, life_years=life, discount_rate=discount_rate, seed=seed)
        pledges = commitments_summary(money.scenario, money.buildout, money.parameters)
        need = funding_need(money.funding, money.edges) if money.funding else {}
        unsold = unsold_sites(money.scenario)
        done()
    if as_json:
        print_json(
            {
                "scenario": money.scenario.name,
                "draws": draws,
                "seed": seed,
                "step": step,
                "statements": result,
                "unit_economics": economics,
                "commitments": pledges,
                "funding_need": need,
                "rpo_convention": RPO_CONVENTION,
                "sites_without_customer": [u.as_dict() for u in unsold],
            },
            "finance",
        )
        return
    _print_totals(money.scenario.name, result, life, discount_rate)
    for u in unsold:
        payers = "; ".join(f"{p} ({', '.join(what)})" for p, what in u.paid_by.items())
        tenant = money.scenario.sites[u.site].tenant
        console.print(
            f"{u.site}: {payers} pay its costs, but no lease or compute contract names it: "
            f"{tenant}, its tenant, pays nobody for it here (no terms reported), so their NPV "
            "counts these costs without income.",
            highlight=False,
        )
    _print_unit_economics(economics)
    receipts = [name for name, s in result.items() if not s.get("costs_modelled", True)]
    notes = {n: p.note for n, p in money.scenario.parties.items() if p.note}
    # a receipts-only party buys and runs nothing: what it pays out is what it invests or lends
    financiers = {n: "investor" for n in receipts} | {
        n: p.kind for n, p in money.scenario.parties.items() if p.kind in ("lender", "investor")
    }
    print_capital(console, need, notes, receipts, financiers)
    _print_findings(money, result, pledges)


def _print_totals(scenario: str, result: dict[str, Any], life: float, discount_rate: float) -> None:
    """Each party's totals over the horizon (P50), parties with no money named apart; NPV at the
    date the statements are valued at (the scenario's as-of date)."""
    valued_at = next((s["npv_valued_at"] for s in result.values() if "npv_valued_at" in s), None)
    at = f" at {valued_at}" if valued_at else ""
    table = Table(
        "party",
        "cash in",
        "cash out",
        "capex",
        "depr.",
        "RPO lost",
        "NPV",
        "IRR*",
        title=f"{scenario}: totals over the horizon, $B (P50; life {life:g} years; "
        f"NPV{at}, {discount_rate:.0%}/yr)",
    )
    quiet = [name for name, s in result.items() if not _has_money(s)]
    at_cost = [name for name, s in result.items() if name not in quiet and _held_at_cost(s)]
    receipts = [name for name, s in result.items() if name not in quiet and not s.get("costs_modelled", True)]
    for name, s in result.items():
        if name in quiet:
            continue
        t = s["totals"]
        irr, unique = t["irr_per_year"]["p50"], t["irr_defined_share"]
        mark = "†" if name in at_cost else ""
        table.add_row(
            name,
            *(
                _b3(t[key]["p50"])
                for key in ("cash_in_usd", "cash_out_usd", "capex_usd", "depreciation_usd", "rpo_lapsed_usd")
            ),
            _b3(t["npv_usd"]["p50"]) + ("‡" if name in receipts else ""),
            "n/a"
            if irr is None
            else f"{round(irr * 100)}%{mark}\n" + (f"({_share(unique)})" if unique < 0.995 else "(all)"),
        )
    console.print(table)
    if quiet:
        console.print(f"No money in any draw (not shown): {', '.join(quiet)}.", highlight=False)
    if receipts:
        console.print(
            f"‡ {', '.join(receipts)}: receipts only — paid for chips, compute or leases, their own "
            "operating costs "
            "are not modelled, so their NPV is the present value of what they are paid (less any "
            "deals of theirs the scenario holds), not a profit.",
            highlight=False,
        )
    if at_cost:
        console.print(
            f"† {', '.join(at_cost)}: most of what comes back is the stake or loan still held at the "
            "horizon, valued at cost or par (terminal value), so the IRR is near 0% by that "
            "convention, not a return; NPV counts the same value.",
            highlight=False,
        )
    console.print(
        "RPO lost: remaining performance obligation that lapsed undelivered. "
        "* IRR (P50) only over draws whose net cash goes out first and then only comes in, where it "
        "is unique (share of draws in brackets; all: every draw); n/a: in every draw net cash changes "
        "sign more than once (several rates fit, Descartes' rule of signs) or comes in first — read "
        f"NPV instead. NPV{at}: the cash flows from then to the horizon plus what is still open at its "
        "end (stakes and loans at cost or par, leases' and contracts' remaining payments), discounted "
        "to that date, not the value of a business after the horizon: a company still growing then "
        "reads low. What was paid and received before it is sunk, not counted (net_cash_before_as_of_usd "
        "and cash_out_before_as_of_usd in --json); the IRR is the programme's, over every flow since "
        "the horizon's start, so the two can disagree either way (an IRR above the rate beside a "
        "negative NPV, or below it beside a positive one: the money already sunk weighs in the IRR "
        "only). "
        "NPV before the party's own financing: equity raised, loans drawn and their service left "
        "out; a lender's or investor's own loans and stakes in (with financing: npv_with_financing_usd "
        "in --json; the IRR is on those flows).",
        highlight=False,
    )


def _held_at_cost(statement: dict[str, Any]) -> bool:
    """Whether most of a party's money back (P50) is its positions open at the horizon, valued at
    cost or par (:mod:`gigawatt.finance.terminal`: loans, equity, warrants; not leases' or compute
    contracts' payments after it, which are discounted) rather than cash received."""
    totals = statement["totals"]
    by_kind = (statement.get("terminal_value") or {}).get("by_kind_usd")
    if by_kind is None:  # a summary from before terminal values by kind
        held = (totals.get("terminal_value_usd") or {}).get("p50") or 0.0
    else:
        held = sum(v.get("p50") or 0.0 for k, v in by_kind.items() if k not in ("lease", "compute"))
    return held > 0 and held > totals["cash_in_usd"]["p50"]


def _print_unit_economics(economics: dict[str, Any]) -> None:
    """Unit economics per accelerator (P50, P10–P90)."""
    units = Table(
        "accelerator",
        "capex $B/GW",
        "$/acc-hour",
        "$/MW-month (k)",
        "$/M tokens",
        title="Unit economics (P50, P10–P90)",
    )
    for acc, e in economics.items():

        def band(d: dict[str, float], scale: float = 1.0, fmt: str = ",.2f") -> str:
            return f"{d['p50'] / scale:{fmt}} ({d['p10'] / scale:{fmt}}–{d['p90'] / scale:{fmt}})"

        units.add_row(
            acc,
            band(e["capex_per_gw_facility_usd"]["total"], 1e9, ",.0f"),
            band(e["cost_per_accelerator_hour_usd"]),
            band(e["cost_per_mw_month_usd"], 1e3, ",.0f"),
            band(e["cost_per_million_tokens_usd"]),
        )
    console.print(units)


@app.command()
@user_errors
def flows(
    scenario: ScenarioArg = "stargate",
    draws: DrawsOpt = 2000,
    seed: SeedOpt = 0,
    step: StepOpt = "quarter",
    yes: YesOpt = False,
    date_from: Annotated[
        str | None, typer.Option("--from", help="Only money paid from this date (YYYY-MM-DD).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="Only money paid up to this date.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The money graph: its cycles, each party's circularity (P10/P50/P90), Sankey data.

    --from/--to keep only the finance periods (whole periods) that overlap the window."""
    from gigawatt.errors import GigawattError
    from gigawatt.finance import flows_summary
    from gigawatt.finance.flows import window_periods
    from gigawatt.finance.vendor import unspent, vendor_financing
    from gigawatt.units import format_date, parse_date

    start = None if date_from is None else parse_date(date_from)
    end = None if date_to is None else parse_date(date_to)
    if start is not None and end is not None and end < start:
        raise GigawattError(f"--to ({date_to}) is before --from ({date_from})")
    with steps(_STEPS, not as_json) as done:
        money = _money(scenario, draws, seed, step, done, yes)
    try:
        periods = window_periods(money.edges, start, end)
    except ValueError as exc:
        raise GigawattError(
            f"--from/--to: {exc} (the horizon is {format_date(money.edges[0])} to "
            f"{format_date(money.edges[-1])})"
        ) from None
    window = {"from": format_date(money.edges[periods.start]), "to": format_date(money.edges[periods.stop])}
    summary = flows_summary(money.book, periods)
    returned = vendor_financing(money, periods)
    minor = vendor_financing(money, periods, minor=True)
    held = unspent(money, periods)
    named = {k: p.name for k, p in money.scenario.parties.items()}
    if as_json:
        print_json(
            {
                "scenario": money.scenario.name,
                "draws": draws,
                "seed": seed,
                "window": window,
                **summary,
                "cycle_names": [[named.get(x, x) for x in c] for c in summary["cycles"]],
                "vendor_financing": returned,
                "vendor_financing_minor": minor,
                "unspent": held,
            },
            "flows",
        )
        return
    _print_loops(money.scenario.name, named, window, summary)
    _print_vendor_financing(named, returned, minor, held)


def _print_loops(
    scenario: str, named: dict[str, str], window: dict[str, str], summary: dict[str, Any]
) -> None:
    """The money loops (median payments) and each party's circularity."""
    console.print(
        f"[bold]{scenario}: money loops[/bold] (median payments, {window['from']} to {window['to']})"
    )
    for cycle in summary["cycles"]:
        console.print("  " + " → ".join(named.get(x, x) for x in cycle), highlight=False)
    table = Table(
        "party",
        "P10",
        "P50",
        "P90",
        title="Circularity: share of inflows from the system that is the party's own money returning",
    )
    for name, q in summary["circularity"].items():
        table.add_row(named.get(name, name), *(f"{q[k]:.1%}" for k in ("p10", "p50", "p90")))
    console.print(table)


def _print_vendor_financing(
    named: dict[str, str], returned: list[dict[str, Any]], minor: list[dict[str, Any]], held: dict[str, Any]
) -> None:
    """Vendor financing per pair, the pairs that are investors rather than vendors, unspent investment."""
    from gigawatt.finance.vendor import MIN_SALES_USD

    if returned:
        vf = Table(
            "vendor → customer",
            "sold for it $B",
            "returned $B",
            "ratio P50 (P10–P90)",
            title="Vendor financing: investment returned to the customer / sales for it (P50)",
        )
        for row in returned:
            r = row["ratio"]
            vf.add_row(
                f"{named.get(row['vendor'], row['vendor'])} → {named.get(row['customer'], row['customer'])}",
                _b(row["sales_usd"]),
                _b(row["returned_usd"]),
                "–" if r["p50"] is None else f"{r['p50']:.0%} ({r['p10']:.0%}–{r['p90']:.0%})",
            )
        console.print(vf)
    if minor:
        pairs = "; ".join(
            f"{named.get(r['vendor'], r['vendor'])} → {named.get(r['customer'], r['customer'])} "
            f"(${r['returned_usd'] / 1e9:,.0f}B invested, ${r['sales_usd'] / 1e9:,.1f}B sold for it)"
            for r in minor
        )
        console.print(
            f"Investors rather than vendors (under ${MIN_SALES_USD / 1e9:,.0f}B of sales for the "
            f"customer, P50; no ratio shown): {pairs}.",
            highlight=False,
        )
    for name, h in held.items():
        console.print(
            f"{named.get(name, name)}: ${h['unspent_usd'] / 1e9:,.0f}B of the "
            f"${h['invested_in_usd'] / 1e9:,.0f}B invested in it is unspent in the scenario (P50; "
            f"it pays out ${h['paid_out_usd'] / 1e9:,.0f}B)",
            highlight=False,
        )


@app.command()
@user_errors
def stress(
    scenario: ScenarioArg,
    shock: Annotated[
        list[str], typer.Option("--shock", help='A shock, e.g. "demand growth -30%" (repeatable).')
    ],
    draws: DrawsOpt = 2000,
    seed: SeedOpt = 0,
    step: StepOpt = "quarter",
    yes: YesOpt = False,
    store_dir: Annotated[
        str | None,
        typer.Option("--store", envvar="GIGAWATT_STORE", help="Run store folder (default ./.gigawatt)."),
    ] = None,
    record: Annotated[bool, typer.Option("--record/--no-record", help="Record the run in the store.")] = True,
    as_json: JsonOpt = False,
) -> None:
    """Shock a scenario, re-run buildout and money: shortfalls, exposure, lapsed RPO, breaches.

    Recorded in the run store (kind "stress"; summary = the --json output).

    Shocks: "demand growth ±N%", "PARTY tranches withheld", "turbine lead time ±N weeks|months|years",
    "accelerator supply ±N%", "PARTY cash ±N%".
    """
    from gigawatt.finance import stress as run_stress
    from gigawatt.finance.stress import parse_shock
    from gigawatt.scenario import load_scenario

    for text in shock:
        parse_shock(text)
    started = time.perf_counter()
    with steps(("reading the scenario", f"base and shocked, {draws:,} draws each"), not as_json) as done:
        loaded = load_scenario(scenario)
        _guard(loaded, draws, step, runs=2, yes=yes)  # the base and the shocked money
        done()
        result = run_stress(loaded, shock, draws=draws, seed=seed, step=step)
        done()
    recorded = record_result(
        record,
        store_dir,
        scenario,
        loaded.name,
        kind="stress",
        started=started,
        draws=draws,
        seed=seed,
        summary=result,
        params={"shocks": list(result["shocks"]), "step": step},
    )
    if as_json:
        print_json(result, "stress")
        return
    table = _stress_table(result)
    console.print(table)
    for line in result["explanations"]:
        console.print(line, highlight=False)
    print_recorded(recorded)


def _stress_table(result: dict[str, Any]) -> Table:
    """Base against shocked: funding need, who runs short, RPO, MW paid late, exposure, covenants."""
    from gigawatt.finance.stress import unstated_needs

    table = Table(
        Column("", overflow="fold"),
        Column("base", no_wrap=True),
        Column("shocked", no_wrap=True),
        title=f"{result['scenario']}: {'; '.join(result['shocks'])}",
        caption="short after its funding policy: the need beyond what the policy can raise, over "
        "the horizon, every counterparty paying as scheduled (as `finance` reports it); runs short: "
        "a period whose payments exceed the cash after the policy has raised what it can against "
        "what the party was actually paid, so its own payments are deferred (peak shortfall); "
        "deferred to a payee: the most owed to it and not yet paid; unpaid at end: still unpaid "
        "at the horizon (never paid); beyond its flows: a party stating neither cash nor a policy, "
        "the outside capital its modelled flows need (as `finance` reports it), not a finding "
        "that it runs short",
    )
    base, hit = result["base"], result["shocked"]
    for name, n in hit.get("funding_need", {}).items():
        if not n["policy"]:
            continue
        b = base["funding_need"][name]
        table.add_row(f"{name}: outside capital needed $B (P50)", _b(b["p50"]), _b(n["p50"]))
        table.add_row(
            f"{name}: short after its funding policy $B (P50)",
            _b(b["shortfall_usd"]["p50"]),
            _b(n["shortfall_usd"]["p50"]),
        )
    for name in unstated_needs(base, hit):
        b, n = (run["funding_need"].get(name, {}) for run in (base, hit))
        table.add_row(
            f"{name}: outside capital beyond its flows $B (P50)", _b(b.get("p50")), _b(n.get("p50"))
        )
    table.add_row(
        "P(any party runs short)",
        _share(base["probability_any_short"]),
        _share(hit["probability_any_short"]),
    )
    draws = result["draws"]
    left_out = _add_short_rows(table, base, hit, draws)
    table.add_row(
        "RPO never delivered $B (P50)",
        _b(base["rpo_never_delivered_usd"]["p50"]),
        _b(hit["rpo_never_delivered_usd"]["p50"]),
    )
    for key, what in (("deferred_mw_peak", "peak"), ("deferred_mw_end", "at the end")):
        table.add_row(
            f"MW whose payments were deferred, {what} (P50)",
            f"{base[key]['p50']:,.0f}",
            f"{hit[key]['p50']:,.0f}",
        )
    for payee, e in hit["exposure"].items():
        b = base["exposure"].get(payee, {})
        table.add_row(
            f"to {_payee(payee)}: deferred peak / unpaid at end $B (P90)",
            f"{_b(b.get('deferred_peak_usd', {}).get('p90'))} / {_b(b.get('unpaid_usd', {}).get('p90'))}",
            f"{_b(e['deferred_peak_usd']['p90'])} / {_b(e['unpaid_usd']['p90'])}",
        )
    for loan, c in hit["covenants"].items():
        b = base["covenants"].get(loan, {})
        table.add_row(
            f"{loan} ({c['borrower']}): P(covenant breach)",
            _share(b.get("probability_breach", 0)),
            _share(c["probability_breach"]),
        )
        table.add_row(
            f"{loan}: first breach (P50)",
            _over_enough(
                b.get("probability_breach", 0), str(b.get("first_breach_date", {}).get("p50")), draws
            ),
            _over_enough(c["probability_breach"], str(c["first_breach_date"]["p50"]), draws),
        )
        left_out |= _few(b.get("probability_breach", 0), draws) or _few(c["probability_breach"], draws)
    if left_out:
        table.caption = f"{table.caption}" + (
            f"; –: a P50 over the draws that run short (or breach), not shown where fewer than "
            f"{_FEW_SHORT_SHARE:.0%} of draws (or fewer than {_FEW_SHORT_DRAWS}) do"
        )
    return table


#: Fewest draws that run short, as a share and a count, over which a P50 of when and how far is shown.
_FEW_SHORT_SHARE = 0.01
_FEW_SHORT_DRAWS = 50


def _payee(name: str) -> str:
    """A payee as the stress table names it: the world is everyone outside the scenario's parties
    (power, staff, maintenance, other operating costs, outside lenders and investors)."""
    from gigawatt.finance.ledger import WORLD

    return f"{WORLD} (other costs, outside lenders)" if name == WORLD else name


def _few(p: float, draws: int) -> bool:
    """Whether a share ``p`` of ``draws`` is too few draws for a P50 over them to mean anything."""
    return p > 0 and (p < _FEW_SHORT_SHARE or round(p * draws) < _FEW_SHORT_DRAWS)


def _over_enough(p: float, shown: str, draws: int) -> str:
    """``shown``, a P50 over the share ``p`` of draws, or "–" where that is too few (:func:`_few`)."""
    return "–" if _few(p, draws) else shown


def _add_short_rows(table: Table, base: dict[str, Any], hit: dict[str, Any], draws: int) -> bool:
    """Each constrained party's chance of running short (and first), when, and how far; a P50 over
    the draws that run short only where enough do (:data:`_FEW_SHORT_SHARE`, :data:`_FEW_SHORT_DRAWS`),
    else "–". Whether any was left out."""
    left_out = False

    def conditional(party: dict[str, Any], shown: str) -> str:
        nonlocal left_out
        if _few(party["probability_short"], draws):
            left_out = True
            return "–"
        return shown

    for name in hit["parties"]:
        b, s = base["parties"][name], hit["parties"][name]
        table.add_row(
            f"{name}: P(runs short)",
            _share(b["probability_short"]),
            _share(s["probability_short"]),
        )
        table.add_row(
            f"{name}: P(first short)",
            _share(b["probability_first_short"]),
            _share(s["probability_first_short"]),
        )
        table.add_row(
            f"{name}: first short (P50)",
            *(conditional(x, x["first_short_date"]["p50"] or "never") for x in (b, s)),
        )
        table.add_row(
            f"{name}: peak shortfall $B (P50)",
            *(conditional(x, _b(x["peak_shortfall_usd"]["p50"])) for x in (b, s)),
        )
        if "raised_for_deferrals_usd" in s:
            table.add_row(
                f"{name}: raised to bridge late receipts $B (P50)",
                _b(b["raised_for_deferrals_usd"]["p50"]),
                _b(s["raised_for_deferrals_usd"]["p50"]),
            )
    return left_out


def _print_findings(money: Any, result: dict[str, Any], pledges: dict[str, Any]) -> None:
    """The statements' findings in words: depreciation swing, RPO that lapses, pledges, covenants."""
    for name, s in result.items():
        lines = s["lines"]
        short, long = (lines[f"depreciation_life_{k}y_usd"]["p50"] for k in (3, 6))
        if max(short) > 1e9:
            peak = max(range(len(short)), key=short.__getitem__)
            console.print(
                f"{name}: depreciation in {s['years'][peak]} ${short[peak] / 1e9:,.0f}B at a 3-year "
                f"life vs ${long[peak] / 1e9:,.0f}B at 6 (P50; the swing is "
                f"${(short[peak] - long[peak]) / 1e9:,.0f}B that year)",
                highlight=False,
            )
    for name, s in result.items():
        line = _rpo_sentence(name, s)
        if line:
            console.print(line, highlight=False)
    for name, c in pledges.items():
        spent = c["capex_spent_usd"]
        console.print(
            f"[bold]{name}[/bold]: ${c['pledge_usd'] / 1e9:,.0f}B of capex by {c['by']} on "
            f"{c['scope']} — met in "
            f"{c['probability_met']:.0%} of draws; spent by then ${spent['p50'] / 1e9:,.0f}B P50 "
            f"(${spent['p10'] / 1e9:,.0f}–{spent['p90'] / 1e9:,.0f}B P10–P90)",
            highlight=False,
        )
    for name, s in result.items():
        for loan, c in s["covenants"].items():
            if c["probability_breach"] > 0 and money.scenario.contracts[loan].payee == name:
                console.print(
                    f"{loan}: {name} breaches its covenants in {_share(c['probability_breach'])} of draws, "
                    f"first {c['first_breach_date']['p50']} (P50)",
                    highlight=False,
                )


def _has_money(statement: dict[str, Any]) -> bool:
    """Whether a party pays or receives anything in any draw (P90 of its cash in or out)."""
    t = statement["totals"]
    return any((t[k]["p90"] or 0.0) > 0 or (t[k]["p10"] or 0.0) > 0 for k in ("cash_in_usd", "cash_out_usd"))


def _rpo_sentence(name: str, statement: dict[str, Any]) -> str | None:
    """Where a seller's RPO goes when its contracts end: what lapses undelivered, and when
    (statements' ``rpo_lapsed_usd``; :data:`gigawatt.finance.statements.RPO_CONVENTION`)."""
    lapsed = statement["totals"]["rpo_lapsed_usd"]["p50"] or 0.0
    if lapsed < 1e9:
        return None
    years = statement["years"]
    rpo = statement["lines"]["rpo_usd"]["p50"]
    by_year = statement["lines"]["rpo_lapsed_usd"]["p50"]
    peak, most = max(range(len(rpo)), key=rpo.__getitem__), max(range(len(by_year)), key=by_year.__getitem__)
    when = f", most in {years[most]} (${by_year[most] / 1e9:,.1f}B)," if by_year[most] >= 0.5e9 else ""
    return (
        f"{name}: RPO of the compute contracts modelled here peaks at ${rpo[peak] / 1e9:,.0f}B at "
        f"end-{years[peak]} (P50) — not {name}'s reported RPO, which also counts backlog the "
        f"scenario does not model; ${lapsed / 1e9:,.1f}B is never delivered and "
        f"lapses (P50){when} when contracts' terms end. RPO counts to each compute "
        "contract's term end (a term from each phase's online date: a term after the last phase's) "
        "and the model does not extend a term when capacity comes late; the "
        "sources do not say whether the rest would be delivered later, renegotiated or cancelled."
    )
