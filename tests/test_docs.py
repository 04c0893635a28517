"""The docs site builds offline and strict, with its generated references."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from gigawatt.reference import cli_reference_markdown, model_fields, scenario_reference_markdown
from gigawatt.scenario import Phase, Scenario

ROOT = Path(__file__).parents[1]


def test_scenario_reference_covers_every_field_with_type_unit_default_and_example() -> None:
    text = scenario_reference_markdown()
    for name in ("Scenario", "Site", "Phase", "PowerSource", "Contract", "Target", "Demand"):
        assert f"## {name}\n" in text
    rows = {row.key: row for row in model_fields(Phase)}
    assert set(rows) == {spec.alias or name for name, spec in Phase.model_fields.items()}
    power = rows["power"]
    assert power.unit == "MW" and "distribution" in power.type and power.default == "required"
    assert rows["status"].allowed.startswith("`announced`") and rows["status"].default == "`announced`"
    assert all(row.example for row in model_fields(Scenario) if row.key not in ("accelerators", "stages"))


def test_cli_reference_lists_every_command() -> None:
    text = cli_reference_markdown()
    for command in (
        "gigawatt run",
        "gigawatt runs compare",
        "gigawatt export",
        "gigawatt sites",
        "gigawatt plan",
    ):
        assert f"## `{command}`" in text
    assert "`--force`" in text and "`--all`" in text


def test_mkdocs_builds_strict(tmp_path: Path) -> None:
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    reference = (site / "scenario-reference" / "index.html").read_text()
    assert "power_basis" in reference and "facility" in reference
    assert "to_frame" in (site / "api" / "index.html").read_text()
    assert "gigawatt export" in (site / "cli" / "index.html").read_text()
