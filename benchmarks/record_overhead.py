"""What recording a run costs on top of simulating it, in CPU seconds (user + system, the
command's worker processes included) and in wall seconds (on a shared machine the wall time
measures the neighbours too).

End to end: ``gigawatt run SCENARIO --draws N --no-record --json`` against the same run recorded
in a new store (``--store``), alternating, ``--repeat`` times each; medians of the child
process's CPU and wall time and their ratios (issue 15's goal: a recorded run ≤ 1.2× an
unrecorded one).

``--parts``: one recorded run in this process with each part of the recording timed, in CPU
seconds of the thread that does it: per-draw rows (``draws_table``, on the worker in a pool),
the aggregates' sparse table (``aggregates_table``), the two Parquet writes per block, and the
catalogue (``begin_run``, ``finish_run``); and the CPU of the money's own process (importing the
money's modules, then ``with_money`` on the first 2,000 draws).

    .venv/bin/python -m benchmarks.record_overhead --draws 100000 --repeat 3 --parts
"""

from __future__ import annotations

import argparse
import functools
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: The installed script's entry point (``gigawatt.cli:script``), or ``main`` in trees from before it.
MAIN = (
    "import sys, gigawatt.cli as c; sys.argv[0] = 'gigawatt'; "
    "c.script() if hasattr(c, 'script') else c.main()"
)


def cpu_of(argv: list[str], cwd: Path) -> tuple[float, float]:
    """CPU seconds (user + system, its own child processes included) and wall seconds of one
    ``gigawatt`` command in a child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", MAIN, *argv],
        check=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "80"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def end_to_end(scenario: str, draws: int, repeat: int) -> tuple[tuple[float, float], tuple[float, float]]:
    """Median (CPU, wall) seconds of the run unrecorded and recorded (each in a new store)."""
    plain: list[tuple[float, float]] = []
    recorded: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        base = ["run", scenario, "--draws", str(draws), "--json"]
        for r in range(repeat):
            runs: list[tuple[list[tuple[float, float]], list[str]]] = [
                (plain, [*base, "--no-record"]),
                (recorded, [*base, "--store", str(scratch / f"store-{r}")]),
            ]
            for times, argv in runs if r % 2 == 0 else reversed(runs):
                times.append(cpu_of(argv, scratch))
    return _medians(plain), _medians(recorded)


def _medians(times: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)


def parts(scenario: str, draws: int) -> dict[str, float]:
    """CPU seconds of each part of one recorded run, in this process: each part's own thread's, and
    the money's process's (this process's only child)."""
    from gigawatt.scenario import load_scenario
    from gigawatt.store import Store, catalogue, recorded, run_recorded, tables

    spent: dict[str, float] = {}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.thread_time() - start

        return wrapper

    recorded.draws_table = timed("per-draw rows (draws_table)", tables.draws_table)  # type: ignore[attr-defined]
    recorded.aggregates_table = timed("sparse aggregates (aggregates_table)", tables.aggregates_table)  # type: ignore[attr-defined]
    store_class = catalogue.Store
    for method, label in (
        ("write_draws", "Parquet: per-draw rows"),
        ("write_block", "Parquet: aggregates"),
        ("begin_run", "catalogue: begin_run"),
        ("finish_run", "catalogue: finish_run"),
    ):
        setattr(store_class, method, timed(label, getattr(store_class, method)))
    loaded = load_scenario(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        start, children = time.process_time(), _children_cpu()
        run_recorded(Store(tmp), scenario, draws=draws, seed=0, block_draws=8192, loaded=loaded)
        spent["the whole recorded run (run_recorded), this process"] = time.process_time() - start
        spent["the money's process: imports, money of 2,000 draws (with_money)"] = _children_cpu() - children
    return spent


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="stargate")
    parser.add_argument("--draws", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--parts", action="store_true", help="Also time each part of the recording.")
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    plain, recorded = end_to_end(args.scenario, args.draws, args.repeat)
    command = f"gigawatt run {args.scenario} --draws {args.draws} …"
    print(f"| {command} | CPU s | wall s (medians of {args.repeat}) |")
    print("|---|---|---|")
    print(f"| `--no-record --json` | {plain[0]:.2f} | {plain[1]:.2f} |")
    print(f"| `--store STORE --json` | {recorded[0]:.2f} | {recorded[1]:.2f} |")
    print(f"| recorded / unrecorded | {recorded[0] / plain[0]:.2f}× | {recorded[1] / plain[1]:.2f}× |")
    if args.parts:
        print("\n| part of the recorded run (in process) | CPU s |")
        print("|---|---|")
        for name, seconds in sorted(parts(args.scenario, args.draws).items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {seconds:.2f} |")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
