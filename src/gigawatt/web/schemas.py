"""The dashboard API's request and response models, its path parameters and its shared limits.

Each request model states its JSON Schema as it is checked (``/openapi.json``): built-in
scenario and accelerator ids as enums, integers and numbers strict (never booleans or text).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Path as PathParam
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from gigawatt.catalog import load_catalog
from gigawatt.errors import Problem
from gigawatt.sources import builtin_names
from gigawatt.whatif import MAX_SHIFT_MONTHS, WhatIf

#: Longest scenario text accepted (characters; the built-in stargate is about 23,000).
MAX_TEXT_CHARS = 100_000
#: Most draws one request may ask for.
MAX_DRAWS = 20_000
_OBJECT = {"type": "object", "additionalProperties": {"type": "object"}}
RunIdPath = Annotated[str, PathParam(pattern=r"^[0-9a-f]{4,32}$", max_length=32)]
NamePath = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", max_length=64)]


def _json_integer(value: Any) -> Any:
    """A JSON Schema integer: a number with no fraction (``2.0`` is one), never a boolean or text."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


#: An integer as JSON Schema reads one (pydantic's strict int refuses ``2.0``, its lax int takes ``"2"``).
JsonInt = Annotated[int, BeforeValidator(_json_integer)]


class ProblemOut(BaseModel):
    line: int
    column: int
    path: str
    message: str
    text: str = Field(description="The located message, as the CLI prints it: FILE:LINE:COL: path: message")


class ValidateIn(BaseModel):
    text: str = Field(max_length=MAX_TEXT_CHARS, description="Scenario YAML")


class ValidateOut(BaseModel):
    ok: bool
    problems: list[ProblemOut]
    #: exit-0 warnings, as `gigawatt validate` prints them: inputs whose every source is dated after
    #: the scenario's as-of date
    warnings: list[ProblemOut] = []
    name: str | None = None
    sites: int = 0
    phases: int = 0


class ScenarioOut(BaseModel):
    name: str
    description: str = ""
    text: str | None = None


def _accelerator_ids() -> list[str]:
    """The catalog's accelerator ids (package data, so a fixed set the schema can list)."""
    return sorted(load_catalog().accelerators)


def _builtin_names() -> list[str]:
    """The built-in scenarios' names (package data, so a fixed set the schema can list)."""
    return sorted(builtin_names())


def _accelerator_enum(schema: dict[str, Any]) -> None:
    for member in schema.get("anyOf", []):
        if member.get("type") == "string":
            member.pop("maxLength", None)
            member["enum"] = _accelerator_ids()


class ConvertIn(BaseModel):
    quantity: str = Field(max_length=200, examples=["10 GW"])
    accelerator: str | None = Field(
        default=None, json_schema_extra=_accelerator_enum, description="A catalog accelerator id"
    )
    basis: Literal["facility", "it"] = "facility"
    cooling: Literal["liquid", "air"] = "liquid"
    load_factor: float = Field(default=0.8, gt=0, le=1, strict=True)

    @field_validator("accelerator")
    @classmethod
    def _known_accelerator(cls, value: str | None) -> str | None:
        if value is not None and value not in _accelerator_ids():
            raise ValueError(f"unknown accelerator {value[:64]!r}; known: {', '.join(_accelerator_ids())}")
        return value


def _run_in_schema(schema: dict[str, Any]) -> None:
    """Exactly one of ``scenario`` (a built-in's name) and ``text``, neither null."""
    schema["properties"]["scenario"] = {
        "type": "string",
        "enum": _builtin_names(),
        "title": "Scenario",
        "description": "A built-in scenario name",
    }
    schema["properties"]["text"] = {
        "type": "string",
        "maxLength": MAX_TEXT_CHARS,
        "title": "Text",
        "description": "Or a scenario's YAML",
    }
    schema["oneOf"] = [{"required": ["scenario"]}, {"required": ["text"]}]


