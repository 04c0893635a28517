"""The scenario compiled for simulation: phase table, parameters, time grid, series.

Also the engine's vocabulary: :data:`CAUSES` (what can set a phase's online date) and the
time constants its arithmetic uses.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt import cadence, units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.distributions import Dist
from gigawatt.engine.histograms import _SUM_UNIT
from gigawatt.leadtimes import lead_parameters
from gigawatt.priors import Priors, scenario_priors
from gigawatt.sampling import collect
from gigawatt.scenario import Scenario, Site

#: Mean weeks in a year (365.25 / 7).
WEEKS_PER_YEAR = units.WEEKS_PER_YEAR
DAYS_PER_WEEK = 7.0
#: What can set a phase's online date, in the order ties are attributed.
CAUSES = (
    "observed",
    "construction",
    "power:grid",
    "power:gas",
    "power:solar_battery",
    "accelerator availability",
    "transformers",
    "turbine supply",
    "accelerator supply",
    "build rate",
    "not built",
)
_PERIOD_WEEKS = {
    "week": 1.0,
    "month": WEEKS_PER_YEAR / 12,
    "quarter": WEEKS_PER_YEAR / 4,
    "year": WEEKS_PER_YEAR,
}
_STAGES = ("permitting", "site_and_shell", "it_fit_out", "commissioning")


@dataclass(frozen=True)
class PhaseInfo:
    """Static facts about one phase (one row of the ``phase`` dimension)."""

    id: str
    site: str
    index: int
    name: str
    status: str
    country: str
    region: str
    operator: str
    tenant: str
    programme: str
    accelerator: str
    cooling: str
    basis: str
    priority: int
    #: the chance the phase is built at all (``Phase.probability``)
    probability: float = 1.0
    #: the parameter of its site's facility W per accelerator (``Site.per_accelerator``), where
    #: the site's published count sets it; "" where the catalog's IT W × PUE does
    density_path: str = ""


@dataclass(frozen=True)
class SupplyInfo:
    name: str
    resource: str
    per_weeks: float
    phases: tuple[int, ...]


@dataclass(frozen=True)
class StepSeries:
    """A per-phase quantity summed over phases online: which variable, which phases,
    the histogram's upper bound and the integer unit its sums are kept in."""

    variable: str
    mask: np.ndarray
    high: float
    unit: float


@dataclass
class Model:
    """A scenario compiled for simulation: phase table, parameters, time grid."""

    scenario: Scenario
    phases: list[PhaseInfo]
    parameters: dict[str, Dist]
    grid_days: np.ndarray
    as_of_day: float
    supplies: list[SupplyInfo]
    series: dict[str, np.ndarray]
    series_high_mw: dict[str, float]
    #: each phase's largest facility MW (its largest size; IT power at the highest PUE)
    phase_high_mw: np.ndarray
    step_series: dict[str, StepSeries]
    year_ends: np.ndarray
    #: fitted build priors in effect (:mod:`gigawatt.cadence`), or None for the catalog's stages
    priors: Priors | None = None

    @classmethod
    def from_scenario(cls, scenario: Scenario, priors: Priors | None = None) -> Model:
        """Compile ``scenario``; ``priors`` replace the scenario's own (``priors:``, else the shipped fit)."""
        if priors is None:
            priors = scenario_priors(scenario)
        phases = _phase_table(scenario)
        params = _parameters(scenario, phases, priors, load_catalog())
        grid = _time_grid(scenario)
        series = _series(phases)
        high, step_series = _step_series(scenario, phases, params, series)
        return cls(
            scenario=scenario,
            phases=phases,
            parameters=params,
            grid_days=grid,
            as_of_day=scenario.time.as_of_day,
            supplies=_supplies(scenario, phases),
            series=series,
            series_high_mw={k: float(high[m].sum()) for k, m in series.items()},
            phase_high_mw=high,
            step_series=step_series,
            year_ends=_year_ends(grid),
            priors=priors,
        )

    @property
    def accelerator_ids(self) -> list[str]:
        return [k.split(":", 1)[1] for k in self.series if k.startswith("accelerator:")]

    def phase_path(self, k: int) -> str:
        p = self.phases[k]
        return f"sites.{p.site}.phases[{p.index}]"


def _phase_table(scenario: Scenario) -> list[PhaseInfo]:
    """One row per phase, sites in scenario order, phases in site order."""
    phases: list[PhaseInfo] = []
    for site_id, site in scenario.sites.items():
        for index, phase in enumerate(site.phases):
            phases.append(
                PhaseInfo(
                    id=f"{site_id}/{phase.name}",
                    site=site_id,
                    index=index,
                    name=phase.name,
                    status=phase.status,
                    country=site.country,
                    region=site.region,
                    operator=site.operator or "",
                    tenant=site.tenant or "",
                    programme=site.programme,
                    accelerator=phase.accelerator or site.accelerator,
                    cooling=site.cooling,
                    basis=site.power_basis,
                    priority=site.priority,
                    probability=phase.probability,
                    density_path=_density_path(site_id, site, phase.accelerator or site.accelerator),
                )
            )
    return phases


def _density_path(site_id: str, site: Site, accelerator: str) -> str:
    """The parameter of the site's own facility W per accelerator for phases of ``accelerator``
    (:meth:`Site.facility_w_per_accelerator`), else ""."""
    if site.facility_w_per_accelerator(accelerator) is None:
        return ""
    return f"sites.{site_id}.per_accelerator.facility_power"


