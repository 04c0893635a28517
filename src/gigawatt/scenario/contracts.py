"""The money a scenario states: parties, contracts between them (with tranches, delivery
schedules and covenants) and programmes' capex commitments."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from gigawatt._fields import (
    Date,
    Duration,
    Fraction,
    Growth,
    Model,
    Money,
    Number,
    Power,
    Rate,
    SourceIds,
    uncertain,
    unit,
)
from gigawatt.distributions import Dist, fixed

__all__ = ["Commitment", "Contract", "ContractKind", "Covenants", "Delivery", "Party", "Tranche"]


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
    #: cash on hand at the start of the finance grid, or as reported at the end of ``cash_date``
    #: (a fact: on or before ``time.as_of``; gigawatt.finance.facts), and an undrawn credit line
    cash_usd: Money | None = Field(default=None, alias="cash")
    cash_date: Date | None = None
    credit_usd: Money | None = Field(default=None, alias="credit")
    #: revenue from outside the system (customers): its total over the first year from
    #: ``revenue_start`` (as revenue is reported), growing yearly (gigawatt.finance.model)
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

    @field_validator("cash_date")
    @classmethod
    def _plain_cash_date(cls, value: Dist | None) -> Dist | None:
        if value is not None and not value.is_fixed:
            raise ValueError("cash_date must be a plain date: the date a balance was reported")
        return value


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
    (or ``sites``; all sites if neither), in ``country`` if given (a pledge made for one country's
    infrastructure counts no site abroad). Simulated capex is each phase's facility MW times the
    catalog's all-in capex per facility GW: construction as built, IT equipment at delivery
    (``gigawatt.finance.chips``); ``counts`` picks what the pledge covers: all, construction or it."""

    capex_usd: Money = Field(alias="capex")
    by_date: Date = Field(alias="by")
    counts: Literal["all", "construction", "it"] = "all"
    programme: str | None = None
    country: str | None = None
    sites: list[str] = []
    source: SourceIds = []
    note: str = ""


