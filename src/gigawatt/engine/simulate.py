"""One block of draws simulated: every phase's sizes, stage dates, online date and its cause.

For each draw, each phase goes permitting → site and shell → IT fit-out → commissioning, and
comes online at the latest of the dates its :data:`~gigawatt.engine.model.CAUSES` allow; the
steps of :func:`simulate_block` fill in those candidate dates one cause at a time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from gigawatt import cadence, observations, supply
from gigawatt.compute import accelerators_from_facility_mw
from gigawatt.engine.draws import Draws
from gigawatt.engine.invariants import check_invariants
from gigawatt.engine.model import _STAGES, CAUSES, DAYS_PER_WEEK, Model, SupplyInfo
from gigawatt.engine.power import site_power
from gigawatt.engine.queues import _capped_supply, _factory_inverse, _queue, _supply_inverse
from gigawatt.sampling import sample

if TYPE_CHECKING:
    import xarray as xr

_MONEY_PATHS = ("contracts.", "parties.", "demand.", "contracted.")
_SUPPLY_ORDER = ("transformers", "gas_turbines", "accelerators", "construction")
_OBSERVED = CAUSES.index("observed")
_CONSTRUCTION = CAUSES.index("construction")
_AVAILABILITY = CAUSES.index("accelerator availability")
_NOT_BUILT = CAUSES.index("not built")
#: Each limit's resource: the cause it sets, and whether commissioning follows its delivery
#: (a construction rate paces the build itself, commissioning included).
_LIMIT_CAUSE = {
    "transformers": ("transformers", True),
    "gas_turbines": ("turbine supply", True),
    "accelerators": ("accelerator supply", True),
    "construction": ("build rate", False),
}


@dataclass
class _Block:
    """One block's arrays as the steps fill them in: (draw, phase), and ``candidates``
    (cause, draw, phase), the date each cause allows (-inf: it does not hold the phase)."""

    facility_mw: np.ndarray
    it_mw: np.ndarray
    accelerators: np.ndarray
    bf16_flops: np.ndarray
    h100_equivalents: np.ndarray
    capex_usd: np.ndarray
    start_day: np.ndarray
    power_day: np.ndarray
    chips_day: np.ndarray
    commissioning: np.ndarray
    candidates: np.ndarray

    @classmethod
    def empty(cls, draws: int, k_count: int) -> _Block:
        shape = (draws, k_count)
        return cls(
            facility_mw=np.zeros(shape),
            it_mw=np.zeros(shape),
            accelerators=np.zeros(shape),
            bf16_flops=np.zeros(shape),
            h100_equivalents=np.zeros(shape),
            capex_usd=np.zeros(shape),
            start_day=np.zeros(shape),
            power_day=np.zeros(shape),
            chips_day=np.full(shape, np.nan),
            commissioning=np.zeros(shape),
            candidates=np.full((len(CAUSES), draws, k_count), -np.inf),
        )


@dataclass(frozen=True)
class Drawn:
    """What simulating a block drew that aggregating it needs again, so that it is drawn and
    integrated once: the buildout's parameters, and the accelerator supply curves of limits
    under a ceiling or with a successor (:func:`~gigawatt.engine.queues._capped_supply`)."""

    parameters: Mapping[str, np.ndarray]
    curves: dict[str, tuple[np.ndarray, np.ndarray]]


def simulate_block(
    model: Model, seed: int, start: int, stop: int, params: Mapping[str, np.ndarray] | None = None
) -> xr.Dataset:
    """Draws ``start``..``stop`` of every phase: sizes, stage dates, online date, cause, as an
    xarray Dataset over (draw, phase) with the phases' labels as coordinates.

    ``params`` gives some parameters' values (path -> ``stop - start`` values)
    instead of sampling them, e.g. a sensitivity design; the rest are sampled."""
    return simulate_drawn(model, seed, start, stop, params)[0].to_dataset()


def simulate_drawn(
    model: Model, seed: int, start: int, stop: int, params: Mapping[str, np.ndarray] | None = None
) -> tuple[Draws, Drawn]:
    """:func:`simulate_block` as plain arrays (:class:`~gigawatt.engine.draws.Draws`, no xarray),
    and what it drew (:class:`Drawn`)."""
    p = _draw_parameters(model, seed, start, stop, params)
    curves = _capped_supply(model, p, stop - start)
    b = _Block.empty(stop - start, len(model.phases))
    observed = np.array([ph.status == "online" for ph in model.phases])
    _sizes(model, p, b)
    _construction(model, p, b)
    site_power(model, p, b.facility_mw, b.commissioning, observed, b.power_day, b.candidates)
    cadence.sequence(model, p, b.candidates)
    _options(model, p, b)
    ready = b.candidates.max(axis=0)
    _shared_limits(model, p, b, ~observed, ready, curves)
    if model.scenario.factory is not None:
        _factory(model, p, b, observed, ready)
    online, critical = _online(model, b, observed)
    ds = _draws(model, b, online, critical, seed, start)
    if os.environ.get("GIGAWATT_DEBUG"):
        check_invariants(model, ds, p)
    return ds, Drawn(p, curves)


def _draw_parameters(
    model: Model, seed: int, start: int, stop: int, params: Mapping[str, np.ndarray] | None
) -> dict[str, np.ndarray]:
    """The buildout's parameters for the block: ``params`` as given, the others sampled."""
    given = dict(params or {})
    for path, values in given.items():
        if np.shape(values) != (stop - start,):
            raise ValueError(f"params[{path!r}] needs {stop - start} values, got shape {np.shape(values)}")
    # only what the buildout reads: money and demand are drawn where used (same paths, same numbers)
    wanted = {k: v for k, v in model.parameters.items() if k not in given and not k.startswith(_MONEY_PATHS)}
    p = sample(wanted, seed, start, stop)
    p.update({k: np.asarray(v, dtype=float) for k, v in given.items()})
    return p


