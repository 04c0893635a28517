"""A discrete-event reference model of the buildout engine, in SimPy, one draw at a time.

It is the model a modeller would write by hand, to check :mod:`gigawatt.engine`
(which does the same arithmetic over arrays) and to time it against. It reads the
engine's phase table and parameter paths (``Model.from_scenario``) and the very
same sampled values (:func:`gigawatt.sampling.sample`), and computes everything
else itself, as processes in simulated time (days since 1970-01-01):

* each phase is a process: its own planned online date where it states one not
  yet past; otherwise permitting (from ``time.as_of``) or its recorded start,
  then site and shell, IT fit-out and commissioning timeouts, not done before
  ``as_of``;
* each site's firm power is a :class:`simpy.Container` that source processes fill
  at their available dates; phases take power from it in phase order (FIFO
  gets), online phases included, and commission once they have it;
* each accelerator generation ships at its available date; phases commission after;
* each shared limit (transformers, gas turbines, each accelerator supply, then the
  factory's learning-curve build rate) is an allocator process that adds one
  week's supply to a container every week; phases book in it (a FIFO ``get``)
  ``priority`` quarters before they need it, so the book is kept in the engine's
  queue order, and take delivery no earlier than they need it. Limits are resolved
  in pipeline order, one SimPy environment each, because a booking needs the need
  date that the earlier limits set;
* an announced option (``probability`` below 1) not built in a draw is never ready;
* a phase is online when every constraint is met; after the last grid step: never.

Weekly allocation makes each limit's delivery up to one week later than the
engine's continuous supply curves, so per draw the two agree within a week
except when that week reorders a queue.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import simpy

from gigawatt import cadence
from gigawatt.engine import CAUSES, PRIORITY_DAYS, Model
from gigawatt.leadtimes import needs
from gigawatt.observations import site_subject, target_scope
from gigawatt.sampling import sample
from gigawatt.scenario import STATUS_ORDER

__all__ = ["STEP_DAYS", "date_quantile", "simulate", "simulate_draw", "target_days"]

#: The allocators' time step: supply is added once a week.
STEP_DAYS = 7.0
#: Phases may take a site's power when it is short by at most this much (MW), as the engine.
POWER_TOLERANCE_MW = 1e-6
#: A limit's allocator stops this long after the last grid step (nothing later can be online).
_OVERRUN_DAYS = 20 * 365.25
_DAYS_PER_PERIOD = {"week": 7.0, "month": 365.25 / 12, "quarter": 365.25 / 4, "year": 365.25}
_LIMIT_ORDER = ("transformers", "gas_turbines", "accelerators")
_LIMIT_CAUSE = {
    "transformers": "transformers",
    "gas_turbines": "turbine supply",
    "accelerators": "accelerator supply",
}


class _SitePower(simpy.Container):
    """A site's firm power; remembers which kind of source last let a phase have its share."""

    def __init__(self, env: simpy.Environment) -> None:
        super().__init__(env, init=POWER_TOLERANCE_MW)
        self.kind = ""

    def _trigger_get(self, put_event: Any) -> None:
        if put_event is not None:
            self.kind = put_event.kind
        super()._trigger_get(put_event)


def _wait_until(env: simpy.Environment, day: float) -> simpy.Timeout:
    return env.timeout(max(0.0, day - env.now))


