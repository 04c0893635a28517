"""A run as one self-contained HTML file: charts (plotly.js embedded), tables, sources.

:func:`figures` turns a run's summary (and its scenario, for the map and the
sources) into plotly figures; the web dashboard serves the same figures as JSON.
:func:`render_report` puts them in ``templates/report.html``; the page needs no
network (plotly.js is inlined, and the map uses an empty built-in outline set
instead of fetching coastlines). Sections whose results a run does not have
(money, stress) say so instead of drawing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

__all__ = ["figures", "render_report", "write_report", "report_context"]

#: Stage order and labels of the Gantt.
_STAGES = {"start_date": "construction start", "power_date": "power ready", "chips_date": "chips in"}
_BLUE, _GREY, _RED = "#1f4e89", "#9aa5b1", "#c0392b"
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


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def capacity_fan(summary: Mapping[str, Any]) -> go.Figure:
    """Facility GW online, P10–P90 band and P50, against the scenario's targets."""
    cap = summary["capacity_gw"]
    dates = cap["dates"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=dates, y=cap["p90"], line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=cap["p10"],
            fill="tonexty",
            fillcolor="rgba(31,78,137,0.2)",
            line={"width": 0},
            name="P10–P90",
        )
    )
    fig.add_trace(go.Scatter(x=dates, y=cap["p50"], line={"color": _BLUE, "width": 3}, name="P50"))
    targets = [t for t in summary.get("targets", []) if t.get("basis") == "online"]
    if targets:
        fig.add_trace(
            go.Scatter(
                x=[t["by"] for t in targets],
                y=[t["gw"] for t in targets],
                mode="markers+text",
                marker={"symbol": "star", "size": 14, "color": _RED},
                text=[f"{t['name']}: P={t['probability']:.0%}" for t in targets],
                textposition="top left",
                name="targets (online)",
            )
        )
    fig.update_yaxes(title_text="facility GW online", rangemode="tozero")
    return _layout(fig, "Capacity online (facility power), P10 / P50 / P90")


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
    causes = sorted(set(by_mw) | set(last), key=lambda c: -by_mw.get(c, 0.0))
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


def site_map(scenario: Any) -> go.Figure | None:
    """Sites on a graticule map, sized by planned power (offline: no coastlines)."""
    if scenario is None:
        return None
    rows = []
    for site_id, site in scenario.sites.items():
        if site.location is None:
            continue
        power_mw = sum(phase.power_mw.mid for phase in site.phases)
        rows.append((site_id, site, power_mw))
    if not rows:
        return None
    fig = go.Figure(
        go.Scattergeo(
            lon=[s.location.lon for _, s, _ in rows],
            lat=[s.location.lat for _, s, _ in rows],
            text=[f"{site_id}" for site_id, _, _ in rows],
            hovertext=[
                f"{s.name} ({s.country}, {s.region}): {mw:,.0f} MW {s.power_basis} power planned"
                for _, s, mw in rows
            ],
            hoverinfo="text",
            mode="markers+text",
            textposition="top center",
            marker={
                "size": [max(6.0, math.sqrt(mw) / 1.5) for _, _, mw in rows],
                "color": _BLUE,
                "opacity": 0.7,
                "line": {"width": 1, "color": "white"},
            },
            name="sites",
        )
    )
    fig.update_geos(
        projection_type="natural earth",
        showland=False,
        showcountries=False,
        showcoastlines=False,
        showocean=False,
        showlakes=False,
        showframe=True,
        lataxis={"showgrid": True, "dtick": 15},
        lonaxis={"showgrid": True, "dtick": 15},
    )
    return _layout(fig, "Sites (marker area ∝ planned power; grid lines every 15°)", height=460)


def money_sankey(money: Mapping[str, Any]) -> go.Figure | None:
    """Money flows between parties, if the run has them as ``flows: [{payer, payee, amount_usd}]``."""
    flows = money.get("flows") if isinstance(money, Mapping) else None
    if not isinstance(flows, list) or not flows:
        return None
    flows = [f for f in flows if isinstance(f, Mapping) and {"payer", "payee", "amount_usd"} <= set(f)]
    if not flows:
        return None
    parties = sorted({f["payer"] for f in flows} | {f["payee"] for f in flows})
    index = {p: i for i, p in enumerate(parties)}
    fig = go.Figure(
        go.Sankey(
            node={"label": parties, "pad": 12},
            link={
                "source": [index[f["payer"]] for f in flows],
                "target": [index[f["payee"]] for f in flows],
                "value": [float(f["amount_usd"]) / 1e9 for f in flows],
                "label": [f.get("kind", "") for f in flows],
            },
        )
    )
    return _layout(fig, "Money flows between parties ($B)", height=480)


def figures(summary: Mapping[str, Any], scenario: Any = None) -> dict[str, go.Figure]:
    """Every chart a run's results support, by section id."""
    out: dict[str, go.Figure] = {}
    if summary.get("capacity_gw"):
        out["capacity"] = capacity_fan(summary)
    if summary.get("phases"):
        out["phases"] = phase_gantt(summary)
    if summary.get("constraints"):
        out["constraints"] = constraint_bars(summary)
    geo = site_map(scenario)
    if geo is not None:
        out["map"] = geo
    countries = country_bars(summary)
    if countries is not None:
        out["countries"] = countries
    money = summary.get("money") or summary.get("finance")
    sankey = money_sankey(money) if isinstance(money, Mapping) else None
    if sankey is not None:
        out["money"] = sankey
    return out


