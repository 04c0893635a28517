"""Score the engine's build-time forecasts against observed campus histories.

For each campus in an Epoch-format timelines CSV, the scenario is built from its
as-of point (default: its first timeline row, land clearing or construction start):
its place and the dates known then. Not everything is as it was known then: its phase
sizes and their number come from the whole history (one phase per rise of its power,
later rows included), and power is unconstrained (a grid of the campus's final size,
available from the start), so the score is of the build timing alone. The engine simulates
it with fitted priors (:mod:`gigawatt.priors`; by default fitted leave-one-campus-
out: every campus is forecast with priors fitted on the others), and every later
milestone — MW online by a date — is scored against the simulated distribution
of the date that MW was reached:

* inside the P10–P90 band or not, and the band's width in months (a wide band covers
  cheaply: the headline gives its median beside the coverage);
* the P50 error in months (positive: forecast late), beside the naive baselines'
  (:mod:`gigawatt.baselines`: forecasts that know only the milestone's index);
* CRPS in days (the mean absolute error of the whole distribution: E|X - y| - E|X - X'|/2,
  Gneiting & Raftery 2007, doi:10.1198/016214506000001437);
* the PIT value F(y) (the share of draws before the observation; flat if calibrated).

Milestones dated after the file's snapshot are Epoch's projections, not observations:
``kind: projected``, scored apart and never in the headline figures. A campus with
nothing online by the snapshot is right-censored: its first milestone is ``censored``,
checked only for whether the forecast left room for it (P90 after the snapshot).
Campuses marked power-limited are scored apart too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from gigawatt import units
from gigawatt.baselines import baselines
from gigawatt.calibrate import Calibration, calibrate
from gigawatt.engine import Model, simulate_block
from gigawatt.errors import GigawattError
from gigawatt.io.epoch import Issue, place
from gigawatt.io.epoch_timelines import TimelineRow, _timeline_phases, read_timelines
from gigawatt.priors import Priors, developer_class, fit_priors
from gigawatt.scenario import Scenario

__all__ = [
    "Backtest",
    "CampusForecast",
    "Milestone",
    "backtest",
    "score",
]

#: Mean days in a month (365.25 / 12).
DAYS_PER_MONTH = 30.4375
#: The last day simulated: later dates count as "not by then" (the censoring horizon of every draw).
HORIZON = "2045-12-31"
_PIT_BINS = 5
#: A campus's first row saying it retrofits an existing building (e.g. "retrofitting a former
#: Electrolux building"): its first building reuses a shell (``existing_shell``), known from the start.
_RETROFIT = re.compile(r"\bretrofit", re.IGNORECASE)


@dataclass(frozen=True)
class Milestone:
    """One cumulative power level of a campus and the forecast of the date it was reached."""

    campus: str
    mw: float
    observed: str | None
    p10: str
    p50: str
    p90: str
    inside: bool
    p50_error_months: float | None
    crps_days: float | None
    pit: float | None
    kind: str  # observed | projected | censored
    line: int
    power_limited: bool = False


@dataclass
class CampusForecast:
    """A campus's forecast: its as-of point, what was simulated, its fan against the steps seen."""

    campus: str
    as_of: str
    developer_class: str | None
    power_limited: bool
    priors: str
    milestones: list[Milestone]
    #: dates (month starts) and the P10/P50/P90 MW online by each, for the fan plot
    fan_dates: list[str] = field(default_factory=list)
    fan_mw: list[list[float]] = field(default_factory=list)
    #: (date, MW) steps of the timeline, observed and projected
    steps: list[tuple[str, float, str]] = field(default_factory=list)


