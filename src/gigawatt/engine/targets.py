"""When each target is met, per draw: capacity on the target's basis (online, under
construction, announced, committed) in its scope, the scenario's contracted capacity included."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from gigawatt import contracted, observations, units
from gigawatt.engine.draws import BlockData
from gigawatt.engine.model import Model, PhaseInfo
from gigawatt.sampling import sample
from gigawatt.scenario import STATUS_ORDER
from gigawatt.scope import Subject

#: The bases whose dates the engine simulates. A status basis (announced, committed, secured)
#: counts what holds that status at the scenario's as-of date: commitments made after it are not
#: modelled, so a target on it is decided by the as-of date, not forecast.
FORECAST_BASES = ("online", "under_construction")


def first_reach(days: np.ndarray, mw: np.ndarray, target_mw: float) -> np.ndarray:
    """Per draw, the day cumulative ``mw`` (in date order) first reaches ``target_mw``."""
    order = np.argsort(days, axis=1, kind="stable")
    sorted_days = np.take_along_axis(days, order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(mw, order, axis=1), axis=1)
    index = (cumulative < target_mw - 1e-6).sum(axis=1)
    safe = np.minimum(index, days.shape[1] - 1)[:, None]
    return np.where(index < days.shape[1], np.take_along_axis(sorted_days, safe, 1)[:, 0], np.inf)


#: The contracted capacity of a block's draws: facility MW and date of each step (draw, step),
#: and each step's block (:func:`contracted_steps`).
Steps = tuple[np.ndarray, np.ndarray, list[str]]


def target_days(model: Model, ds: BlockData, bought: Steps | None = None) -> dict[str, np.ndarray]:
    """Per target and draw, the day it is met on its basis (inf: not within the horizon).

    Status bases (announced, committed) use each phase's status as of
    ``time.as_of``, dated from its site's ``announced`` date; the
    under-construction basis uses each phase's construction start. ``bought``: the block's
    :func:`contracted_steps`, if already drawn."""
    out = {}
    if bought is None:
        bought = contracted_steps(model, ds)
    for name, target in model.scenario.targets.items():
        where = observations.target_scope(target)
        scope = np.array([where.matches(_subject(model, ph)) for ph in model.phases], bool)
        level = STATUS_ORDER[{"secured": "committed"}.get(target.basis, target.basis)]
        mw = ds["facility_mw"].values[:, scope]
        status_ok = np.array([STATUS_ORDER[ph.status] >= level for ph in model.phases])[scope]
        extra = np.array([where.matches(model.scenario.contracted[n].subject()) for n in bought[2]], bool)
        if target.basis == "online":
            days = ds["online_date"].values[:, scope]
        elif target.basis == "under_construction":
            started = ds["start_date"].values[:, scope]
            days = np.where(
                status_ok[None, :], np.minimum(started, model.as_of_day), np.maximum(started, model.as_of_day)
            )
        else:
            announced = np.array(
                [model.scenario.sites[ph.site].announced_date or model.as_of_day for ph in model.phases]
            )[scope]
            days = np.broadcast_to(
                np.where(status_ok, np.minimum(announced, model.as_of_day), np.inf), mw.shape
            )
        if extra.any():
            block_days = bought[1][:, extra]
            if target.basis != "online":
                signed = [
                    model.scenario.contracted[n].signed_date.mid
                    for n, e in zip(bought[2], extra, strict=True)
                    if e
                ]
                block_days = np.broadcast_to(np.asarray(signed, float), block_days.shape)
            days = np.concatenate([np.asarray(days), block_days], axis=1)
            mw = np.concatenate([mw, bought[0][:, extra]], axis=1)
        out[name] = first_reach(np.asarray(days), mw, target.power_mw)
    return out


def ceiling_mw(model: Model, name: str) -> float:
    """The most facility MW target ``name``'s scope can hold in any draw: every site in its scope
    with each phase at its largest size (IT power at the highest PUE) and every contracted block
    in it at its largest steps (a lognormal at its 99th percentile). A target above it is met in
    no draw, whatever the dates: unreachable by the scenario's own sizes, not a forecast."""
    where = observations.target_scope(model.scenario.targets[name])
    sites = {ph.site for ph in model.phases if where.matches(_subject(model, ph))}
    blocks = [n for n, b in model.scenario.contracted.items() if where.matches(b.subject())]
    return high_mw(model, sites, blocks)


