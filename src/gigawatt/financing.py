"""The financing a scenario states: dated deals (``financing:``) and funding policies (``funding:``).

Known deals are facts with dates: equity rounds (investors, conditional tranches), bond
issues, term loans, developer-level project loans, vendor financing, and project-finance
SPVs (sponsors' equity shares, the SPV's bonds, a lease to the tenant with renewal options
and a residual value guarantee). Each compiles into the contracts the money layer already
knows (:func:`financing_contracts`: investment, loan, lease), named ``DEAL`` or
``DEAL/PART``, so they reach the ledger, statements, covenants, stress and flows alike.

A funding policy says how a party raises money beyond its known deals: when its cash falls
below ``floor``, it draws on its ``instruments`` in order, each bounded by what the market
takes per year (``capacity_per_year``) at a stated cost (``rate``), and all its debt by a cap
(``max_leverage`` × trailing-year operating income, or ``max_debt``). Amounts are USD: an
instrument states ``currency: USD`` or nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from gigawatt._fields import Date, Duration, Fraction, Model, Money, SourceIds, uncertain
from gigawatt.distributions import Dist, fixed

__all__ = [
    "Deal",
    "DealTranche",
    "SpvBonds",
    "SpvLease",
    "FundingInstrument",
    "FundingPolicy",
    "ChipPolicy",
    "financing_contracts",
    "compiled_contracts",
    "with_financing",
    "financing_problems",
    "DEAL_KINDS",
]

PerMwMonth = Annotated[Dist, uncertain("money_per_power_it", 0.0)]
Currency = Literal["USD"]

DealKind = Literal["equity_round", "bond", "term_loan", "project_loan", "vendor_financing", "spv"]
DEAL_KINDS: tuple[str, ...] = DealKind.__args__  # type: ignore[attr-defined]


class DealTranche(Model):
    """One investor's part of an equity round: an amount on a date, maybe conditional."""

    investor: str
    amount_usd: Money = Field(alias="amount")
    on_date: Date = Field(alias="date")
    #: share of draws in which the tranche is paid (a conditional tranche's condition, as a chance)
    probability: Fraction = Field(default=fixed(1.0))
    condition: str = ""

    @model_validator(mode="after")
    def _probability(self) -> DealTranche:
        if self.probability.high > 1:
            raise ValueError("probability must be between 0 and 1")
        return self


class SpvLease(Model):
    """The SPV's lease of its campus to the tenant: per phase from its online date for ``term``,
    renewed up to ``renewals`` times by ``renewal_term`` (each with ``renewal_probability``), with a
    residual value guarantee: at the lease's end the tenant makes up the difference between
    ``residual_value_guarantee`` and what the asset is worth (``residual_value`` × the SPV's
    ``asset_cost``)."""

    tenant: str
    sites: list[str] = Field(min_length=1)
    term_weeks: Duration = Field(alias="term")
    price_usd_per_mw_month: PerMwMonth = Field(alias="price_per_mw_month")
    escalator_per_year: Fraction = Field(default=fixed(0.0), alias="escalator")
    renewals: int = Field(default=0, ge=0, le=10)
    renewal_term_weeks: Duration | None = Field(default=None, alias="renewal_term")
    renewal_probability: Fraction = Field(default=fixed(0.5))
    residual_value_guarantee_usd: Money | None = Field(default=None, alias="residual_value_guarantee")
    residual_value_share: Fraction = Field(default=fixed(0.0), alias="residual_value")

    @model_validator(mode="after")
    def _renewals(self) -> SpvLease:
        if self.renewals and self.renewal_term_weeks is None:
            raise ValueError("renewals need a renewal_term")
        if self.renewal_probability.high > 1 or self.residual_value_share.high > 1:
            raise ValueError("renewal_probability and residual_value must be between 0 and 1")
        return self


