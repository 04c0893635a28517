"""The one block loop: every feature on every executor, and the same numbers bit for bit."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gigawatt.runner import Backend
from gigawatt.store import Store, jsonable, resume_run, run_recorded

DASK = Backend("dask", workers=1, processes=False)

CHILD = """
import sys
from gigawatt.runner import Backend
from gigawatt.store import Store, run_recorded
run_recorded(Store(sys.argv[1]), sys.argv[2], draws=int(sys.argv[3]), seed=7, block_draws=1024,
             backend=Backend("dask", workers=1, processes=False))
"""


def _text(summary: dict) -> str:
    return json.dumps(jsonable(summary), sort_keys=True)


def _rows(store: Store, run_id: str) -> list[bytes]:
    return [f.read_bytes() for f in store.draw_files(run_id)]


@pytest.mark.parametrize("backend", [Backend("local", workers=2), DASK], ids=["local", "dask"])
def test_recording_rows_and_progress_are_the_same_on_every_executor(
    tmp_path, small_text, write, backend, monkeypatch
):
    from gigawatt.engine import blocks

    warmed: list[object] = []
    warm = blocks.warm
    monkeypatch.setattr(blocks, "warm", lambda model: warmed.append(model) or warm(model))
    path = write(small_text)
    base = run_recorded(Store(tmp_path / "a"), path, draws=3 * 1024, seed=7, block_draws=1024)
    seen: list[tuple[int, int]] = []
    other = run_recorded(
        Store(tmp_path / "b"),
        path,
        draws=3 * 1024,
        seed=7,
        block_draws=1024,
        backend=backend,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert other.status == "complete" and other.blocks_done == 3
    assert _text(other.summary) == _text(base.summary)
    assert _rows(Store(tmp_path / "b"), other.id) == _rows(Store(tmp_path / "a"), base.id)  # byte for byte
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert len(warmed) == (1 if backend.kind == "local" else 0)  # a pool is warmed before it forks


@pytest.mark.slow
def test_a_killed_dask_run_resumes_to_the_same_numbers(tmp_path, small_text, write):
    path = write(small_text)
    draws = 8 * 1024
    store = Store(tmp_path / "s")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(store.root), str(path), str(draws)])
    end = time.monotonic() + 60
    while time.monotonic() < end:
        runs = store.list_runs()
        if runs and 1 <= runs[0].blocks_done < 8:
            break
        assert child.poll() is None, "the run ended before it could be killed"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait()
    (record,) = store.list_runs()
    assert record.status == "interrupted" and 1 <= record.blocks_done < 8
    resumed = resume_run(store, record.id, backend=DASK)
    assert resumed.status == "complete" and resumed.blocks_done == 8
    whole_store = Store(tmp_path / "whole")
    whole = run_recorded(whole_store, path, draws=draws, seed=7, block_draws=1024)
    assert _text(resumed.summary) == _text(whole.summary)
    assert _rows(store, record.id) == _rows(whole_store, whole.id)


def test_no_module_keeps_its_own_block_loop_or_pool():
    src = Path(__file__).resolve().parent.parent / "src" / "gigawatt"
    for name in ("engine", "backends", "store", "countries", "plan", "sensitivity"):
        module = src / f"{name}.py"  # a module, or a package of them
        for path in [module] if module.is_file() else sorted((src / name).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert "ProcessPoolExecutor" not in text, path
            assert "as_completed" not in text, path


def test_a_recorded_run_computes_its_money_on_the_draws_it_simulated(tmp_path, monkeypatch):
    from gigawatt.finance import summary

    def no_second_simulation(*args, **kwargs):
        raise AssertionError("the money's draws were simulated again")

    monkeypatch.setattr(summary, "buildout", no_second_simulation)
    record = run_recorded(Store(tmp_path / "s"), "stargate", draws=2048, seed=3, block_draws=1024)
    assert record.summary["money"]["draws"] == 2000
    monkeypatch.undo()
    from gigawatt import engine, load_scenario

    scenario = load_scenario("stargate")
    expected = summary.with_money(engine.run(scenario, draws=2048, seed=3).summary(), scenario, 2048, 3)
    assert _text(record.summary["money"]) == _text(expected["money"])  # as if simulated again


def test_auto_workers_uses_the_cores_but_never_more_than_the_blocks(monkeypatch):
    import os

    from gigawatt.runner import auto_workers

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    assert [auto_workers(n) for n in (1, 2, 3, 13)] == [1, 2, 3, 3]


def test_groups_shrink_to_single_blocks_so_the_workers_finish_together():
    from gigawatt.runner import Backend, group_sizes

    pool = Backend("local", workers=2)
    sizes = group_sizes(13, pool, per_block=False)
    assert sum(sizes) == 13
    assert sizes == sorted(sizes, reverse=True)  # large tasks first
    assert sizes[0] > 1 and sizes[-4:] == [1, 1, 1, 1]
    assert max(group_sizes(1000, pool, per_block=False)) == 16
    assert group_sizes(5, pool, per_block=True) == [1] * 5  # each block's output kept
    assert group_sizes(5, Backend(), per_block=False) == [1] * 5
