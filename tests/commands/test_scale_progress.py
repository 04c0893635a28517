"""``sensitivity`` and ``countries`` show a progress bar with a known total that it reaches,
and none with --json (stdout stays JSON)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gigawatt.cli import app


@pytest.fixture
def bars(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], bool, list[int]]]:
    """Every bar a command opens: its labels, whether shown, and each ``done()`` as it came."""
    from gigawatt.commands import scale

    opened: list[tuple[list[str], bool, list[int]]] = []

    @contextmanager
    def steps(labels: Sequence[str], enabled: bool = True) -> Iterator[Callable[[], None]]:
        calls: list[int] = []
        opened.append((list(labels), enabled, calls))
        yield lambda: calls.append(len(calls) + 1)

    monkeypatch.setattr(scale, "steps", steps)
    return opened


def test_sensitivity_bar_runs_to_its_total(
    bars: list[tuple[list[str], bool, list[int]]], tmp_path: Path
) -> None:
    args = [
        "sensitivity",
        "stargate",
        "--samples",
        "2",
        "--include",
        "sites.milam",
        "--output",
        "capacity:2027-12-31",
        "--store",
        str(tmp_path),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    ((labels, shown, done),) = bars
    assert shown and labels == [
        "reading stargate",
        "sampling (morris)",
        "evaluating the model, analysing",
        "recording",
    ]
    assert done == [1, 2, 3, 4]  # every step completes: the bar ends at 4/4


def test_countries_bar_and_none_with_json(bars: list[tuple[list[str], bool, list[int]]]) -> None:
    result = CliRunner().invoke(app, ["countries", "stargate", "--draws", "64"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["countries", "stargate", "--draws", "64", "--json"])
    assert result.exit_code == 0
    json.loads(result.stdout)
    (labels, shown, done), (_, json_shown, _) = bars
    assert shown and labels == ["reading stargate", "simulating 64 draws"] and done == [1, 2]
    assert not json_shown
