"""Where a scenario's text comes from, and what it ``extends``: the one resolver.

A scenario is named by a built-in name (``stargate``), a file path, or given as text. Its
``extends: PARENT`` names a built-in or a file (relative to the folder of the scenario that
names it); :func:`resolve` merges the chain with each value's own file/line kept. Callers
that must not read files (the dashboard's uploads, a stored run's text) pass
``files=False``: then ``extends`` may only name a built-in.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from gigawatt import _yaml
from gigawatt.errors import ScenarioError, UnknownScenarioError

__all__ = [
    "Source",
    "builtin_names",
    "builtin_scenarios",
    "find",
    "identity",
    "parent_target",
    "read",
    "resolve",
]


@dataclass(frozen=True)
class Source:
    """A scenario's text; ``file`` labels its located errors, ``ref`` names it again later
    (a built-in's name, a file's absolute path)."""

    text: str
    file: str
    ref: str


def _scenario_dir() -> Any:
    return resources.files("gigawatt.scenarios")


def builtin_names() -> list[str]:
    """Names of the built-in scenarios, sorted."""
    return sorted(e.name.removesuffix(".yaml") for e in _scenario_dir().iterdir() if e.name.endswith(".yaml"))


def builtin_scenarios() -> dict[str, str]:
    """Built-in scenario names and their one-line descriptions."""
    out = {}
    for name in builtin_names():
        doc = _yaml.load(_scenario_dir().joinpath(f"{name}.yaml").read_text(encoding="utf-8"), f"{name}.yaml")
        description = (doc.data or {}).get("description")
        out[name] = str(description).strip().splitlines()[0] if description else ""
    return out


def is_file_ref(name_or_path: str | Path) -> bool:
    """Whether a reference names a file (a ``.yaml``/``.yml`` name or an existing path)."""
    path = Path(name_or_path)
    return path.suffix in (".yaml", ".yml") or path.exists()


def find(name_or_path: str | Path, *, files: bool = True) -> Source:
    """The text of a built-in scenario or (``files=True``) a scenario file."""
    if is_file_ref(name_or_path) and files:
        path = Path(name_or_path)
        if not path.is_file():
            raise UnknownScenarioError(f"no scenario file {str(path)!r}")
        try:
            return Source(path.read_text(encoding="utf-8"), str(path), str(path.resolve()))
        except (OSError, UnicodeDecodeError) as exc:
            raise UnknownScenarioError(f"cannot read {str(path)!r}: {exc}") from None
    name = str(name_or_path)
    builtin = _scenario_dir().joinpath(f"{name}.yaml")
    if "/" not in name and builtin.is_file():
        return Source(builtin.read_text(encoding="utf-8"), f"gigawatt/scenarios/{name}.yaml", name)
    names = builtin_names()
    hint = difflib.get_close_matches(name, names, n=1)
    extra = f"; did you mean {hint[0]!r}?" if hint else f"; built-in: {', '.join(names)}"
    what = "no built-in scenario or file" if files else "no built-in scenario"
    raise UnknownScenarioError(f"{what} named {name!r}{extra}")


def read(name_or_path: str | Path) -> _yaml.Document:
    """A built-in scenario or a scenario file as a document, merged onto what it extends."""
    source = find(name_or_path)
    return resolve(_yaml.load(source.text, source.file), base_dir=Path(source.file).parent)


def resolve(
    doc: _yaml.Document,
    *,
    base_dir: Path | None = None,
    files: bool = True,
    _chain: tuple[str, ...] = (),
) -> _yaml.Document:
    """``doc`` merged onto the scenario its ``extends`` names, recursively.

    A parent file is looked for relative to ``base_dir`` (the folder of the file that names
    it), then as given; with ``files=False`` only built-ins may be extended.
    """
    if not isinstance(doc.data, dict):
        raise ScenarioError([doc.problem((), "a scenario is a mapping of sections (name, sites, ...)")])
    parent = doc.data.get("extends")
    if parent is None:
        return doc
    if not isinstance(parent, str):
        raise ScenarioError([doc.problem(("extends",), "extends names one scenario")])
    try:
        source = find(parent_target(parent, base_dir) if files else parent, files=files)
    except UnknownScenarioError as exc:
        raise ScenarioError([doc.problem(("extends",), str(exc))]) from None
    seen = (*_chain, identity(doc.file))
    if identity(source.file) in seen:
        raise ScenarioError([doc.problem(("extends",), f"extends loops back to {parent!r}")])
    base = _yaml.load(source.text, source.file)
    base = resolve(base, base_dir=Path(source.file).parent, files=files, _chain=seen)
    return _yaml.merge(base, doc)


def parent_target(parent: str, base_dir: Path | None) -> str | Path:
    """Where ``extends: PARENT`` points from a scenario in ``base_dir``: a file there if it
    exists, else ``parent`` as given (a built-in name or a path)."""
    if base_dir is not None and parent.endswith((".yaml", ".yml")):
        candidate = base_dir / parent
        if candidate.exists():
            return candidate
    return parent


def identity(file: str) -> str:
    """A scenario file's identity: its absolute path (a built-in's label as it is)."""
    path = Path(file)
    return str(path.resolve()) if path.exists() else file
