"""``--robust``: re-plan for more demand until the simulated plan meets it often enough.

Each re-plan reads demand at a higher quantile, is written as a scenario and simulated by the
engine on the runner; the share of draws whose FLOP/s online meets drawn demand at every
checked year end is the plan's probability (:data:`ROBUST_METHOD`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from gigawatt.engine import (
    Model,
    contracted_steps,
    demand_streams,
    serving_at,
    serving_capacity,
    simulate_block,
)
from gigawatt.errors import GigawattError
from gigawatt.plan.inputs import PlanOptions, plan_inputs
from gigawatt.plan.result import PlanResult
from gigawatt.plan.solve import PlanInfeasibleError, solve
from gigawatt.plan.write import _iso, extends_ref, plan_scenario
from gigawatt.runner import BlockOut, run_blocks
from gigawatt.sampling import BLOCK_DRAWS, block_ranges, sample
from gigawatt.scenario import Scenario

#: Quantiles ``--robust`` re-plans at, in order, until the target probability is reached.
ROBUST_QUANTILES = (0.5, 0.7, 0.85, 0.95)


def check_dates(scenario: Scenario, start_date: float, end_date: float) -> np.ndarray:
    """Year ends (Dec 31) inside ``[start_date, end_date)`` and the scenario's time span."""
    year_ends = Model.from_scenario(scenario).year_ends
    return year_ends[(year_ends >= start_date) & (year_ends < end_date)]


def demand_met(scenario: Scenario, dates: np.ndarray, draws: int, seed: int) -> xr.DataArray:
    """Per draw and date: the capacity serving demand's party covers its total demand
    (training + inference), both drawn, as ``gigawatt run`` compares them (its P(cover)).

    Capacity is the engine's (:func:`~gigawatt.engine.serving_capacity`): the party's sites'
    phases with a simulated online date on or before the date (:func:`~gigawatt.engine.simulate_block`)
    and its contracted blocks' steps delivered by then, in demand's unit (BF16 FLOP/s at the
    draw's accelerator figures for demand stated as compute, as a written plan states it);
    demand is drawn for the same seed and draws."""
    model = Model.from_scenario(scenario)
    blocks = [(i, lo, hi) for i, (lo, hi) in enumerate(block_ranges(draws, 8 * BLOCK_DRAWS))]
    met: dict[int, np.ndarray] = {}
    run_blocks(
        _demand_met_blocks,
        model,
        blocks,
        [lambda out: met.update({out.index: out.value})],
        args=(seed, dates),
    )
    return xr.DataArray(
        np.concatenate([met[i] for i in sorted(met)]),
        dims=("draw", "date"),
        coords={"draw": np.arange(draws), "date": [_iso(d) for d in dates]},
        name="demand_met",
    )


@dataclass
class RobustStep:
    """One re-plan: the quantile read, the plan (None when there is none) and how it fares."""

    quantile: float
    result: PlanResult | None
    probability: float  # share of draws meeting demand at every check date (nan: no plan)
    by_date: dict[str, float]  # share of draws meeting demand at each check date
    error: str = ""

    @property
    def objective_usd(self) -> float:
        return math.nan if self.result is None else self.result.objective_usd

    def build_mw_by_source(self) -> dict[str, float]:
        if self.result is None:
            return {}
        built = self.result.build_mw.sum(["site", "period", "accelerator"])
        return {str(k): float(v) for k, v in built.to_series().items()}


