"""Benchmark of ``gigawatt plan``: the linopy model against the same model in Pyomo.

Both read the same synthetic inputs (:func:`gigawatt.plan.synthetic_inputs`) and the same
objective coefficients (:func:`gigawatt.plan.coefficients`) and are solved by HiGHS; their
objectives must agree to 1e-6 (relative). Each (tool, size) runs in its own processes, so that
peak memory (max RSS of the process) is its own; the tools alternate, and each is repeated
(``--repeats`` processes, ``--builds`` builds in each after the first), medians reported: the
first build in a fresh process and later ("warm") builds. After each build the model is handed
to a HiGHS instance (:func:`hand_over`), timed apart: Pyomo leaves the conversion of its
expression trees to linear coefficients to that step, linopy has its coefficients in arrays by
then, so "build + hand-over" is the time from inputs to an LP the solver holds, for both.

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

    def native(values: Any) -> Any:
        # Python floats, not numpy scalars, go into Pyomo expressions: numpy scalar × Pyomo
        # variable goes through numpy's ufunc dispatch, several times slower.
        return np.asarray(values, dtype=float).astype(object)

    sites = [str(s) for s in inputs.site.values]
    periods = list(range(inputs.sizes["period"]))
    bmask = coef.build_mask.values
    omask = coef.online_mask.values
    build_idx = [tuple(ix) for ix in np.argwhere(bmask).tolist()]
    online_idx = [tuple(ix) for ix in np.argwhere(omask).tolist()]
    build_cost = native(coef.build_cost_usd_per_mw.values)
    online_cost = native(coef.online_cost_usd_per_mw.values)
    cap = native(inputs.power_cap_mw.transpose("site", "period", "source").values)
    room = native(inputs.room_mw.transpose("site", "period").values)
    existing = inputs.existing_mw.values
    # Demand is compute, in EFLOP/s (BF16 dense), as in build_model.
    demand_eflops = inputs.demand_flops.sum("workload").values / 1e18
    demand = native(demand_eflops)
    fixed_mw = inputs.fixed_build_mw.sum("accelerator").transpose("site", "period").values
    fixed_eflops = (inputs.fixed_build_mw * inputs.flops_per_facility_mw).sum(["site", "accelerator"]) / 1e18
    need = native(
        demand_eflops
        - (float(inputs.existing_flops.sum()) + inputs.contracted_flops.sum("block").values) / 1e18
        - fixed_eflops.values
    )
    eflops_per_mw = native(coef.eflops_per_mw.values)

    m = pyo.ConcreteModel()
    m.build = pyo.Var(build_idx, domain=pyo.NonNegativeReals)
    m.online = pyo.Var(online_idx, domain=pyo.NonNegativeReals)
    binary = bool(inputs.attrs["binary_sites"])
    m.open = pyo.Var(range(len(sites)), domain=pyo.Binary if binary else pyo.UnitInterval)
    builds_at: dict[tuple[int, int, int], list[tuple[int, int, int, int]]] = {}
    for ix in build_idx:
        builds_at.setdefault(ix[:3], []).append(ix)
    online_at_site: dict[tuple[int, int], list[tuple[int, int, int]]] = {}
    for ix in online_idx:
        online_at_site.setdefault(ix[:2], []).append(ix)

    def stock(m: Any, i: int, t: int, j: int) -> Any:
        before = m.online[i, t - 1, j] if t > 0 else 0
        return m.online[i, t, j] - before - sum(m.build[b] for b in builds_at.get((i, t, j), [])) == 0

    m.stock = pyo.Constraint(online_idx, rule=stock)
    m.power = pyo.Constraint(online_idx, rule=lambda m, i, t, j: m.online[i, t, j] <= cap[i, t, j])

    def site_size(m: Any, i: int, t: int) -> Any:
        terms = online_at_site.get((i, t), [])
        if not terms:
            return pyo.Constraint.Skip
        return sum(m.online[o] for o in terms) - room[i, t] * m.open[i] <= 0

    m.site_size = pyo.Constraint(range(len(sites)), periods, rule=site_size)
    # what is online and under construction takes the site's power first
    taken = existing[:, None] + fixed_mw
    headroom = native(np.maximum(inputs.power_cap_mw.sum("source").values - taken, 0.0))

    def site_power(m: Any, i: int, t: int) -> Any:
        terms = online_at_site.get((i, t), [])
        if not (taken[i] > 0).any() or not terms:
            return pyo.Constraint.Skip
        return sum(m.online[o] for o in terms) <= headroom[i, t]

    m.site_power = pyo.Constraint(range(len(sites)), periods, rule=site_power)
    require = bool(inputs.attrs["require_demand"])
    if not require:
        m.unmet = pyo.Var(periods, bounds=lambda m, t: (0, demand[t]))

    m.compute = pyo.Var(periods, domain=pyo.NonNegativeReals)
    builds_in: dict[int, list[tuple[int, int, int, int]]] = {}
    for ix in build_idx:
        builds_in.setdefault(ix[1], []).append(ix)

    def compute_rule(m: Any, t: int) -> Any:
        before = m.compute[t - 1] if t > 0 else 0
        added = sum(eflops_per_mw[i, a] * m.build[i, tt, j, a] for (i, tt, j, a) in builds_in.get(t, []))
        return m.compute[t] - before - added == 0

    m.compute_stock = pyo.Constraint(periods, rule=compute_rule)

    def demand_rule(m: Any, t: int) -> Any:
        return m.compute[t] + (0 if require else m.unmet[t]) >= need[t]

    m.demand = pyo.Constraint(periods, rule=demand_rule)
    acc_per_mw = native(inputs.accelerators_per_mw.values)
    m.supply = pyo.ConstraintList()
    for limit in inputs.limit.values:
        spec = inputs.sel(limit=limit)
        in_acc = bool(spec.supply_in_accelerators)
        acc_ok = spec.supply_accelerator.values
        src_ok = spec.supply_source.values
        amount = native(spec.supply_amount.values)
        for t in periods:
            terms = [
                (acc_per_mw[i, a] if in_acc else 1.0) * m.build[i, tt, j, a]
                for (i, tt, j, a) in builds_in.get(t, [])
                if acc_ok[a] and src_ok[j]
            ]
            if terms:
                m.supply.add(sum(terms) <= amount[t])
    fixed = native(inputs.fixed_cost_usd.values)
    capex = native(coef.build_capex_usd_per_mw.transpose("site", "source", "accelerator").values)
    if not math.isnan(inputs.attrs["budget_usd"]):
        m.budget = pyo.Constraint(
            expr=sum(capex[i, j, a] * m.build[i, t, j, a] for (i, t, j, a) in build_idx)
            + sum(fixed[i] * m.open[i] for i in range(len(sites)))
            <= inputs.attrs["budget_usd"]
        )
    co2 = native(inputs.co2_t_per_mw_quarter.values)
    if not math.isnan(inputs.attrs["emissions_cap_t"]):
        m.co2 = pyo.Constraint(
            expr=sum(co2[i, j] * m.online[i, t, j] for (i, t, j) in online_idx)
            <= inputs.attrs["emissions_cap_t"]
        )
    unmet_cost = native(coef.unmet_cost_usd_per_eflops.values)
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


def hand_over(tool: str, model: Any) -> Any:
    """The model loaded into a HiGHS instance, ready to run: what each tool does first when it
    solves. linopy copies its arrays into a sparse matrix (``io_api="direct"``); Pyomo's APPSI
    walks every expression tree to its linear coefficients (``set_instance``)."""
    if tool == "linopy":
        return model.to_highspy()
    from pyomo.contrib.appsi.solvers import Highs

    solver = Highs()
    solver.set_instance(model)
    return solver


def run_one(tool: str, n_sites: int, n_periods: int, seed: int, builds: int, solve: bool) -> dict[str, Any]:
    """Build the model ``builds`` times, each followed by its hand-over to HiGHS (then solve the
    last one if ``solve``); times in seconds, peak memory as the process's max RSS.

    Both tools' libraries are imported, and HiGHS started once, before any timer starts
    (importing ``pyomo.environ`` takes ~0.3 s and HiGHS's first start ~20 ms, neither of which
    is model building); each build starts from the same inputs and covers everything from them
    to a model ready to hand to HiGHS, objective coefficients included. Garbage from the
    previous build is collected outside the timers."""
    import gc

    import highspy
    import pyomo.environ  # noqa: F401  (import cost is not build time)
    from pyomo.contrib.appsi.solvers import Highs  # noqa: F401

    from gigawatt.plan import build_model, synthetic_inputs
    from gigawatt.plan.solve import _solve_model

    highspy.Highs()  # HiGHS's one-off start-up in a process (~20 ms) is not hand-over time either

    inputs = synthetic_inputs(n_sites, n_periods, seed, binary_sites=False)
    make = build_model if tool == "linopy" else pyomo_model
    build_s, handover_s = [], []
    model: Any = None
    for _ in range(builds):
        model = None
        gc.collect()
        start = time.perf_counter()
        model = make(inputs)
        built = time.perf_counter()
        hand_over(tool, model)
        build_s.append(built - start)
        handover_s.append(time.perf_counter() - built)
    row: dict[str, Any] = {
        "tool": tool,
        "sites": n_sites,
        "periods": n_periods,
        "build_s": build_s,
        "handover_s": handover_s,
    }
    if solve:
        start = time.perf_counter()
        if tool == "linopy":
            status = _solve_model(model, 600.0)
            objective = float(model.objective.value)
        else:
            objective = solve_pyomo(model)
            status = "optimal"
        row.update(
            status=status,
            objective_usd=objective,
            solve_s=time.perf_counter() - start,
            peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        )
    return row


def _one(tool: str, n: int, args: argparse.Namespace, builds: int, solve: bool) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.plan_bench", "--one", tool, str(n)]
    command += ["--periods", str(args.periods), "--seed", str(args.seed), "--builds", str(builds)]
    out = subprocess.run(command + (["--solve"] if solve else []), check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[20, 200, 1000])
    parser.add_argument("--periods", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="Processes per tool and size (interleaved).")
    parser.add_argument("--builds", type=int, default=5, help="Builds per process after the first repeat.")
    parser.add_argument("--one", nargs=2, metavar=("TOOL", "SITES"), help=argparse.SUPPRESS)
    parser.add_argument("--solve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        row = run_one(args.one[0], int(args.one[1]), args.periods, args.seed, args.builds, args.solve)
        print(json.dumps(row))
        return 0
    print(
        "| sites × quarters | linopy build s (first / warm) | Pyomo build s (first / warm) | "
        "build speed-up (first / warm) | linopy hand-over s | Pyomo hand-over s | "
        "build + hand-over speed-up (first / warm) | linopy solve s | Pyomo solve s | "
        "linopy peak MB | Pyomo peak MB | objective USD | rel. diff |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for n in args.sizes:
        first: dict[str, list[float]] = {"linopy": [], "pyomo": []}
        warm: dict[str, list[float]] = {"linopy": [], "pyomo": []}
        # build + hand-over of the same builds, first and warm
        first_all: dict[str, list[float]] = {"linopy": [], "pyomo": []}
        warm_all: dict[str, list[float]] = {"linopy": [], "pyomo": []}
        handover: dict[str, list[float]] = {"linopy": [], "pyomo": []}
        solved: dict[str, dict[str, Any]] = {}
        for r in range(args.repeats):
            # Repeat 0 builds once and solves (solve time, peak memory); later repeats only build,
            # in alternating order so that drifting load hits both tools alike.
            for tool in ("linopy", "pyomo") if r % 2 == 0 else ("pyomo", "linopy"):
                row = _one(tool, n, args, 1 if r == 0 else args.builds, solve=r == 0)
                first[tool].append(row["build_s"][0])
                warm[tool] += row["build_s"][1:]
                both = [b + h for b, h in zip(row["build_s"], row["handover_s"], strict=True)]
                first_all[tool].append(both[0])
                warm_all[tool] += both[1:]
                handover[tool] += row["handover_s"]
                if r == 0:
                    solved[tool] = row
        lin, pyo = solved["linopy"], solved["pyomo"]
        a, b = lin["objective_usd"], pyo["objective_usd"]
        rel = abs(a - b) / max(abs(b), 1.0)
        med = {
            k: {t: float(np.median(v[t])) if v[t] else math.nan for t in v}
            for k, v in (
                ("first", first),
                ("warm", warm),
                ("first_all", first_all),
                ("warm_all", warm_all),
                ("handover", handover),
            )
        }
        f, w, fa, wa, h = (med[k] for k in ("first", "warm", "first_all", "warm_all", "handover"))
        times = " | ".join(f"{f[t]:.3f} / {w[t]:.3f}" for t in ("linopy", "pyomo"))
        print(
            f"| {n} × {args.periods} | {times} | {f['pyomo'] / f['linopy']:.1f}× / "
            f"{w['pyomo'] / w['linopy']:.1f}× | {h['linopy']:.3f} | {h['pyomo']:.3f} | "
            f"{fa['pyomo'] / fa['linopy']:.1f}× / {wa['pyomo'] / wa['linopy']:.1f}× | "
            f"{lin['solve_s']:.2f} | {pyo['solve_s']:.2f} | "
            f"{lin['peak_rss_mb']:.0f} | {pyo['peak_rss_mb']:.0f} | {a:.6e} | {rel:.1e} |",
            flush=True,
        )
        if rel > 1e-6:
            print(f"objectives differ: linopy {a} vs pyomo {b}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