class SpvBonds(Model):
    """Bonds an SPV issues: ``amount`` from ``holders`` on ``date``, coupon ``rate``, repaid at
    ``maturity`` (bullet unless ``amortisation: linear``)."""

    holders: str = "world"
    amount_usd: Money = Field(alias="amount")
    on_date: Date = Field(alias="date")
    maturity_weeks: Duration = Field(alias="maturity")
    rate_per_year: Fraction = Field(alias="rate")
    amortisation: Literal["linear", "bullet"] = "bullet"
    currency: Currency = "USD"


class Deal(Model):
    """A dated financing deal; ``kind`` says which fields it uses (see the module doc).

    * ``equity_round`` — ``issuer`` sells equity: ``tranches`` (investor, amount, date,
      probability, condition), ``valuation`` optional;
    * ``bond`` — ``issuer`` borrows ``amount`` from ``holders`` (default ``world``) on ``date``,
      coupon ``rate``, principal at ``maturity`` (bullet);
    * ``term_loan``, ``project_loan`` — the same, repaid linearly over ``maturity``
      (``amortisation: bullet`` to change); a project loan names the ``sites`` it funds, and may
      be drawn as they are built (``drawn: as_built``, a construction loan);
    * ``vendor_financing`` — ``vendor`` lends to (``as: loan``) or invests in (``as: equity``)
      its customer ``issuer``;
    * ``spv`` — the SPV party ``issuer`` is owned by ``sponsors`` (shares summing to 1) who pay
      in ``equity`` on ``date``; it issues ``bonds`` and leases its campus to a tenant
      (``lease``); ``asset_cost`` is what the campus costs it (buildings, power, cooling: paid to
      the world as the leased sites' phases are built, a capital purchase).
    """

    kind: DealKind
    issuer: str
    holders: str = "world"
    vendor: str | None = None
    as_kind: Literal["loan", "equity"] = Field(default="loan", alias="as")
    amount_usd: Money | None = Field(default=None, alias="amount")
    on_date: Date | None = Field(default=None, alias="date")
    maturity_weeks: Duration | None = Field(default=None, alias="maturity")
    rate_per_year: Fraction | None = Field(default=None, alias="rate")
    amortisation: Literal["linear", "bullet"] | None = None
    currency: Currency = "USD"
    tranches: list[DealTranche] = []
    valuation_usd: Money | None = Field(default=None, alias="valuation")
    sites: list[str] = []
    #: project loan: the borrower builds its sites at this cost per facility MW, paid as built
    construction_usd_per_mw: PerMwMonth | None = Field(default=None, alias="construction_per_mw")
    #: project loan: drawn in full on ``date`` (default) or as its sites are built (a construction
    #: loan: pro rata to their facility MW built, until it matures; what is undrawn then lapses)
    drawn: Literal["at_start", "as_built"] = "at_start"
    sponsors: dict[str, float] = {}
    equity_usd: Money | None = Field(default=None, alias="equity")
    bonds: SpvBonds | None = None
    asset_cost_usd: Money | None = Field(default=None, alias="asset_cost")
    lease: SpvLease | None = None
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _fields(self) -> Deal:
        debt = self.kind in ("bond", "term_loan", "project_loan") or (
            self.kind == "vendor_financing" and self.as_kind == "loan"
        )
        need: list[str] = []
        if debt:
            need = [k for k in ("amount", "date", "maturity", "rate") if self._alias(k) is None]
        elif self.kind == "equity_round" and not self.tranches:
            need = ["tranches"]
        elif self.kind == "vendor_financing":
            need = [k for k in ("amount", "date") if self._alias(k) is None]
        elif self.kind == "spv":
            need = [k for k in ("sponsors", "equity", "date", "asset_cost") if not self._alias(k)]
        if self.kind == "vendor_financing" and self.vendor is None:
            need.append("vendor")
        if need:
            raise ValueError(f"a {self.kind} deal needs {', '.join(need)}")
        if self.kind == "spv":
            total = sum(self.sponsors.values())
            if any(s < 0 for s in self.sponsors.values()) or not math.isclose(total, 1.0, abs_tol=1e-6):
                raise ValueError(f"sponsors' shares must be >= 0 and sum to 1, not {total:g}")
            rvg = self.lease.residual_value_guarantee_usd if self.lease else None
            if rvg is not None and self.asset_cost_usd is not None and rvg.high > self.asset_cost_usd.low:
                raise ValueError(
                    f"lease.residual_value_guarantee (up to ${rvg.high / 1e9:,.3g}B) exceeds the "
                    f"asset's cost (asset_cost, from ${self.asset_cost_usd.low / 1e9:,.3g}B)"
                )
        if self.construction_usd_per_mw is not None and (self.kind != "project_loan" or not self.sites):
            raise ValueError("construction_per_mw belongs to a project_loan with sites")
        if self.drawn == "as_built" and (self.kind != "project_loan" or not self.sites):
            raise ValueError("drawn: as_built belongs to a project_loan with sites")
        if self.kind != "spv" and (self.sponsors or self.lease or self.bonds):
            raise ValueError("sponsors, lease and bonds belong to an spv deal")
        return self

    def _alias(self, key: str) -> object:
        name = next(n for n, f in type(self).model_fields.items() if (f.alias or n) == key)
        return getattr(self, name)


