"""Benchmark of ``gigawatt plan``: the linopy model against the same model in Pyomo.

Both read the same synthetic inputs (:func:`gigawatt.plan.synthetic_inputs`) and the same
objective coefficients (:func:`gigawatt.plan.coefficients`) and are solved by HiGHS; their
objectives must agree to 1e-6 (relative). Each (tool, size) runs in its own process so that
peak memory (max RSS of the process) is its own.

    .venv/bin/python -m benchmarks.plan_bench --sizes 20 200 1000 --periods 40
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
import xarray as xr


def pyomo_model(inputs: xr.Dataset) -> Any:
    """The plan of :func:`gigawatt.plan.build_model` (open sites as variables) in Pyomo."""
    import pyomo.environ as pyo

    from gigawatt.plan import coefficients

    coef = coefficients(inputs)
    sites = [str(s) for s in inputs.site.values]
    periods = list(range(inputs.sizes["period"]))
    bmask = coef.build_mask.values
    omask = coef.online_mask.values
    build_idx = [tuple(ix) for ix in np.argwhere(bmask)]
    online_idx = [tuple(ix) for ix in np.argwhere(omask)]
    build_cost = coef.build_cost_usd_per_mw.values
    online_cost = coef.online_cost_usd_per_mw.values
    cap = inputs.power_cap_mw.transpose("site", "period", "source").values
    room = (inputs.max_size_mw - inputs.existing_mw).values
    existing = inputs.existing_mw.values
    demand = inputs.demand_mw.sum("workload").values
    need = demand - existing.sum()

    m = pyo.ConcreteModel()
    m.build = pyo.Var(build_idx, domain=pyo.NonNegativeReals)
    m.online = pyo.Var(online_idx, domain=pyo.NonNegativeReals)
    binary = bool(inputs.attrs["binary_sites"])
    m.open = pyo.Var(range(len(sites)), domain=pyo.Binary if binary else pyo.UnitInterval)
    builds_at: dict[tuple[int, int, int], list[tuple[int, int, int, int]]] = {}
    for ix in build_idx:
        builds_at.setdefault(ix[:3], []).append(ix)
    online_at_site: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    online_at_period: dict[int, list[tuple[int, int, int]]] = {}
    for ix in online_idx:
        online_at_site.setdefault(ix[:2], []).append(ix)
        online_at_period.setdefault(ix[1], []).append(ix)

    def stock(m: Any, i: int, t: int, j: int) -> Any:
        before = m.online[i, t - 1, j] if t > 0 else 0
        return m.online[i, t, j] - before - sum(m.build[b] for b in builds_at.get((i, t, j), [])) == 0

    m.stock = pyo.Constraint(online_idx, rule=stock)
    m.power = pyo.Constraint(online_idx, rule=lambda m, i, t, j: m.online[i, t, j] <= cap[i, t, j])

    def site_size(m: Any, i: int, t: int) -> Any:
        terms = online_at_site.get((i, t), [])
        if not terms:
            return pyo.Constraint.Skip
        return sum(m.online[o] for o in terms) - room[i] * m.open[i] <= 0

    m.site_size = pyo.Constraint(range(len(sites)), periods, rule=site_size)
    headroom = np.maximum(cap.sum(axis=2) - existing[:, None], 0.0)

    def site_power(m: Any, i: int, t: int) -> Any:
        terms = online_at_site.get((i, t), [])
        if existing[i] <= 0 or not terms:
            return pyo.Constraint.Skip
        return sum(m.online[o] for o in terms) <= headroom[i, t]

    m.site_power = pyo.Constraint(range(len(sites)), periods, rule=site_power)
    require = bool(inputs.attrs["require_demand"])
    if not require:
        m.unmet = pyo.Var(periods, bounds=lambda m, t: (0, demand[t]))

    def demand_rule(m: Any, t: int) -> Any:
        served = sum(m.online[o] for o in online_at_period.get(t, []))
        return served + (0 if require else m.unmet[t]) >= need[t]

    m.demand = pyo.Constraint(periods, rule=demand_rule)
    acc_per_mw = inputs.accelerators_per_mw.values
    builds_in: dict[int, list[tuple[int, int, int, int]]] = {}
    for ix in build_idx:
        builds_in.setdefault(ix[1], []).append(ix)
    m.supply = pyo.ConstraintList()
    for limit in inputs.limit.values:
        spec = inputs.sel(limit=limit)
        in_acc = bool(spec.supply_in_accelerators)
        acc_ok = spec.supply_accelerator.values
        src_ok = spec.supply_source.values
        amount = spec.supply_amount.values
        for t in periods:
            terms = [
                (acc_per_mw[i, a] if in_acc else 1.0) * m.build[i, tt, j, a]
                for (i, tt, j, a) in builds_in.get(t, [])
                if acc_ok[a] and src_ok[j]
            ]
            if terms:
                m.supply.add(sum(terms) <= amount[t])
    fixed = inputs.fixed_cost_usd.values
    capex = coef.build_capex_usd_per_mw.transpose("site", "source", "accelerator").values
    if not math.isnan(inputs.attrs["budget_usd"]):
        m.budget = pyo.Constraint(
            expr=sum(capex[i, j, a] * m.build[i, t, j, a] for (i, t, j, a) in build_idx)
            + sum(fixed[i] * m.open[i] for i in range(len(sites)))
            <= inputs.attrs["budget_usd"]
        )
    co2 = inputs.co2_t_per_mw_quarter.values
    if not math.isnan(inputs.attrs["emissions_cap_t"]):
        m.co2 = pyo.Constraint(
            expr=sum(co2[i, j] * m.online[i, t, j] for (i, t, j) in online_idx)
            <= inputs.attrs["emissions_cap_t"]
        )
    unmet_cost = coef.unmet_cost_usd_per_mw.values
    objective = (
        sum(build_cost[ix] * m.build[ix] for ix in build_idx)
        + sum(online_cost[ix] * m.online[ix] for ix in online_idx)
        + sum(fixed[i] * m.open[i] for i in range(len(sites)))
    )
    if not require:
        objective = objective + sum(unmet_cost[t] * m.unmet[t] for t in periods)
    m.objective = pyo.Objective(expr=objective, sense=pyo.minimize)
    return m


def solve_pyomo(m: Any) -> float:
    import pyomo.environ as pyo

    solver = pyo.SolverFactory("appsi_highs")
    solver.config.stream_solver = False
    solver.highs_options = {"mip_rel_gap": 1e-6}
    solver.solve(m)
    return float(pyo.value(m.objective))


def run_one(tool: str, n_sites: int, n_periods: int, seed: int) -> dict[str, Any]:
    """Build and solve one model; times in seconds, peak memory as the process's max RSS."""
    from gigawatt.plan import _solve_model, build_model, synthetic_inputs

    inputs = synthetic_inputs(n_sites, n_periods, seed, binary_sites=False)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    if tool == "linopy":
        model: Any = build_model(inputs)
        built = time.perf_counter()
        status = _solve_model(model, 600.0)
        objective = float(model.objective.value)
    else:
        model = pyomo_model(inputs)
        built = time.perf_counter()
        objective = solve_pyomo(model)
        status = "optimal"
    solved = time.perf_counter()
    return {
        "tool": tool,
        "sites": n_sites,
        "periods": n_periods,
        "status": status,
        "objective_usd": objective,
        "build_s": built - start,
        "solve_s": solved - built,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_before_mb": rss_before,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "SITES"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]), args.periods, args.seed)))
        return 0
    rows = []
    for n in args.sizes:
        pair = {}
        for tool in ("linopy", "pyomo"):
            out = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.plan_bench",
                    "--one",
                    tool,
                    str(n),
                    "--periods",
                    str(args.periods),
                    "--seed",
                    str(args.seed),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            pair[tool] = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(pair[tool])
        a, b = pair["linopy"]["objective_usd"], pair["pyomo"]["objective_usd"]
        rel = abs(a - b) / max(abs(b), 1.0)
        lin, pyo = pair["linopy"], pair["pyomo"]
        print(
            f"| {n} × {args.periods} | {lin['build_s']:.2f} | {pyo['build_s']:.2f} | "
            f"{pyo['build_s'] / lin['build_s']:.1f}× | {lin['solve_s']:.2f} | "
            f"{pair['pyomo']['solve_s']:.2f} | {pair['linopy']['peak_rss_mb']:.0f} | "
            f"{pair['pyomo']['peak_rss_mb']:.0f} | {a:.6e} | {rel:.1e} |",
            flush=True,
        )
        if rel > 1e-6:
            print(f"objectives differ: linopy {a} vs pyomo {b}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
