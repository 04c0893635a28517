"""Published figures the model should reproduce, and whether it does.

Each check in ``data/crosschecks.yaml`` names a published figure (value, or the
range its sources give), a relative tolerance with the reason for it, and how the
model computes the same figure through the package's public functions:

* ``convert`` — :func:`gigawatt.compute.convert` of a quantity (``"1.2 GW"``,
  ``"700000 gb200-nvl72"``), one of its outputs (P50 over the catalog's ranges);
* ``site`` — the scenario's own phases of one site simulated by
  :func:`gigawatt.engine.simulate_block` (what ``gigawatt run`` runs), summed
  over the chosen phases (P50 over draws); applies only where the scenario has
  the site;
* ``economics`` — :func:`gigawatt.finance.economics.unit_economics` (what
  ``gigawatt finance`` prints) for one accelerator the scenario deploys;
* ``committed`` — the capacity the scenario holds as committed by a programme's
  published count date (:func:`committed_mw`), from the engine's drawn phase sizes
  and contracted blocks, compared with the programme's own count;
* ``rpo`` — a seller's remaining performance obligations at a reported date, from
  the contracts the money layer simulates (:func:`gigawatt.finance.rpo_series`); with
  ``signed_after``, only the books signed after that date.

Each result carries its deviation: how far the model's P50 lies outside what the sources say
(against their value where they give one number, else the nearer end of their range, 0 inside
it). A row
marked ``calibrated`` (the scenario was sized from the figure) or ``identity`` (the figure
follows from the published one by arithmetic alone) is shown and counted apart: it tests
nothing. A check passes when the model's P50 lies in ``[low × (1 − tolerance),
high × (1 + tolerance)]``, ``low``/``high`` being the published range (the value
itself where the source gives one number; an open side where it says "more
than"). A new kind adds its name to :class:`Check`'s ``kind`` and a function to
:data:`KINDS`; a function returns None, or raises :class:`NotApplicable` with the
reason, where the check does not apply to the scenario.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator

from gigawatt import _yaml, units
from gigawatt._fields import Model, SourceIds, unit
from gigawatt.catalog import Source
from gigawatt.compute import convert
from gigawatt.engine import Model as EngineModel
from gigawatt.engine import contracted_steps, simulate_block
from gigawatt.errors import GigawattError, Problem, ScenarioError
from gigawatt.finance import rpo_series, simulate_money
from gigawatt.finance.economics import unit_economics
from gigawatt.observations import site_subject
from gigawatt.scenario import STATUS_ORDER, Scenario
from gigawatt.scope import Scope, Subject

if TYPE_CHECKING:
    import xarray as xr

__all__ = [
    "Check",
    "CheckResult",
    "Crosscheck",
    "CrosscheckError",
    "OUTPUTS",
    "KINDS",
    "NotApplicable",
    "committed_mw",
    "load_checks",
    "parse_checks",
    "crosscheck",
]

#: Model outputs a check may read: the quantity kind its published value is
#: written in, the factor from that kind's canonical unit to the output's unit,
#: and the unit shown.
OUTPUTS: dict[str, tuple[str, float, str]] = {
    "accelerators": ("count", 1.0, "accelerators"),
    "h100_equivalents": ("count", 1.0, "H100e"),
    "facility_mw": ("power", 1.0, "MW"),
    "it_mw": ("power", 1.0, "MW"),
    "energy_twh_per_year": ("energy", 1e-6, "TWh/yr"),
    "capex_usd.total": ("money", 1.0, "USD"),
    "capex_usd.accelerators": ("money", 1.0, "USD"),
    "capex_usd.accelerators+networking": ("money", 1.0, "USD"),
    "capex_usd.building+power_equipment": ("money", 1.0, "USD"),
    "cost_per_gw_year_usd": ("money", 1.0, "USD"),
    "committed_mw": ("power", 1.0, "MW"),
    "rpo_usd": ("money", 1.0, "USD"),
}
#: Draws behind each model figure: enough for a stable P50 (±1%), few enough for a fast check.
DRAWS = 4000
#: Draws of the same buildout the money layer runs on for ``rpo`` checks (the first ones).
MONEY_DRAWS = 500


class CrosscheckError(GigawattError):
    """A cross-check that cannot be computed (e.g. an accelerator the scenario does not use)."""


class NotApplicable(Exception):
    """A check that does not apply to the scenario; the message says why."""


class Published(Model):
    """The published figure: one value, or the range its sources give."""

    value: float | str
    low: float | str | None = None
    high: float | str | None = None


class Check(Model):
    """One published figure and how the model computes it."""

    title: str
    kind: Literal["convert", "site", "economics", "committed", "rpo"]
    output: str
    published: Published
    open_high: bool = False
    #: the scenario's inputs were sized from this figure, so reproducing it checks that the
    #: inputs are complete and dated, not the model: shown as "input", counted apart
    calibrated: bool = False
    #: the model's figure follows from the published one by arithmetic alone (e.g. energy per GW
    #: at the very load factor the source implies), so it tests no input and no output of a run:
    #: shown as "identity", counted apart
    identity: bool = False
    tolerance: float = Field(ge=0, lt=1)
    why: str
    source: SourceIds
    # convert
    quantity: str | None = None
    accelerator: str | None = None
    basis: Literal["facility", "it"] = "facility"
    load_factor: float = Field(default=0.8, gt=0, le=1)
    # site
    site: str | None = None
    phases: list[int] | None = None
    # economics: accelerator above
    # committed and rpo: the date of the published figure
    on_date: Annotated[float | None, unit("date")] = Field(default=None, alias="date")
    # committed: the count's scope (sites) and the contracted blocks it included
    scope: Scope | None = None
    contracted: list[str] = Field(default_factory=list)
    # rpo: the seller, and (optionally) only the books signed after this date
    seller: str | None = None
    signed_after: Annotated[float | None, unit("date")] = None

    @field_validator("output")
    @classmethod
    def _known_output(cls, value: str) -> str:
        if value not in OUTPUTS:
            raise ValueError(f"unknown output {value!r}; known: {sorted(OUTPUTS)}")
        return value

    def published_range(self) -> tuple[float, float, float]:
        """(published value, low, high) in the output's unit, as the sources give them (an open
        high side is infinite)."""
        kind, scale, _ = OUTPUTS[self.output]

        def read(value: float | str) -> float:
            return units.parse(value, kind) * scale

        value = read(self.published.value)
        low = read(self.published.low) if self.published.low is not None else value
        high = read(self.published.high) if self.published.high is not None else value
        return value, low, math.inf if self.open_high else high

    def window(self) -> tuple[float, float, float]:
        """(published value, low, high) in the output's unit, tolerance applied."""
        value, low, high = self.published_range()
        return value, low * (1 - self.tolerance), high * (1 + self.tolerance)