def _sizes(model: Model, p: Mapping[str, np.ndarray], b: _Block) -> None:
    """Each phase's facility and IT MW, and its accelerators with their FLOP/s,
    H100-equivalents and price: computed over (phase, draw) rows, then stored once. Accelerators
    are IT MW / the catalog's IT W each, or, at a site that states its own density
    (``Site.per_accelerator``: a published count), facility MW / that facility W each."""
    phases = model.phases
    accelerator = [f"accelerators.{ph.accelerator}" for ph in phases]

    def rows(keys: list[str]) -> np.ndarray:
        return np.stack([p[key] for key in keys])

    it_basis = np.array([ph.basis == "it" for ph in phases])[:, None]
    size = rows([f"{model.phase_path(k)}.power" for k in range(len(phases))])
    pue = rows([f"pue.{ph.cooling}" for ph in phases])
    it_mw = np.where(it_basis, size, size / pue)
    facility_mw = np.where(it_basis, size * pue, size)
    accelerators = it_mw * 1e6 / rows([f"{acc}.it_power_w" for acc in accelerator])
    for k, ph in enumerate(phases):  # a site's published count: its own facility W per accelerator
        if ph.density_path:
            accelerators[k] = accelerators_from_facility_mw(facility_mw[k], p[ph.density_path])
    b.facility_mw[:] = facility_mw.T
    b.it_mw[:] = it_mw.T
    b.accelerators[:] = accelerators.T
    for out, key in (
        (b.bf16_flops, "bf16_flops"),
        (b.h100_equivalents, "h100_equivalents"),
        (b.capex_usd, "price_usd"),
    ):
        out[:] = (accelerators * rows([f"{acc}.{key}" for acc in accelerator])).T


def _construction(model: Model, p: Mapping[str, np.ndarray], b: _Block) -> None:
    """Stage durations, construction start, and the ``observed``, ``construction`` and
    ``accelerator availability`` candidates of each phase."""
    as_of = model.as_of_day
    for k, ph in enumerate(model.phases):
        path = model.phase_path(k)
        weeks = cadence.scaled_stages(p, path, {s: p[f"{path}.stages.{s}"] * DAYS_PER_WEEK for s in _STAGES})
        b.commissioning[:, k] = weeks["commissioning"]
        planned = p.get(f"{path}.online")
        begun = p.get(f"{path}.start")
        if ph.status == "online":
            assert planned is not None
            b.candidates[_OBSERVED, :, k] = planned
            b.start_day[:, k] = begun if begun is not None else planned
            continue
        shell_start = begun if begun is not None else as_of + weeks["permitting"]
        b.start_day[:, k] = shell_start
        built = np.maximum(
            shell_start + weeks["site_and_shell"] + weeks["it_fit_out"] + weeks["commissioning"], as_of
        )
        # a site's own dated schedule is its construction estimate: the generic stage
        # priors fill only what it does not state (no planned date, or one already past)
        b.candidates[_CONSTRUCTION, :, k] = (
            built if planned is None else np.where(planned >= as_of, planned, built)
        )
        acc = f"accelerators.{ph.accelerator}"
        b.candidates[_AVAILABILITY, :, k] = p[f"{acc}.available_date"] + weeks["commissioning"]


def _shared_limits(
    model: Model,
    p: Mapping[str, np.ndarray],
    b: _Block,
    pending: np.ndarray,
    ready: np.ndarray,
    curves: dict[str, tuple[np.ndarray, np.ndarray]],
) -> None:
    """Queue the phases still to build at each shared limit, in pipeline order (transformers
    and turbines, then chips, then build rate), raising ``ready`` (draw, phase) in place."""
    draws = ready.shape[0]
    priority = np.array([ph.priority for ph in model.phases], float)
    for info in sorted(model.supplies, key=lambda x: _SUPPLY_ORDER.index(x.resource)):
        members = _limit_members(model, info, pending)
        if not members:
            continue
        if info.name in curves:
            inverse = supply.inverse(*curves[info.name])
        else:
            prefix = f"supply.{info.name}"
            inverse = _supply_inverse(
                p[f"{prefix}.amount"],
                p[f"{prefix}.share"],
                p[f"{prefix}.growth_per_year"],
                p.get(f"{prefix}.start", np.full(draws, model.grid_days[0])),
                info.per_weeks,
            )
        name, commissioned = _LIMIT_CAUSE[info.resource]
        cause = CAUSES.index(name)
        amount = (b.accelerators if info.resource == "accelerators" else b.facility_mw)[:, members]
        lag = b.commissioning[:, members] if commissioned else np.zeros((draws, len(members)))
        need = ready[:, members] - lag
        served = _queue(need, amount, priority[members], inverse)
        if info.resource == "accelerators":
            b.chips_day[:, members] = served
        # a phase under two limits of one kind waits for both
        done = np.maximum(b.candidates[cause, :, members], (served + lag).T)
        b.candidates[cause, :, members] = done
        ready[:, members] = np.maximum(ready[:, members], done.T)


