"""Lead times of a site's power: from the date it was ordered to the date it can carry load.

A power source dated by ``available`` is used as stated. One dated by ``ordered``
waits for the catalog's lead times (``data/costs.yaml`` ``lead_times``) of what it
needs, the latest of them when several are built in parallel:

* on-site gas: its technology (large-frame turbines, aeroderivatives, engines);
* a new grid connection: the utility's interconnection work and the large power
  transformers of its substation (Wood Mackenzie: transformers 120-210 weeks;
  CBRE/JLL/LBNL: interconnection 1-5 years), whichever is later;
* solar plus batteries: the plant's construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from gigawatt.catalog import Catalog
from gigawatt.distributions import Dist

__all__ = ["NEEDS", "lead_parameters", "lead_weeks", "needs"]

#: What a source ordered on a date waits for: (parameter name, catalog lead_times key), per
#: gas technology or source kind.
NEEDS: dict[str, tuple[tuple[str, str], ...]] = {
    "large_frame": (("large_frame", "gas_turbine_large_frame"),),
    "aeroderivative": (("aeroderivative", "gas_turbine_aeroderivative"),),
    "recip_engine": (("recip_engine", "recip_engine"),),
    "grid": (
        ("grid_interconnection", "grid_interconnection"),
        ("transformer_large_power", "transformer_large_power"),
    ),
    "solar_battery": (("solar_battery_build", "solar_battery_build"),),
}


def needs(kind: str, technology: str | None) -> tuple[tuple[str, str], ...]:
    """The lead times a source of ``kind`` (and gas ``technology``) waits for once ordered."""
    return NEEDS[technology if kind == "gas" and technology else kind]


def lead_parameters(catalog: Catalog) -> dict[str, Dist]:
    """Every lead time as a sampled parameter, ``lead_times.NAME`` (weeks)."""
    return {
        f"lead_times.{name}": catalog.cost("lead_times", key).dist()
        for pairs in NEEDS.values()
        for name, key in pairs
    }


def lead_weeks(kind: str, technology: str | None, values: Mapping[str, Any]) -> Any:
    """Weeks from order to available: the latest of what the source needs, from
    ``values`` (``lead_times.NAME`` → weeks, arrays or numbers)."""
    weeks = [np.asarray(values[f"lead_times.{name}"]) for name, _ in needs(kind, technology)]
    return np.maximum.reduce(weeks)