@dataclass
class Backtest:
    """Every campus's forecast and the headline scores over observed milestones."""

    file: str
    snapshot: str
    draws: int
    leave_one_out: bool
    campuses: list[CampusForecast]
    issues: list[Issue]
    #: reference forecasts from the campuses' first rows (:func:`gigawatt.baselines.baselines`)
    baselines: dict[str, Any] = field(default_factory=dict)

    @property
    def milestones(self) -> list[Milestone]:
        return [m for c in self.campuses for m in c.milestones]

    def scores(self, kind: str = "observed", power_limited: bool = False) -> dict[str, Any]:
        """Coverage, median |P50 error|, mean CRPS and the PIT of one kind of milestone."""
        chosen = [m for m in self.milestones if m.kind == kind and m.power_limited == power_limited]
        return score(chosen)

    def campus_bootstrap(self, reps: int = 2000, seed: int = 0) -> dict[str, list[float] | None]:
        """90% intervals of coverage and median |P50 error| resampling whole campuses.

        Milestones of one campus share its forecast, so they are not independent; the
        campus is the unit resampled (with replacement), which is what says how much
        the headline figures could move with another handful of campuses.
        """
        groups = [
            [m for m in c.milestones if m.kind == "observed" and not m.power_limited] for c in self.campuses
        ]
        groups = [g for g in groups if g]
        if len(groups) < 2:
            return {"coverage": None, "median_abs_p50_error_months": None}
        rng = np.random.default_rng(seed)
        coverage, error = [], []
        for _ in range(reps):
            chosen = [m for i in rng.integers(0, len(groups), len(groups)) for m in groups[i]]
            coverage.append(np.mean([m.inside for m in chosen]))
            error.append(np.median([abs(m.p50_error_months or 0.0) for m in chosen]))
        return {
            "coverage": [round(float(v), 3) for v in np.quantile(coverage, [0.05, 0.95])],
            "median_abs_p50_error_months": [round(float(v), 2) for v in np.quantile(error, [0.05, 0.95])],
        }

    def by_step(self) -> dict[str, dict[str, Any]]:
        """Observed milestones split: each forecast's first (its next building) and the later ones.

        The first tests the build-span prior; the later ones add the cadence between
        buildings and a horizon of years, so their errors grow with it.
        """
        first, later = [], []
        for c in self.campuses:
            seen = [m for m in c.milestones if m.kind == "observed" and not m.power_limited]
            first += seen[:1]
            later += seen[1:]
        return {
            "first": {k: v for k, v in score(first).items() if k != "pit"},
            "later": {k: v for k, v in score(later).items() if k != "pit"},
        }

    def by_campus(self) -> dict[str, dict[str, Any]]:
        """Observed milestones' scores per campus (without PIT): where the error comes from, and its sign."""
        out: dict[str, list[Milestone]] = {}
        for c in self.campuses:
            seen = [m for m in c.milestones if m.kind == "observed" and not m.power_limited]
            if seen:
                out.setdefault(c.campus, []).extend(seen)
        drop = ("pit", "pit_test")
        return {k: {n: v for n, v in score(ms).items() if n not in drop} for k, ms in out.items()}

    def as_dict(self) -> dict[str, Any]:
        head = self.scores()
        censored = [m for m in self.milestones if m.kind == "censored"]
        return {
            "kind": "backtest",
            "file": self.file,
            "snapshot": self.snapshot,
            "draws": self.draws,
            "priors": "leave-one-campus-out" if self.leave_one_out else "as given",
            **head,
            "campus_bootstrap_90": self.campus_bootstrap(),
            "by_step": self.by_step(),
            "by_campus": self.by_campus(),
            "baselines": self.baselines,
            "projected": self.scores("projected"),
            "power_limited": {
                "observed": self.scores("observed", True),
                "projected": self.scores("projected", True),
            },
            "censored": {
                "count": len(censored),
                "consistent": sum(m.inside for m in censored),
                "note": "nothing online by the snapshot: consistent if the forecast's P90 is after it",
            },
            "campuses": [
                {k: v for k, v in asdict(c).items() if k != "milestones"} | {"milestones": len(c.milestones)}
                for c in self.campuses
            ],
            "milestones": [asdict(m) for m in self.milestones],
            "issues": [vars(i) for i in self.issues],
        }


