"""A sensitivity record (``gigawatt sensitivity``): Sobol' or Morris bars, the tornado, the table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gigawatt.fmt import number, number_beside
from gigawatt.report.style import _fmt
from gigawatt.sensitivity import SensitivityResult, output_units, sensitivity_figure
from gigawatt.units import format_date


def sensitivity_result(summary: Mapping[str, Any]) -> Any:
    """A :class:`~gigawatt.sensitivity.SensitivityResult` back from ``sensitivity --json`` output."""
    rows = summary["parameters"]
    keys = [k for k in rows[0] if k not in ("parameter", "tornado_p10", "tornado_p90")] if rows else []

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    return SensitivityResult(
        method=summary["method"],
        output=summary["output"],
        parameters=[r["parameter"] for r in rows],
        indices={k: np.array([number(r.get(k)) for r in rows]) for k in keys},
        evaluations=int(summary["evaluations"]),
        output_mean=number(summary["output_mean"]),
        output_std=number(summary["output_std"]),
        tornado_base=number(summary["tornado_base"]),
        tornado={r["parameter"]: (number(r["tornado_p10"]), number(r["tornado_p90"])) for r in rows},
        notes=list(summary.get("notes", [])),
        warnings=list(summary.get("warnings", [])),
    )


def sensitivity_chart(summary: Mapping[str, Any]) -> go.Figure | None:
    """Sobol' (or Morris) bars and the tornado; a date output's tornado in days from the all-median date."""
    if not summary.get("parameters"):
        return None
    fig = sensitivity_figure(sensitivity_result(summary))
    effect_unit = output_units(str(summary["output"]))[1]
    if summary.get("method") == "morris" and effect_unit and not str(summary["output"]).startswith("npv:"):
        fig.update_xaxes(title_text=f"mu*, {effect_unit}", row=1, col=1)
    if str(summary["output"]).startswith("gw-online:"):
        for trace in fig.data:
            if trace.xaxis == "x2":
                trace.base = 0
        fig.update_xaxes(
            title_text=f"days from {format_date(summary['tornado_base'])} (all inputs at their medians)",
            row=2,
            col=1,
        )
    elif effect_unit and not str(summary["output"]).startswith("npv:"):
        fig.update_xaxes(title_text=effect_unit, row=2, col=1)
    fig.update_yaxes(automargin=True)
    fig.update_layout(template="plotly_white")
    return fig


def _sensitivity_rows(summary: Mapping[str, Any], top: int = 15) -> tuple[list[str], list[list[str]]]:
    """The table: each parameter's indices and the output at its P10 / P90, the units in the
    headers (a Morris effect of a date in days, of capacity in facility GW, of NPV in $B) and
    three significant digits (2,070 days, not 2,069.725)."""
    sobol = summary.get("method") == "sobol"
    keys = ["S1", "ST"] if sobol else ["mu_star", "sigma"]
    output = str(summary.get("output", ""))
    is_date, is_usd = output.startswith("gw-online:"), output.startswith("npv:")
    effect_unit = output_units(output)[1]
    scale = 1e9 if is_usd and not sobol else 1.0

    params = summary.get("parameters", [])[:top]
    largest = {k: max((abs(r[k]) for r in params if r.get(k) is not None), default=0.0) for k in keys}

    def index(k: str, v: Any) -> str:
        return "—" if v is None else _fmt(v, 3) if sobol else number_beside(v / scale, largest[k] / scale)

    heads = (
        keys
        if sobol or not effect_unit
        else [f"{'mu*' if k == 'mu_star' else k}, {effect_unit}" for k in keys]
    )
    tail = "" if is_date or not effect_unit else f", {effect_unit}"
    rows = [
        [
            r["parameter"],
            *(index(k, r.get(k)) for k in keys),
            _value(output, r["tornado_p10"]),
            _value(output, r["tornado_p90"]),
        ]
        for r in params
    ]
    return ["parameter", *heads, f"output at P10{tail}", f"output at P90{tail}"], rows


def _value(output: str, v: Any) -> str:
    """An output's value as the table shows it: a date, $B, or 4 significant digits."""
    if v is None:
        return "—"
    if output.startswith("gw-online:"):
        return format_date(v)
    if output.startswith("npv:"):
        return number(v / 1e9, 4)
    return number(v, 4)


def sensitivity_base(summary: Mapping[str, Any]) -> str:
    """The output with every input at its median, said as what it is: not the P50 forecast."""
    output = str(summary.get("output", ""))
    base = summary.get("tornado_base")
    if base is None:
        shown = "—"
    elif output.startswith("gw-online:"):
        shown = format_date(base)
    else:
        shown = f"${base / 1e9:,.2f}B" if output.startswith("npv:") else number(base, 4)
    return f"All inputs at their medians (not the P50 forecast): {shown}{output_units(output)[0]}"