def earliest_days(model: Model, basis: str) -> np.ndarray:
    """Per phase, the earliest day it can count toward a target on ``basis`` (online or under
    construction) in any draw: its planned date's lower bound (``online``, or ``start`` for
    under construction), never before ``as_of`` for a phase not yet holding the basis (the
    engine's rule); a phase already holding it counts from ``as_of``. Every later step of
    the engine (power, chips, shared limits, cadence) only delays a date; a site's
    observations can pull its phases to the observation's day, so they bound it too. A
    lognormal date has no lower bound here (-inf)."""
    as_of = model.as_of_day
    seen: dict[str, float] = {}
    for obs in model.scenario.observations.sites:
        seen[obs.site] = min(seen.get(obs.site, np.inf), obs.on_date)
    key, level = ("online", "online") if basis == "online" else ("start", "under_construction")
    out = np.empty(len(model.phases))
    for k, ph in enumerate(model.phases):
        dist = model.parameters.get(f"{model.phase_path(k)}.{key}")
        low = -np.inf if dist is None or dist.family == "lognormal" else dist.low
        if STATUS_ORDER[ph.status] >= STATUS_ORDER[level]:
            out[k] = low if basis == "online" else min(low, as_of)
        else:
            out[k] = max(low, as_of)
        if basis == "online":
            out[k] = min(out[k], seen.get(ph.site, np.inf))
    return out


def unreachable_reason(model: Model, name: str) -> str | None:
    """Why forecast target ``name`` is met in no draw, or None when some draw can meet it.

    By size (:func:`ceiling_mw` below it), else by date: the capacity its scope can hold by
    its date with every phase at its earliest possible date (:func:`earliest_days`) and
    largest size, every contracted step at its earliest date and largest size."""
    target = model.scenario.targets[name]
    where = observations.target_scope(target)
    gw = f"{target.power_mw / 1000:,g} GW"
    ceiling = ceiling_mw(model, name)
    if ceiling < target.power_mw:
        return (
            f"its scope ({where.describe()}) holds at most {ceiling / 1000:,.2f} GW facility with every "
            f"phase at its largest, below {gw}"
        )
    scope = np.array([where.matches(_subject(model, ph)) for ph in model.phases], bool)
    days = earliest_days(model, target.basis)
    late = [(float(d), ph.id) for ph, d, s in zip(model.phases, days, scope, strict=True) if s]
    mw = [float(model.phase_high_mw[k]) for k in np.flatnonzero(scope)]
    for block_name, block in model.scenario.contracted.items():
        if where.matches(block.subject()):
            for step in block.schedule:
                when = step.on_date if target.basis == "online" else block.signed_date
                late.append((-np.inf if when.family == "lognormal" else when.low, f"contracted {block_name}"))
                mw.append(step.power_mw.high)
    by_date = sum(m for (d, _), m in zip(late, mw, strict=True) if d <= target.by_date)
    if by_date >= target.power_mw - 1e-6:
        return None
    after = sorted({(d, who) for d, who in late if d > target.by_date})
    named = "; ".join(f"{who} {units.format_date(d)}" for d, who in after[:3]) + (
        "; …" if len(after) > 3 else ""
    )
    return (
        f"its scope ({where.describe()}) holds at most {by_date / 1000:,.2f} GW facility by "
        f"{units.format_date(target.by_date)} with every phase at its earliest possible date and its "
        f"largest size, below {gw} (earliest dates after it: {named})"
    )


def high_mw(model: Model, sites: Iterable[str], blocks: Iterable[str]) -> float:
    """Upper bound of the facility MW of ``sites`` (each phase at its largest) and the contracted
    ``blocks`` (each step at its largest)."""
    contracted = model.scenario.contracted
    return float(
        sum(model.series_high_mw[f"site:{s}"] for s in sites)
        + sum(step.power_mw.high for name in blocks for step in contracted[name].schedule)
    )


def _subject(model: Model, ph: PhaseInfo) -> Subject:
    return Subject(
        site=ph.site, country=ph.country, region=ph.region, party=ph.tenant, programme=ph.programme
    )


def contracted_steps(model: Model, ds: BlockData) -> Steps:
    """The scenario's contracted capacity for the draws of ``ds``: facility MW and date
    of each step, (draw, step), and each step's block (:func:`gigawatt.contracted.steps`)."""
    draws = ds.sizes["draw"]
    if not model.scenario.contracted:
        return contracted.steps({}, {}, draws)
    start = int(ds["draw"].values[0])
    wanted = {k: v for k, v in model.parameters.items() if k.startswith("contracted.")}
    p = sample(wanted, int(ds.attrs["seed"]), start, start + draws)
    return contracted.steps(model.scenario.contracted, p, draws)
