"""The complete scenarios the README and docs show (a YAML block that `extends:` a built-in one,
with nothing elided) load as written: an example a reader copies must validate."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import gigawatt

ROOT = Path(__file__).parents[1]
BLOCK = re.compile(r"```yaml\n(.*?)```", re.S)


def _complete_scenarios() -> list[tuple[str, str]]:
    found = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for i, text in enumerate(BLOCK.findall(path.read_text(encoding="utf-8"))):
            if re.search(r"^extends: ", text, re.M) and "..." not in text:
                found.append((f"{path.name}#{i}", text))
    return found


EXAMPLES = _complete_scenarios()


def test_the_readme_shows_a_complete_scenario() -> None:
    assert any(name.startswith("README.md") for name, _ in EXAMPLES)


@pytest.mark.parametrize(("name", "text"), EXAMPLES, ids=[n for n, _ in EXAMPLES])
def test_a_shown_scenario_loads(name: str, text: str) -> None:
    scenario = gigawatt.load_scenario_text(text, name=name)
    assert scenario.sites
