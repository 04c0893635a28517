"""Capacity by country and world region: exact totals, counting shared sites once, the CLI."""

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_scenario, units
from gigawatt.backends import Backend
from gigawatt.catalog import load_catalog
from gigawatt.cli import app
from gigawatt.countries import SAME_CAMPUS_KM, country_view, haversine_km, world_region
from gigawatt.engine import Model, simulate_block
from gigawatt.io import import_data_centers
from gigawatt.scenario import Location

DETERMINISTIC = """\
name: {name}
time: {{start: 2025-01-01, end: 2028-12-31, as_of: 2026-06-30, step: month}}
stages:
  {{permitting: "10 weeks", site_and_shell: "40 weeks", it_fit_out: "10 weeks", commissioning: "4 weeks"}}
sites:
  texas:
    name: Texas
    country: US
    region: us-tx
    power_basis: facility
    accelerator: gb200-nvl72
    power_plan: [{{kind: grid, capacity: "1 GW", available: 2025-01-01}}]
    phases:
      - {{name: A, power: "300 MW", status: online, start: 2024-06-01, online: 2025-06-30}}
      - {{name: B, power: "{b_mw} MW", status: under_construction, start: 2025-06-01, online: 2027-03-31}}
  fjord:
    name: Fjord
    country: "NO"
    region: "no"
    power_basis: facility
    accelerator: gb200-nvl72
    power_plan: [{{kind: grid, capacity: "500 MW", available: 2025-01-01}}]
    phases:
      - {{name: C, power: "100 MW", status: online, start: 2025-01-01, online: 2026-02-01}}
"""


@pytest.fixture
def deterministic(write):
    return load_scenario(write(DETERMINISTIC.format(name="det", b_mw=200), "det.yaml"))


def _p50(view, metric, group):
    return view.quantiles.sel(metric=metric, group=group, quantile=0.5).values


def test_country_totals_equal_the_sum_of_their_phases(deterministic):
    view = country_view([deterministic], draws=300, seed=1)
    assert [str(t)[:10] for t in view.quantiles.time.values] == [
        "2025-12-31",
        "2026-12-31",
        "2027-12-31",
    ]  # 2028-12-31 is past the last monthly step
    # A (300 MW) online mid-2025; C (100 MW, Norway) Feb 2026; B (200 MW) on its planned 2027-03-31
    np.testing.assert_allclose(_p50(view, "facility_mw", "country:US"), [300, 300, 500])
    np.testing.assert_allclose(_p50(view, "facility_mw", "country:NO"), [0, 100, 100])
    np.testing.assert_allclose(_p50(view, "facility_mw", "region:Europe (non-EU)"), [0, 100, 100])
    np.testing.assert_allclose(_p50(view, "facility_mw", "total"), [300, 400, 600])
    q = view.quantiles.sel(metric="facility_mw")
    assert (q.sel(quantile=0.1) == q.sel(quantile=0.9)).all()  # nothing about it is uncertain


def test_accelerator_quantiles_match_the_draws(deterministic):
    """Accelerators depend on the (uncertain) PUE and IT power per package: P10/P50/P90 of the
    streamed histograms agree with quantiles of the simulated draws to within a bin."""
    view = country_view([deterministic], draws=2048, seed=4, block_draws=1024)
    model = Model.from_scenario(deterministic)
    ds = simulate_block(model, 4, 0, 2048)
    us = np.array([ph.country == "US" for ph in model.phases])
    day = view.quantiles.time.values[-1].astype("datetime64[D]").astype(float)
    direct = (ds["accelerators"].values[:, us] * (ds["online_date"].values[:, us] <= day)).sum(axis=1)
    got = view.quantiles.sel(metric="accelerators", group="country:US").values[:, -1]
    assert direct.std() > 0
    np.testing.assert_allclose(got, np.quantile(direct, [0.1, 0.5, 0.9]), rtol=0.01)


def test_shared_site_counted_once_later_scenario_wins(write):
    first = load_scenario(write(DETERMINISTIC.format(name="first", b_mw=200), "first.yaml"))
    later = load_scenario(write(DETERMINISTIC.format(name="later", b_mw=450), "later.yaml"))
    view = country_view([first, later], draws=200)
    np.testing.assert_allclose(_p50(view, "facility_mw", "country:US"), [300, 300, 750])
    np.testing.assert_allclose(_p50(view, "facility_mw", "total"), [300, 400, 850])
    assert any("counted once, from 'later'" in n and "texas" in n for n in view.notes)