def score(milestones: Iterable[Milestone]) -> dict[str, Any]:
    """Headline figures over milestones with an observation: coverage and the median width of
    the P10–P90 bands behind it, |P50 error|, CRPS, PIT."""
    chosen = [m for m in milestones if m.pit is not None]
    if not chosen:
        return {
            "count": 0,
            "coverage": None,
            "median_band_months": None,
            "median_abs_p50_error_months": None,
            "mean_abs_p50_error_months": None,
            "median_p50_error_months": None,
            "late": 0,
            "crps_days": None,
            "pit": [],
            "pit_test": None,
        }
    pit = np.array([m.pit for m in chosen], dtype=float)
    signed = np.array([m.p50_error_months or 0.0 for m in chosen])
    errors = np.abs(signed)
    counts = np.histogram(pit, bins=_PIT_BINS, range=(0.0, 1.0))[0]
    chi2 = stats.chisquare(counts)
    ks = stats.kstest(pit, "uniform")
    widths_days = [units.parse_date(m.p90) - units.parse_date(m.p10) for m in chosen]
    return {
        "count": len(chosen),
        "coverage": float(np.mean([m.inside for m in chosen])),
        # how wide the P10–P90 bands were that gave the coverage (a 5-year band covers cheaply)
        "median_band_months": round(float(np.median(widths_days)) / DAYS_PER_MONTH, 1),
        "median_abs_p50_error_months": float(np.median(errors)),
        "mean_abs_p50_error_months": round(float(np.mean(errors)), 2),
        # the bias: the median signed error (positive: forecasts late) and how many were late
        "median_p50_error_months": float(np.median(signed)),
        "late": int(np.sum(signed > 0)),
        "crps_days": float(np.mean([m.crps_days for m in chosen])),
        "pit": [round(float(v), 4) for v in pit],
        "pit_test": {
            "bins": counts.tolist(),
            "chi2": float(chi2.statistic),
            "chi2_p": float(chi2.pvalue),
            "ks": float(ks.statistic),
            "ks_p": float(ks.pvalue),
        },
    }


def _crps(draws: np.ndarray, observed: float) -> float:
    """CRPS of an ensemble (days): E|X - y| - E|X - X'| / 2, the latter by sorted sums."""
    x = np.sort(draws)
    n = len(x)
    spread = 2.0 * np.sum(x * (2 * np.arange(1, n + 1) - n - 1)) / (n * n)
    return float(np.mean(np.abs(x - observed)) - 0.5 * spread)


def _campus_scenario(
    campus: str, history: list[TimelineRow], as_of: float, *, power_limited: bool, cls: str | None
) -> Scenario:
    phases = _timeline_phases(history, as_of, keep_projections=False)
    retrofit = history[0].date <= as_of and bool(_RETROFIT.search(history[0].text))
    where = place(campus) or ("ZZ", "unknown")
    first_year = min(units.date_from_days(as_of).year, units.date_from_days(history[0].date).year)
    total = sum(units.parse(p["power"], "power") for p in phases)
    data = {
        "name": f"backtest-{campus}",
        "time": {
            "start": f"{first_year}-01-01",
            "end": HORIZON,
            "as_of": units.format_date(as_of),
            "step": "month",
        },
        # Chips are not what a build history dates: an accelerator available from the start.
        "accelerators": {"any-chip": {"base": "h100", "available": f"{first_year}-01-01"}},
        "sites": {
            "campus": {
                "name": campus,
                "country": where[0],
                "region": where[1],
                "power_basis": "facility",
                "accelerator": "any-chip",
                "developer_class": cls,
                "power_limited": power_limited,
                "existing_shell": retrofit,
                "power_plan": [
                    {"kind": "grid", "capacity": f"{total:g} MW", "available": f"{first_year}-01-01"}
                ],
                "phases": [{k: v for k, v in p.items() if k not in ("source", "note")} for p in phases],
            }
        },
    }
    return Scenario.model_validate(data)


