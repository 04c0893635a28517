"""A backtest record (``gigawatt backtest``, or the dashboard's): each milestone's forecast
P10–P90 and P50 against the date it was observed (or Epoch's projection of it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.style import _BLUE, _GREY, _RED, _layout

__all__ = ["backtest_figure"]


def backtest_figure(summary: Mapping[str, Any]) -> go.Figure | None:
    """One row per milestone (campus, facility MW): the forecast's P10–P90 (bar) and P50, and the
    date observed (red when outside P10–P90); the title gives coverage and the median P50 error."""
    rows = [m for m in summary.get("milestones") or [] if m.get("p50") and m.get("observed")]
    if not rows:
        return None
    labels = [
        f"{m['campus']}, {m['mw']:,.0f} MW" + (" (proj.)" if m["kind"] == "projected" else "") for m in rows
    ]
    xs: list[Any] = []
    ys: list[Any] = []
    for m, label in zip(rows, labels, strict=True):
        xs += [m["p10"], m["p90"], None]
        ys += [label, label, None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"width": 8, "color": "rgba(31,78,137,0.3)"},
            name="forecast P10–P90",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[m["p50"] for m in rows],
            y=labels,
            mode="markers",
            marker={"size": 9, "color": _BLUE},
            name="forecast P50",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[m["observed"] for m in rows],
            y=labels,
            mode="markers",
            marker={"size": 10, "symbol": "x", "color": [_GREY if m["inside"] else _RED for m in rows]},
            name="observed (red: outside P10–P90)",
        )
    )
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", automargin=True)
    coverage, error = summary.get("coverage"), summary.get("median_abs_p50_error_months")
    head = "" if coverage is None else f": {coverage:.0%} inside P10–P90"
    head += "" if error is None else f", median |P50 error| {error:.1f} months"
    return _layout(fig, f"Backtest{head}", height=max(360, 24 * len(rows) + 140))
