"""Capacity by site location: the country each site stands in, not whose compute it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gigawatt.countries import country_name
from gigawatt.report.style import _layout


def country_bars(summary: Mapping[str, Any]) -> go.Figure | None:
    """Facility GW online per country of site location at year ends (P50, P10–P90 bars)."""
    breakdown = summary.get("breakdown") or {}
    countries = sorted(k for k in breakdown if k.startswith("country:"))
    if not countries:
        return None
    fig = go.Figure()
    for name in countries:
        series = breakdown[name]
        p10, p50, p90 = (np.asarray(series[q]) for q in ("p10", "p50", "p90"))
        fig.add_bar(
            x=breakdown["dates"],
            y=p50,
            name=country_name(name.split(":", 1)[1]),
            error_y={"type": "data", "symmetric": False, "array": p90 - p50, "arrayminus": p50 - p10},
        )
    fig.update_layout(barmode="group", yaxis_title="facility GW online (P50; bars P10–P90)")
    return _layout(fig, "Capacity by site location (country where the site stands)")
