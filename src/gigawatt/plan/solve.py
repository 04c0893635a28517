"""Solving the plan with HiGHS, reading back its duals, and explaining why there is none.

:func:`solve` solves the MILP, then the LP with the chosen sites fixed, whose duals say which
constraints bind; when no plan exists, :func:`explain_failure` says which demand no power can
meet, or which hard limits a re-solve with priced slack has to break (:class:`PlanInfeasibleError`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import linopy
import numpy as np
import xarray as xr

from gigawatt.errors import GigawattError
from gigawatt.plan.inputs import EFLOPS, fixed_build_flops
from gigawatt.plan.model import build_model, coefficients, fixed_build_mw
from gigawatt.plan.result import PlanResult


class PlanInfeasibleError(GigawattError):
    """No plan satisfies the hard constraints; the message says which ones bind."""


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """HiGHS prints its banner on the process's stdout; keep stdout for our own output (--json)."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _solve_model(m: linopy.Model, time_limit_s: float) -> str:
    log = logging.getLogger("linopy")
    level = log.level
    log.setLevel(logging.ERROR)  # an infeasible status is explained by the caller, not dumped
    with warnings.catch_warnings(), _quiet_stdout(), contextlib.ExitStack() as stack:
        stack.callback(log.setLevel, level)
        warnings.simplefilter("ignore")
        m.solve(
            solver_name="highs", io_api="direct", output_flag=False, time_limit=time_limit_s, mip_rel_gap=1e-6
        )
    return str(m.termination_condition)


def _values(var: Any, fill: float = 0.0) -> xr.DataArray:
    return var.solution.fillna(fill)


def _duals(m: linopy.Model) -> dict[str, xr.DataArray]:
    """Shadow price of each constraint family; the supply rows split into ``supply_<limit>``."""
    duals = {}
    for name in m.constraints:
        dual = m.constraints[name].dual
        if name == "supply":
            duals.update({f"supply_{limit}": dual.sel(limit=limit, drop=True) for limit in dual.limit.values})
        else:
            duals[name] = dual
    return duals


def solve(inputs: xr.Dataset, time_limit_s: float = 600.0) -> PlanResult:
    """Solve the plan; duals come from the LP with the chosen sites fixed open or closed."""
    m = build_model(inputs)
    status = _solve_model(m, time_limit_s)
    if status != "optimal":
        raise PlanInfeasibleError(explain_failure(inputs, status))
    objective = float(m.objective.value or math.nan)
    open_sites = _values(m.variables["open"]).round() if inputs.attrs["binary_sites"] else None
    if open_sites is not None:
        fixed = build_model(inputs, open_sites)
        if _solve_model(fixed, time_limit_s) == "optimal":
            m = fixed
    duals = _duals(m)
    return PlanResult(
        inputs=inputs,
        status=status,
        objective_usd=objective,
        build_mw=_values(m.variables["build"]),
        online_mw=_values(m.variables["online"]),
        unmet_flops=_values(m.variables["unmet"]) * EFLOPS
        if "unmet" in m.variables
        else xr.zeros_like(inputs.demand_flops.sum("workload")),
        open_sites=open_sites if open_sites is not None else _values(m.variables["open"]),
        duals=duals,
    )


# ---------------------------------------------------------------- explaining a failure


def _most_new_mw(inputs: xr.Dataset) -> xr.DataArray:
    """Per site and period, the most new facility MW the plan could have online: its room, and
    its power less what is online and under construction (fixed builds)."""
    fixed = xr.DataArray(fixed_build_mw(inputs), dims=("site", "period"), coords=inputs.room_mw.coords)
    power = inputs.power_cap_mw.sum("source")
    headroom = np.maximum(power - inputs.existing_mw.where(inputs.existing_mw > 0, 0.0) - fixed, 0.0)
    return np.minimum(np.minimum(power, headroom), inputs.room_mw)


def max_buildable_mw(inputs: xr.Dataset) -> xr.DataArray:
    """Per period, the most facility MW all sites could have online, ignoring shared limits:
    what exists, what is under construction and the most the plan could add."""
    fixed = fixed_build_mw(inputs).sum(axis=0)
    return _most_new_mw(inputs).sum("site") + inputs.existing_mw.sum() + fixed


