"""Programme commitments: capex spent by a date, worked by hand, and Stargate's $500B pledge."""

import numpy as np
import pytest
import xarray as xr

from gigawatt.errors import ScenarioError
from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.commitments import capex_spent_usd, commitment_check, commitments_summary
from gigawatt.scenario import Commitment, load_scenario


def phases() -> xr.Dataset:
    # two draws, two phases of 100 MW: built over days 0-100 and 100-300 (never online in draw 1)
    return xr.Dataset(
        {
            "facility_mw": (("draw", "phase"), np.full((2, 2), 100.0)),
            "start_date": (("draw", "phase"), np.array([[0.0, 100.0], [0.0, 100.0]])),
            "online_date": (("draw", "phase"), np.array([[100.0, 300.0], [100.0, np.inf]])),
        },
        coords={"site": ("phase", ["x", "y"]), "programme": ("phase", ["p", "q"])},
    )


def test_capex_is_spent_evenly_from_start_to_online():
    spent = capex_spent_usd(phases(), np.array([1e6, 1e6]), 200.0, np.array([True, True]))
    # draw 0: phase x done (100 MW) + half of y (50 MW); draw 1: y never comes online
    assert spent.tolist() == pytest.approx([150e6, 100e6])


def test_commitment_met_in_the_share_of_draws_that_reach_it():
    pledge = Commitment.model_validate({"capex": "$140M", "by": "1970-07-20"})  # day 200
    check = commitment_check(pledge, phases(), np.array([1e6, 1e6]), np.array([140e6, 140e6]))
    assert check["probability_met"] == 0.5
    assert check["phases"] == 2
    only_q = Commitment.model_validate({"capex": "$40M", "by": "1970-07-20", "programme": "q"})
    assert commitment_check(only_q, phases(), np.array([1e6, 1e6]), np.array([40e6] * 2))["phases"] == 1


def test_stargate_500b_pledge_is_checked_against_simulated_capex():
    scenario = load_scenario("stargate")
    ds = buildout(scenario, 80, 0)
    money = simulate_money(scenario, ds, 0)
    check = commitments_summary(scenario, ds, money.parameters)["stargate-500b"]
    assert check["pledge_usd"] == 500e9 and check["by"] == "2029-01-21"
    spent = check["capex_spent_usd"]
    assert 0 < spent["p10"] <= spent["p50"] <= spent["p90"]
    assert 0.0 <= check["probability_met"] <= 1.0
    # the share met is the share of draws whose spend reaches the pledge
    chosen = ds.programme.values == "stargate"
    draws = capex_spent_usd(
        ds,
        money.parameters["per_gw.capex_per_gw_facility"] / 1000,
        scenario.commitments["stargate-500b"].by_date.mid,
        chosen,
    )
    assert check["probability_met"] == pytest.approx(float(np.mean(draws >= 500e9)))


def test_unknown_programme_is_a_located_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "extends: stargate\nname: bad\ncommitments:\n  x:\n"
        "    capex: $1B\n    by: 2028-01-01\n    programme: stargat\n"
    )
    with pytest.raises(ScenarioError, match=r"bad.yaml:7:.*commitments.x.programme"):
        load_scenario(path)
