"""Fitted build spans and building cadence: a campus's phases come online in sequence.

With fitted priors in effect (:mod:`gigawatt.priors`: the shipped fit by default, a
scenario's ``priors:`` or the CLI's ``--priors``), the engine applies two spans to
every phase still to be built, from the developer class's fit where there is one:

* ``first_building`` — shell start (land clearing) to online: the catalog's
  ``site_and_shell``, ``it_fit_out`` and ``commissioning`` draws are scaled so
  their sum is the drawn span (commissioning keeps its share, which the power and
  chip limits read). The span is drawn once per site and draw, shared by its
  phases: the fit measures a campus's first building, and a later building's
  timing is the cadence's, not a fresh draw of a first building from the campus's
  start (which, being the later of several independent draws, would hold later
  buildings back far beyond the fitted gaps). A site whose first building reuses
  an existing shell (``existing_shell: true``, a retrofit) draws its span from the
  fitted ``roof_to_operational`` instead, where the priors have one;
* ``building_cadence`` — after the first phase of its site, a phase comes online
  no sooner than the phase before it plus a drawn gap. The gap chains on the
  previous phase's construction, power and chip-availability dates (before the
  shared supply queues, which still apply afterwards).

A phase with its own planned ``online`` date keeps the site's schedule as stated:
no cadence is added on top. A scenario that states its build stages keeps them (no
fitted span). Once a site's first building is online its span is that fact (its
start to its online date), not a draw. With ``catalog`` (no fitted spans) nothing
here changes the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np

from gigawatt.distributions import Dist, fixed
from gigawatt.priors import Priors
from gigawatt.scenario import Scenario, Site

if TYPE_CHECKING:
    from gigawatt.engine import Model, PhaseInfo

__all__ = ["BUILD", "GAP", "observed_span_weeks", "parameters", "scaled_stages", "sequence", "site_spans"]

#: Parameter suffixes (after a phase's path) of the drawn span and gap, in weeks.
BUILD = "stages.build"
GAP = "cadence"
_BUILD_STAGES = ("site_and_shell", "it_fit_out", "commissioning")
_DAYS_PER_WEEK = 7.0
#: Index of the ``construction`` cause in :data:`gigawatt.engine.CAUSES`.
_CONSTRUCTION = 1


def _path(ph: PhaseInfo) -> str:
    return f"sites.{ph.site}.phases[{ph.index}]"


def site_spans(scenario: Scenario, site_id: str, priors: Priors | None) -> tuple[Dist | None, Dist | None]:
    """A site's build span and the gap between its phases, each None where none applies.

    The scenario's own stage durations come first: where it states any build stage
    (``stages: site_and_shell``, ``it_fit_out`` or ``commissioning``) the fitted span
    does not replace them (a stated schedule is a fact about this build, the fit a
    generic prior).
    """
    if priors is None:
        return None, None
    site = scenario.sites[site_id]
    cls = site.developer_class
    gap = priors.span("building_cadence", cls)
    gap_dist = gap.dist() if gap else None
    if any(getattr(scenario.stages, f"{s}_weeks") is not None for s in _BUILD_STAGES):
        return None, gap_dist
    retrofit = priors.span("roof_to_operational") if site.existing_shell else None
    build = retrofit or priors.span("first_building", cls)
    if build is None:
        return None, gap_dist
    seen = observed_span_weeks(site)
    return (build.dist() if seen is None else fixed(seen)), gap_dist


def observed_span_weeks(site: Site) -> float | None:
    """Weeks from start to online of the site's first building already online, or None.

    Once a site's first building is online its build span is a fact, not a draw: the
    fitted span describes a first building, and a fresh draw of it would hold the site's
    later buildings to an invented first building (from the site's start) on top of the
    cadence that times them.
    """
    done = [
        ph
        for ph in site.phases
        if ph.status == "online" and ph.start_date is not None and ph.online_date is not None
    ]
    if not done:
        return None
    first = min(done, key=lambda ph: ph.online_date.mid if ph.online_date else 0.0)
    assert first.online_date is not None and first.start_date is not None
    weeks = (first.online_date.mid - first.start_date.mid) / _DAYS_PER_WEEK
    return weeks if weeks > 0 else None


def parameters(scenario: Scenario, phases: list[PhaseInfo], priors: Priors | None) -> dict[str, Dist]:
    """The site spans and the phase gaps to draw (none without priors)."""
    out: dict[str, Dist] = {}
    for ph in phases:
        if ph.status == "online":
            continue
        build, gap = site_spans(scenario, ph.site, priors)
        if build is not None:
            out[f"sites.{ph.site}.{BUILD}"] = build
        if ph.index > 0 and gap is not None and scenario.sites[ph.site].phases[ph.index].online_date is None:
            out[f"{_path(ph)}.{GAP}"] = gap
    return out


def scaled_stages(
    p: Mapping[str, np.ndarray], path: str, days: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """Stage durations (days) with the build stages scaled to its site's drawn span, if one is drawn.

    ``path`` is the phase's (``sites.ID.phases[I]``).
    """
    span = p.get(f"{path.rsplit('.phases[', 1)[0]}.{BUILD}")
    if span is None:
        return days
    total = sum(days[s] for s in _BUILD_STAGES)
    factor = span * _DAYS_PER_WEEK / np.maximum(total, 1e-9)
    return {s: v * factor if s in _BUILD_STAGES else v for s, v in days.items()}


def sequence(model: Model, p: Mapping[str, np.ndarray], candidates: np.ndarray) -> None:
    """Hold each phase with a drawn gap until the phase before it is ready plus the gap.

    ``candidates`` is the engine's (cause, draw, phase) array of dates; the
    ``construction`` row is raised in place, phase by phase in site order.
    """
    for k, ph in enumerate(model.phases):
        gap = p.get(f"{_path(ph)}.{GAP}")
        if gap is None:
            continue
        before = next(
            j for j, other in enumerate(model.phases) if other.site == ph.site and other.index == ph.index - 1
        )
        ready = candidates[:, :, before].max(axis=0)
        candidates[_CONSTRUCTION, :, k] = np.maximum(
            candidates[_CONSTRUCTION, :, k], ready + gap * _DAYS_PER_WEEK
        )