class FundingInstrument(Model):
    """One way a party raises money under its policy: bonds, a term loan, a revolver (drawn and
    repaid as cash allows, outstanding at most ``limit``) or equity, at ``rate`` a year
    (interest; for equity the stated cost of capital, not a cash flow)."""

    kind: Literal["bond", "term_loan", "revolver", "equity"]
    #: how reports label what it raised (default: its kind), e.g. an overflow tier of equity kind
    name: str | None = None
    capacity_usd_per_year: Money | None = Field(default=None, alias="capacity_per_year")
    limit_usd: Money | None = Field(default=None, alias="limit")
    rate_per_year: Fraction = Field(alias="rate")
    currency: Currency = "USD"

    @model_validator(mode="after")
    def _bounded(self) -> FundingInstrument:
        if self.kind == "revolver" and self.limit_usd is None:
            raise ValueError("a revolver needs its limit")
        if self.kind != "revolver" and self.capacity_usd_per_year is None:
            raise ValueError(f"a {self.kind} instrument needs capacity_per_year (what the market takes)")
        return self


class FundingPolicy(Model):
    """Raise when cash falls below ``floor``, from ``instruments`` in order, debt capped by
    ``max_leverage`` (debt / trailing-year operating income) or ``max_debt``."""

    floor_usd: Money = Field(default=fixed(0.0), alias="floor")
    max_leverage: Annotated[Dist, uncertain("number", 0.0)] | None = None
    max_debt_usd: Money | None = Field(default=None, alias="max_debt")
    instruments: list[FundingInstrument] = Field(min_length=1)
    source: SourceIds = []
    note: str = ""

    @model_validator(mode="after")
    def _capped(self) -> FundingPolicy:
        borrows = any(i.kind != "equity" for i in self.instruments)
        if borrows and self.max_leverage is None and self.max_debt_usd is None:
            raise ValueError("a funding policy that borrows needs a cap: max_leverage or max_debt")
        return self


class ChipPolicy(Model):
    """Who buys each phase's accelerators and whether they are bought again at end of life.

    ``buyers`` names a site's chip buyer (a lessor, or a customer that supplies them); other
    phases follow the documented default rules (:mod:`gigawatt.finance.chips`). ``refresh``
    re-buys every phase's accelerators at the end of their useful life (the accelerator's
    ``useful_life``), at the same price."""

    refresh: bool = False
    buyers: dict[str, str] = {}
    #: chips are delivered and paid this long before online (default: the catalog's IT fit-out
    #: plus commissioning stages, one to two quarters)
    lead_weeks: Duration | None = Field(default=None, alias="lead")
    source: SourceIds = []
    note: str = ""


