"""The run store: records, blocks, crash safety (SIGKILL), resume, concurrent writers, compare."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.engine import Aggregates, Model, aggregate_block
from gigawatt.engine import run as engine_run
from gigawatt.finance import summary as finance_summary
from gigawatt.finance.summary import with_money
from gigawatt.results import VERSION
from gigawatt.runner import Backend
from gigawatt.scenario import load_scenario
from gigawatt.store import (
    Store,
    StoreError,
    aggregates_from_table,
    aggregates_table,
    compare_runs,
    diff_flat,
    draws_table,
    flatten,
    jsonable,
    load_results,
    resume_run,
    run_recorded,
)

CHILD = """
import sys
from gigawatt.store import Store, run_recorded
run_recorded(Store(sys.argv[1]), sys.argv[2], draws=int(sys.argv[3]), seed=7)
"""


def _same(a: dict, b: dict) -> bool:
    """Equal summaries, the recorded one's kind and version aside."""
    a, b = ({k: v for k, v in d.items() if k not in ("kind", "version")} for d in (a, b))
    return json.dumps(jsonable(a), sort_keys=True) == json.dumps(jsonable(b), sort_keys=True)


def _expected(path: Path, draws: int, seed: int) -> dict:
    """What a recorded run's summary should be: the engine's, plus the money entry a run attaches."""
    scenario = load_scenario(path)
    return with_money(engine_run(scenario, draws=draws, seed=seed).summary(), scenario, draws, seed)


def _draw_bytes(store: Store, run_id: str) -> list[bytes]:
    return [f.read_bytes() for f in store.draw_files(run_id)]


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
    assert record.status == "complete"
    assert record.summary == {"kind": "run", "version": VERSION, "p": 0.25, "never": None}
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
    assert _same(record.summary, _expected(path, 3000, 7))


def test_sigkill_never_corrupts_and_resume_is_identical(tmp_path: Path, small_text: str, write) -> None:
    path = write(small_text)
    draws = 8 * 1024
    expected = _expected(path, draws, 7)
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
            # every completed block has its whole per-draw file; nothing else counts as one
            files = store.draw_files(record.id)
            assert len(files) == record.blocks_done
            assert [pq.read_table(f).num_rows for f in files] == [1024] * record.blocks_done
    unfinished = [r for r in store.list_runs() if r.status == "interrupted"]
    assert unfinished, f"no kill landed mid-run ({killed})"
    whole = run_recorded(Store(tmp_path / "whole"), path, draws=draws, seed=7)
    expected_draws = _draw_bytes(Store(tmp_path / "whole"), whole.id)
    assert len(expected_draws) == 8
    for record in unfinished[:2]:  # the newest were killed after writing blocks
        resumed = resume_run(store, record.id)
        assert resumed.status == "complete" and resumed.id == record.id
        assert _same(resumed.summary, expected)
        assert _draw_bytes(store, record.id) == expected_draws  # byte for byte
        assert not list(store.run_dir(record.id).glob(".*.tmp"))
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
    rows = json.loads(listed.stdout)["items"]
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


def test_per_draw_rows_give_the_aggregates_answers(tmp_path: Path, small_text: str, write) -> None:
    path = write(small_text)
    store = Store(tmp_path / "s")
    record = run_recorded(store, path, draws=3000, seed=7)
    assert len(store.draw_files(record.id)) == 3
    counted = store.draw_target_probabilities(record.id)
    assert counted == {t["name"]: t["probability"] for t in record.summary["targets"]}
    assert 0 < counted["half-gw"] < 1  # a real question, not a certainty
    [row] = store.query_draws(
        record.id, "SELECT count(*), count(DISTINCT draw), min(draw), max(draw) FROM draws"
    )
    assert row == (3000, 3000, 0, 2999)
    # the constraint that set the last phase's date: the same counts as the aggregates'
    from gigawatt.engine import CAUSES

    causes = dict(store.query_draws(record.id, "SELECT last_phase_cause, count(*) FROM draws GROUP BY 1"))
    counts = load_results(store, record.id).aggregates.counts
    assert {CAUSES[c]: int(n) for c, n in enumerate(counts["last_phase_cause"]) if n} == {
        k: v for k, v in causes.items() if k is not None
    }
    assert causes.get(None, 0) == int(counts["nothing_online"][0])
    # year-end capacity per draw, facility and IT
    model = Model.from_scenario(load_scenario(path))
    table = draws_table(model, 7, 0, 1024)
    assert table.column("draw").to_pylist() == list(range(1024))
    gw = np.array(table.column("facility_gw:2027").to_pylist())
    assert (gw >= 0).all() and gw.max() <= 0.45 + 1e-9  # 300 MW + 150 MW facility at most
    it_gw = np.array(table.column("it_gw:2027").to_pylist())
    assert (it_gw <= gw + 1e-12).all() and (it_gw < gw).any()  # IT power is facility power over PUE


