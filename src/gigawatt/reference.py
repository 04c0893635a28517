"""Reference pages written from the code itself: the scenario-file fields (from the pydantic
models) and the command line (from the typer app), so the docs cannot drift from either.

Each scenario field gets its YAML key, type, unit (the canonical unit its string is read
into, :data:`gigawatt.units.KINDS`), default, allowed values, an example (the first value a
built-in scenario or the site catalog gives it, else one made from its unit) and its
description (the ``#:`` comment above it in the source).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import types
import typing
from dataclasses import dataclass
from importlib import resources
from typing import Any

import typer
import yaml
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from gigawatt import units
from gigawatt.cli import app
from gigawatt.distributions import Dist
from gigawatt.scenario import Scenario

__all__ = ["FieldDoc", "cli_reference_markdown", "model_fields", "scenario_reference_markdown"]


@dataclass(frozen=True)
class FieldDoc:
    """One field of a scenario section as a file writes it."""

    key: str
    type: str
    unit: str
    default: str
    allowed: str
    example: str
    description: str


def _validator_kind(metadata: list[Any]) -> tuple[str | None, bool]:
    """(unit kind, uncertain?) of a field from its ``unit(...)``/``uncertain(...)`` validator."""
    for item in metadata:
        func = getattr(item, "func", None)
        if func is None or not func.__closure__:
            continue
        cells = dict(zip(func.__code__.co_freevars, (c.cell_contents for c in func.__closure__), strict=True))
        if "kind" in cells:
            return str(cells["kind"]), "Dist" in repr(inspect.signature(func)) or func.__name__ == "read"
    return None, False


def _unwrap(annotation: Any) -> tuple[Any, list[Any], bool]:
    """(inner type, Annotated metadata, optional?) of an annotation."""
    optional = False
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            metadata += list(annotation.__metadata__)
            annotation = annotation.__origin__
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            optional = optional or len(args) < len(typing.get_args(annotation))
            if len(args) != 1:
                return annotation, metadata, optional
            annotation = args[0]
        else:
            return annotation, metadata, optional


def _type_text(annotation: Any, metadata: list[Any]) -> tuple[str, str, str, type[BaseModel] | None]:
    """(type, unit, allowed values, nested model) of a field's annotation."""
    kind, _ = _validator_kind(metadata)
    origin = typing.get_origin(annotation)
    if annotation is Dist or (kind is not None and annotation is float):
        unit = "date" if kind == "date" else units.KINDS[kind].canonical if kind in units.KINDS else ""
        what = "date" if kind == "date" else f"{kind.replace('_', ' ')}" if kind else "number"
        text = f"{what} or distribution" if annotation is Dist else what
        return text, unit, "", None
    if origin is typing.Literal:
        return "text", "", ", ".join(f"`{v}`" for v in typing.get_args(annotation)), None
    if origin is list:
        (item,) = typing.get_args(annotation)
        inner, meta, _ = _unwrap(item)
        text, unit, allowed, model = _type_text(inner, meta)
        return f"list of {text}", unit, allowed, model
    if origin is dict:
        _, value = typing.get_args(annotation)
        inner, meta, _ = _unwrap(value)
        text, unit, allowed, model = _type_text(inner, meta)
        return f"mapping of id → {text}", unit, allowed, model
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"[{annotation.__name__}](#{annotation.__name__.lower()})", "", "", annotation
    name = getattr(annotation, "__name__", str(annotation))
    return (
        {"str": "text", "int": "integer", "float": "number", "bool": "true/false"}.get(name, name),
        "",
        "",
        None,
    )


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Field name → its ``#:`` comment lines in the model's source."""
    try:
        lines = inspect.getsource(model).splitlines()
    except (OSError, TypeError):
        return {}
    out: dict[str, str] = {}
    pending: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#:"):
            pending.append(stripped[2:].strip())
            continue
        match = re.match(r"^([a-z_][a-z0-9_]*)\s*:", stripped)
        if match and pending:
            out[match.group(1)] = " ".join(pending)
        pending = []
    return out


def _default(spec: Any, kind: str | None) -> str:
    if spec.is_required():
        return "required"
    value = spec.get_default(call_default_factory=True)
    if value is None or value is PydanticUndefined:
        return "none"
    if isinstance(value, Dist):
        if not value.is_fixed:
            return "a distribution"
        return units.format_date(value.mid) if kind == "date" else f"{value.mid:g}"
    if isinstance(value, BaseModel):
        return "defaults"
    if value in ([], {}, ""):
        return "empty"
    return f"`{value}`"


def _made_example(kind: str | None, allowed: str, text: str) -> str:
    if allowed:
        return allowed.split(", ")[0]
    if kind == "date":
        return "2027-06-30"
    if kind in units.KINDS:
        return units.KINDS[kind].example.strip('"')
    return ""


def model_fields(
    model: type[BaseModel], examples: dict[tuple[str, str], Any] | None = None
) -> list[FieldDoc]:
    """The documented fields of one scenario section; ``examples`` default to the built-ins'."""
    if examples is None:
        examples = _examples(Scenario)
    comments = _comments(model)
    rows = []
    for name, spec in model.model_fields.items():
        if spec.exclude:
            continue
        key = spec.alias or name
        inner, metadata, optional = _unwrap(spec.annotation)
        text, unit, allowed, _ = _type_text(inner, [*metadata, *spec.metadata])
        kind, _ = _validator_kind([*metadata, *spec.metadata])
        # a built-in's value, else the model's own (a field no built-in uses), else one made up
        seen = examples.get((model.__name__, key), (spec.examples or [None])[0])
        example = _example_text(seen) if seen is not None else _made_example(kind, allowed, text)
        rows.append(
            FieldDoc(
                key=key,
                type=text + (" (optional)" if optional and not spec.is_required() else ""),
                unit=unit,
                default=_default(spec, kind),
                allowed=allowed,
                example=example,
                description=comments.get(name, ""),
            )
        )
    return rows


