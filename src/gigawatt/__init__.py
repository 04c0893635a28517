"""gigawatt: plan, simulate and stress-test gigawatt-scale AI compute buildouts."""

from gigawatt.catalog import Catalog, load_catalog
from gigawatt.compute import Conversion, convert
from gigawatt.distributions import Dist
from gigawatt.errors import GigawattError, Problem, ScenarioError, UnknownScenarioError
from gigawatt.scenario import Scenario, builtin_scenarios, load_scenario

__version__ = "0.1.0"

__all__ = [
    "Catalog",
    "Conversion",
    "Dist",
    "GigawattError",
    "Problem",
    "Scenario",
    "ScenarioError",
    "UnknownScenarioError",
    "builtin_scenarios",
    "convert",
    "load_catalog",
    "load_scenario",
]
