"""What every route shares: the run store, the worker pools, the request CPU budget, and the
scenarios and figures read once (``Depends(dashboard)`` hands it to a route)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request

from gigawatt.errors import GigawattError
from gigawatt.report import figures, scenario_or_none
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import builtin_scenarios, load_scenario
from gigawatt.store import RunRecord, Store, scenario_source
from gigawatt.web.jobs import _Jobs, load_uploaded
from gigawatt.web.tasks import UPLOAD_CSV, run_task

__all__ = ["Dashboard", "DashboardDep", "dashboard"]


class Dashboard:
    """The state of one app: its store, its jobs, and caches of what never changes."""

    def __init__(self, store_root: str | Path | None, request_cpu_budget_s: float) -> None:
        self.store = Store(store_root)
        self.jobs = _Jobs()
        self.request_cpu_budget_s = request_cpu_budget_s
        self.loaded = functools.lru_cache(maxsize=32)(self._loaded)
        self.figures_json = functools.lru_cache(maxsize=32)(self._figures_json)

    @functools.cached_property
    def builtins(self) -> dict[str, str]:
        """The built-in scenarios' names and descriptions, read once (package data)."""
        return builtin_scenarios()

    def call(self, work: Any, *args: Any) -> Any:
        """``work(*args)`` in a request worker within the request CPU budget."""
        return self.jobs.call(self.request_cpu_budget_s, work, *args)

    @staticmethod
    def _loaded(text: str, builtin: str | None = None) -> Any:
        """A scenario validated once per text (a built-in by name; invalid ones are not cached):
        the same text always loads the same way, as built-ins and catalogs are package data."""
        return load_scenario(builtin) if builtin else load_uploaded(text)

    def run_out(self, record: Any, detail: bool = False) -> dict[str, Any]:
        brief = record.brief()
        done = record.blocks_done / max(record.blocks_total, 1)
        out = {
            **{
                k: brief[k]
                for k in (
                    "id",
                    "kind",
                    "scenario",
                    "created",
                    "draws",
                    "seed",
                    "status",
                    "blocks",
                    "elapsed_s",
                )
            },
            "error": record.error,
            "progress": 1.0 if record.status == "complete" else done,
        }
        if detail:
            out["summary"] = record.summary
            out["per_draw"] = record.status == "complete" and bool(self.store.draw_files(record.id))
        return out

    def begin(self, loaded: Any, text: str, ref: str, draws: int, seed: int) -> dict[str, Any]:
        """Record a run of a validated scenario and hand it to a worker."""
        run_id = self.store.begin_run(
            scenario=loaded.name,
            scenario_text=text,
            scenario_ref=ref,
            draws=draws,
            seed=seed,
            block_draws=BLOCK_DRAWS,
        )
        return self._hand_over(run_id)

    def begin_task(self, kind: str, base: str, draws: int, seed: int, args: dict[str, Any]) -> dict[str, Any]:
        """Record a stress, plan or sensitivity of a built-in scenario as running, and hand it to
        a worker (:func:`~gigawatt.web.tasks.run_task`); its form values are the record's params."""
        text, ref = scenario_source(base)
        run_id = self.store.begin_run(
            scenario=self.loaded(text, ref).name,
            scenario_text=text,
            scenario_ref=ref,
            draws=draws,
            seed=seed,
            block_draws=max(draws, 1),
            kind=kind,
            params=args,
        )
        return self._hand_over(run_id, run_task, kind, args)

    def begin_backtest(self, text: str, draws: int, seed: int) -> dict[str, Any]:
        """Record a backtest of an uploaded timelines CSV (kept as the record's text) as running,
        and hand it to a worker."""
        args = {"text": text, "draws": draws, "seed": seed}
        run_id = self.store.begin_run(
            scenario="backtest",
            scenario_text=text,
            scenario_ref=UPLOAD_CSV,
            draws=draws,
            seed=seed,
            block_draws=max(draws, 1),
            kind="backtest",
            params={"draws": draws, "seed": seed},
        )
        return self._hand_over(run_id, run_task, "backtest", args)

    def _hand_over(self, run_id: str, *work: Any) -> dict[str, Any]:
        try:
            self.jobs.submit(self.store.root, run_id, *work)
        except Exception as exc:
            self.store.fail_run(run_id, f"could not start a worker: {type(exc).__name__}")
            raise GigawattError(f"could not start run {run_id}: no worker process") from None
        return self.run_out(self.store.get(run_id))

    def complete(self, run_id: str) -> RunRecord:
        record = self.store.get(run_id)
        if record.status != "complete":
            raise GigawattError(f"run {record.id} is {record.status}, not complete")
        return record

    def _figures_json(self, run_id: str, kind: str, finished: Any) -> bytes:
        """A complete run never changes, so its figures are built once (keyed by id and finish time)."""
        record = self.store.get(run_id)
        made = figures(record.summary or {}, scenario_or_none(record), kind=kind)
        return ("{" + ",".join(f"{json.dumps(k)}:{f.to_json()}" for k, f in made.items()) + "}").encode()


def dashboard(request: Request) -> Dashboard:
    """The app's :class:`Dashboard` (a dependency of every route that uses the store or workers)."""
    state: Dashboard = request.app.state.dashboard
    return state


DashboardDep = Annotated[Dashboard, Depends(dashboard)]