def _month_starts(first: float, last: float) -> np.ndarray:
    a, b = units.date_from_days(first), units.date_from_days(last)
    months = [(y, m) for y in range(a.year, b.year + 1) for m in range(1, 13)]
    return np.array(
        [
            units.parse_date(f"{y}-{m:02d}-01")
            for y, m in months
            if (y, m) >= (a.year, a.month) and (y, m) <= (b.year, b.month)
        ]
    )


def _forecast(
    campus: str,
    history: list[TimelineRow],
    as_of: float,
    snapshot: float,
    priors: Priors,
    priors_label: str,
    *,
    draws: int,
    seed: int,
    power_limited: bool,
    only_next: bool = False,
) -> CampusForecast:
    """A campus forecast from its history up to ``as_of``, scored on every later rise
    (only the next with ``only_next``), with its monthly fan of facility MW online."""
    cls = developer_class(campus)
    scenario = _campus_scenario(campus, history, as_of, power_limited=power_limited, cls=cls)
    model = Model.from_scenario(scenario, priors=priors)
    ds = simulate_block(model, seed, 0, draws)
    online = ds["online_date"].values  # (draw, phase), inf past the horizon
    reached = np.maximum.accumulate(online, axis=1)  # a level is reached once every phase up to it is online
    rises = _rises(history)
    anything_by_snapshot = any(r.date <= snapshot for r in rises)
    milestones: list[Milestone] = []
    for j, row in enumerate(rises):
        if row.date <= as_of:
            continue  # known at the as-of point: a fact, not a forecast
        if only_next and milestones:
            break
        censored = not anything_by_snapshot and not milestones
        milestones.append(_milestone(campus, row, reached[:, j], snapshot, censored, power_limited))
    last = max([r.date for r in history] + [as_of]) + 365.25
    grid = _month_starts(as_of, last)
    level = (ds["facility_mw"].values[:, None, :] * (online[:, None, :] <= grid[None, :, None])).sum(axis=2)
    fan = np.quantile(level, [0.1, 0.5, 0.9], axis=0)  # (quantile, month)
    return CampusForecast(
        campus=campus,
        as_of=units.format_date(as_of),
        developer_class=cls,
        power_limited=power_limited,
        priors=priors_label,
        milestones=milestones,
        fan_dates=[units.format_date(d) for d in grid],
        fan_mw=[[round(float(v), 1) for v in q] for q in fan],
        steps=[
            (units.format_date(r.date), r.power_mw, "observed" if r.date <= snapshot else "projected")
            for r in history
        ],
    )


def _milestone(
    campus: str, row: TimelineRow, reached: np.ndarray, snapshot: float, censored: bool, power_limited: bool
) -> Milestone:
    """One rise scored against the draws' days ``reached`` (inf: not within the horizon):
    observed by the snapshot, Epoch's projection after it, or ``censored`` (nothing online by
    the snapshot: only whether P90 lies beyond it)."""
    sim = np.where(np.isfinite(reached), reached, units.parse_date(HORIZON))
    p10, p50, p90 = np.quantile(sim, [0.1, 0.5, 0.9])
    bands = {"p10": units.format_date(p10), "p50": units.format_date(p50), "p90": units.format_date(p90)}
    if censored:
        return Milestone(
            campus,
            row.power_mw,
            None,
            **bands,
            inside=bool(p90 > snapshot),
            p50_error_months=None,
            crps_days=None,
            pit=None,
            kind="censored",
            line=row.line,
            power_limited=power_limited,
        )
    pit = float((np.sum(sim < row.date) + 0.5 * np.sum(sim == row.date)) / len(sim))
    return Milestone(
        campus,
        row.power_mw,
        units.format_date(row.date),
        **bands,
        inside=bool(p10 <= row.date <= p90),
        p50_error_months=round(float((p50 - row.date) / DAYS_PER_MONTH), 2),
        crps_days=round(_crps(sim, row.date), 1),
        pit=round(pit, 4),
        kind="observed" if row.date <= snapshot else "projected",
        line=row.line,
        power_limited=power_limited,
    )


