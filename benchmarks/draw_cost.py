"""What the simulation half of a block costs: drawing its parameters, integrating its capped
supply curves, and the whole ``simulate_drawn`` (CPU seconds of this process, medians over
the blocks, after a first block that builds the PERT tables).

``--what-if`` measures, without making them, changes that would change the random numbers:
one generator per block instead of one per parameter and 1,024 draws, PERTs without their exact
tails, coarser PERT tables.

.venv/bin/python -m benchmarks.draw_cost --blocks 8
PYTHONPATH=OTHER/src .venv/bin/python -m benchmarks.draw_cost   # another tree, e.g. b1baa9f's
.venv/bin/python -m benchmarks.draw_cost --what-if
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from collections.abc import Callable

import numpy as np

from gigawatt import distributions, engine, sampling
from gigawatt.engine.queues import _capped_supply
from gigawatt.engine.simulate import _draw_parameters, simulate_drawn
from gigawatt.scenario import load_scenario

_MONEY = ("contracts.", "parties.", "demand.", "contracted.")  # drawn where money is simulated


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default="stargate")
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--block-draws", type=int, default=8192)
    parser.add_argument("--what-if", action="store_true")
    args = parser.parse_args(argv)
    model = engine.Model.from_scenario(load_scenario(args.scenario))
    if args.what_if:
        what_if(model, args.block_draws)
        return 0
    simulate_drawn(model, 0, 0, args.block_draws)  # warm: tables, imports
    costs: dict[str, list[float]] = {"draw": [], "supply": [], "simulate": []}
    for b in range(1, args.blocks + 1):
        lo, hi = b * args.block_draws, (b + 1) * args.block_draws
        start = time.process_time()
        p = _draw_parameters(model, 0, lo, hi, None)
        middle = time.process_time()
        _capped_supply(model, p, hi - lo)
        end = time.process_time()
        simulate_drawn(model, 0, lo, hi)
        costs["draw"].append(middle - start)
        costs["supply"].append(end - middle)
        costs["simulate"].append(time.process_time() - end)
    draw, curves, whole = (statistics.median(v) * 1000 for v in costs.values())
    print(f"{args.scenario}, {args.block_draws} draws a block, median of {args.blocks} (CPU ms):")
    print(f"  simulate_drawn {whole:.0f}, of which parameters drawn {draw:.0f}, capped supply {curves:.0f}")
    return 0


def _median_ms(work: Callable[[], object], repeat: int = 15) -> float:
    work()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times) * 1000


def what_if(model: engine.Model, draws: int) -> None:
    """CPU ms a block (and a process) that changes of the random numbers would save."""
    from scipy import special

    wanted = {k: d for k, d in model.parameters.items() if not d.is_fixed and not k.startswith(_MONEY)}
    keys = np.array([zlib.crc32(k.encode()) for k in wanted], np.uint32)
    blocks = range(draws // sampling.BLOCK_DRAWS)
    u = np.empty((len(wanted), draws))

    def per_parameter_and_chunk() -> None:
        states = sampling._child_states(0, blocks, keys)
        bits = np.random.PCG64(0)
        rng = np.random.Generator(bits)
        for i in range(len(wanted)):
            for b, block_states in enumerate(states):
                bits.state = block_states[i]
                rng.random(out=u[i, b * sampling.BLOCK_DRAWS : (b + 1) * sampling.BLOCK_DRAWS])

    def per_block() -> None:
        np.random.Generator(np.random.PCG64(np.random.SeedSequence(0, spawn_key=(1,)))).random(out=u)

    now, one = _median_ms(per_parameter_and_chunk), _median_ms(per_block)
    print(f"uniform draws of {len(wanted)} parameters × {draws}: a generator per parameter and")
    print(
        f"  {sampling.BLOCK_DRAWS} draws {now:.1f} ms, one per block {one:.1f} ms: {now - one:.1f} ms a block"
    )
    perts = [d.params for d in wanted.values() if d.family == "pert" and d.params[2] != d.params[0]]
    probabilities = np.random.default_rng(1).random((len(perts), draws))

    exact = _median_ms(lambda: distributions.pert_values(perts, probabilities.copy()))
    cells, distributions._EXACT_CELLS = distributions._EXACT_CELLS, 0  # no cell inverted exactly
    rough = _median_ms(lambda: distributions.pert_values(perts, probabilities.copy()))
    distributions._EXACT_CELLS = cells
    print(f"{len(perts)} PERTs: {exact:.1f} ms, without exact tails {rough:.1f} ms a block")
    shapes = sorted({distributions._pert_shape(*p) for p in perts})
    for steps in (8192, 2048, 1024):
        grid = np.linspace(0.0, 1.0, 2 * steps + 1)
        start = time.process_time()
        for a, b in shapes:
            special.betainc(a, b, grid)
        spent = (time.process_time() - start) * 1000
        print(f"{len(shapes)} Beta tables of {steps} steps: {spent:.0f} ms a process")


if __name__ == "__main__":
    sys.exit(main())
