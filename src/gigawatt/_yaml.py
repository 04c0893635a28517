"""YAML documents that remember where each value came from.

A :class:`Document` is plain data (dicts, lists, scalars) plus a map from each
value's path to its file, line and column, so validation errors can point at
the line a user wrote. Documents merge (``extends:``) and keep each value's own
origin.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import yaml

from gigawatt import limits
from gigawatt.errors import Problem, ScenarioError

Path = tuple[str | int, ...]

#: libyaml's parser where PyYAML was built with it (5x faster; same nodes and marks).
_Base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class Mark:
    file: str
    line: int
    column: int


@dataclass
class Document:
    data: Any
    marks: dict[Path, Mark] = field(default_factory=dict)
    file: str = "<string>"

    def mark(self, path: Iterable[str | int]) -> Mark:
        """Where ``path`` (or its nearest written ancestor) was written."""
        key = tuple(path)
        while key:
            if key in self.marks:
                return self.marks[key]
            key = key[:-1]
        return self.marks.get((), Mark(self.file, 1, 1))

    def problem(self, path: Iterable[str | int], message: str) -> Problem:
        key = tuple(path)
        mark = self.mark(key)
        return Problem(mark.file, mark.line, mark.column, format_path(key), message)


def format_path(path: Iterable[str | int]) -> str:
    """``('sites', 'abilene', 'phases', 0, 'power')`` → ``sites.abilene.phases[0].power``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


class _Refused(yaml.MarkedYAMLError):
    """A document refused at a place in it: over a limit, or a value that cannot exist."""


class _Loader(_Base):  # type: ignore[valid-type,misc]
    """PyYAML's safe loader, with aliases limited (count and expanded size, see
    :mod:`gigawatt.limits`) and impossible dates refused where they are written."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self.aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > limits.MAX_YAML_ALIASES:
                event = self.peek_event()
                raise _Refused(
                    problem=f"more than {limits.MAX_YAML_ALIASES:,} aliases (*name) in one document",
                    problem_mark=event.start_mark,
                )
        return super().compose_node(parent, index)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise _Refused(
                problem=f"impossible date {node.value!r}: {exc}", problem_mark=node.start_mark
            ) from None


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes ``root`` stands for once every alias is expanded (each node's size
    computed once, so this is fast however large the expansion); raises :class:`_Refused`
    above :data:`~gigawatt.limits.MAX_YAML_NODES`, over :data:`~gigawatt.limits.MAX_YAML_ALIASES`
    alias uses (a node reached again is an alias: libyaml's composer has no hook to count them
    as they are read) or on an alias that contains itself."""
    sizes: dict[int, int] = {}
    open_: set[int] = set()
    aliases = 0

    def size(node: yaml.Node) -> int:
        nonlocal aliases
        key = id(node)
        if key in sizes:
            aliases += 1
            if aliases > limits.MAX_YAML_ALIASES:
                raise _Refused(
                    problem=f"more than {limits.MAX_YAML_ALIASES:,} aliases (*name) in one document",
                    problem_mark=node.start_mark,
                )
            return sizes[key]
        if key in open_:
            raise _Refused(problem="an alias that contains itself", problem_mark=node.start_mark)
        open_.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            total += sum(size(k) + size(v) for k, v in node.value)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        open_.discard(key)
        if total > limits.MAX_YAML_NODES:
            raise _Refused(
                problem=f"the document expands to more than {limits.MAX_YAML_NODES:,} values "
                "(aliases counted each time they are used)",
                problem_mark=node.start_mark,
            )
        sizes[key] = total
        return total

    size(root)
    return sizes[id(root)]


def load(text: str, file: str) -> Document:
    """Parse one YAML document, raising :class:`ScenarioError` on syntax errors, on
    impossible dates and on documents over the alias limits of :mod:`gigawatt.limits`."""
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"YAML: {exc}")]) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return Document({}, {(): Mark(file, 1, 1)}, file)
        _expanded_size(node)
        data = loader.construct_document(node)
        marks: dict[Path, Mark] = {}
        problems: list[Problem] = []
        _walk(loader, node, (), file, marks, problems)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        kind = "YAML" if isinstance(exc, _Refused) else "YAML syntax"
        raise ScenarioError([Problem(file, line, col, "", f"{kind}: {message}")]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise ScenarioError([Problem(file, 1, 1, "", f"YAML: {exc}")]) from None
    finally:
        loader.dispose()
    if problems:
        raise ScenarioError(problems)
    return Document(data, marks, file)


def _walk(
    loader: yaml.SafeLoader,
    node: yaml.Node,
    path: Path,
    file: str,
    marks: dict[Path, Mark],
    problems: list[Problem],
) -> None:
    # A mapping entry is marked at its key (set by the caller), so that an error
    # about a whole block points at the line that names it.
    marks.setdefault(path, Mark(file, node.start_mark.line + 1, node.start_mark.column + 1))
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool):
                continue
            key = str(key)
            if key in seen:
                line = key_node.start_mark.line + 1
                col = key_node.start_mark.column + 1
                problems.append(Problem(file, line, col, format_path((*path, key)), "key written twice"))
            seen.add(key)
            marks[(*path, key)] = Mark(file, key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _walk(loader, value_node, (*path, key), file, marks, problems)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(loader, item, (*path, index), file, marks, problems)


def stringify_keys(data: Any) -> Any:
    """Mapping keys as strings (YAML may read ``2026:`` as an int), as the marks have them."""
    if isinstance(data, dict):
        return {str(k): stringify_keys(v) for k, v in data.items()}
    if isinstance(data, list):
        return [stringify_keys(v) for v in data]
    return data


def merge(base: Document, override: Document) -> Document:
    """Deep-merge ``override`` onto ``base``: mappings merge key by key, anything
    else replaces, and ``null`` removes a key. Each value keeps its own origin."""
    marks = dict(base.marks)

    def put(target: Any, path: Path, value: Any) -> Any:
        if isinstance(value, dict) and isinstance(target, dict):
            merged = dict(target)
            for key, item in value.items():
                sub = (*path, key)
                if item is None:
                    merged.pop(key, None)
                    _drop(marks, sub)
                elif key in merged:
                    merged[key] = put(merged[key], sub, item)
                else:
                    merged[key] = copy.deepcopy(item)
                    _copy(override.marks, marks, sub)
            return merged
        _drop(marks, path)
        _copy(override.marks, marks, path)
        return copy.deepcopy(value)

    data = put(copy.deepcopy(base.data), (), override.data)
    return Document(data, marks, override.file)


def graft(doc: Document, prefix: Path) -> Document:
    """``doc`` placed under ``prefix`` in an otherwise empty document."""
    data: Any = doc.data
    for key in reversed(prefix):
        data = {key: data}
    marks = {(*prefix, *path): mark for path, mark in doc.marks.items()}
    return Document(data, marks, doc.file)


def sub(doc: Document, prefix: Path) -> Document:
    """The part of ``doc`` found at ``prefix``, with marks re-rooted there."""
    data = doc.data
    for key in prefix:
        data = data[key]
    n = len(prefix)
    marks = {path[n:]: mark for path, mark in doc.marks.items() if path[:n] == prefix}
    return Document(data, marks, doc.file)


def _drop(marks: dict[Path, Mark], prefix: Path) -> None:
    for key in [k for k in marks if k[: len(prefix)] == prefix]:
        del marks[key]


def _copy(source: dict[Path, Mark], target: dict[Path, Mark], prefix: Path) -> None:
    target.update({key: mark for key, mark in source.items() if key[: len(prefix)] == prefix})
