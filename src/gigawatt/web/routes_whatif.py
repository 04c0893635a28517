"""The what-if form: what it offers for a built-in scenario, and running a what-if beside its base."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gigawatt.store import scenario_source
from gigawatt.web.dashboard import DashboardDep
from gigawatt.web.jobs import UPLOAD_NAME
from gigawatt.web.schemas import _OBJECT, ErrorOut, NamePath, WhatIfIn, WhatIfOut
from gigawatt.whatif import WhatIfError, choices, whatif_text

router = APIRouter()


@router.get(
    "/api/scenarios/{name}/whatif",
    tags=["scenarios"],
    responses={404: {"model": ErrorOut}, 200: {"content": {"application/json": {"schema": _OBJECT}}}},
)
def whatif_choices(name: NamePath, app: DashboardDep) -> Any:
    """What the what-if form offers for a built-in scenario: its sites and the ranges allowed."""
    if name not in app.builtins:
        return JSONResponse({"detail": f"no built-in scenario {name!r}"}, status_code=404)
    return choices(name)


@router.post(
    "/api/whatif",
    response_model=WhatIfOut,
    status_code=202,
    tags=["runs"],
    responses={422: {"model": ErrorOut}},
)
def start_whatif(body: WhatIfIn, app: DashboardDep) -> dict[str, Any]:
    """Run a built-in scenario and a what-if of it (an ``extends:`` scenario written from
    the changes) with the same draws and seed; compare them with ``/api/compare``. A value
    out of range is a 422 whose ``fields`` names the form field and why."""
    if body.base not in app.builtins:
        raise WhatIfError("base", f"no built-in scenario {body.base!r}")
    text = whatif_text(body.base, body)
    loaded = app.loaded(text)
    base_text, ref = scenario_source(body.base)
    base = app.begin(app.loaded(base_text, ref), base_text, ref, body.draws, body.seed)
    whatif = app.begin(loaded, text, UPLOAD_NAME, body.draws, body.seed)
    return {"text": text, "description": loaded.description, "base": base, "whatif": whatif}
