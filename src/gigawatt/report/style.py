"""What every chart of the report shares: colours, layout, $B scaling, whiskers, number text."""

from __future__ import annotations

import math
from typing import Any

import plotly.graph_objects as go

_BLUE, _GREY, _RED, _GREEN = "#1f4e89", "#9aa5b1", "#c0392b", "#1e8449"


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def _b(values: Any) -> list[float | None]:
    """USD → $B, keeping missing values missing."""
    return [None if v is None else v / 1e9 for v in values]


def _whiskers(p10: Any, p50: Any, p90: Any) -> dict[str, Any]:
    """Plotly asymmetric error bars from P10/P50/P90 lists (missing values: no bar)."""
    up = [None if None in (a, b) else b - a for a, b in zip(p50, p90, strict=True)]
    down = [None if None in (a, b) else a - b for a, b in zip(p50, p10, strict=True)]
    return {"type": "data", "symmetric": False, "array": up, "arrayminus": down}


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "never" if math.isinf(value) else f"{value:,.{digits}f}"
    return str(value)
