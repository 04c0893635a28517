"""The web dashboard: a JSON API (documented at ``/openapi.json``) and one page that uses it.

Safe by default: ``gigawatt serve`` binds loopback and answers only requests whose
``Host`` is a loopback name (:data:`LOOPBACK_HOSTS`, or what ``--host`` names), so a
page on another site cannot reach it by DNS rebinding; request bodies are capped
(:data:`MAX_BODY_BYTES`), draws per run are capped (:data:`MAX_DRAWS`); an
uploaded scenario is validated from text in a private temporary folder and its
``extends:`` may only name a built-in scenario, so it can never read other files;
errors are JSON messages, never tracebacks; a failed run keeps and shows its reason.
Runs execute in a small thread pool and are recorded in the run store.

This module assembles the app: the routers (``routes_*``), the host and body-size
middleware, and the exception handlers. An error's HTTP status comes from its class
(:data:`STATUS_OF`), never from its message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Route

from gigawatt._version import __version__
from gigawatt.errors import GigawattError, ScenarioError
from gigawatt.store import RunNotFoundError
from gigawatt.web import routes_pages, routes_runs, routes_scenarios, routes_tasks, routes_whatif
from gigawatt.web.dashboard import Dashboard
from gigawatt.web.jobs import REQUEST_CPU_BUDGET_S, cpu_budget, load_uploaded
from gigawatt.web.schemas import _ERRORS, MAX_DRAWS, MAX_TEXT_CHARS, _problem_out
from gigawatt.web.tasks import FormError
from gigawatt.whatif import WhatIfError

__all__ = [
    "LOOPBACK_HOSTS",
    "MAX_BODY_BYTES",
    "MAX_DRAWS",
    "MAX_TEXT_CHARS",
    "STATUS_OF",
    "cpu_budget",
    "create_app",
    "load_uploaded",
]

#: Largest request body accepted (bytes): a text of MAX_TEXT_CHARS characters each written
#: as a 12-byte JSON escape (a surrogate pair) fits, so a too-long text is a 422, not a 413.
MAX_BODY_BYTES = 12 * MAX_TEXT_CHARS + 64_000
#: The ``Host`` names the dashboard answers by default (with or without a port).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: The HTTP status of each kind of error, by class (the first that matches; any other
#: :class:`~gigawatt.errors.GigawattError` is a 422).
STATUS_OF: tuple[tuple[type[GigawattError], int], ...] = ((RunNotFoundError, 404),)
#: The API's routers, in the order they are included.
ROUTERS = (
    routes_pages.router,
    routes_scenarios.router,
    routes_runs.router,
    routes_whatif.router,
    routes_tasks.router,
)


def _host_name(header: str) -> str:
    """The name in a ``Host`` header, without its port: ``[::1]:8050`` → ``::1``."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


async def gigawatt_error(request: Request, exc: GigawattError) -> JSONResponse:
    """A located scenario error lists its problems; a form error (what-if, stress, sensitivity) its field."""
    if isinstance(exc, WhatIfError | FormError):
        return JSONResponse({"detail": str(exc), "fields": {exc.field: exc.message}}, status_code=422)
    if isinstance(exc, ScenarioError):
        problems = [_problem_out(p).model_dump() for p in exc.problems]
        return JSONResponse({"detail": "invalid scenario", "problems": problems}, status_code=422)
    status = next((code for cls, code in STATUS_OF if isinstance(exc, cls)), 422)
    return JSONResponse({"detail": str(exc)}, status_code=status)


async def bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    messages = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
    located = [e for e in exc.errors() if e["loc"][:1] == ("body",)]
    fields = {".".join(str(p) for p in e["loc"][1:]): str(e["msg"]) for e in located}
    return JSONResponse({"detail": "; ".join(messages)[:2000], "fields": fields}, status_code=422)


async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    headers = dict(exc.headers or {})
    if exc.status_code == 405:  # every method the path has, not only one route's
        methods: set[str] = set()
        routes = [*request.app.routes, *(r for router in ROUTERS for r in router.routes)]
        for route in routes:  # the app's own and the routers' (an included router is one route)
            match, _ = route.matches(request.scope)
            if match is not Match.NONE and isinstance(route, APIRoute | Route):
                methods |= set(route.methods or ())
        headers["Allow"] = ", ".join(sorted(methods))
    return JSONResponse({"detail": str(exc.detail)}, status_code=exc.status_code, headers=headers)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse({"detail": f"internal error ({type(exc).__name__})"}, status_code=500)


def create_app(
    store_root: str | Path | None = None,
    allowed_hosts: Iterable[str] | None = None,
    request_cpu_budget_s: float = REQUEST_CPU_BUDGET_S,
) -> FastAPI:
    """The dashboard over the run store at ``store_root`` (default ``$GIGAWATT_STORE`` or ./.gigawatt).

    ``allowed_hosts``: the ``Host`` names it answers (default :data:`LOOPBACK_HOSTS`; ``*``: any);
    ``request_cpu_budget_s``: CPU seconds a validate, convert or run-start request may use."""
    state = Dashboard(store_root, request_cpu_budget_s)
    hosts = {h.strip().lower().strip("[]") for h in (allowed_hosts or LOOPBACK_HOSTS)}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        state.jobs.shutdown()

    app = FastAPI(
        title="gigawatt dashboard",
        version=__version__,
        description="Run, see and compare gigawatt buildout scenarios. All power figures say facility or IT.",
        lifespan=lifespan,
        responses=_ERRORS,
    )
    app.state.dashboard = state
    app.state.store = state.store
    app.state.jobs = state.jobs

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

    app.exception_handler(GigawattError)(gigawatt_error)
    app.exception_handler(RequestValidationError)(bad_request)
    app.exception_handler(StarletteHTTPException)(http_error)
    app.exception_handler(Exception)(internal_error)
    for router in ROUTERS:
        app.include_router(router)
    return app
