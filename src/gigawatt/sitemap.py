"""The site map: sites on a Natural Earth basemap, labels that never overlap, each site's timeline.

Offline: land, coastlines and borders are ``scattergeo`` traces from the bundled Natural Earth
1:110m countries (:mod:`gigawatt.basemap`), so the figure carries its own map and needs no
tiles and no CDN, in the HTML report, the dashboard and a notebook alike. Drag to pan,
scroll or pinch to zoom (plotly's geo subplot).

Labels: sites whose markers would touch on a phone-sized map (the smallest screen the
dashboard supports, :data:`PHONE_MAP_PX`) share one label. Each label goes to the nearest
free spot around its sites (a greedy search over rings of candidate spots, largest sites
first, clear of every other label and marker; Christensen, Marks and Shieber 1995, "An
empirical study of algorithms for point-feature label placement", ACM Transactions on
Graphics 14(3)) and is drawn at a geographic position with a leader line. A wider screen or
a zoom only spreads labels further apart, so what does not overlap on a phone overlaps
nowhere. The "view" menu zooms to each group of sites, where every site gets its own label.

Each site's hover lists its phases (MW, status, the scenario's online date or range,
Epoch's projection where recorded, the run's P10–P50–P90 online date when the map is drawn
from a run) and the observed MW. The "timeline" menu draws one site's capacity over time
below the map, as Epoch AI's data explorer does: planned, forecast and observed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go

from gigawatt.basemap import outlines, project
from gigawatt.countries import country_name
from gigawatt.units import format_date, parse_date

__all__ = ["PHONE_MAP_PX", "MapSite", "site_map", "map_sites"]

#: Width and height (px) of the smallest map the labels are laid out for: the dashboard at
#: 390 px less its padding and the figure's margins.
PHONE_MAP_PX = (280.0, 260.0)
#: Label font size (px) and the width of one character in it, generous for a sans-serif.
_FONT_PX, _CHAR_PX, _LINE_PX = 11.0, 6.6, 15.0
#: Status colours: online, under construction, committed or announced.
_STATUS_COLOURS = {"online": "#1e7b45", "under construction": "#1f4e89", "planned": "#b9770e"}
_LAND, _SEA, _BORDER, _COAST = "#e9ebe4", "#dce8f3", "#ffffff", "#9aa5b1"
_MAP_HEIGHT_PX, _TIMELINE_HEIGHT_PX = 470, 270
#: Least room (px) between two labels, or a label and a marker; markers closer share a label.
_GAP_PX = 3.0
#: Sites closer than this (degrees) share a label at any zoom: one campus, or two next door.
_SAME_SPOT_DEG = 0.3
#: Most views in the menu: all sites and the groups zoomed in.
_MAX_VIEWS = 12
#: Hover text indent under a phase (em spaces: plotly keeps them).
_INDENT = "\u2003\u2003"
#: Milliseconds in a day: plotly's date axes measure error bars in ms.
_MS = 86_400_000.0


@dataclass(frozen=True)
class MapSite:
    """One site as the map draws it."""

    id: str
    label: str
    name: str
    country: str
    region: str
    lon: float
    lat: float
    power_mw: float
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

    @property
    def marker_px(self) -> float:
        """Marker diameter: area in proportion to planned MW, never under 7 px."""
        return max(7.0, math.sqrt(self.power_mw) / 1.5)


def _short(name: str) -> str:
    """A site's name up to its first parenthesis or dash: "Stargate Abilene (Lancium…)" →
    "Stargate Abilene"."""
    for stop in (" (", " - ", " – "):
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
            p10, p50, p90 = (parse_date(d) for d in dates)
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
        name=site.name,
        country=site.country,
        region=site.region,
        lon=site.location.lon,
        lat=site.location.lat,
        power_mw=total,
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


# ---------------------------------------------------------------- views and label placement


@dataclass(frozen=True)
class View:
    """A map extent and its labels: site id → (text, plotly ``textposition``) for the sites
    that carry one (one site of each group that shares a label)."""

    name: str
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    labels: dict[str, tuple[str, str]]


def _extent(
    sites: Sequence[MapSite], min_lon_span: float, min_lat_span: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A lon/lat box around the sites with room for labels, at least the given spans."""
    lons, lats = [s.lon for s in sites], [s.lat for s in sites]
    lon_span = max(max(lons) - min(lons), min_lon_span)
    lat_span = max(max(lats) - min(lats), min_lat_span)
    lon_mid, lat_mid = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    lon_half, lat_half = lon_span * 0.75, lat_span * 0.8
    lon_range = (max(-180.0, lon_mid - lon_half), min(180.0, lon_mid + lon_half))
    lat_range = (max(-80.0, lat_mid - lat_half), min(84.0, lat_mid + lat_half))
    return lon_range, lat_range