def simulate_draw(model: Model, p: Mapping[str, float]) -> dict[str, np.ndarray]:
    """One draw: per phase ``online_date`` (inf: not by the last grid step), ``start_date``,
    ``power_date``, ``chips_date`` (nan: no accelerator limit), ``facility_mw``, ``critical``."""
    scenario = model.scenario
    phases = model.phases
    as_of = model.as_of_day
    last_day = float(model.grid_days[-1])
    k_count = len(phases)
    facility_mw = np.zeros(k_count)
    accelerators = np.zeros(k_count)
    commissioning = np.zeros(k_count)
    # stage days, the build stages scaled to the site's drawn span where priors give one
    stages: list[dict[str, float]] = []
    start_date = np.zeros(k_count)
    power_date = np.full(k_count, math.inf)
    chips_date = np.full(k_count, math.nan)
    # constraint -> day it is met, per phase; a constraint that never is: inf
    met: list[dict[str, float]] = [{} for _ in phases]
    power_kind = [""] * k_count
    for k, ph in enumerate(phases):
        path = model.phase_path(k)
        pue = p[f"pue.{ph.cooling}"]
        size = p[f"{path}.power"]
        facility_mw[k] = size * pue if ph.basis == "it" else size
        it_mw = size if ph.basis == "it" else size / pue
        accelerators[k] = it_mw * 1e6 / p[f"accelerators.{ph.accelerator}.it_power_w"]
        stages.append(
            cadence.scaled_stages(
                p,
                path,
                {s: p[f"{path}.stages.{s}"] * 7.0 for s in ("site_and_shell", "it_fit_out", "commissioning")},
            )
        )
        commissioning[k] = stages[k]["commissioning"]
    observed = [ph.status == "online" for ph in phases]

    # ---- pass 1: construction, site power and accelerator availability
    env = simpy.Environment()
    power = {site_id: _SitePower(env) for site_id in scenario.sites}

    def source(site_id: str, day: float, mw: float, kind: str) -> Any:
        yield _wait_until(env, day)
        event = power[site_id].put(mw)
        event.kind = kind

    def construct(k: int) -> Any:
        path = model.phase_path(k)
        planned = p.get(f"{path}.online")
        if planned is not None and planned >= as_of:
            # the site's own dated schedule stands: no generic stages on top
            start_date[k] = p.get(f"{path}.start", as_of + p[f"{path}.stages.permitting"] * 7.0)
            yield _wait_until(env, planned)
            met[k]["construction"] = env.now
            return
        begun = p.get(f"{path}.start")
        if begun is None:
            yield _wait_until(env, as_of)
            yield env.timeout(p[f"{path}.stages.permitting"] * 7.0)
        else:
            yield _wait_until(env, begun)
        start_date[k] = env.now
        yield env.timeout(stages[k]["site_and_shell"])
        yield env.timeout(stages[k]["it_fit_out"])
        yield env.timeout(commissioning[k])
        yield _wait_until(env, as_of)
        met[k]["construction"] = env.now

    def powered(k: int, request: simpy.events.Event) -> Any:
        yield request
        power_date[k] = env.now
        power_kind[k] = power[phases[k].site].kind
        yield env.timeout(commissioning[k])
        met[k]["power"] = env.now

    def shipped(k: int) -> Any:
        yield _wait_until(env, p[f"accelerators.{phases[k].accelerator}.available_date"])
        yield env.timeout(commissioning[k])
        met[k]["accelerator availability"] = env.now

    for k, ph in enumerate(phases):  # gets queue in phase order: phases take power in order
        request = power[ph.site].get(facility_mw[k])
        if observed[k]:
            continue
        met[k].update({"construction": math.inf, "power": math.inf, "accelerator availability": math.inf})
        env.process(construct(k))
        env.process(powered(k, request))
        env.process(shipped(k))
    for site_id, site in scenario.sites.items():
        for i, src in enumerate(site.power_plan):
            base = f"sites.{site_id}.power_plan[{i}]"
            if src.available_date is not None:
                day = p[f"{base}.available"]
            else:  # ordered: the latest of the catalog lead times it needs
                day = p[f"{base}.ordered"] + 7.0 * max(
                    p[f"lead_times.{name}"] for name, _ in needs(src.kind, src.technology)
                )
            env.process(source(site_id, day, p[f"{base}.capacity"] * p[f"{base}.firm_fraction"], src.kind))
    env.run()

    def ready(k: int) -> float:
        return max(met[k].values())

    # building cadence (gigawatt.cadence.sequence): a phase no sooner than the one before it plus its gap
    for k, ph in enumerate(phases):
        gap = p.get(f"{model.phase_path(k)}.{cadence.GAP}")
        if gap is None:
            continue
        j = next(j for j, o in enumerate(phases) if o.site == ph.site and o.index == ph.index - 1)
        before = p[f"{model.phase_path(j)}.online"] if observed[j] else ready(j)
        met[k]["construction"] = max(met[k]["construction"], before + gap * 7.0)
    # an announced option not built in this draw is never ready (gigawatt.engine.simulate._options)
    for k, ph in enumerate(phases):
        if ph.probability < 1 and p[f"{model.phase_path(k)}.built"] >= ph.probability:
            met[k]["not built"] = math.inf

    # ---- pass 2: shared limits in pipeline order, each an allocator and a book
    pending = [k for k in range(k_count) if not observed[k]]
    gas_sites = {s for s, site in scenario.sites.items() if any(x.kind == "gas" for x in site.power_plan)}
    limits = sorted(
        (
            (name, supply)
            for name, supply in scenario.supply.items()
            if supply.resource in _LIMIT_ORDER  # the engine ignores `construction` supplies
        ),
        key=lambda item: _LIMIT_ORDER.index(item[1].resource),
    )
    for name, supply in limits:
        if supply.resource == "accelerators":
            members = [k for k in pending if phases[k].accelerator in supply.accelerators]
            amount = accelerators
        else:
            members = [
                k
                for k in pending
                if phases[k].status in ("announced", "committed")
                and (supply.resource == "transformers" or phases[k].site in gas_sites)
            ]
            amount = facility_mw
        if not members:
            continue
        prefix = f"supply.{name}"
        begin = p.get(f"{prefix}.start", float(model.grid_days[0]))
        per_day = p[f"{prefix}.amount"] * p[f"{prefix}.share"] / _DAYS_PER_PERIOD[supply.per]
        growth = p[f"{prefix}.growth_per_year"]
        cause = _LIMIT_CAUSE[supply.resource]
        delivered = _book(
            [(k, ready(k) - commissioning[k], amount[k], phases[k].priority) for k in members],
            _growing_supply(begin, per_day, growth),
            last_day,
        )
        for k, served in delivered.items():
            met[k][cause] = served + commissioning[k]
            if supply.resource == "accelerators":
                chips_date[k] = served
    if scenario.factory is not None and pending:
        built = sum(
            facility_mw[k]
            for k in range(k_count)
            if observed[k] and p[f"{model.phase_path(k)}.online"] <= as_of
        )
        delivered = _book(
            [(k, ready(k), facility_mw[k], phases[k].priority) for k in pending],
            _learning_supply(
                as_of,
                p["factory.initial_rate"],
                p["factory.learning_rate"],
                scenario.factory.reference_mw,
                built,
                p.get("factory.cap"),
            ),
            last_day,
        )
        for k, served in delivered.items():
            met[k]["build rate"] = served

    online = np.zeros(k_count)
    critical = np.zeros(k_count, np.int8)
    for k in range(k_count):
        path = model.phase_path(k)
        if observed[k]:
            online[k] = p[f"{path}.online"]
            begun = p.get(f"{path}.start")
            start_date[k] = begun if begun is not None else online[k]
            power_date[k] = chips_date[k] = online[k]
            continue
        online[k] = ready(k)
        # the first constraint (in the engine's order of causes) that is met last
        for code, cause in enumerate(CAUSES):
            key = "power" if cause.startswith("power:") else cause
            if met[k].get(key, -math.inf) == online[k] and (
                key != "power" or cause == f"power:{power_kind[k]}"
            ):
                critical[k] = code
                break
    online = np.where(online > last_day, math.inf, online)
    return {
        "facility_mw": facility_mw,
        "accelerators": accelerators,
        "start_date": start_date,
        "power_date": power_date,
        "chips_date": chips_date,
        "online_date": online,
        "critical": critical,
    }


