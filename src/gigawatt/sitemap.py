"""The site map: sites on a Natural Earth basemap, labels that never overlap, each site's timeline.

Offline: land, coastlines and borders are ``scattergeo`` traces from the bundled Natural Earth
1:110m countries (:mod:`gigawatt.basemap`), so the figure carries its own map and needs no
tiles and no CDN, in the HTML report, the dashboard and a notebook alike. Drag to pan,
scroll or pinch to zoom (plotly's geo subplot).

Labels sit beside their markers, clear of each other on a phone and on a wide screen
(:mod:`gigawatt.maplabels`); nearby sites share a label ("3 sites (TX)") and the "map" menu
zooms to each such group, where every site gets its own.

Each site's hover lists its phases (MW, status, the scenario's online date or range,
Epoch's projection where recorded, the run's P10–P50–P90 online date when the map is drawn
from a run) and the observed MW. The "timeline" menu draws one site's capacity over time
below the map, as Epoch AI's data explorer does: planned, forecast and observed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from gigawatt.basemap import outlines
from gigawatt.countries import country_name
from gigawatt.maplabels import FONT_PX, Marker, View, views
from gigawatt.units import format_date, parse_date

__all__ = ["MAP_CLICK_JS", "MapSite", "map_sites", "site_map"]

#: Status colours: online, under construction, committed or announced.
_STATUS_COLOURS = {"online": "#1e7b45", "under construction": "#1f4e89", "planned": "#b9770e"}
_LAND, _SEA, _BORDER, _COAST = "#e9ebe4", "#dce8f3", "#ffffff", "#9aa5b1"
_MAP_HEIGHT_PX, _TIMELINE_HEIGHT_PX = 470, 270
#: Hover text indent under a phase (em spaces: plotly keeps them).
_INDENT = "\u2003\u2003"
#: Milliseconds in a day: plotly's date axes measure error bars in ms.
_MS = 86_400_000.0


@dataclass(frozen=True)
class MapSite(Marker):
    """One site as the map draws it: its marker, hover text and timeline."""

    name: str
    #: "facility" or "IT": the power the site's MW count
    basis: str
    status: str
    hover: str
    #: (label, online days, cumulative MW, low days, high days) per phase, for the timeline
    planned: list[tuple[str, float, float, float, float]] = field(default_factory=list)
    #: (online P50 day, cumulative MW, P10 day, P90 day) per phase, from a run
    forecast: list[tuple[float, float, float, float]] = field(default_factory=list)
    #: (projected online day, cumulative MW) per phase Epoch projects
    projected: list[tuple[float, float]] = field(default_factory=list)
    #: (date day, MW) observed
    observed: list[tuple[float, float]] = field(default_factory=list)


def _short(name: str) -> str:
    """A site's name up to its first parenthesis, dash or comma: "Stargate Abilene (Lancium…)"
    → "Stargate Abilene", "Stargate Michigan, Saline Township" → "Stargate Michigan"."""
    for stop in (" (", " - ", " – ", ", "):
        name = name.split(stop)[0]
    return name.strip()


def _labels(names: Sequence[str]) -> list[str]:
    """Short names, less a first word every site shares (a programme: "Stargate")."""
    short = [_short(n) for n in names]
    first = {s.split(" ", 1)[0] for s in short}
    if len(short) > 1 and len(first) == 1 and all(" " in s for s in short):
        short = [s.split(" ", 1)[1] for s in short]
    return short


def _status(site: Any) -> str:
    statuses = {phase.status for phase in site.phases}
    if "online" in statuses:
        return "online"
    return "under construction" if "under_construction" in statuses else "planned"


def _day(value: Any) -> str:
    return format_date(float(value))


def _when(dist: Any) -> str:
    if dist is None:
        return "no date given"
    if dist.is_fixed:
        return _day(dist.mid)
    return f"{_day(dist.mid)} ({_day(dist.low)} – {_day(dist.high)})"


def _site(site_id: str, site: Any, label: str, scenario: Any, phases: Mapping[str, Any]) -> MapSite:
    """A site's marker, hover text and timeline series from the scenario (and a run's phases)."""
    basis = "IT" if site.power_basis == "it" else "facility"
    total = sum(phase.power_mw.mid for phase in site.phases)
    lines = [
        f"<b>{site.name}</b>",
        f"{country_name(site.country)} · {site.region} · {total:,.0f} MW {basis} planned",
    ]
    who = [
        f"{role} {getattr(site, role)}" for role in ("operator", "developer", "tenant") if getattr(site, role)
    ]
    if who:
        lines.append(" · ".join(who))
    planned, forecast, projected = [], [], []
    cumulative = 0.0
    for phase in site.phases:
        cumulative += phase.power_mw.mid
        lines.append(f"• {phase.name}: {phase.power_mw.mid:,.0f} MW, {phase.status.replace('_', ' ')}")
        detail = []
        if phase.online_date is not None:
            online = phase.online_date
            since = "online since" if phase.status == "online" else "planned online"
            detail.append(f"{since} {_when(online)}")
            planned.append((phase.name, online.mid, cumulative, online.low, online.high))
        if phase.projected_online_date is not None:
            detail.append(f"Epoch projects {_day(phase.projected_online_date.mid)}")
            projected.append((phase.projected_online_date.mid, cumulative))
        dates = (phases.get(f"{site_id}/{phase.name}") or {}).get("online_date") or [None] * 3
        if all(dates):
            detail.append(f"forecast {dates[1]} (P10 {dates[0]}, P90 {dates[2]})")
            if dates[1] != "never":  # a P10 or P90 never reached: the bar runs to the horizon
                end = scenario.time.end_date.mid
                p10, p50, p90 = (end if d == "never" else parse_date(d) for d in dates)
                forecast.append((p50, cumulative, p10, p90))
        if detail:
            lines.append(_INDENT + " · ".join(detail))
    observed = sorted(
        (o.on_date, o.power_mw, o.basis) for o in scenario.observations.sites if o.site == site_id
    )
    for day, mw, obs_basis in observed:
        lines.append(f"◆ observed {mw:,.0f} MW {'IT' if obs_basis == 'it' else 'facility'} by {_day(day)}")
    return MapSite(
        id=site_id,
        label=label,
        country=site.country,
        region=site.region,
        lon=site.location.lon,
        lat=site.location.lat,
        power_mw=total,
        name=site.name,
        basis=basis,
        status=_status(site),
        hover="<br>".join(lines),
        planned=planned,
        forecast=forecast,
        projected=projected,
        observed=[(day, mw) for day, mw, _ in observed],
    )


def map_sites(scenario: Any, summary: Mapping[str, Any] | None = None) -> list[MapSite]:
    """The scenario's sites that have a location, with their hover text and timelines."""
    located = [(sid, s) for sid, s in scenario.sites.items() if s.location is not None]
    labels = _labels([s.name for _, s in located])
    phases = (summary or {}).get("phases") or {}
    return [_site(sid, s, label, scenario, phases) for (sid, s), label in zip(located, labels, strict=True)]


