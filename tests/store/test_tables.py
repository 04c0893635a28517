"""The block files: the aggregates' sparse table is exactly the non-zero cells of every array
(shared arrays included), and both files read back as the tables written."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from gigawatt.engine import Model, aggregate_block
from gigawatt.scenario import load_scenario
from gigawatt.store import Store, aggregates_from_table, aggregates_table, draws_table
from gigawatt.store.tables import AGGREGATES_SCHEMA
from gigawatt.store.verify import check_file


def _rows(agg: Any) -> list[tuple[Any, ...]]:
    """Each array's row, written out plainly: (group, name, chunk, shape, indices, ints, floats)."""
    out = []

    def add(group: str, name: str, chunk: int, array: Any) -> None:
        flat = np.asarray(array).ravel()
        index = [i for i, v in enumerate(flat.tolist()) if v != 0]
        values = [flat.tolist()[i] for i in index]
        is_int = np.issubdtype(flat.dtype, np.integer)
        out.append(
            (
                group,
                name,
                chunk,
                list(np.shape(array)),
                index,
                values if is_int else None,
                None if is_int else values,
            )
        )

    for spec in dataclasses.fields(agg):
        value = getattr(agg, spec.name)
        if isinstance(value, int):
            add(spec.name, spec.name, -2, [value])
        elif all(isinstance(k, int) for k in value):
            for chunk, sums in sorted(value.items()):
                for name, array in sorted(sums.items()):
                    add(spec.name, name, chunk, array)
        else:
            for name, array in sorted(value.items()):
                add(spec.name, name, -1, array)
    return out


def test_the_sparse_table_is_every_non_zero_cell(small_text: str, write, tmp_path: Path) -> None:
    model = Model.from_scenario(load_scenario(write(small_text)))
    agg = aggregate_block(model, 5, 0, 1024)
    shared = next(iter(agg.hist))
    agg.hist["capacity:shared-copy"] = agg.hist[shared]  # one array under two names: scanned once
    table = aggregates_table(agg)
    assert table.schema.equals(AGGREGATES_SCHEMA)
    columns = ("group", "name", "chunk", "shape", "index", "ints", "floats")
    got = list(zip(*(table.column(c).to_pylist() for c in columns), strict=True))
    assert got == _rows(agg)
    assert sum(1 for row in got if row[4]) > 10  # the scenario's arrays are not all zeros
    back = aggregates_from_table(table)
    assert np.array_equal(back.hist["capacity:shared-copy"], agg.hist[shared])
    # written and read back by the store: the same table, a whole engine block to `runs verify`
    store = Store(tmp_path / "s")
    run_id = store.begin_run(scenario="x", scenario_text=small_text, draws=1024, seed=5, block_draws=1024)
    path = store.write_block(run_id, 0, table)
    assert store.read_block(run_id, 0).equals(table)
    assert check_file(path, "block", (0, 1024)) is None
    group = pq.ParquetFile(path).metadata.row_group(0)
    encodings = {group.column(i).path_in_schema: group.column(i).encodings for i in range(group.num_columns)}
    assert "DELTA_BINARY_PACKED" in encodings["index.list.element"]


def test_per_draw_rows_read_back_as_written(small_text: str, write, tmp_path: Path) -> None:
    model = Model.from_scenario(load_scenario(write(small_text)))
    rows = draws_table(model, 5, 0, 1024)
    store = Store(tmp_path / "s")
    run_id = store.begin_run(scenario="x", scenario_text=small_text, draws=1024, seed=5, block_draws=1024)
    path = store.write_draws(run_id, 0, rows)
    back = pq.read_table(path)
    assert back.equals(rows) and back.schema.equals(rows.schema)
    assert pa.types.is_dictionary(back.schema.field("last_phase_cause").type)
    assert check_file(path, "draws", (0, 1024)) is None


def test_per_draw_rows_from_the_blocks_outcomes_are_the_rows_worked_out_alone(small_text: str, write) -> None:
    from gigawatt.engine import outcomes, simulate_blocks
    from gigawatt.engine.simulate import simulate_drawn

    model = Model.from_scenario(load_scenario(write(small_text)))
    assert model.scenario.targets  # the rows have target columns to share
    ds, drawn = simulate_drawn(model, 5, 1024, 2048)
    met = outcomes(model, 5, 1024, 2048, ds, drawn).targets
    assert sorted(met) == sorted(model.scenario.targets)
    alone = draws_table(model, 5, 1024, 2048)
    assert draws_table(model, 5, 1024, 2048, ds, met).equals(alone)
    [out] = simulate_blocks(model, [(1, 1024, 2048)], 5, draws_table)  # as a recorded run's worker
    assert out.rows.equals(alone) and out.rows.schema.equals(alone.schema)


