"""Stress, plan, sensitivity and backtest started from the dashboard: each is begun in the store as a record
of its kind and finished by a worker process within :data:`~gigawatt.web.jobs.RUN_CPU_BUDGET_S`;
a failure (the budget's included) is kept as the record's reason."""

from __future__ import annotations

import time
from typing import Any

from gigawatt.errors import GigawattError
from gigawatt.web.jobs import RUN_CPU_BUDGET_S, cpu_budget

__all__ = ["FormError", "KINDS"]

#: What the dashboard can start besides a run.
KINDS = ("stress", "plan", "sensitivity", "backtest")
#: The name a backtest's uploaded CSV is recorded and located under.
UPLOAD_CSV = "timelines.csv"


class FormError(GigawattError):
    """A form value the request's schema allows but the scenario does not; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _work(kind: str) -> Any:
    """The function that computes a ``kind``'s summary from a scenario (imported in the worker,
    before the budget starts, so that the budget never lands in an import)."""
    if kind == "stress":
        from gigawatt.finance import stress  # noqa: PLC0415 - the worker's work only

        return stress
    if kind == "plan":
        from gigawatt.plan import PlanOptions, plan_inputs, solve  # noqa: PLC0415 - optional: linopy

        return lambda scenario, periods: solve(plan_inputs(scenario, PlanOptions(periods=periods))).summary()
    if kind == "backtest":
        from gigawatt.backtest import backtest  # noqa: PLC0415 - the worker's work only
        from gigawatt.catalog import load_catalog  # noqa: PLC0415
        from gigawatt.units import parse_date  # noqa: PLC0415

        snapshot = parse_date(load_catalog().sources["epoch-data-centers"].date)  # as the CLI's default
        return lambda scenario, text, **args: backtest(
            text, snapshot_date=snapshot, file=UPLOAD_CSV, **args
        ).as_dict()
    from gigawatt.sensitivity import scenario_sensitivity  # noqa: PLC0415 - the worker's work only

    return lambda scenario, **args: {
        "scenario": scenario.name,
        **scenario_sensitivity(scenario, **args).as_dict(),
    }


def run_task(store_root: str, run_id: str, kind: str, args: dict[str, Any]) -> None:
    """Worker process: compute a begun record's summary from its scenario and finish it, or fail
    it with the reason (a located scenario error, the CPU budget, a missing optional part)."""
    from gigawatt.store import Store, scenario_of  # noqa: PLC0415 - the request workers start without it

    store = Store(store_root)
    store.adopt(run_id)
    started = time.perf_counter()
    try:
        work = _work(kind)
        scenario = None if kind == "backtest" else scenario_of(store.get(run_id))  # a backtest reads a CSV
        with cpu_budget(RUN_CPU_BUDGET_S):
            summary = work(scenario, **args)
    except (GigawattError, TimeoutError) as exc:
        store.fail_run(run_id, str(exc))
    except ImportError as exc:
        store.fail_run(run_id, f"{kind} needs an optional part that is not installed ({exc.name})")
    except Exception as exc:  # the reason is kept, never a traceback
        store.fail_run(run_id, f"internal error ({type(exc).__name__})")
    else:
        store.finish_run(run_id, summary, time.perf_counter() - started)