@dataclass
class RobustPlan:
    """The re-plans of :func:`robust_plan`, the least-cost one first."""

    target_probability: float
    draws: int
    seed: int
    dates: list[str]
    steps: list[RobustStep]
    #: year ends in the horizon left out of the check: the least-cost plan's own shortfall (FLOP/s)
    short_flops: dict[str, float] = field(default_factory=dict)
    #: why the re-plans stopped early, if they did for another reason than reaching the target
    note: str = ""

    @property
    def reached(self) -> bool:
        return any(s.probability >= self.target_probability for s in self.steps)

    @property
    def best(self) -> RobustStep:
        """The first plan that reaches the target, else the most probable (cheapest on a tie)."""
        for step in self.steps:
            if step.probability >= self.target_probability:
                return step
        planned = [s for s in self.steps if s.result is not None]
        return max(planned, key=lambda s: (s.probability, -s.objective_usd))

    def changes(self, step: RobustStep) -> dict[str, dict[str, float]]:
        """Facility MW built by source against the least-cost plan: MW and percent."""
        base = self.steps[0].build_mw_by_source()
        out = {}
        for source, mw in step.build_mw_by_source().items():
            before = base.get(source, 0.0)
            delta = mw - before
            if abs(delta) > 0.5:
                out[source] = {
                    "mw": delta,
                    "percent": 100.0 * delta / before if before > 0.5 else math.inf,
                }
        return out

    def change_text(self, step: RobustStep) -> str:
        if step is self.steps[0]:
            return "least-cost plan"
        parts = []
        for source, change in self.changes(step).items():
            name = {"gas": "on-site gas", "solar_battery": "solar + battery"}.get(source, source)
            share = "new" if math.isinf(change["percent"]) else f"{change['percent']:+.0f}%"
            parts.append(f"{share} {name} ({change['mw']:+,.0f} MW facility)")
        return ", ".join(parts) or "same MW by source"

    def summary(self) -> dict[str, Any]:
        best = self.best
        return {
            "target_probability": self.target_probability,
            "reached": self.reached,
            "chosen_quantile": best.quantile,
            "method": ROBUST_METHOD,
            "draws": self.draws,
            "seed": self.seed,
            "dates": self.dates,
            "dates_not_checked_unmet_flops": self.short_flops,
            "note": self.note,
            "least_cost_probability": self.steps[0].probability,
            "iterations": [
                {
                    "quantile": s.quantile,
                    "objective_usd": None if s.result is None else s.objective_usd,
                    "probability": None if math.isnan(s.probability) else s.probability,
                    "probability_by_date": s.by_date,
                    "build_mw_by_source": s.build_mw_by_source(),
                    "change_vs_least_cost": {
                        k: {"mw": v["mw"], "percent": None if math.isinf(v["percent"]) else v["percent"]}
                        for k, v in self.changes(s).items()
                    },
                    "change": self.change_text(s) if s.result is not None else s.error,
                }
                for s in self.steps
            ],
        }


ROBUST_METHOD = (
    "Re-plan for demand at quantile q = 0.5, 0.7, 0.85, 0.95 (its level and growth at q; dates, "
    "lead times and supply stay at --quantile), write each plan as a scenario, simulate it with "
    "the engine and stop at the first plan whose probability of meeting demand reaches P. "
    "Meeting demand: in a draw, the BF16 FLOP/s serving demand's party (its sites' phases "
    "online and its contracted capacity, at the draw's accelerator figures, as `gigawatt run` "
    "of the written plan counts them) >= its total demand (drawn; demand stated as power read "
    "as compute at the plan's reference FLOP/s per facility MW) at every checked year end: those "
    "inside the plan horizon where the least-cost plan itself meets demand. Year ends it leaves "
    "short are listed with the shortfall, not checked. "
    "Dates, lead times and supply are not raised with q: a plan's quarter is the earliest its "
    "phases go online in the engine, so later dates only delay them; read later and smaller, the "
    "party's contracted capacity leaves the plan more to build, which buys probability at a "
    "higher price (docs/plan.md measures both readings on Stargate)."
)