def test_per_draw_export_cli_and_runs_without_rows(tmp_path: Path, small_text: str, write) -> None:
    root = tmp_path / "s"
    store = Store(root)
    record = run_recorded(store, write(small_text), draws=2048, seed=3)
    cli = CliRunner()
    env = {"GIGAWATT_STORE": str(root)}
    out_parquet, out_csv = tmp_path / "d.parquet", tmp_path / "d.csv"
    for out in (out_parquet, out_csv):
        made = cli.invoke(app, ["runs", "draws", record.id, "-o", str(out)], env=env)
        assert made.exit_code == 0, made.output
    table = pq.read_table(out_parquet)
    assert table.num_rows == 2048 and table.column("draw").to_pylist() == list(range(2048))
    stored = pa.concat_tables([pq.read_table(f) for f in store.draw_files(record.id)])
    assert table.to_pylist() == stored.to_pylist()  # the same rows, in draw order
    lines = out_csv.read_text().splitlines()
    assert len(lines) == 2049 and lines[0].split(",")[:2] == ["draw", "target:half-gw"]
    shown = cli.invoke(app, ["runs", "show", record.id, "--json"], env=env)
    per_draw = json.loads(shown.stdout)["per_draw_targets"]
    assert per_draw == {t["name"]: t["probability"] for t in record.summary["targets"]}
    preview = cli.invoke(app, ["runs", "draws", record.id], env=env)
    assert preview.exit_code == 0 and "target:half-gw" in preview.output
    bad = cli.invoke(app, ["runs", "draws", record.id, "-o", str(tmp_path / "d.txt")], env=env)
    assert bad.exit_code == 2 and "give a .parquet or .csv file" in bad.output
    # a run recorded whole (plan, stress…) has no per-draw rows, and says so
    plain = store.record_run(kind="plan", scenario="x", scenario_text="x", draws=0, seed=0, summary={})
    assert store.draw_target_probabilities(plain.id) is None
    missing = cli.invoke(app, ["runs", "draws", plain.id], env=env)
    assert missing.exit_code == 2 and "no per-draw rows" in missing.output


def test_readers_cache_the_catalogue_until_a_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    reader, writer = Store(tmp_path / "s"), Store(tmp_path / "s")
    first = writer.begin_run(scenario="x", scenario_text="x", draws=2048, seed=0, block_draws=1024)
    assert [r.id for r in reader.list_runs()] == [first]
    opened = []
    real_connect = duckdb.connect
    monkeypatch.setattr(duckdb, "connect", lambda *a, **k: opened.append(a) or real_connect(*a, **k))
    assert reader.get(first).blocks_done == 0 and reader.list_runs()[0].id == first
    assert opened == []  # nothing changed: no catalogue opened
    writer.write_block(first, 0, {"a": [1]})  # progress is seen at once
    assert reader.get(first).blocks_done == 1
    second = writer.begin_run(scenario="y", scenario_text="y", draws=1, seed=0, block_draws=1024)
    opened.clear()
    assert {r.id for r in reader.list_runs()} == {first, second}
    assert reader.get(second).status == "running" and len(opened) == 1  # read once after the write
    writer.finish_run(second, {"done": True})
    assert reader.get(second).summary == {"kind": "run", "version": VERSION, "done": True}
    assert reader.get(second).status == "complete"


def test_a_result_recorded_whole_keeps_its_own_time_and_has_no_blocks(tmp_path):
    store = Store(tmp_path)
    record = store.record_run(
        kind="stress", scenario="s", scenario_text="s", draws=300, seed=0, summary={}, elapsed_s=12.5
    )
    assert record.elapsed_s == 12.5 and record.blocks is None
    assert store.list_runs()[0].brief()["blocks"] is None
    quick = store.record_run(kind="plan", scenario="p", scenario_text="p", draws=0, seed=0, summary={})
    assert quick.elapsed_s is not None and 0 <= quick.elapsed_s < 12.5


@pytest.mark.parametrize("workers", [0, 2])  # in process, or beside a pool: in a process of its own
def test_a_recorded_runs_money_takes_its_first_draws_and_a_failure_of_it_fails_the_run(
    tmp_path: Path, small_text: str, write, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    def failing(results: dict, scenario, draws: int, seed: int, built=None) -> dict:
        where = multiprocessing.current_process().name
        raise ValueError(f"no money today: {None if built is None else built.sizes['draw']} draws in {where}")

    monkeypatch.setattr(finance_summary, "with_money", failing)
    store = Store(tmp_path / "s")
    # the run's own first 2,000 draws (blocks 0 and 1), not simulated again, in the money's process
    message = "no money today: 2000 draws in gigawatt-money"
    with pytest.raises(ValueError, match=message):
        backend = Backend("local", workers=workers) if workers else None
        run_recorded(store, write(small_text), draws=3000, seed=7, block_draws=1024, backend=backend)
    (record,) = store.list_runs()
    assert record.status == "failed" and record.error == f"ValueError: {message}"
