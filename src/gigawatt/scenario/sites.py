"""The physical buildout a scenario states: accelerators (catalog overrides), power
sources, phases and their statuses, sites, stage durations, shared supply limits and the
programme's build rate."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from gigawatt import distributions
from gigawatt._fields import (
    Date,
    Duration,
    Fraction,
    Growth,
    Model,
    Money,
    Number,
    Power,
    SourceIds,
    read_leaf,
    uncertain,
    unit,
)
from gigawatt.distributions import Dist, fixed

__all__ = [
    "POWER_SOURCES",
    "STATUS_ORDER",
    "Accelerator",
    "Factory",
    "Location",
    "Phase",
    "PowerSource",
    "PowerSourceKind",
    "Site",
    "SiteAccelerators",
    "Stages",
    "Status",
    "Supply",
]

Status = Literal["announced", "committed", "under_construction", "online"]
#: Order of a phase's status; a target's basis counts phases at or beyond it.
STATUS_ORDER: dict[str, int] = {
    "announced": 0,
    "committed": 1,
    "under_construction": 2,
    "online": 3,
}


class Accelerator(Model):
    """An accelerator as the scenario believes it: catalog figures as distributions.

    ``base`` names the catalog entry it starts from (default: its own id); any
    field given here replaces the catalog's.
    """

    base: str | None = None
    name: str | None = None
    vendor: str | None = None
    it_power_w: Annotated[Dist, uncertain("unit_power", 1.0)] | None = Field(default=None, alias="it_power")
    chip_tdp_w: Annotated[Dist, uncertain("unit_power", 1.0)] | None = Field(default=None, alias="chip_tdp")
    bf16_flops: Annotated[Dist, uncertain("flops", 0.0)] | None = Field(default=None, alias="bf16_dense")
    price_usd: Money | None = Field(default=None, alias="price")
    useful_life_weeks: Duration | None = Field(default=None, alias="useful_life")
    available_date: Date | None = Field(default=None, alias="available")
    #: H100s this accelerator is worth in dense BF16 compute
    h100_equivalents: Annotated[Dist, uncertain("number", 0.0)] | None = None


#: The kinds of power source a site may have (the planner builds the same kinds).
PowerSourceKind = Literal["grid", "gas", "solar_battery"]
POWER_SOURCES: tuple[str, ...] = get_args(PowerSourceKind)


class PowerSource(Model):
    """One source feeding a site: grid interconnection, on-site gas, or solar + battery."""

    kind: PowerSourceKind
    capacity_mw: Power = Field(alias="capacity")
    available_date: Date | None = Field(default=None, alias="available")
    ordered_date: Date | None = Field(default=None, alias="ordered")
    technology: Literal["large_frame", "aeroderivative", "recip_engine"] | None = None
    firm_fraction: Fraction = Field(default=fixed(1.0))
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _when(self) -> PowerSource:
        if self.kind == "gas" and self.technology is None:
            raise ValueError("gas power needs a technology: large_frame, aeroderivative or recip_engine")
        if self.kind != "gas" and self.technology is not None:
            raise ValueError(f"technology applies to gas power, not {self.kind}")
        if self.available_date is None and self.ordered_date is None:
            raise ValueError(
                "give `available` (a date), or `ordered` (the catalog's lead times are added: turbines "
                "or engines for gas, interconnection and large transformers for grid, construction for "
                "solar_battery)"
            )
        if self.firm_fraction.high > 1:
            raise ValueError("firm_fraction must be between 0 and 1")
        return self


class Phase(Model):
    """A block of power built together; it moves through the stages to online."""

    name: str
    power_mw: Power = Field(alias="power")
    status: Status = "announced"
    start_date: Date | None = Field(default=None, alias="start")
    online_date: Date | None = Field(default=None, alias="online")
    #: another forecaster's date (e.g. Epoch's projection), kept for comparison; never simulated
    projected_online_date: Date | None = Field(default=None, alias="projected_online")
    accelerator: str | None = None
    #: the chance the phase is built at all (an announced option or ambition with no customer or
    #: start): in a draw without it, it never comes online and takes no power, chips or money
    probability: float = Field(default=1.0, gt=0, le=1)
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Phase:
        if self.power_mw.low <= 0:
            raise ValueError("power must be > 0")
        if self.start_date and self.online_date and self.start_date.low > self.online_date.high:
            raise ValueError("dates out of order: start is after online")
        if self.status in ("under_construction", "online") and self.start_date is None:
            raise ValueError(f"a phase {self.status.replace('_', ' ')} needs a start date")
        if self.status == "online" and self.online_date is None:
            raise ValueError("an online phase needs its online date")
        if self.probability < 1 and self.status != "announced":
            raise ValueError("probability (of being built at all) applies to announced phases only")
        return self


class Location(Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class SiteAccelerators(Model):
    """A site's own accelerator density where its count is published (e.g. ~400-450k GPUs on
    1.2 GW): facility watts per accelerator of the site's ``accelerator``. The engine and the
    plan count that site's phases of that accelerator with it, in place of the catalog's
    conversion (IT watts per accelerator × PUE), so a site never shows more chips than its
    sources report. A phase naming another accelerator keeps the catalog's conversion."""

    facility_power_w: Annotated[Dist, uncertain("unit_power", 1.0)] = Field(alias="facility_power")
    source: SourceIds = Field(min_length=1)
    note: str = ""