def _demand_met_blocks(
    model: Any, blocks: Iterable[tuple[int, int, int]], seed: int, dates: np.ndarray
) -> list[Any]:
    """The runner's work for :func:`demand_met`: (draw, date) met, for each block."""
    demand_params = {k: v for k, v in model.parameters.items() if k.startswith("demand.")}
    stated_in = model.scenario.demand.stated_in
    outs = []
    for index, lo, hi in blocks:
        ds = simulate_block(model, seed, lo, hi)
        serving = serving_capacity(model, seed, lo, hi, ds, contracted_steps(model, ds))
        have = serving_at(serving, stated_in, dates)
        streams = demand_streams(model, sample(demand_params, seed, lo, hi), dates)
        need = np.sum(np.stack(list(streams.values())), axis=0)  # in demand's stated unit
        outs.append(BlockOut(index, hi - lo, have >= need))
    return outs


def robust_plan(
    scenario: Scenario,
    scenario_ref: str,
    options: PlanOptions,
    target_probability: float,
    draws: int = 2000,
    seed: int = 0,
    quantiles: Iterable[float] = ROBUST_QUANTILES,
    progress: Callable[[], None] = lambda: None,
) -> RobustPlan:
    """Re-plan at rising quantiles until the simulated probability of meeting demand reaches
    ``target_probability`` (see :data:`ROBUST_METHOD`); every step is kept for the report.
    ``progress()`` is called as each quantile's plan has been simulated."""
    steps: list[RobustStep] = []
    dates: np.ndarray | None = None
    short: dict[str, float] = {}
    note = ""
    here = Path.cwd()
    extends = extends_ref(scenario_ref, here / "plan.yaml")
    for q in quantiles:
        step_options = dataclasses.replace(options, demand_quantile=q)
        try:
            inputs = plan_inputs(scenario, step_options)
            if steps and steps[0].result is not None:
                before = steps[0].result.inputs.demand_flops.values
                if np.allclose(inputs.demand_flops.values, before, rtol=1e-9, atol=0.0):
                    note = (
                        "demand is certain in this scenario, so planning for more of it changes "
                        "nothing: --robust has nothing to raise (the least-cost plan stands)"
                    )
                    break
            result = solve(inputs)
        except PlanInfeasibleError as exc:
            if not steps:
                raise  # no least-cost plan: nothing to make robust
            steps.append(RobustStep(q, None, math.nan, {}, error=f"no plan: {exc}"))
            break  # later quantiles only tighten the limits
        _, planned = plan_scenario(
            result, scenario, scenario_ref, extends, file=f"plan-q{q}.yaml", base_dir=here
        )
        if dates is None:
            ds = result.inputs
            dates = check_dates(planned, float(ds.period_start_date[0]), float(ds.period_end_date[-1]))
            if not len(dates):
                raise GigawattError(
                    f"the plan horizon ({ds.period.values[0]}–{ds.period.values[-1]}) holds no year "
                    "end inside the scenario's time span; plan more --periods to use --robust"
                )
            dates, short = promised_dates(result, dates)
        met = demand_met(planned, dates, draws, seed)
        steps.append(
            RobustStep(
                q,
                result,
                float(met.all("date").mean()),
                {str(d): float(v) for d, v in met.mean("draw").to_series().items()},
            )
        )
        progress()
        if steps[-1].probability >= target_probability:
            break
    return RobustPlan(
        target_probability, draws, seed, [] if dates is None else [_iso(d) for d in dates], steps, short, note
    )


def promised_dates(result: PlanResult, dates: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """The ``dates`` at which ``result`` itself meets demand (no unmet FLOP/s in the quarter that
    holds the date), and the others with the plan's own shortfall there (FLOP/s). When the plan
    meets demand at none of them, all are returned (each then counts as unmet)."""
    ds = result.inputs
    quarter = np.searchsorted(ds.period_start_date.values, dates, side="right") - 1  # quarters abut
    demand = ds.demand_flops.sum("workload").values[quarter]
    unmet = result.unmet_flops.values[quarter]
    ok = unmet <= 1e-6 * demand
    if not ok.any():
        return dates, {}
    return dates[ok], {_iso(d): float(u) for d, u, k in zip(dates, unmet, ok, strict=True) if not k}