# ---------------------------------------------------------------- the figure


def _basemap_traces() -> list[go.Scattergeo]:
    o = outlines()
    skip = {"hoverinfo": "skip", "showlegend": False}
    return [
        go.Scattergeo(
            lon=o.land_lon,
            lat=o.land_lat,
            mode="lines",
            fill="toself",
            fillcolor=_LAND,
            line={"color": _COAST, "width": 0.7},
            name="land (Natural Earth)",
            **skip,
        ),
        go.Scattergeo(
            lon=o.water_lon,
            lat=o.water_lat,
            mode="lines",
            fill="toself",
            fillcolor=_SEA,
            line={"color": _COAST, "width": 0.7},
            name="inland water (Natural Earth)",
            **skip,
        ),
        go.Scattergeo(
            lon=o.border_lon,
            lat=o.border_lat,
            mode="lines",
            line={"color": _BORDER, "width": 0.8},
            name="borders (Natural Earth)",
            **skip,
        ),
    ]


def _timeline_traces(site: MapSite, visible: bool) -> list[go.Scatter]:
    """One site's cumulative MW over time: planned (scenario), forecast (run), Epoch, observed."""

    def step(points: Sequence[tuple[float, ...]]) -> tuple[list[str], list[float]]:
        return [_day(p[0]) for p in points], [p[1] for p in points]

    common = {"xaxis": "x", "yaxis": "y", "visible": visible, "legendgroup": "timeline"}
    traces = []
    xs, ys = step([(p[1], p[2]) for p in site.planned])
    traces.append(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            line={"shape": "hv", "color": "#9aa5b1", "dash": "dot"},
            marker={"size": 7, "color": "#9aa5b1"},
            name="planned online (scenario)",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(p[4] - p[1]) * _MS for p in site.planned],
                "arrayminus": [(p[1] - p[3]) * _MS for p in site.planned],
                "color": "#9aa5b1",
            },
            text=[p[0] for p in site.planned],
            hovertemplate="%{text}: %{y:,.0f} MW by %{x}<extra>planned</extra>",
            **common,
        )
    )
    xs, ys = step(site.forecast)
    traces.append(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines+markers",
            line={"shape": "hv", "color": "#1f4e89"},
            marker={"size": 7, "color": "#1f4e89"},
            name="forecast online P50 (P10–P90)",
            error_x={
                "type": "data",
                "symmetric": False,
                "array": [(p[3] - p[0]) * _MS for p in site.forecast],
                "arrayminus": [(p[0] - p[2]) * _MS for p in site.forecast],
                "color": "#1f4e89",
            },
            hovertemplate="%{y:,.0f} MW by %{x}<extra>forecast P50</extra>",
            **common,
        )
    )
    xs, ys = step(site.projected)
    traces.append(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"size": 9, "symbol": "circle-open", "color": "#b9770e"},
            name="Epoch's projection",
            hovertemplate="%{y:,.0f} MW by %{x}<extra>Epoch</extra>",
            **common,
        )
    )
    xs, ys = step(site.observed)
    traces.append(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers",
            marker={"size": 10, "symbol": "diamond", "color": "#1b2430"},
            name="observed",
            hovertemplate="%{y:,.0f} MW by %{x}<extra>observed</extra>",
            **common,
        )
    )
    return traces


