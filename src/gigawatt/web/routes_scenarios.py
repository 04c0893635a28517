"""Built-in scenarios, validating a scenario's text, and unit conversion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from gigawatt.store import scenario_source
from gigawatt.web.dashboard import DashboardDep
from gigawatt.web.jobs import _convert, _validate_text
from gigawatt.web.schemas import ConvertIn, ErrorOut, NamePath, ScenarioOut, ValidateIn, ValidateOut

router = APIRouter(tags=["scenarios"])


@router.get("/api/scenarios", response_model=list[ScenarioOut])
def scenarios(app: DashboardDep) -> list[ScenarioOut]:
    """The built-in scenarios."""
    return [ScenarioOut(name=k, description=v) for k, v in app.builtins.items()]


@router.get("/api/scenarios/{name}", response_model=ScenarioOut, responses={404: {"model": ErrorOut}})
def scenario_text(name: NamePath, app: DashboardDep) -> Any:
    """A built-in scenario's YAML text."""
    found = app.builtins
    if name not in found:
        return JSONResponse({"detail": f"no built-in scenario {name!r}"}, status_code=404)
    return ScenarioOut(name=name, description=found[name], text=scenario_source(name)[0])


@router.post("/api/validate", response_model=ValidateOut)
def validate(body: ValidateIn, app: DashboardDep) -> ValidateOut:
    """Check a scenario's YAML; every problem located by line, column and field path."""
    return ValidateOut(**app.call(_validate_text, body.text))


@router.post("/api/convert", responses={422: {"model": ErrorOut}})
def convert(body: ConvertIn, app: DashboardDep) -> dict[str, Any]:
    """Convert between facility power, IT power, accelerators, FLOP/s, energy and capex."""
    return dict(app.call(_convert, body.model_dump()))
