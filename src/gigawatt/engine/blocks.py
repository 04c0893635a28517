"""Many draws in blocks: the runner's work on a worker (:func:`simulate_blocks`) and
:func:`run`, which hands the blocks to :func:`gigawatt.runner.run_blocks` and merges them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from gigawatt import distributions, runner
from gigawatt.engine.aggregate import Aggregates, aggregate_block
from gigawatt.engine.draws import Draws
from gigawatt.engine.model import Model
from gigawatt.engine.outcomes import outcomes
from gigawatt.engine.results import Results
from gigawatt.engine.simulate import simulate_drawn
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import Scenario


def block_draw_ranges(draws: int, block_draws: int) -> list[tuple[int, int]]:
    """The engine's blocks: ``block_draws`` rounded up to whole :data:`BLOCK_DRAWS` chunks."""
    block = max(BLOCK_DRAWS, -(-block_draws // BLOCK_DRAWS) * BLOCK_DRAWS)
    return [(lo, min(draws, lo + block)) for lo in range(0, draws, block)]


def simulate_blocks(
    model: Model,
    blocks: Sequence[tuple[int, int, int]],
    seed: int,
    rows: Callable[[Model, int, int, int, Draws, dict[str, np.ndarray]], Any] | None = None,
    merge: bool = False,
    head: int = 0,
) -> list[runner.BlockOut]:
    """The runner's work on a worker: each block ``(index, start, stop)`` simulated and
    aggregated, with its per-draw rows (``rows(model, seed, start, stop, ds, met)``, ``met``
    each target's days from the block's :class:`~gigawatt.engine.outcomes.Outcomes`) when asked and
    its simulated draws below ``head`` (for :class:`gigawatt.runner.Head`); ``merge``: one
    output for the whole group (nothing per block is kept)."""
    outs = []
    total: Aggregates | None = None  # merging: the first block's aggregates, the rest added in
    for index, lo, hi in blocks:
        ds, drawn = simulate_drawn(model, seed, lo, hi)
        made = outcomes(model, seed, lo, hi, ds, drawn)
        table = rows(model, seed, lo, hi, ds, made.targets) if rows is not None else None
        kept = ds.head(min(hi, head) - lo) if lo < head else None
        agg = aggregate_block(model, seed, lo, hi, ds, made)
        if merge and len(blocks) > 1:
            total = agg if total is None else total.merge_in(agg)
        else:
            outs.append(runner.BlockOut(index, hi - lo, agg, table, head=kept))
    if total is not None:
        return [runner.BlockOut(blocks[0][0], total.draws, total, None, len(blocks))]
    return outs


def warm(model: Model) -> None:
    """Build what the engine builds on first use (each PERT's quantile table, scipy's special
    functions for their tails), so that it exists before a process pool forks."""
    distributions.prepare(model.parameters.values())


def run(
    scenario: Scenario,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int = 8 * BLOCK_DRAWS,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
    executor: runner.Backend | None = None,
) -> Results:
    """Simulate ``draws`` draws in blocks and aggregate them (:func:`gigawatt.runner.run_blocks`).

    ``block_draws`` is rounded up to a multiple of :data:`BLOCK_DRAWS`; results do
    not depend on it nor on ``workers`` (processes) nor on the ``executor``."""
    if draws < 1:
        raise ValueError("draws must be >= 1")
    model = Model.from_scenario(scenario)
    if executor is None:
        executor = runner.Backend("local", workers=workers) if workers > 1 else runner.Backend()
    blocks = [(i, lo, hi) for i, (lo, hi) in enumerate(block_draw_ranges(draws, block_draws))]
    merged = runner.Merge(Aggregates())
    sinks: list[runner.Sink] = [merged] if progress is None else [merged, runner.DrawProgress(progress)]
    runner.run_blocks(
        simulate_blocks, model, blocks, sinks, executor=executor, args=(seed, None, True), warm=warm
    )
    return Results(model, merged.total, seed)
