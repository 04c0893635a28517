"""Announced options (``probability`` below 1): built in some draws only; in the others never
online, taking nothing from the phases that are built; the rest of the run unchanged."""

from __future__ import annotations

import numpy as np
import pytest

from gigawatt import ScenarioError, load_scenario, load_scenario_text
from gigawatt.engine import CAUSES, Model, simulate_block

OPTION = "        status: announced\n        probability: 0.3\n"


def test_an_option_is_built_in_its_share_of_draws(small_text):
    scenario = load_scenario_text(small_text.replace("        status: announced\n", OPTION, 1))
    model = Model.from_scenario(scenario)
    ds = simulate_block(model, 0, 0, 4096)
    k = [ph.site for ph in model.phases].index("beta")
    never = ~np.isfinite(ds.online_date.values[:, k])
    skipped = ds.critical.values[:, k] == CAUSES.index("not built")
    assert skipped.mean() == pytest.approx(0.7, abs=0.03)
    assert never[skipped].all()  # not built: never online
    # the other phases are drawn as without the option (common random numbers, one new path)
    plain = simulate_block(Model.from_scenario(load_scenario_text(small_text)), 0, 0, 4096)
    alpha = [ph.site for ph in model.phases].index("alpha")
    np.testing.assert_array_equal(ds.online_date.values[:, alpha], plain.online_date.values[:, alpha])
    built = ~skipped
    np.testing.assert_array_equal(ds.online_date.values[built, k], plain.online_date.values[built, k])


def test_probability_only_on_announced_phases(small_text, write):
    text = small_text.replace(
        "        status: committed\n", "        status: committed\n        probability: 0.5\n", 1
    )
    with pytest.raises(ScenarioError, match="applies to announced phases only"):
        load_scenario(write(text))
    with pytest.raises(ScenarioError, match="probability"):
        load_scenario_text(small_text.replace("        status: announced\n", OPTION.replace("0.3", "1.5"), 1))


def test_stargate_options_are_the_announced_expansions():
    model = Model.from_scenario(load_scenario("stargate"))
    options = {ph.id for ph in model.phases if ph.probability < 1}
    assert options == {
        "stargate-norway/Phase 2 (expansion +290 MW)",
        "stargate-india/Option to scale to 1 GW",
    }