def _example_text(value: Any) -> str:
    if isinstance(value, dict | list):
        text = json.dumps(value, default=str)
        return text if len(text) <= 60 else "(nested: see a built-in scenario)"
    text = str(value)
    return text if len(text) <= 60 else text[:57].rstrip() + "…"


def _models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every section model reachable from ``root``, in the order a file meets them."""
    found: list[type[BaseModel]] = []

    def visit(model: type[BaseModel]) -> None:
        if model in found:
            return
        found.append(model)
        for spec in model.model_fields.values():
            inner, metadata, _ = _unwrap(spec.annotation)
            nested = _type_text(inner, [*metadata, *spec.metadata])[3]
            if nested is not None:
                visit(nested)

    visit(root)
    return found


@functools.cache
def _examples(root: type[BaseModel]) -> dict[tuple[str, str], Any]:
    """(section, key) → the first value the built-in scenarios and site catalog give it."""
    out: dict[tuple[str, str], Any] = {}

    def walk(model: type[BaseModel], data: Any) -> None:
        if not isinstance(data, dict):
            return
        for spec in model.model_fields.values():
            key = spec.alias or ""
            for candidate in (key, *(n for n, s in model.model_fields.items() if s is spec)):
                if candidate in data:
                    value = data[candidate]
                    out.setdefault((model.__name__, key or candidate), value)
                    inner, metadata, _ = _unwrap(spec.annotation)
                    origin = typing.get_origin(inner)
                    nested = _type_text(inner, [*metadata, *spec.metadata])[3]
                    if nested is None:
                        break
                    items = (
                        value.values()
                        if origin is dict and isinstance(value, dict)
                        else value
                        if isinstance(value, list)
                        else [value]
                    )
                    for item in items:
                        walk(nested, item)
                    break

    for entry in sorted(resources.files("gigawatt.scenarios").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            walk(root, yaml.safe_load(entry.read_text(encoding="utf-8")))
    sites = yaml.safe_load(
        resources.files("gigawatt.data").joinpath("sites.yaml").read_text(encoding="utf-8")
    )
    walk(root, {"sites": sites.get("sites", {})})
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def scenario_reference_markdown() -> str:
    """The scenario-file reference: one table per section, every field."""
    examples = _examples(Scenario)
    parts = [
        "# Scenario file reference",
        "",
        "Generated from the pydantic models in `gigawatt.scenario` when the docs are built, so it is "
        'always the schema the code reads. Quantities are strings with units (`"1.2 GW"`, `"$300B"`, '
        '`"18 months"`), read into the canonical unit shown; a field marked *or distribution* also takes '
        "`{pert: [low, mode, high]}`, `{triangular: [...]}`, `{uniform: [low, high]}`, "
        "`{lognormal: {p50: X, p90: Y}}` or `{choice: {values: [...], weights: [...]}}`. Dates are "
        "`YYYY-MM-DD`, or `2026Q3` / `2026H2` / `2026` for the last day of that period. Examples are the "
        "first value a built-in scenario or the site catalog gives the field.",
        "",
    ]
    for model in _models(Scenario):
        doc = inspect.getdoc(model) or ""
        parts += [f"## {model.__name__}", "", doc.split("\n\n")[0].replace("\n", " "), ""]
        parts += [
            "| key | type | unit | default | allowed values | example | description |",
            "|---" * 7 + "|",
        ]
        for row in model_fields(model, examples):
            cells = (
                f"`{row.key}`",
                row.type,
                row.unit,
                row.default,
                row.allowed,
                row.example,
                row.description,
            )
            parts.append("| " + " | ".join(_cell(c) if i else c for i, c in enumerate(cells)) + " |")
        parts.append("")
    return "\n".join(parts)


def cli_reference_markdown() -> str:
    """The command-line reference: every command and subcommand, its arguments and options."""
    root = typer.main.get_command(app)
    context = type(root.make_context("gigawatt", [], resilient_parsing=True))
    parts = [
        "# Command-line reference",
        "",
        "Generated from the `gigawatt` command when the docs are built. Every command takes `--help`.",
        "",
    ]

    def visit(command: Any, path: list[str]) -> None:
        name = " ".join(path)
        subcommands = getattr(command, "commands", None)
        if subcommands:
            for sub in sorted(subcommands):
                visit(subcommands[sub], [*path, sub])
            return
        ctx = context(command, info_name=name, resilient_parsing=True)
        usage = " ".join(command.collect_usage_pieces(ctx))
        parts.extend(
            [f"## `{name}`", "", inspect.cleandoc(command.help or ""), "", f"```\n{name} {usage}\n```", ""]
        )
        rows = []
        for param in command.params:
            record = param.get_help_record(ctx)
            if record is None and param.param_type_name == "argument":
                record = (param.human_readable_name, getattr(param, "help", "") or "")
            if record is not None:
                rows.append(f"| `{_cell(record[0])}` | {_cell(record[1])} |")
        if rows:
            parts.extend(["| argument or option | meaning |", "|---|---|", *rows, ""])

    visit(root, ["gigawatt"])
    return "\n".join(parts)
