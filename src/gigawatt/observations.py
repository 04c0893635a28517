"""Observed facts: what was seen on or before a scenario's ``time.as_of``.

Three kinds, each dated and sourced:

* ``sites``: a site's MW online by a date (in the site's own power basis);
* ``counts``: a programme's own count of capacity (announced, committed or
  secured GW by a date, with the scope it covered, e.g. "US");
* ``signings``: the date a contract or a contracted block was signed.

A fact is never drawn. The engine conditions each draw on the site
observations (:func:`condition_online`): the phases an observation covers are
online by its date, the others are not. A target whose ``by`` date is on or
before ``as_of``, or that the facts already show met, is an observed outcome
(:func:`outcome`): met or not, and the date it was met.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field

from gigawatt import units
from gigawatt._fields import Model, SourceIds, unit
from gigawatt.errors import Problem
from gigawatt.scope import Scope, Subject, narrower

if TYPE_CHECKING:
    from gigawatt import _yaml
    from gigawatt.scenario import Scenario, Target

__all__ = [
    "CountObservation",
    "Observations",
    "Outcome",
    "SigningObservation",
    "SiteObservation",
    "condition_online",
    "outcome",
    "problems",
]

#: MW within which a count or a cumulative phase size is taken as equal.
TOLERANCE_MW = 1e-6
#: How a count's basis ranks against a target's: "secured" is OpenAI's word for capacity
#: it has signed for, the same standing as a committed site.
COUNT_RANK = {"announced": 0, "committed": 1, "secured": 1}


class SiteObservation(Model):
    """MW online at a site by a date, in the site's own power basis (facility or IT)."""

    site: str
    on_date: Annotated[float, unit("date")] = Field(alias="date")
    power_mw: Annotated[float, unit("power", 0.0)] = Field(alias="power")
    basis: Literal["facility", "it"] = "facility"
    source: SourceIds = Field(min_length=1)
    note: str = ""


class CountObservation(Model):
    """A programme's own count of its capacity: at least ``power`` on ``basis`` by ``date``."""

    on_date: Annotated[float, unit("date")] = Field(alias="date")
    power_mw: Annotated[float, unit("power", 0.0)] = Field(alias="power")
    basis: Literal["announced", "committed", "secured"]
    scope: Scope = Scope()
    source: SourceIds = Field(min_length=1)
    note: str = ""


class SigningObservation(Model):
    """A contract (``contracts:``) or contracted block (``contracted:``) signed on a date."""

    contract: str
    on_date: Annotated[float, unit("date")] = Field(alias="date")
    source: SourceIds = Field(min_length=1)
    note: str = ""


class Observations(Model):
    sites: list[SiteObservation] = []
    counts: list[CountObservation] = []
    signings: list[SigningObservation] = []


@dataclass(frozen=True)
class Outcome:
    """A target decided by facts: met or not by its date, the day it was met (days since
    1970), the day the facts first reached it (possibly after its date), and what decided it."""

    met: bool
    met_on: float | None
    reached_on: float | None
    decided_by: str


def site_subject(scenario: Scenario, site_id: str) -> Subject:
    site = scenario.sites[site_id]
    return Subject(
        site=site_id,
        country=site.country,
        region=site.region,
        party=site.tenant or "",
        programme=site.programme,
    )


def target_scope(target: Target) -> Scope:
    """A target's scope with its ``sites`` list folded in."""
    scope = target.scope or Scope()
    if target.sites is not None:
        scope = scope.model_copy(update={"sites": list(target.sites)})
    return scope


def _first_reach(events: Sequence[tuple[float, float]], level_mw: float) -> float | None:
    """First day a sum of (day, MW added) events reaches ``level_mw``."""
    total = 0.0
    for day, mw in sorted(events):
        total += mw
        if total >= level_mw - TOLERANCE_MW:
            return day
    return None


