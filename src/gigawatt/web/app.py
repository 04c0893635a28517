"""The web dashboard: a JSON API (documented at ``/openapi.json``) and one page that uses it.

Safe by default: ``gigawatt serve`` binds loopback and answers only requests whose
``Host`` is a loopback name (:data:`LOOPBACK_HOSTS`, or what ``--host`` names), so a
page on another site cannot reach it by DNS rebinding; request bodies are capped
(:data:`MAX_BODY_BYTES`), draws per run are capped (:data:`MAX_DRAWS`); an
uploaded scenario is validated from text in a private temporary folder and its
``extends:`` may only name a built-in scenario, so it can never read other files;
errors are JSON messages, never tracebacks; a failed run keeps and shows its reason.
Runs execute in a small thread pool and are recorded in the run store.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import multiprocessing
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from starlette.background import BackgroundTask
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from gigawatt.errors import GigawattError, Problem, ScenarioError
from gigawatt.whatif import MAX_SHIFT_MONTHS, WhatIf, WhatIfError

__all__ = ["LOOPBACK_HOSTS", "MAX_BODY_BYTES", "MAX_DRAWS", "MAX_TEXT_CHARS", "create_app", "load_uploaded"]

#: Longest scenario text accepted (characters; the built-in stargate is about 23,000).
MAX_TEXT_CHARS = 100_000
#: Largest request body accepted (bytes): a text of MAX_TEXT_CHARS characters each written
#: as a 12-byte JSON escape (a surrogate pair) fits, so a too-long text is a 422, not a 413.
MAX_BODY_BYTES = 12 * MAX_TEXT_CHARS + 64_000
#: The ``Host`` names the dashboard answers by default (with or without a port).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Most draws one request may ask for.
MAX_DRAWS = 20_000
#: Most runs simulated at once; more wait in the queue.
WORKERS = 2
#: CPU seconds one dashboard run may use (MAX_DRAWS draws of stargate take about 10 s).
RUN_CPU_BUDGET_S = 300.0
#: CPU seconds one request that computes (validate, convert, a run's scenario text) may use:
#: validating the built-in stargate takes about 0.3 s, an 11 kB alias-heavy text within the
#: YAML limits about 1.1 s. Over it the request is refused with a 422 that says so.
REQUEST_CPU_BUDGET_S = 10.0
UPLOAD_NAME = "scenario.yaml"
_OBJECT = {"type": "object", "additionalProperties": {"type": "object"}}
RunIdPath = Annotated[str, PathParam(pattern=r"^[0-9a-f]{4,32}$", max_length=32)]
NamePath = Annotated[str, PathParam(pattern=r"^[A-Za-z0-9_-]{1,64}$", max_length=64)]


# ---------------------------------------------------------------- API models


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
    name: str | None = None
    sites: int = 0
    phases: int = 0


class ScenarioOut(BaseModel):
    name: str
    description: str = ""
    text: str | None = None


def _accelerator_ids() -> list[str]:
    """The catalog's accelerator ids (package data, so a fixed set the schema can list)."""
    from gigawatt.catalog import load_catalog

    return sorted(load_catalog().accelerators)


def _builtin_names() -> list[str]:
    """The built-in scenarios' names (package data, so a fixed set the schema can list)."""
    from gigawatt.sources import builtin_names

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


# ---------------------------------------------------------------- scenario text


def _problem_out(problem: Problem) -> ProblemOut:
    return ProblemOut(
        line=problem.line,
        column=problem.column,
        path=problem.path,
        message=problem.message,
        text=str(problem),
    )


def load_uploaded(text: str) -> Any:
    """Validate a scenario given as text; ``extends:`` may only name a built-in scenario."""
    from gigawatt import _yaml
    from gigawatt.scenario import builtin_scenarios, load_scenario_text

    doc = _yaml.load(text, UPLOAD_NAME)
    parent = doc.data.get("extends") if isinstance(doc.data, dict) else None
    if parent is not None and (not isinstance(parent, str) or parent not in builtin_scenarios()):
        names = ", ".join(sorted(builtin_scenarios()))
        raise ScenarioError(
            [doc.problem(("extends",), f"an uploaded scenario may only extend a built-in scenario ({names})")]
        )
    return load_scenario_text(text, file=UPLOAD_NAME, files=False)


# ---------------------------------------------------------------- the app


