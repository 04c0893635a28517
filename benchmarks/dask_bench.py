"""Benchmark of the Dask backend: draws per second with 1, 2, … workers against in-process.

Every run must give the in-process summary exactly (bit-identical aggregates); the
script stops with an error otherwise. Cluster start-up is timed apart from the run (the run connects to the
running cluster, scatters the model, streams the blocks and merges them).

    .venv/bin/python -m benchmarks.dask_bench --draws 40000 --workers 1 2
    # a real cluster: `dask scheduler` on HOST, `dask worker tcp://HOST:8786 --no-nanny` on each machine
    # (each with the same gigawatt installed; add --no-nanny, see gigawatt.backends), then
    .venv/bin/python -m benchmarks.dask_bench --draws 1000000 --address tcp://HOST:8786
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from gigawatt import engine, load_scenario
from gigawatt.backends import Backend, local_cluster


def _timed(scenario: Any, draws: int, seed: int, backend: Backend | None) -> tuple[float, dict[str, Any]]:
    from gigawatt.backends import run

    start = time.perf_counter()
    results = run(scenario, draws=draws, seed=seed, backend=backend)
    return time.perf_counter() - start, results.summary()


@contextmanager
def _cluster(address: str | None, workers: int | None) -> Iterator[tuple[str, int]]:
    """The scheduler to use: ``address``, or a new local cluster of ``workers`` processes."""
    if address:
        from distributed import Client

        with Client(address) as client:
            yield address, max(len(client.scheduler_info()["workers"]), 1)
        return
    assert workers is not None
    with local_cluster(workers) as cluster:
        yield cluster.scheduler_address, workers


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scenario", default="stargate")
    parser.add_argument("--draws", type=int, default=40_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="local-cluster sizes")
    parser.add_argument("--address", help="an existing scheduler instead of local clusters")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    engine.run(scenario, draws=1024, seed=args.seed)  # warm caches (catalog, imports)
    base_s, expected = _timed(scenario, args.draws, args.seed, None)
    rows = [("in-process", base_s, 0.0)]
    if args.address:
        clusters = [(f"dask {args.address}", None)]
    else:
        clusters = [(f"dask LocalCluster, {n} worker process(es)", n) for n in args.workers]
    for label, n in clusters:
        start = time.perf_counter()
        with _cluster(args.address, n) as (address, workers):
            startup_s = time.perf_counter() - start
            backend = Backend("dask", address=address, workers=workers)
            seconds, summary = _timed(scenario, args.draws, args.seed, backend)
        if json.dumps(summary) != json.dumps(expected):
            raise SystemExit(f"{label}: summary differs from the in-process run")
        rows.append((label, seconds, startup_s))
    print(
        f"{args.scenario}, {args.draws:,} draws, seed {args.seed}, {os.cpu_count()} CPUs; identical summaries"
    )
    print("| backend | run wall s | cluster start s (not in run) | draws/s | speed-up vs in-process |")
    print("|---|---:|---:|---:|---:|")
    for label, seconds, startup_s in rows:
        print(
            f"| {label} | {seconds:.2f} | {startup_s:.2f} | {args.draws / seconds:,.0f} "
            f"| {base_s / seconds:.2f}× |"
        )


if __name__ == "__main__":
    main()
