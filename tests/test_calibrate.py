"""Calibration of stage priors against build histories (synthetic fixture; real file when present)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_catalog, units
from gigawatt.calibrate import calibrate, catalog_band, fit_lognormal
from gigawatt.cli import app

FIXTURE = Path(__file__).parent / "fixtures" / "epoch_timelines.csv"
AS_OF = units.parse_date("2025-12-15")
_CANDIDATES = (Path("/work/shared/data/epoch"), Path(__file__).parents[2] / "shared" / "data" / "epoch")
EPOCH = next((p for p in _CANDIDATES if (p / "data_center_timelines_part.csv").exists()), None)


def test_fit_lognormal_matches_closed_form():
    fit = fit_lognormal(np.array([78.142857, 52.285714]))
    # MLE: median is the geometric mean, sigma the (population) sd of the logs.
    sigma = math.log(78.142857 / 52.285714) / 2
    assert fit.p50_weeks == pytest.approx(math.sqrt(78.142857 * 52.285714), rel=1e-4)
    assert fit.p50_weeks == pytest.approx(63.92, abs=0.01)
    assert fit.p90_weeks == pytest.approx(fit.p50_weeks * math.exp(1.2815516 * sigma), rel=1e-3)
    assert fit.p10_weeks == pytest.approx(49.41, abs=0.02)


def test_censored_spans_lengthen_the_fit():
    seen = np.array([50.0, 60.0, 70.0])
    plain = fit_lognormal(seen)
    longer = fit_lognormal(seen, censored_weeks=np.array([150.0, 200.0]))
    assert longer.n == 3 and longer.p50_weeks > plain.p50_weeks * 1.2
    # a span open for less than every observed one hardly moves the fit
    short = fit_lognormal(seen, censored_weeks=np.array([5.0]))
    assert short.p50_weeks == pytest.approx(plain.p50_weeks, rel=0.01)


def test_catalog_band_single_stage_is_its_quantiles():
    catalog = load_catalog()
    dist = catalog.cost("stages", "it_fit_out").dist()
    p10, p50, p90 = catalog_band(("it_fit_out",), catalog)
    assert (p10, p90) == (pytest.approx(float(dist.ppf(0.1))), pytest.approx(float(dist.ppf(0.9))))
    both = catalog_band(("it_fit_out", "commissioning"), catalog)
    assert both[0] > p10 and both[2] > p90  # adding a stage moves the band right


def test_calibrate_fixture():
    result = calibrate(FIXTURE.read_text(encoding="utf-8"), as_of_date=AS_OF)
    first = result.spans["first_building"]
    seen = [(o.site, o.from_line, o.to_line, round(o.duration_weeks, 4)) for o in first.observations]
    # Alpha: 2023-01-01 → 2024-07-01 (547 days); Omega: 2024-01-01 → 2025-01-01 (366 days);
    # Zeta: not operational by the as-of date (its 2026 row is a projection) → censored.
    assert seen == [
        ("Alpha Campus Texas", 2, 3, round(547 / 7, 4)),
        ("Omega Campus", 7, 8, round(366 / 7, 4)),
        ("Zeta Campus", 9, None, round(197 / 7, 4)),
    ]
    assert [o.censored for o in first.observations] == [False, False, True]
    assert first.fit is not None and first.fit.n == 2
    assert first.fit.p50_weeks == pytest.approx(63.92, abs=0.01)
    assert first.stages == ("site_and_shell", "it_fit_out", "commissioning")
    # The catalog band (~55-109 weeks) holds Alpha (78 wk) but not Omega (52 wk).
    assert first.catalog_p10_weeks is not None and 52.3 < first.catalog_p10_weeks < 78.1
    assert (first.inside, first.coverage, first.censored_beyond_p90) == (1, 0.5, 0)
    roof = result.spans["roof_to_operational"]
    assert [(o.from_line, o.to_line, round(o.duration_weeks, 4)) for o in roof.observations] == [
        (4, 5, round(151 / 7, 4))
    ]
    assert roof.fit is None and (roof.inside, roof.coverage) == (1, 1.0)
    cadence = result.spans["building_cadence"]
    # Alpha's closed gap (2024-07-01 → 2025-03-01), and its next gap still open at the as-of
    # date (a 2026 building is stated): right-censored at 2025-03-01 → 2025-12-15
    assert [(round(o.duration_weeks, 4), o.censored) for o in cadence.observations] == [
        (round(243 / 7, 4), False),
        (round(289 / 7, 4), True),
    ]
    assert cadence.coverage is None
    assert [(i.line, i.message) for i in result.issues] == [(11, "unreadable Date")]


def test_cli_calibrate_json():
    result = CliRunner().invoke(app, ["calibrate", str(FIXTURE), "--as-of", "2025-12-15", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["spans"]["first_building"]["coverage"] == 0.5
    assert data["as_of"] == "2025-12-15" and "as_of_date" not in data
    assert data["spans"]["first_building"]["fit"]["p50_weeks"] == pytest.approx(63.92, abs=0.01)
    table = CliRunner().invoke(app, ["calibrate", str(FIXTURE), "--as-of", "2025-12-15"])
    assert table.exit_code == 0 and "first_building" in table.stdout
    assert "observed by 2025-12-15" in " ".join(table.stdout.split())


def test_cli_calibrate_bad_as_of_exits_2():
    result = CliRunner().invoke(app, ["calibrate", str(FIXTURE), "--as-of", "someday"])
    assert result.exit_code == 2 and "--as-of" in result.stderr


@pytest.mark.skipif(EPOCH is None, reason="Epoch AI's CSVs are not in ../shared/data/epoch")
def test_real_timelines():
    assert EPOCH is not None
    text = (EPOCH / "data_center_timelines_part.csv").read_text(encoding="utf-8")
    result = calibrate(text, as_of_date=AS_OF)
    first = result.spans["first_building"]
    done = [o for o in first.observations if not o.censored]
    assert (len(done), len(first.observations) - len(done)) == (9, 2)
    colossus = next(o for o in done if o.site.startswith("xAI Colossus 1"))
    assert colossus.duration_weeks == pytest.approx(109 / 7)  # 2024-04-24 → 2024-08-11
    assert (first.inside, first.coverage) == (4, pytest.approx(4 / 9))
    # the two open campuses (Ridgeland, Helios) enter as right-censored: the uncensored-only
    # median was 83.2 weeks
    assert first.fit is not None and first.fit.p50_weeks == pytest.approx(88.98, abs=0.05)
    roof = result.spans["roof_to_operational"]
    assert (roof.inside, sum(not o.censored for o in roof.observations)) == (2, 2)
    gaps = result.spans["building_cadence"].observations
    # 24 closed gaps; 8 campuses with more power stated than online have one gap still open
    assert (sum(not o.censored for o in gaps), sum(o.censored for o in gaps)) == (24, 8)
    # xAI Colossus 1 falls from 424 to 348 MW twice: each row set aside with its line
    assert [i.line for i in result.issues if "power falls" in i.message] == [88, 89]
