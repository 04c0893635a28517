"""What one block costs to simulate and to aggregate (the engine's two halves), in this tree.

.venv/bin/python -m benchmarks.aggregate_cost --blocks 3 --block-draws 8192
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from gigawatt import engine
from gigawatt.scenario import load_scenario


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario", nargs="?", default="stargate")
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--block-draws", type=int, default=8192)
    args = parser.parse_args(argv)
    model = engine.Model.from_scenario(load_scenario(args.scenario))
    engine.aggregate_block(model, 0, 0, 1024)  # warm: tables, imports
    simulate, aggregate = [], []
    for b in range(1, args.blocks + 1):
        lo, hi = b * args.block_draws, (b + 1) * args.block_draws
        start = time.perf_counter()
        ds = engine.simulate_block(model, 0, lo, hi)
        middle = time.perf_counter()
        engine.aggregate_block(model, 0, lo, hi, ds)
        simulate.append(middle - start)
        aggregate.append(time.perf_counter() - middle)
    sim, agg = statistics.median(simulate), statistics.median(aggregate)
    print(f"{args.scenario}, {args.block_draws} draws a block, median of {args.blocks}:")
    print(f"  simulate {sim:.3f} s, aggregate {agg:.3f} s, aggregate / simulate {agg / sim:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