def _rises(history: list[TimelineRow]) -> list[TimelineRow]:
    """The rows where a campus's power rises above its earlier peak: one phase each."""
    out, peak = [], 0.0
    for row in history:
        if row.power_mw > peak:
            out.append(row)
            peak = row.power_mw
    return out


def backtest(
    text: str,
    *,
    snapshot_date: float,
    file: str = "<csv>",
    priors: Priors | None = None,
    leave_one_out: bool = True,
    as_of: str | float = "first",
    draws: int = 500,
    seed: int = 0,
    power_limited: Iterable[str] = (),
) -> Backtest:
    """Forecast every campus from its as-of point and score the milestones that followed.

    ``priors`` given: used as they are for every campus. Otherwise fitted on the
    file's rows up to the snapshot: leave-one-campus-out by default, or on all
    campuses (in sample) with ``leave_one_out=False``. ``as_of``: ``"first"`` (each
    campus's first row) or a date (days since 1970) applied to every campus.
    """
    histories, issues = read_timelines(text, file)
    limited = set(power_limited)
    unknown = sorted(limited - set(histories))
    if unknown:
        raise GigawattError(f"--power-limited: no campus named {unknown[0]!r} in {file}")
    calibration = calibrate(text, as_of_date=snapshot_date, file=file) if priors is None else None
    shared = priors
    if calibration is not None and not leave_one_out:
        shared = fit_priors(calibration)
    campuses = []
    for campus, history in histories.items():
        if as_of == "previous":
            # one forecast per milestone, from the last timeline row before it (never a projected row)
            points = sorted(
                {
                    max(r.date for r in history if r.date < rise.date)
                    for rise in _rises(history)
                    if rise.date > history[0].date
                }
                - {d for d in (r.date for r in history) if d > snapshot_date}
            )
        else:
            points = [history[0].date if as_of == "first" else float(as_of)]
        if not points:
            issues.append(
                Issue(history[0].line, campus, "no power rise after the first row: nothing to score")
            )
            continue
        for start in points:
            forecast = _campus_forecast(
                campus,
                history,
                start,
                snapshot_date,
                calibration,
                shared,
                priors,
                issues,
                draws=draws,
                seed=seed,
                power_limited=campus in limited,
                only_next=as_of == "previous",
            )
            if forecast is not None:
                campuses.append(forecast)
    if not campuses:
        notes = [i.located(file) for i in issues]
        raise GigawattError(
            "\n".join([f"{file}: no campus has a milestone after its as-of point to score", *notes])
        )
    return Backtest(
        file,
        units.format_date(snapshot_date),
        draws,
        priors is None and leave_one_out,
        campuses,
        issues,
        baselines(histories, snapshot_date),
    )


def _campus_forecast(
    campus: str,
    history: list[TimelineRow],
    start: float,
    snapshot_date: float,
    calibration: Calibration | None,
    shared: Priors | None,
    given: Priors | None,
    issues: list[Issue],
    *,
    draws: int,
    seed: int,
    power_limited: bool,
    only_next: bool,
) -> CampusForecast | None:
    """One campus forecast from ``start`` (None, with a note, when there is nothing to score)."""
    if start < history[0].date:
        issues.append(
            Issue(history[0].line, campus, "not started by the as-of date: nothing to forecast from")
        )
        return None
    if not any(r.date > start for r in _rises(history)):
        issues.append(Issue(history[0].line, campus, "no power rise after the as-of point: nothing to score"))
        return None
    if shared is not None:
        chosen, label = shared, "given" if given is not None else "all campuses (in sample)"
    else:
        assert calibration is not None
        chosen, label = fit_priors(calibration, exclude=frozenset({campus})), "leave-one-campus-out"
    return _forecast(
        campus,
        history,
        start,
        snapshot_date,
        chosen,
        label,
        draws=draws,
        seed=seed,
        power_limited=power_limited,
        only_next=only_next,
    )