class Site(Model):
    """A campus: where, who, how it is powered and cooled, and its phases."""

    name: str
    programme: str = "other"
    announced_date: Annotated[float, unit("date")] | None = Field(default=None, alias="announced")
    country: str = Field(min_length=2, max_length=2)
    region: str
    location: Location | None = None
    operator: str | None = None
    developer: str | None = None
    tenant: str | None = None
    owner: str | None = None
    cooling: Literal["liquid", "air"] = "liquid"
    power_basis: Literal["facility", "it"]
    basis_note: str = ""
    accelerator: str
    #: facility power per accelerator from the site's published count (replaces the catalog's
    #: conversion for the site's phases of ``accelerator``)
    per_accelerator: SiteAccelerators | None = None
    priority: int = 0
    #: who builds, for class-specific priors (``gigawatt.priors.DEVELOPER_CLASSES``)
    developer_class: Literal["hyperscaler", "developer", "speed_first"] | None = None
    #: the build waits on new power plants (e.g. on-site gas): the backtest scores such campuses apart
    power_limited: bool = False
    #: the first building reuses an existing shell (a retrofit): its build span is the fitted
    #: roof-to-operational span, not shell start to operational (``gigawatt.cadence``)
    existing_shell: bool = False
    power_plan: list[PowerSource] = Field(min_length=1)
    phases: list[Phase] = Field(min_length=1)
    source: SourceIds = []
    note: str = ""

    def facility_w_per_accelerator(self, accelerator: str) -> Dist | None:
        """The site's own facility W per accelerator for its phases of ``accelerator`` (from its
        published count), or None where the catalog's conversion holds."""
        if self.per_accelerator is None or accelerator != self.accelerator:
            return None
        return self.per_accelerator.facility_power_w


class Stages(Model):
    """Stage durations for every phase (the catalog's sourced defaults if not given)."""

    permitting_weeks: Duration | None = Field(default=None, alias="permitting")
    site_and_shell_weeks: Duration | None = Field(default=None, alias="site_and_shell")
    it_fit_out_weeks: Duration | None = Field(default=None, alias="it_fit_out")
    commissioning_weeks: Duration | None = Field(default=None, alias="commissioning")


class Supply(Model):
    """A shared, limited resource per period (chips, turbines, transformers, build rate)."""

    resource: Literal["accelerators", "gas_turbines", "transformers", "construction"]
    accelerators: list[str] = []
    #: accelerators per period for ``accelerators``; facility MW per period otherwise
    amount: Number
    per: Literal["week", "month", "quarter", "year"] = "quarter"
    start_date: Date | None = Field(default=None, alias="start")
    growth_per_year: Growth = Field(default=fixed(0.0))
    share: Fraction = Field(default=fixed(1.0))
    #: the industry's output per period of this family (accelerators only): growth stops there
    ceiling: Number | None = None
    #: the supply (accelerators) that takes this one's capacity as it ramps (gigawatt.supply)
    successor: str | None = None
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="before")
    @classmethod
    def _amount_units(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        kind = "count" if data.get("resource") == "accelerators" else "power"
        for key in ("amount", "ceiling"):
            if key in data and not isinstance(data[key], Dist):
                try:
                    value = distributions.parse(data[key], lambda v: read_leaf(v, kind, 0.0))
                except ValueError as exc:
                    raise PydanticCustomError(key, key + ": {msg}", {"msg": str(exc)}) from None
                data = {**data, key: value}
        return data

    @model_validator(mode="after")
    def _check(self) -> Supply:
        if self.amount.low < 0:
            raise ValueError("amount must be >= 0")
        if self.resource == "accelerators" and not self.accelerators:
            raise ValueError("an accelerator supply names the accelerators it covers")
        if self.share.high > 1:
            raise ValueError("share must be between 0 and 1")
        if self.resource != "accelerators" and (self.ceiling is not None or self.successor is not None):
            raise ValueError("ceiling and successor apply to an accelerator supply")
        return self


class Factory(Model):
    """The programme-level build rate ("1 GW a week"), improving with experience."""

    initial_rate_mw_per_week: Annotated[Dist, uncertain("build_rate", 0.0)] = Field(alias="initial_rate")
    learning_rate: Fraction = Field(default=fixed(0.15))
    reference_mw: Annotated[float, unit("power", 1.0)] = Field(default=1000.0, alias="reference")
    cap_mw_per_week: Annotated[Dist, uncertain("build_rate", 0.0)] | None = Field(default=None, alias="cap")
