"""Bounded load test of the dashboard on loopback: concurrent clients mixing reads and small runs.

    .venv/bin/python -m benchmarks.load_dashboard --clients 20 --requests 400

Starts ``gigawatt serve`` on 127.0.0.1 (a free port, a temporary run store), sends
``--requests`` requests from ``--clients`` threads (reads: run list, a run, its
figures, the scenario list, a validation of the Stargate scenario; writes: runs of
1,024 draws, one request in ``--run-every``), waits for the runs to finish, and
prints p50/p95 latency per kind and the error count. Exit 1 if any request failed.

``--pythonpath DIR`` serves another copy of the package (a reference version, e.g. the
last commit's files exported to DIR/gigawatt) for side-by-side comparisons.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--run-every", type=int, default=20, help="one run request in N")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--pythonpath", default=None, help="serve the gigawatt package found here instead")
    args = parser.parse_args()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    store = tempfile.mkdtemp(prefix="gigawatt-load-")
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gigawatt"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--store",
            store,
        ],
        env={
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            **({"PYTHONPATH": args.pythonpath} if args.pythonpath else {}),
        },
    )
    try:
        with httpx.Client(base_url=base, timeout=60) as client:
            for _ in range(300):
                try:
                    client.get("/api/scenarios")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                raise SystemExit("the dashboard did not start")
            text = client.get("/api/scenarios/stargate").json()["text"]
            seed_run = client.post("/api/runs", json={"scenario": "stargate", "draws": 1024}).json()["id"]
            while client.get(f"/api/runs/{seed_run}").json()["status"] == "running":
                time.sleep(0.1)
        rng = random.Random(args.seed)
        plan = [
            "run"
            if i % args.run_every == 0
            else rng.choice(["list", "get", "figures", "scenarios", "validate"])
            for i in range(args.requests)
        ]

        def one(kind: str) -> tuple[str, float, int]:
            with httpx.Client(base_url=base, timeout=120) as client:
                start = time.perf_counter()
                if kind == "run":
                    response = client.post("/api/runs", json={"scenario": "stargate", "draws": 1024})
                elif kind == "list":
                    response = client.get("/api/runs")
                elif kind == "get":
                    response = client.get(f"/api/runs/{seed_run}")
                elif kind == "figures":
                    response = client.get(f"/api/runs/{seed_run}/figures")
                elif kind == "scenarios":
                    response = client.get("/api/scenarios")
                else:
                    response = client.post("/api/validate", json={"text": text})
                return kind, time.perf_counter() - start, response.status_code

        wall = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            results = list(pool.map(one, plan))
        wall = time.perf_counter() - wall
        with httpx.Client(base_url=base, timeout=60) as client:
            end = time.monotonic() + 300
            while time.monotonic() < end:
                runs = client.get("/api/runs", params={"limit": 500}).json()
                if all(r["status"] != "running" for r in runs):
                    break
                time.sleep(0.5)
        failed_runs = [r for r in runs if r["status"] != "complete"]
    finally:
        server.terminate()
        server.wait(10)
    errors = [r for r in results if r[2] >= 400]
    report = {
        "package": args.pythonpath or "installed",
        "clients": args.clients,
        "requests": len(results),
        "wall_s": round(wall, 2),
        "errors": len(errors) + len(failed_runs),
        "runs_completed": len(runs) - len(failed_runs),
        "latency_ms": {},
    }
    for kind in sorted({r[0] for r in results}) + ["all"]:
        times = np.array([r[1] for r in results if kind in (r[0], "all")]) * 1e3
        report["latency_ms"][kind] = {
            "n": int(times.size),
            "p50": round(float(np.percentile(times, 50)), 1),
            "p95": round(float(np.percentile(times, 95)), 1),
        }
    print(json.dumps(report, indent=2))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