class RunIn(BaseModel):
    model_config = ConfigDict(json_schema_extra=_run_in_schema)

    scenario: str | None = None
    text: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    draws: JsonInt = Field(default=2_000, ge=1, le=MAX_DRAWS, strict=True)
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1, strict=True)

    @model_validator(mode="before")
    @classmethod
    def _one_source(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [k for k in ("scenario", "text") if k in data]
            if len(given) != 1 or data[given[0]] is None:
                raise ValueError("give either `scenario` (a built-in name) or `text` (YAML), not both")
        return data

    @field_validator("scenario")
    @classmethod
    def _builtin(cls, value: str | None) -> str | None:
        if value is not None and value not in _builtin_names():
            raise ValueError(f"no built-in scenario {value[:64]!r}; built-in: {', '.join(_builtin_names())}")
        return value


class RunOut(BaseModel):
    id: str
    kind: str = Field(description="What was recorded: run, plan, stress, sensitivity…")
    scenario: str
    created: str
    draws: int
    seed: int
    status: str
    blocks: str | None = Field(
        None, description="blocks of draws on disk, done/total; null for a result recorded whole"
    )
    elapsed_s: float | None = None
    error: str | None = None
    progress: float = 0.0


class RunDetail(RunOut):
    summary: dict[str, Any] | None = None
    per_draw: bool = Field(default=False, description="Whether /api/runs/{id}/draws.{csv,parquet} has rows")


class ErrorOut(BaseModel):
    detail: str
    problems: list[ProblemOut] = []
    fields: dict[str, str] = Field(default={}, description="Form field (shift_months.shackelford) -> why")


def _builtin_enum(schema: dict[str, Any]) -> None:
    schema["enum"] = _builtin_names()


class WhatIfIn(WhatIf):
    base: str = Field(
        max_length=64,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="A built-in scenario name",
        json_schema_extra=_builtin_enum,
    )
    draws: JsonInt = Field(default=2_000, ge=1, le=MAX_DRAWS, strict=True)
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1, strict=True)
    # JSON Schema's numbers: never a boolean or text (the core model's fields, made strict here)
    shift_months: dict[str, Annotated[JsonInt, Field(strict=True)]] = Field(
        default={}, max_length=64, description=WhatIf.model_fields["shift_months"].description
    )
    delay_months: JsonInt = Field(
        default=0,
        ge=0,
        le=MAX_SHIFT_MONTHS,
        strict=True,
        description=WhatIf.model_fields["delay_months"].description,
    )
    demand_growth_pct_per_year: float | None = Field(
        default=None,
        ge=-50,
        le=300,
        strict=True,
        description=WhatIf.model_fields["demand_growth_pct_per_year"].description,
    )
    supply_share_pct: float | None = Field(
        default=None,
        ge=0,
        le=100,
        strict=True,
        description=WhatIf.model_fields["supply_share_pct"].description,
    )


class WhatIfOut(BaseModel):
    text: str = Field(description="The what-if as an `extends:` scenario")
    description: str = Field(description="What it changes, in words")
    base: RunOut
    whatif: RunOut


def _problem_out(problem: Problem) -> ProblemOut:
    return ProblemOut(
        line=problem.line,
        column=problem.column,
        path=problem.path,
        message=problem.message,
        text=str(problem),
    )


#: Error responses every operation may give, in the shape every error body has.
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Host header not allowed"},
    413: {"model": ErrorOut, "description": "Request body too large"},
    422: {"model": ErrorOut, "description": "Invalid request or scenario, or one over its CPU budget"},
    500: {"model": ErrorOut, "description": "Internal error (no traceback is sent)"},
}
_CSV_OR_PARQUET: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The table as CSV or Parquet, by the path's suffix",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


# ---------------------------------------------------------------- stress, plan and sensitivity

#: Most draws a stress test from the dashboard may ask for (each draw runs the base and the
#: shocked money: 200 draws of stargate take about 3 s).
MAX_STRESS_DRAWS = 5_000
#: Most Morris trajectories or Sobol' base samples a sensitivity from the dashboard may ask for
#: (8 Morris trajectories of stargate: about 2,300 evaluations, 2 s).
MAX_SENSITIVITY_SAMPLES = 32
#: Most quarters a plan from the dashboard may cover (the CLI's default is 20).
MAX_PLAN_PERIODS = 40
#: Most draws a campus a backtest from the dashboard may ask for (the CLI's default is 2,000).
MAX_BACKTEST_DRAWS = 2_000


def _builtin_base(value: str) -> str:
    if value not in _builtin_names():
        raise ValueError(f"no built-in scenario {value[:64]!r}; built-in: {', '.join(_builtin_names())}")
    return value


class _OnBase(BaseModel):
    base: str = Field(max_length=64, description="A built-in scenario name", json_schema_extra=_builtin_enum)

    @field_validator("base")
    @classmethod
    def _builtin(cls, value: str) -> str:
        return _builtin_base(value)


class StressIn(_OnBase):
    shocks: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=8,
        description='Shocks as `gigawatt stress --shock` reads them: "demand growth -30%", "PARTY tranches '
        'withheld", "turbine lead time +6 months", "accelerator supply -20%", "PARTY cash -50%"',
    )
    draws: JsonInt = Field(default=1_000, ge=1, le=MAX_STRESS_DRAWS, strict=True)
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1, strict=True)
    step: Literal["month", "quarter", "year"] = "quarter"


class PlanIn(_OnBase):
    periods: JsonInt = Field(
        default=20, ge=1, le=MAX_PLAN_PERIODS, strict=True, description="Quarters to plan"
    )


class SensitivityIn(_OnBase):
    output: str = Field(
        default="capacity:2028-12-31",
        max_length=80,
        pattern=r"^(gw-online|target|capacity|npv):[A-Za-z0-9_.-]{1,64}$",
        description="capacity:DATE (facility GW online then; the default: defined in every draw), "
        "gw-online:N (date N facility GW are online; never reached counts as the horizon's end), "
        "target:NAME (P(met)) or npv:PARTY",
    )
    method: Literal["morris", "sobol"] = "morris"
    samples: JsonInt = Field(default=8, ge=2, le=MAX_SENSITIVITY_SAMPLES, strict=True)
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1, strict=True)


class BacktestIn(BaseModel):
    text: str = Field(
        max_length=MAX_TEXT_CHARS,
        description="An Epoch-format data_center_timelines CSV (as `gigawatt backtest FILE` reads it)",
    )
    draws: JsonInt = Field(
        default=500, ge=10, le=MAX_BACKTEST_DRAWS, strict=True, description="Draws a campus"
    )
    seed: JsonInt = Field(default=0, ge=0, le=2**32 - 1, strict=True)
