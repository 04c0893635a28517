"""A forecast target no draw can meet by its date (every phase at its earliest possible date and
largest size) is unreachable, not a 0% forecast (review 3, finding 10)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import load_scenario
from gigawatt.cli import app
from gigawatt.engine import Model, run, simulate_block
from gigawatt.engine.targets import earliest_days

# alpha's 300 MW come online from 2026-03-31 at the earliest (its pert's lower bound); beta's
# 150 MW have no planned date, so from the as-of date (the grid's start here) on
TARGETS = """\
  alpha-too-early:
    power: "0.4 GW"
    by: 2026-03-30
    basis: online
  alpha-just-in-time:
    power: "0.4 GW"
    by: 2026-04-30
    basis: online
"""


def test_a_target_due_before_its_phases_can_be_online_is_unreachable_by_its_date(write, small_text):
    scenario = load_scenario(write(small_text + TARGETS))
    rows = {t["name"]: t for t in run(scenario, draws=2048, seed=0).target_table()}
    early, in_time = rows["alpha-too-early"], rows["alpha-just-in-time"]
    # big enough by size (0.45 GW), too early by date: no draw meets it, and it says why
    assert early["ceiling_gw"] == pytest.approx(0.45) and early["forecast"]
    assert not early["reachable"] and early["probability"] == 0.0
    reason = early["unreachable_reason"]
    assert "holds at most 0.15 GW facility by 2026-03-30" in reason and "alpha/P1 2026-03-31" in reason
    # a month later alpha can be online: reachable, a forecast, whatever its probability
    assert in_time["reachable"] and "unreachable_reason" not in in_time
    # a reachable target never says so, and the 0.45 GW one is unchanged
    assert rows["half-gw"]["reachable"] and "unreachable_reason" not in rows["half-gw"]


def test_earliest_days_bound_every_draw(write, small_text):
    """The bound holds in the simulation: no phase comes online (or starts) before it."""
    model = Model.from_scenario(load_scenario(write(small_text)))
    ds = simulate_block(model, seed=5, start=0, stop=4096)
    online, start = ds["online_date"].values, ds["start_date"].values
    assert (online >= earliest_days(model, "online")[None, :]).all()
    # neither phase is under construction at the as-of date: counted from its start, never before as_of
    assert (np.maximum(start, model.as_of_day) >= earliest_days(model, "under_construction")[None, :]).all()
    assert earliest_days(model, "online")[0] == 20543.0  # alpha/P1: 2026-03-31, its pert's low


def test_an_observation_can_pull_a_site_earlier_than_its_planned_dates(write, small_text):
    # 300 MW observed online at alpha by 2026-05-15, while its own dates (committed) start later:
    # the observation bounds the earliest date too, so the bound never rules out what was observed
    late = small_text.replace(
        "{pert: [2026-03-31, 2026-09-30, 2027-06-30]}", "{pert: [2026-06-01, 2026-09-30, 2027-06-30]}"
    )
    text = late.replace("step: week}", "step: week, as_of: 2026-06-30}") + (
        'observations:\n  sites:\n    - {site: alpha, date: 2026-05-15, power: "300 MW", source: [x]}\n'
        "sources:\n  x: {publication: A report, date: 2026-05-20, url: https://example.org/x}\n"
    )
    model = Model.from_scenario(load_scenario(write(text)))
    assert earliest_days(model, "online")[0] == 20588.0  # 2026-05-15, before the planned 2026-06-01


def test_cli_and_json_say_unreachable_by_its_date(write, small_text):
    path = str(write(small_text + TARGETS))
    env = {"COLUMNS": "80"}
    text = CliRunner().invoke(app, ["run", path, "--draws", "512", "--no-record"], env=env)
    assert text.exit_code == 0, text.output
    line = " ".join(text.stdout.split())
    assert "alpha-too-early: unreachable by its date, not forecast: its scope (everything) holds" in line
    assert "alpha-just-in-time: unreachable" not in line
    row = next(r for r in text.stdout.splitlines() if "alpha-too-early" in r)
    assert "0.0%" not in row and "after end" not in row
    out = CliRunner().invoke(app, ["run", path, "--draws", "512", "--no-record", "--json"])
    target = next(t for t in json.loads(out.stdout)["targets"] if t["name"] == "alpha-too-early")
    assert target["reachable"] is False and "earliest possible date" in target["unreachable_reason"]


def test_the_stargate_2025_09_replay_s_1_5_gw_is_unreachable_by_its_date():
    """Milam phase 2 comes online from 2027-06-30 at the earliest, after the 2027-03-23 deadline;
    Lordstown and Milam phase 1 alone hold at most 0.9 GW (review 3, finding 10)."""
    rows = {t["name"]: t for t in run(load_scenario("stargate-2025-09"), draws=256, seed=0).target_table()}
    target = rows["lordstown-milam-1-5gw"]
    assert target["ceiling_gw"] >= 1.5 and not target["reachable"]
    assert "holds at most 0.90 GW facility by 2027-03-23" in target["unreachable_reason"]
    assert "milam/Phase 2 2027-06-30" in target["unreachable_reason"]
    assert rows["abilene-complete-2026"]["reachable"]
