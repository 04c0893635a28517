"""Observed facts: targets decided by them, draws conditioned on them, bad ones refused."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import engine, load_scenario
from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.observations import outcome

runner = CliRunner()

FACTS = """\
observations:
  sites:
    - {site: alpha, date: 2026-05-15, power: "300 MW", source: [x]}
  counts:
    - {date: 2025-06-30, power: "0.3 GW", basis: committed, scope: {country: US}, source: [x]}
    - {date: 2026-02-01, power: "0.5 GW", basis: secured, scope: {country: US, party: lab}, source: [x]}
sources:
  x: {publication: "A report of the facts", date: 2026-05-20, url: https://example.org/x}
"""


def with_facts(small_text: str, as_of: str = "2026-06-30", extra: str = "") -> str:
    text = small_text.replace("step: week}", f"step: week, as_of: {as_of}}}")
    return text + FACTS + extra


def test_site_observation_fixes_online_date(write, small_text):
    # alpha's phase is only `committed` in the site data, online P10..P90 spanning mid-2026 to mid-2027;
    # the observation (300 MW online by 2026-05-15) makes that a fact in every draw
    plain = small_text.replace("step: week}", "step: week, as_of: 2026-06-30}")
    base = load_scenario(write(plain, "base.yaml"))
    facts = load_scenario(write(with_facts(small_text), "facts.yaml"))
    day = 20588.0  # 2026-05-15
    for scenario, always in ((base, False), (facts, True)):
        model = engine.Model.from_scenario(scenario)
        ds = engine.simulate_block(model, 0, 0, 1024)
        online = ds["online_date"].sel(phase="alpha/P1").values
        assert bool((online <= day).all()) is always
        if always:
            assert (ds["critical"].sel(phase="alpha/P1").values == engine.CAUSES.index("observed")).all()


def test_observation_keeps_later_phases_after_its_date(write, small_text):
    text = with_facts(small_text).replace('power: "300 MW", source: [x]', 'power: "0 MW", source: [x]')
    model = engine.Model.from_scenario(load_scenario(write(text)))
    online = engine.simulate_block(model, 0, 0, 1024)["online_date"].sel(phase="alpha/P1").values
    assert (online > 20588.0).all()


def test_past_target_is_an_observed_outcome(write, small_text):
    targets = """\
targets:
  early:
    power: "0.45 GW"
    by: 2025-12-31
    basis: committed
  secured:
    power: "0.5 GW"
    by: 2029-12-31
    basis: secured
    scope: {country: US}
  later:
    power: "0.45 GW"
    by: 2028-12-31
    basis: online
"""
    text = with_facts(small_text).replace(small_text[small_text.index("targets:") :], targets)
    scenario = load_scenario(write(text))
    early = outcome(scenario, scenario.targets["early"])
    assert early is not None and not early.met and early.met_on is None  # 0.3 GW < 0.45 GW by then
    secured = outcome(scenario, scenario.targets["secured"])
    assert secured is not None and secured.met and secured.met_on == 20485.0  # 2026-02-01, before as_of
    assert outcome(scenario, scenario.targets["later"]) is None  # a forecast
    rows = {r["name"]: r for r in engine.run(scenario, draws=1024, seed=1).target_table()}
    # a fact: met or missed, never a probability or a date quantile
    assert rows["early"]["observed"] and rows["early"]["met"] is False and rows["early"]["met_on"] is None
    assert rows["secured"]["observed"] and rows["secured"]["met"] is True
    assert rows["secured"]["met_on"] == "2026-02-01"
    for name in ("early", "secured"):
        assert rows[name]["probability"] is None and rows[name]["p50_date"] is rows[name]["p90_date"] is None
    assert rows["later"]["observed"] is False and 0.0 <= rows["later"]["probability"] <= 1.0


def test_count_with_a_wider_scope_does_not_decide(write, small_text):
    # a count over the whole US says nothing certain about one party's part of it
    targets = """\
targets:
  lab-only:
    power: "0.2 GW"
    by: 2025-12-31
    basis: committed
    scope: {party: lab}
"""
    text = with_facts(small_text).replace(small_text[small_text.index("targets:") :], targets)
    text = text.replace("scope: {country: US, party: lab}", "scope: {country: US}")
    scenario = load_scenario(write(text))
    result = outcome(scenario, scenario.targets["lab-only"])
    # decided by the sites' own facts instead: alpha (lab's, 300 MW committed, announced before as_of)
    assert result is not None and result.decided_by.startswith("site")


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (("date: 2026-05-15", "date: 2026-08-01"), "observations.sites[0].date", "after time.as_of"),
        (('"300 MW", source', '"900 MW", source'), "observations.sites[0].power", "site's own size"),
        (("site: alpha,", "site: gamma,"), "observations.sites[0].site", "unknown site"),
        (("date: 2025-06-30", "date: 2027-01-01"), "observations.counts[0].date", "after time.as_of"),
        (("scope: {country: US}", "scope: {country: FR}"), "observations.counts[0].scope", "matches no site"),
    ],
)
def test_bad_observations_are_located(write, small_text, change, path, message):
    text = with_facts(small_text).replace(*change)
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(text))
    text_err = str(err.value)
    assert f": {path}: " in text_err and message in text_err
    assert "scenario.yaml:" in text_err


def test_observation_below_phases_online_is_refused(write, small_text):
    committed = (
        "status: committed\n        start: 2025-03-01\n"
        "        online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}"
    )
    text = (
        with_facts(small_text)
        .replace(committed, "status: online\n        start: 2025-03-01\n        online: 2026-01-31")
        .replace('power: "300 MW", source', 'power: "100 MW", source')
    )
    with pytest.raises(ScenarioError, match="phases online by then"):
        load_scenario(write(text))


def test_target_scope_matching_nothing_exits_2(write, small_text):
    text = small_text.replace("    basis: online\n", "    basis: online\n    scope: {country: DE}\n")
    path = write(text)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:" in result.stderr
    assert "targets.half-gw.scope: scope (country DE) matches no site" in result.stderr
    assert "Traceback" not in result.output


def test_stargate_json_targets_all_say_observed(tmp_path):
    result = runner.invoke(
        app, ["run", "stargate", "--draws", "1024", "--seed", "0", "--json", "--store", str(tmp_path / "s")]
    )
    assert result.exit_code == 0, result.output
    targets = json.loads(result.stdout)["targets"]
    assert targets and all(isinstance(t["observed"], bool) for t in targets)
    by_name = {t["name"]: t for t in targets}
    # the seed's goal is a fact at mid-2026: missed (OpenAI's counts: ~7 GW, >8 GW; 10 GW only in April 2026)
    seed = by_name["ten-gw-committed-2025"]
    assert seed["observed"] and seed["met"] is False and seed["met_on"] is None
    assert seed["reached_on"] == "2026-04-29"
    secured = by_name["ten-gw-secured-2029"]
    assert secured["observed"] and secured["met"] is True and secured["met_on"] == "2026-04-29"
    for t in targets:
        if t["observed"]:  # a fact: no probability, no P50/P90 date
            assert t["probability"] is None and t["p50_date"] is None and t["p90_date"] is None
        else:
            assert "met_on" not in t
    assert "five-gw-online-2027" not in by_name  # no source for it


def test_observed_targets_print_met_on_never_under_p50(write, small_text):
    """Review 3, finding 9: an observed target reads "met on D" in a table of its own, at 80
    columns; no "P50 date" column holds its date."""
    targets = """\
targets:
  secured:
    power: "0.5 GW"
    by: 2029-12-31
    basis: secured
    scope: {country: US}
  early:
    power: "0.45 GW"
    by: 2025-12-31
    basis: committed
  later:
    power: "0.45 GW"
    by: 2028-12-31
    basis: online
"""
    text = with_facts(small_text).replace(small_text[small_text.index("targets:") :], targets)
    out = runner.invoke(
        app, ["run", str(write(text)), "--draws", "512", "--no-record"], env={"COLUMNS": "80"}
    )
    assert out.exit_code == 0, out.output
    lines = out.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    forecast, facts = out.stdout.split("Targets decided by facts")
    assert "later" in forecast and "secured" not in forecast and "P50 date" in forecast
    assert "P50" not in facts.split("Capacity online")[0]
    row = next(line for line in lines if "│ secured" in line)
    assert "met on 2026-02-01" in row and "%" not in row
    row = next(line for line in lines if "│ early" in line)
    assert "missed" in row and "%" not in row
    assert "decided by facts by the as-of date (the programme's own counts), not drawn" in " ".join(
        facts.split()
    )


def test_loi_era_scenario_runs_and_compares(tmp_path):
    store = str(tmp_path / "s")
    ids = []
    for name in ("stargate-2025-09", "stargate"):
        args = ["run", name, "--draws", "1024", "--seed", "0", "--json", "--store", store]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        ids.append(json.loads(result.stdout))
    early, late = ids
    assert early["as_of"] == "2025-09-30"
    by_name = {t["name"]: t for t in early["targets"]}
    seed = by_name["ten-gw-committed-2025"]
    # undecided on 2025-09-30, and not forecast either: commitments after the as-of date are not
    # modelled, so a committed-basis target only says what was committed by then
    assert seed["observed"] is False and seed["forecast"] is False and seed["probability"] == 0.0
    abilene = by_name["abilene-complete-2026"]
    assert abilene["forecast"] is True  # online dates are simulated
    # the Sept-2025 dates have tails past the end-2026 target: a forecast that cannot miss is an input
    assert 0.5 < abilene["probability"] < 1.0
    text = " ".join(
        runner.invoke(app, ["run", "stargate-2025-09", "--draws", "256", "--no-record"]).output.split()
    )
    assert "–: not forecast." in text and "ten-gw-committed-2025: not met by what is committed" in text
    from gigawatt.store import Store

    runs = Store(tmp_path / "s").list_runs()
    a = next(r.id for r in runs if r.scenario == "stargate-2025-09")
    b = next(r.id for r in runs if r.scenario == "stargate")
    result = runner.invoke(app, ["runs", "compare", a, b, "--store", store], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    head = result.stdout.split("Settings")[0]
    assert "as of" in head and "stargate share P50 2028" in head
    assert "ten-gw-committed-2025: observed — A: not forecast; B: missed, reached 2026-04-29" in head
    wide = runner.invoke(app, ["runs", "compare", a, b, "--store", store], env={"COLUMNS": "160"}).stdout
    secured = " ".join(next(line for line in wide.splitlines() if "P(ten-gw-secured-" in line).split())
    # a target not forecast and one observed met are facts: no 0% against 100%, no SE, no star
    assert "not forecast" in secured and "met" in secured and "%" not in secured, secured
    data = json.loads(runner.invoke(app, ["runs", "compare", a, b, "--store", store, "--json"]).stdout)
    rows = {r["name"]: r for r in data["headline"]}
    for name in ("P(ten-gw-secured-2029)", "P(ten-gw-committed-2025)"):
        assert rows[name]["a"] == "not forecast" and rows[name]["facts"] == [True, True]
        assert rows[name]["se"] is None and rows[name]["p_value"] is None and not rows[name]["significant"]
    assert rows["P(ten-gw-secured-2029)"]["b"] == "met (observed)"
    assert rows["ten-gw-secured-2029: P50 date"] == {
        **rows["ten-gw-secured-2029: P50 date"],
        "a": None,
        "b": "2026-04-29",
    }
    assert rows["P(ten-gw-committed-2025)"]["b"] == "missed (observed)"
    assert rows["as of"]["diff"] == 273 and rows["as of"]["se"] is None  # a fact, not tested
    # year ends before a run's as-of date are observed there: shown, not tested
    assert rows["2024 end facility GW, P50"]["facts"] == [True, True]
    assert rows["2025 end facility GW, P50"]["facts"] == [False, True]  # A's as-of is 2025-09-30
    assert rows["2026 end facility GW, P50"]["facts"] == [False, False]
    facts = [r for r in data["headline"] if any(r["facts"])]
    assert facts and all(r["se"] is None and r["p_value"] is None and not r["significant"] for r in facts)
    # the Holm family (and the count of significant differences) holds the tested figures only
    assert data["tested"] == sum(r["p_value"] is not None for r in data["headline"])
    # not tested either: the as-of dates and two outcome lines
    untested = [r["name"] for r in data["headline"] if not any(r["facts"]) and r["p_value"] is None]
    assert data["tested"] == len(data["headline"]) - len(facts) - 3, untested
    # Lordstown + Milam's 1.5 GW is above what B's two sites can hold, and in A beyond what they
    # can hold by 2027-03-23 (Milam phase 2 online from 2027-06-30): unreachable in both, a fact
    assert rows["P(lordstown-milam-1-5gw)"]["a"] == rows["P(lordstown-milam-1-5gw)"]["b"] == "unreachable"
    assert rows["P(lordstown-milam-1-5gw)"]["facts"] == [True, True]
    assert f"of {data['tested']} tested differences significant" in " ".join(head.split())
    # `runs show`: an observed target's outcome in words, no probability (it has none)
    shown = " ".join(runner.invoke(app, ["runs", "show", b, "--store", store]).stdout.split())
    assert (
        "target ten-gw-secured-2029: 10 GW facility secured by 2029-01-21: met on 2026-04-29 (observed)"
        in shown
    )
    assert (
        "target lordstown-milam-1-5gw: 1.5 GW facility online by 2027-03-23: unreachable, not forecast"
        in shown
    )
    assert "abilene-complete-2026: P(1.18 GW facility online by 2026-12-31) = " in shown
    same = json.loads(runner.invoke(app, ["runs", "compare", b, b, "--store", store, "--json"]).stdout)
    same_rows = {r["name"]: r for r in same["headline"]}
    assert same_rows["P(ten-gw-secured-2029)"]["a"] == "met (observed)"
    assert same_rows["P(ten-gw-secured-2029)"]["p_value"] is None and same["significant"] == 0
    for name in ("stargate share P50 2028", "serving facility GW P50 2028", "P(demand covered) 2028"):
        assert rows[name]["se"] > 0 and rows[name]["p_value"] is not None
    # serving capacity at a year end before B's as-of date is observed in B: a fact, not tested
    for name in ("serving facility GW P50 2025", "stargate share P50 2025"):
        assert rows[name]["facts"] == [False, True] and rows[name]["p_value"] is None, rows[name]
    assert "P(demand covered) 2025" not in rows  # B has no demand forecast before its as-of date
    assert np.isfinite(late["serving"]["facility_gw"]["p50"][-1])
