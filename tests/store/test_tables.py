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