def _marker_traces(sites: Sequence[MapSite], view: View) -> list[go.Scattergeo]:
    """One trace of markers per status (for the legend), labelled as ``view`` says."""
    traces = []
    for status, shown in _by_status(sites).items():
        text, position = _label_arrays(shown, view)
        traces.append(
            go.Scattergeo(
                lon=[s.lon for s in shown],
                lat=[s.lat for s in shown],
                text=text,
                textposition=position,
                textfont={"size": FONT_PX, "color": "#1b2430", "shadow": "auto"},
                customdata=[s.id for s in shown],
                hovertext=[s.hover for s in shown],
                hoverinfo="text",
                mode="markers+text",
                marker={
                    "size": [s.marker_px for s in shown],
                    "color": _STATUS_COLOURS[status],
                    "opacity": 0.85,
                    "line": {"width": 1, "color": "white"},
                },
                name=f"sites: {status}",
            )
        )
    return traces


def _by_status(sites: Sequence[MapSite]) -> dict[str, list[MapSite]]:
    """Sites by status, in the legend's order; statuses no site has are left out."""
    found = {status: [s for s in sites if s.status == status] for status in _STATUS_COLOURS}
    return {status: shown for status, shown in found.items() if shown}


def _label_arrays(shown: Sequence[MapSite], view: View) -> tuple[list[str], list[str]]:
    labels = [view.labels.get(s.id, ("", "middle right")) for s in shown]
    return [text for text, _ in labels], [position for _, position in labels]


def _geo_layout(view: View) -> dict[str, Any]:
    """The relayout that shows ``view`` (after any pan or zoom of the user's)."""
    lon_mid, lat_mid = sum(view.lon_range) / 2, sum(view.lat_range) / 2
    return {
        "geo.lonaxis.range": list(view.lon_range),
        "geo.lataxis.range": list(view.lat_range),
        "geo.center": {"lon": lon_mid, "lat": lat_mid},
        "geo.projection.rotation.lon": lon_mid,
        "geo.projection.scale": 1,
    }


def _view_buttons(
    all_views: Sequence[View], by_status: Sequence[Sequence[MapSite]], marker_ids: list[int]
) -> list[dict[str, Any]]:
    """The "map" menu: one button a view, setting the markers' labels (trace by status) and
    the map's extent."""
    buttons = []
    for view in all_views:
        arrays = [_label_arrays(shown, view) for shown in by_status]
        restyle = {"text": [a[0] for a in arrays], "textposition": [a[1] for a in arrays]}
        buttons.append(
            {
                "label": f"map: {view.name}",
                "method": "update",
                "args": [restyle, _geo_layout(view), marker_ids],
            }
        )
    return buttons


