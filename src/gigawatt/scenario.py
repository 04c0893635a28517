"""The scenario language: a typed schema for what a user believes.

A scenario is a YAML file: parties, accelerators (from the catalog, with
overrides), sites with phases and power plans, stage durations, supply limits,
contracts, demand, targets, and a time grid. Quantities are unit strings read
at the boundary; uncertain numbers may be distributions (see
:mod:`gigawatt.distributions`). ``extends: NAME`` starts from another scenario.

:func:`load_scenario` returns a validated :class:`Scenario` or raises
:class:`~gigawatt.errors.ScenarioError` listing every problem with its file,
line, column and field path.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from gigawatt import _yaml, contracted, distributions, observations, sources
from gigawatt._fields import Model, SourceIds, read_leaf, uncertain, unit
from gigawatt.catalog import AcceleratorEntry, Catalog, Source, load_catalog
from gigawatt.contracted import ContractedCapacity
from gigawatt.distributions import Dist, fixed
from gigawatt.errors import Problem, ScenarioError
from gigawatt.financing import ChipPolicy, Deal, FundingPolicy, financing_problems
from gigawatt.observations import Observations
from gigawatt.scope import Scope
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
    "Stages",
    "Supply",
    "Target",
    "TimeGrid",
    "POWER_SOURCES",
    "builtin_scenarios",
    "load_scenario_text",
    "load_scenario",
]

Power = Annotated[Dist, uncertain("power", 0.0)]
Compute = Annotated[Dist, uncertain("flops", 0.0)]
Money = Annotated[Dist, uncertain("money", 0.0)]
Duration = Annotated[Dist, uncertain("duration", 0.0)]
Date = Annotated[Dist, uncertain("date")]
Fraction = Annotated[Dist, uncertain("fraction", 0.0)]
Number = Annotated[Dist, uncertain("number")]
#: A yearly growth rate (0.3 = +30%/yr), above -100%/yr (see gigawatt.limits).
Growth = Annotated[Dist, uncertain("number", None, "growth")]
#: A yearly interest rate (0.05 = 5%/yr), under 100%/yr (see gigawatt.limits).
Rate = Annotated[Dist, uncertain("fraction", 0.0, "rate")]
Status = Literal["announced", "committed", "under_construction", "online"]
#: Order of a phase's status; a target's basis counts phases at or beyond it.
STATUS_ORDER: dict[str, int] = {
    "announced": 0,
    "committed": 1,
    "under_construction": 2,
    "online": 3,
}


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


class Party(Model):
    """An organisation: a model maker, cloud, chip maker, developer, utility, lender."""

    name: str
    kind: Literal[
        "ai_lab",
        "cloud",
        "chipmaker",
        "developer",
        "energy",
        "investor",
        "lender",
        "utility",
        "government",
        "other",
    ] = "other"
    country: str | None = None
    #: cash on hand at the start of the finance grid, and an undrawn credit line (stress tests)
    cash_usd: Money | None = Field(default=None, alias="cash")
    credit_usd: Money | None = Field(default=None, alias="credit")
    #: revenue from outside the system (customers), per year from ``revenue_start``, growing yearly
    revenue_usd_per_year: Money | None = Field(default=None, alias="revenue_per_year")
    revenue_growth_per_year: Growth = Field(default=fixed(0.0), alias="revenue_growth")
    revenue_start_date: Date | None = Field(default=None, alias="revenue_start")
    revenue_growth_until_date: Date | None = Field(default=None, alias="revenue_growth_until")
    #: share of that revenue left after the party's other (outside) costs; the rest goes to the world
    operating_margin: Fraction = Field(default=fixed(1.0))
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _revenue(self) -> Party:
        if self.revenue_usd_per_year is not None and self.revenue_start_date is None:
            raise ValueError("revenue_per_year needs revenue_start (a date)")
        return self


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
        return self


class Location(Model):
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


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


class Tranche(Model):
    """A payment (or a block of warrant shares) released by milestones: GW deployed, a date,
    a share-price hurdle; it fires when all its milestones are met. ``probability`` < 1
    means it may be withheld (a Bernoulli draw per Monte Carlo draw)."""

    amount_usd: Money | None = Field(default=None, alias="amount")
    shares: Annotated[Dist, uncertain("count", 0.0)] | None = None
    when_gw_deployed: Annotated[float, unit("power", 0.0)] | None = Field(default=None, alias="gw_deployed")
    on_date: Date | None = Field(default=None, alias="date")
    share_price_usd: Money | None = Field(default=None, alias="share_price_above")
    probability: Fraction = Field(default=fixed(1.0))

    @model_validator(mode="after")
    def _trigger(self) -> Tranche:
        if self.when_gw_deployed is None and self.on_date is None:
            raise ValueError("a tranche needs a trigger: gw_deployed or date")
        if self.probability.high > 1:
            raise ValueError("probability must be between 0 and 1")
        return self


class Delivery(Model):
    """A contracted delivery of capacity at a date, for deals without named sites."""

    on_date: Date = Field(alias="date")
    power_mw: Power = Field(alias="power")


class Covenants(Model):
    """Loan covenants, tested at each period's end from ``test_from`` while a balance is open,
    on the borrower's (the payee's) money: ``min_dscr`` — trailing-year operating cash flow over
    this loan's debt service; ``max_leverage`` — balance over trailing-year operating cash flow;
    ``min_cash`` — the borrower's cash position. A breach triggers ``on_breach``: ``accelerate``
    (the balance falls due next period) or ``sweep`` (from next period, ``sweep_share`` of the
    operating cash flow left after scheduled service prepays the loan). See docs/finance.md."""

    min_dscr: Annotated[Dist, uncertain("number", 0.0)] | None = None
    max_leverage: Annotated[Dist, uncertain("number", 0.0)] | None = None
    min_cash_usd: Money | None = Field(default=None, alias="min_cash")
    test_from_date: Date | None = Field(default=None, alias="test_from")
    on_breach: Literal["accelerate", "sweep"] = "accelerate"
    sweep_share: Fraction = Field(default=fixed(1.0))
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _some_test(self) -> Covenants:
        if self.min_dscr is None and self.max_leverage is None and self.min_cash_usd is None:
            raise ValueError("covenants need at least one of min_dscr, max_leverage, min_cash")
        return self

    @field_validator("sweep_share")
    @classmethod
    def _share(cls, value: Dist) -> Dist:
        if value.high > 1:
            raise ValueError("sweep_share must be between 0 and 1")
        return value


class Commitment(Model):
    """A programme's pledge: total capex ``capex`` spent by ``by`` on the sites of ``programme``
    (or ``sites``; all sites if neither). Simulated capex is each phase's facility MW times the
    catalog's all-in capex per facility GW: construction as built, IT equipment at delivery
    (``gigawatt.finance.chips``); ``counts`` picks what the pledge covers: all, construction or it."""

    capex_usd: Money = Field(alias="capex")
    by_date: Date = Field(alias="by")
    counts: Literal["all", "construction", "it"] = "all"
    programme: str | None = None
    sites: list[str] = []
    source: SourceIds = []
    note: str = ""


ContractKind = Literal["purchase", "lease", "compute", "investment", "warrant", "power_purchase", "loan"]
#: Fields each kind needs (one of each tuple), checked with a message naming the kind.
_CONTRACT_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "purchase": (("value_usd", "price_usd_per_mw"),),
    "lease": (("price_usd_per_mw_month", "price_usd_per_accelerator_hour"), ("term_weeks",)),
    "compute": (("value_usd",), ("term_weeks",)),
    "investment": (("value_usd", "tranches"),),
    "warrant": (("tranches",), ("share_price_usd",)),
    "power_purchase": (("price_usd_per_mwh",), ("start_date",), ("term_weeks",)),
    "loan": (("value_usd",), ("start_date",), ("term_weeks",), ("interest_rate_per_year",)),
}


class Contract(Model):
    """An agreement that moves money between two parties; see docs/finance in README.

    ``payer`` pays ``payee`` (for a warrant, ``payer`` is the issuer of the shares and
    ``payee`` the holder, who pays the strike). Capacity-driven contracts follow the
    phases of ``sites`` (all sites if empty), optionally only those with one of
    ``accelerators``, or the contract's own delivery ``schedule``.
    """

    kind: ContractKind
    payer: str
    payee: str
    value_usd: Money | None = Field(default=None, alias="value")
    signed_date: Date | None = Field(default=None, alias="signed")
    start_date: Date | None = Field(default=None, alias="start")
    term_weeks: Duration | None = Field(default=None, alias="term")
    sites: list[str] = []
    accelerators: list[str] = []
    schedule: list[Delivery] = []
    capacity_mw: Power | None = Field(default=None, alias="capacity")
    tranches: list[Tranche] = []
    conditional: bool = False
    payment_terms_weeks: Duration = Field(default=fixed(0.0), alias="payment_terms")
    price_usd_per_mw: Annotated[Dist, uncertain("money_per_power_it", 0.0)] | None = Field(
        default=None, alias="price_per_mw"
    )
    #: lease price per MW of facility power per month (written like "$140k/MW")
    price_usd_per_mw_month: Annotated[Dist, uncertain("money_per_power_it", 0.0)] | None = Field(
        default=None, alias="price_per_mw_month"
    )
    price_usd_per_accelerator_hour: Money | None = Field(default=None, alias="price_per_accelerator_hour")
    escalator_per_year: Fraction = Field(default=fixed(0.0), alias="escalator")
    #: lease options: renewals (each ``renewal_term``, taken with ``renewal_probability`` while the
    #: earlier ones were), and a residual value guarantee on ``asset_cost`` (gigawatt.finance.contracts)
    renewals: int = Field(default=0, ge=0, le=10)
    renewal_term_weeks: Duration | None = Field(default=None, alias="renewal_term")
    renewal_probability: Fraction = Field(default=fixed(0.5))
    residual_value_guarantee_usd: Money | None = Field(default=None, alias="residual_value_guarantee")
    residual_value_share: Fraction = Field(default=fixed(0.0), alias="residual_value")
    asset_cost_usd: Money | None = Field(default=None, alias="asset_cost")
    price_usd_per_mwh: Annotated[Dist, uncertain("money_per_energy", 0.0)] | None = Field(
        default=None, alias="price_per_mwh"
    )
    take_or_pay_fraction: Fraction = Field(default=fixed(0.0), alias="take_or_pay")
    #: compute: the share of the contract that follows the payer's revenue against the growth
    #: it was sized for (``reference_growth``): the rest is take-or-pay (gigawatt.finance.contracts)
    demand_share: Fraction = Field(default=fixed(0.0))
    reference_growth_per_year: Number | None = Field(default=None, alias="reference_growth")
    #: compute: share of the value paid at signing, drawn down as delivered
    prepaid_fraction: Fraction = Field(default=fixed(0.0), alias="prepaid")
    load_factor: Fraction = Field(default=fixed(0.8))
    #: a PPA from one plant (e.g. solar): billed on its output, nameplate MW × capacity factor
    plant_capacity_mw: Power | None = Field(default=None, alias="plant_capacity")
    capacity_factor: Fraction | None = None
    valuation_usd: Money | None = Field(default=None, alias="valuation")
    strike_usd: Money = Field(default=fixed(0.0), alias="strike")
    share_price_usd: Money | None = Field(default=None, alias="share_price")
    share_price_growth_per_year: Growth = Field(default=fixed(0.0), alias="share_price_growth")
    interest_rate_per_year: Rate | None = Field(default=None, alias="interest_rate")
    amortisation: Literal["linear", "bullet"] = "linear"
    covenants: Covenants | None = None
    capital: bool = True
    #: a purchase covering sites is paid at chip delivery (default), as built (evenly from each
    #: phase's start to online: progress payments) or at online
    paid: Literal["delivery", "as_built", "online"] = "delivery"
    on_shortfall: Literal["defer", "default"] = "defer"
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _check(self) -> Contract:
        if self.payer == self.payee:
            raise ValueError("payer and payee must differ")
        if self.kind == "warrant" and any(t.shares is None for t in self.tranches):
            raise ValueError("each warrant tranche needs shares")
        if self.kind in ("investment", "loan") and any(t.amount_usd is None for t in self.tranches):
            raise ValueError(f"each {self.kind} tranche needs an amount")
        if self.take_or_pay_fraction.high > 1 or self.load_factor.high > 1:
            raise ValueError("take_or_pay and load_factor must be between 0 and 1")
        if self.schedule and self.sites:
            raise ValueError("give sites or a schedule, not both")
        linked = self.demand_share.high > 0 or self.prepaid_fraction.high > 0
        if linked and self.kind != "compute":
            raise ValueError(f"demand_share and prepaid apply to compute contracts, not to a {self.kind}")
        if self.demand_share.high > 0 and self.reference_growth_per_year is None:
            raise ValueError(
                "demand_share needs reference_growth: the payer's revenue growth it was sized for"
            )
        if self.demand_share.high > 1 or self.prepaid_fraction.high > 1:
            raise ValueError("demand_share and prepaid must be between 0 and 1")
        rvg, cost = self.residual_value_guarantee_usd, self.asset_cost_usd
        if (rvg is not None or self.renewals) and self.kind != "lease":
            raise ValueError(f"renewals and residual_value_guarantee apply to leases, not to a {self.kind}")
        if rvg is not None and cost is None:
            raise ValueError("a residual value guarantee needs the asset's cost (asset_cost)")
        if rvg is not None and cost is not None and rvg.high > cost.low:
            raise ValueError(
                f"residual_value_guarantee (up to ${rvg.high / 1e9:,.3g}B) exceeds the asset's cost "
                f"(asset_cost, from ${cost.low / 1e9:,.3g}B)"
            )
        if self.renewals and self.renewal_term_weeks is None:
            raise ValueError("renewals need a renewal_term")
        if self.renewal_probability.high > 1 or self.residual_value_share.high > 1:
            raise ValueError("renewal_probability and residual_value must be between 0 and 1")
        if (self.plant_capacity_mw is None) != (self.capacity_factor is None):
            raise ValueError("a plant's PPA needs both plant_capacity and capacity_factor")
        if self.plant_capacity_mw is not None and self.kind != "power_purchase":
            raise ValueError(f"plant_capacity applies to power_purchase, not to a {self.kind} contract")
        if self.capacity_factor is not None and self.capacity_factor.high > 1:
            raise ValueError("capacity_factor must be between 0 and 1")
        if self.covenants is not None and self.kind != "loan":
            raise ValueError(f"covenants apply to loans, not to a {self.kind} contract")
        return self

    def missing(self) -> list[str]:
        """The fields this kind of contract needs but lacks, as YAML keys ("a or b")."""
        fields = type(self).model_fields
        return [
            " or ".join(str(fields[f].alias or f) for f in options)
            for options in _CONTRACT_NEEDS[self.kind]
            if all(getattr(self, f) in (None, []) for f in options)
        ]


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


class Factory(Model):
    """The programme-level build rate ("1 GW a week"), improving with experience."""

    initial_rate_mw_per_week: Annotated[Dist, uncertain("build_rate", 0.0)] = Field(alias="initial_rate")
    learning_rate: Fraction = Field(default=fixed(0.15))
    reference_mw: Annotated[float, unit("power", 1.0)] = Field(default=1000.0, alias="reference")
    cap_mw_per_week: Annotated[Dist, uncertain("build_rate", 0.0)] | None = Field(default=None, alias="cap")


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
    #: fitted priors (``gigawatt calibrate --write-priors``): a file, relative to the scenario
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


# ---------------------------------------------------------------- loading


def _with_catalog_sites(doc: _yaml.Document, catalog: Catalog) -> tuple[_yaml.Document, list[Problem]]:
    """Expand ``sites.X.catalog: ID`` into the catalog's site with X's fields on top."""
    problems: list[Problem] = []
    sites = doc.data.get("sites")
    if not isinstance(sites, dict):
        return doc, problems
    known = (catalog.sites.data or {}).get("sites", {})
    for site_id, site in list(sites.items()):
        if not isinstance(site, dict) or "catalog" not in site:
            continue
        ref = site["catalog"]
        if ref not in known:
            problems.append(doc.problem(("sites", site_id, "catalog"), _unknown("catalog site", ref, known)))
            continue
        base = _yaml.graft(_yaml.sub(catalog.sites, ("sites", ref)), ("sites", site_id))
        own = dict(site)
        own.pop("catalog")
        override = _yaml.Document({"sites": {site_id: own}}, doc.marks, doc.file)
        merged = _yaml.merge(base, override)
        doc.data["sites"][site_id] = merged.data["sites"][site_id]
        doc.marks.update({k: v for k, v in merged.marks.items() if k[:2] == ("sites", site_id)})
    return doc, problems


def _unknown(what: str, name: object, known: Iterable[str]) -> str:
    hint = difflib.get_close_matches(str(name), list(known), n=1)
    return f"unknown {what} {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")


def _pydantic_problems(doc: _yaml.Document, exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "missing":
            message = "required field missing"
        problems.append(doc.problem(error["loc"], message))
    return problems


def _references(scenario: Scenario, doc: _yaml.Document, catalog: Catalog) -> list[Problem]:
    """Checks across sections: names that must exist, sizes that must fit."""
    problems: list[Problem] = []
    accelerators = set(catalog.accelerators) | set(scenario.accelerators)
    for acc_id, acc in scenario.accelerators.items():
        base = acc.base or acc_id
        if base not in catalog.accelerators:
            path = ("accelerators", acc_id, "base") if acc.base else ("accelerators", acc_id)
            problems.append(doc.problem(path, _unknown("accelerator", base, catalog.accelerators)))
    parties = set(scenario.parties)

    def party(path: tuple[str | int, ...], name: str | None) -> None:
        if name is not None and parties and name not in parties:
            problems.append(doc.problem(path, _unknown("party", name, parties)))

    for site_id, site in scenario.sites.items():
        where = ("sites", site_id)
        if site.accelerator not in accelerators:
            problems.append(
                doc.problem((*where, "accelerator"), _unknown("accelerator", site.accelerator, accelerators))
            )
        for role in ("operator", "developer", "tenant", "owner"):
            party((*where, role), getattr(site, role))
        supply_high = sum(s.capacity_mw.high * s.firm_fraction.high for s in site.power_plan)
        for index, phase in enumerate(site.phases):
            if phase.accelerator and phase.accelerator not in accelerators:
                problems.append(
                    doc.problem(
                        (*where, "phases", index, "accelerator"),
                        _unknown("accelerator", phase.accelerator, accelerators),
                    )
                )
            if phase.power_mw.low > supply_high:
                problems.append(
                    doc.problem(
                        (*where, "phases", index, "power"),
                        f"phase ({phase.power_mw.low:,.0f} MW) is larger than its site's whole "
                        f"power plan ({supply_high:,.0f} MW firm)",
                    )
                )
        total = sum(p.power_mw.low for p in site.phases)
        if total > supply_high:
            problems.append(
                doc.problem(
                    (*where, "phases"),
                    f"phases need at least {total:,.0f} MW but the power plan supplies at most "
                    f"{supply_high:,.0f} MW firm",
                )
            )
    for name, supply in scenario.supply.items():
        for index, acc_id in enumerate(supply.accelerators):
            if acc_id not in accelerators:
                problems.append(
                    doc.problem(
                        ("supply", name, "accelerators", index), _unknown("accelerator", acc_id, accelerators)
                    )
                )
        chain, nxt = [name], supply.successor
        while nxt is not None:
            after = scenario.supply.get(nxt)
            if after is None or after.resource != "accelerators":
                problems.append(
                    doc.problem(
                        ("supply", chain[-1], "successor"),
                        f"unknown accelerator supply {nxt!r}; known: "
                        + ", ".join(k for k, s in scenario.supply.items() if s.resource == "accelerators"),
                    )
                )
                break
            if nxt in chain:
                problems.append(
                    doc.problem(
                        ("supply", name, "successor"), "successors loop: " + " -> ".join([*chain, nxt])
                    )
                )
                break
            chain.append(nxt)
            nxt = after.successor
    for name, contract in scenario.contracts.items():
        party(("contracts", name, "payer"), contract.payer)
        party(("contracts", name, "payee"), contract.payee)
        if not parties:
            problems.append(
                doc.problem(("contracts", name), "contracts need the scenario's parties declared")
            )
        for index, site_id in enumerate(contract.sites):
            if site_id not in scenario.sites:
                problems.append(
                    doc.problem(
                        ("contracts", name, "sites", index), _unknown("site", site_id, scenario.sites)
                    )
                )
        for needed in contract.missing():
            problems.append(doc.problem(("contracts", name), f"a {contract.kind} contract needs {needed}"))
        for index, acc_id in enumerate(contract.accelerators):
            if acc_id not in accelerators:
                problems.append(
                    doc.problem(
                        ("contracts", name, "accelerators", index),
                        _unknown("accelerator", acc_id, accelerators),
                    )
                )
        chosen = [
            phase
            for site_id, site in scenario.sites.items()
            if not contract.sites or site_id in contract.sites
            for phase in site.phases
            if not contract.accelerators or (phase.accelerator or site.accelerator) in contract.accelerators
        ]
        if contract.schedule:
            total_high = sum(d.power_mw.high for d in contract.schedule)
            what = "its delivery schedule"
        else:
            total_high = sum(p.power_mw.high for p in chosen)
            what = "the phases it covers"
        for index, tranche in enumerate(contract.tranches):
            gw = tranche.when_gw_deployed
            if gw is not None and gw > total_high:
                problems.append(
                    doc.problem(
                        ("contracts", name, "tranches", index, "gw_deployed"),
                        f"milestone can never fire: {gw / 1000:g} GW exceeds {what} "
                        f"({total_high / 1000:,.2f} GW at most)",
                    )
                )
            if tranche.on_date is not None and tranche.on_date.low > scenario.time.end_day:
                problems.append(
                    doc.problem(
                        ("contracts", name, "tranches", index, "date"),
                        "milestone can never fire: its date is after time.end",
                    )
                )
            if tranche.probability.high <= 0:
                problems.append(
                    doc.problem(
                        ("contracts", name, "tranches", index, "probability"),
                        "milestone can never fire: probability is 0",
                    )
                )
        covenants = contract.covenants
        if covenants is not None:
            at: tuple[str, ...] = ("contracts", name, "covenants")
            borrower = scenario.parties.get(contract.payee)
            if covenants.min_cash_usd is not None and borrower is not None and borrower.cash_usd is None:
                problems.append(
                    doc.problem(
                        (*at, "min_cash"),
                        f"min_cash needs the borrower ({contract.payee}) to declare cash",
                    )
                )
            if covenants.test_from_date is not None and covenants.test_from_date.low > scenario.time.end_day:
                problems.append(
                    doc.problem((*at, "test_from"), "covenants are never tested: test_from is after time.end")
                )
    for name, commitment in scenario.commitments.items():
        for index, site_id in enumerate(commitment.sites):
            if site_id not in scenario.sites:
                problems.append(
                    doc.problem(
                        ("commitments", name, "sites", index), _unknown("site", site_id, scenario.sites)
                    )
                )
        programmes = {s.programme for s in scenario.sites.values()}
        if commitment.programme is not None and commitment.programme not in programmes:
            problems.append(
                doc.problem(
                    ("commitments", name, "programme"),
                    _unknown("programme", commitment.programme, programmes),
                )
            )
    for name, target in scenario.targets.items():
        for index, site_id in enumerate(target.sites or []):
            if site_id not in scenario.sites:
                problems.append(
                    doc.problem(("targets", name, "sites", index), _unknown("site", site_id, scenario.sites))
                )
    return problems


def _demand_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """Each demand stream states one kind (facility power or compute), its ceiling the same
    kind, and every stream the kind of the first: streams add up, and the engine compares
    their sum with capacity in that one unit, never converting through an assumed FLOP/s per MW."""
    problems: list[Problem] = []
    words = {"mw": "facility power (level, ceiling)", "flops": "compute (compute, compute_ceiling)"}
    first: tuple[str, str] | None = None
    for name, stream in scenario.demand.streams.items():
        at = ("demand", name)
        level_key, ceiling_key = DEMAND_KEYS[stream.stated_in]
        if stream.level_mw is not None and stream.level_flops is not None:
            problems.append(
                doc.problem(
                    (*at, "compute"), "state demand as `level` (facility power) or `compute`, not both"
                )
            )
            continue
        other_ceiling = stream.ceiling_mw if stream.stated_in == "flops" else stream.ceiling_flops
        if other_ceiling is not None:
            wrong = DEMAND_KEYS["mw" if stream.stated_in == "flops" else "flops"][1]
            problems.append(
                doc.problem(
                    (*at, wrong),
                    f"`{wrong}` does not match `{level_key}`: the stream is stated as "
                    f"{words[stream.stated_in]}; write its ceiling as `{ceiling_key}`",
                )
            )
        if first is None:
            first = (name, stream.stated_in)
        elif stream.stated_in != first[1]:
            problems.append(
                doc.problem(
                    (*at, level_key),
                    f"demand.{name} is stated as {words[stream.stated_in]} but demand.{first[0]} as "
                    f"{words[first[1]]}: state every demand stream the same way (they add up)",
                )
            )
    return problems


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load, merge (``extends``) and validate a scenario by built-in name or path."""
    return _validated(sources.read(name_or_path), Path(str(name_or_path)).stem)


