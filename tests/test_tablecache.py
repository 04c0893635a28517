"""PERT tables kept between commands: read back bit for bit, never trusted when broken."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gigawatt import distributions, tablecache

SHAPES = [(2.0, 3.5), (1.25, 4.75), (3.0, 3.0)]


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """No tables in this process and no store: each test installs its own."""
    monkeypatch.setattr(distributions, "_TABLES", {})
    monkeypatch.setattr(distributions, "table_store", None)


def _draw(a: float, b: float) -> np.ndarray:
    low, high = 10.0, 20.0  # a PERT whose Beta shape is (a, b): mode from a
    mode = low + (a - 1) / 4 * (high - low)
    assert distributions._pert_shape(low, mode, high) == pytest.approx((a, b))
    return distributions._pert_values((low, mode, high), np.random.default_rng(1).random(5000))


def test_tables_read_back_are_the_tables_computed(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = tablecache.FileTableStore(tmp_path)
    distributions.table_store = first
    computed = {(a, b): distributions._beta_quantiles(a, b) for a, b in SHAPES}
    first.save()
    assert first.path.exists()

    monkeypatch.setattr(distributions, "_TABLES", {})
    distributions.table_store = tablecache.FileTableStore(tmp_path)

    def refuse(a: float, b: float) -> np.ndarray:
        raise AssertionError("computed again although the file holds it")

    monkeypatch.setattr(distributions, "beta_quantile_table", refuse)
    for shape, (base, step) in computed.items():
        again = distributions._beta_quantiles(*shape)
        assert np.array_equal(again[0], base) and np.array_equal(again[1], step)


def test_draws_are_the_same_with_and_without_the_file(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plain = _draw(2.0, 4.0)
    monkeypatch.setattr(distributions, "_TABLES", {})
    store = tablecache.FileTableStore(tmp_path)
    distributions.table_store = store
    _draw(2.0, 4.0)
    store.save()
    monkeypatch.setattr(distributions, "_TABLES", {})
    distributions.table_store = tablecache.FileTableStore(tmp_path)
    assert np.array_equal(_draw(2.0, 4.0), plain)


@pytest.mark.parametrize(
    "content",
    [b"not a numpy file", b""],
    ids=["garbage", "empty"],
)
def test_a_broken_file_is_ignored_and_written_anew(fresh: None, tmp_path: Path, content: bytes) -> None:
    store = tablecache.FileTableStore(tmp_path)
    store.path.write_bytes(content)
    distributions.table_store = store
    base, _ = distributions._beta_quantiles(2.0, 3.5)
    store.save()
    assert tablecache.FileTableStore(tmp_path).get(2.0, 3.5) is not None
    assert base[0] == 0.0


def test_tables_that_are_not_quantiles_are_not_used(fresh: None, tmp_path: Path) -> None:
    store = tablecache.FileTableStore(tmp_path)
    bad = np.full((1, distributions._QUANTILE_STEPS + 1), np.nan)
    np.savez(store.path, shapes=np.array([[2.0, 3.5]]), quantiles=bad)
    assert store.get(2.0, 3.5) is None


def test_saving_keeps_tables_another_command_added(fresh: None, tmp_path: Path) -> None:
    one, two = tablecache.FileTableStore(tmp_path), tablecache.FileTableStore(tmp_path)
    one.put(2.0, 3.5, distributions.beta_quantile_table(2.0, 3.5))
    two.put(1.25, 4.75, distributions.beta_quantile_table(1.25, 4.75))
    one.save()
    two.save()
    reread = tablecache.FileTableStore(tmp_path)
    assert reread.get(2.0, 3.5) is not None and reread.get(1.25, 4.75) is not None


def test_an_unwritable_folder_means_no_cache(fresh: None, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder would be")
    store = tablecache.FileTableStore(blocker / "sub")
    store.put(2.0, 3.5, distributions.beta_quantile_table(2.0, 3.5))
    store.save()  # no exception
    assert not (blocker / "sub").exists()


def test_the_environment_names_the_folder_or_turns_it_off(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GIGAWATT_CACHE_DIR", str(tmp_path))
    assert tablecache.cache_dir() == tmp_path
    monkeypatch.setenv("GIGAWATT_CACHE_DIR", "")
    assert tablecache.cache_dir() is None
    monkeypatch.delenv("GIGAWATT_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert tablecache.cache_dir() == tmp_path / "gigawatt"


def test_a_run_writes_the_cache_and_a_second_run_gives_the_same_answer(tmp_path: Path) -> None:
    env = {**os.environ, "GIGAWATT_CACHE_DIR": str(tmp_path)}
    args = [
        sys.executable,
        "-m",
        "gigawatt.cli",
        "run",
        "stargate",
        "--draws",
        "200",
        "--no-record",
        "--json",
    ]
    outputs = [
        subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout for _ in range(2)
    ]
    assert list(tmp_path.glob("beta-quantiles-*.npz"))
    assert json.loads(outputs[0]) == json.loads(outputs[1])


def test_a_file_keeps_the_newest_tables_only(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tablecache, "MOST_TABLES", 2)
    table = distributions.beta_quantile_table(2.0, 3.5)
    for a in (1.5, 2.5, 3.5):
        store = tablecache.FileTableStore(tmp_path)
        store.put(a, 3.0, table)
        store.save()
    kept = tablecache.FileTableStore(tmp_path)
    assert [kept.get(a, 3.0) is not None for a in (1.5, 2.5, 3.5)] == [False, True, True]


def test_a_write_that_fails_leaves_no_temporary_file(
    fresh: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tablecache.FileTableStore(tmp_path)
    store.put(2.0, 3.5, distributions.beta_quantile_table(2.0, 3.5))

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tablecache.np, "savez", full_disk)
    store.save()  # no exception
    assert list(tmp_path.iterdir()) == []