def _site_buttons(sites: Sequence[MapSite], timeline_ids: list[int]) -> list[dict[str, Any]]:
    """The "timeline" menu: one button a site, showing its four timeline traces only (named
    ``timeline:ID`` so that :data:`MAP_CLICK_JS` finds it from a marker)."""
    return [
        {
            "label": f"timeline: {site.label}",
            "name": f"timeline:{site.id}",
            "method": "update",
            "args": [
                {"visible": [j // 4 == i for j in range(len(timeline_ids))]},
                {"yaxis.title.text": f"{site.label}, MW {site.basis}"},
                timeline_ids,
            ],
        }
        for i, site in enumerate(sites)
    ]


def _layout(
    sites: Sequence[MapSite],
    first: int,
    view_buttons: list[dict[str, Any]],
    site_buttons: list[dict[str, Any]],
) -> dict[str, Any]:
    """The figure's layout: the map above (its frame and sea; land and borders are traces),
    the timeline of site ``first`` below, and the two menus."""
    map_share = _MAP_HEIGHT_PX / (_MAP_HEIGHT_PX + _TIMELINE_HEIGHT_PX)
    return {
        "title": {"text": "Sites: marker area ∝ planned MW", "x": 0.01},
        "template": "plotly_white",
        "height": _MAP_HEIGHT_PX + _TIMELINE_HEIGHT_PX,
        "margin": {"l": 56, "r": 12, "t": 86, "b": 40},
        "legend": {"orientation": "h", "y": -0.1},
        "geo": {
            "domain": {"x": [0, 1], "y": [1 - map_share + 0.02, 1]},
            "projection": {"type": "natural earth"},
            "showland": False,
            "showcountries": False,
            "showcoastlines": False,
            "showocean": False,
            "showlakes": False,
            "showframe": True,
            "framecolor": _COAST,
            "bgcolor": _SEA,
        },
        "xaxis": {"domain": [0, 1], "anchor": "y", "type": "date"},
        "yaxis": {
            "domain": [0, 1 - map_share - 0.1],
            "anchor": "x",
            "rangemode": "tozero",
            "title": {"text": f"{sites[first].label}, MW {sites[first].basis}"},
        },
        "updatemenus": [
            {
                "buttons": view_buttons,
                "x": 0.0,
                "xanchor": "left",
                "y": 1.0,
                "yanchor": "bottom",
                "active": 0,
            },
            {
                "buttons": site_buttons,
                "x": 0.0,
                "xanchor": "left",
                "y": 1 - map_share + 0.01,
                "yanchor": "top",
                "active": first,
            },
        ],
    }


#: A JavaScript function of a plotted map's div: clicking a site's marker shows that site's
#: timeline below the map (the "timeline" menu's button named ``timeline:ID``, applied and made
#: the menu's active one), as Epoch AI's data explorer opens a campus. The report and the
#: dashboard attach it to their map.
MAP_CLICK_JS = """function (gd) {
  gd.on("plotly_click", function (event) {
    var point = event && event.points && event.points[0];
    if (!point || point.customdata === undefined) return;
    var menus = gd.layout.updatemenus || [];
    for (var m = 0; m < menus.length; m++) {
      var buttons = menus[m].buttons || [];
      for (var i = 0; i < buttons.length; i++) {
        if (buttons[i].name !== "timeline:" + point.customdata) continue;
        var args = buttons[i].args;
        Plotly.update(gd, args[0], args[1], args[2]);
        var active = {};
        active["updatemenus[" + m + "].active"] = i;
        Plotly.relayout(gd, active);
        return;
      }
    }
  });
}"""


def site_map(scenario: Any, summary: Mapping[str, Any] | None = None) -> go.Figure | None:
    """Sites on a Natural Earth map, sized by planned power and coloured by status, with
    labels that do not overlap, a menu of zoomed views and each site's timeline below
    (``summary``: a run's results, for the forecast online dates). None without located sites."""
    if scenario is None:
        return None
    sites = map_sites(scenario, summary)
    if not sites:
        return None
    all_views = views(sites)
    fig = go.Figure(_basemap_traces())
    by_status = list(_by_status(sites).values())
    marker_ids = list(range(len(fig.data), len(fig.data) + len(by_status)))
    fig.add_traces(_marker_traces(sites, all_views[0]))
    first = max(range(len(sites)), key=lambda i: (bool(sites[i].observed), sites[i].power_mw))
    timeline_ids = list(range(len(fig.data), len(fig.data) + 4 * len(sites)))
    for i, site in enumerate(sites):
        fig.add_traces(_timeline_traces(site, visible=i == first))
    fig.update_layout(
        **_layout(
            sites,
            first,
            _view_buttons(all_views, by_status, marker_ids),
            _site_buttons(sites, timeline_ids),
        )
    )
    fig.update_layout(_geo_layout(all_views[0]))
    if scenario.time.as_of_date is not None:
        fig.add_vline(
            x=_day(scenario.time.as_of_day),
            line={"color": "#5b6673", "dash": "dash", "width": 1},
            annotation_text="as of",
        )
    return fig
