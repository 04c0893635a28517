"""A contract that follows a ``contracted:`` block pays for the capacity the buildout counts,
draw by draw (the same random numbers: sampling is keyed by path), not a copy drawn apart."""

from __future__ import annotations

import numpy as np

from gigawatt import engine
from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.model import contract_capacity
from gigawatt.sampling import sample
from gigawatt.scenario import load_scenario


def test_amd_purchase_and_warrant_follow_the_contracted_block() -> None:
    scenario = load_scenario("stargate")  # the AMD block's later GW are a range here: MW vary by draw
    assert scenario.contracts["openai-amd-purchase"].contracted == "amd"
    ds = buildout(scenario, 300, 0)
    money = simulate_money(scenario, ds, 0)
    model = engine.Model.from_scenario(scenario)
    paths = [k for k in model.parameters if k.startswith("contracted.amd.schedule")]
    drawn = sample({k: model.parameters[k] for k in paths}, 0, 0, 300)  # as the buildout drew them
    for name in ("openai-amd-purchase", "amd-openai-warrant"):
        capacity = contract_capacity(scenario, name, ds, money.parameters)
        for i in range(len(scenario.contracted["amd"].schedule)):
            np.testing.assert_array_equal(capacity.date[:, i], drawn[f"contracted.amd.schedule[{i}].date"])
            np.testing.assert_array_equal(capacity.mw[:, i], drawn[f"contracted.amd.schedule[{i}].power"])
    # what OpenAI pays AMD rises with the MW the block brings in that draw
    paid = money.book.totals()[money.book.contract == "openai-amd-purchase"].sum(axis=0)
    mw = sum(
        drawn[f"contracted.amd.schedule[{i}].power"] for i in range(len(scenario.contracted["amd"].schedule))
    )
    assert np.corrcoef(paid, mw)[0, 1] > 0.5
