"""The options several commands share, defined once: the run store (``--store``,
``--record/--no-record``), the seed, and where blocks of draws run (``--backend``,
``--address``, ``--workers``); and :func:`record_result`, which records a finished result of
any kind in the run store.

Only typer is imported here (the store, with DuckDB and Arrow, only when a result is
recorded), so ``gigawatt --help`` and ``--no-record`` runs start at once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from gigawatt.commands.common import console

if TYPE_CHECKING:
    from gigawatt.runner import Backend
    from gigawatt.store import RunRecord

__all__ = [
    "AddressOpt",
    "BackendName",
    "BackendOpt",
    "Recorded",
    "RecordOpt",
    "SeedOpt",
    "StoreOpt",
    "RunWorkersOpt",
    "WorkersOpt",
    "YesOpt",
    "make_backend",
    "print_recorded",
    "record_result",
]

StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", envvar="GIGAWATT_STORE", help="Run store folder (default ./.gigawatt)."),
]


RecordOpt = Annotated[bool, typer.Option("--record/--no-record", help="Record the result in the run store.")]
SeedOpt = Annotated[int, typer.Option(min=0, help="Random seed (same seed, same numbers).")]
#: ``--yes`` where the only question is time (``run`` and ``plan --robust`` say more).
YesOpt = Annotated[bool, typer.Option("--yes", help="Start work estimated at over 10 minutes.")]


class BackendName(StrEnum):
    """Where blocks of draws run."""

    inprocess = "inprocess"
    local = "local"
    dask = "dask"


BackendOpt = Annotated[
    BackendName,
    typer.Option(
        help="inprocess; local (a pool of --workers processes); dask (--address, or a local cluster)."
    ),
]
AddressOpt = Annotated[
    str | None, typer.Option(help="Dask scheduler to join, e.g. tcp://HOST:8786 (with --backend dask).")
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        min=1, help="Processes (local) or workers of a new Dask cluster (results do not depend on it)."
    ),
]
#: `gigawatt run`'s --workers: 0 (its default) picks one per core (:func:`gigawatt.runner.auto_workers`).
RunWorkersOpt = Annotated[
    int,
    typer.Option(
        min=0,
        help="Processes (local) or workers of a new Dask cluster; 0: one per CPU core, at most one "
        "per block of 8,192 draws; 1: in this process (results do not depend on it).",
    ),
]


def make_backend(backend: BackendName, address: str | None, workers: int) -> Backend:
    """The :class:`~gigawatt.runner.Backend` the options name."""
    from gigawatt.runner import Backend

    return Backend(backend.value, address=address, workers=workers)


@dataclass(frozen=True)
class Recorded:
    """A result recorded in the run store: its record and the store's folder."""

    run: RunRecord
    root: Path


def record_result(
    record: bool,
    store_dir: str | Path | None,
    scenario: str,
    name: str,
    *,
    kind: str,
    started: float,
    summary: Any,
    **fields: Any,
) -> Recorded | None:
    """Record a finished result of ``kind`` (``plan``, ``stress``, ``sensitivity``, ...) of the
    scenario ``scenario`` (a built-in's name or a file), named ``name``, in the store at
    ``store_dir`` (default ``./.gigawatt``); ``None`` with ``--no-record`` (``record`` false).

    ``started`` is the :func:`time.perf_counter` reading when the work began (the record's
    elapsed time); ``fields`` go to :meth:`gigawatt.store.Store.record_result` (``draws``,
    ``seed``, ``params``)."""
    if not record:
        return None
    from gigawatt.store import Store

    store = Store(store_dir)
    run = store.record_result(
        scenario, name, kind=kind, elapsed_s=time.perf_counter() - started, summary=summary, **fields
    )
    return Recorded(run, store.root)


def print_recorded(recorded: Recorded | None) -> None:
    """Say where a result was recorded (nothing with ``--no-record``)."""
    if recorded is not None:
        console.print(f"recorded as run [bold]{recorded.run.id}[/] in {recorded.root}", highlight=False)
