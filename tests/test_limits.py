"""Input limits: every value outside a meaningful range is a located error, never a
traceback, a hang or a silent wrong number (issue 17)."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from gigawatt import _yaml, limits
from gigawatt.cli import app
from gigawatt.errors import ScenarioError
from gigawatt.scenario import load_scenario
from gigawatt.web.app import create_app

runner = CliRunner()

#: A "billion laughs" document: 342 bytes that expand to 9**9 (387 million) strings.
ALIAS_BOMB = (
    "\n".join(
        ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
        + [f"{c}: &{c} [{','.join([f'*{p}'] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)]
    )
    + "\n"
)


def test_yaml_alias_bomb_is_refused_in_milliseconds(write):
    path = write(ALIAS_BOMB, "bomb.yaml")
    start = time.perf_counter()
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert time.perf_counter() - start < 1.0
    [problem] = info.value.problems
    assert problem.file == str(path) and problem.line > 1
    assert f"more than {limits.MAX_YAML_NODES:,} values" in problem.message
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{path}:" in result.stderr


def test_yaml_alias_count_and_self_reference_are_limited():
    many = "a: &a 1\nb: [" + ", ".join(["*a"] * (limits.MAX_YAML_ALIASES + 1)) + "]\n"
    with pytest.raises(ScenarioError, match="aliases"):
        _yaml.load(many, "many.yaml")
    with pytest.raises(ScenarioError, match="contains itself"):
        _yaml.load("a: &a [*a]\n", "self.yaml")
    assert _yaml.load("a: &a [1, 2]\nb: *a\n", "ok.yaml").data == {"a": [1, 2], "b": [1, 2]}


def test_api_refuses_yaml_alias_bomb(tmp_path):
    client = TestClient(
        create_app(tmp_path / "store"), raise_server_exceptions=False, base_url="http://127.0.0.1"
    )
    client.post("/api/validate", json={"text": "name: warm\n"})  # imports done before timing
    start = time.perf_counter()
    body = client.post("/api/validate", json={"text": ALIAS_BOMB}).json()
    assert time.perf_counter() - start < 1.0
    assert not body["ok"] and "values" in body["problems"][0]["message"]
    assert client.post("/api/runs", json={"text": ALIAS_BOMB, "draws": 10}).status_code == 422


@pytest.mark.parametrize("date", ["2025-02-30", "2026-13-01"])
def test_impossible_unquoted_date_is_located(write, small_text, date):
    text = small_text.replace("start: 2025-03-01", f"start: {date}")
    path = write(text)
    line = text[: text.index(date)].count("\n") + 1
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert result.stderr.startswith(f"{path}:{line}:") and "impossible date" in result.stderr
    run = runner.invoke(app, ["run", str(path), "--draws", "10", "--store", str(path.parent / "s")])
    assert run.exit_code == 2 and f"{path}:{line}:" in run.stderr


def test_api_impossible_date_is_422_not_500(tmp_path, small_text):
    client = TestClient(
        create_app(tmp_path / "store"), raise_server_exceptions=False, base_url="http://127.0.0.1"
    )
    text = small_text.replace("start: 2025-03-01", "start: 2025-02-30")
    body = client.post("/api/validate", json={"text": text}).json()
    assert not body["ok"] and "impossible date" in body["problems"][0]["message"]
    response = client.post("/api/runs", json={"text": text, "draws": 10})
    assert response.status_code == 422 and "impossible date" in response.text


def _supply(growth: str) -> str:
    return (
        "supply:\n  chips:\n    resource: accelerators\n    accelerators: [h100]\n"
        f"    amount: 100000\n    per: year\n    growth_per_year: {growth}\n"
    )


@pytest.mark.parametrize(
    ("case", "old", "new", "path", "needle"),
    [
        ("growth_per_year -5 (-500%/yr)", None, _supply("-5"), "supply.chips.growth_per_year", "-5"),
        ("growth_per_year -100%", None, _supply("-1"), "supply.chips.growth_per_year", "-1"),
        (
            "interest rate 1e308",
            'term: "5 years"',
            'term: "5 years"\n    interest_rate: 1e308',
            "contracts.compute.interest_rate",
            "1e308",
        ),
        (
            "interest rate 100%/yr",
            'term: "5 years"',
            'term: "5 years"\n    interest_rate: 100%',
            "contracts.compute.interest_rate",
            "100%",
        ),
        ("term 1e9 years", 'term: "5 years"', 'term: "1e9 years"', "contracts.compute.term", "1e9 years"),
        (
            "capacity 1e300 GW",
            'capacity: "500 MW"',
            'capacity: "1e300 GW"',
            "sites.alpha.power_plan[0].capacity",
            "1e300 GW",
        ),
    ],
)
def test_absurd_numbers_are_located_errors(write, small_text, case, old, new, path, needle):
    text = small_text.replace(old, new, 1) if old else small_text + new
    assert text != small_text, case
    file = write(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    [problem] = info.value.problems
    assert problem.path == path, case
    assert problem.line == text[: text.rindex(needle)].count("\n") + 1, case
    assert "outside the range" in problem.message, case
    result = runner.invoke(app, ["validate", str(file)])
    assert result.exit_code == 2 and result.stderr.startswith(f"{file}:{problem.line}:")


def test_ranges_live_in_one_place():
    with pytest.raises(ValueError, match="100 years"):
        limits.check("duration", 101 * 52.1775)
    limits.check("duration", 99 * 52.1775)
    limits.check("growth", -0.5)
    with pytest.raises(ValueError, match="-100%/yr"):
        limits.check("growth", -1.0)