def test_a_block_from_another_process_is_tabled_from_its_packed_cells_as_the_dense_one():
    import pickle

    from tests.conftest import SMALL

    from gigawatt import engine
    from gigawatt.scenario import load_scenario_text
    from gigawatt.store.tables import aggregates_table

    block = engine.aggregate_block(engine.Model.from_scenario(load_scenario_text(SMALL)), 2, 0, 1500)
    packed = pickle.loads(pickle.dumps(block))
    table = aggregates_table(packed)
    assert "hist" not in vars(packed)  # tabled without unpacking
    assert table.equals(aggregates_table(block))


def test_arrays_built_from_buffers_are_what_pyarrow_builds() -> None:
    from gigawatt.store.tables import _arrow, _lists, _strings

    rng = np.random.default_rng(5)
    valid = rng.random(77) < 0.7
    for values, kind in (
        (rng.integers(-9, 9, 77), pa.int64()),
        (rng.integers(0, 20_000, 77).astype(np.int32), pa.date32()),
        (rng.integers(0, 5, 77).astype(np.int32), pa.int32()),
        (rng.random(77), pa.float64()),
        (valid, pa.bool_()),
    ):
        assert _arrow(values, kind).equals(pa.array(values, kind))
        made = _arrow(values, kind, valid)
        assert made.equals(pa.array(values, kind, mask=~valid)) and made.null_count == int((~valid).sum())
    assert _arrow(np.empty(0, np.int64), pa.int64()).equals(pa.array([], pa.int64()))
    nan = _arrow(np.array([np.nan, 1.0]), pa.float64())  # a NaN stays a number, as pa.array keeps it
    assert nan.null_count == 0 and np.isnan(nan.to_numpy()[0])
    for present in (valid, np.ones(77, bool), np.zeros(77, bool), np.zeros(0, bool)):
        parts = [rng.random(rng.integers(0, 4)) for _ in range(int(present.sum()))]
        nested = iter(parts)
        expected = pa.array([next(nested).tolist() if p else None for p in present], pa.list_(pa.float64()))
        made = _lists(parts, present, pa.float64())
        made.validate(full=True)
        assert made.equals(expected) and made.null_count == int((~present).sum())
    texts = ["hist", "", "capacity:facility_mw", "ü → é"]
    assert _strings(texts).equals(pa.array(texts)) and _strings([]).equals(pa.array([], pa.string()))
    try:
        _arrow(np.zeros(3, np.int32), pa.int64())
    except ValueError as exc:
        assert "int32 values are not int64" in str(exc)
    else:
        raise AssertionError("int32 values taken as int64")


def test_a_blocks_tables_are_made_and_written_without_pandas_nor_arrows_compute(tmp_path: Path) -> None:
    """``pa.array`` imports pandas on its first call (0.3-0.4 s of CPU), ``ListArray.from_arrays``
    with a mask pyarrow.compute (0.04 s): every process that makes a block's tables (a pool's
    workers, the recording process) would pay it."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from gigawatt.engine import Model, simulate_blocks\n"
        "from gigawatt.scenario import load_scenario\n"
        "from gigawatt.store import Store, aggregates_table, draws_table\n"
        "model = Model.from_scenario(load_scenario('stargate'))\n"
        "(out,) = simulate_blocks(model, [(0, 0, 1024)], 0, draws_table)\n"
        f"store = Store({str(tmp_path)!r})\n"
        "store.run_dir = lambda run_id: store.root\n"
        "store.write_draws('r', 0, out.rows)\n"
        "table = aggregates_table(out.value)\n"
        "store.write_block('r', 0, table)\n"
        "nulls = table.column('ints').null_count, table.column('floats').null_count\n"
        "loaded = 'pandas' in sys.modules, 'pyarrow.compute' in sys.modules\n"
        "print(out.rows.num_rows, min(nulls) > 0, *loaded)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["1024", "True", "False", "False"]
