"""The offline site map: Natural Earth outlines, labels that never overlap, hover and timeline,
and, in Chromium, a page that fetches nothing and draws land, markers and labels."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gigawatt.basemap import outlines, project
from gigawatt.maplabels import SCALES, views
from gigawatt.scenario import load_scenario
from gigawatt.sitemap import MapSite, map_sites, site_map


def _rings(lons: list[float | None], lats: list[float | None]) -> list[list[tuple[float, float]]]:
    rings: list[list[tuple[float, float]]] = [[]]
    for lon, lat in zip(lons, lats, strict=True):
        if lon is None or lat is None:
            rings.append([])
        else:
            rings[-1].append((lon, lat))
    return [r for r in rings if r]


def test_natural_earth_outlines_are_decoded() -> None:
    o = outlines()
    land = _rings(o.land_lon, o.land_lat)
    assert len(land) == 124  # Natural Earth 1:110m land: 124 polygons (world-atlas 2.0.2)
    assert all(-180 <= lon <= 180 and -90 <= lat <= 84 for ring in land for lon, lat in ring)
    assert all(ring[0] == ring[-1] for ring in land)  # closed rings
    # water: the one hole in the land (the Caspian Sea) and Natural Earth's 25 lakes at 1:110m
    water = _rings(o.water_lon, o.water_lat)
    assert len(water) == 26
    boxes = [(min(r)[0], max(r)[0], min(p[1] for p in r), max(p[1] for p in r)) for r in water]
    caspian = [b for b in boxes if 46 < b[0] < 48 and 53 < b[1] < 55 and 36 < b[2] < 38 and 46 < b[3] < 48]
    michigan = [b for b in boxes if b[0] < -87.5 < b[1] and b[2] < 43.4 < b[3]]  # Port Washington's shore
    assert len(caspian) == 1 and len(michigan) == 1
    # land borders: the US-Canada border runs along 49°N west of the Great Lakes
    borders = _rings(o.border_lon, o.border_lat)
    assert any(
        all(abs(lat - 49.0) < 0.01 for lon, lat in r if -120 < lon < -96) and len(r) > 2 for r in borders
    )


def test_projection_is_d3_natural_earth() -> None:
    """The same numbers as d3-geo 3.1.1's ``geoNaturalEarth1Raw`` (which plotly.js draws with),
    computed with node from the npm package for these points."""
    d3 = {
        (90.0, 0.0): (1.3676923617403165, 0.0),
        (0.0, 90.0): (0.0, 1.422390506730596),
        (-99.78, 32.5): (-1.4398979606840066, 0.573407606580874),
        (17.55, 68.4): (0.2037333619123184, 1.175084351182926),
    }
    for (lon, lat), xy in d3.items():
        assert project(lon, lat) == pytest.approx(xy, abs=1e-12)
    assert project(-99.0, 32.0, center_lon=-99.0)[0] == pytest.approx(0.0)  # centred


def _stargate_sites(summary: dict[str, Any] | None = None) -> list[MapSite]:
    return map_sites(load_scenario("stargate"), summary)


def test_hover_lists_phases_observed_mw_and_the_run_forecast() -> None:
    summary = {
        "phases": {"abilene/Buildings 5-6": {"online_date": ["2026-08-17", "2026-09-14", "2026-11-02"]}}
    }
    abilene = next(s for s in _stargate_sites(summary) if s.id == "abilene")
    assert abilene.label == "Abilene"  # "Stargate" every site shares is dropped
    for phase in ("Building 1", "Building 2", "Buildings 3-4", "Buildings 5-6", "Buildings 7-8"):
        assert phase in abilene.hover
    assert "observed 590 MW facility by 2026-04-17" in abilene.hover
    assert "forecast 2026-09-14 (P10 2026-08-17, P90 2026-11-02)" in abilene.hover
    assert abilene.observed == [(20267.0, 147.0), (20357.0, 295.0), (20560.0, 590.0)]
    assert [round(mw) for _, mw, *_ in abilene.forecast] == [885]  # cumulative MW after phase 3


def test_a_phase_never_online_in_some_draws_is_drawn_to_the_horizon() -> None:
    # a run's P90 (or P50) online date can be "never": the map says so and does not fail
    phases = {
        "abilene/Buildings 5-6": {"online_date": ["2026-08-17", "2026-09-14", "never"]},
        "abilene/Buildings 7-8": {"online_date": ["2027-01-04", "never", "never"]},
    }
    abilene = next(s for s in _stargate_sites({"phases": phases}) if s.id == "abilene")
    assert "forecast 2026-09-14 (P10 2026-08-17, P90 never)" in abilene.hover
    assert "forecast never (P10 2027-01-04, P90 never)" in abilene.hover
    [(p50, _, p10, p90)] = abilene.forecast  # the phase never online at its P50 has no point
    assert p10 < p50 < p90 == load_scenario("stargate").time.end_date.mid


def _boxes(view: Any, sites: list[MapSite], scale: float) -> list[tuple[float, float, float, float]]:
    from gigawatt.maplabels import _Frame, _text_box

    frame = _Frame(view.lon_range, view.lat_range)
    by_id = {s.id: s for s in sites}
    out = []
    for site_id, (text, position) in view.labels.items():
        x, y = frame.px(by_id[site_id].lon, by_id[site_id].lat)
        out.append(_text_box(x * scale, y * scale, by_id[site_id].marker_px / 2, text, position))
    return out


@pytest.mark.parametrize("scenario", ["stargate", "frontier", "stargate-2025-09"])
def test_labels_overlap_nowhere_from_phone_to_wide_screen(scenario: str) -> None:
    sites = map_sites(load_scenario(scenario))
    found = views(sites)
    assert found[0].name == "all sites" and len(found) >= 3  # zoomed views of the US groups
    for view in found:
        for scale in SCALES:
            boxes = _boxes(view, sites, scale)
            for a, b in itertools.combinations(boxes, 2):
                assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (view.name, scale)
    # every site is named on its own in some view (down to sites on one spot, named together)
    named = " / ".join(text for view in found for text, _ in view.labels.values())
    assert all(s.label in named for s in sites)


def test_figure_has_basemap_markers_menus_and_timelines() -> None:
    fig = site_map(load_scenario("stargate"))
    assert fig is not None
    names = [t.name for t in fig.data]
    assert names[:3] == ["land (Natural Earth)", "inland water (Natural Earth)", "borders (Natural Earth)"]
    markers = [t for t in fig.data if t.name.startswith("sites: ")]
    assert sum(len(t.lon) for t in markers) == 10
    assert {t.name for t in markers} <= {"sites: online", "sites: under construction", "sites: planned"}
    assert not fig.layout.geo.showland and not fig.layout.geo.showcoastlines  # nothing to fetch
    view_menu, timeline_menu = fig.layout.updatemenus
    assert view_menu.buttons[0].label == "map: all sites"
    assert len(timeline_menu.buttons) == 10
    # each marker's customdata names the timeline button a click applies (MAP_CLICK_JS)
    ids = [site_id for t in markers for site_id in t.customdata]
    assert sorted(b.name for b in timeline_menu.buttons) == sorted(f"timeline:{i}" for i in ids)
    visible = [t.name for t in fig.data if t.type == "scatter" and t.visible]
    assert visible == [
        "planned online (scenario)",
        "forecast online P50 (P10–P90)",
        "Epoch's projection",
        "observed",
    ]
    assert site_map(None) is None


# ---------------------------------------------------------------- in Chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from gigawatt.web.local import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as p:
        chromium = p.chromium.launch(headless=True, executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page_file(tmp_path: Path) -> Path:
    from plotly.offline import get_plotlyjs

    fig = site_map(load_scenario("stargate"))
    assert fig is not None
    page = tmp_path / "map.html"
    page.write_text(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
        f'<script>{get_plotlyjs()}</script><div id="map"></div><script>const f = {fig.to_json()};'
        "Plotly.newPlot('map', f.data, f.layout, {responsive: true});</script></body></html>",
        encoding="utf-8",
    )
    return page


def _label_boxes(page: Any) -> list[dict[str, float]]:
    return page.evaluate(
        """() => Array.from(document.querySelectorAll('.scattergeo text'))
            .filter((t) => t.textContent).map((t) => { const b = t.getBoundingClientRect();
            return {x0: b.left, y0: b.top, x1: b.right, y1: b.bottom, text: t.textContent}; })"""
    )


@pytest.mark.browser
@pytest.mark.parametrize("width", [1280, 390])
def test_map_in_chromium_fetches_nothing_and_labels_do_not_overlap(
    browser: Any, tmp_path: Path, width: int
) -> None:
    from PIL import Image
    from playwright.sync_api import expect

    page_file = _page_file(tmp_path)
    page = browser.new_page(viewport={"width": width, "height": 900})
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(page_file.as_uri())
    page.wait_for_selector(".scattergeo path.point")
    assert page.locator(".scattergeo path.point").count() == 10
    assert [url for url in requests if not url.startswith("file:")] == []  # no CDN, no tiles
    labels = _label_boxes(page)
    assert {b["text"] for b in labels} == {"7 sites, United States", "2 sites", "Norway"}
    for a, b in itertools.combinations(labels, 2):
        assert not (a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]), (
            a,
            b,
        )

    shot = tmp_path / f"map-{width}.png"
    page.screenshot(path=str(shot), full_page=True)
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    land = sum(n for n, rgb in colours if rgb == (0xE9, 0xEB, 0xE4))
    sea = sum(n for n, rgb in colours if rgb == (0xDC, 0xE8, 0xF3))
    assert land > 2000 and sea > 2000  # the basemap is drawn: land and sea, not an empty grid

    # zoom to the US from the menu: every US site or group is named, still apart
    page.locator(".updatemenu-header-group").first.click()
    page.locator(".updatemenu-dropdown-button", has_text="map: United States, 7 sites").click()
    page.wait_for_timeout(500)
    labels = _label_boxes(page)
    assert "Doña Ana County" in {b["text"] for b in labels} and "3 sites (TX)" in {b["text"] for b in labels}
    for a, b in itertools.combinations(labels, 2):
        assert not (a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["y0"] < b["y1"] and b["y0"] < a["y1"]), (
            a,
            b,
        )

    # hover a marker: its planned MW and phases
    box = page.locator(".scattergeo path.point").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator(".hoverlayer")).to_contain_text("MW facility planned")
    expect(page.locator(".hoverlayer")).to_contain_text("•")  # its phases
    assert [url for url in requests if not url.startswith("file:")] == []
    assert errors == []

    page.close()