def _limit_members(model: Model, info: SupplyInfo, pending: np.ndarray) -> list[int]:
    """The phases still to build that a limit serves: transformers serve phases not yet
    under construction, turbines those of sites with gas in their power plan."""
    members = [k for k in info.phases if pending[k]]
    if info.resource == "gas_turbines":
        gas_sites = {
            s for s, site in model.scenario.sites.items() if any(x.kind == "gas" for x in site.power_plan)
        }
        return [
            k
            for k in members
            if model.phases[k].site in gas_sites and model.phases[k].status in ("announced", "committed")
        ]
    if info.resource == "transformers":
        return [k for k in members if model.phases[k].status in ("announced", "committed")]
    return members


def _factory(
    model: Model, p: Mapping[str, np.ndarray], b: _Block, observed: np.ndarray, ready: np.ndarray
) -> None:
    """The programme's learning-curve build rate (``factory:``) as one more queue of every
    phase still to build, after what was online by ``time.as_of``: its ``build rate`` cause."""
    factory = model.scenario.factory
    assert factory is not None
    members = [k for k in range(len(model.phases)) if not observed[k]]
    built0 = np.where(
        observed[None, :] & (b.candidates[_OBSERVED] <= model.as_of_day), b.facility_mw, 0.0
    ).sum(axis=1)
    inverse = _factory_inverse(
        p["factory.initial_rate"],
        p["factory.learning_rate"],
        factory.reference_mw,
        built0,
        model.as_of_day,
        p.get("factory.cap"),
    )
    priority = np.array([model.phases[k].priority for k in members], float)
    served = _queue(ready[:, members], b.facility_mw[:, members], priority, inverse)
    rate = CAUSES.index("build rate")
    b.candidates[rate, :, members] = np.maximum(b.candidates[rate, :, members], served.T)


def _options(model: Model, p: Mapping[str, np.ndarray], b: _Block) -> None:
    """An optional phase (``probability`` below 1) not built in a draw: its ``not built``
    candidate is never, so it is never online, queues last for shared supply (taking none from
    the phases that are built) and pays nothing."""
    for k, ph in enumerate(model.phases):
        if ph.probability < 1:
            skipped = p[f"{model.phase_path(k)}.built"] >= ph.probability
            b.candidates[_NOT_BUILT, :, k] = np.where(skipped, np.inf, -np.inf)


def _online(model: Model, b: _Block, observed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Online date (the latest candidate; inf past the horizon) and the cause that set it,
    conditioned on the sites' observations; power and chips dates made consistent with it."""
    pending = ~observed
    online = b.candidates.max(axis=0)
    critical = b.candidates.argmax(axis=0)
    scenario = model.scenario
    if scenario.observations.sites:
        site_mw = np.where([ph.basis == "it" for ph in model.phases], b.it_mw, b.facility_mw)
        online, forced = observations.condition_online(
            scenario, [ph.site for ph in model.phases], site_mw, online
        )
        critical = np.where(forced, _OBSERVED, critical)
        b.power_day = np.where(forced, np.minimum(b.power_day, online), b.power_day)
        b.chips_day = np.where(forced, np.fmin(b.chips_day, online), b.chips_day)
    online = np.where(online > model.grid_days[-1], np.inf, online)
    # phases under no accelerator limit get their chips when they are installed
    b.chips_day = np.where(pending[None, :] & ~np.isnan(b.chips_day), b.chips_day, online)
    b.power_day = np.where(pending[None, :], b.power_day, online)
    return online, critical


def _draws(model: Model, b: _Block, online: np.ndarray, critical: np.ndarray, seed: int, start: int) -> Draws:
    """The block's (draw, phase) arrays, named as :func:`simulate_block`'s Dataset names them."""
    data = {
        "facility_mw": b.facility_mw,
        "it_mw": b.it_mw,
        "accelerators": b.accelerators,
        "bf16_flops": b.bf16_flops,
        "h100_equivalents": b.h100_equivalents,
        "capex_usd": b.capex_usd,
        "start_date": b.start_day,
        "power_date": b.power_day,
        "chips_date": b.chips_day,
        "online_date": online,
        "critical": critical.astype(np.int8),
    }
    return Draws(data, start, seed, model.phases)