@dataclass(frozen=True)
class CheckResult:
    """A check's outcome: the model's P50 (and P10/P90) against the published window."""

    name: str
    title: str
    published: float
    low: float
    high: float
    model: float
    model_band: tuple[float, float, float]
    passed: bool
    unit: str
    source: str
    cited: str
    why: str
    calibrated: bool = False
    identity: bool = False
    #: the sources' own range (no tolerance): a point where they give one number
    published_low: float = math.nan
    published_high: float = math.nan

    @property
    def ranged(self) -> bool:
        """Whether the sources give a range (or a bound), not one number."""
        return self.published_low < self.published_high

    @property
    def deviation(self) -> float:
        """How far the model's P50 lies outside what the sources say, as a share (+0.20: 20% above
        the highest published figure): against the published value where they give one number,
        else against the nearer end of their range, 0 inside it. A wide pass band must not hide a
        wide miss, and a P50 inside the sources' range (or bound) is not one."""
        low, high = self.published_low, self.published_high
        if not self.ranged:
            return self.model / self.published - 1.0 if self.published else math.nan
        if self.model < low:
            return self.model / low - 1.0 if low else math.nan
        if self.model > high:
            return self.model / high - 1.0
        return 0.0

    @property
    def role(self) -> str:
        """``test``, or what the row is when it tests nothing: ``input`` or ``identity``."""
        return "identity" if self.identity else "input" if self.calibrated else "test"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "published": self.published,
            "model": self.model,
            "low": self.low,
            "high": None if math.isinf(self.high) else self.high,
            "passed": self.passed,
            "calibrated": self.calibrated,
            "identity": self.identity,
            "deviation": None if math.isnan(self.deviation) else self.deviation,
            "source": self.source,
            "unit": self.unit,
            "model_p10_p50_p90": list(self.model_band),
            "tolerance_why": self.why,
        }