def load_scenario_text(
    text: str,
    *,
    name: str | None = None,
    base_dir: str | Path | None = None,
    file: str = "<text>",
    files: bool = True,
) -> Scenario:
    """Load, merge (``extends``) and validate a scenario given as YAML text.

    ``name`` is used when the text names none; ``base_dir`` is where a relative
    ``extends: FILE.yaml`` is looked for (default: the working folder); ``file`` labels
    located errors; ``files=False`` lets ``extends`` name only a built-in scenario.

    >>> load_scenario_text("extends: stargate\nname: mine\n").name
    'mine'
    """
    doc = _yaml.load(text, file)
    folder = Path(base_dir) if base_dir is not None else Path.cwd()
    merged = sources.resolve(doc, base_dir=folder, files=files)
    return _validated(merged, name or Path(file).stem)


def _validated(doc: _yaml.Document, default_name: str) -> Scenario:
    catalog = load_catalog()
    doc, problems = _with_catalog_sites(doc, catalog)
    data = _yaml.stringify_keys(doc.data)
    data.setdefault("name", default_name)
    try:
        scenario = Scenario.model_validate({**data, "source_file": doc.file})
    except ValidationError as exc:
        raise ScenarioError(problems + _pydantic_problems(doc, exc)) from None
    problems += _references(scenario, doc, catalog) + _demand_problems(scenario, doc)
    problems += observations.problems(scenario, doc) + contracted.problems(scenario, doc, catalog)
    problems += _priors_problems(scenario, doc)
    problems += financing_problems(scenario, doc.problem)
    if problems:
        raise ScenarioError(problems)
    return scenario


def _priors_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """A ``priors:`` file that cannot be read, located at the scenario's line."""
    if scenario.priors is None:  # before the import: priors needs scipy, reading a scenario does not
        return []
    from gigawatt.priors import PriorsError, resolve_priors

    try:
        resolve_priors(scenario.priors, scenario.source_file)
    except PriorsError as exc:
        return [doc.problem(("priors",), str(exc))]
    return []