def _steps(low: float, high: float, n: int = 12) -> list[float]:
    return [low + (high - low) * i / n for i in range(n + 1)]


class _Frame:
    """The projected view at the phone's size: lon/lat → px (x right, y down, centre 0, 0)."""

    def __init__(self, lon_range: tuple[float, float], lat_range: tuple[float, float]) -> None:
        self.center_lon = (lon_range[0] + lon_range[1]) / 2
        edge = [(lon, lat) for lon in _steps(*lon_range) for lat in lat_range]
        edge += [(lon, lat) for lat in _steps(*lat_range) for lon in lon_range]
        xs, ys = zip(*(project(lon, lat, self.center_lon) for lon, lat in edge), strict=True)
        self.cx, self.cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
        width, height = PHONE_MAP_PX
        self.scale = min(width / (max(xs) - min(xs)), height / (max(ys) - min(ys)))
        self.half = ((max(xs) - min(xs)) * self.scale / 2, (max(ys) - min(ys)) * self.scale / 2)

    def px(self, lon: float, lat: float) -> tuple[float, float]:
        x, y = project(lon, lat, self.center_lon)
        return (x - self.cx) * self.scale, (self.cy - y) * self.scale


def _clusters(sites: Sequence[MapSite], frame: _Frame) -> list[list[MapSite]]:
    """Groups of sites whose markers touch at the phone's scale (single linkage), largest first."""
    points = [frame.px(s.lon, s.lat) for s in sites]
    parent = list(range(len(sites)))

    def root(i: int) -> int:
        while parent[i] != i:
            i = parent[i]
        return i

    for i, a in enumerate(sites):
        for j in range(i):
            gap = math.dist(points[i], points[j]) - (a.marker_px + sites[j].marker_px) / 2
            if gap < _GAP_PX:
                parent[root(i)] = root(j)
    found: dict[int, list[MapSite]] = {}
    for i, site in enumerate(sites):
        found.setdefault(root(i), []).append(site)
    return sorted(found.values(), key=lambda g: -sum(s.power_mw for s in g))


def _regions(group: Sequence[MapSite]) -> list[str]:
    """The group's regions as their short codes ("us-tx" → "TX")."""
    return sorted({s.region.split("-")[-1].upper() for s in group})


def _one_spot(group: Sequence[MapSite]) -> bool:
    """Whether the sites are closer than :data:`_SAME_SPOT_DEG`: no zoom separates them."""
    lons, lats = [s.lon for s in group], [s.lat for s in group]
    return max(max(lons) - min(lons), max(lats) - min(lats)) < _SAME_SPOT_DEG


def _cluster_text(group: Sequence[MapSite], countries_in_view: int) -> str:
    """A group's label on the map: the site's name; the names of sites on one spot; or a
    count, with the regions ("3 sites (TX)") or the country when the view spans several."""
    if len(group) == 1:
        return group[0].label
    if _one_spot(group):
        return " / ".join(s.label for s in group)
    countries = {s.country for s in group}
    regions = _regions(group)
    if len(countries) == 1 and len(regions) <= 2:
        return f"{len(group)} sites ({', '.join(regions)})"
    if len(countries) == 1 and countries_in_view > 1:
        return f"{len(group)} sites, {country_name(next(iter(countries)))}"
    return f"{len(group)} sites"


def _cluster_name(group: Sequence[MapSite]) -> str:
    """A group's entry in the view menu: "United States (NM, TX), 4 sites", or a site's name."""
    if len(group) == 1:
        return group[0].label
    countries = sorted({s.country for s in group})
    if len(countries) > 1:
        return f"{', '.join(country_name(c) for c in countries)}, {len(group)} sites"
    regions = _regions(group)
    where = country_name(countries[0]) + (f" ({', '.join(regions)})" if len(regions) <= 3 else "")
    return f"{where}, {len(group)} sites"


