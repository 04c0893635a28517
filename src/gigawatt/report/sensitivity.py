"""A sensitivity record (``gigawatt sensitivity``): Sobol' or Morris bars, the tornado, the table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gigawatt.report.style import _fmt
from gigawatt.sensitivity import SensitivityResult, sensitivity_figure
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
    )


def sensitivity_chart(summary: Mapping[str, Any]) -> go.Figure | None:
    """Sobol' (or Morris) bars and the tornado; a date output's tornado in days from the all-median date."""
    if not summary.get("parameters"):
        return None
    fig = sensitivity_figure(sensitivity_result(summary))
    if str(summary["output"]).startswith("gw-online:"):
        for trace in fig.data:
            if trace.xaxis == "x2":
                trace.base = 0
        fig.update_xaxes(title_text=f"days from {format_date(summary['tornado_base'])}", row=2, col=1)
    fig.update_yaxes(automargin=True)
    fig.update_layout(template="plotly_white")
    return fig


def _sensitivity_rows(summary: Mapping[str, Any], top: int = 15) -> tuple[list[str], list[list[str]]]:
    keys = ["S1", "ST"] if summary.get("method") == "sobol" else ["mu_star", "sigma"]
    is_date = str(summary.get("output", "")).startswith("gw-online:")

    def value(v: Any) -> str:
        if v is None:
            return "—"
        if is_date:
            return format_date(v)
        return f"{v:,.4g}"

    rows = [
        [r["parameter"], *(_fmt(r.get(k), 3) for k in keys), value(r["tornado_p10"]), value(r["tornado_p90"])]
        for r in summary.get("parameters", [])[:top]
    ]
    return ["parameter", *keys, "output at P10", "output at P90"], rows
