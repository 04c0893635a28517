"""The results contract: every summary that crosses a shell (``--json``, the store, the report,
the dashboard) is one of these models, with an explicit ``kind`` and a ``version``.

The report and the dashboard read ``kind``; they never guess it from a summary's keys. A
model names every top-level field its producer writes, with its type; nested figures keep the
producer's plain structure (``dict``/``list``), so adding a nested figure needs no change here.
Fields a producer adds later are kept (``extra="allow"``) until they are named here.
``gigawatt schema --results`` prints the JSON Schema of each.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "RESULTS",
    "VERSION",
    "BacktestSummary",
    "CrosscheckSummary",
    "FinanceSummary",
    "FlowsSummary",
    "Listing",
    "PlanSummary",
    "Result",
    "RunSummary",
    "SensitivitySummary",
    "StressSummary",
    "TargetRow",
    "demand_forecast",
    "json_schemas",
    "kind_of",
    "stamped",
    "tagged",
    "target_outcome",
    "unreachable_reason",
]

#: Version of the results contract; raised when a named field changes meaning or type (2: an
#: observed target's ``probability`` and date quantiles are null, ``met`` says its outcome).
VERSION = 2

Band = dict[str, float | str | None]  # {"p10": …, "p50": …, "p90": …}


class Result(BaseModel):
    """What every result carries: its ``kind`` and the contract ``version``."""

    model_config = ConfigDict(extra="allow", arbitrary_types_allowed=True)

    kind: str
    version: int = VERSION

    def as_dict(self) -> dict[str, Any]:
        """Plain data (kind and version first), as ``--json`` prints it and the store keeps it:
        the fields the producer gave (an optional field it left out stays out)."""
        return self.model_dump(mode="python", exclude_unset=True)


class TargetRow(BaseModel):
    """One target of a run: a forecast (``probability``, P50/P90 dates met), a fact observed by
    the as-of date (``observed``: ``met``, ``met_on``; no probability or date quantiles), not
    forecast (a status basis: ``probability`` is the share of draws whose statuses at the as-of
    date meet it), or unreachable (``reachable`` false: met in no draw, by size or by date)."""

    model_config = ConfigDict(extra="allow")

    name: str
    gw: float = Field(description="Facility GW the target names.")
    basis: str
    scope: str
    by: str = Field(description="The date it is to be met by (ISO).")
    probability: float | None = Field(
        description="Share of draws meeting it by its date; null for an observed target (a fact)."
    )
    p50_date: str | None = Field(description="P50 date met (null: not within the horizon, or observed).")
    p90_date: str | None = Field(description="P90 date met (null: not within the horizon, or observed).")
    observed: bool = Field(False, description="Decided by facts observed by the run's as-of date, not drawn.")
    met: bool | None = Field(None, description="Observed: met by its date (absent for a forecast).")
    met_on: str | None = Field(None, description="Observed: the day the facts met it (null: missed).")
    reached_on: str | None = Field(
        None, description="Observed: the day the facts first reached it, maybe late."
    )
    decided_by: str | None = Field(None, description="Observed: which facts decided it.")
    forecast: bool = Field(True, description="Forecast by the engine (online or under construction basis).")
    ceiling_gw: float | None = Field(None, description="The most facility GW its scope can hold in any draw.")
    reachable: bool = Field(
        True, description="False: a forecast met in no draw (unreachable_reason says why)."
    )
    unreachable_reason: str | None = Field(
        None, description="Why no draw meets it: its scope's size, or what can be online by its date."
    )


class RunSummary(Result):
    """``gigawatt run``: capacity online, targets, what holds it back (``engine.Results.summary``);
    a recorded run adds ``money`` (``finance.summary.with_money``)."""

    kind: Literal["run"] = "run"
    scenario: str
    draws: int
    seed: int
    as_of: str | None = None
    targets: list[TargetRow] = Field(
        description="Each target: P(met) and date bands, or its observed outcome."
    )
    capacity_gw: dict[str, Any] = Field(description="Facility/IT GW online at year ends, as bands.")
    year_ends: list[Any]
    breakdown: dict[str, Any]
    demand: list[Any] = Field(
        description="Demand against capacity at year ends; a row before the as-of date (before_as_of) "
        "has observed capacity and no observed demand: its surplus and P(covered) are null."
    )
    supply: dict[str, Any]
    constraints: dict[str, Any] = Field(description="What set each phase's online date, by MW.")
    phases: dict[str, Any]
    money: dict[str, Any] | None = None


class PlanSummary(Result):
    """``gigawatt plan``: the least-cost plan, its duals and (``--robust``) the re-plans."""

    kind: Literal["plan"] = "plan"
    scenario: str
    status: str
    objective_usd: float | None
    periods: list[str]
    demand_flops: list[float]
    served_flops: list[float]
    unmet_flops: list[float]
    demand_mw: list[float]
    served_mw: list[float]
    unmet_mw: list[float]
    assumptions: dict[str, Any]
    sites: dict[str, Any]
    binding: list[Any]
    robust: dict[str, Any] | None = None
    capacity_flops: list[float] | None = Field(
        None,
        description="FLOP/s serving demand per quarter (existing, contracted, under construction, built).",
    )
    fixed_builds: dict[str, Any] | None = Field(
        None,
        description="Phases under construction: fixed, not decisions; MW, FLOP/s, committed capex "
        "(not in objective_usd).",
    )


class StressSummary(Result):
    """``gigawatt stress``: base and shocked money, who runs short, exposure, explanations."""

    kind: Literal["stress"] = "stress"
    scenario: str
    draws: int
    seed: int
    shocks: list[str]
    base: dict[str, Any]
    shocked: dict[str, Any]
    key_figures: dict[str, Any]
    explanations: list[Any]


class SensitivitySummary(Result):
    """``gigawatt sensitivity``: Sobol' or Morris indices and a tornado of one output."""

    kind: Literal["sensitivity"] = "sensitivity"
    scenario: str
    method: str
    output: str
    evaluations: int
    output_mean: float | None
    output_std: float | None
    tornado_base: float | None
    parameters: list[dict[str, Any]]
    notes: list[str]
    #: what makes the indices mean something else than asked (a date the all-median point never
    #: reaches); absent from records made before it was added
    warnings: list[str] = []