def test_dask_backend_gives_the_same_quantiles(deterministic):
    a = country_view([load_scenario("stargate")], draws=1500, seed=2, block_draws=1024)
    b = country_view(
        [load_scenario("stargate")],
        draws=1500,
        seed=2,
        block_draws=1024,
        backend=Backend("dask", workers=2, processes=False),
    )
    assert a.as_dict() == b.as_dict()


def test_world_regions():
    assert world_region("US") == "United States"
    assert world_region("de") == "EU"
    assert world_region("NO") == "Europe (non-EU)"
    assert world_region("AE") == "Middle East"
    assert world_region("IN") == "Asia"
    assert world_region("ZZ") == "Other"


def test_frontier_has_every_catalog_site_across_countries():
    frontier = load_scenario("frontier")
    catalog_sites = set(load_catalog().sites.data["sites"])
    assert set(frontier.sites) == catalog_sites
    assert {s.country for s in frontier.sites.values()} >= {"US", "NO", "AE", "IN"}
    view = country_view([frontier], draws=200)
    last = view.quantiles.sel(metric="facility_mw", quantile=0.5).isel(time=-1)
    assert float(last.sel(group="country:US")) > float(last.sel(group="country:NO")) > 0
    # grouped by where a site stands, not whose it is: each country says whose sites it holds
    assert view.parties["AE"] == {"tenants": ["openai"], "operators": ["oracle"], "owners": ["g42"]}
    assert view.parties["NO"]["tenants"] == ["microsoft"]
    assert "United Arab Emirates (site location): tenants openai; operators oracle; owners g42" in view.notes
    assert view.as_dict()["parties"]["NO"]["operators"] == ["nscale"]