def _growing_supply(begin: float, per_day: float, growth: float) -> Any:
    """Weekly increments from ``begin`` of a supply at ``per_day`` growing ``growth`` a year
    (continuously compounded: the rate is ``per_day·(1+growth)^years``)."""
    decay = math.log1p(growth) / 365.25 if growth > -1 else -math.inf

    def supply(env: simpy.Environment, pool: simpy.Container) -> Any:
        yield _wait_until(env, begin)
        week = 0
        while True:
            yield env.timeout(STEP_DAYS)
            a, b = week * STEP_DAYS, (week + 1) * STEP_DAYS
            if abs(decay) < 1e-15:
                added = per_day * (b - a)
            else:
                added = per_day * (math.exp(decay * b) - math.exp(decay * a)) / decay
            if added > 0:
                pool.put(added)
            week += 1

    return supply


def _learning_supply(
    begin: float,
    rate_mw_per_week: float,
    learning: float,
    reference_mw: float,
    built_mw: float,
    cap_mw_per_week: float | None,
) -> Any:
    """Weekly build from ``begin`` on a learning curve: each doubling of the MW built so far
    (from ``built_mw``, at least 1 MW) cuts the time per MW by ``learning``, so the rate is
    ``rate·(built/reference)^b``, b = −log2(1 − learning); at most ``cap`` MW a week."""
    b = -math.log2(1.0 - learning)

    def supply(env: simpy.Environment, pool: simpy.Container) -> Any:
        yield _wait_until(env, begin)
        level = max(built_mw, 1.0)
        while True:
            yield env.timeout(STEP_DAYS)
            # one week of dG/dt = r·(G/ref)^b, solved exactly over the week
            if rate_mw_per_week <= 0:
                continue
            grown = (level ** (1 - b) + (1 - b) * rate_mw_per_week * reference_mw ** (-b)) ** (1 / (1 - b))
            added = grown - level
            if cap_mw_per_week is not None:
                added = min(added, max(cap_mw_per_week, 0.0))
            if added > 0:
                pool.put(added)
                level += added

    return supply