def max_buildable_flops(inputs: xr.Dataset) -> xr.DataArray:
    """Per period, the most FLOP/s all sites could have online, ignoring shared limits: each
    site's most MW filled with the densest accelerator available by then, plus what exists and
    what is under construction."""
    densest = (inputs.flops_per_facility_mw * inputs.accelerator_available).max("accelerator")
    new = (_most_new_mw(inputs) * densest).sum("site")
    return new + inputs.existing_flops.sum() + fixed_build_flops(inputs).sum("site")


def _building(inputs: xr.Dataset, period: int) -> str:
    mw = float(fixed_build_mw(inputs)[:, period].sum())
    return f" and {mw:,.0f} MW under construction" if mw > 0.5 else ""


def explain_failure(inputs: xr.Dataset, status: str) -> str:
    """Why no plan exists: the first quarter whose demand no power can meet, else the hard
    limits that a re-solve with priced slack on demand has to break."""
    labels = inputs.period.values
    if status not in ("infeasible", "infeasible_or_unbounded"):
        return f"the solver stopped with status {status!r} (no plan); try a smaller problem"
    demand = inputs.demand_flops.sum("workload")
    contracted = inputs.contracted_flops.sum("block")
    most = max_buildable_flops(inputs)
    short = (demand - contracted > most * (1 + 1e-9) + 1e-6).values
    if short.any():
        i = int(np.argmax(short))
        later = inputs.power_cap_mw.sum("site")
        nxt = []
        for source in inputs.source.values:
            steps = np.flatnonzero(np.diff(later.sel(source=source).values) > 1e-6)
            steps = steps[steps >= i]
            if len(steps):
                nxt.append(f"{source} from {labels[steps[0] + 1]}")
        hint = ("; next power: " + ", ".join(nxt)) if nxt else "; no more power arrives inside the horizon"
        return (
            f"demand in {labels[i]} ({float(demand[i]) / EFLOPS:,.1f} EFLOP/s, less "
            f"{float(contracted[i]) / EFLOPS:,.1f} contracted) exceeds what all sites' "
            "power available by then can hold with the best accelerators then "
            f"({float(most[i]) / EFLOPS:,.1f} EFLOP/s on {float(max_buildable_mw(inputs)[i]):,.0f} MW "
            "facility incl. "
            f"{float(inputs.existing_mw.sum()):,.0f} MW existing{_building(inputs, i)}){hint}. "
            "Allow unmet demand (drop "
            "--require-demand) or add power."
        )
    relaxed = inputs.copy()
    # An LP (sites may open partly) with demand priced far above any build, so that unmet
    # demand appears only where the hard limits force it; their duals name them.
    coef = coefficients(inputs)
    sparsest = float(coef.eflops_per_mw.where(coef.eflops_per_mw > 0).min())
    steep = 1e3 * float(coef.build_cost_usd_per_mw.max()) / sparsest
    relaxed.attrs = {
        **inputs.attrs,
        "require_demand": 0,
        "binary_sites": 0,
        "penalty_usd_per_eflops_quarter": steep,
    }
    m = build_model(relaxed)
    if _solve_model(m, 600.0) != "optimal":
        return "no plan even with demand relaxed: the budget or emissions cap cannot be met"
    unmet = _values(m.variables["unmet"])
    gaps = labels[(unmet > 1e-6).values]
    binding = []
    for name, dual in _duals(m).items():
        limit = name.startswith("supply_") or name in ("budget", "co2")
        if limit and bool((abs(dual) > 1e-9).any()):
            what = name.removeprefix("supply_")
            if dual.ndim:
                hits = labels[(abs(dual) > 1e-9).values]
                binding.append(f"supply {what} ({hits[0]}–{hits[-1]})")
            else:
                binding.append({"budget": "the capex budget", "co2": "the CO2 cap"}[name])
    first = gaps[0] if len(gaps) else labels[0]
    return (
        f"demand in {first} cannot be met: {float(unmet.sel(period=first)):,.1f} EFLOP/s short "
        f"({len(gaps)} quarters short in all) although the sites have the power; binding: "
        + (", ".join(binding) or "site sizes and earliest dates")
        + ". Allow unmet demand (drop --require-demand) or relax those limits."
    )


# ---------------------------------------------------------------- writing the plan back
