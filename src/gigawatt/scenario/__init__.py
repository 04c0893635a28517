"""The scenario language: a typed schema for what a user believes.

A scenario is a YAML file: parties, accelerators (from the catalog, with
overrides), sites with phases and power plans, stage durations, supply limits,
contracts, demand, targets, and a time grid. Quantities are unit strings read
at the boundary; uncertain numbers may be distributions (see
:mod:`gigawatt.distributions`). ``extends: NAME`` starts from another scenario.

:func:`load_scenario` returns a validated :class:`Scenario` or raises
:class:`~gigawatt.errors.ScenarioError` listing every problem with its file,
line, column and field path.

Modules: :mod:`~gigawatt.scenario.sites` (accelerators, power sources, phases, sites,
stages, supply, the factory), :mod:`~gigawatt.scenario.contracts` (parties, contracts,
commitments), :mod:`~gigawatt.scenario.demand` (demand and targets),
:mod:`~gigawatt.scenario.model` (the time grid and :class:`Scenario`),
:mod:`~gigawatt.scenario.checks` (checks across sections) and
:mod:`~gigawatt.scenario.load` (reading, merging and validating).
"""

from gigawatt.scenario.contracts import (
    Commitment,
    Contract,
    ContractKind,
    Covenants,
    Delivery,
    Party,
    Tranche,
)
from gigawatt.scenario.demand import DEMAND_KEYS, Demand, DemandStream, Target
from gigawatt.scenario.load import load_scenario, load_scenario_text
from gigawatt.scenario.model import ResolvedAccelerator, Scenario, TimeGrid, resolve_accelerator
from gigawatt.scenario.sites import (
    POWER_SOURCES,
    STATUS_ORDER,
    Accelerator,
    Factory,
    Location,
    Phase,
    PowerSource,
    PowerSourceKind,
    Site,
    SiteAccelerators,
    Stages,
    Status,
    Supply,
)
from gigawatt.sources import builtin_scenarios

__all__ = [
    "Accelerator",
    "Commitment",
    "Contract",
    "Covenants",
    "Delivery",
    "DEMAND_KEYS",
    "Demand",
    "DemandStream",
    "Factory",
    "Party",
    "Phase",
    "PowerSource",
    "Scenario",
    "Site",
    "SiteAccelerators",
    "Stages",
    "Supply",
    "Target",
    "TimeGrid",
    "POWER_SOURCES",
    "STATUS_ORDER",
    "Status",
    "Location",
    "Tranche",
    "ContractKind",
    "PowerSourceKind",
    "ResolvedAccelerator",
    "resolve_accelerator",
    "builtin_scenarios",
    "load_scenario_text",
    "load_scenario",
]
