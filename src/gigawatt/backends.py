"""Where blocks of draws run: in this process, a local process pool, or a Dask cluster
(the executors are :class:`gigawatt.runner.Backend`, re-exported here).

A run is a list of independent blocks (a function of a shared model and a draw
range). A :class:`Backend` maps the function over the blocks and hands each
result back as soon as it finishes, with at most ``window`` blocks in flight, so
the caller merges it and lets it go: the client's memory stays flat however many
draws there are. :class:`~gigawatt.engine.Aggregates` merge exactly (integer
histograms, per-chunk sums keyed by chunk), so every backend gives bit-identical
results for the same seed.

On a real cluster every worker needs the same ``gigawatt`` installed (the blocks
call its functions); start one with ``dask scheduler`` and ``dask worker
tcp://HOST:8786 --no-nanny`` (the nanny sets ``MALLOC_TRIM_THRESHOLD_``, which halves
the engine's speed; see :func:`local_cluster`) and pass ``--address tcp://HOST:8786``.
"""

from __future__ import annotations

from collections.abc import Callable

from gigawatt import engine
from gigawatt.engine import Results
from gigawatt.runner import BACKENDS, Backend, local_cluster
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import Scenario

__all__ = ["BACKENDS", "Backend", "local_cluster", "run"]


def run(
    scenario: Scenario,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int = 8 * BLOCK_DRAWS,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Results:
    """:func:`gigawatt.engine.run` on a backend; the same results, bit for bit."""
    return engine.run(scenario, draws, seed, block_draws, progress, executor=backend or Backend())
