"""Runs: start one, list them, follow one, and take its results out (figures, report, tables,
workbook, per-draw rows); compare two."""

from __future__ import annotations

import io
import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, HTMLResponse, Response
from starlette.background import BackgroundTask

from gigawatt.compare import compare as compare_records
from gigawatt.compare import fan_overlay
from gigawatt.errors import GigawattError, Problem, ScenarioError
from gigawatt.export import export_run
from gigawatt.frames import plan_frame
from gigawatt.report import render_report, scenario_or_none
from gigawatt.store import jsonable, load_results, scenario_source
from gigawatt.web.dashboard import DashboardDep
from gigawatt.web.jobs import UPLOAD_NAME, _validate_text
from gigawatt.web.schemas import (
    _CSV_OR_PARQUET,
    _OBJECT,
    ErrorOut,
    RunDetail,
    RunIdPath,
    RunIn,
    RunOut,
    ValidateOut,
)

router = APIRouter(tags=["runs"])


@router.get("/api/runs", response_model=list[RunOut])
def list_runs(app: DashboardDep, limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
    """Recorded runs, newest first."""
    return [app.run_out(r) for r in app.store.list_runs()[:limit]]


@router.post("/api/runs", response_model=RunOut, status_code=202, responses={422: {"model": ErrorOut}})
def start_run(body: RunIn, app: DashboardDep) -> dict[str, Any]:
    """Start a run of a built-in scenario or of a scenario's text; poll ``GET /api/runs/{id}``."""
    if (body.scenario is None) == (body.text is None):
        raise GigawattError("give either `scenario` (a built-in name) or `text` (YAML), not both")
    if body.text is not None:
        checked = ValidateOut(**app.call(_validate_text, body.text))
        if not checked.ok:
            found = [Problem(UPLOAD_NAME, q.line, q.column, q.path, q.message) for q in checked.problems]
            raise ScenarioError(found)
        loaded, text, ref = app.loaded(body.text), body.text, UPLOAD_NAME
    else:
        if body.scenario not in app.builtins:
            raise GigawattError(f"no built-in scenario {body.scenario!r}")
        text, ref = scenario_source(str(body.scenario))
        loaded = app.loaded(text, ref)
    return app.begin(loaded, text, ref, body.draws, body.seed)


@router.get("/api/runs/{run_id}", response_model=RunDetail, responses={404: {"model": ErrorOut}})
def get_run(run_id: RunIdPath, app: DashboardDep) -> dict[str, Any]:
    """A run's status, progress (0..1), error if it failed, and summary once complete."""
    return app.run_out(app.store.get(run_id), detail=True)


@router.get(
    "/api/runs/{run_id}/figures",
    responses={
        404: {"model": ErrorOut},
        200: {"content": {"application/json": {"schema": _OBJECT}}},
    },
)
def run_figures(run_id: RunIdPath, app: DashboardDep) -> Response:
    """The report's charts for the run's kind as plotly figure JSON: section id -> figure, in order."""
    record = app.complete(run_id)
    return Response(app.figures_json(record.id, record.kind, record.finished), media_type="application/json")


@router.get(
    "/api/runs/{run_id}/report",
    response_class=Response,
    responses={
        200: {"description": "The report", "content": {"text/html": {"schema": {"type": "string"}}}},
        404: {"model": ErrorOut},
    },
)
def run_report(run_id: RunIdPath, app: DashboardDep) -> HTMLResponse:
    """The self-contained HTML report of a run (download)."""
    record = app.complete(run_id)
    headers = {"Content-Disposition": f'attachment; filename="gigawatt-{record.id}.html"'}
    return HTMLResponse(render_report(record, scenario_or_none(record)), headers=headers)


@router.get(
    "/api/runs/{run_id}/capacity.{fmt}",
    response_class=Response,
    responses={**_CSV_OR_PARQUET, 404: {"model": ErrorOut}},
)
def run_capacity(run_id: RunIdPath, fmt: Literal["csv", "parquet"], app: DashboardDep) -> Response:
    """Facility MW online by series (total, site, country, party, accelerator), P10/P50/P90, per
    date; for a plan, the facility MW it builds per site and quarter."""
    record = app.complete(run_id)
    if record.kind == "plan":
        frame = plan_frame(record.summary or {})
    elif record.kind != "run" or not record.blocks_done:
        raise GigawattError(
            f"run {record.id} ({record.kind}) has no capacity over time: only engine runs recorded "
            "block by block (gigawatt run, the dashboard) and plans have one"
        )
    else:
        frame = load_results(app.store, record.id).capacity.to_dataframe().reset_index()
    name = f"gigawatt-{record.id}-capacity.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "csv":
        return Response(frame.to_csv(index=False), media_type="text/csv", headers=headers)
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
    return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)


@router.get(
    "/api/runs/{run_id}/export.xlsx",
    response_class=FileResponse,
    responses={
        200: {
            "description": "Every table of the run, one per sheet (gigawatt export)",
            "content": {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
                    "schema": {"type": "string", "format": "binary"}
                }
            },
        },
        404: {"model": ErrorOut},
    },
)
def run_workbook(run_id: RunIdPath, app: DashboardDep) -> FileResponse:
    """The run as an Excel workbook: summary, targets, capacity, demand, money when present,
    inputs as resolved and sources, with units in the headers."""
    record = app.complete(run_id)
    folder = tempfile.mkdtemp(prefix="gigawatt-export-")
    name = f"gigawatt-{record.id}.xlsx"
    try:
        path, _ = export_run(record, Path(folder) / name)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(path, media_type=media, filename=name, background=cleanup)


@router.get(
    "/api/runs/{run_id}/draws.{fmt}",
    response_class=FileResponse,
    responses={**_CSV_OR_PARQUET, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
)
def run_draws(run_id: RunIdPath, fmt: Literal["csv", "parquet"], app: DashboardDep) -> FileResponse:
    """One row per draw: each target's date met, facility and IT GW at year ends, phases online,
    the constraint that set the last phase's date (see ``gigawatt.store.draws_table``)."""
    record = app.complete(run_id)
    folder = tempfile.mkdtemp(prefix="gigawatt-draws-")
    name = f"gigawatt-{record.id}-draws.{fmt}"
    try:
        path = app.store.export_draws(record.id, Path(folder) / name, fmt)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    media = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
    cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
    return FileResponse(path, media_type=media, filename=name, background=cleanup)


@router.get("/api/compare", responses={404: {"model": ErrorOut}})
def compare(
    a: Annotated[str, Query(pattern=r"^[0-9a-f]{4,32}$", max_length=32)],
    b: Annotated[str, Query(pattern=r"^[0-9a-f]{4,32}$", max_length=32)],
    app: DashboardDep,
) -> dict[str, Any]:
    """What changed between two runs: the headline answers with their Monte Carlo SE and a
    Holm-corrected ``significant`` flag, the inputs, every other output, and ``figure``: the
    two capacity fans on one chart (plotly JSON)."""
    first, second = app.store.get(a), app.store.get(b)
    result = dict(jsonable(compare_records(app.store, first, second)))
    figure = fan_overlay(first.summary or {}, second.summary or {}, (f"A {first.id}", f"B {second.id}"))
    result["figure"] = json.loads(figure.to_json())
    return result