class FinanceSummary(Result):
    """``gigawatt finance``: statements by party and year, unit economics, commitments."""

    kind: Literal["finance"] = "finance"
    scenario: str
    draws: int
    seed: int
    step: str
    statements: dict[str, Any] = Field(
        description="Per party: lines by year and totals over the horizon (P10/P50/P90). Its NPVs "
        "(totals.npv_usd, npv_with_financing_usd, npv_cash_only_usd) are valued at npv_valued_at, the "
        "scenario's as-of date (its start without one), over the flows from then on and the terminal "
        "value; the flows before it are sunk: totals.net_cash_before_as_of_usd, "
        "cash_out_before_as_of_usd. The IRR is over every flow since the start (finance.statements)."
    )
    unit_economics: dict[str, Any]
    commitments: dict[str, Any]
    funding_need: dict[str, Any] = Field(
        default_factory=dict,
        description="Outside capital per party (finance.funding): every party stating cash or a "
        "funding policy, and every other whose modelled flows go below zero from the as-of date "
        "(cash_stated false: beyond its modelled flows, its own cash not stated; shortfall_usd null).",
    )
    #: sites whose costs parties pay with no customer's payment modelled (finance.customers)
    sites_without_customer: list[dict[str, Any]] = []


class FlowsSummary(Result):
    """``gigawatt flows``: the money graph over a window: cycles, circularity, Sankey data."""

    kind: Literal["flows"] = "flows"
    scenario: str
    draws: int
    seed: int
    window: dict[str, str]
    cycles: list[list[str]]
    exchanges: list[Any]
    circularity: dict[str, Any]
    sankey: dict[str, Any]
    cycle_names: list[list[str]]


class Milestone(BaseModel):
    """One milestone of a back-test: a campus's cumulative facility MW, the date it was reached
    (observed, an Epoch projection, or not yet: censored) and the forecast of that date."""

    model_config = ConfigDict(extra="allow")

    campus: str
    mw: float
    observed: str | None
    p10: str | None
    p50: str | None
    p90: str | None
    inside: bool
    p50_error_months: float | None
    kind: Literal["observed", "projected", "censored"]


class BacktestSummary(Result):
    """``gigawatt backtest`` (issue 14): each campus forecast from its as-of point, every later
    milestone scored against the forecast."""

    kind: Literal["backtest"] = "backtest"
    coverage: float | None = Field(description="Share of observed milestones inside the forecast's P10–P90.")
    median_band_months: float | None = Field(
        default=None,
        description="Median width of those milestones' P10–P90 bands, months: what the coverage cost "
        "(absent from records made before it was added).",
    )
    median_abs_p50_error_months: float | None
    crps_days: float | None
    pit: list[float] = Field(description="Probability integral transform of each observed date.")
    campuses: list[Any]
    milestones: list[Milestone]
    baselines: dict[str, Any] = Field(
        default_factory=dict,
        description="Naive forecasts from each campus's first row that know only the milestone's index "
        "(per_index_loo: the other campuses' median; per_index_hindsight: all campuses'), and the "
        "cadence by year (gigawatt.baselines).",
    )


