"""``gigawatt crosscheck``: the published figures the model should reproduce, checked."""

from __future__ import annotations

import typer
from rich.table import Table

from gigawatt.commands.common import JsonOpt, ScenarioArg, app, console, print_json, user_errors

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
        table = Table("check", "published (source)", "model P50", "ok", title=f"Cross-checks: {scenario}")
        for row in result.results:
            window = _window(row.low, row.high, row.unit)
            table.add_row(
                row.title,
                f"{_short(row.published, row.unit)} (pass {window})\n[dim]{row.cited}[/dim]",
                _short(row.model, row.unit),
                ("input" if row.calibrated else "[green]pass[/green]") if row.passed else "[red]FAIL[/red]",
            )
        console.print(table)
        failed = sum(not r.passed for r in result.results)
        inputs = sum(r.calibrated for r in result.results)
        console.print(
            f"{len(result.results) - inputs} checks, {failed} failed"
            + (
                f"; {inputs} input{'s' if inputs > 1 else ''} reproduced (the scenario is sized "
                f"from {'them' if inputs > 1 else 'it'}: not a test)"
                if inputs
                else ""
            )
            + (f"; {len(result.skipped)} not applicable:" if result.skipped else ""),
            highlight=False,
        )
        for name, why in result.skipped:
            console.print(f"  {name}\n    [dim]{why}[/dim]", highlight=False)
    if not result.passed:
        raise typer.Exit(1)
