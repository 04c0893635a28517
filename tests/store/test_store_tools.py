"""`gigawatt runs verify` / `runs repair`, and store errors as one line (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.store import Store, jsonable, resume_run, run_recorded
from gigawatt.store.verify import repair, verify

runner = CliRunner()


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _one_line_error(result, needle: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0], result.stderr


def _recorded(tmp_path: Path, small_text: str, write, draws: int = 2048):
    root = tmp_path / "s"
    store = Store(root)
    record = run_recorded(store, write(small_text), draws=draws, seed=4, block_draws=1024)
    return root, store, record


def test_verify_detects_a_truncated_block_and_repair_lets_resume_recompute_it(
    tmp_path: Path, small_text: str, write
) -> None:
    root, store, record = _recorded(tmp_path, small_text, write)
    assert verify(store) == []
    clean = runner.invoke(app, ["runs", "verify", "--store", str(root)])
    assert clean.exit_code == 0 and "0 damaged or missing files" in clean.stdout
    _truncate(store.run_dir(record.id) / "block-000001.parquet")
    found = runner.invoke(app, ["runs", "verify", record.id, "--store", str(root)])
    assert found.exit_code == 1
    assert f"run {record.id}: block-000001.parquet: unreadable" in found.stdout
    # the damage is no longer silent: resume does not say "already complete" after repair
    fixed = repair(store)
    assert fixed.set_aside == [f"{record.id}/block-000001.parquet", f"{record.id}/draws-000001.parquet"]
    assert fixed.to_resume == [record.id]
    assert store.get(record.id).status == "failed"
    assert verify(store) == []
    resumed = resume_run(store, record.id)
    assert resumed.status == "complete"
    assert json.dumps(jsonable(resumed.summary), sort_keys=True) == json.dumps(
        jsonable(record.summary), sort_keys=True
    )


def test_verify_detects_a_per_draw_file_with_wrong_rows(tmp_path: Path, small_text: str, write) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    _, store, record = _recorded(tmp_path, small_text, write)
    path = store.run_dir(record.id) / "draws-000000.parquet"
    pq.write_table(pq.read_table(path).slice(0, 10), path)
    [damage] = verify(store, record.id)
    assert damage.file == "draws-000000.parquet" and "10 rows for draws 0..1023" in damage.problem
    other = store.run_dir(record.id) / "block-000000.parquet"
    pq.write_table(pa.table({"a": [1]}), other)
    assert any("not an engine block" in d.problem for d in verify(store, record.id))


def test_corrupted_per_draw_rows_in_runs_show_is_one_line(tmp_path: Path, small_text: str, write) -> None:
    root, store, record = _recorded(tmp_path, small_text, write)
    _truncate(store.run_dir(record.id) / "draws-000000.parquet")
    shown = runner.invoke(app, ["runs", "show", record.id, "--store", str(root)])
    _one_line_error(shown, f"cannot read run {record.id}'s per-draw rows")


def test_truncated_catalogue_is_one_line_and_repair_rebuilds_it(
    tmp_path: Path, small_text: str, write
) -> None:
    root, store, record = _recorded(tmp_path, small_text, write)
    unfinished = store.begin_run(scenario="x", scenario_text="name: x\n", draws=10, seed=0, block_draws=1024)
    catalogue = root / "catalog.duckdb"
    catalogue.write_bytes(catalogue.read_bytes()[:5000])
    for args in (["runs", "list"], ["runs", "show", record.id]):
        _one_line_error(runner.invoke(app, [*args, "--store", str(root)]), "runs repair")
    fixed = runner.invoke(app, ["runs", "repair", "--store", str(root), "--json"])
    assert fixed.exit_code == 0, fixed.output
    report = json.loads(fixed.stdout)
    assert report["catalogue_rebuilt"] and sorted(report["restored"]) == sorted([record.id, unfinished])
    again = Store(root)
    restored = again.get(record.id)
    assert restored.status == "complete" and restored.summary == json.loads(
        json.dumps(jsonable(record.summary))
    )
    assert restored.run_hash == record.run_hash and restored.resolved_text == record.resolved_text
    assert again.get(unfinished).status == "failed"  # resumable
    assert list(root.glob("catalog.duckdb.damaged-*"))  # set aside, not deleted


def test_store_pointing_at_a_regular_file_is_one_line(tmp_path: Path, small_text: str, write) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = runner.invoke(
        app, ["run", str(write(small_text)), "--draws", "10", "--store", str(not_a_folder)]
    )
    _one_line_error(result, "cannot use")
    listed = runner.invoke(app, ["runs", "list", "--store", str(not_a_folder)])
    assert listed.exit_code in (0, 2) and "Traceback" not in listed.output
