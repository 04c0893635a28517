"""What a scenario resolves to, and so what a run depends on.

A scenario file may ``extends:`` another, which may extend a third; the catalogs
under ``gigawatt/data`` fill in accelerators, sites and costs. A run's result
depends on all of them, on gigawatt's version and on the seed, so its identity
(:func:`run_hash`) covers all of them, and the store keeps the resolved scenario
(:attr:`Resolved.text`: every ``extends`` parent merged in) so a run can be
resumed or compared on exactly what it began with, whatever happened to the files
since.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

import yaml

from gigawatt import _yaml, sources
from gigawatt.errors import GigawattError, ScenarioError

__all__ = [
    "CATALOG_FILES",
    "Resolved",
    "catalog_sha256",
    "extends_chain",
    "inputs_of",
    "resolve",
    "run_hash",
]

#: The catalog files every scenario is read with (package data).
CATALOG_FILES = ("accelerators.yaml", "costs.yaml", "sites.yaml")


@dataclass(frozen=True)
class Resolved:
    """A scenario with every ``extends`` parent merged in, and the files it came from."""

    #: The merged scenario as YAML, without ``extends``: loads the same scenario on its own.
    text: str
    #: The scenario's file (or built-in name) first, then each parent it extends, in order.
    files: tuple[str, ...]
    #: SHA-256 of the catalog files it was read with.
    catalog_sha256: str

    @property
    def sha256(self) -> str:
        """The identity of the inputs: the merged scenario and the catalogs."""
        return hashlib.sha256(f"{self.catalog_sha256}\n{self.text}".encode()).hexdigest()


@cache
def catalog_sha256() -> str:
    """SHA-256 over the built-in catalog files (they are package data: fixed per process)."""
    digest = hashlib.sha256()
    folder = resources.files("gigawatt.data")
    for name in CATALOG_FILES:
        digest.update(name.encode() + b"\0" + folder.joinpath(name).read_bytes() + b"\0")
    return digest.hexdigest()


def resolve(text: str, ref: str, name: str | None = None) -> Resolved:
    """Resolve the scenario ``text`` read from ``ref`` (a path or a built-in's name): its
    ``extends`` parents are found as :func:`gigawatt.sources.resolve` finds them.
    ``name``: the scenario's name when the text states none (default: the file's stem)."""
    doc = _yaml.load(text, ref)
    if not isinstance(doc.data, dict):
        raise ScenarioError([doc.problem((), "a scenario is a mapping of sections (name, sites, ...)")])
    base_dir = Path(ref).parent if sources.is_file_ref(ref) else None
    files: tuple[str, ...] = (ref,)
    parent = doc.data.get("extends")
    if isinstance(parent, str):
        files += extends_chain(sources.parent_target(parent, base_dir))
        doc = sources.resolve(doc, base_dir=base_dir)
    data = _yaml.stringify_keys(doc.data)
    data.pop("extends", None)
    data.setdefault("name", name or Path(ref).stem)
    merged = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)  # order matters: parties, sites
    return Resolved(merged, files, catalog_sha256())


def extends_chain(name_or_path: str | Path) -> tuple[str, ...]:
    """The scenario's file (or built-in name) and every file it ``extends``, in order;
    files as absolute paths. Stops at a loop (which loading reports)."""
    out: list[str] = []
    current: str | Path | None = name_or_path
    while current is not None:
        source = sources.find(current)
        identity = sources.identity(source.file)
        if identity in out:
            break
        out.append(identity)
        doc = _yaml.load(source.text, source.file)
        parent = doc.data.get("extends") if isinstance(doc.data, dict) else None
        current = sources.parent_target(parent, Path(source.file).parent) if isinstance(parent, str) else None
    return tuple(out)


def inputs_of(name_or_path: str | Path) -> tuple[str, ...]:
    """:func:`extends_chain`, or nothing where the scenario can no longer be read (files that
    no command may write over)."""
    try:
        return extends_chain(name_or_path)
    except (GigawattError, OSError, UnicodeDecodeError):
        return ()


def run_hash(inputs_sha256: str, version: str, seed: int) -> str:
    """A run's identity: its resolved inputs, gigawatt's version and the seed."""
    blob = json.dumps({"inputs": inputs_sha256, "version": version, "seed": int(seed)}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()