class Check(BaseModel):
    """One cross-check: a published figure against the model's, with the model's range."""

    model_config = ConfigDict(extra="allow")

    name: str
    published: Any
    model: Any
    low: Any
    high: Any
    passed: bool | None
    source: Any
    #: the model's P50 against the published value, as a share (+0.2: 20% above)
    deviation: float | None = None


class CrosscheckSummary(Result):
    """``gigawatt crosscheck`` (issue 12): published figures the model must reproduce."""

    kind: Literal["crosscheck"] = "crosscheck"
    checks: list[Check]


class Listing(Result):
    """A list answer (scenarios, accelerators, runs): ``items`` of one ``kind`` of row."""

    items: list[Any]


#: Each summary kind → its model (what ``gigawatt schema --results`` prints).
RESULTS: dict[str, type[Result]] = {
    "run": RunSummary,
    "plan": PlanSummary,
    "stress": StressSummary,
    "sensitivity": SensitivitySummary,
    "finance": FinanceSummary,
    "flows": FlowsSummary,
    "backtest": BacktestSummary,
    "crosscheck": CrosscheckSummary,
}


def demand_forecast(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A run summary's demand rows from its as-of date on. Before it capacity is observed and
    demand never was (``before_as_of``), so a row there is no forecast: what shows or compares
    demand against capacity reads these."""
    return [row for row in summary.get("demand") or [] if not row.get("before_as_of")]


def target_outcome(target: Mapping[str, Any]) -> str | None:
    """A run's target in words where it is no forecast: observed (``met on D``, ``missed``,
    ``missed (reached D)``), ``unreachable, not forecast`` or ``not forecast`` (a status
    basis); None for a forecast, which reads as its probability. The CLI, the report and the
    dashboard say the same (a run recorded before ``met`` existed states ``met_on``)."""
    if target.get("observed"):
        if target.get("met_on"):
            return f"met on {target['met_on']}"
        reached = target.get("reached_on")
        return f"missed (reached {reached})" if reached else "missed"
    if not target.get("forecast", True):
        return "not forecast"
    if not target.get("reachable", True):
        by_size = target.get("ceiling_gw") is None or target["ceiling_gw"] < target["gw"]
        return "unreachable, not forecast" if by_size else "unreachable by its date, not forecast"
    return None


def unreachable_reason(target: Mapping[str, Any]) -> str:
    """Why an unreachable target is met in no draw (a run recorded before reasons were stated
    could only be unreachable by its scope's size)."""
    return target.get("unreachable_reason") or (
        f"its scope ({target['scope']}) holds at most {target['ceiling_gw']:,.2f} GW facility with every "
        f"phase at its largest, below {target['gw']:,g} GW"
    )


def tagged(kind: str, data: Any) -> Result:
    """``data`` as the result of ``kind``: validated by its model when it has one, a
    :class:`Listing` when it is a list, else a :class:`Result` carrying ``kind``."""
    if isinstance(data, Result):
        return data
    if isinstance(data, list):
        return Listing(kind=kind, version=VERSION, items=data)
    fields = {key: value for key, value in dict(data).items() if key not in ("kind", "version")}
    model = RESULTS.get(kind, Result)
    return model.model_validate({"kind": kind, "version": VERSION, **fields})


def stamped(kind: str, data: Any) -> dict[str, Any]:
    """``data`` with ``kind`` and ``version`` first, not validated: how the store keeps any
    summary it is given (it keeps what it is handed; the producers validate with :func:`tagged`)."""
    if isinstance(data, Result):
        return data.as_dict()
    rest = {key: value for key, value in dict(data).items() if key not in ("kind", "version")}
    return {"kind": kind, "version": VERSION, **rest}


def kind_of(summary: Any, default: str | None = None) -> str:
    """The ``kind`` a summary states (a store's older rows state none: ``default``)."""
    kind = summary.get("kind") if hasattr(summary, "get") else getattr(summary, "kind", None)
    if kind:
        return str(kind)
    if default:
        return default
    raise ValueError("the summary states no kind")


def json_schemas() -> dict[str, Any]:
    """The JSON Schema of each result kind."""
    return {kind: model.model_json_schema() for kind, model in RESULTS.items()}