@contextlib.contextmanager
def cpu_budget(seconds: float, per: str = "run") -> Iterator[None]:
    """Raise :class:`TimeoutError` in this (main) thread once this process has used ``seconds``
    more CPU time (a profiling interval timer, ``ITIMER_PROF``, and its SIGPROF); cleared after."""
    import signal

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
    from gigawatt import scenario, units
    from gigawatt.catalog import load_catalog

    load_catalog()
    scenario.builtin_scenarios()
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
    out = ValidateOut(ok=True, problems=[], name=scenario.name, sites=len(scenario.sites), phases=phases)
    return out.model_dump()


def _convert(body: dict[str, Any]) -> dict[str, Any]:
    """The body of ``POST /api/convert`` (run in a worker, within the budget)."""
    from gigawatt.compute import convert
    from gigawatt.store import jsonable

    try:
        return dict(jsonable(convert(**body).as_dict()))
    except (ValueError, KeyError) as exc:
        raise GigawattError(str(exc).strip("'\"")) from None


def _simulate(store_root: str, run_id: str) -> None:
    """Worker process: simulate a begun run to completion within :data:`RUN_CPU_BUDGET_S`
    (the run's row records any failure, the budget's included)."""
    import gigawatt.engine
    import gigawatt.finance.summary
    import gigawatt.runner  # noqa: F401 - imported before the budget, which must not land in an import
    from gigawatt.store import Store, continue_run, scenario_of

    store = Store(store_root)
    store.adopt(run_id)
    try:
        with cpu_budget(RUN_CPU_BUDGET_S):
            continue_run(store, run_id, scenario_of(store.get(run_id)))
    except Exception:  # noqa: BLE001 - continue_run has saved the reason in the run's row
        pass


class RequestBudgetError(GigawattError):
    """A request that used more than its CPU budget (:data:`REQUEST_CPU_BUDGET_S`)."""


class _Jobs:
    """Runs in flight, in worker processes (simulation holds the GIL; requests should not wait on it)."""

    def __init__(self) -> None:
        self._pool: ProcessPoolExecutor | None = None
        self._requests: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, store_root: Path, run_id: str) -> None:
        with self._lock:
            if self._pool is None:
                context = multiprocessing.get_context("spawn")
                self._pool = ProcessPoolExecutor(max_workers=WORKERS, mp_context=context)
            self._pool.submit(_simulate, str(store_root), run_id)

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


