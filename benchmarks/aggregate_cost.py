"""What one block costs to simulate and to aggregate (the engine's two halves), in this tree:
CPU seconds of this process (what the engine did; on a shared machine wall time also waits
for other people's work), medians over the blocks. Aggregation takes what the simulation drew
(``simulate_drawn``), as a run does.

Since the engine's ``outcomes`` (each draw's target days, demand at year ends, contracted
capacity and supply: per-draw results, made once by the simulation and read by aggregation
and the store), the simulation is ``simulate_drawn`` + ``outcomes``; the line "outcomes
counted in aggregation" gives the ratio as trees before them split it, for comparison.

.venv/bin/python -m benchmarks.aggregate_cost --blocks 3 --block-draws 8192
PYTHONPATH=OTHER/src .venv/bin/python -m benchmarks.aggregate_cost   # another tree, e.g. 8781180's
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from gigawatt import engine
from gigawatt.scenario import load_scenario

try:
    from gigawatt.engine.simulate import simulate_drawn
except ImportError:  # a tree from before the engine package (e.g. 8781180)
    simulate_drawn = None  # type: ignore[assignment]
try:
    from gigawatt.engine.outcomes import outcomes
except ImportError:  # a tree from before the outcomes (e.g. 0a62601): aggregation made them
    outcomes = None  # type: ignore[assignment]


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
    simulate, made, aggregate = [], [], []
    for b in range(1, args.blocks + 1):
        lo, hi = b * args.block_draws, (b + 1) * args.block_draws
        start = time.process_time()
        if simulate_drawn is None:
            ds, drawn = engine.simulate_block(model, 0, lo, hi), None
        else:
            ds, drawn = simulate_drawn(model, 0, lo, hi)
        middle = time.process_time()
        extra = () if outcomes is None else (outcomes(model, 0, lo, hi, ds, drawn),)
        after = time.process_time()
        if drawn is None:
            engine.aggregate_block(model, 0, lo, hi, ds)
        else:
            engine.aggregate_block(model, 0, lo, hi, ds, *(extra or (drawn,)))
        simulate.append(middle - start)
        made.append(after - middle)
        aggregate.append(time.process_time() - after)
    sim, out, agg = (statistics.median(x) for x in (simulate, made, aggregate))
    print(f"{args.scenario}, {args.block_draws} draws a block, median of {args.blocks} (CPU s):")
    print(
        f"  simulate {sim + out:.3f} s (of which outcomes {out:.3f} s), aggregate {agg:.3f} s, "
        f"aggregate / simulate {agg / (sim + out):.2f}"
    )
    print(f"  outcomes counted in aggregation: {(agg + out) / sim:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
