"""A run as the catalogue knows it (:class:`RunRecord`), the store's errors, and the text
and hash of the scenario a run simulates."""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from gigawatt import sources
from gigawatt.errors import GigawattError

__all__ = [
    "MANIFEST",
    "RunNotFoundError",
    "RunRecord",
    "Status",
    "StoreError",
    "default_root",
    "jsonable",
    "scenario_hash",
    "scenario_source",
]

Status = Literal["running", "complete", "failed", "interrupted"]
#: Each run folder's copy of its catalogue row.
MANIFEST = "run.json"


class StoreError(GigawattError):
    """A run that does not exist, is ambiguous, or cannot be resumed."""


class RunNotFoundError(StoreError):
    """No run has the id (or id prefix) asked for (the dashboard answers 404)."""


def default_root() -> Path:
    """``$GIGAWATT_STORE`` if set, else ``./.gigawatt``."""
    return Path(os.environ.get("GIGAWATT_STORE") or ".gigawatt")


def scenario_hash(text: str) -> str:
    """SHA-256 of a scenario's text: the identity of what was simulated."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class RunRecord:
    """One run as the catalogue knows it (``summary`` is ``None`` until complete)."""

    id: str
    kind: str
    scenario: str
    scenario_ref: str
    scenario_hash: str
    scenario_text: str
    draws: int
    seed: int
    block_draws: int
    params: dict[str, Any]
    version: str
    status: Status
    created: datetime
    finished: datetime | None
    elapsed_s: float | None
    host: str
    pid: int
    summary: dict[str, Any] | None = None
    error: str | None = None
    blocks_done: int = field(default=0)
    #: The scenario with every ``extends`` parent merged in, as simulated (None: not resolvable,
    #: or recorded before gigawatt kept it); see :mod:`gigawatt.resolved`.
    resolved_text: str | None = None
    #: The run's identity: resolved scenario, catalogs, version and seed (:func:`gigawatt.resolved.run_hash`).
    run_hash: str | None = None

    @property
    def blocks_total(self) -> int:
        return math.ceil(self.draws / self.block_draws) if self.draws else 0

    @property
    def blocks(self) -> str | None:
        """``done/total`` blocks of draws on disk; None for a result recorded whole (plan, stress…)."""
        if self.status == "complete" and self.blocks_done == 0:
            return None
        return f"{self.blocks_done}/{self.blocks_total}"

    def brief(self) -> dict[str, Any]:
        """The fields of ``runs list --json``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash[:12],
            "run_hash": (self.run_hash or "")[:12],
            "created": self.created.isoformat(),
            "draws": self.draws,
            "seed": self.seed,
            "status": self.status,
            "elapsed_s": self.elapsed_s,
            "blocks": self.blocks,
            "version": self.version,
        }

    def as_dict(self) -> dict[str, Any]:
        """The record's fields (the summary and params as they are, not copied), dates as ISO text."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["created"] = self.created.isoformat()
        out["finished"] = self.finished.isoformat() if self.finished else None
        return out


def jsonable(value: Any) -> Any:
    """JSON-ready copy: numpy scalars/arrays to Python, non-finite floats to None."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most of a summary: as they are
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def scenario_source(name_or_path: str | Path) -> tuple[str, str]:
    """``(text, reference)`` of a scenario: a file's text and absolute path, or a built-in's."""
    found = sources.find(name_or_path)
    return found.text, found.ref
