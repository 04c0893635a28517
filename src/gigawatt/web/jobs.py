"""Work off the request thread: runs and CPU-heavy requests in worker processes, each within a
CPU budget, and the validation of an uploaded scenario (which may only extend a built-in one).

A worker process imports this module to run its work, so it imports only what validation needs;
the store and the simulation are imported where they are used."""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from gigawatt import _yaml, units
from gigawatt.catalog import load_catalog
from gigawatt.compute import convert
from gigawatt.errors import GigawattError, Problem, ScenarioError
from gigawatt.scenario import builtin_scenarios, load_scenario_text
from gigawatt.web.schemas import ValidateOut, _problem_out

#: Most runs simulated at once; more wait in the queue.
WORKERS = 2
#: CPU seconds one dashboard run may use (MAX_DRAWS draws of stargate take about 10 s).
RUN_CPU_BUDGET_S = 300.0
#: CPU seconds one request that computes (validate, convert, a run's scenario text) may use:
#: validating the built-in stargate takes about 0.3 s, an 11 kB alias-heavy text within the
#: YAML limits about 1.1 s. Over it the request is refused with a 422 that says so.
REQUEST_CPU_BUDGET_S = 10.0
UPLOAD_NAME = "scenario.yaml"


def load_uploaded(text: str) -> Any:
    """Validate a scenario given as text; ``extends:`` may only name a built-in scenario."""
    doc = _yaml.load(text, UPLOAD_NAME)
    parent = doc.data.get("extends") if isinstance(doc.data, dict) else None
    if parent is not None and (not isinstance(parent, str) or parent not in builtin_scenarios()):
        names = ", ".join(sorted(builtin_scenarios()))
        raise ScenarioError(
            [doc.problem(("extends",), f"an uploaded scenario may only extend a built-in scenario ({names})")]
        )
    return load_scenario_text(text, file=UPLOAD_NAME, files=False)


@contextlib.contextmanager
def cpu_budget(seconds: float, per: str = "run") -> Iterator[None]:
    """Raise :class:`TimeoutError` in this (main) thread once this process has used ``seconds``
    more CPU time (a profiling interval timer, ``ITIMER_PROF``, and its SIGPROF); cleared after."""

    def over(signum: int, frame: Any) -> None:
        raise TimeoutError(f"over the dashboard's CPU budget of {seconds:g} s per {per}")

    previous = signal.signal(signal.SIGPROF, over)
    signal.setitimer(signal.ITIMER_PROF, max(seconds, 1e-3))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _warm() -> None:
    """Worker start: import and read what requests use before any budget runs, so that a
    budget's TimeoutError never lands in the middle of an import."""
    load_catalog()
    builtin_scenarios()
    units.has_unit("1 GW")  # pint, for rare unit spellings


def _bounded(budget_s: float, work: Any, *args: Any) -> Any:
    """Worker process: ``work(*args)`` within ``budget_s`` CPU seconds (TimeoutError past it)."""
    with cpu_budget(budget_s, per="request"):
        return work(*args)


def _validate_text(text: str) -> dict[str, Any]:
    """The body of ``POST /api/validate`` for ``text`` (run in a worker, within the budget)."""
    try:
        scenario = load_uploaded(text)
    except ScenarioError as exc:
        return ValidateOut(ok=False, problems=[_problem_out(p) for p in exc.problems]).model_dump()
    except GigawattError as exc:
        problem = Problem(UPLOAD_NAME, 1, 1, "", str(exc))
        return ValidateOut(ok=False, problems=[_problem_out(problem)]).model_dump()
    phases = sum(len(s.phases) for s in scenario.sites.values())
    warnings = [_problem_out(w) for w in scenario.warnings]
    out = ValidateOut(
        ok=True, problems=[], warnings=warnings, name=scenario.name, sites=len(scenario.sites), phases=phases
    )
    return out.model_dump()


def _convert(body: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/convert`` (run in a worker, within the budget)."""
    from gigawatt.store import jsonable  # noqa: PLC0415 - the request workers start without the store

    try:
        return dict(jsonable(convert(**body).as_dict()))
    except (ValueError, KeyError) as exc:
        raise GigawattError(str(exc).strip("'\"")) from None


def _simulate(store_root: str, run_id: str) -> None:
    """Worker process: simulate a begun run to completion within :data:`RUN_CPU_BUDGET_S`
    (the run's row records any failure, the budget's included). The simulation's modules are
    imported here, in the run's worker only, and before the budget, which must not land in an import."""
    import gigawatt.engine  # noqa: PLC0415
    import gigawatt.finance.summary  # noqa: PLC0415
    import gigawatt.runner  # noqa: F401, PLC0415
    from gigawatt.store import Store, continue_run, scenario_of  # noqa: PLC0415

    store = Store(store_root)
    store.adopt(run_id)
    try:
        with cpu_budget(RUN_CPU_BUDGET_S):
            continue_run(store, run_id, scenario_of(store.get(run_id)))
    except Exception:  # continue_run has saved the reason in the run's row
        pass


class RequestBudgetError(GigawattError):
    """A request that used more than its CPU budget (:data:`REQUEST_CPU_BUDGET_S`)."""


class _Jobs:
    """Runs in flight, in worker processes (simulation holds the GIL; requests should not wait on it)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._requests: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, store_root: Path, run_id: str, work: Any = _simulate, *args: Any) -> None:
        """Hand a begun record to a run worker: ``work(store_root, run_id, *args)`` finishes it."""
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=context)
            self._pool.submit(work, str(store_root), run_id, *args)

    def call(self, budget_s: float, work: Any, *args: Any) -> Any:
        """``work(*args)`` in a worker process within ``budget_s`` CPU seconds; a request over it
        is a :class:`RequestBudgetError` (the worker stops itself and serves the next one)."""
        with self._lock:
            if self._requests is None:
                context = multiprocessing.get_context("spawn")
                self._requests = ProcessPoolExecutor(WORKERS, mp_context=context, initializer=_warm)
            future = self._requests.submit(_bounded, budget_s, work, *args)
        try:
            return future.result()
        except TimeoutError as exc:
            raise RequestBudgetError(str(exc)) from None

    def shutdown(self) -> None:
        with self._lock:
            for pool in (self._pool, self._requests):
                if pool is not None:
                    pool.shutdown(wait=False, cancel_futures=True)
            self._pool = self._requests = None