Box = tuple[float, float, float, float]


def _text_box(x: float, y: float, radius: float, text: str, position: str) -> Box:
    """Where plotly.js draws a marker's text (px): it offsets the text 1.25 marker radii
    plus 1 px from the centre (``Drawing.textPointPosition``)."""
    r = radius / 0.8 + 1.0
    width, height = len(text) * _CHAR_PX, _LINE_PX
    vertical, horizontal = position.split()
    x0 = {"right": x + r, "left": x - r - width, "center": x - width / 2}[horizontal]
    y0 = {"top": y - r - height, "bottom": y + r, "middle": y - height / 2}[vertical]
    return (x0, y0, x0 + width, y0 + height)


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] + _GAP_PX and b[0] < a[2] + _GAP_PX and a[1] < b[3] + _GAP_PX and b[1] < a[3] + _GAP_PX


def _hits(box: Box, x: float, y: float, r: float) -> bool:
    """Whether a box touches a circle (a marker)."""
    nearest = (min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3]))
    return math.dist(nearest, (x, y)) < r


#: Text positions tried, in the cartographer's order of preference (right, left, above, …).
_POSITIONS = (
    "middle right", "middle left", "top center", "bottom center",
    "top right", "top left", "bottom right", "bottom left",
)  # fmt: skip
#: Map sizes checked, as multiples of the phone's: a phone, a tablet, the dashboard and the
#: report on a laptop, a wide screen.
_SCALES = (1.0, 1.5, 2.2, 3.2, 4.5)


def _clashes(box: Box, scale: float, carrier: MapSite, frame: _Frame, sites: Sequence[MapSite]) -> int:
    """How many markers (other than its own) a label box touches, plus one if it leaves the map."""
    touched = 0
    for s in sites:
        x, y = frame.px(s.lon, s.lat)
        touched += s is not carrier and _hits(box, x * scale, y * scale, s.marker_px / 2 + 1.0)
    half_w, half_h = frame.half[0] * scale, frame.half[1] * scale
    return touched + (box[0] < -half_w or box[2] > half_w or box[1] < -half_h or box[3] > half_h)


def _place(
    groups: Sequence[Sequence[MapSite]], sites: Sequence[MapSite], frame: _Frame
) -> tuple[dict[str, tuple[str, str]], list[Sequence[MapSite]]]:
    """Each group's label on its largest site, at the first position that touches no other
    label and no marker at any of :data:`_SCALES` (else the one touching fewest markers).
    A group whose label would touch another label at every position goes unlabelled here
    (returned second: a zoomed view labels it)."""
    placed: dict[float, list[Box]] = {scale: [] for scale in _SCALES}
    labels: dict[str, tuple[str, str]] = {}
    unlabelled = []
    countries = len({s.country for s in sites})
    for group in groups:
        carrier = max(group, key=lambda s: s.power_mw)
        text = _cluster_text(group, countries)
        x, y = frame.px(carrier.lon, carrier.lat)
        best: tuple[tuple[int, int, int], str, list[Box]] | None = None
        for order, position in enumerate(_POSITIONS):
            boxes = [_text_box(x * k, y * k, carrier.marker_px / 2, text, position) for k in _SCALES]
            overlaps = sum(
                _overlaps(box, other) for k, box in zip(_SCALES, boxes, strict=True) for other in placed[k]
            )
            touches = sum(
                _clashes(box, k, carrier, frame, sites) for k, box in zip(_SCALES, boxes, strict=True)
            )
            score = (overlaps, touches, order)
            if best is None or score < best[0]:
                best = (score, position, boxes)
        assert best is not None
        if best[0][0]:
            unlabelled.append(group)
            continue
        for k, box in zip(_SCALES, best[2], strict=True):
            placed[k].append(box)
        labels[carrier.id] = (text, best[1])
    return labels, unlabelled