def _contract(**fields: object) -> dict[str, object]:
    return {k: v for k, v in fields.items() if v is not None and v != []}


def financing_contracts(deals: dict[str, Deal]) -> dict[str, dict[str, object]]:
    """Each deal as contract fields (``Contract.model_validate`` input), named ``DEAL[/PART]``."""
    out: dict[str, dict[str, object]] = {}
    for name, deal in deals.items():
        note = deal.note or f"{deal.kind} (financing.{name})"
        common: dict[str, Any] = {"source": deal.source, "note": note}
        if deal.kind == "equity_round":
            for i, t in enumerate(deal.tranches):
                out[f"{name}/{t.investor}#{i}"] = _contract(
                    kind="investment",
                    payer=t.investor,
                    payee=deal.issuer,
                    valuation=deal.valuation_usd,
                    tranches=[{"amount": t.amount_usd, "date": t.on_date, "probability": t.probability}],
                    conditional=not t.probability.is_fixed or t.probability.mid < 1,
                    **common,
                )
        elif deal.kind == "vendor_financing" and deal.as_kind == "equity":
            out[name] = _contract(
                kind="investment",
                payer=deal.vendor,
                payee=deal.issuer,
                value=deal.amount_usd,
                start=deal.on_date,
                valuation=deal.valuation_usd,
                **common,
            )
        elif deal.kind == "spv":
            out.update(_spv_contracts(name, deal, common))
        else:
            out.update(_debt_contracts(name, deal, common))
    return out


def _spv_contracts(name: str, deal: Deal, common: dict[str, Any]) -> dict[str, dict[str, object]]:
    """A project-finance SPV: its sponsors' equity, its bonds, and the campus it builds and leases."""
    assert deal.equity_usd is not None
    out: dict[str, dict[str, object]] = {}
    for sponsor, share in deal.sponsors.items():
        out[f"{name}/equity:{sponsor}"] = _contract(
            kind="investment",
            payer=sponsor,
            payee=deal.issuer,
            value=deal.equity_usd.scaled(share),
            start=deal.on_date,
            **common,
        )
    if deal.bonds is not None:
        b = deal.bonds
        out[f"{name}/bonds"] = _contract(
            kind="loan",
            payer=b.holders,
            payee=deal.issuer,
            value=b.amount_usd,
            start=b.on_date,
            term=b.maturity_weeks,
            interest_rate=b.rate_per_year,
            amortisation=b.amortisation,
            **common,
        )
    if deal.lease is not None:
        lease = deal.lease
        out[f"{name}/construction"] = _contract(
            kind="purchase",
            payer=deal.issuer,
            payee="world",
            value=deal.asset_cost_usd,
            sites=lease.sites,
            paid="as_built",
            **common,
        )
        out[f"{name}/lease"] = _contract(
            kind="lease",
            payer=lease.tenant,
            payee=deal.issuer,
            sites=lease.sites,
            term=lease.term_weeks,
            price_per_mw_month=lease.price_usd_per_mw_month,
            escalator=lease.escalator_per_year,
            renewals=lease.renewals,
            renewal_term=lease.renewal_term_weeks,
            renewal_probability=lease.renewal_probability,
            residual_value_guarantee=lease.residual_value_guarantee_usd,
            residual_value=lease.residual_value_share,
            asset_cost=deal.asset_cost_usd,
            **common,
        )
    return out