def _book(
    requests: Sequence[tuple[int, float, float, int]], supply: Any, last_day: float
) -> dict[int, float]:
    """Serve ``(phase, need day, amount, priority)`` from a limit's weekly supply.

    Each phase books ``priority`` quarters before its need day and waits in the book
    (first booked, first served, none overtaking); it takes delivery when the supply
    covers its booking, but not before its need day. Returns phase -> day served,
    inf where never (phases that never need it are not booked)."""
    env = simpy.Environment()
    pool = simpy.Container(env)
    out: dict[int, float] = {}
    waiting = []

    def book(k: int, need: float, amount: float, priority: int) -> Any:
        yield _wait_until(env, need - priority * PRIORITY_DAYS)
        yield pool.get(amount)
        yield _wait_until(env, need)
        out[k] = env.now

    for k, need, amount, priority in requests:
        if priority < 0:
            raise ValueError("the reference model books ahead of need: priority must be >= 0")
        out[k] = math.inf
        if math.isfinite(need):
            waiting.append(env.process(book(k, need, amount, priority)))
    if waiting:
        env.process(supply(env, pool))
        env.run(until=env.any_of([env.all_of(waiting), env.timeout(last_day + _OVERRUN_DAYS)]))
    return out


def simulate(model: Model, seed: int, start: int, stop: int) -> dict[str, np.ndarray]:
    """Draws ``start``..``stop`` one at a time, from the engine's sampled parameters:
    arrays (draw, phase) of :func:`simulate_draw`'s outputs."""
    values = sample(model.parameters, seed, start, stop)
    draws = [simulate_draw(model, {k: float(v[d]) for k, v in values.items()}) for d in range(stop - start)]
    return {key: np.stack([d[key] for d in draws]) for key in draws[0]} if draws else {}


def target_days(model: Model, out: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per target, per draw: the first day the scoped phases' facility MW, counted on the
    target's status basis, reaches its power (inf: never)."""
    scenario = model.scenario
    as_of = model.as_of_day
    result = {}
    for name, target in scenario.targets.items():
        level = STATUS_ORDER["committed" if target.basis == "secured" else target.basis]
        scope = target_scope(target)
        if any(scope.matches(block.subject()) for block in scenario.contracted.values()):
            raise ValueError(f"target {name}: the reference model does not count contracted capacity")
        days_out = np.full(out["online_date"].shape[0], math.inf)
        for d in range(days_out.size):
            events = []
            for k, ph in enumerate(model.phases):
                if not scope.matches(site_subject(scenario, ph.site)):
                    continue
                already = STATUS_ORDER[ph.status] >= level
                if target.basis == "online":
                    day = out["online_date"][d, k]
                elif target.basis == "under_construction":
                    started = out["start_date"][d, k]
                    day = min(started, as_of) if already else max(started, as_of)
                else:
                    announced = scenario.sites[ph.site].announced_date
                    day = min(announced if announced is not None else as_of, as_of) if already else math.inf
                events.append((day, out["facility_mw"][d, k]))
            total = 0.0
            for day, mw in sorted(events, key=lambda e: e[0]):
                if not math.isfinite(day):
                    break
                total += mw
                if total >= target.power_mw - 1e-6:
                    days_out[d] = day
                    break
        result[name] = days_out
    return result


def date_quantile(days: np.ndarray, grid: np.ndarray, q: float) -> float:
    """The first grid day by which a share ``q`` of the draws have the event (inf: never)."""
    steps = np.sort(np.where(np.isfinite(days), np.searchsorted(grid, days, side="left"), grid.size))
    index = int(steps[max(0, math.ceil(q * days.size - 1e-9) - 1)])
    return float(grid[index]) if index < grid.size else math.inf
