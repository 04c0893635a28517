"""Benchmark of the buildout engine: against its SimPy reference, and how it scales.

(a) Speed per draw, side by side in one process: the SimPy reference
(:mod:`benchmarks.simpy_reference`, one draw at a time) against
:func:`gigawatt.engine.simulate_block` (all draws at once), both from the same
sampled parameters of the built-in Stargate scenario.

(b) Agreement on the same draws: per draw, the reference's online dates against
the engine's; per target, P10/P50/P90 dates (the engine's ``run`` summary against
the reference's draws binned on the same grid, in grid steps) and two-sample KS
tests of the target dates and of total facility MW online at year ends: paired
(same seed: the same random inputs) and independent (the engine on another seed).

(c) Scaling: ``gigawatt.engine.run`` on 1k / 10k / 100k / 1M draws with 1 and 2
worker processes, each size in a fresh process; wall time of ``run`` (imports and
scenario loading excluded) and peak resident memory (max RSS of the process and,
with workers, of its largest worker).

    .venv/bin/python -m benchmarks.engine_bench            # full: minutes
    .venv/bin/python -m benchmarks.engine_bench --quick    # smaller, about a minute
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
from scipy.stats import ks_2samp

from benchmarks import simpy_reference as ref
from gigawatt import load_scenario, units
from gigawatt.engine import Model, run, simulate_block

SCENARIO = "stargate"
WEEK_DAYS = 7.0
KS_ALPHA = 0.01
_OUTPUTS = ("facility_mw", "start_date", "online_date")


def machine() -> str:
    model_name = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model_name = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{os.cpu_count()} CPUs ({model_name}), Python {platform.python_version()}, numpy {np.__version__}"


def ref_date(day: float) -> str:
    return units.format_date(day) if math.isfinite(day) else "never"


def speed(model: Model, simpy_draws: int, engine_draws: int, repeats: int = 3) -> dict[str, float]:
    """Seconds per draw of the SimPy reference and of the engine, timed back to back,
    alternating, ``repeats`` times each; the best of each (the least disturbed by other load)."""
    simulate_block(model, 0, 0, 1024)  # warm up caches and imports
    simpy_s, engine_s = math.inf, math.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        ref.simulate(model, 0, 0, simpy_draws)
        simpy_s = min(simpy_s, (time.perf_counter() - t0) / simpy_draws)
        t0 = time.perf_counter()
        simulate_block(model, 0, 0, engine_draws)
        engine_s = min(engine_s, (time.perf_counter() - t0) / engine_draws)
    return {
        "simpy_draws": simpy_draws,
        "engine_draws": engine_draws,
        "repeats": repeats,
        "simpy_ms_per_draw": simpy_s * 1e3,
        "engine_ms_per_draw": engine_s * 1e3,
        "ratio": simpy_s / engine_s,
    }


def _capacity_mw(out: dict[str, np.ndarray], days: np.ndarray) -> np.ndarray:
    """(draw, len(days)): total facility MW online on each day."""
    online = out["online_date"][:, :, None] <= days[None, None, :]
    return (out["facility_mw"][:, :, None] * online).sum(axis=1)


def _finite(days: np.ndarray, never: float) -> np.ndarray:
    return np.where(np.isfinite(days), days, never)


def agreement(model: Model, draws: int) -> dict[str, Any]:
    """The reference against the engine on ``draws`` draws of seed 0 (paired) and seed 1."""
    scenario = model.scenario
    t0 = time.perf_counter()
    mine = ref.simulate(model, 0, 0, draws)
    simpy_s = time.perf_counter() - t0
    paired = {k: v for k, v in simulate_block(model, 0, 0, draws).data_vars.items() if k in _OUTPUTS}
    other = {k: v for k, v in simulate_block(model, 1, 0, draws).data_vars.items() if k in _OUTPUTS}
    paired_np = {k: v.values for k, v in paired.items()}
    other_np = {k: v.values for k, v in other.items()}
    e, r = paired_np["online_date"], mine["online_date"]
    both = np.isfinite(e) & np.isfinite(r)
    gap = r[both] - e[both]
    grid = model.grid_days
    step = grid[1] - grid[0]
    never = grid[-1] + 365.25
    results = run(scenario, draws=draws, seed=0)
    targets = []
    mine_days = ref.target_days(model, mine)
    paired_days = ref.target_days(model, paired_np)
    other_days = ref.target_days(model, other_np)
    for name in scenario.targets:
        row: dict[str, Any] = {"target": name}
        for q in (0.1, 0.5, 0.9):
            (engine_q,) = results.date_quantiles(f"target:{name}", (q,))
            ref_q = ref.date_quantile(mine_days[name], grid, q)
            row[f"p{int(q * 100)}_steps"] = (
                (ref_q - engine_q) / step
                if math.isfinite(ref_q) and math.isfinite(engine_q)
                else (0.0 if ref_q == engine_q else math.inf)
            )
        row["p50_engine"] = results.date_quantiles(f"target:{name}", (0.5,))[0]
        row["p50_reference"] = ref.date_quantile(mine_days[name], grid, 0.5)
        row["ks_paired_p"] = ks_2samp(
            _finite(mine_days[name], never), _finite(paired_days[name], never)
        ).pvalue
        row["ks_independent_p"] = ks_2samp(
            _finite(mine_days[name], never), _finite(other_days[name], never)
        ).pvalue
        targets.append(row)
    picks = [d for d in model.year_ends if d > model.as_of_day][:: max(1, len(model.year_ends) // 5)]
    days = np.array(picks)
    cap_mine, cap_paired, cap_other = (_capacity_mw(x, days) for x in (mine, paired_np, other_np))
    capacity = [
        {
            "date": ref_date(day),
            "p50_gw_engine": float(np.median(cap_paired[:, i]) / 1e3),
            "p50_gw_reference": float(np.median(cap_mine[:, i]) / 1e3),
            "ks_paired_p": ks_2samp(cap_mine[:, i], cap_paired[:, i]).pvalue,
            "ks_independent_p": ks_2samp(cap_mine[:, i], cap_other[:, i]).pvalue,
        }
        for i, day in enumerate(days)
    ]
    return {
        "draws": draws,
        "simpy_seconds": simpy_s,
        "online_pairs": int(both.size),
        "never_online_mismatch": float(np.mean(np.isfinite(e) != np.isfinite(r))),
        "within_one_week": float(np.mean((gap >= -1e-6) & (gap < WEEK_DAYS + 1e-6))),
        "gap_days_p50": float(np.median(gap)),
        "gap_days_max_abs": float(np.abs(gap).max()),
        "targets": targets,
        "capacity": capacity,
    }


def child(draws: int, workers: int) -> None:
    """One scaling measurement, in this (fresh) process: prints JSON."""
    scenario = load_scenario(SCENARIO)
    t0 = time.perf_counter()
    results = run(scenario, draws=draws, seed=0, workers=workers)
    wall = time.perf_counter() - t0
    summary = results.summary()
    print(
        json.dumps(
            {
                "draws": draws,
                "workers": workers,
                "wall_s": wall,
                "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "worker_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "p50_abilene_complete": next(
                    (t["p50_date"] for t in summary["targets"] if t["name"] == "abilene-complete-2026"), None
                ),
            }
        )
    )


def scaling(sizes: list[int], workers: list[int]) -> list[dict[str, Any]]:
    rows = []
    for w in workers:
        for n in sizes:
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.engine_bench", "--child", str(n), str(w)],
                check=True,
                capture_output=True,
                text=True,
            )
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"  scaling: {rows[-1]}", file=sys.stderr, flush=True)
    return rows


def markdown(report: dict[str, Any]) -> str:
    lines = [f"Machine: {report['machine']}.", ""]
    if "speed" in report:
        s = report["speed"]
        lines += [
            f"Best of {s['repeats']} alternating timings each:",
            "",
            "| model | draws timed | ms per draw | ratio |",
            "|---|---|---|---|",
            f"| SimPy reference (one draw at a time) | {s['simpy_draws']:,} "
            f"| {s['simpy_ms_per_draw']:.3f} | 1× |",
            f"| engine `simulate_block` (array) | {s['engine_draws']:,} | {s['engine_ms_per_draw']:.4f} "
            f"| {s['ratio']:,.0f}× faster |",
            "",
        ]
    if "agreement" in report:
        a = report["agreement"]
        lines += [
            f"Agreement on {a['draws']:,} draws (SimPy part: {a['simpy_seconds']:.0f} s): "
            f"{a['within_one_week']:.2%} of {a['online_pairs']:,} (draw, phase) online dates within one week "
            f"(reference − engine in [0, 7) days; median {a['gap_days_p50']:.2f} d, max |gap| "
            f"{a['gap_days_max_abs']:.0f} d); never-online disagreements {a['never_online_mismatch']:.2%}.",
            "",
            "| target | P50 engine | P50 reference | ΔP10 / ΔP50 / ΔP90 (steps) "
            "| KS p paired | KS p independent |",
            "|---|---|---|---|---|---|",
        ]
        for t in a["targets"]:
            lines.append(
                f"| {t['target']} | {ref_date(t['p50_engine'])} | {ref_date(t['p50_reference'])} "
                f"| {t['p10_steps']:+.0f} / {t['p50_steps']:+.0f} / {t['p90_steps']:+.0f} "
                f"| {t['ks_paired_p']:.3f} | {t['ks_independent_p']:.3f} |"
            )
        lines += [
            "",
            "| facility GW online on | P50 engine | P50 reference | KS p paired | KS p independent |",
            "|---|---|---|---|---|",
        ]
        for c in a["capacity"]:
            lines.append(
                f"| {c['date']} | {c['p50_gw_engine']:.2f} | {c['p50_gw_reference']:.2f} "
                f"| {c['ks_paired_p']:.3f} | {c['ks_independent_p']:.3f} |"
            )
        lines.append("")
    if "scaling" in report:
        lines += [
            "| draws | workers | wall s | draws/s | peak RSS MB (main) | peak RSS MB (largest worker) |",
            "|---|---|---|---|---|---|",
        ]
        for row in report["scaling"]:
            worker = f"{row['worker_maxrss_mb']:.0f}" if row["workers"] > 1 else "–"
            lines.append(
                f"| {row['draws']:,} | {row['workers']} | {row['wall_s']:.2f} "
                f"| {row['draws'] / row['wall_s']:,.0f} "
                f"| {row['maxrss_mb']:.0f} | {worker} |"
            )
        lines.append("")
    return "\n".join(lines)


def verdict(report: dict[str, Any]) -> list[str]:
    """The issue's goals that the measurements miss (empty: all met)."""
    missed = []
    if "speed" in report and report["speed"]["ratio"] < 300:
        missed.append(f"engine only {report['speed']['ratio']:.0f}× faster per draw than SimPy (goal 300×)")
    if "agreement" in report:
        for t in report["agreement"]["targets"]:
            if not abs(t["p50_steps"]) <= 1:
                missed.append(f"target {t['target']}: P50 differs by {t['p50_steps']} steps (goal ≤ 1)")
            if t["ks_independent_p"] < KS_ALPHA:
                missed.append(f"target {t['target']}: KS rejects at 1% (p = {t['ks_independent_p']:.2g})")
        for c in report["agreement"]["capacity"]:
            if c["ks_independent_p"] < KS_ALPHA:
                missed.append(f"capacity on {c['date']}: KS rejects at 1% (p = {c['ks_independent_p']:.2g})")
    for row in report.get("scaling", []):
        peak = row["maxrss_mb"] + (row["workers"] * row["worker_maxrss_mb"] if row["workers"] > 1 else 0)
        if row["draws"] == 100_000 and (row["wall_s"] > 15 or peak > 2048):
            missed.append(f"100k draws with {row['workers']} workers: {row['wall_s']:.1f} s, {peak:.0f} MB")
    return missed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer draws everywhere, no 1M run")
    parser.add_argument("--skip", nargs="*", default=[], choices=["speed", "agreement", "scaling"])
    parser.add_argument("--json", help="also write the measurements to this JSON file")
    parser.add_argument("--child", nargs=2, type=int, metavar=("DRAWS", "WORKERS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    model = Model.from_scenario(load_scenario(SCENARIO))
    report: dict[str, Any] = {"machine": machine(), "quick": args.quick}
    if "speed" not in args.skip:
        report["speed"] = speed(model, *((50, 2_000) if args.quick else (200, 10_000)))
        print(f"  speed: {report['speed']}", file=sys.stderr, flush=True)
    if "agreement" not in args.skip:
        report["agreement"] = agreement(model, 500 if args.quick else 5_000)
    if "scaling" not in args.skip:
        sizes = [1_000, 10_000, 100_000] + ([] if args.quick else [1_000_000])
        report["scaling"] = scaling(sizes, [1, 2])
    report["missed"] = verdict(report)
    print(markdown(report))
    print("Goals missed:" if report["missed"] else "All goals met.")
    for line in report["missed"]:
        print(f"- {line}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2, default=float)
    return 1 if report["missed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
