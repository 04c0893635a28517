"""What-if scenarios: the form's changes written as an ``extends:`` scenario that loads."""

from __future__ import annotations

import pytest

from gigawatt.scenario import load_scenario, load_scenario_text
from gigawatt.whatif import WhatIf, WhatIfError, choices, whatif_text


def _load(change: WhatIf):  # type: ignore[no-untyped-def]
    text = whatif_text("stargate", change)
    assert text.splitlines()[1] == "extends: stargate"
    return load_scenario_text(text, files=False)


def test_a_site_slips_a_year_its_forecasts_move_its_facts_stay() -> None:
    base = load_scenario("stargate")
    slipped = _load(WhatIf(shift_months={"shackelford": 12}))
    as_of = base.time.as_of_day
    for old, new in zip(base.sites["shackelford"].phases, slipped.sites["shackelford"].phases, strict=True):
        assert new.online_date is not None and old.online_date is not None
        assert 360 <= new.online_date.mid - old.online_date.mid <= 370
        assert old.start_date is not None and new.start_date is not None
        if old.start_date.is_fixed and old.start_date.mid <= as_of:  # observed: a fact
            assert new.start_date.mid == old.start_date.mid
    for old_source, new_source in zip(
        base.sites["shackelford"].power_plan, slipped.sites["shackelford"].power_plan, strict=True
    ):
        assert old_source.available_date is not None and new_source.available_date is not None
        assert new_source.available_date.low > old_source.available_date.low
    # every other site as it was
    assert slipped.sites["abilene"] == base.sites["abilene"]


def test_a_delay_leaves_online_phases_alone() -> None:
    base = load_scenario("stargate")
    late = _load(WhatIf(delay_months=6))
    for old, new in zip(base.sites["abilene"].phases, late.sites["abilene"].phases, strict=True):
        if old.status == "online":
            assert new.online_date == old.online_date
        else:
            assert new.online_date is not None and old.online_date is not None
            assert new.online_date.mid > old.online_date.mid + 150


def test_a_site_left_out_drops_from_every_list_that_names_it() -> None:
    base = load_scenario("stargate")
    without = _load(WhatIf(sites_off=["shackelford"], demand_growth_pct_per_year=40, supply_share_pct=30))
    assert "shackelford" not in without.sites and len(without.sites) == len(base.sites) - 1
    for target in without.targets.values():
        assert "shackelford" not in (target.sites or [])
    assert "shackelford-lease" in base.contracts and "shackelford-lease" not in without.contracts
    for stream in without.demand.streams.values():
        assert stream.growth_per_year.is_fixed and stream.growth_per_year.mid == pytest.approx(0.4)
    shares = {k: s.share.mid for k, s in without.supply.items() if s.resource == "accelerators"}
    assert shares and all(v == pytest.approx(0.3) for v in shares.values())
    assert "left out: shackelford" in without.description


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (WhatIf(shift_months={"shackelford": 99}), "shift_months.shackelford"),
        (WhatIf(shift_months={"atlantis": 3}), "shift_months.atlantis"),
        (WhatIf(sites_off=["atlantis"]), "sites_off.atlantis"),
        (WhatIf(sites_off=[s["id"] for s in choices("stargate")["sites"]]), "sites_off"),
    ],
)
def test_what_the_base_lacks_or_out_of_range_names_its_field(change: WhatIf, field: str) -> None:
    with pytest.raises(WhatIfError) as caught:
        whatif_text("stargate", change)
    assert caught.value.field == field
