"""Run identity covers everything a run depends on: every `extends` parent, the catalogs,
gigawatt's version and the seed; resume and compare use what the run began with (issue 17)."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from gigawatt.engine import run as engine_run
from gigawatt.finance.summary import with_money
from gigawatt.scenario import load_scenario
from gigawatt.store import Store, StoreError, compare_runs, jsonable, resume_run, run_recorded

CHILD = "extends: parent.yaml\nname: child\n"


class _Killed(Exception):
    """Stands for the process dying after its first block."""


def _kill_after_first_block(done: int, total: int) -> None:
    if done == 1 and total > 1:
        raise _Killed


def _summary(path: Path, draws: int, seed: int) -> str:
    scenario = load_scenario(path)
    summary = with_money(engine_run(scenario, draws=draws, seed=seed).summary(), scenario, draws, seed)
    return json.dumps(jsonable(summary), sort_keys=True)


def _stored(summary: dict) -> str:
    """A stored summary as :func:`_summary` writes one: without the kind and version the store stamps."""
    bare = {k: v for k, v in summary.items() if k not in ("kind", "version")}
    return json.dumps(jsonable(bare), sort_keys=True)


def _chain(tmp_path: Path, small_text: str) -> tuple[Path, Path]:
    parent = tmp_path / "parent.yaml"
    parent.write_text(small_text)
    child = tmp_path / "child.yaml"
    child.write_text(CHILD)
    return parent, child


def test_resume_after_parent_edit_never_mixes(tmp_path: Path, small_text: str) -> None:
    parent, child = _chain(tmp_path, small_text)
    store = Store(tmp_path / "s")
    original = _summary(child, 3072, 5)
    with pytest.raises(_Killed):
        run_recorded(store, child, draws=3072, seed=5, block_draws=1024, progress=_kill_after_first_block)
    [interrupted] = store.list_runs()
    assert interrupted.status == "failed" and interrupted.blocks_done == 1
    # the parent changes: its first phase can no longer be built in the horizon
    parent.write_text(small_text.replace('power: "300 MW"', 'power: "10 MW"'))
    edited = _summary(child, 3072, 5)
    assert edited != original
    resumed = resume_run(store, interrupted.id)
    assert resumed.status == "complete"
    assert _stored(resumed.summary) == original
    assert resumed.run_hash == interrupted.run_hash
    fresh = run_recorded(store, child, draws=3072, seed=5, block_draws=1024)
    assert fresh.scenario_hash != resumed.scenario_hash and fresh.run_hash != resumed.run_hash
    assert _stored(fresh.summary) == edited


def test_run_hash_covers_seed_version_and_catalogs(tmp_path: Path, small_text: str, monkeypatch) -> None:
    parent, child = _chain(tmp_path, small_text)
    store = Store(tmp_path / "s")
    a = store.record_result(child, "child", draws=1, seed=1, summary={})
    b = store.record_result(child, "child", draws=1, seed=2, summary={})
    assert a.scenario_hash == b.scenario_hash and a.run_hash != b.run_hash
    assert "name: child" in (a.resolved_text or "") and "300 MW" in (a.resolved_text or "")
    assert "extends" not in (a.resolved_text or "")
    # another version or other catalogs: resuming would mix two models' blocks
    import gigawatt.resolved

    with pytest.raises(_Killed):
        run_recorded(store, child, draws=2048, seed=5, block_draws=1024, progress=_kill_after_first_block)
    interrupted = store.list_runs()[0]
    monkeypatch.setattr(gigawatt.resolved, "catalog_sha256", lambda: "another catalog")
    with pytest.raises(StoreError, match="cannot be resumed"):
        resume_run(store, interrupted.id)
    assert store.get(interrupted.id).status == "failed"  # left as it was


def test_compare_uses_recorded_resolved_inputs(tmp_path: Path, small_text: str) -> None:
    parent, child = _chain(tmp_path, small_text)
    store = Store(tmp_path / "s")
    a = run_recorded(store, child, draws=1024, seed=1)
    b = run_recorded(store, child, draws=1024, seed=1)
    # editing the parent afterwards changes neither run's recorded inputs
    parent.write_text(small_text.replace('power: "300 MW"', 'power: "10 MW"'))
    same = compare_runs(a, b)
    assert same["same_scenario"] and same["inputs"] == [] and same["outputs"] == []
    c = run_recorded(store, child, draws=1024, seed=1)
    changed = compare_runs(a, c)
    assert not changed["same_scenario"]
    assert [row["path"] for row in changed["inputs"]] == ["sites.alpha.phases[P1].power"]


def test_records_without_resolved_inputs_still_load(tmp_path: Path, small_text: str) -> None:
    """Runs recorded before the resolved scenario was kept resume as before."""
    store = Store(tmp_path / "s")
    path = tmp_path / "plain.yaml"
    path.write_text(small_text)
    record = run_recorded(store, path, draws=1024, seed=1)
    legacy = dataclasses.replace(record, resolved_text=None, run_hash=None)
    from gigawatt.store import scenario_of

    assert scenario_of(legacy).name == scenario_of(record).name == "small"


def test_cli_resume_after_parent_edit_says_so_and_never_mixes(tmp_path: Path, small_text: str) -> None:
    from typer.testing import CliRunner

    from gigawatt.cli import app

    parent, child = _chain(tmp_path, small_text)
    store = Store(tmp_path / "s")
    original = _summary(child, 2048, 5)
    with pytest.raises(_Killed):
        run_recorded(store, child, draws=2048, seed=5, block_draws=1024, progress=_kill_after_first_block)
    run_id = store.list_runs()[0].id
    parent.write_text(small_text.replace('power: "300 MW"', 'power: "10 MW"'))
    result = CliRunner().invoke(app, ["run", "--resume", run_id, "--store", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    assert "files changed since run" in " ".join(result.stdout.split())
    assert _stored(store.get(run_id).summary) == original