def test_cli_json(deterministic, write):
    path = write(DETERMINISTIC.format(name="det", b_mw=200), "det.yaml")
    result = CliRunner().invoke(app, ["countries", str(path), "--draws", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["groups"]["country:US"]["facility_mw"]["p50"] == [300, 300, 500]
    assert data["dates"][0] == "2025-12-31"


def test_cli_says_it_groups_by_site_location(deterministic, write):
    path = write(DETERMINISTIC.format(name="det", b_mw=200), "det.yaml")
    result = CliRunner().invoke(app, ["countries", str(path), "--draws", "100"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "by site location (the country a site stands in, not whose it is)" in result.output
    help_text = " ".join(CliRunner().invoke(app, ["countries", "--help"]).output.split())
    assert "Capacity by site location" in help_text and "sovereignty" not in help_text.lower()


def test_a_year_before_the_as_of_date_is_observed_its_range_between_sources(write):
    """Review 3, finding 9: Texas A's 300 MW is a conflict between sources (250–350 MW, online
    before the as-of date): at end-2025 its range is no forecast, and says so."""
    text = DETERMINISTIC.format(name="det", b_mw=200).replace(
        '"300 MW", status: online', "{uniform: [250 MW, 350 MW]}, status: online"
    )
    path = write(text, "conflict.yaml")
    data = json.loads(CliRunner().invoke(app, ["countries", str(path), "--draws", "200", "--json"]).stdout)
    assert data["as_of"] == "2026-06-30" and data["before_as_of"] == [True, False, False]
    us = data["groups"]["country:US"]["facility_mw"]
    assert us["p10"][0] < 300 < us["p90"][0]  # the range the sources leave, at a past year end
    out = CliRunner().invoke(app, ["countries", str(path), "--draws", "200"], env={"COLUMNS": "80"}).stdout
    header = next(line for line in out.splitlines() if line.startswith("┃"))
    assert "2025* ┃" in header and "2026 ┃" in header and "2026*" not in header
    text = " ".join(out.split())
    assert (
        "*: before the as-of date (2026-06-30): capacity observed; a P10–P90 range there is the range" in text
    )
    from gigawatt.countries import countries_figure

    fig = countries_figure(country_view([load_scenario(path)], draws=100))
    assert list(fig.data[0].x) == ["2025<br>(observed)", "2026", "2027"]
    assert "range between sources, not a forecast" in fig.layout.title.text


def test_cli_bad_metric_is_a_clear_error():
    result = CliRunner().invoke(app, ["countries", "frontier", "--metric", "watts"])
    assert result.exit_code == 2
    assert "--metric" in result.output


def test_figure_has_one_trace_per_country(deterministic):
    from gigawatt.countries import countries_figure

    fig = countries_figure(country_view([deterministic], draws=100))
    assert sorted(trace.name for trace in fig.data) == ["Norway", "United States"]
    us = next(trace for trace in fig.data if trace.name == "United States")
    assert list(us.y) == [0.3, 0.3, 0.5]  # facility GW, P50


CAMPUS = """\
name: {name}
time: {{start: 2025-01-01, end: 2027-12-31, as_of: 2026-06-30, step: month}}
stages:
  {{permitting: "10 weeks", site_and_shell: "40 weeks", it_fit_out: "10 weeks", commissioning: "4 weeks"}}
sites:
{sites}
"""
SITE = """\
  {id}:
    name: {id}
    country: US
    region: us-tx
    location: {{lat: {lat}, lon: -99.78}}
    tenant: {tenant}
    power_basis: facility
    accelerator: gb200-nvl72
    power_plan: [{{kind: grid, capacity: "1 GW", available: 2025-01-01}}]
    phases:
      - {{name: A, power: "{mw} MW", status: online, start: 2024-06-01, online: 2025-06-30}}
"""
KM_PER_DEGREE_LAT = 2 * np.pi * 6371.0088 / 360


def _campus(write, name, *sites):
    text = CAMPUS.format(name=name, sites="".join(SITE.format(**site) for site in sites))
    return load_scenario(write(text, f"{name}.yaml"))


def _site(id, km_north=0.0, mw=300, tenant="openai"):
    return {"id": id, "lat": 32.5 + km_north / KM_PER_DEGREE_LAT, "mw": mw, "tenant": tenant}


def test_haversine():
    assert haversine_km(Location(lat=32.5, lon=-99.78), Location(lat=33.5, lon=-99.78)) == pytest.approx(
        KM_PER_DEGREE_LAT
    )
    # a degree of longitude at 60° N is half a degree at the equator
    at_60 = haversine_km(Location(lat=60, lon=10), Location(lat=60, lon=11))
    assert at_60 == pytest.approx(KM_PER_DEGREE_LAT / 2, rel=2e-3)
    assert haversine_km(Location(lat=0, lon=179.5), Location(lat=0, lon=-179.5)) == pytest.approx(
        KM_PER_DEGREE_LAT
    )


def test_nearby_sites_with_different_ids_are_one_campus_counted_from_the_later(write):
    catalog = _campus(write, "catalog", _site("abilene", mw=300), _site("elsewhere", 200, mw=100))
    imported = _campus(write, "imported", _site("stargate-abilene-texas", 2.0, mw=450))
    view = country_view([catalog, imported], draws=50)
    assert _p50(view, "facility_mw", "country:US")[-1] == pytest.approx(450 + 100)
    [merged] = view.shared
    assert merged.counted == ("imported", "stargate-abilene-texas")
    assert merged.not_counted == ("catalog", "abilene")
    assert merged.matched_by == "location"
    assert merged.distance_km == pytest.approx(2.0, abs=0.01)
    assert any("from 'imported': stargate-abilene-texas (= abilene, 2.0 km)" in n for n in view.notes)
    # the same two in the other order: the catalog's description counts
    view = country_view([imported, catalog], draws=50)
    assert _p50(view, "facility_mw", "country:US")[-1] == pytest.approx(300 + 100)
    assert view.as_dict()["shared"][0]["counted"] == {"scenario": "catalog", "site": "abilene"}


def test_distant_sites_and_neighbours_with_other_parties_count_twice(write):
    catalog = _campus(write, "catalog", _site("abilene", mw=300))
    far = _campus(write, "far", _site("abilene-north", 50.0, mw=450))
    neighbour = _campus(write, "neighbour", _site("google-next-door", 1.0, mw=450, tenant="google"))
    assert SAME_CAMPUS_KM < 50.0
    for other in (far, neighbour):
        view = country_view([catalog, other], draws=50)
        assert _p50(view, "facility_mw", "country:US")[-1] == pytest.approx(750)
        assert view.shared == []


def test_a_site_merges_with_the_nearest_campus_only(write):
    catalog = _campus(write, "catalog", _site("a", 0.0, mw=100), _site("b", 6.0, mw=200))
    imported = _campus(write, "imported", _site("near-b", 5.0, mw=400))
    view = country_view([catalog, imported], draws=50)
    assert [(s.not_counted[1], s.counted[1]) for s in view.shared] == [("b", "near-b")]
    assert _p50(view, "facility_mw", "country:US")[-1] == pytest.approx(100 + 400)


def test_sites_without_coordinates_fall_back_to_ids(write, deterministic):
    near = _campus(write, "near", _site("texas-campus", 0.0, mw=50))
    view = country_view([deterministic, near], draws=50)
    assert view.shared == []  # no coordinates on det's sites: only ids could match
    assert any("no coordinates, matched by id only: det:fjord, det:texas" in n for n in view.notes)


_EPOCH = Path("/work/shared/data/epoch")


@pytest.mark.skipif(not (_EPOCH / "data_centers.csv").exists(), reason="no Epoch data in ../shared")
def test_frontier_and_epoch_import_count_shared_campuses_once(tmp_path):
    imported = import_data_centers(
        (_EPOCH / "data_centers.csv").read_text(encoding="utf-8"),
        as_of_date=units.parse_date("2025-12-15"),
        timelines_text=(_EPOCH / "data_center_timelines_part.csv").read_text(encoding="utf-8"),
    )
    path = tmp_path / "dc.yaml"
    path.write_text(imported.yaml_text(), encoding="utf-8")
    frontier, epoch = load_scenario("frontier"), load_scenario(path)

    def us_gw_end_2028(*scenarios):
        view = country_view(scenarios, draws=200)
        return float(_p50(view, "facility_mw", "country:US")[view.quantiles.time.dt.year == 2028][0]), view

    alone = us_gw_end_2028(frontier)[0] + us_gw_end_2028(epoch)[0]
    both, view = us_gw_end_2028(frontier, epoch)
    assert both < alone - 3_000  # Abilene, Prometheus, Colossus 1 and 2, Fairwater Atlanta, Rainier
    pairs = {(s.not_counted[1], s.counted[1]) for s in view.shared}
    assert ("abilene", "openai-oracle-stargate-abilene-texas") in pairs
    assert ("xai-colossus-2", "xai-colossus-2-memphis-tennessee") in pairs
    assert not any("google" in site for pair in pairs for site in pair)  # 1.4 km from Prometheus


def test_cli_table_fits_80_columns(monkeypatch):
    from gigawatt.cli import console

    monkeypatch.setattr(console, "_width", 80)
    result = CliRunner().invoke(app, ["countries", "frontier", "--draws", "100"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in result.stdout
    headers = [line for line in lines if line.startswith("┃")]
    assert len(headers) >= 2  # the years go on in a second table
    cells = [y for line in headers for y in line.replace("┃", " ").split() if y.rstrip("*").isdigit()]
    years = [int(y.rstrip("*")) for y in cells]
    assert years == list(range(years[0], years[-1] + 1))  # every year once, in order
    # frontier's as-of date is 2026-06-30: 2024 and 2025 are observed, marked and footnoted
    assert cells[:3] == ["2024*", "2025*", "2026"]
    footnote = " ".join(result.stdout.split("*: before")[1].split())
    assert footnote.startswith("the as-of date (2026-06-30): capacity observed; a P10–P90 range")
    assert "range between sources, not a forecast." in footnote
    assert any("United States" in line for line in lines)


def test_table_shows_a_band_only_where_it_prints_as_one():
    from gigawatt.commands.scale import _band

    assert _band(0.01, 0.04) == ""  # both print 0.0: no "0.0–0.0"
    assert _band(0.04, 0.26) == "0.0–0.3" and _band(1.0, 1.0) == ""


def test_run_and_countries_agree_at_the_first_year_end_of_frontier():
    """`run` reads year ends on its grid (the last grid day by Dec 31), `countries` from the
    phases' dates: with a week grid they agree; a month grid read end-2024 a month early and
    dropped Fairwater Atlanta's 87 MW online 2024-12-25 (0.162 vs 0.249 GW)."""
    from gigawatt import engine

    frontier = load_scenario("frontier")
    run_gw = engine.run(frontier, draws=256).year_end_table()[0]["facility_gw"]["p50"]
    view = country_view([frontier], draws=256)
    first = view.quantiles.sel(metric="facility_mw", quantile=0.5).isel(time=0)
    assert float(first.sel(group="total")) / 1e3 == pytest.approx(run_gw, rel=0.02)
    assert run_gw > 0.2


def test_a_total_and_a_country_with_the_same_draws_have_the_same_percentiles():
    """All frontier capacity online by end-2025 is in the US: the total equals the US in every
    draw, so its percentiles must too (they differed by a bin when each group had its own bins)."""
    view = country_view([load_scenario("frontier")], draws=500, seed=0)
    q = view.quantiles.sel(time="2025-12-31")
    outside = [g for g in map(str, q.group.values) if g.startswith("country:") and g != "country:US"]
    assert all((q.sel(group=g).values == 0).all() for g in outside)  # nothing else online yet
    for metric in q.metric.values:
        total, us = (q.sel(metric=metric, group=g).values for g in ("total", "country:US"))
        assert total.tolist() == us.tolist() and total[2] > total[0] > 0, metric
