"""Which quantiles should ``gigawatt plan --robust`` raise? Measured on a scenario.

For each q, the scenario is planned with one of three readings, the plan written back as a
scenario and simulated with the engine; the table gives the share of draws meeting demand at
every year end the least-cost plan meets (as :func:`gigawatt.plan.robust_plan` checks):

- ``demand``: demand's level and growth at q; dates, lead times and supply at the median (what
  ``--robust`` does);
- ``all``: also every date and lead time at q and supply amounts at 1 - q (what ``--robust``
  did before).

    .venv/bin/python -m benchmarks.robust_variants stargate --draws 2000
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
from pathlib import Path

import numpy as np

from gigawatt import plan as gp
from gigawatt.scenario import load_scenario

VARIANTS = ("demand", "all")


def options_for(variant: str, q: float, base: gp.PlanOptions) -> gp.PlanOptions:
    if variant == "demand":
        return dataclasses.replace(base, demand_quantile=q)
    return dataclasses.replace(base, quantile=q, demand_quantile=q)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("scenario")
    parser.add_argument("--draws", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--periods", type=int, default=20)
    args = parser.parse_args(argv)
    scenario = load_scenario(args.scenario)
    base = gp.PlanOptions(periods=args.periods)
    least_cost = gp.solve(gp.plan_inputs(scenario, base))
    ds = least_cost.inputs
    print("| reading | " + " | ".join(f"q = {q:g}" for q in gp.ROBUST_QUANTILES) + " |")
    print("|---|" + "---|" * len(gp.ROBUST_QUANTILES))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "plan.yaml"
        extends = gp.extends_ref(args.scenario, path)
        planned = gp.write_plan(least_cost, scenario, args.scenario, path, extends, force=True)
        every = gp.check_dates(planned, float(ds.period_start_date[0]), float(ds.period_end_date[-1]))
        dates, _ = gp.promised_dates(least_cost, every)
        for variant in VARIANTS:
            cells = []
            for q in gp.ROBUST_QUANTILES:
                result = gp.solve(gp.plan_inputs(scenario, options_for(variant, q, base)))
                planned = gp.write_plan(result, scenario, args.scenario, path, extends, force=True)
                met = gp.demand_met(planned, dates, args.draws, args.seed)
                share = 100 * float(np.mean(met.all("date")))
                cells.append(f"{share:.1f}% (${result.objective_usd / 1e9:,.0f}B)")
            print(f"| {variant} | " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
