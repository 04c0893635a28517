"""Labels for map markers that never overlap, from a phone to a wide screen.

Markers that would touch on a phone-sized map (the smallest screen the dashboard supports,
:data:`PHONE_MAP_PX`) share one label. Each label goes beside the largest marker of its
group, at the first of eight positions (right, left, above, below, then the diagonals: the
cartographer's order of preference; Imhof 1975, "Positioning names on maps", The American
Cartographer 2(2)) that touches no other label and no marker, checked at five map sizes
(:data:`SCALES`), largest groups first: a greedy placement (Christensen, Marks and Shieber
1995, "An empirical study of algorithms for point-feature label placement", ACM
Transactions on Graphics 14(3)). A label that finds no room is left to a zoomed view.

:func:`views` gives the view of all markers, then each group zoomed in (breadth first),
where every marker in the extent is placed again, down to markers on one spot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gigawatt.basemap import project
from gigawatt.countries import country_name

__all__ = ["FONT_PX", "PHONE_MAP_PX", "SCALES", "Marker", "View", "views"]

#: Width and height (px) of the smallest map the labels are laid out for: the dashboard at
#: 390 px less its padding and the figure's margins.
PHONE_MAP_PX = (220.0, 200.0)
#: Map sizes checked, as multiples of the phone's: a phone, a tablet, the dashboard and the
#: report on a laptop, a wide screen.
SCALES = (1.0, 1.5, 2.2, 3.2, 4.5)
#: Label font size (px); the width of one character and the height of a line in it, generous
#: for a sans-serif.
FONT_PX, _CHAR_PX, _LINE_PX = 11.0, 6.6, 15.0
#: Least room (px) between two labels, or a label and a marker; markers closer share a label.
_GAP_PX = 3.0
#: Markers closer than this (degrees) share a label at any zoom: one campus, or two next door.
_SAME_SPOT_DEG = 0.3
#: Most views: all markers and the groups zoomed in.
_MAX_VIEWS = 12


@dataclass(frozen=True)
class Marker:
    """A point to label: where, how big, what it is called, and its country and region."""

    id: str
    label: str
    country: str
    region: str
    lon: float
    lat: float
    power_mw: float

    @property
    def marker_px(self) -> float:
        """Marker diameter: area in proportion to planned MW, never under 7 px."""
        return max(7.0, math.sqrt(self.power_mw) / 1.5)


@dataclass(frozen=True)
class View:
    """A map extent and its labels: site id → (text, plotly ``textposition``) for the sites
    that carry one (one site of each group that shares a label)."""

    name: str
    lon_range: tuple[float, float]
    lat_range: tuple[float, float]
    labels: dict[str, tuple[str, str]]


def _extent(
    sites: Sequence[Marker], min_lon_span: float, min_lat_span: float
) -> tuple[tuple[float, float], tuple[float, float]]:
    """A lon/lat box around the sites with room for labels: at least the given spans, and
    never flatter than 2:1 or taller than 1:1 on the ground (a strip leaves labels no room)."""
    lons, lats = [s.lon for s in sites], [s.lat for s in sites]
    lon_mid, lat_mid = (max(lons) + min(lons)) / 2, (max(lats) + min(lats)) / 2
    ground = max(math.cos(math.radians(lat_mid)), 0.2)  # a degree of longitude, in degrees of latitude
    lon_span = max(max(lons) - min(lons), min_lon_span)
    lat_span = max(max(lats) - min(lats), min_lat_span, lon_span * ground / 2)
    lon_span = max(lon_span, lat_span / ground)
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


def _clusters(sites: Sequence[Marker], frame: _Frame) -> list[list[Marker]]:
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
    found: dict[int, list[Marker]] = {}
    for i, site in enumerate(sites):
        found.setdefault(root(i), []).append(site)
    return sorted(found.values(), key=lambda g: -sum(s.power_mw for s in g))


def _regions(group: Sequence[Marker]) -> list[str]:
    """The group's regions as their short codes ("us-tx" → "TX")."""
    return sorted({s.region.split("-")[-1].upper() for s in group})


