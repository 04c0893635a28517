"""What changed between two runs: their settings, their scenarios as simulated (inputs)
and their summaries (outputs), as flat ``path: value`` differences (``runs compare`` builds
its headline on these: :mod:`gigawatt.compare`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from gigawatt import _yaml, sources
from gigawatt.errors import GigawattError
from gigawatt.store.records import RunRecord

__all__ = ["compare_runs", "diff_flat", "flatten", "resolved_inputs"]


def flatten(data: Any, prefix: str = "", max_list: int = 12) -> dict[str, Any]:
    """Nested dicts/lists → ``{"a.b[0].c": leaf}``; lists of named dicts are keyed by name;
    long numeric lists (time series) are left out."""
    out: dict[str, Any] = {}
    if isinstance(data, Mapping):
        for key, value in data.items():
            out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key), max_list))
    elif isinstance(data, list):
        if data and all(isinstance(v, Mapping) and "name" in v for v in data):
            for item in data:
                rest = {k: v for k, v in item.items() if k != "name"}
                out.update(flatten(rest, f"{prefix}[{item['name']}]", max_list))
        elif len(data) <= max_list:
            for index, value in enumerate(data):
                out.update(flatten(value, f"{prefix}[{index}]", max_list))
    else:
        out[prefix] = data
    return out


def diff_flat(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Entries that differ between two flattened mappings, with the change when numeric."""
    rows = []
    for key in sorted(set(a) | set(b)):
        old, new = a.get(key), b.get(key)
        if old == new:
            continue
        row: dict[str, Any] = {"path": key, "a": old, "b": new}
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (old, new))
        if numbers and math.isfinite(float(old)) and math.isfinite(float(new)):  # type: ignore[arg-type]
            row["change"] = float(new) - float(old)  # type: ignore[arg-type]
        rows.append(row)
    return rows


def resolved_inputs(record: RunRecord) -> dict[str, Any]:
    """A run's scenario as simulated (every ``extends`` parent merged in, as recorded; for
    older records, built-in parents merged and a file's text as written), flattened."""
    try:
        if record.resolved_text is not None:  # as simulated, whatever the files say now
            data = _yaml.load(record.resolved_text, record.scenario_ref).data
        else:
            doc = _yaml.load(record.scenario_text, record.scenario_ref)
            try:
                data = sources.resolve(doc, files=False).data
            except GigawattError:  # extends a file: compare the text as written
                data = doc.data
    except GigawattError:
        data = {"text": record.scenario_text}
    return flatten(_yaml.stringify_keys(data), max_list=1000)


def compare_runs(a: RunRecord, b: RunRecord) -> dict[str, Any]:
    """What changed between two runs' scenarios (inputs) and what it did to the answers (outputs)."""
    settings = {"draws": a.draws, "seed": a.seed}, {"draws": b.draws, "seed": b.seed}
    return {
        "a": a.brief(),
        "b": b.brief(),
        "same_scenario": a.scenario_hash == b.scenario_hash,
        "settings": diff_flat(*settings),
        "inputs": diff_flat(resolved_inputs(a), resolved_inputs(b)),
        "outputs": diff_flat(flatten(a.summary or {}), flatten(b.summary or {})),
    }
