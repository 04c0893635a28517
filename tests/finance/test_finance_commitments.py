"""Programme commitments: capex spent by a date, worked by hand, and Stargate's $500B pledge."""

import numpy as np
import pytest
import xarray as xr

from gigawatt.errors import ScenarioError
from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.chips import capex_spent_by_usd, chip_lead_days
from gigawatt.finance.commitments import commitment_check, commitments_summary
from gigawatt.scenario import Commitment, load_scenario


def phases() -> xr.Dataset:
    # two draws, two phases of 100 MW: built over days 0-100 and 100-300 (never online in draw 1)
    return xr.Dataset(
        {
            "facility_mw": (("draw", "phase"), np.full((2, 2), 100.0)),
            "start_date": (("draw", "phase"), np.array([[0.0, 100.0], [0.0, 100.0]])),
            "online_date": (("draw", "phase"), np.array([[100.0, 300.0], [100.0, np.inf]])),
        },
        coords={
            "site": ("phase", ["x", "y"]),
            "programme": ("phase", ["p", "q"]),
            "country": ("phase", ["US", "AE"]),
        },
    )


#: two draws: $1M per MW all in, 60% of it IT equipment, chips delivered 4 + 1 = 5 weeks before online
P = {
    "per_gw.capex_per_gw_facility": np.array([1e9, 1e9]),
    "per_gw.compute_share_of_capex": np.array([0.6, 0.6]),
    "chips.lead.it_fit_out": np.array([4.0, 4.0]),
    "chips.lead.commissioning": np.array([1.0, 1.0]),
}


def test_construction_is_paid_as_built_and_chips_at_delivery():
    both = np.array([True, True])
    assert chip_lead_days(P).tolist() == [35.0, 35.0]
    # day 200: draw 0 has x done (100 MW) and y half built; y's chips come at day 265
    construction = capex_spent_by_usd(phases(), P, 200.0, both, "construction")
    assert construction.tolist() == pytest.approx([0.4 * 150e6, 0.4 * 100e6])
    it = capex_spent_by_usd(phases(), P, 200.0, both, "it")
    assert it.tolist() == pytest.approx([0.6 * 100e6, 0.6 * 100e6])
    assert capex_spent_by_usd(phases(), P, 270.0, both, "it").tolist() == pytest.approx([120e6, 60e6])
    total = capex_spent_by_usd(phases(), P, 200.0, both)
    assert total.tolist() == pytest.approx((construction + it).tolist())


def test_commitment_met_in_the_share_of_draws_that_reach_it():
    pledge = Commitment.model_validate({"capex": "$110M", "by": "1970-07-20"})  # by day 200: $120M, $100M
    check = commitment_check(pledge, phases(), P, np.array([110e6, 110e6]))
    assert check["probability_met"] == 0.5 and check["counts"] == "all"
    assert check["phases"] == 2
    only_q = Commitment.model_validate({"capex": "$40M", "by": "1970-07-20", "programme": "q"})
    assert commitment_check(only_q, phases(), P, np.array([40e6] * 2))["phases"] == 1
    in_us = Commitment.model_validate({"capex": "$40M", "by": "1970-07-20", "country": "US"})
    assert commitment_check(in_us, phases(), P, np.array([40e6] * 2))["phases"] == 1
    # counting only construction, the same pledge is met in no draw
    built = Commitment.model_validate({"capex": "$110M", "by": "1970-07-20", "counts": "construction"})
    assert commitment_check(built, phases(), P, np.array([110e6, 110e6]))["probability_met"] == 0.0


def test_stargate_500b_pledge_is_checked_against_simulated_capex():
    scenario = load_scenario("stargate")
    ds = buildout(scenario, 80, 0)
    money = simulate_money(scenario, ds, 0)
    check = commitments_summary(scenario, ds, money.parameters)["stargate-500b"]
    assert check["pledge_usd"] == 500e9 and check["by"] == "2029-01-21"
    spent = check["capex_spent_usd"]
    assert 0 < spent["p10"] <= spent["p50"] <= spent["p90"]
    assert 0.0 <= check["probability_met"] <= 1.0
    # the share met is the share of draws whose spend reaches the pledge, on the US sites only
    chosen = (ds.programme.values == "stargate") & (ds.country.values == "US")
    assert check["phases"] == int(chosen.sum()) < int((ds.programme.values == "stargate").sum())
    assert check["scope"] == "programme stargate, country US"
    draws = capex_spent_by_usd(
        ds, money.parameters, scenario.commitments["stargate-500b"].by_date.mid, chosen
    )
    assert check["probability_met"] == pytest.approx(float(np.mean(draws >= 500e9)))


@pytest.mark.parametrize(("key", "value"), [("programme", "stargat"), ("country", "USA")])
def test_unknown_programme_or_country_is_a_located_error(tmp_path, key, value):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "extends: stargate\nname: bad\ncommitments:\n  x:\n"
        f"    capex: $1B\n    by: 2028-01-01\n    {key}: {value}\n"
    )
    with pytest.raises(ScenarioError, match=rf"bad.yaml:7:.*commitments.x.{key}: unknown {key}"):
        load_scenario(path)
