"""Inputs a scenario could not have known on its as-of date are warned about, never refused."""

from __future__ import annotations

import datetime as dt

import pytest

from gigawatt.catalog import load_catalog
from gigawatt.errors import ScenarioError
from gigawatt.scenario import load_scenario, load_scenario_text
from gigawatt.scenario.hindsight import earliest_day

LATER = """
  later-report:
    publication: "A report published after the as-of date"
    date: {date}
    url: https://example.org/later
  earlier-report:
    publication: "A report published before the as-of date"
    date: 2025-06-01
    url: https://example.org/earlier
"""


def _with_sources(small_text: str, cited: str, date: str = "2026-02-01", as_of: str = "2025-09-30") -> str:
    text = small_text.replace("step: week}", f"step: week, as_of: {as_of}}}")
    text = text.replace(
        '        capacity: "500 MW"\n', f'        capacity: "500 MW"\n        source: {cited}\n', 1
    )
    return text + "sources:" + LATER.format(date=date)


def test_an_input_cited_only_by_later_sources_warns_where_it_is_written(small_text):
    text = _with_sources(small_text, "[later-report]")
    [warning] = load_scenario_text(text, file="mine.yaml").warnings
    line = text.splitlines().index("        source: [later-report]") + 1
    assert (warning.file, warning.line) == ("mine.yaml", line)
    assert warning.path == "sites.alpha.power_plan[0].source"
    assert warning.message.startswith("warning: ") and "after as_of 2025-09-30" in warning.message
    assert "later-report (2026-02-01)" in warning.message


def test_an_unknown_source_id_is_a_located_error_not_an_unjudged_citation(small_text):
    text = _with_sources(small_text, "[later-report, unknown-id]")
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, file="mine.yaml")
    line = text.splitlines().index("        source: [later-report, unknown-id]") + 1
    [problem] = info.value.problems
    assert (problem.file, problem.line, problem.path) == (
        "mine.yaml",
        line,
        "sites.alpha.power_plan[0].source[1]",
    )
    assert problem.message == "unknown source 'unknown-id'"


@pytest.mark.parametrize(
    ("cited", "date", "as_of"),
    [
        ("[later-report, earlier-report]", "2026-02-01", "2025-09-30"),  # an earlier source vouches for it
        ("[later-report]", "2025-09", "2025-09-30"),  # a month that may include the as-of date
        ("[later-report]", "2025Q3", "2025-09-30"),
        ("[later-report]", "2025-09-30", "2025-09-30"),  # published on the as-of date: known then
    ],
)
def test_inputs_known_by_the_as_of_date_are_not_warned_about(small_text, cited, date, as_of):
    assert load_scenario_text(_with_sources(small_text, cited, date, as_of)).warnings == []


def test_without_an_as_of_date_nothing_is_judged(small_text):
    text = _with_sources(small_text, "[later-report]").replace(", as_of: 2025-09-30", "")
    assert load_scenario_text(text).warnings == []


def test_partial_source_dates_stand_for_their_first_day():
    assert earliest_day("2026Q2") == dt.date(2026, 4, 1)
    assert earliest_day("2025H2") == dt.date(2025, 7, 1)
    assert earliest_day("2026-01") == dt.date(2026, 1, 1)
    assert earliest_day("2025") == dt.date(2025, 1, 1)
    assert earliest_day("2025-12-15") == dt.date(2025, 12, 15)
    assert earliest_day("soon") is None and earliest_day("2025-13") is None


@pytest.mark.parametrize("name", ["stargate", "stargate-2025-09", "openai-2025q4", "frontier"])
def test_built_in_scenarios_use_nothing_published_after_their_as_of_date(name):
    assert [str(w) for w in load_scenario(name).warnings] == []


def test_the_replays_abilene_gpu_count_is_the_one_known_by_its_as_of_date():
    """stargate-2025-09 (as of 2025-09-30) counts Abilene's GPUs from FT's ~400k (May 2025), not
    from the 400-450k range that DCD's 450k (October 2025) widened later."""
    scenario = load_scenario("stargate-2025-09")
    density = scenario.sites["abilene"].per_accelerator
    assert density is not None and density.facility_power_w.low == density.facility_power_w.high
    as_of = dt.date(2025, 9, 30)
    sources = {**load_catalog().sources, **scenario.sources}
    dates = [earliest_day(sources[s].date) for s in density.source]
    assert all(d is not None and d <= as_of for d in dates)
