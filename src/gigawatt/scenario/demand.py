"""Demand for compute (training and inference streams, as facility power or compute)
and capacity targets."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from gigawatt._fields import Compute, Date, Growth, Model, Power, SourceIds, unit
from gigawatt.distributions import Dist
from gigawatt.scenario.sites import Status
from gigawatt.scope import Scope

__all__ = ["DEMAND_KEYS", "Demand", "DemandStream", "Target"]


class DemandStream(Model):
    """Demand for compute, growing at an uncertain yearly rate, stated one of two ways:
    as facility power (``level``, ``ceiling``: what the compute needs, e.g. "0.9 GW") or as
    BF16 dense compute (``compute``, ``compute_ceiling``: e.g. "1.5 EFLOP/s"). A stream
    states one kind, its ceiling the same kind as its level; a scenario's streams too (they
    add up): :func:`_demand_problems` checks both where a file is read.

    With a ceiling the growth is logistic (Verhulst, 1838): about ``growth_per_year``
    while demand is small against the ceiling, slowing to zero as it approaches it;
    without one it compounds for ever."""

    start_date: Date = Field(alias="start")
    level_mw: Power | None = Field(default=None, alias="level")
    level_flops: Compute | None = Field(default=None, alias="compute")
    growth_per_year: Growth
    ceiling_mw: Power | None = Field(default=None, alias="ceiling")
    ceiling_flops: Compute | None = Field(default=None, alias="compute_ceiling")
    source: SourceIds = []
    note: str = ""

    @field_validator("level_mw", "ceiling_mw", mode="wrap")
    @classmethod
    def _power_hint(cls, value: Any, handler: Any) -> Any:
        try:
            return handler(value)
        except ValidationError as exc:
            message = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            if "is flops, not power" not in message:
                raise
            raise ValueError(
                f"{message}; demand stated as compute goes under `compute` / `compute_ceiling`"
            ) from None

    @model_validator(mode="after")
    def _check(self) -> DemandStream:
        if self.level_mw is None and self.level_flops is None:
            raise ValueError(
                "a demand stream needs `level` (facility power) or `compute` (BF16 dense FLOP/s)"
            )
        return self

    @property
    def stated_in(self) -> Literal["mw", "flops"]:
        """What the stream is stated in: facility MW or BF16 dense FLOP/s."""
        return "flops" if self.level_flops is not None else "mw"

    @property
    def level(self) -> Dist:
        """The level in the stream's own unit (:attr:`stated_in`)."""
        level = self.level_flops if self.stated_in == "flops" else self.level_mw
        assert level is not None  # _check
        return level

    @property
    def ceiling(self) -> Dist | None:
        """The ceiling in the stream's own unit (:attr:`stated_in`), if any."""
        return self.ceiling_flops if self.stated_in == "flops" else self.ceiling_mw


#: The YAML keys of a stream's level and ceiling, by the unit it is stated in.
DEMAND_KEYS: dict[str, tuple[str, str]] = {
    "mw": ("level", "ceiling"),
    "flops": ("compute", "compute_ceiling"),
}


class Demand(Model):
    training: DemandStream | None = None
    inference: DemandStream | None = None
    model_active_params: Annotated[float, unit("count", 1.0)] = 1e11
    utilisation: Annotated[float, unit("fraction", 0.0)] = 0.4
    #: average facility load as a share of capacity online, for energy (an assumption; state yours)
    load_factor: Annotated[float, unit("fraction", 0.0)] = 0.8
    #: whose demand it is: compared with that party's sites and its contracted capacity
    #: (default: every site and every contracted block)
    party: str | None = None

    @property
    def streams(self) -> dict[str, DemandStream]:
        """The streams stated, by name (training, inference)."""
        return {k: s for k in ("training", "inference") if (s := getattr(self, k)) is not None}

    @property
    def stated_in(self) -> Literal["mw", "flops"]:
        """What demand is stated in (every stream alike): facility MW or BF16 dense FLOP/s."""
        return next((s.stated_in for s in self.streams.values()), "mw")


class Target(Model):
    """A capacity goal: so many GW (facility) by a date, on a status basis ("secured":
    a programme's word for committed), over a scope (default: everything)."""

    power_mw: Annotated[float, unit("power", 0.0)] = Field(alias="power")
    by_date: Annotated[float, unit("date")] = Field(alias="by")
    basis: Status | Literal["secured"] = "online"
    sites: list[str] | None = None
    scope: Scope | None = None
    source: SourceIds = []
    note: str = ""
