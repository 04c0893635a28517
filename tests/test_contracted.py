"""Contracted capacity: what serves a party besides its own sites, and the programme's share."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt import engine, load_scenario
from gigawatt.engine.demand import serving_capacity
from gigawatt.errors import ScenarioError

DEMAND = """\
demand:
  party: lab
  training: {start: 2026-01-01, level: "0.2 GW", growth_per_year: 0.0}
  inference: {start: 2026-01-01, level: "0.2 GW", growth_per_year: 0.0}
"""

BLOCK = """\
contracted:
  rented:
    provider: cloud
    party: lab
    accelerator: h100
    signed: 2025-06-01
    schedule:
      - {date: 2025-12-01, power: "500 MW"}
"""


def tagged(small_text: str) -> str:
    """The small scenario with alpha in programme `stargate`."""
    return small_text.replace("    name: Alpha\n", "    name: Alpha\n    programme: stargate\n")


def year(results: engine.Results, date: str) -> int:
    return [d[:10] for d in results.serving_table()["dates"]].index(date)


def test_contracted_capacity_serves_demand_and_sets_the_share(write, small_text):
    own = load_scenario(write(tagged(small_text) + DEMAND, "own.yaml"))
    more = load_scenario(write(tagged(small_text) + DEMAND + BLOCK, "more.yaml"))
    a, b = (engine.run(s, draws=1024, seed=3) for s in (own, more))
    i = year(b, "2026-12-31")
    covered_a = a.demand_table()[i]["p_capacity_covers_demand"]
    covered_b = b.demand_table()[i]["p_capacity_covers_demand"]
    assert covered_b == 1.0 > covered_a  # 500 MW rented covers 0.4 GW in every draw
    serving = b.serving_table()
    last = len(serving["dates"]) - 1
    assert serving["facility_gw"]["p50"][last] == pytest.approx(0.5 + 0.3, abs=0.01)
    share = serving["share"]["stargate"]
    # alpha (300 MW, the lab's, stargate) of alpha + 500 MW rented, once alpha is online
    assert share["p50"][last] == pytest.approx(300 / 800, abs=0.011)
    assert all(0.0 <= v <= 1.0 for q in share.values() for v in q)
    assert a.serving_table()["share"] == {}  # nothing contracted: no share to state


def test_demand_party_leaves_out_other_tenants(write, small_text):
    # beta has no tenant: with demand.party it serves nobody's demand
    scenario = load_scenario(write(tagged(small_text) + DEMAND + BLOCK))
    model = engine.Model.from_scenario(scenario)
    ds = engine.simulate_block(model, 0, 0, 1024)
    serving = serving_capacity(model, 0, 0, 1024, ds, engine.contracted_steps(model, ds))
    assert serving["mw"].shape[1] == 1 + 1  # alpha's phase + the rented block, not beta
    assert np.allclose(serving["mw"][:, -1], 500.0)


def test_contracted_capacity_counts_for_scoped_targets(write, small_text):
    text = tagged(small_text) + BLOCK
    text = text.replace('"0.45 GW"\n    by: 2027-12-31', '"0.75 GW"\n    by: 2030-12-31')
    scenario = load_scenario(write(text))
    model = engine.Model.from_scenario(scenario)
    days = engine.target_days(model, engine.simulate_block(model, 0, 0, 1024))["half-gw"]
    assert np.isfinite(days).all()  # 300 MW alpha + 500 MW rented reach 0.75 GW
    text = text.replace("    basis: online\n", "    basis: online\n    scope: {contracted: false}\n")
    model = engine.Model.from_scenario(load_scenario(write(text, "b.yaml")))
    days = engine.target_days(model, engine.simulate_block(model, 0, 0, 1024))["half-gw"]
    assert not np.isfinite(days).any()  # 450 MW of sites alone never do


def test_unknown_provider_and_party_are_located(write, small_text):
    text = small_text + BLOCK.replace("provider: cloud", "provider: clod") + "demand:\n  party: nobody\n"
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(text))
    message = str(err.value)
    assert "contracted.rented.provider: unknown party 'clod'" in message
    assert "demand.party: unknown party 'nobody'" in message
