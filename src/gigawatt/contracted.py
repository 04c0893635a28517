"""Contracted capacity: compute a party buys from a provider, not built at a site.

OpenAI's compute runs mostly outside the Stargate sites (Azure, AWS, CoreWeave,
Oracle's other regions, Cerebras). A scenario states each such block as a
provider's facility MW by date (``schedule``: each step adds MW, its date
uncertain), so demand can be compared with everything that serves it and the
programme's share of that is a reported quantity, not an accident of what was
modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field, model_validator

from gigawatt._fields import Date, Model, Power, SourceIds, uncertain
from gigawatt.distributions import Dist
from gigawatt.errors import Problem
from gigawatt.scope import Subject

if TYPE_CHECKING:
    from gigawatt import _yaml
    from gigawatt.catalog import Catalog
    from gigawatt.scenario import Scenario

__all__ = ["ContractedCapacity", "Step", "problems", "steps"]


class Step(Model):
    """Facility MW added to the block by a date."""

    on_date: Date = Field(alias="date")
    power_mw: Power = Field(alias="power")
    source: SourceIds = []
    note: str = ""


class ContractedCapacity(Model):
    """A provider's capacity serving a party (facility power, as headline GW figures are)."""

    provider: str
    party: str
    programme: str = "other"
    country: str = Field(default="US", min_length=2, max_length=2)
    region: str = ""
    accelerator: str
    signed_date: Annotated[Dist, uncertain("date")] = Field(alias="signed")
    schedule: list[Step] = Field(min_length=1)
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _order(self) -> ContractedCapacity:
        if not self.signed_date.is_fixed:
            raise ValueError("signed must be a plain date")
        return self

    def subject(self) -> Subject:
        return Subject(country=self.country, region=self.region, party=self.party, programme=self.programme)


def steps(
    contracted: Mapping[str, ContractedCapacity], p: Mapping[str, np.ndarray], draws: int
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Every step of every block: facility MW and date, each (draw, step), and its block's name."""
    mw, days, names = [], [], []
    for name, block in contracted.items():
        for i in range(len(block.schedule)):
            base = f"contracted.{name}.schedule[{i}]"
            mw.append(np.broadcast_to(p[f"{base}.power"], (draws,)))
            days.append(np.broadcast_to(p[f"{base}.date"], (draws,)))
            names.append(name)
    if not names:
        return np.zeros((draws, 0)), np.zeros((draws, 0)), []
    return np.stack(mw, axis=1), np.stack(days, axis=1), names


def problems(scenario: Scenario, doc: _yaml.Document, catalog: Catalog) -> list[Problem]:
    """Contracted blocks naming an unknown party, provider or accelerator."""
    from gigawatt.scenario.checks import _unknown

    out: list[Problem] = []
    accelerators = set(catalog.accelerators) | set(scenario.accelerators)
    parties = set(scenario.parties)
    for name, block in scenario.contracted.items():
        at = ("contracted", name)
        for role in ("party", "provider"):
            who = getattr(block, role)
            if parties and who not in parties:
                out.append(doc.problem((*at, role), _unknown("party", who, parties)))
        if block.accelerator not in accelerators:
            out.append(
                doc.problem((*at, "accelerator"), _unknown("accelerator", block.accelerator, accelerators))
            )
    party = scenario.demand.party
    if party is not None and parties and party not in parties:
        out.append(doc.problem(("demand", "party"), _unknown("party", party, parties)))
    return out
