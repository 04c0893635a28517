"""A block's per-draw outcomes beyond its phases' own arrays (the Dataset of
:func:`~gigawatt.engine.simulate.simulate_block`): the contracted capacity drawn, the day each
target is met, demand at year ends, accelerator supply at year ends. The simulation makes them
once (:func:`outcomes`); aggregation bins them and the store's per-draw rows read them, so
neither draws nor computes them again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.engine.demand import demand_streams
from gigawatt.engine.draws import BlockData
from gigawatt.engine.model import Model
from gigawatt.engine.queues import _accelerator_supply
from gigawatt.engine.simulate import Drawn
from gigawatt.engine.targets import Steps, contracted_steps, target_days
from gigawatt.sampling import sample


@dataclass(frozen=True)
class Outcomes:
    """Per draw of one block: ``contracted`` (:func:`~gigawatt.engine.targets.contracted_steps`),
    ``targets`` (name → day met, inf: not within the horizon), ``demand`` (stream → (draw,
    year end), in demand's stated unit), ``supply`` (``supply:NAME:offered|delivered`` →
    (draw, year end) accelerators)."""

    contracted: Steps
    targets: dict[str, np.ndarray]
    demand: dict[str, np.ndarray]
    supply: dict[str, np.ndarray]


def outcomes(
    model: Model, seed: int, start: int, stop: int, ds: BlockData, drawn: Drawn | None = None
) -> Outcomes:
    """The :class:`Outcomes` of draws ``start``..``stop`` simulated as ``ds``; ``drawn``: what
    :func:`~gigawatt.engine.simulate.simulate_drawn` drew for it (drawn again if not given)."""
    bought = contracted_steps(model, ds)  # drawn once, for targets and for what serves demand
    demand_parameters = {k: v for k, v in model.parameters.items() if k.startswith("demand.")}
    return Outcomes(
        contracted=bought,
        targets=target_days(model, ds, bought),
        demand=demand_streams(model, sample(demand_parameters, seed, start, stop), model.year_ends),
        supply=_accelerator_supply(
            model, seed, start, stop, ds, None if drawn is None else (drawn.parameters, drawn.curves)
        ),
    )