def _one_spot(group: Sequence[Marker]) -> bool:
    """Whether the sites are closer than :data:`_SAME_SPOT_DEG`: no zoom separates them."""
    lons, lats = [s.lon for s in group], [s.lat for s in group]
    return max(max(lons) - min(lons), max(lats) - min(lats)) < _SAME_SPOT_DEG


def _cluster_text(group: Sequence[Marker], countries_in_view: int) -> str:
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


def _cluster_name(group: Sequence[Marker]) -> str:
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


def _touches(box: Box, scale: float, frame: _Frame, markers: Sequence[Marker]) -> int:
    """How many of ``markers`` a label box touches."""
    touched = 0
    for s in markers:
        x, y = frame.px(s.lon, s.lat)
        touched += _hits(box, x * scale, y * scale, s.marker_px / 2 + 1.0)
    return touched


def _leaves(box: Box, scale: float, frame: _Frame) -> bool:
    """Whether a label box crosses the map's edge (where the label would be cut)."""
    half_w, half_h = frame.half[0] * scale, frame.half[1] * scale
    return box[0] < -half_w or box[2] > half_w or box[1] < -half_h or box[3] > half_h


def _place_in_order(
    groups: Sequence[Sequence[Marker]], sites: Sequence[Marker], frame: _Frame
) -> tuple[dict[str, tuple[str, str]], list[Sequence[Marker]]]:
    """Labels for ``groups`` in their order: each at its best position, or left out."""
    placed: dict[float, list[Box]] = {scale: [] for scale in SCALES}
    labels: dict[str, tuple[str, str]] = {}
    unlabelled = []
    countries = len({s.country for s in sites})
    for group in groups:
        others = [s for s in sites if s not in group]
        text = _cluster_text(group, countries)
        best: tuple[tuple[int, int, int, int, int], Marker, str, list[Box]] | None = None
        for rank, carrier in enumerate(sorted(group, key=lambda s: -s.power_mw)):
            members = [s for s in group if s is not carrier]
            x, y = frame.px(carrier.lon, carrier.lat)
            for order, position in enumerate(_POSITIONS):
                boxes = [(k, _text_box(x * k, y * k, carrier.marker_px / 2, text, position)) for k in SCALES]
                blocked = sum(_overlaps(box, other) for k, box in boxes for other in placed[k])
                blocked += sum(_leaves(box, k, frame) for k, box in boxes)
                foreign = sum(_touches(box, k, frame, others) for k, box in boxes)
                own = sum(_touches(box, k, frame, members) for k, box in boxes)
                score = (blocked, foreign, own, rank, order)
                if best is None or score < best[0]:
                    best = (score, carrier, position, [box for _, box in boxes])
        assert best is not None
        if best[0][0]:
            unlabelled.append(group)
            continue
        for k, box in zip(SCALES, best[3], strict=True):
            placed[k].append(box)
        labels[best[1].id] = (text, best[2])
    return labels, unlabelled


def _place(
    groups: Sequence[Sequence[Marker]], sites: Sequence[Marker], frame: _Frame
) -> tuple[dict[str, tuple[str, str]], list[Sequence[Marker]]]:
    """Each group's label beside one of its markers (the largest that will do), at the first
    position that overlaps no other label and stays on the map at every one of
    :data:`SCALES`, touching as few markers of other groups, then of its own, as it can.
    Largest groups first; if some group finds no
    room, once more with those groups first, keeping the try that labels more. A group left
    unlabelled is returned second (a zoomed view labels it)."""
    labels, unlabelled = _place_in_order(groups, sites, frame)
    if unlabelled:
        retry = _place_in_order([*unlabelled, *(g for g in groups if g not in unlabelled)], sites, frame)
        if len(retry[1]) < len(unlabelled):
            return retry
    return labels, unlabelled


def _view(
    name: str, focus: Sequence[Marker], sites: Sequence[Marker], min_span: tuple[float, float]
) -> tuple[View, list[Sequence[Marker]]]:
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


def views(sites: Sequence[Marker]) -> list[View]:
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
        view, deeper = _view(_cluster_name(group), group, sites, (1.0, 0.5))
        found.append(view)
        queue += deeper
    return found
