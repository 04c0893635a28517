"""Scopes: which capacity a target or a count covers."""

from __future__ import annotations

from gigawatt import engine, load_scenario
from gigawatt.scope import Scope, Subject, narrower

US_LAB = Subject(site="alpha", country="US", region="us-tx", party="lab", programme="stargate")
AE_SITE = Subject(site="uae", country="AE", region="ae", party="lab", programme="stargate")
BLOCK = Subject(country="US", party="lab", programme="other")  # contracted capacity: no site


def test_every_key_must_match():
    assert Scope().matches(US_LAB) and Scope().matches(BLOCK)
    assert Scope(country=["US"]).matches(US_LAB) and not Scope(country=["US"]).matches(AE_SITE)
    assert Scope(country=["US", "AE"], programme=["stargate"]).matches(AE_SITE)
    assert not Scope(country=["US"], party=["other-lab"]).matches(US_LAB)
    assert Scope(sites=["alpha"]).matches(US_LAB) and not Scope(sites=["alpha"]).matches(BLOCK)
    assert not Scope(contracted=False).matches(BLOCK) and Scope(contracted=False).matches(US_LAB)


def test_one_name_reads_as_a_list():
    assert Scope.model_validate({"country": "US"}).country == ["US"]


def test_narrower():
    us = Scope(country=["US"])
    assert narrower(Scope(country=["US"], programme=["stargate"]), us)
    assert narrower(us, Scope())
    assert not narrower(Scope(), us)
    assert not narrower(Scope(country=["US", "AE"]), us)
    assert not narrower(Scope(contracted=True), Scope(contracted=False))


def test_scoped_target_counts_only_its_sites(write, small_text):
    # only beta (us-oh, 150 MW) is inside the scope, so 0.45 GW can never be met there
    text = small_text.replace("    basis: online\n", "    basis: online\n    scope: {region: us-oh}\n")
    scenario = load_scenario(write(text))
    model = engine.Model.from_scenario(scenario)
    ds = engine.simulate_block(model, 0, 0, 1024)
    scoped = engine.target_days(model, ds)["half-gw"]
    assert not (scoped < float("inf")).any()
    wide = engine.Model.from_scenario(load_scenario(write(small_text, "b.yaml")))
    everything = engine.target_days(wide, ds)
    assert (everything["half-gw"] < float("inf")).any()
