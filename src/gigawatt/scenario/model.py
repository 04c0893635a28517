"""The top-level :class:`Scenario`: every section, its time grid, and the scenario's view
of an accelerator (catalog figures with the scenario's overrides)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from gigawatt._fields import Date, Model
from gigawatt.catalog import AcceleratorEntry, Catalog, Source, load_catalog
from gigawatt.contracted import ContractedCapacity
from gigawatt.distributions import Dist, fixed
from gigawatt.errors import Problem
from gigawatt.financing import ChipPolicy, Deal, FundingPolicy
from gigawatt.observations import Observations
from gigawatt.scenario.contracts import Commitment, Contract, Party
from gigawatt.scenario.demand import Demand, Target
from gigawatt.scenario.sites import Accelerator, Factory, Site, Stages, Supply

__all__ = ["ResolvedAccelerator", "Scenario", "TimeGrid", "resolve_accelerator"]


class TimeGrid(Model):
    """The simulation's calendar: weekly (default), monthly or quarterly steps."""

    start_date: Date = Field(default=fixed(19723.0), alias="start")
    end_date: Date = Field(default=fixed(24105.0), alias="end")
    as_of_date: Date | None = Field(default=None, alias="as_of")
    step: Literal["week", "month", "quarter"] = "week"

    @model_validator(mode="after")
    def _order(self) -> TimeGrid:
        if not (self.start_date.is_fixed and self.end_date.is_fixed):
            raise ValueError("time.start and time.end must be plain dates")
        if self.end_date.mid <= self.start_date.mid:
            raise ValueError("time.end must be after time.start")
        if self.as_of_date is not None and not (
            self.as_of_date.is_fixed and self.start_date.mid <= self.as_of_date.mid <= self.end_date.mid
        ):
            raise ValueError("time.as_of must be a plain date between time.start and time.end")
        return self

    @property
    def as_of_day(self) -> float:
        """The date the scenario's statuses describe (default: time.start)."""
        return float((self.as_of_date or self.start_date).mid)

    @property
    def start_day(self) -> float:
        return float(self.start_date.mid)

    @property
    def end_day(self) -> float:
        return float(self.end_date.mid)


class Scenario(Model):
    """A validated scenario: everything a user believes, with units resolved."""

    name: str
    description: str = ""
    extends: str | None = None
    time: TimeGrid = TimeGrid()
    parties: dict[str, Party] = {}
    accelerators: dict[str, Accelerator] = {}
    sites: dict[str, Site] = Field(min_length=1)
    stages: Stages = Stages()
    #: fitted priors (``gigawatt calibrate --write-priors``): a file, relative to the scenario;
    #: unset or ``default``: the shipped fit; ``catalog``: the catalog's stages alone
    priors: str | None = Field(default=None, examples=["default"])
    supply: dict[str, Supply] = {}
    contracts: dict[str, Contract] = {}
    commitments: dict[str, Commitment] = {}
    #: dated financing deals and per-party funding policies (gigawatt.financing)
    financing: dict[str, Deal] = {}
    funding: dict[str, FundingPolicy] = {}
    chips: ChipPolicy = ChipPolicy()
    demand: Demand = Demand()
    targets: dict[str, Target] = {}
    observations: Observations = Observations()
    contracted: dict[str, ContractedCapacity] = {}
    factory: Factory | None = None
    sources: dict[str, Source] = {}
    source_file: str = Field(default="<string>", exclude=True)
    #: located warnings found while loading (``load_scenario``): inputs whose every source is
    #: dated after ``time.as_of`` (:mod:`gigawatt.scenario.hindsight`); never part of a dump
    _warnings: list[Problem] = PrivateAttr(default_factory=list)

    @property
    def warnings(self) -> list[Problem]:
        """What loading found worth saying but not wrong: one located :class:`Problem` each."""
        return list(self._warnings)

    def accelerator(self, accelerator_id: str) -> ResolvedAccelerator:
        """The scenario's view of an accelerator: catalog figures with its overrides."""
        return resolve_accelerator(accelerator_id, self.accelerators, load_catalog())

    def phase_accelerator(self, site_id: str, index: int) -> str:
        site = self.sites[site_id]
        return site.phases[index].accelerator or site.accelerator


class ResolvedAccelerator(Model):
    """Per-accelerator figures as distributions, catalog plus overrides."""

    id: str
    name: str
    vendor: str
    it_power_w: Dist
    chip_tdp_w: Dist
    bf16_flops: Dist
    price_usd: Dist
    useful_life_weeks: Dist
    available_date: Dist
    h100_equivalents: Dist


def resolve_accelerator(
    accelerator_id: str, overrides: dict[str, Accelerator], catalog: Catalog
) -> ResolvedAccelerator:
    """Merge a scenario's accelerator overrides onto its catalog base."""
    override = overrides.get(accelerator_id, Accelerator())
    base_id = override.base or accelerator_id
    base: AcceleratorEntry = catalog.accelerators[base_id]
    return ResolvedAccelerator(
        id=accelerator_id,
        name=override.name or base.name,
        vendor=override.vendor or base.vendor,
        it_power_w=override.it_power_w or base.it_power_w.dist(),
        chip_tdp_w=override.chip_tdp_w or base.chip_tdp_w.dist(),
        bf16_flops=override.bf16_flops or base.bf16_flops.dist(),
        price_usd=override.price_usd or base.price_usd.dist(),
        useful_life_weeks=override.useful_life_weeks or base.useful_life_weeks.dist(),
        available_date=override.available_date or fixed(base.available),
        h100_equivalents=override.h100_equivalents or base.h100_equivalents.dist(),
    )