def _parameters(
    scenario: Scenario, phases: list[PhaseInfo], priors: Priors | None, catalog: Catalog
) -> dict[str, Dist]:
    """Every uncertain number by path: the scenario's own, then the accelerators, PUE and stage
    durations of its phases (the catalog's where it states none), build priors, lead times."""
    params = collect(scenario)
    bought = {b.accelerator for b in scenario.contracted.values()}
    for acc_id in sorted({p.accelerator for p in phases} | bought):
        acc = scenario.accelerator(acc_id)
        for key in ("it_power_w", "bf16_flops", "price_usd", "available_date", "h100_equivalents"):
            params[f"accelerators.{acc_id}.{key}"] = getattr(acc, key)
    for cooling in sorted({p.cooling for p in phases} | ({"liquid"} if bought else set())):
        params[f"pue.{cooling}"] = catalog.cost("pue", cooling).dist()
    for stage in _STAGES:
        dist = getattr(scenario.stages, f"{stage}_weeks") or catalog.cost("stages", stage).dist()
        for p in phases:
            params[f"sites.{p.site}.phases[{p.index}].stages.{stage}"] = dist
    for p in phases:  # whether an optional phase is built: built where the draw is below its chance
        if p.probability < 1:
            params[f"sites.{p.site}.phases[{p.index}].built"] = Dist("uniform", (0.0, 1.0))
    params.update(cadence.parameters(scenario, phases, priors))
    params.update(lead_parameters(catalog))
    return params


def _time_grid(scenario: Scenario) -> np.ndarray:
    """Days of the reporting grid: ``time.start`` to ``time.end`` by ``time.step``."""
    step = _PERIOD_WEEKS[scenario.time.step] * DAYS_PER_WEEK
    return np.arange(scenario.time.start_day, scenario.time.end_day + 1e-9, step)


def _supplies(scenario: Scenario, phases: list[PhaseInfo]) -> list[SupplyInfo]:
    """Each shared limit and the phases it serves (an accelerator limit: its accelerators')."""
    supplies = []
    for name, limit in scenario.supply.items():
        if limit.resource == "accelerators":
            members = tuple(i for i, p in enumerate(phases) if p.accelerator in limit.accelerators)
        else:
            members = tuple(range(len(phases)))
        supplies.append(SupplyInfo(name, limit.resource, _PERIOD_WEEKS[limit.per], members))
    return supplies


def _series(phases: list[PhaseInfo]) -> dict[str, np.ndarray]:
    """Phase masks of the reported series: total, each site, country, party and accelerator."""
    series: dict[str, np.ndarray] = {"total": np.ones(len(phases), bool)}
    for key in ("site", "country", "tenant"):
        label = "party" if key == "tenant" else key
        for value in sorted({getattr(p, key) for p in phases} - {""}):
            series[f"{label}:{value}"] = np.array([getattr(p, key) == value for p in phases])
    for acc_id in sorted({p.accelerator for p in phases}):
        series[f"accelerator:{acc_id}"] = np.array([p.accelerator == acc_id for p in phases])
    return series


def _step_series(
    scenario: Scenario, phases: list[PhaseInfo], params: dict[str, Dist], series: dict[str, np.ndarray]
) -> tuple[np.ndarray, dict[str, StepSeries]]:
    """Each phase's highest facility MW, and the series of other quantities online (IT MW,
    FLOP/s, H100-equivalents, accelerators of each kind) with their histograms' upper bounds."""
    high = np.array(
        [
            scenario.sites[p.site].phases[p.index].power_mw.high
            * (params[f"pue.{p.cooling}"].high if p.basis == "it" else 1.0)
            for p in phases
        ]
    )
    count_high = np.array(
        [
            h * 1e6 / params[p.density_path or f"accelerators.{p.accelerator}.it_power_w"].low
            for h, p in zip(high, phases, strict=True)
        ]
    )
    per_acc = {
        key: np.array([params[f"accelerators.{p.accelerator}.{key}"].high for p in phases])
        for key in ("bf16_flops", "h100_equivalents")
    }
    everything = np.ones(len(phases), bool)
    step_series = {
        "flops": StepSeries(
            "bf16_flops", everything, float((count_high * per_acc["bf16_flops"]).sum()), 1e12
        ),
        "it": StepSeries("it_mw", everything, float(high.sum()), _SUM_UNIT["mw"]),
        "h100e": StepSeries(
            "h100_equivalents", everything, float((count_high * per_acc["h100_equivalents"]).sum()), 1.0
        ),
    }
    for acc_id in sorted({p.accelerator for p in phases}):
        mask = series[f"accelerator:{acc_id}"]
        step_series[f"accelerators:{acc_id}"] = StepSeries(
            "accelerators", mask, float(count_high[mask].sum()), 1.0
        )
    return high, step_series


def _year_ends(grid: np.ndarray) -> np.ndarray:
    """December 31st of each year within the grid (the year ends that tables report)."""
    first_year = units.date_from_days(grid[0]).year
    last_year = units.date_from_days(grid[-1]).year
    return np.array(
        [
            units.parse_date(str(y))
            for y in range(first_year, last_year + 1)
            if units.parse_date(str(y)) <= grid[-1]
        ]
    )