def _debt_contracts(name: str, deal: Deal, common: dict[str, Any]) -> dict[str, dict[str, object]]:
    """A bond, term or project loan, or vendor financing as debt (and the construction it pays for)."""
    out: dict[str, dict[str, object]] = {}
    lender = deal.vendor if deal.kind == "vendor_financing" else deal.holders
    default = "bullet" if deal.kind == "bond" else "linear"
    if deal.construction_usd_per_mw is not None:
        out[f"{name}/construction"] = _contract(
            kind="purchase",
            payer=deal.issuer,
            payee="world",
            price_per_mw=deal.construction_usd_per_mw,
            sites=deal.sites,
            paid="as_built",
            **common,
        )
    out[name] = _contract(
        kind="loan",
        payer=lender,
        payee=deal.issuer,
        value=deal.amount_usd,
        start=deal.on_date,
        term=deal.maturity_weeks,
        interest_rate=deal.rate_per_year,
        amortisation=deal.amortisation or default,
        sites=deal.sites,
        drawn=None if deal.drawn == "at_start" else deal.drawn,
        capital=False,
        **common,
    )
    return out


def compiled_contracts(deals: dict[str, Deal]) -> tuple[dict[str, Any], dict[str, str]]:
    """Each deal's contracts validated (``Contract``s), and for each that fails, its message by deal."""
    from pydantic import ValidationError

    from gigawatt.scenario import Contract

    contracts: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, fields in financing_contracts(deals).items():
        try:
            contracts[name] = Contract.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            errors[name.split("/")[0]] = f"{name}: {where + ': ' if where else ''}{message}"
    return contracts, errors


def with_financing(scenario: Any) -> Any:
    """The scenario with its deals added to its contracts (idempotent)."""
    if not scenario.financing:
        return scenario
    contracts, _ = compiled_contracts(scenario.financing)
    return scenario.model_copy(update={"contracts": {**scenario.contracts, **contracts}})


def financing_problems(scenario: Any, problem: Callable[[tuple[str | int, ...], str], Any]) -> list[Any]:
    """Names the deals and policies use that the scenario lacks, and deals that do not compile."""
    parties = set(scenario.parties) | {"world"}
    out = [
        problem(path, message)
        for name, deal in scenario.financing.items()
        for path, message in _deal_names(scenario, parties, name, deal)
    ]
    contracts, errors = compiled_contracts(scenario.financing)
    out.extend(problem(("financing", deal_name), message) for deal_name, message in errors.items())
    out.extend(
        problem(("financing", name.split("/")[0]), f"contract {name!r} is already declared")
        for name in contracts
        if name in scenario.contracts
    )
    for site, buyer in scenario.chips.buyers.items():
        if site not in scenario.sites:
            out.append(problem(("chips", "buyers", site), f"unknown site {site!r}"))
        if buyer is not None and buyer not in parties:
            out.append(problem(("chips", "buyers", site), f"unknown party {buyer!r}"))
    out.extend(
        problem(("funding", name), f"unknown party {name!r}")
        for name in scenario.funding
        if name not in parties or name == "world"
    )
    return out


def _deal_names(
    scenario: Any, parties: set[str], name: str, deal: Deal
) -> Iterator[tuple[tuple[str | int, ...], str]]:
    """A deal's unknown parties, then its unknown sites: where, and what is wrong."""
    at: tuple[str | int, ...] = ("financing", name)
    named: list[tuple[tuple[str | int, ...], str | None]] = [
        ((*at, "issuer"), deal.issuer),
        ((*at, "holders"), deal.holders),
        ((*at, "vendor"), deal.vendor),
        *(((*at, "tranches", i, "investor"), t.investor) for i, t in enumerate(deal.tranches)),
        *(((*at, "sponsors", sponsor), sponsor) for sponsor in deal.sponsors),
    ]
    if deal.bonds is not None:
        named.append(((*at, "bonds", "holders"), deal.bonds.holders))
    if deal.lease is not None:
        named.append(((*at, "lease", "tenant"), deal.lease.tenant))
    for path, party in named:
        if party is not None and party not in parties:
            yield path, f"unknown party {party!r}"
    sites = list(deal.sites) + (list(deal.lease.sites) if deal.lease else [])
    for site in sites:
        if site not in scenario.sites:
            yield at, f"unknown site {site!r}"
