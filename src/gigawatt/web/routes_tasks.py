"""Stress, plan and sensitivity of a built-in scenario, and a backtest of an uploaded CSV, started
from the dashboard: each answers 202 with the record begun (poll ``GET /api/runs/{id}``; its
figures are the report's for its kind)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from gigawatt.errors import GigawattError
from gigawatt.finance.stress import parse_shock
from gigawatt.io import read_timelines
from gigawatt.sensitivity import parse_output
from gigawatt.store import scenario_source
from gigawatt.web.dashboard import DashboardDep
from gigawatt.web.schemas import BacktestIn, ErrorOut, PlanIn, RunOut, SensitivityIn, StressIn
from gigawatt.web.tasks import UPLOAD_CSV, FormError

router = APIRouter(tags=["runs"])
_STARTED: dict[str, Any] = {
    "response_model": RunOut,
    "status_code": 202,
    "responses": {422: {"model": ErrorOut}},
}


@router.post("/api/stress", **_STARTED)
def start_stress(body: StressIn, app: DashboardDep) -> dict[str, Any]:
    """Shock a built-in scenario and run base and shocked money on the same draws (as
    ``gigawatt stress``); a shock it cannot read is a 422 whose ``fields`` names it."""
    for index, text in enumerate(body.shocks):
        try:
            parse_shock(text)
        except GigawattError as exc:
            raise FormError(f"shocks.{index}", str(exc)) from None
    args = {"shock_texts": body.shocks, "draws": body.draws, "seed": body.seed, "step": body.step}
    return app.begin_task("stress", body.base, body.draws, body.seed, args)


@router.post("/api/plan", **_STARTED)
def start_plan(body: PlanIn, app: DashboardDep) -> dict[str, Any]:
    """The least-cost capacity plan of a built-in scenario over ``periods`` quarters (``gigawatt plan``)."""
    return app.begin_task("plan", body.base, 0, 0, {"periods": body.periods})


@router.post("/api/sensitivity", **_STARTED)
def start_sensitivity(body: SensitivityIn, app: DashboardDep) -> dict[str, Any]:
    """Which assumptions move one output of a built-in scenario (as ``gigawatt sensitivity``); an
    output the scenario lacks (a target, a party) is a 422 whose ``fields`` names it."""
    text, ref = scenario_source(body.base)
    try:
        parse_output(body.output, app.loaded(text, ref))
    except GigawattError as exc:
        raise FormError("output", str(exc)) from None
    args = {"output": body.output, "method": body.method, "samples": body.samples, "seed": body.seed}
    return app.begin_task("sensitivity", body.base, 0, body.seed, args)


@router.post("/api/backtest", **_STARTED)
def start_backtest(body: BacktestIn, app: DashboardDep) -> dict[str, Any]:
    """Score the engine's build-time forecasts against an uploaded Epoch timelines CSV (as
    ``gigawatt backtest``); a CSV that is not one is a 422 whose ``fields`` says why."""
    try:
        read_timelines(body.text, UPLOAD_CSV)
    except GigawattError as exc:
        raise FormError("text", str(exc)) from None
    return app.begin_backtest(body.text, body.draws, body.seed)
