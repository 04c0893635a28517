"""Capacity-expansion planning: where, when, on which power and accelerators to build.

The sites serving demand's party (its tenant's; :func:`gigawatt.engine.serving_sites`) become
candidate sites; its demand becomes a compute trajectory (BF16 dense FLOP/s) per quarter, from
the first quarter after the scenario's as-of date, met first by the party's contracted capacity
(each step's MW at 1 − quantile and date at quantile, at its block's accelerator, as the engine
counts it). :func:`plan_inputs` turns both into one labelled dataset (dims ``site``,
``period``, ``source``, ``accelerator``); :func:`build_model` states the least-net-present-cost
problem on it with linopy; :func:`solve` hands it to HiGHS and reads back the plan, the
binding constraints (duals) and, when there is no plan, why (:class:`PlanInfeasibleError`).

One module per concern: :mod:`~gigawatt.plan.inputs` (the problem from a scenario and the
catalogs; :mod:`~gigawatt.plan.synthetic` for random ones), :mod:`~gigawatt.plan.model` (the
linopy model), :mod:`~gigawatt.plan.solve` (HiGHS, duals, why no plan),
:mod:`~gigawatt.plan.result` (the plan and why, in words), :mod:`~gigawatt.plan.write` (the
plan written back as a scenario) and :mod:`~gigawatt.plan.robust` (``--robust``). The package
needs the ``optimizer`` extra (linopy, highspy); the CLI imports it only when ``plan`` runs.

The model, per quarter ``t``:

- ``build[site, period, source, accelerator]`` facility MW brought online, fed by one of the
  site's power sources and filled with one accelerator generation (zero before the generation
  is available or where the site has no such source);
- ``online[site, period, source]`` = ``online[t-1]`` + ``build[t]`` (stock of new capacity);
- ``online`` ≤ the source's firm facility MW available by then (0 before the site's earliest
  online date); Σ sources ≤ ``room_mw`` × ``open[site]`` (binary, fixed land cost), where
  ``room_mw[site, period]`` is the MW of the site's phases to decide (committed, announced) that
  can be online by then (each phase at its own earliest date, as the engine would build it:
  :func:`pending_phases`); Σ sources + what is online + what is under construction ≤ the site's
  firm power;
- ``compute[period]`` = ``compute[t-1]`` + Σ ``build[t]`` × FLOP/s per facility MW of its
  accelerator at its site (``flops_per_facility_mw`` = 1e6 / (PUE × IT W per accelerator) ×
  BF16 dense FLOP/s per accelerator, medians), in EFLOP/s;
- demand: existing FLOP/s + contracted FLOP/s + under-construction FLOP/s + ``compute`` +
  ``unmet`` ≥ training + inference demand, in FLOP/s. Phases under construction are fixed
  builds, not decisions (:func:`~gigawatt.plan.inputs.is_fixed`): online from their engine
  date (``fixed_build_mw``), first in the shared accelerator and build-rate supply, their capex
  reported and not in the objective.
  So the accelerator generation is a real decision: a newer one delivers more FLOP/s per MW of
  power and site. Scenario demand stated as compute (``compute`` in FLOP/s) is taken as it is;
  stated as facility power (``level`` in GW) it is read as the compute that power holds with
  the *reference* accelerators: the power-weighted mean FLOP/s per facility MW of the
  scenario's phases whose accelerator is available by demand's start
  (:func:`reference_flops_per_mw`), so "1 GW of demand" means that much compute, not that many MW;
- supply limits per quarter (accelerators shipped, turbines, transformers, construction,
  the programme's build rate), an optional capex budget and on-site-gas CO2 cap.

Costs are discounted quarterly; the net present cost is that of what the plan decides and of
unmet demand (what is online or under construction costs the same whatever the plan does).
Capex is charged as an annuity over its life (the facility's life; the accelerator's useful
life), counted only inside the horizon, so a MW built in the
last quarter is not penalised for the years after it. Opex is energy: grid at the region's
price, gas at Henry Hub × heat rate, solar + battery free at the margin. Unmet demand costs
buying the compute under contract: a sourced price per facility GW-year over the FLOP/s a GW
of the accelerators such contracts buy holds (:func:`plan_assumptions`).
"""

from gigawatt.plan.inputs import (
    EFLOPS,
    SOURCES,
    WORKLOADS,
    PlanOptions,
    is_fixed,
    pending_phases,
    plan_assumptions,
    plan_inputs,
    quarter_start,
    quarters,
    reference_flops_per_mw,
)
from gigawatt.plan.model import build_model, coefficients
from gigawatt.plan.result import DEMAND_AS_COMPUTE, DEMAND_REFERENCE, PlanResult
from gigawatt.plan.robust import (
    ROBUST_METHOD,
    ROBUST_QUANTILES,
    RobustPlan,
    RobustStep,
    check_dates,
    demand_met,
    promised_dates,
    robust_plan,
)
from gigawatt.plan.solve import (
    PlanInfeasibleError,
    explain_failure,
    max_buildable_flops,
    max_buildable_mw,
    solve,
)
from gigawatt.plan.synthetic import synthetic_inputs
from gigawatt.plan.write import extends_ref, plan_scenario, plan_scenario_text, write_plan

__all__ = [
    "PlanInfeasibleError",
    "PlanOptions",
    "PlanResult",
    "build_model",
    "coefficients",
    "plan_assumptions",
    "plan_inputs",
    "reference_flops_per_mw",
    "plan_scenario_text",
    "plan_scenario",
    "solve",
    "synthetic_inputs",
    "write_plan",
    "extends_ref",
    "ROBUST_QUANTILES",
    "ROBUST_METHOD",
    "RobustPlan",
    "RobustStep",
    "demand_met",
    "check_dates",
    "pending_phases",
    "is_fixed",
    "promised_dates",
    "robust_plan",
    "explain_failure",
    "max_buildable_mw",
    "max_buildable_flops",
    "quarters",
    "quarter_start",
    "SOURCES",
    "WORKLOADS",
    "EFLOPS",
    "DEMAND_REFERENCE",
    "DEMAND_AS_COMPUTE",
]