ContractKind = Literal["purchase", "lease", "compute", "investment", "warrant", "power_purchase", "loan"]
#: Fields each kind needs (one of each tuple), checked with a message naming the kind.
_CONTRACT_NEEDS: dict[str, tuple[tuple[str, ...], ...]] = {
    "purchase": (("value_usd", "price_usd_per_mw", "price"),),
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
    ``accelerators``, the contract's own delivery ``schedule``, or the deliveries of a
    ``contracted`` block (its dates and MW draw by draw, as the buildout draws them, so that
    what is paid for is the capacity counted, not a copy drawn apart).
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
    contracted: str | None = None
    capacity_mw: Power | None = Field(default=None, alias="capacity")
    #: compute: the capacity is the facility MW of the contract's sites' phases, draw by draw (a
    #: deal for named sites whose stated GW the sites' catalog sizes do not match)
    sized_to_sites: bool = False
    #: compute: the term runs from ``start`` (default), or for each phase from its online date (not
    #: before ``start``), its share of the value with it (``online``; needs ``sized_to_sites``)
    term_from: Literal["start", "online"] = "start"
    tranches: list[Tranche] = []
    conditional: bool = False
    payment_terms_weeks: Duration = Field(default=fixed(0.0), alias="payment_terms")
    price_usd_per_mw: Annotated[Dist, uncertain("money_per_power_it", 0.0)] | None = Field(
        default=None, alias="price_per_mw"
    )
    #: purchase over sites: ``catalog`` pays each phase's accelerators at the catalog's price for
    #: its accelerator (the engine's accelerator capex, as a default chip buyer pays), draw by draw
    price: Literal["catalog"] | None = None
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
    #: a loan is drawn at ``start`` (default), or, over ``sites``, as they are built (a construction
    #: loan: pro rata to their facility MW built, until it matures)
    drawn: Literal["at_start", "as_built"] = "at_start"
    covenants: Covenants | None = None
    capital: bool = True
    #: a purchase covering sites is paid at chip delivery (default), as built (evenly from each
    #: phase's start to online: progress payments) or at online
    paid: Literal["delivery", "as_built", "online"] = "delivery"
    on_shortfall: Literal["defer", "default"] = "defer"
    #: lease: who pays the site's running costs (electricity, staff, maintenance): its operator
    #: (``owner``, the default) or, under a net lease whose rent only repays the building, the
    #: tenant (``tenant``: the lease's payer)
    running_costs: Literal["owner", "tenant"] = "owner"
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
        if sum(map(bool, (self.schedule, self.sites, self.contracted))) > 1:
            raise ValueError("give one of sites, a schedule or a contracted block")
        if self.sized_to_sites and (self.kind != "compute" or not self.sites or self.capacity_mw is not None):
            raise ValueError("sized_to_sites applies to a compute contract with sites and no capacity")
        if self.term_from == "online" and not self.sized_to_sites:
            raise ValueError("term_from: online needs sized_to_sites (each phase's share of the sites)")
        if self.price is not None and (self.kind != "purchase" or self.scheduled):
            raise ValueError("price: catalog applies to a purchase over sites' phases (their accelerators)")
        if self.price is not None and (self.value_usd is not None or self.price_usd_per_mw is not None):
            raise ValueError("give one of value, price_per_mw or price: catalog")
        self._check_demand_link()
        self._check_lease()
        self._check_plant()
        if self.drawn == "as_built" and (self.kind != "loan" or not self.sites or self.tranches):
            raise ValueError("drawn: as_built applies to a loan over sites, without tranches")
        if self.covenants is not None and self.kind != "loan":
            raise ValueError(f"covenants apply to loans, not to a {self.kind} contract")
        return self

    def _check_demand_link(self) -> None:
        """``demand_share`` and ``prepaid``: compute contracts only, shares, and a reference growth."""
        linked = self.demand_share.high > 0 or self.prepaid_fraction.high > 0
        if linked and self.kind != "compute":
            raise ValueError(f"demand_share and prepaid apply to compute contracts, not to a {self.kind}")
        if self.demand_share.high > 0 and self.reference_growth_per_year is None:
            raise ValueError(
                "demand_share needs reference_growth: the payer's revenue growth it was sized for"
            )
        if self.demand_share.high > 1 or self.prepaid_fraction.high > 1:
            raise ValueError("demand_share and prepaid must be between 0 and 1")

    def _check_lease(self) -> None:
        """Renewals and a residual value guarantee: leases only, within the asset's cost."""
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
        if self.running_costs == "tenant" and self.kind != "lease":
            raise ValueError(f"running_costs: tenant applies to leases, not to a {self.kind} contract")
        if self.renewals and self.renewal_term_weeks is None:
            raise ValueError("renewals need a renewal_term")
        if self.renewal_probability.high > 1 or self.residual_value_share.high > 1:
            raise ValueError("renewal_probability and residual_value must be between 0 and 1")

    def _check_plant(self) -> None:
        """A plant's PPA: both its capacity and capacity factor, on a power purchase only."""
        if (self.plant_capacity_mw is None) != (self.capacity_factor is None):
            raise ValueError("a plant's PPA needs both plant_capacity and capacity_factor")
        if self.plant_capacity_mw is not None and self.kind != "power_purchase":
            raise ValueError(f"plant_capacity applies to power_purchase, not to a {self.kind} contract")
        if self.capacity_factor is not None and self.capacity_factor.high > 1:
            raise ValueError("capacity_factor must be between 0 and 1")

    @property
    def scheduled(self) -> bool:
        """Whether it follows deliveries (its own schedule or a contracted block's), not phases."""
        return bool(self.schedule) or self.contracted is not None

    def missing(self) -> list[str]:
        """The fields this kind of contract needs but lacks, as YAML keys ("a or b")."""
        fields = type(self).model_fields
        return [
            " or ".join(str(fields[f].alias or f) for f in options)
            for options in _CONTRACT_NEEDS[self.kind]
            if all(getattr(self, f) in (None, []) for f in options)
        ]