def _site_events(scenario: Scenario, scope: Scope, basis: str) -> tuple[list[tuple[float, float]], str]:
    """Facts about the capacity in ``scope`` as (day, MW added) events up to ``as_of``.

    ``online``: each site's observations (a step to the latest observed MW), or, for a
    site with none, its phases with status online at the latest date their sources allow.
    Status bases: phases at or beyond the basis, from the site's announcement, and
    contracted blocks from their signing. Uncertain sizes count at their low end (a fact
    is what is certain), and an IT-basis site's MW count as they are (facility ≥ IT)."""
    from gigawatt.scenario import STATUS_ORDER  # noqa: PLC0415 (a cycle: a Scenario holds Observations)

    as_of = scenario.time.as_of_day
    events: list[tuple[float, float]] = []
    observed_sites = {o.site for o in scenario.observations.sites}
    for site_id, site in scenario.sites.items():
        if not scope.matches(site_subject(scenario, site_id)):
            continue
        if basis == "online":
            if site_id in observed_sites:
                seen = sorted(
                    (o.on_date, o.power_mw) for o in scenario.observations.sites if o.site == site_id
                )
                before = 0.0
                for day, mw in seen:
                    events.append((day, mw - before))
                    before = mw
                continue
            events.extend(
                (float(phase.online_date.high), float(phase.power_mw.low))
                for phase in site.phases
                if phase.status == "online"
                and phase.online_date is not None
                and phase.online_date.high <= as_of
            )
            continue
        level = STATUS_ORDER[{"secured": "committed"}.get(basis, basis)]
        announced = site.announced_date if site.announced_date is not None else as_of
        events.extend(
            (float(announced), float(phase.power_mw.low))
            for phase in site.phases
            if STATUS_ORDER[phase.status] >= level and announced <= as_of
        )
    if basis != "online":
        for block in scenario.contracted.values():
            signed = float(block.signed_date.mid)
            if signed <= as_of and scope.matches(block.subject()):
                events.append((signed, float(sum(s.power_mw.low for s in block.schedule))))
    what = "site observations and statuses" if basis == "online" else "site statuses and signings"
    return events, what


def outcome(scenario: Scenario, target: Target) -> Outcome | None:
    """The target's outcome if the facts up to ``as_of`` decide it, else None (a forecast).

    Decided: its date is on or before ``as_of`` (met or not), or the facts reached it by
    ``as_of``. Counts (``observations.counts``) decide a status-basis target when any has a
    scope inside the target's and a basis at least as strong; otherwise the sites' own
    facts do (:func:`_site_events`)."""
    as_of = scenario.time.as_of_day
    scope = target_scope(target)
    counts = [
        c
        for c in scenario.observations.counts
        if target.basis in COUNT_RANK
        and COUNT_RANK[c.basis] >= COUNT_RANK[target.basis]
        and narrower(c.scope, scope)
    ]
    if counts:
        reached = min(
            (c.on_date for c in counts if c.power_mw >= target.power_mw - TOLERANCE_MW), default=None
        )
        decided_by = "the programme's own counts"
    else:
        events, decided_by = _site_events(scenario, scope, target.basis)
        reached = _first_reach(events, target.power_mw)
    if reached is not None and reached > as_of:
        reached = None
    if target.by_date <= as_of:
        met = reached is not None and reached <= target.by_date
        return Outcome(met, reached if met else None, reached, decided_by)
    if reached is not None:
        return Outcome(True, reached, reached, decided_by)
    return None


def outcome_row(result: Outcome | None) -> dict[str, object]:
    """The target-table fields an outcome sets (``observed``, ``met``, ``met_on`` …): a fact, so
    no probability and no date quantiles (null)."""
    if result is None:
        return {"observed": False}
    fmt = units.format_date
    return {
        "observed": True,
        "probability": None,
        "p50_date": None,
        "p90_date": None,
        "met": result.met,
        "met_on": fmt(result.met_on) if result.met_on is not None else None,
        "reached_on": fmt(result.reached_on) if result.reached_on is not None else None,
        "decided_by": result.decided_by,
    }


