"""Reading a scenario: by built-in name, path or text, ``extends`` merged
(:mod:`gigawatt.sources`), catalog sites expanded, then validated: :func:`load_scenario`
returns a :class:`~gigawatt.scenario.Scenario` or raises
:class:`~gigawatt.errors.ScenarioError` listing every problem with its file, line, column
and field path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gigawatt import _yaml, contracted, observations, sources, units
from gigawatt.catalog import Catalog, check_source_ids, load_catalog
from gigawatt.errors import Problem, ScenarioError
from gigawatt.financing import financing_problems
from gigawatt.scenario.checks import _demand_problems, _references, _unknown
from gigawatt.scenario.hindsight import late_sources
from gigawatt.scenario.model import Scenario

__all__ = ["load_scenario", "load_scenario_text"]

#: A value in pydantic's list of the literals a field allows ("'a', 'b' or 'c'").
_LITERAL = re.compile(r"'([^']*)'")


def _with_catalog_sites(doc: _yaml.Document, catalog: Catalog) -> tuple[_yaml.Document, list[Problem]]:
    """Expand ``sites.X.catalog: ID`` into the catalog's site with X's fields on top."""
    problems: list[Problem] = []
    sites = doc.data.get("sites")
    if not isinstance(sites, dict):
        return doc, problems
    known = (catalog.sites.data or {}).get("sites", {})
    for site_id, site in list(sites.items()):
        if not isinstance(site, dict) or "catalog" not in site:
            continue
        ref = site["catalog"]
        if ref not in known:
            problems.append(doc.problem(("sites", site_id, "catalog"), _unknown("catalog site", ref, known)))
            continue
        base = _yaml.graft(_yaml.sub(catalog.sites, ("sites", ref)), ("sites", site_id))
        own = dict(site)
        own.pop("catalog")
        override = _yaml.Document({"sites": {site_id: own}}, doc.marks, doc.file)
        merged = _yaml.merge(base, override)
        doc.data["sites"][site_id] = merged.data["sites"][site_id]
        doc.marks.update({k: v for k, v in merged.marks.items() if k[:2] == ("sites", site_id)})
    return doc, problems


def _pydantic_problems(doc: _yaml.Document, exc: ValidationError) -> list[Problem]:
    """One located problem per field: the branches of a union of literals (``Status |
    Literal["secured"]``) merged into one list of the values allowed, without pydantic's
    ``literal[...]`` path segments."""
    problems = []
    choices: dict[tuple[Any, ...], tuple[Any, list[str]]] = {}
    for error in exc.errors():
        loc = tuple(part for part in error["loc"] if not str(part).startswith("literal["))
        if error["type"] == "literal_error":
            allowed = choices.setdefault(loc, (error["input"], []))[1]
            allowed += [v for v in _LITERAL.findall(str(error["ctx"]["expected"])) if v not in allowed]
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field missing"
        problems.append(doc.problem(loc, message))
    for loc, (given, allowed) in choices.items():
        problems.append(doc.problem(loc, f"{given!r} is not one of {', '.join(allowed)}"))
    return problems


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario by built-in name or path."""
    return _validated(sources.read(name_or_path), Path(str(name_or_path)).stem)


def load_scenario_text(
    text: str,
    *,
    name: str | None = None,
    base_dir: str | Path | None = None,
    file: str = "<text>",
    files: bool = True,
) -> Scenario:
    """Load, merge (``extends``) and validate a scenario given as YAML text.

    ``name`` is used when the text names none; ``base_dir`` is where a relative
    ``extends: FILE.yaml`` is looked for (default: the working folder); ``file`` labels
    located errors; ``files=False`` lets ``extends`` name only a built-in scenario.

    >>> load_scenario_text("extends: stargate\nname: mine\n").name
    'mine'
    """
    doc = _yaml.load(text, file)
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    merged = sources.resolve(doc, base_dir=folder, files=files)
    return _validated(merged, name or Path(file).stem)


def _validated(doc: _yaml.Document, default_name: str) -> Scenario:
    catalog = load_catalog()
    doc, problems = _with_catalog_sites(doc, catalog)
    data = _yaml.stringify_keys(doc.data)
    data.setdefault("name", default_name)
    try:
        scenario = Scenario.model_validate({**data, "source_file": doc.file})
    except ValidationError as exc:
        raise ScenarioError(problems + _pydantic_problems(doc, exc)) from None
    problems += _references(scenario, doc, catalog) + _demand_problems(scenario, doc)
    problems += observations.problems(scenario, doc) + contracted.problems(scenario, doc, catalog)
    problems += _priors_problems(scenario, doc)
    problems += financing_problems(scenario, doc.problem)
    check_source_ids(doc, {**catalog.sources, **scenario.sources}, problems)
    if problems:
        raise ScenarioError(problems)
    scenario._warnings = _warnings(scenario, doc, catalog)
    return scenario


def _warnings(scenario: Scenario, doc: _yaml.Document, catalog: Catalog) -> list[Problem]:
    """Inputs whose every source is dated after a stated ``time.as_of``, in file order."""
    if scenario.time.as_of_date is None:
        return []
    as_of = units.date_from_days(scenario.time.as_of_day)
    found = late_sources(doc, {**catalog.sources, **scenario.sources}, as_of)
    return sorted(found, key=lambda p: (p.file, p.line, p.column, p.path))


def _priors_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """A ``priors:`` file that cannot be read, located at the scenario's line."""
    if scenario.priors is None:
        return []
    from gigawatt.priors import PriorsError, resolve_priors  # noqa: PLC0415 (read when named; validate starts without)

    try:
        resolve_priors(scenario.priors, scenario.source_file)
    except PriorsError as exc:
        return [doc.problem(("priors",), str(exc))]
    return []
