"""Capacity by site location: the country each site stands in, not whose compute it is."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gigawatt.countries import PAST_RANGE, country_name, year_label
from gigawatt.report.style import _layout


def country_bars(summary: Mapping[str, Any]) -> go.Figure | None:
    """Facility GW online per country of site location at year ends (P50, P10–P90 bars); a year
    end before the run's as-of date is marked observed (its range is between sources)."""
    breakdown = summary.get("breakdown") or {}
    countries = sorted(k for k in breakdown if k.startswith("country:"))
    if not countries:
        return None
    fig = go.Figure()
    as_of = summary.get("as_of")
    years = [year_label(date, as_of) for date in breakdown["dates"]]
    for name in countries:
        series = breakdown[name]
        p10, p50, p90 = (np.asarray(series[q]) for q in ("p10", "p50", "p90"))
        fig.add_bar(
            x=years,
            y=p50,
            name=country_name(name.split(":", 1)[1]),
            error_y={"type": "data", "symmetric": False, "array": p90 - p50, "arrayminus": p50 - p10},
        )
    fig.update_layout(barmode="group", yaxis_title="facility GW online (P50; bars P10–P90)")
    past = f"<br><sup>{PAST_RANGE}</sup>" if years != [d[:4] for d in breakdown["dates"]] else ""
    return _layout(fig, "Capacity by site location (country where the site stands)" + past)
