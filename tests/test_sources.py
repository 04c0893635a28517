"""One scenario source: names, files and text, with ``extends`` resolved in one place."""

import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

import gigawatt
from gigawatt import sources
from gigawatt.errors import ScenarioError, UnknownScenarioError


def _stargate_text() -> str:
    return resources.files("gigawatt.scenarios").joinpath("stargate.yaml").read_text(encoding="utf-8")


def test_text_loads_like_the_file(tmp_path):
    from_file = gigawatt.load_scenario("stargate")
    from_text = gigawatt.load_scenario_text(_stargate_text(), file=from_file.source_file)
    assert from_text == from_file


def test_the_contract_one_liner(tmp_path):
    (tmp_path / "s.yaml").write_text("extends: stargate\nname: mine\n", encoding="utf-8")
    code = "import gigawatt; print(gigawatt.load_scenario_text(open('s.yaml').read()).name)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "mine"


def test_relative_extends_is_read_from_base_dir(tmp_path):
    (tmp_path / "base.yaml").write_text(_stargate_text(), encoding="utf-8")
    scenario = gigawatt.load_scenario_text("extends: base.yaml\nname: child\n", base_dir=tmp_path)
    assert scenario.name == "child"
    assert len(scenario.sites) == len(gigawatt.load_scenario("stargate").sites)


def test_without_files_extends_names_only_builtins(tmp_path):
    (tmp_path / "base.yaml").write_text(_stargate_text(), encoding="utf-8")
    with pytest.raises(ScenarioError) as caught:
        gigawatt.load_scenario_text("extends: base.yaml\n", base_dir=tmp_path, file="up.yaml", files=False)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.path) == ("up.yaml", 1, "extends")
    assert "no built-in scenario named 'base.yaml'" in problem.message


def test_errors_in_text_are_located_at_the_given_file():
    with pytest.raises(ScenarioError) as caught:
        gigawatt.load_scenario_text("extends: stargate\nstart: not-a-date\n", file="mine.yaml")
    assert all(p.file == "mine.yaml" for p in caught.value.problems)
    assert any(p.line == 2 for p in caught.value.problems)


def test_extends_loop_is_found(tmp_path):
    (tmp_path / "a.yaml").write_text("extends: b.yaml\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("extends: a.yaml\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="loops back"):
        gigawatt.load_scenario(tmp_path / "a.yaml")


def test_find_names_builtins_and_files(tmp_path):
    assert sources.find("stargate").ref == "stargate"
    path = tmp_path / "x.yaml"
    path.write_text("name: x\n", encoding="utf-8")
    assert sources.find(path).ref == str(path.resolve())
    with pytest.raises(UnknownScenarioError, match="did you mean 'stargate'"):
        sources.find("stargat")


def test_no_module_writes_a_scenario_to_a_temporary_file():
    root = Path(str(resources.files("gigawatt")))
    for name in ("plan", "store", "web", "scenario"):
        module = root / f"{name}.py"  # a module, or a package of them
        for path in [module] if module.is_file() else sorted((root / name).rglob("*.py")):
            text = path.read_text(encoding="utf-8")
            assert "_read_document" not in text, path
            assert "TemporaryDirectory" not in text, path
