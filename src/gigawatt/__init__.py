"""gigawatt: plan, simulate and stress-test gigawatt-scale AI compute buildouts.

The names below are imported on first use (PEP 562), so ``import gigawatt`` and the
``gigawatt`` command start at once; ``from gigawatt import load_scenario`` works as usual.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from gigawatt._version import __version__

if TYPE_CHECKING:
    from gigawatt.catalog import Catalog, load_catalog
    from gigawatt.compute import Conversion, convert
    from gigawatt.distributions import Dist
    from gigawatt.errors import GigawattError, Problem, ScenarioError, UnknownScenarioError
    from gigawatt.scenario import Scenario, builtin_scenarios, load_scenario, load_scenario_text

#: Public name → the module that defines it.
_EXPORTS = {
    "Catalog": "gigawatt.catalog",
    "load_catalog": "gigawatt.catalog",
    "Conversion": "gigawatt.compute",
    "convert": "gigawatt.compute",
    "Dist": "gigawatt.distributions",
    "GigawattError": "gigawatt.errors",
    "Problem": "gigawatt.errors",
    "ScenarioError": "gigawatt.errors",
    "UnknownScenarioError": "gigawatt.errors",
    "Scenario": "gigawatt.scenario",
    "builtin_scenarios": "gigawatt.scenario",
    "load_scenario": "gigawatt.scenario",
    "load_scenario_text": "gigawatt.scenario",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'gigawatt' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


__all__ = [
    "Catalog",
    "Conversion",
    "Dist",
    "GigawattError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "__version__",
    "builtin_scenarios",
    "convert",
    "load_catalog",
    "load_scenario",
    "load_scenario_text",
]