def _view(
    name: str, focus: Sequence[MapSite], sites: Sequence[MapSite], min_span: tuple[float, float]
) -> tuple[View, list[Sequence[MapSite]]]:
    """The extent around ``focus`` and the labels of every site inside it; second, the groups
    to zoom into: those that share a label, and those left unlabelled."""
    lon_range, lat_range = _extent(focus, *min_span)
    inside = [
        s for s in sites if lon_range[0] <= s.lon <= lon_range[1] and lat_range[0] <= s.lat <= lat_range[1]
    ]
    frame = _Frame(lon_range, lat_range)
    groups = _clusters(inside, frame)
    labels, unlabelled = _place(groups, inside, frame)
    deeper = [g for g in groups if len(g) > 1 and not _one_spot(g)]
    return View(name, lon_range, lat_range, labels), deeper + [g for g in unlabelled if g not in deeper]


def views(sites: Sequence[MapSite]) -> list[View]:
    """All sites, then each group of sites that shares a label (or found no room for one)
    zoomed in, in turn (breadth first; at most :data:`_MAX_VIEWS`)."""
    top, queue = _view("all sites", sites, sites, (40.0, 20.0))
    found, seen = [top], {frozenset(s.id for s in sites)}
    while queue and len(found) < _MAX_VIEWS:
        group = queue.pop(0)
        key = frozenset(s.id for s in group)
        if key in seen:
            continue
        seen.add(key)
        view, deeper = _view(_cluster_name(group), group, sites, (3.0, 1.5))
        found.append(view)
        queue += deeper
    return found


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


def _geo_layout(view: View) -> dict[str, Any]:
    return {
        "geo.lonaxis.range": list(view.lon_range),
        "geo.lataxis.range": list(view.lat_range),
        "geo.center.lon": (view.lon_range[0] + view.lon_range[1]) / 2,
        "geo.center.lat": (view.lat_range[0] + view.lat_range[1]) / 2,
        "geo.projection.rotation.lon": (view.lon_range[0] + view.lon_range[1]) / 2,
        "geo.projection.scale": 1,
    }


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
                textfont={"size": _FONT_PX, "color": "#1b2430", "shadow": "auto"},
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
    view_buttons = []
    for view in all_views:
        arrays = [_label_arrays(shown, view) for shown in by_status]
        restyle = {"text": [a[0] for a in arrays], "textposition": [a[1] for a in arrays]}
        view_buttons.append(
            {
                "label": f"map: {view.name}",
                "method": "update",
                "args": [restyle, _geo_layout(view), marker_ids],
            }
        )
    site_buttons = [
        {
            "label": f"timeline: {site.label}",
            "method": "update",
            "args": [
                {"visible": [j // 4 == i for j in range(len(timeline_ids))]},
                {"yaxis.title.text": f"{site.label}, MW {site.basis}"},
                timeline_ids,
            ],
        }
        for i, site in enumerate(sites)
    ]
    map_share = _MAP_HEIGHT_PX / (_MAP_HEIGHT_PX + _TIMELINE_HEIGHT_PX)
    top = all_views[0]
    fig.update_layout(
        title={"text": "Sites: marker area ∝ planned MW", "x": 0.01},
        template="plotly_white",
        height=_MAP_HEIGHT_PX + _TIMELINE_HEIGHT_PX,
        margin={"l": 56, "r": 12, "t": 86, "b": 40},
        legend={"orientation": "h", "y": -0.1},
        geo={
            "domain": {"x": [0, 1], "y": [1 - map_share + 0.05, 1]},
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
        xaxis={"domain": [0, 1], "anchor": "y", "type": "date"},
        yaxis={
            "domain": [0, 1 - map_share - 0.05],
            "anchor": "x",
            "rangemode": "tozero",
            "title": {"text": f"{sites[first].label}, MW {sites[first].basis}"},
        },
        updatemenus=[
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
                "y": 1 - map_share - 0.01,
                "yanchor": "bottom",
                "active": first,
            },
        ],
    )
    fig.update_layout(_geo_layout(top))
    if scenario.time.as_of_date is not None:
        fig.add_vline(
            x=_day(scenario.time.as_of_day),
            line={"color": "#5b6673", "dash": "dash", "width": 1},
            annotation_text="as of",
        )
    return fig