# ---------------------------------------------------------------- tables


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "never" if math.isinf(value) else f"{value:,.{digits}f}"
    return str(value)


def _year_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    covered = {row["date"]: row["p_capacity_covers_demand"] for row in summary.get("demand", [])}
    rows = []
    for row in summary.get("year_ends", []):
        gw, ef = row["facility_gw"], row["bf16_eflops"]
        covers = covered.get(row["date"])
        rows.append(
            [
                row["date"],
                " / ".join(_fmt(gw[q]) for q in ("p10", "p50", "p90")),
                " / ".join(_fmt(ef[q], 0) for q in ("p10", "p50", "p90")),
                _fmt(row["energy_twh_per_year"]["p50"], 1),
                _fmt(row["h100_equivalents_million"]["p50"], 2),
                "—" if covers is None else f"{covers:.0%}",
            ]
        )
    return rows


def country_bars(summary: Mapping[str, Any]) -> go.Figure | None:
    """Compute sovereignty: facility GW online per country at year ends (P50, P10–P90 bars)."""
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
            name=name.split(":", 1)[1],
            error_y={"type": "data", "symmetric": False, "array": p90 - p50, "arrayminus": p50 - p10},
        )
    fig.update_layout(barmode="group", yaxis_title="facility GW online (P50; bars P10–P90)")
    return _layout(fig, "Capacity by country")


def _key_values(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested result as (path, value) rows, for sections drawn as plain tables."""
    from gigawatt.store import flatten

    return [(k, _fmt(v)) for k, v in flatten(data, prefix).items()][:400]


def _assumptions(scenario: Any) -> dict[str, Any]:
    if scenario is None:
        return {"sites": [], "targets": [], "sources": []}
    from gigawatt.catalog import load_catalog

    catalog = load_catalog()
    known = {**catalog.sources, **scenario.sources}
    used: set[str] = set()
    sites = []
    for site_id, site in scenario.sites.items():
        ids = set(site.source) | {s for p in site.phases for s in p.source}
        used |= ids
        sites.append(
            {
                "id": site_id,
                "name": site.name,
                "where": f"{site.country} / {site.region}",
                "phases": len(site.phases),
                "power": f"{sum(p.power_mw.mid for p in site.phases):,.0f} MW {site.power_basis}",
                "accelerator": site.accelerator,
                "sources": sorted(ids),
            }
        )
    targets = []
    for name, target in scenario.targets.items():
        used |= set(target.source)
        from gigawatt.units import format_date

        targets.append(
            {
                "name": name,
                "what": f"{target.power_mw / 1e3:g} GW facility, {target.basis}, "
                f"by {format_date(target.by_date)}",
                "note": target.note,
                "sources": sorted(target.source),
            }
        )
    for section in (scenario.supply, scenario.contracts):
        for item in section.values():
            used |= set(item.source)
    sources = [
        {"id": key, "publication": known[key].publication, "date": known[key].date, "url": known[key].url}
        for key in sorted(used | set(scenario.sources))
        if key in known
    ]
    return {"sites": sites, "targets": targets, "sources": sources}


# ---------------------------------------------------------------- the page


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gigawatt", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def report_context(record: Any, scenario: Any = None) -> dict[str, Any]:
    """Everything the report template shows, from a stored run (and its scenario)."""
    summary = record.summary or {}
    charts = {
        key: pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"fig-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        for key, fig in figures(summary, scenario).items()
    }
    money = summary.get("money") or summary.get("finance")
    stress = summary.get("stress")
    return {
        "record": record,
        "summary": summary,
        "charts": charts,
        "targets": summary.get("targets", []),
        "years": _year_rows(summary),
        "money_rows": _key_values(money) if money else [],
        "stress_rows": _key_values(stress) if stress else [],
        "assumptions": _assumptions(scenario),
        "scenario_text": record.scenario_text,
    }


def render_report(record: Any, scenario: Any = None) -> str:
    """The report of a stored run as one HTML string (plotly.js inlined; opens offline)."""
    context = report_context(record, scenario)
    context["plotly_js"] = get_plotlyjs()
    context["geo_assets_js"] = GEO_ASSETS_JS
    return _environment().get_template("report.html").render(**context)


def write_report(record: Any, path: str | Path, scenario: Any = None) -> Path:
    """Write a run's report to ``path`` (scenario loaded from the run if not given)."""
    if scenario is None:
        scenario = scenario_or_none(record)
    out = Path(path)
    out.write_text(render_report(record, scenario), encoding="utf-8")
    return out


def scenario_or_none(record: Any) -> Any:
    """The scenario of a stored run, or ``None`` if it can no longer be loaded."""
    from gigawatt.errors import GigawattError
    from gigawatt.store import scenario_of

    try:
        return scenario_of(record)
    except GigawattError:
        return None
