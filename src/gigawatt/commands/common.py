"""What every ``gigawatt`` command shares: the typer app, consoles, options, error handling, JSON.

Command modules import from here (never from :mod:`gigawatt.cli`), so the command tree has no
import cycle: :mod:`gigawatt.cli` imports the command modules, they import this module. Only
typer and rich are imported here, so ``gigawatt --help`` starts at once.
"""

from __future__ import annotations

import inspect
import json
import sys
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import rich.table
import typer
from rich.console import Console

from gigawatt.errors import GigawattError, ScenarioError

app = typer.Typer(
    help="Plan, simulate and stress-test gigawatt-scale AI compute buildouts.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., Any])

ScenarioArg = Annotated[
    str, typer.Argument(help="A built-in scenario name (see `gigawatt scenarios`) or a YAML file.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

#: Packages of the optional extras (pyproject.toml), by the extra that installs them.
EXTRAS = {
    "fastapi": "web",
    "uvicorn": "web",
    "dask": "dask",
    "distributed": "dask",
    "linopy": "optimizer",
    "highspy": "optimizer",
}


class Table(rich.table.Table):
    """A table that wraps instead of cutting: at 80 columns its first column (ids, names,
    parties: what a user copies) keeps whole words and the others fold, never "…"."""

    def add_column(self, header: Any = "", *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("overflow", "fold")
        if not self.columns:
            kwargs.setdefault("no_wrap", True)
        super().add_column(header, *args, **kwargs)


def wrap_path(path: str, width: int) -> str:
    """A parameter path in lines of at most ``width`` characters, broken only after a "." (a
    part longer than the width stays whole, for the table to fold): never "phases[1].bui" / "lt"."""
    lines = [""]
    for part in path.replace(".", ".\n").splitlines():
        if lines[-1] and len(lines[-1]) + len(part) > width:
            lines.append("")
        lines[-1] += part
    return "\n".join(lines)


def user_errors(func: F) -> F:
    """Turn gigawatt's own errors into located messages and exit code 2."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        # PERT tables from earlier commands; numpy, so not imported for `--help`
        from gigawatt import tablecache

        tablecache.install()
        try:
            return func(*args, **kwargs)
        except ScenarioError as exc:
            for problem in exc.problems:
                err.print(str(problem), markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except GigawattError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except ModuleNotFoundError as exc:
            extra = EXTRAS.get((exc.name or "").split(".")[0])
            if extra is None:
                raise
            message = f"error: this needs {exc.name}, an optional part: pip install 'gigawatt[{extra}]'"
            err.print(message, markup=False, highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None

    wrapper.__doc__ = help_text(func.__doc__)
    return wrapper  # type: ignore[return-value]


def help_text(doc: str | None) -> str | None:
    """A command's docstring as its ``--help``: each paragraph on one line, for the terminal to
    wrap (typer's rich help keeps a docstring's single line breaks, which at 80 columns break
    lines mid-sentence); a paragraph of ``- `` items keeps its lines."""
    if doc is None:
        return None
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(
        p if p.startswith("\b") or p.lstrip().startswith("- ") else " ".join(p.split("\n"))
        for p in paragraphs
    )


def print_json(data: Any, kind: str | None = None) -> None:
    """JSON on stdout, nothing else: ``data`` as the typed result of ``kind``
    (:func:`gigawatt.results.tagged`), so every ``--json`` output carries ``kind`` and ``version``.
    Without ``kind``: the one ``data`` states, else the running command's name (``backtest``)."""
    from gigawatt.results import tagged  # pydantic: only when JSON is asked for

    if kind is None:
        kind = data.get("kind") if isinstance(data, dict) else None
    if kind is None:
        from typer._click.globals import get_current_context  # typer's own click

        context = get_current_context(silent=True)
        kind = context.info_name if context is not None and context.info_name else "result"

    sys.stdout.write(json.dumps(tagged(kind, data).as_dict(), indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
