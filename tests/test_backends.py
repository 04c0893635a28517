"""Backends: Dask and process pools give the in-process results bit for bit; clear errors."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from gigawatt import engine, load_scenario
from gigawatt.backends import Backend, run
from gigawatt.cli import app
from gigawatt.errors import GigawattError


@pytest.fixture(scope="module")
def stargate():
    return load_scenario("stargate")


def _same(a: engine.Aggregates, b: engine.Aggregates) -> None:
    assert a.draws == b.draws
    for name in ("hist", "date_hist", "counts"):
        left, right = getattr(a, name), getattr(b, name)
        assert left.keys() == right.keys()
        for key in left:
            np.testing.assert_array_equal(left[key], right[key], err_msg=f"{name}[{key}]")
    assert a.chunk_sums.keys() == b.chunk_sums.keys()
    for chunk in a.chunk_sums:
        for key, value in a.chunk_sums[chunk].items():
            np.testing.assert_array_equal(value, b.chunk_sums[chunk][key])


def test_dask_is_bit_identical_to_in_process(stargate):
    """Two Dask workers, blocks of one chunk, a window smaller than the blocks: same numbers."""
    local = engine.run(stargate, draws=3000, seed=7, block_draws=2048)
    seen = []
    dask = run(
        stargate,
        draws=3000,
        seed=7,
        block_draws=1024,
        progress=seen.append,
        backend=Backend("dask", workers=2, processes=False, window=2),
    )
    _same(local.aggregates, dask.aggregates)
    assert json.dumps(local.summary()) == json.dumps(dask.summary())
    assert sorted(seen) == [952, 1024, 1024]


def test_imap_yields_every_task_once_with_its_index():
    backend = Backend("dask", workers=2, processes=False, window=3)
    got = dict(backend.imap(np.multiply, 10, [(i,) for i in range(7)]))
    assert got == {i: 10 * i for i in range(7)}
    assert dict(Backend().imap(np.multiply, 10, [(i,) for i in range(7)])) == got


def test_local_backend_uses_the_process_pool(stargate):
    a = run(stargate, draws=1100, seed=3, backend=Backend("local", workers=2), block_draws=1024)
    b = run(stargate, draws=1100, seed=3)
    _same(a.aggregates, b.aggregates)


def test_address_needs_dask():
    with pytest.raises(GigawattError, match="--address"):
        Backend("local", address="tcp://127.0.0.1:8786")
    with pytest.raises(GigawattError, match="unknown backend"):
        Backend("spark")  # type: ignore[arg-type]


def test_cli_run_on_dask_matches_default():
    runner = CliRunner()
    base = runner.invoke(app, ["run", "stargate", "--draws", "1200", "--seed", "5", "--json"])
    dask = runner.invoke(
        app,
        [
            "run",
            "stargate",
            "--draws",
            "1200",
            "--seed",
            "5",
            "--json",
            "--backend",
            "dask",
            "--workers",
            "2",
        ],
    )
    assert base.exit_code == 0 and dask.exit_code == 0, dask.output
    assert json.loads(base.stdout) == json.loads(dask.stdout)
    bad = runner.invoke(app, ["run", "stargate", "--address", "tcp://127.0.0.1:1"])
    assert bad.exit_code == 2 and "--address is for --backend dask" in bad.output
