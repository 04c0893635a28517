"""Calibrate the stage-duration priors against observed build histories.

From Epoch's campus timelines (``data_center_timelines``) it measures, per campus
and using only rows dated on or before ``as_of`` (later rows are projections):

- ``first_building``: first timeline date (land clearing / construction start) to the
  first building operational — the span of the catalog's ``site_and_shell`` +
  ``it_fit_out`` + ``commissioning`` stages;
- ``roof_to_operational``: "roof complete on building N" to N buildings operational —
  ``it_fit_out`` + ``commissioning``;
- ``building_cadence``: weeks from one rise of a campus's operational power to the next
  (the gap still open at as-of, where the campus states more power, right-censored).

Each is fitted with a lognormal (maximum likelihood, open spans right-censored;
reported by P10/P50/P90) and,
where the catalog has a prior for that span, checked for coverage: the share of
observed durations inside the catalog's P10–P90 band. Campuses not yet at the end
event by ``as_of`` are right-censored: counted, not fitted.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.io.epoch import Issue
from gigawatt.io.epoch_timelines import TimelineRow, read_timelines
from gigawatt.lognormal import Fit, fit_lognormal

__all__ = [
    "SPANS",
    "Calibration",
    "Fit",
    "Observation",
    "SpanCheck",
    "calibrate",
    "catalog_band",
    "fit_lognormal",
]

#: Measured span → the catalog stages (``costs.yaml`` ``stages:``) whose sum it observes.
SPANS: dict[str, tuple[str, ...]] = {
    "first_building": ("site_and_shell", "it_fit_out", "commissioning"),
    "roof_to_operational": ("it_fit_out", "commissioning"),
    "building_cadence": (),
}
_WEEK = 7.0
_ROOF = re.compile(
    r"roof (?:is )?complete(?:d)? on buildings? (\d+)|building (\d+)[^.]*?roof is complete", re.I
)
_BAND_DRAWS = 200_000


@dataclass(frozen=True)
class Observation:
    """One measured duration (weeks) at a campus, between two timeline lines."""

    site: str
    from_line: int
    to_line: int | None
    duration_weeks: float
    censored: bool = False


@dataclass
class SpanCheck:
    """Observations of one span, their fit, and how well the catalog's prior covers them."""

    span: str
    stages: tuple[str, ...]
    observations: list[Observation] = field(default_factory=list)
    fit: Fit | None = None
    catalog_p10_weeks: float | None = None
    catalog_p50_weeks: float | None = None
    catalog_p90_weeks: float | None = None
    inside: int = 0
    coverage: float | None = None
    censored_beyond_p90: int = 0


@dataclass
class Calibration:
    as_of_date: float
    spans: dict[str, SpanCheck]
    issues: list[Issue]

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": units.format_date(self.as_of_date),
            "spans": {k: asdict(v) for k, v in self.spans.items()},
            "issues": [vars(i) for i in self.issues],
        }


def catalog_band(stages: tuple[str, ...], catalog: Catalog, seed: int = 0) -> tuple[float, float, float]:
    """P10/P50/P90 (weeks) of the sum of the catalog's stage priors.

    One stage: its quantile function. Several: quantiles of the sum of independent
    draws (fixed seed, 200,000 draws; P10/P90 reproducible to ~0.1 week).
    """
    dists = [catalog.cost("stages", key).dist() for key in stages]
    if len(dists) == 1:
        return tuple(float(dists[0].ppf(q)) for q in (0.1, 0.5, 0.9))  # type: ignore[return-value]
    rng = np.random.default_rng(seed)
    total = sum(d.sample(rng, _BAND_DRAWS) for d in dists)
    p10, p50, p90 = np.quantile(total, [0.1, 0.5, 0.9])
    return float(p10), float(p50), float(p90)


def _first_building(site: str, rows: list[TimelineRow], as_of: float) -> Observation | None:
    start = rows[0]
    if start.buildings > 0 or start.power_mw > 0:
        return None
    done = next((r for r in rows if r.buildings > 0 or r.power_mw > 0), None)
    if done is not None and done.date <= as_of:
        return Observation(site, start.line, done.line, (done.date - start.date) / _WEEK)
    if start.date <= as_of:
        return Observation(site, start.line, None, (as_of - start.date) / _WEEK, censored=True)
    return None


def _roof_to_operational(site: str, rows: list[TimelineRow], as_of: float) -> list[Observation]:
    out = []
    for row in rows:
        if row.date > as_of:
            continue
        for found in _ROOF.finditer(row.text):
            number = int(found[1] or found[2])
            done = next((r for r in rows if r.date >= row.date and r.buildings >= number), None)
            if done is not None and done.date <= as_of:
                out.append(Observation(site, row.line, done.line, (done.date - row.date) / _WEEK))
            else:
                out.append(Observation(site, row.line, None, (as_of - row.date) / _WEEK, censored=True))
    return out


def _cadence(site: str, rows: list[TimelineRow], as_of: float) -> list[Observation]:
    """Weeks from each rise of a campus's operational power to the next, both observed by as-of.

    The importer makes one phase per rise, so these are the gaps the engine draws
    between a campus's phases (:mod:`gigawatt.cadence`). A campus with more power
    stated (a later rise) than it had online by as-of has one gap still open: the
    last observed rise to as-of, right-censored. Leaving it out would fit only the
    gaps that closed, a sample biased short (a long gap is more often still open).
    """
    rises: list[TimelineRow] = []
    peak = 0.0
    for row in rows:
        if row.power_mw > peak:
            rises.append(row)
            peak = row.power_mw
    seen = [r for r in rises if r.date <= as_of]
    gaps = [Observation(site, a.line, b.line, (b.date - a.date) / _WEEK) for a, b in itertools.pairwise(seen)]
    if seen and len(seen) < len(rises):
        gaps.append(Observation(site, seen[-1].line, None, (as_of - seen[-1].date) / _WEEK, censored=True))
    return gaps


def calibrate(
    text: str, *, as_of_date: float, file: str = "<csv>", catalog: Catalog | None = None
) -> Calibration:
    """Measure the spans in a timelines CSV, fit them, and check the catalog priors' coverage."""
    catalog = catalog or load_catalog()
    histories, issues = read_timelines(text, file)
    spans = {name: SpanCheck(name, stages) for name, stages in SPANS.items()}
    for site, rows in histories.items():
        first = _first_building(site, rows, as_of_date)
        if first is None:
            issues.append(
                Issue(rows[0].line, site, "first row already has buildings or power: no start", "warning")
            )
        else:
            spans["first_building"].observations.append(first)
        spans["roof_to_operational"].observations += _roof_to_operational(site, rows, as_of_date)
        spans["building_cadence"].observations += _cadence(site, rows, as_of_date)
    for check in spans.values():
        seen = np.array(
            [o.duration_weeks for o in check.observations if not o.censored and o.duration_weeks > 0]
        )
        still_open = np.array(
            [o.duration_weeks for o in check.observations if o.censored and o.duration_weeks > 0]
        )
        if len(seen) >= 2:
            check.fit = fit_lognormal(seen, still_open)
        if check.stages:
            p10, p50, p90 = catalog_band(check.stages, catalog)
            check.catalog_p10_weeks, check.catalog_p50_weeks, check.catalog_p90_weeks = p10, p50, p90
            check.inside = int(np.sum((seen >= p10) & (seen <= p90)))
            check.coverage = check.inside / len(seen) if len(seen) else None
            check.censored_beyond_p90 = sum(
                1 for o in check.observations if o.censored and o.duration_weeks > p90
            )
    return Calibration(as_of_date, spans, issues)