def _host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port: ``[::1]:8050`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


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


def create_app(
    store_root: str | Path | None = None,
    allowed_hosts: Iterable[str] | None = None,
    request_cpu_budget_s: float = REQUEST_CPU_BUDGET_S,
) -> FastAPI:
    """The dashboard over the run store at ``store_root`` (default ``$GIGAWATT_STORE`` or ./.gigawatt).

    ``allowed_hosts``: the ``Host`` names it answers (default :data:`LOOPBACK_HOSTS`; ``*``: any);
    ``request_cpu_budget_s``: CPU seconds a validate, convert or run-start request may use."""
    from gigawatt import __version__
    from gigawatt.store import Store

    store = Store(store_root)
    jobs = _Jobs()
    hosts = {h.strip().lower().strip("[]") for h in (allowed_hosts or LOOPBACK_HOSTS)}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        jobs.shutdown()

    pages = Environment(loader=PackageLoader("gigawatt", "templates"), autoescape=select_autoescape(["html"]))
    app = FastAPI(
        title="gigawatt dashboard",
        version=__version__,
        description="Run, see and compare gigawatt buildout scenarios. All power figures say facility or IT.",
        lifespan=lifespan,
        responses=_ERRORS,
    )
    app.state.store = store
    app.state.jobs = jobs

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Any) -> Response:
        host = _host_name(request.headers.get("host", ""))
        if "*" not in hosts and host not in hosts:
            return JSONResponse(
                {"detail": f"host {host!r} is not allowed; serve with --host to allow it"}, status_code=400
            )
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return JSONResponse(
                {"detail": f"request body larger than {MAX_BODY_BYTES} bytes"}, status_code=413
            )
        return await call_next(request)

    @app.exception_handler(GigawattError)
    async def gigawatt_error(request: Request, exc: GigawattError) -> JSONResponse:
        from gigawatt.store import RunNotFoundError

        if isinstance(exc, WhatIfError):
            return JSONResponse({"detail": str(exc), "fields": {exc.field: exc.message}}, status_code=422)
        if isinstance(exc, ScenarioError):
            problems = [_problem_out(p).model_dump() for p in exc.problems]
            return JSONResponse({"detail": "invalid scenario", "problems": problems}, status_code=422)
        status = 404 if isinstance(exc, RunNotFoundError) else 422
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        messages = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        located = [e for e in exc.errors() if e["loc"][:1] == ("body",)]
        fields = {".".join(str(p) for p in e["loc"][1:]): str(e["msg"]) for e in located}
        return JSONResponse({"detail": "; ".join(messages)[:2000], "fields": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, not only one route's
            methods: set[str] = set()
            for route in app.routes:
                match, _ = route.matches(request.scope)
                if match is not Match.NONE and isinstance(route, APIRoute | Route):
                    methods |= set(route.methods or ())
            headers["Allow"] = ", ".join(sorted(methods))
        return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)

    # ------------------------------------------------------------ pages

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def index() -> HTMLResponse:
        return HTMLResponse(
            pages.get_template("dashboard.html").render(max_draws=MAX_DRAWS, version=__version__)
        )

    @app.get("/static/plotly.min.js", include_in_schema=False)
    def plotly_js() -> Response:
        from plotly.offline import get_plotlyjs

        return Response(
            get_plotlyjs(), media_type="application/javascript", headers={"Cache-Control": "max-age=86400"}
        )

    # ------------------------------------------------------------ scenarios

    @app.get("/api/scenarios", response_model=list[ScenarioOut], tags=["scenarios"])
    def scenarios() -> list[ScenarioOut]:
        """The built-in scenarios."""
        return [ScenarioOut(name=k, description=v) for k, v in _builtins().items()]

    @app.get(
        "/api/scenarios/{name}",
        response_model=ScenarioOut,
        tags=["scenarios"],
        responses={404: {"model": ErrorOut}},
    )
    def scenario_text(name: NamePath) -> Any:
        """A built-in scenario's YAML text."""
        from gigawatt.store import scenario_source

        found = _builtins()
        if name not in found:
            return JSONResponse({"detail": f"no built-in scenario {name!r}"}, status_code=404)
        return ScenarioOut(name=name, description=found[name], text=scenario_source(name)[0])

    @functools.cache
    def _builtins() -> dict[str, str]:
        """The built-in scenarios' names and descriptions, read once (package data)."""
        from gigawatt.scenario import builtin_scenarios

        return builtin_scenarios()

    @functools.lru_cache(maxsize=32)
    def _loaded(text: str, builtin: str | None = None) -> Any:
        """A scenario validated once per text (a built-in by name; invalid ones are not cached):
        the same text always loads the same way, as built-ins and catalogs are package data."""
        from gigawatt.scenario import load_scenario

        return load_scenario(builtin) if builtin else load_uploaded(text)

    @app.post("/api/validate", response_model=ValidateOut, tags=["scenarios"])
    def validate(body: ValidateIn) -> ValidateOut:
        """Check a scenario's YAML; every problem located by line, column and field path."""
        return ValidateOut(**jobs.call(request_cpu_budget_s, _validate_text, body.text))

    @app.post("/api/convert", tags=["scenarios"], responses={422: {"model": ErrorOut}})
    def convert(body: ConvertIn) -> dict[str, Any]:
        """Convert between facility power, IT power, accelerators, FLOP/s, energy and capex."""
        return dict(jobs.call(request_cpu_budget_s, _convert, body.model_dump()))

    # ------------------------------------------------------------ runs

    def run_out(record: Any, detail: bool = False) -> dict[str, Any]:
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
            out["per_draw"] = record.status == "complete" and bool(store.draw_files(record.id))
        return out

    @app.get("/api/runs", response_model=list[RunOut], tags=["runs"])
    def list_runs(limit: Annotated[int, Query(ge=1, le=500)] = 100) -> list[dict[str, Any]]:
        """Recorded runs, newest first."""
        return [run_out(r) for r in store.list_runs()[:limit]]

    @app.post(
        "/api/runs",
        response_model=RunOut,
        status_code=202,
        tags=["runs"],
        responses={422: {"model": ErrorOut}},
    )
    def start_run(body: RunIn) -> dict[str, Any]:
        """Start a run of a built-in scenario or of a scenario's text; poll ``GET /api/runs/{id}``."""
        from gigawatt.store import scenario_source

        if (body.scenario is None) == (body.text is None):
            raise GigawattError("give either `scenario` (a built-in name) or `text` (YAML), not both")
        if body.text is not None:
            checked = ValidateOut(**jobs.call(request_cpu_budget_s, _validate_text, body.text))
            if not checked.ok:
                found = [Problem(UPLOAD_NAME, q.line, q.column, q.path, q.message) for q in checked.problems]
                raise ScenarioError(found)
            loaded, text, ref = _loaded(body.text), body.text, UPLOAD_NAME
        else:
            if body.scenario not in _builtins():
                raise GigawattError(f"no built-in scenario {body.scenario!r}")
            text, ref = scenario_source(str(body.scenario))
            loaded = _loaded(text, ref)
        return begin(loaded, text, ref, body.draws, body.seed)

    def begin(loaded: Any, text: str, ref: str, draws: int, seed: int) -> dict[str, Any]:
        """Record a run of a validated scenario and hand it to a worker."""
        from gigawatt.sampling import BLOCK_DRAWS

        run_id = store.begin_run(
            scenario=loaded.name,
            scenario_text=text,
            scenario_ref=ref,
            draws=draws,
            seed=seed,
            block_draws=BLOCK_DRAWS,
        )
        try:
            jobs.submit(store.root, run_id)
        except Exception as exc:
            store.fail_run(run_id, f"could not start a worker: {type(exc).__name__}")
            raise GigawattError(f"could not start run {run_id}: no worker process") from None
        return run_out(store.get(run_id))

    @app.get(
        "/api/scenarios/{name}/whatif",
        tags=["scenarios"],
        responses={404: {"model": ErrorOut}, 200: {"content": {"application/json": {"schema": _OBJECT}}}},
    )
    def whatif_choices(name: NamePath) -> Any:
        """What the what-if form offers for a built-in scenario: its sites and the ranges allowed."""
        from gigawatt.whatif import choices

        if name not in _builtins():
            return JSONResponse({"detail": f"no built-in scenario {name!r}"}, status_code=404)
        return choices(name)

    @app.post(
        "/api/whatif",
        response_model=WhatIfOut,
        status_code=202,
        tags=["runs"],
        responses={422: {"model": ErrorOut}},
    )
    def start_whatif(body: WhatIfIn) -> dict[str, Any]:
        """Run a built-in scenario and a what-if of it (an ``extends:`` scenario written from
        the changes) with the same draws and seed; compare them with ``/api/compare``. A value
        out of range is a 422 whose ``fields`` names the form field and why."""
        from gigawatt.store import scenario_source
        from gigawatt.whatif import whatif_text

        if body.base not in _builtins():
            raise WhatIfError("base", f"no built-in scenario {body.base!r}")
        text = whatif_text(body.base, body)
        loaded = _loaded(text)
        base_text, ref = scenario_source(body.base)
        base = begin(_loaded(base_text, ref), base_text, ref, body.draws, body.seed)
        whatif = begin(loaded, text, UPLOAD_NAME, body.draws, body.seed)
        return {"text": text, "description": loaded.description, "base": base, "whatif": whatif}

    @app.get(
        "/api/runs/{run_id}", response_model=RunDetail, tags=["runs"], responses={404: {"model": ErrorOut}}
    )
    def get_run(run_id: RunIdPath) -> dict[str, Any]:
        """A run's status, progress (0..1), error if it failed, and summary once complete."""
        return run_out(store.get(run_id), detail=True)

    def complete(run_id: str) -> Any:
        record = store.get(run_id)
        if record.status != "complete":
            raise GigawattError(f"run {record.id} is {record.status}, not complete")
        return record

    @app.get(
        "/api/runs/{run_id}/figures",
        tags=["runs"],
        responses={
            404: {"model": ErrorOut},
            200: {"content": {"application/json": {"schema": _OBJECT}}},
        },
    )
    def run_figures(run_id: RunIdPath) -> Response:
        """The report's charts for the run's kind as plotly figure JSON: section id -> figure, in order."""
        record = complete(run_id)
        return Response(_figures_json(record.id, record.kind, record.finished), media_type="application/json")

    @functools.lru_cache(maxsize=32)
    def _figures_json(run_id: str, kind: str, finished: Any) -> bytes:
        """A complete run never changes, so its figures are built once (keyed by id and finish time)."""
        from gigawatt.report import figures, scenario_or_none

        record = store.get(run_id)
        made = figures(record.summary or {}, scenario_or_none(record), kind=kind)
        return ("{" + ",".join(f"{json.dumps(k)}:{f.to_json()}" for k, f in made.items()) + "}").encode()

    @app.get(
        "/api/runs/{run_id}/report",
        response_class=Response,
        tags=["runs"],
        responses={
            200: {"description": "The report", "content": {"text/html": {"schema": {"type": "string"}}}},
            404: {"model": ErrorOut},
        },
    )
    def run_report(run_id: RunIdPath) -> HTMLResponse:
        """The self-contained HTML report of a run (download)."""
        from gigawatt.report import render_report, scenario_or_none

        record = complete(run_id)
        headers = {"Content-Disposition": f'attachment; filename="gigawatt-{record.id}.html"'}
        return HTMLResponse(render_report(record, scenario_or_none(record)), headers=headers)

    @app.get(
        "/api/runs/{run_id}/capacity.{fmt}",
        tags=["runs"],
        response_class=Response,
        responses={**_CSV_OR_PARQUET, 404: {"model": ErrorOut}},
    )
    def run_capacity(run_id: RunIdPath, fmt: Literal["csv", "parquet"]) -> Response:
        """Facility MW online by series (total, site, country, party, accelerator), P10/P50/P90, per
        date; for a plan, the facility MW it builds per site and quarter."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from gigawatt.frames import plan_frame
        from gigawatt.store import load_results

        record = complete(run_id)
        if record.kind == "plan":
            frame = plan_frame(record.summary or {})
        elif record.kind != "run" or not record.blocks_done:
            raise GigawattError(
                f"run {record.id} ({record.kind}) has no capacity over time: only engine runs recorded "
                "block by block (gigawatt run, the dashboard) and plans have one"
            )
        else:
            frame = load_results(store, record.id).capacity.to_dataframe().reset_index()
        name = f"gigawatt-{record.id}-capacity.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"'}
        if fmt == "csv":
            return Response(frame.to_csv(index=False), media_type="text/csv", headers=headers)
        buffer = io.BytesIO()
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), buffer)
        return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet", headers=headers)

    @app.get(
        "/api/runs/{run_id}/export.xlsx",
        tags=["runs"],
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
    def run_workbook(run_id: RunIdPath) -> FileResponse:
        """The run as an Excel workbook: summary, targets, capacity, demand, money when present,
        inputs as resolved and sources, with units in the headers."""
        from gigawatt.export import export_run

        record = complete(run_id)
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

    @app.get(
        "/api/runs/{run_id}/draws.{fmt}",
        tags=["runs"],
        response_class=FileResponse,
        responses={**_CSV_OR_PARQUET, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}},
    )
    def run_draws(run_id: RunIdPath, fmt: Literal["csv", "parquet"]) -> FileResponse:
        """One row per draw: each target's date met, facility and IT GW at year ends, phases online,
        the constraint that set the last phase's date (see ``gigawatt.store.draws_table``)."""
        record = complete(run_id)
        folder = tempfile.mkdtemp(prefix="gigawatt-draws-")
        name = f"gigawatt-{record.id}-draws.{fmt}"
        try:
            path = store.export_draws(record.id, Path(folder) / name, fmt)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        media = "text/csv" if fmt == "csv" else "application/vnd.apache.parquet"
        cleanup = BackgroundTask(shutil.rmtree, folder, ignore_errors=True)
        return FileResponse(path, media_type=media, filename=name, background=cleanup)

    @app.get("/api/compare", tags=["runs"], responses={404: {"model": ErrorOut}})
    def compare(
        a: Annotated[str, Query(pattern=r"^[0-9a-f]{4,32}$", max_length=32)],
        b: Annotated[str, Query(pattern=r"^[0-9a-f]{4,32}$", max_length=32)],
    ) -> dict[str, Any]:
        """What changed between two runs: the headline answers with their Monte Carlo SE and a
        Holm-corrected ``significant`` flag, the inputs, every other output, and ``figure``: the
        two capacity fans on one chart (plotly JSON)."""
        from gigawatt.compare import compare as compare_records
        from gigawatt.compare import fan_overlay
        from gigawatt.store import jsonable

        first, second = store.get(a), store.get(b)
        result = dict(jsonable(compare_records(store, first, second)))
        figure = fan_overlay(first.summary or {}, second.summary or {}, (f"A {first.id}", f"B {second.id}"))
        result["figure"] = json.loads(figure.to_json())
        return result

    return app
