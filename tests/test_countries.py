"""Capacity by country and world region: exact totals, counting shared sites once, the CLI."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_scenario
from gigawatt.backends import Backend
from gigawatt.catalog import load_catalog
from gigawatt.cli import app
from gigawatt.countries import country_view, world_region
from gigawatt.engine import Model, simulate_block

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


def test_cli_json(deterministic, write):
    path = write(DETERMINISTIC.format(name="det", b_mw=200), "det.yaml")
    result = CliRunner().invoke(app, ["countries", str(path), "--draws", "100", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["groups"]["country:US"]["facility_mw"]["p50"] == [300, 300, 500]
    assert data["dates"][0] == "2025-12-31"


def test_cli_bad_metric_is_a_clear_error():
    result = CliRunner().invoke(app, ["countries", "frontier", "--metric", "watts"])
    assert result.exit_code == 2
    assert "--metric" in result.output


def test_figure_has_one_trace_per_country(deterministic):
    from gigawatt.countries import countries_figure

    fig = countries_figure(country_view([deterministic], draws=100))
    assert sorted(trace.name for trace in fig.data) == ["NO", "US"]
    us = next(trace for trace in fig.data if trace.name == "US")
    assert list(us.y) == [0.3, 0.3, 0.5]  # facility GW, P50
