"""Aggregates crossing a process boundary: packed as their nonzero cells, added in unpacked."""

from __future__ import annotations

import pickle

import numpy as np
from tests.conftest import SMALL

from gigawatt import engine, runner
from gigawatt.engine.aggregate import Packed
from gigawatt.scenario import load_scenario_text


def _blocks() -> tuple[engine.Model, engine.Aggregates, engine.Aggregates]:
    model = engine.Model.from_scenario(load_scenario_text(SMALL))
    return model, engine.aggregate_block(model, 5, 0, 2048), engine.aggregate_block(model, 5, 2048, 3000)


def _same(a: engine.Aggregates, b: engine.Aggregates) -> bool:
    return (
        a.draws == b.draws
        and a.hist.keys() == b.hist.keys()
        and all(np.array_equal(a.hist[k], b.hist[k]) for k in a.hist)
        and all(np.array_equal(a.date_hist[k], b.date_hist[k]) for k in a.date_hist)
        and all(np.array_equal(a.counts[k], b.counts[k]) for k in a.counts)
        and a.chunk_sums.keys() == b.chunk_sums.keys()
    )


def test_a_pickled_block_is_packed_and_unpacks_to_the_same_histograms():
    _, first, _ = _blocks()
    packed = pickle.loads(pickle.dumps(first))
    assert isinstance(packed, Packed)
    cells = sum(p[1].size for p in packed.packed.values())
    assert 0 < cells < sum(h[0].size for h in first.hist.values()) / 10  # mostly zeros
    assert _same(first, packed)  # type: ignore[arg-type]


def test_packed_blocks_add_into_a_total_as_dense_ones_do():
    _, first, second = _blocks()
    dense = engine.Aggregates().merge_in(first).merge_in(second)
    mixed = engine.Aggregates().merge_in(pickle.loads(pickle.dumps(first))).merge_in(second)
    packed = engine.Aggregates().merge_in(first).merge_in(pickle.loads(pickle.dumps(second)))
    assert _same(dense, mixed) and _same(dense, packed)


def test_a_local_pool_is_warmed_once_in_this_process_before_it_forks():
    model, _, _ = _blocks()
    warmed: list[object] = []
    blocks = [(i, lo, lo + 1024) for i, lo in enumerate(range(0, 3072, 1024))]
    for executor, expected in ((runner.Backend(), 0), (runner.Backend("local", workers=2), 1)):
        warmed.clear()
        merged = runner.Merge(engine.Aggregates())
        runner.run_blocks(
            engine.simulate_blocks, model, blocks, [merged], executor=executor, args=(1,), warm=warmed.append
        )
        assert len(warmed) == expected and merged.total.draws == 3072


def test_histograms_sharing_an_array_are_each_added_once_in_place():
    _, first, second = _blocks()
    shared = [k for k, v in first.hist.items() if any(v is w for j, w in first.hist.items() if j != k)]
    assert shared  # series of the same phases share one array in a block (the test's premise)
    expected = first.merge(second)
    total = first.merge_in(second)
    assert _same(total, expected)
    arrays = list(total.hist.values())
    assert not any(np.shares_memory(a, b) for i, a in enumerate(arrays) for b in arrays[i + 1 :])


def test_a_group_merged_on_the_worker_equals_its_blocks_merged_apart():
    model, _, _ = _blocks()
    blocks = [(i, lo, lo + 1024) for i, lo in enumerate(range(0, 3072, 1024))]
    [grouped] = engine.simulate_blocks(model, blocks, 2, None, True)
    apart = engine.Aggregates()
    for out in engine.simulate_blocks(model, blocks, 2):
        apart.merge_in(out.value)
    assert grouped.blocks == 3 and _same(grouped.value, apart)
