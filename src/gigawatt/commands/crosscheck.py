"""``gigawatt crosscheck``: the published figures the model should reproduce, checked."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from gigawatt.commands.common import JsonOpt, ScenarioArg, app, console, print_json, user_errors

if TYPE_CHECKING:
    from gigawatt.crosscheck import CheckResult, Crosscheck

_SCALES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def _short(value: float, unit: str) -> str:
    """``4.0M accelerators``, ``$37.6B``, ``1,745 MW``: compact, unit named."""
    if unit == "USD":
        for scale, suffix in _SCALES[:3]:
            if abs(value) >= scale:
                return f"${value / scale:,.1f}{suffix}"
        return f"${value:,.0f}"
    if unit in ("accelerators", "H100e"):
        for scale, suffix in _SCALES[2:]:
            if abs(value) >= scale:
                return f"{value / scale:,.{2 if suffix == 'M' else 0}f}{suffix}"
        return f"{value:,.0f}"
    if unit == "TWh/yr":
        return f"{value:,.2f} TWh/yr"
    return f"{value:,.0f} {unit}"


def _window(low: float, high: float, unit: str) -> str:
    """``360k–495k``, ``1,514–1,850 MW``, ``1.80M–`` (open above)."""
    if high == float("inf"):
        return f"{_short(low, unit)}–"
    if unit in ("MW", "TWh/yr"):
        number = "{:,.0f}" if unit == "MW" else "{:,.2f}"
        return f"{number.format(low)}–{_short(high, unit)}"
    return f"{_short(low, unit)}–{_short(high, unit)}"


def _deviation(row: CheckResult) -> str:
    """``+20%``, ``-19%``, ``+0%`` (never ``-0%``) outside the sources' figure; ``in range`` inside a
    published range or bound; ``–`` where the published value is zero."""
    share = row.deviation
    if math.isnan(share):
        return "–"
    return "in range" if row.ranged and share == 0 else f"{round(share * 100):+d}%"


def _verdict(row: CheckResult) -> str:
    """``pass`` / ``FAIL``; a row that tests nothing says what it is (``input``, ``identity``)."""
    if not row.passed:
        return "[red]FAIL[/red]"
    return "[green]pass[/green]" if row.role == "test" else row.role


def _summary(result: Crosscheck) -> str:
    """How many rows test the model and how many failed; inputs and identities counted apart."""
    failed = sum(not r.passed for r in result.results)
    inputs = sum(r.role == "input" for r in result.results)
    identities = sum(r.role == "identity" for r in result.results)
    tests = len(result.results) - inputs - identities
    text = f"{tests} checks, {failed} failed"
    if inputs:
        many = inputs > 1
        text += f"; {inputs} input{'s' if many else ''} reproduced (the scenario is sized from "
        text += f"{'them' if many else 'it'}: not a test)"
    if identities:
        text += f"; {identities} identit{'ies' if identities > 1 else 'y'} (arithmetic on the "
        text += "published figure: not a test)"
    text += "; vs pub.: the model's P50 against the published value"
    return text + (f"; {len(result.skipped)} not applicable:" if result.skipped else "")


@app.command()
@user_errors
def crosscheck(scenario: ScenarioArg = "stargate", as_json: JsonOpt = False) -> None:
    """Published figures recomputed by the model; exit 1 if any fails.

    Site GPU counts, GW↔GPUs, capex and energy per GW, NVIDIA's per-GW revenue, a contract
    price."""
    from gigawatt.crosscheck import crosscheck as run_checks
    from gigawatt.scenario import load_scenario

    result = run_checks(load_scenario(scenario), scenario)
    if as_json:
        print_json(result.as_dict(), "crosscheck")
    else:
        table = Table(
            "check", "published (source)", "model P50", "ok\nvs pub.", title=f"Cross-checks: {scenario}"
        )
        for row in result.results:
            window = _window(row.low, row.high, row.unit)
            table.add_row(
                row.title,
                f"{_short(row.published, row.unit)} (pass {window})\n[dim]{row.cited}[/dim]",
                _short(row.model, row.unit),
                _verdict(row) + f"\n{_deviation(row)}",
            )
        console.print(table)
        console.print(_summary(result), highlight=False)
        for name, why in result.skipped:
            console.print(f"  {name}\n    [dim]{why}[/dim]", highlight=False)
    if not result.passed:
        raise typer.Exit(1)