def condition_online(
    scenario: Scenario, sites: Sequence[str], size_mw: np.ndarray, online: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Online dates (draw, phase) conditioned on the site observations.

    ``sites`` names each phase column's site (phases in site order); ``size_mw`` is each
    phase's drawn size in its site's power basis. For an observation of M MW by day D,
    the phases whose cumulative size is within M are online by D, the others after D.
    Returns the conditioned dates and where an observation set them."""
    online = online.copy()
    forced = np.zeros(online.shape, bool)
    for obs in scenario.observations.sites:
        ks = [k for k, s in enumerate(sites) if s == obs.site]
        if not ks:
            continue
        cumulative = np.cumsum(size_mw[:, ks], axis=1)
        covered = cumulative <= obs.power_mw + TOLERANCE_MW
        block = online[:, ks]
        early = covered & ~(block <= obs.on_date)
        late = ~covered & (block <= obs.on_date)
        block = np.where(early, obs.on_date, np.where(late, obs.on_date + 1.0, block))
        online[:, ks] = block
        forced[:, ks] |= early | late
    return online, forced


def problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """Observations that cannot be facts: dated after ``as_of``, about an unknown site or
    contract, or contradicting a site's own size or the phases it lists as online."""
    out: list[Problem] = []
    as_of = scenario.time.as_of_day
    obs = scenario.observations
    for i, o in enumerate(obs.sites):
        at: tuple[str | int, ...] = ("observations", "sites", i)
        out += _future(doc, (*at, "date"), o.on_date, as_of)
        out += _site_problems(scenario, doc, o, at)
    for i, c in enumerate(obs.counts):
        at = ("observations", "counts", i)
        out += _future(doc, (*at, "date"), c.on_date, as_of)
        out += scope_problems(scenario, doc, c.scope, (*at, "scope"))
    for i, s in enumerate(obs.signings):
        at = ("observations", "signings", i)
        out += _future(doc, (*at, "date"), s.on_date, as_of)
        out += _signing_problems(scenario, doc, s, at)
    for name, target in scenario.targets.items():
        if target.scope is not None:
            out += scope_problems(scenario, doc, target_scope(target), ("targets", name, "scope"))
    return out


def _future(doc: _yaml.Document, path: tuple[str | int, ...], day: float, as_of: float) -> list[Problem]:
    """An observation dated after ``as_of``: a fact cannot come from the future."""
    if day > as_of:
        return [
            doc.problem(
                path,
                f"observed on {units.format_date(day)}, after time.as_of "
                f"({units.format_date(as_of)}): a fact cannot come from the future",
            )
        ]
    return []


def _site_problems(
    scenario: Scenario, doc: _yaml.Document, o: SiteObservation, at: tuple[str | int, ...]
) -> list[Problem]:
    """A site observation about an unknown site, in the other power basis, or contradicting
    the site's own size or the phases it lists as online by then."""
    out: list[Problem] = []
    site = scenario.sites.get(o.site)
    if site is None:
        from gigawatt.scenario.checks import _unknown  # noqa: PLC0415 (a cycle: a Scenario holds Observations)

        out.append(doc.problem((*at, "site"), _unknown("site", o.site, scenario.sites)))
        return out
    if o.basis != site.power_basis:
        out.append(
            doc.problem(
                (*at, "basis"),
                f"observed as {o.basis} power but site {o.site} states {site.power_basis} power",
            )
        )
        return out
    size_high = sum(p.power_mw.high for p in site.phases)
    if o.power_mw > size_high + TOLERANCE_MW:
        out.append(
            doc.problem(
                (*at, "power"),
                f"{o.power_mw:,.0f} MW online contradicts the site's own size "
                f"({size_high:,.0f} MW {site.power_basis} at most)",
            )
        )
    online_low = sum(
        p.power_mw.low
        for p in site.phases
        if p.status == "online" and p.online_date is not None and p.online_date.high <= o.on_date
    )
    if o.power_mw < online_low - TOLERANCE_MW:
        out.append(
            doc.problem(
                (*at, "power"),
                f"{o.power_mw:,.0f} MW online contradicts the site's phases online by then "
                f"({online_low:,.0f} MW at least)",
            )
        )
    return out


def _signing_problems(
    scenario: Scenario, doc: _yaml.Document, s: SigningObservation, at: tuple[str | int, ...]
) -> list[Problem]:
    """A signing of an unknown contract, or on another date than the contract states."""
    out: list[Problem] = []
    known = {**scenario.contracts, **scenario.contracted}
    if s.contract not in known:
        from gigawatt.scenario.checks import _unknown  # noqa: PLC0415 (a cycle: a Scenario holds Observations)

        out.append(doc.problem((*at, "contract"), _unknown("contract", s.contract, known)))
        return out
    contract = scenario.contracts.get(s.contract)
    block = scenario.contracted.get(s.contract)
    signed = contract.signed_date if contract is not None else block.signed_date if block else None
    stated = signed.mid if signed is not None else None
    if stated is not None and abs(float(stated) - s.on_date) > 0.5:
        out.append(
            doc.problem(
                (*at, "date"),
                f"signed {units.format_date(s.on_date)} here but {units.format_date(float(stated))} "
                f"in the contract",
            )
        )
    return out


def scope_problems(
    scenario: Scenario, doc: _yaml.Document, scope: Scope, path: tuple[str | int, ...]
) -> list[Problem]:
    """A scope that selects no site and no contracted block is a mistake, not a zero."""
    subjects = [site_subject(scenario, s) for s in scenario.sites]
    subjects += [b.subject() for b in scenario.contracted.values()]
    if any(scope.matches(s) for s in subjects):
        return []
    return [doc.problem(path, f"scope ({scope.describe()}) matches no site and no contracted capacity")]
