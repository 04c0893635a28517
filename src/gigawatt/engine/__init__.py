"""The buildout engine: Monte Carlo of every phase's pipeline, shared supply limits.

For each draw, each phase goes permitting → site and shell → IT fit-out →
commissioning, and comes online at the latest of (the tags name the constraint):

* ``construction`` — its planned online date, and construction start + stages;
* ``power:<kind>`` — the date its site's power plan can carry it (phases take a
  site's firm power in order) plus commissioning;
* ``accelerator availability`` — its accelerator generation shipping;
* ``transformers`` / ``turbine supply`` / ``accelerator supply`` / ``build rate``
  — shared limits, each a queue: phases in order of priority, then readiness,
  served from the limit's cumulative supply curve (sorted cumulative sums);
  what is not delivered waits.

Everything is array arithmetic over ``(draw, phase)`` and ``(draw, time)``; the
only Python loops run over phases, sites and limits. Draws are simulated in
chunks of :data:`~gigawatt.sampling.BLOCK_DRAWS`; aggregates per chunk are
integer histograms (exactly mergeable) or per-chunk sums combined in chunk
order, so results are bit-identical for any block size or worker count.

Modules, lowest first: ``histograms`` (draws onto the time grid), ``model`` (the compiled
scenario), ``queues`` (shared supply limits), ``power`` (sites' firm power), ``invariants``,
``simulate`` (one block of draws, step by step), ``targets``, ``demand``, ``outcomes`` (a
block's per-draw targets met, demand, contracted capacity and supply), ``aggregate``
(mergeable :class:`Aggregates`), ``results`` (:class:`Results`), ``blocks`` (:func:`run`).
"""

from gigawatt.engine.aggregate import Aggregates, aggregate_block
from gigawatt.engine.blocks import block_draw_ranges, run, simulate_blocks
from gigawatt.engine.demand import (
    demand_streams,
    grown_demand,
    serves,
    serving_at,
    serving_blocks,
    serving_capacity,
    serving_high_mw,
    serving_sites,
)
from gigawatt.engine.histograms import date_bins
from gigawatt.engine.invariants import InvariantError, check_invariants
from gigawatt.engine.model import CAUSES, DAYS_PER_WEEK, WEEKS_PER_YEAR, Model, PhaseInfo
from gigawatt.engine.outcomes import Outcomes, outcomes
from gigawatt.engine.queues import PRIORITY_DAYS, factory_rate_day
from gigawatt.engine.results import Results
from gigawatt.engine.simulate import simulate_block
from gigawatt.engine.targets import ceiling_mw, contracted_steps, first_reach, target_days

__all__ = [
    "CAUSES",
    "Model",
    "PhaseInfo",
    "Aggregates",
    "Results",
    "simulate_block",
    "aggregate_block",
    "Outcomes",
    "outcomes",
    "run",
    "simulate_blocks",
    "block_draw_ranges",
    "check_invariants",
    "InvariantError",
    "target_days",
    "ceiling_mw",
    "first_reach",
    "contracted_steps",
    "date_bins",
    "demand_streams",
    "grown_demand",
    "serving_high_mw",
    "serves",
    "serving_at",
    "serving_blocks",
    "serving_capacity",
    "serving_sites",
    "factory_rate_day",
    "PRIORITY_DAYS",
    "WEEKS_PER_YEAR",
    "DAYS_PER_WEEK",
]
