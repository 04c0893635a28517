"""Demand against capacity: each stream's demand at given days, and what serves demand's
party (its sites' phases and its contracted blocks), in demand's own unit."""

from __future__ import annotations

from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.engine.draws import BlockData
from gigawatt.engine.histograms import _capacity
from gigawatt.engine.model import Model
from gigawatt.engine.targets import Steps, high_mw
from gigawatt.sampling import sample
from gigawatt.scenario import DEMAND_KEYS, Scenario


def demand_streams(model: Model, p: dict[str, np.ndarray], days: np.ndarray) -> dict[str, np.ndarray]:
    """Demand per stream (training, inference) at ``days`` (draw, day), in the unit the
    scenario states it in (``scenario.demand.stated_in``): facility MW, or BF16 dense FLOP/s
    for demand stated as ``compute``."""
    out = {}
    for stream, spec in model.scenario.demand.streams.items():
        level_key, ceiling_key = DEMAND_KEYS[spec.stated_in]
        years = (days[None, :] - p[f"demand.{stream}.start"][:, None]) / units.DAYS_PER_YEAR
        out[stream] = grown_demand(
            p[f"demand.{stream}.{level_key}"][:, None],
            p[f"demand.{stream}.growth_per_year"][:, None],
            years,
            p.get(f"demand.{stream}.{ceiling_key}", np.array(np.inf))[..., None],
        )
    return out


def grown_demand(level: Any, growth_per_year: Any, years: Any, ceiling: Any = np.inf) -> Any:
    """Demand ``years`` after it was ``level`` (any unit; ``ceiling`` in the same one):
    level·(1+g)^years without a ceiling, else the logistic curve through level with early
    rate ln(1+g) and limit ``ceiling``:
    C / (1 + (C/level − 1)·(1+g)^−years) (Verhulst, 1838, "Notice sur la loi que la population
    suit dans son accroissement", Corresp. Math. Phys. 10)."""
    compound = level * (1.0 + growth_per_year) ** years
    limit = np.maximum(ceiling, level)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        logistic = limit / (1.0 + (limit / level - 1.0) * (1.0 + growth_per_year) ** -np.asarray(years))
    return np.where(np.isfinite(limit), logistic, compound)


def serves(scenario: Scenario, holder: str | None) -> bool:
    """Whether capacity held by ``holder`` (a site's tenant, a contracted block's party) serves
    demand: its party's own (``demand.party``), or everything when the scenario names none."""
    party = scenario.demand.party
    return party is None or holder == party


def serving_sites(scenario: Scenario) -> list[str]:
    """The sites whose capacity serves demand (:func:`serves`: their tenant is demand's party)."""
    return [s for s, site in scenario.sites.items() if serves(scenario, site.tenant)]


def serving_blocks(scenario: Scenario) -> list[str]:
    """The contracted blocks that serve demand (:func:`serves`: bought by demand's party)."""
    return [n for n, block in scenario.contracted.items() if serves(scenario, block.party)]


def serving_high_mw(model: Model) -> float:
    """Upper bound of the facility MW serving demand's party (its sites and contracted blocks)."""
    return high_mw(model, serving_sites(model.scenario), serving_blocks(model.scenario))


def serving_at(serving: dict[str, Any], stated_in: str, days: np.ndarray) -> np.ndarray:
    """Capacity serving demand's party on each of ``days`` (draw, day) in demand's own unit
    (facility MW, or BF16 dense FLOP/s for demand stated as compute), from
    :func:`serving_capacity`: what demand is compared with."""
    return _capacity(serving["flops" if stated_in == "flops" else "mw"], serving["days"], days)


def serving_capacity(
    model: Model, seed: int, start: int, stop: int, ds: BlockData, bought: Steps
) -> dict[str, Any]:
    """What serves demand's party (``demand.party``; default everything): its sites' phases
    and its contracted blocks, as (draw, column) facility MW, BF16 FLOP/s and online dates
    (the phases first: ``own`` of all phases),
    their facility MW online at each year end (``mw_years``: draw, year), and each site
    programme's share of that capacity at each year end (draw, year).
    ``bought``: the block's :func:`~gigawatt.engine.targets.contracted_steps`."""
    scenario = model.scenario
    own = np.array([serves(scenario, ph.tenant) for ph in model.phases], bool)
    mw, days, names = bought
    take = np.array([serves(scenario, scenario.contracted[n].party) for n in names], bool)
    mw, days, names = mw[:, take], days[:, take], [n for n, t in zip(names, take, strict=True) if t]
    flops = np.zeros_like(mw)
    if names and scenario.demand.stated_in == "flops":
        keys = [k for k in model.parameters if k.startswith(("accelerators.", "pue."))]
        p = sample({k: model.parameters[k] for k in keys}, seed, start, stop)
        for j, name in enumerate(names):
            acc = f"accelerators.{scenario.contracted[name].accelerator}"
            count = mw[:, j] / p["pue.liquid"] * 1e6 / p[f"{acc}.it_power_w"]
            flops[:, j] = count * p[f"{acc}.bf16_flops"]
    phase_mw, phase_days = ds["facility_mw"].values, ds["online_date"].values
    out: dict[str, Any] = {
        "own": own,  # the phases among the columns, which come first
        "mw": np.concatenate([phase_mw[:, own], mw], axis=1),
        "flops": np.concatenate([ds["bf16_flops"].values[:, own], flops], axis=1),
        "days": np.concatenate([phase_days[:, own], days], axis=1),
    }
    total = out["mw_years"] = _capacity(out["mw"], out["days"], model.year_ends)
    out["shares"] = {}
    if names:
        for programme in sorted({ph.programme for ph, o in zip(model.phases, own, strict=True) if o}):
            mask = own & np.array([ph.programme == programme for ph in model.phases], bool)
            part = _capacity(phase_mw[:, mask], phase_days[:, mask], model.year_ends)
            out["shares"][programme] = np.divide(part, total, out=np.zeros_like(part), where=total > 0)
    return out
