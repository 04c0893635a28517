"""The options commands share (defined once in ``gigawatt.commands.options``) and the one helper
that records a result of any kind in the run store."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import typer

from gigawatt.cli import app
from gigawatt.commands import options
from gigawatt.results import VERSION
from gigawatt.store import Store


def _params(command: str) -> dict[str, Any]:
    """A command's parameters by name, as typer's click builds them."""
    group: Any = typer.main.get_command(app)
    return {p.name: p for p in group.commands[command].params if p.name}


@pytest.mark.parametrize("command", ["run", "sensitivity", "plan", "stress"])
def test_store_record_and_seed_read_alike_in_every_command(command: str) -> None:
    params = _params(command)
    store, record, seed = params["store_dir"], params["record"], params["seed"]
    assert store.opts == ["--store"] and store.envvar == "GIGAWATT_STORE"
    assert record.opts == ["--record"] and record.secondary_opts == ["--no-record"] and record.default is True
    assert seed.default == 0 and "same seed, same numbers" in (getattr(seed, "help", "") or "")


@pytest.mark.parametrize("command", ["run", "sensitivity", "countries"])
def test_backend_options_read_alike(command: str) -> None:
    params = _params(command)
    for name, defined in (
        ("backend", options.BackendOpt),
        ("address", options.AddressOpt),
        ("workers", options.RunWorkersOpt if command == "run" else options.WorkersOpt),
    ):
        assert params[name].help == defined.__metadata__[0].help
    assert params["address"].default is None
    # `run` picks one worker per core by default (0)
    assert params["workers"].min == (0 if command == "run" else 1)
    assert command != "run" or params["workers"].default == 0


def test_record_result_records_any_kind_and_says_where(
    tmp_path: Path, write, small_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(small_text)
    root = tmp_path / "store"
    started = time.perf_counter()
    done = options.record_result(
        True, root, str(path), "small", kind="stress", started=started, summary={"x": 1.5}, draws=7, seed=3
    )
    assert done is not None and done.root == root
    run = Store(root).get(done.run.id)
    assert run.kind == "stress" and run.draws == 7 and run.seed == 3 and run.status == "complete"
    assert run.summary == {"kind": "stress", "version": VERSION, "x": 1.5}
    assert run.scenario == "small" and run.scenario_text == small_text
    assert run.elapsed_s is not None and 0 <= run.elapsed_s < time.perf_counter() - started + 1
    options.print_recorded(done)
    assert f"recorded as run {done.run.id} in {root}" in " ".join(capsys.readouterr().out.split())


def test_no_record_records_nothing_and_says_nothing(
    tmp_path: Path, write, small_text: str, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "store"
    kept = options.record_result(
        False, root, str(write(small_text)), "small", kind="plan", started=0.0, summary={}
    )
    assert kept is None and not root.exists()
    options.print_recorded(None)
    assert capsys.readouterr().out == ""


def test_a_run_without_recording_never_loads_the_store(tmp_path: Path, write, small_text: str) -> None:
    """``run --no-record`` imports neither the store nor DuckDB (start-up time)."""
    path = write(small_text)
    code = (
        "import sys; from gigawatt.cli import main\n"
        f"sys.argv = ['gigawatt', 'run', {str(path)!r}, '--draws', '64', '--no-record', '--json']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('gigawatt.store', 'duckdb'))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert json.loads(out.splitlines()[-1].replace("'", '"')) == []
    assert not (tmp_path / ".gigawatt").exists()
