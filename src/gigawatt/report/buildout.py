"""The buildout's charts: the capacity fan, the phases' Gantt, what holds it back, the site map."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.style import _BLUE, _GREEN, _GREY, _RED, _layout
from gigawatt.results import demand_forecast, target_outcome
from gigawatt.sitemap import site_map as draw_site_map

#: Stage order and labels of the Gantt.
_STAGES = {"start_date": "construction start", "power_date": "power ready", "chips_date": "chips in"}

#: plotly.js fetches map outlines from a CDN; offline we give it empty ones (points on a graticule).
_EMPTY_TOPOJSON = {
    "type": "Topology",
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("land", "ocean", "coastlines", "countries", "lakes", "rivers", "subunits")
    },
    "arcs": [],
}
_EMPTY = json.dumps(_EMPTY_TOPOJSON)
GEO_ASSETS_JS = f"window.PlotlyGeoAssets={{topojson:{{world_110m:{_EMPTY},world_50m:{_EMPTY}}}}};"


def capacity_fan(summary: Mapping[str, Any]) -> go.Figure:
    """Facility GW online at the scenario's sites (P10–P90 band and P50) against its targets;
    with demand, all capacity serving demand's party (its sites plus contracted capacity: what
    demand is read against) and the party's demand, each line named for what it is."""
    cap = summary["capacity_gw"]
    dates = cap["dates"]
    sites = f"{summary.get('scenario') or 'the scenario'}'s sites"
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=dates, y=cap["p90"], line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=cap["p10"],
            fill="tonexty",
            fillcolor="rgba(31,78,137,0.2)",
            line={"width": 0},
            name=f"{sites}, P10–P90",
        )
    )
    fig.add_trace(go.Scatter(x=dates, y=cap["p50"], line={"color": _BLUE, "width": 3}, name=f"{sites}, P50"))
    _target_marks(fig, summary)
    serving = summary.get("serving")
    party = serving.get("party") if isinstance(serving, Mapping) else None
    if isinstance(serving, Mapping) and serving.get("facility_gw"):
        # demand is met by all the capacity serving its party (its own sites and contracted
        # capacity elsewhere), not by these sites alone: that is the line to read it against
        fig.add_trace(
            go.Scatter(
                x=serving["dates"],
                y=serving["facility_gw"]["p50"],
                mode="lines+markers",
                line={"color": _GREEN, "width": 3},
                name=f"all capacity serving {party or 'the party'}: its sites + contracted, P50",
                hovertemplate="%{x}: %{y:,.2f} GW serving it (sites + contracted)<extra></extra>",
            )
        )
    demand = [row for row in demand_forecast(summary) if "surplus_gw" in row]
    if demand:  # demand stated in facility power: its two streams' P50s, at year ends
        fig.add_trace(
            go.Scatter(
                x=[row["date"] for row in demand],
                y=[row.get("training_gw_p50", 0.0) + row.get("inference_gw_p50", 0.0) for row in demand],
                mode="lines+markers",
                line={"color": _RED, "dash": "dash"},
                name=f"{party or 'its'} demand (training P50 + inference P50)",
                customdata=[row["p_capacity_covers_demand"] for row in demand],
                hovertemplate="%{x}: demand %{y:,.2f} GW; P(serving capacity covers it) %{customdata:.0%}"
                "<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="facility GW online", rangemode="tozero")
    title = "Capacity online (facility power), P10 / P50 / P90"
    if demand:
        title = f"Capacity online (facility power) and {party or 'its party'}'s demand"
    fig = _layout(fig, title, height=460)
    fig.update_layout(legend={"orientation": "h", "y": -0.12})
    return fig


def _target_marks(fig: go.Figure, summary: Mapping[str, Any]) -> None:
    """Targets over everything the fan shows (a scoped target counts part of it) as stars."""
    targets = [
        t
        for t in summary.get("targets", [])
        if t.get("basis") == "online" and t.get("scope", "everything") == "everything"
    ]
    if targets:
        fig.add_trace(
            go.Scatter(
                x=[t["by"] for t in targets],
                y=[t["gw"] for t in targets],
                mode="markers+text",
                marker={"symbol": "star", "size": 14, "color": _RED},
                text=[
                    f"{t['name']}: {target_outcome(t) or format(t['probability'], '.0%')}" for t in targets
                ],
                textposition="top left",
                name="targets (online)",
            )
        )


def phase_gantt(summary: Mapping[str, Any]) -> go.Figure:
    """Each phase: P50 construction start → P50 online, stage marks, P10–P90 online whisker."""
    phases = summary.get("phases", {})
    names = list(phases)[::-1]
    bars_x: list[Any] = []
    bars_y: list[Any] = []
    whisk_x: list[Any] = []
    whisk_y: list[Any] = []
    fig = go.Figure()
    for name in names:
        stages = phases[name]
        start, online = stages["start_date"][1], stages["online_date"][1]
        if start and online:
            bars_x += [start, online, None]
            bars_y += [name, name, None]
        low, high = stages["online_date"][0], stages["online_date"][2]
        if low and high:
            whisk_x += [low, high, None]
            whisk_y += [name, name, None]
    fig.add_trace(
        go.Scatter(
            x=bars_x,
            y=bars_y,
            mode="lines",
            line={"width": 10, "color": "rgba(31,78,137,0.55)"},
            name="start → online (P50)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=whisk_x,
            y=whisk_y,
            mode="lines+markers",
            line={"width": 2, "color": _RED},
            marker={"symbol": "line-ns-open", "size": 12, "color": _RED},
            name="online P10–P90",
        )
    )
    for key, label in _STAGES.items():
        xs = [phases[n][key][1] for n in names if phases[n][key][1]]
        ys = [n for n in names if phases[n][key][1]]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker={"size": 7}, name=f"{label} (P50)"))
    online = [n for n in names if phases[n]["online_date"][1]]
    fig.add_trace(
        go.Scatter(
            x=[phases[n]["online_date"][1] for n in online],
            y=online,
            mode="markers",
            marker={"size": 10, "color": _BLUE, "symbol": "diamond"},
            name="online (P50)",
        )
    )
    fig.update_xaxes(type="date")
    return _layout(
        fig, "Phases: stage dates (P50) and online date (P10–P90)", height=max(360, 26 * len(names))
    )


def constraint_bars(summary: Mapping[str, Any]) -> go.Figure:
    """What sets the online dates: share of MW per binding constraint, and of the last phase."""
    constraints = summary.get("constraints", {})
    by_mw = constraints.get("by_mw", {})
    last = constraints.get("last_gw", {})
    # ties by the last phase's share, then name: the same order every run
    causes = sorted(set(by_mw) | set(last), key=lambda c: (-by_mw.get(c, 0.0), -last.get(c, 0.0), c))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=causes,
            x=[by_mw.get(c, 0.0) for c in causes],
            orientation="h",
            name="share of MW it sets the online date of",
            marker_color=_BLUE,
        )
    )
    fig.add_trace(
        go.Bar(
            y=causes,
            x=[last.get(c, 0.0) for c in causes],
            orientation="h",
            name="share of draws it sets the last phase",
            marker_color=_GREY,
        )
    )
    fig.update_xaxes(tickformat=".0%", title_text="share")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "What holds it back", height=max(320, 40 * len(causes) + 120))


def site_map(scenario: Any, summary: Mapping[str, Any] | None = None) -> go.Figure | None:
    """Sites on the offline Natural Earth map (:func:`gigawatt.sitemap.site_map`), with the run's
    forecast online dates in each site's hover when ``summary`` is given."""
    return draw_site_map(scenario, summary)