@dataclass(frozen=True)
class Checks:
    """The checks file, validated."""

    sources: dict[str, Source]
    checks: dict[str, Check]


def _message(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")


@cache
def load_checks() -> Checks:
    """The built-in checks, ``data/crosschecks.yaml`` (read once per process)."""
    name = "crosschecks.yaml"
    text = resources.files("gigawatt.data").joinpath(name).read_text(encoding="utf-8")
    return parse_checks(text, f"gigawatt/data/{name}")


def parse_checks(text: str, file: str) -> Checks:
    """Read and validate a checks file; :class:`ScenarioError` with located problems if invalid."""
    doc = _yaml.load(text, file)
    problems: list[Problem] = []
    sources: dict[str, Source] = {}
    for key, item in (doc.data.get("sources") or {}).items():
        try:
            sources[key] = Source.model_validate(item)
        except ValidationError as exc:
            problems += [doc.problem(("sources", key, *e["loc"]), _message(e)) for e in exc.errors()]
    checks: dict[str, Check] = {}
    for key, item in (doc.data.get("checks") or {}).items():
        path = ("checks", key)
        try:
            check = Check.model_validate(item)
            check.window()
        except ValidationError as exc:
            problems += [doc.problem((*path, *e["loc"]), _message(e)) for e in exc.errors()]
            continue
        except units.UnitError as exc:
            problems.append(doc.problem((*path, "published"), str(exc)))
            continue
        for index, sid in enumerate(check.source):
            if sid not in sources:
                problems.append(doc.problem((*path, "source", index), f"unknown source {sid!r}"))
        needs = {
            "convert": ("quantity",),
            "site": ("site",),
            "economics": ("accelerator",),
            "committed": ("on_date", "scope"),
            "rpo": ("on_date", "seller"),
        }[check.kind]
        for field in needs:
            if getattr(check, field) is None:
                name = {"on_date": "date"}.get(field, field)
                problems.append(doc.problem(path, f"a {check.kind} check needs `{name}`"))
        checks[key] = check
    if problems:
        raise ScenarioError(problems)
    return Checks(sources, checks)


Band = tuple[float, float, float]


@dataclass
class Context:
    """What the checks of one scenario share: the scenario, its simulated draws and
    unit economics, each computed once on first use."""

    scenario: Scenario
    _draws: Any = None
    _economics: dict[str, Any] | None = None
    _money: Any = None

    def draws(self) -> tuple[Any, Any]:
        """The engine's model of the scenario and :data:`DRAWS` simulated draws of it."""
        if self._draws is None:
            model = EngineModel.from_scenario(self.scenario)
            self._draws = (model, simulate_block(model, 0, 0, DRAWS))
        return self._draws

    def economics(self) -> dict[str, Any]:
        """``unit_economics`` of the scenario (what ``gigawatt finance`` prints)."""
        if self._economics is None:
            self._economics = unit_economics(self.scenario, draws=DRAWS)
        return self._economics

    def money(self) -> Any:
        """The money layer (what ``gigawatt finance`` runs) on the first :data:`MONEY_DRAWS`
        simulated draws, by month so that any reported quarter end falls within a month."""
        if self._money is None:
            _, ds = self.draws()
            self._money = simulate_money(self.scenario, ds.isel(draw=slice(0, MONEY_DRAWS)), 0, "month")
        return self._money


def _convert(check: Check, context: Context) -> Band | None:
    assert check.quantity is not None
    result = convert(
        check.quantity,
        check.accelerator,
        basis=check.basis,
        load_factor=check.load_factor,
        draws=DRAWS,
    )
    if check.output.startswith("capex_usd."):
        parts = check.output.removeprefix("capex_usd.").split("+")
        return _sum_bands([result.capex_usd[p] for p in parts])
    band: Band = getattr(result, check.output)
    return band


def _sum_bands(bands: list[Band]) -> Band:
    """Sum of per-component P10/P50/P90 (the components are drawn together, so the
    sum of P50s is close to the P50 of the sum)."""
    a, b, c = zip(*bands, strict=True)
    return sum(a), sum(b), sum(c)


def _site(check: Check, context: Context) -> Band | None:
    if check.site not in context.scenario.sites:
        return None
    model, ds = context.draws()
    ks = [
        k
        for k, ph in enumerate(model.phases)
        if ph.site == check.site and (check.phases is None or ph.index in check.phases)
    ]
    if not ks:
        raise CrosscheckError(f"site {check.site!r} has no phases {check.phases}")
    values = ds[check.output].values[:, ks].sum(axis=1)
    q = np.percentile(values, [10, 50, 90])
    return float(q[0]), float(q[1]), float(q[2])


def _economics(check: Check, context: Context) -> Band | None:
    found = context.economics()
    if check.accelerator not in found:
        return None
    per_mw_month = found[check.accelerator]["cost_per_mw_month_usd"]
    # per facility MW-month -> per facility GW-year
    p10, p50, p90 = (per_mw_month[q] * 12 * 1000 for q in ("p10", "p50", "p90"))
    return p10, p50, p90


def _percentiles(values: np.ndarray) -> Band:
    q = np.percentile(values, [10, 50, 90])
    return float(q[0]), float(q[1]), float(q[2])


def committed_mw(
    model: EngineModel,
    ds: xr.Dataset,
    scope: Scope,
    day: float,
    contracted: list[str] | tuple[str, ...] = (),
) -> np.ndarray:
    """Per draw, the facility MW the scenario holds as committed by ``day``: the drawn size of
    every phase in ``scope`` whose status (as of ``time.as_of``) is committed or further, dated
    from its site's ``announced`` date (as :func:`gigawatt.engine.target_days` dates a
    committed target), plus the drawn MW of the named ``contracted`` blocks signed by ``day``.

    A status is what the scenario knows at its as-of date: a phase dropped since is not in it,
    and a site counts from the day it was named, not from the day a programme first counted it
    without a name."""
    scenario = model.scenario
    level = STATUS_ORDER["committed"]
    columns = [
        k
        for k, ph in enumerate(model.phases)
        if STATUS_ORDER[ph.status] >= level
        and (scenario.sites[ph.site].announced_date or model.as_of_day) <= day
        and scope.matches(
            Subject(
                site=ph.site, country=ph.country, region=ph.region, party=ph.tenant, programme=ph.programme
            )
        )
    ]
    total = ds["facility_mw"].values[:, columns].sum(axis=1)
    if contracted:
        mw, _, names = contracted_steps(model, ds)
        steps = [
            i
            for i, name in enumerate(names)
            if name in contracted and float(scenario.contracted[name].signed_date.mid) <= day
        ]
        total = total + mw[:, steps].sum(axis=1)
    return np.asarray(total, dtype=float)


def _committed(check: Check, context: Context) -> Band:
    assert check.on_date is not None and check.scope is not None
    scenario = context.scenario
    as_of = scenario.time.as_of_day
    if check.on_date > as_of:
        raise NotApplicable(
            f"published {units.format_date(check.on_date)}, after the scenario's as-of "
            f"({units.format_date(as_of)})"
        )
    if not any(check.scope.matches(site_subject(scenario, s)) for s in scenario.sites):
        raise NotApplicable(f"the scenario has no site in scope ({check.scope.describe()})")
    missing = [b for b in check.contracted if b not in scenario.contracted]
    if missing:
        blocks = ", ".join(missing)
        raise NotApplicable(f"the count includes contracted {blocks}; the scenario has none")
    model, ds = context.draws()
    return _percentiles(committed_mw(model, ds, check.scope, check.on_date, check.contracted))


def _rpo(check: Check, context: Context) -> Band:
    assert check.on_date is not None and check.seller is not None
    scenario = context.scenario
    as_of = scenario.time.as_of_day
    if check.on_date > as_of:  # a later book was not known (stargate-2025-09 knows one quarter's)
        raise NotApplicable(
            f"published {units.format_date(check.on_date)}, after the scenario's as-of "
            f"({units.format_date(as_of)})"
        )
    if not any(c.kind == "compute" and c.payee == check.seller for c in scenario.contracts.values()):
        raise NotApplicable(f"the scenario has no compute contract paid to {check.seller}")
    series = rpo_series(context.money(), check.seller, check.signed_after)
    return _percentiles(series.at(check.on_date))


#: How each kind of check computes its model figure (None, or :class:`NotApplicable`: the
#: check does not apply).
KINDS: dict[str, Callable[[Check, Context], Band | None]] = {
    "convert": _convert,
    "site": _site,
    "economics": _economics,
    "committed": _committed,
    "rpo": _rpo,
}


@dataclass(frozen=True)
class Crosscheck:
    """Every check that applies to a scenario, and those that do not."""

    scenario: str
    results: list[CheckResult]
    skipped: list[tuple[str, str]]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": "crosscheck",
            "scenario": self.scenario,
            "checks": [r.as_dict() for r in self.results],
            "skipped": [{"name": n, "reason": why} for n, why in self.skipped],
            "passed": self.passed,
        }


