"""The run store: records, blocks, crash safety (SIGKILL), resume, concurrent writers, compare."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.engine import Aggregates, Model, aggregate_block
from gigawatt.engine import run as engine_run
from gigawatt.scenario import load_scenario
from gigawatt.store import (
    Store,
    StoreError,
    aggregates_from_table,
    aggregates_table,
    compare_runs,
    diff_flat,
    flatten,
    jsonable,
    resume_run,
    run_recorded,
)

CHILD = """
import sys
from gigawatt.store import Store, run_recorded
run_recorded(Store(sys.argv[1]), sys.argv[2], draws=int(sys.argv[3]), seed=7)
"""


def _same(a: dict, b: dict) -> bool:
    return json.dumps(jsonable(a), sort_keys=True) == json.dumps(jsonable(b), sort_keys=True)


def _wait_for_blocks(store: Store, before: int, timeout_s: float) -> None:
    """Until a new run exists and has written at least one block."""
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        runs = store.list_runs()
        if len(runs) > before and runs[0].blocks_done:
            return
        time.sleep(0.02)
    raise AssertionError("the child never wrote a block")


def test_begin_block_finish_and_list(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    run_id = store.begin_run(scenario="x", scenario_text="name: x\n", draws=2048, seed=3, block_draws=1024)
    assert store.get(run_id).status == "running"
    store.write_block(run_id, 1, {"a": np.arange(3.0)})
    store.write_block(run_id, 0, pa.table({"a": [9.0]}))
    assert store.completed_blocks(run_id) == [0, 1]
    assert store.read_blocks(run_id).column("a").to_pylist() == [9.0, 0.0, 1.0, 2.0]
    record = store.finish_run(run_id, {"p": np.float64(0.25), "never": float("inf")})
    assert record.status == "complete" and record.summary == {"p": 0.25, "never": None}
    assert record.blocks_done == 2 and record.blocks_total == 2
    assert store.get(run_id[:6]).id == run_id
    assert [r.id for r in store.list_runs()] == [run_id]
    assert store.remove(run_id) == run_id
    assert store.list_runs() == [] and not store.run_dir(run_id).exists()
    with pytest.raises(StoreError, match="no run"):
        store.get(run_id)
    with pytest.raises(StoreError, match="not a run id"):
        store.get("../etc")


def test_aggregates_round_trip_exactly(small_text: str, write) -> None:
    model = Model.from_scenario(load_scenario(write(small_text)))
    agg = aggregate_block(model, 5, 0, 1024)
    back = aggregates_from_table(aggregates_table(agg))
    assert isinstance(back, Aggregates) and back.draws == agg.draws
    for field in ("date_hist", "counts"):
        ours, theirs = getattr(agg, field), getattr(back, field)
        assert ours.keys() == theirs.keys()
        assert all(np.array_equal(ours[k], theirs[k]) and ours[k].dtype == theirs[k].dtype for k in ours)
    assert all(
        np.array_equal(agg.chunk_sums[c][k], back.chunk_sums[c][k])
        for c in agg.chunk_sums
        for k in agg.chunk_sums[c]
    )


def test_recorded_run_equals_engine_run(tmp_path: Path, small_text: str, write) -> None:
    path = write(small_text)
    record = run_recorded(Store(tmp_path / "s"), path, draws=3000, seed=7)
    assert record.status == "complete" and record.blocks_done == 3
    assert _same(record.summary, engine_run(load_scenario(path), draws=3000, seed=7).summary())


def test_sigkill_never_corrupts_and_resume_is_identical(tmp_path: Path, small_text: str, write) -> None:
    path = write(small_text)
    draws = 8 * 1024
    expected = engine_run(load_scenario(path), draws=draws, seed=7).summary()
    store = Store(tmp_path / "s")
    rng = random.Random(6)
    killed = []
    for attempt in range(3):
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(store.root), str(path), str(draws)])
        if attempt:  # once the run is under way (the first kill lands wherever it lands)
            _wait_for_blocks(store, before=len(store.list_runs()), timeout_s=30)
        time.sleep(rng.uniform(0.0, 0.3))
        child.send_signal(signal.SIGKILL)
        child.wait()
        killed.append(child.returncode)
        for record in store.list_runs():  # the store opens, and nothing half-done claims to be complete
            assert record.status in ("interrupted", "complete")
            assert (record.status == "complete") == (record.summary is not None)
            if record.status == "complete":
                assert record.blocks_done == record.blocks_total
    unfinished = [r for r in store.list_runs() if r.status == "interrupted"]
    assert unfinished, f"no kill landed mid-run ({killed})"
    for record in unfinished[:2]:  # the newest were killed after writing blocks
        resumed = resume_run(store, record.id)
        assert resumed.status == "complete" and resumed.id == record.id
        assert _same(resumed.summary, expected)
    with pytest.raises(StoreError, match="already complete"):
        resume_run(store, unfinished[0].id)


def test_two_concurrent_writers_both_land(tmp_path: Path, small_text: str, write) -> None:
    path = write(small_text)
    root = tmp_path / "s"
    children = [
        subprocess.Popen([sys.executable, "-c", CHILD, str(root), str(path), "2048"]) for _ in range(2)
    ]
    assert [c.wait(timeout=60) for c in children] == [0, 0]
    records = Store(root).list_runs()
    assert len(records) == 2 and {r.status for r in records} == {"complete"}
    assert _same(records[0].summary, records[1].summary)


def test_failed_run_keeps_its_reason(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    run_id = store.begin_run(scenario="x", scenario_text="x", draws=10, seed=0, block_draws=1024)
    store.fail_run(run_id, "ValueError: boom")
    record = store.get(run_id)
    assert record.status == "failed" and record.error == "ValueError: boom" and record.summary is None


def test_flatten_and_diff() -> None:
    a = {"targets": [{"name": "t", "probability": 0.5}], "x": {"y": 1}, "series": list(range(50))}
    b = {"targets": [{"name": "t", "probability": 0.75}], "x": {"y": 1, "z": "new"}}
    assert flatten(a) == {"targets[t].probability": 0.5, "x.y": 1}
    assert diff_flat(flatten(a), flatten(b)) == [
        {"path": "targets[t].probability", "a": 0.5, "b": 0.75, "change": 0.25},
        {"path": "x.z", "a": None, "b": "new"},
    ]


def test_compare_says_what_changed_in_inputs_and_outputs(tmp_path: Path, small_text: str, write) -> None:
    store = Store(tmp_path / "s")
    slow = small_text.replace("online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}", "online: 2029-06-30")
    a = run_recorded(store, write(small_text, "a.yaml"), draws=1024, seed=1)
    b = run_recorded(store, write(slow, "b.yaml"), draws=1024, seed=1)
    result = compare_runs(a, b)
    assert not result["same_scenario"] and result["settings"] == []
    changed = {row["path"] for row in result["inputs"]}
    assert {"sites.alpha.phases[P1].online", "sites.alpha.phases[P1].online.pert[0]"} <= changed
    outputs = {row["path"]: row for row in result["outputs"]}
    assert outputs["targets[half-gw].probability"]["change"] < 0


def test_cli_runs_list_show_compare_rm_and_report(tmp_path: Path, small_text: str, write) -> None:
    root = tmp_path / "s"
    store = Store(root)
    a = run_recorded(store, write(small_text), draws=1024, seed=1)
    b = run_recorded(store, write(small_text), draws=1024, seed=2)
    cli = CliRunner()
    listed = cli.invoke(app, ["runs", "list", "--json", "--store", str(root)])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {r["id"] for r in rows} == {a.id, b.id}
    assert all({"id", "scenario", "created", "draws", "status"} <= set(r) for r in rows)
    env = {"GIGAWATT_STORE": str(root)}
    shown = cli.invoke(app, ["runs", "show", a.id, "--json"], env=env)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["seed"] == 1
    compared = cli.invoke(app, ["runs", "compare", a.id, b.id, "--json"], env=env)
    assert json.loads(compared.stdout)["settings"] == [{"path": "seed", "a": 1, "b": 2, "change": 1.0}]
    out = tmp_path / "r.html"
    made = cli.invoke(app, ["report", a.id, "-o", str(out)], env=env)
    assert made.exit_code == 0 and out.stat().st_size > 1_000_000
    missing = cli.invoke(app, ["runs", "show", "abcdef"], env=env)
    assert missing.exit_code == 2 and "no run 'abcdef'" in missing.output
    assert cli.invoke(app, ["runs", "rm", a.id], env=env).exit_code == 0
    assert [r.id for r in Store(root).list_runs()] == [b.id]
    assert os.path.isdir(root)
