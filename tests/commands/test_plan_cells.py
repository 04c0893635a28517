"""`plan`'s site table says why a site that would pay is not built, not half a sentence."""

from __future__ import annotations

from gigawatt.commands.plan import _site_cells


def _row(why: str) -> dict:
    return {"why": why, "build_mw": 0.0, "build_mw_by_period": [0.0, 0.0]}


def test_a_site_that_would_pay_says_why_it_is_not_built() -> None:
    why = (
        "not built although a MW built in 2030Q4 (grid, vera-rubin-nvl144) would cost $5.9M and meet "
        "$11.6M of demand: the shared limits (supply_a (accelerators shipped per quarter), supply_b "
        "(facility MW built per quarter)) go to sites that save more"
    )
    cells = _site_cells(_row(why), ["2030Q3", "2030Q4"])
    assert cells == ("—", "—", "—", "0", "not built: the shared limits go to sites that save more")


def test_a_site_demand_does_not_need_keeps_its_short_reason() -> None:
    cells = _site_cells(_row("not built: demand met without it (in every quarter …)"), ["2030Q3", "2030Q4"])
    assert cells[-1] == "not built: demand met without it"