def _cite(checks: Checks, ids: list[str]) -> str:
    return "; ".join(
        f"{checks.sources[s].publication} ({checks.sources[s].date}) {checks.sources[s].url}" for s in ids
    )


def _cite_short(checks: Checks, ids: list[str]) -> str:
    """The first source as its publisher and date, e.g. ``Financial Times 2025-05-23``."""
    first = checks.sources[ids[0]]
    publisher = first.publication.split(",")[0].split(" via ")[0].split(" (")[0]
    more = f" +{len(ids) - 1}" if len(ids) > 1 else ""
    if len(publisher) > 30:
        publisher = publisher[:30].rsplit(" ", 1)[0] + "…"
    return f"{publisher} {first.date}{more}"


def crosscheck(scenario: Scenario, name: str = "", checks: Checks | None = None) -> Crosscheck:
    """Run every check (default: ``data/crosschecks.yaml``) that applies to ``scenario``."""
    checks = checks or load_checks()
    context = Context(scenario)
    results, skipped = [], []
    for key, check in checks.checks.items():
        try:
            band = KINDS[check.kind](check, context)
        except NotApplicable as reason:
            skipped.append((key, str(reason)))
            continue
        if band is None:
            what = check.site if check.kind == "site" else check.accelerator
            skipped.append((key, f"the scenario has no {what}"))
            continue
        published, low, high = check.window()
        sources = check.published_range()
        results.append(
            CheckResult(
                name=key,
                title=check.title,
                published=published,
                low=low,
                high=high,
                model=band[1],
                model_band=band,
                passed=bool(low <= band[1] <= high),
                unit=OUTPUTS[check.output][2],
                source=_cite(checks, check.source),
                cited=_cite_short(checks, check.source),
                why=check.why,
                calibrated=check.calibrated,
                identity=check.identity,
                published_low=sources[1],
                published_high=sources[2],
            )
        )
    return Crosscheck(name, results, skipped)
