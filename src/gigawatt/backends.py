"""Where blocks of draws run: in this process, a local process pool, or a Dask cluster.

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

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from gigawatt import engine
from gigawatt.engine import Aggregates, Model, Results, aggregate_blocks, block_draw_ranges
from gigawatt.errors import GigawattError
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import Scenario

__all__ = ["BACKENDS", "Backend", "local_cluster", "run"]

R = TypeVar("R")
BackendKind = Literal["inprocess", "local", "dask"]
#: The backends by name, for the command line.
BACKENDS: tuple[BackendKind, ...] = ("inprocess", "local", "dask")


@dataclass(frozen=True)
class Backend:
    """How blocks run: ``inprocess``; ``local`` (a pool of ``workers`` processes);
    ``dask`` (the cluster at ``address``, or a new local cluster of ``workers``
    workers, in processes unless ``processes`` is false). With ``address``,
    ``workers`` is how many workers to plan tasks for."""

    kind: BackendKind = "inprocess"
    address: str | None = None
    workers: int = 2
    processes: bool = True
    #: blocks in flight at once (default: twice the workers)
    window: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise GigawattError(f"unknown backend {self.kind!r}: use {', '.join(BACKENDS)}")
        if self.address is not None and self.kind != "dask":
            raise GigawattError("--address is for --backend dask")
        if self.workers < 1:
            raise GigawattError("workers must be >= 1")

    def imap(
        self, fn: Callable[..., R], shared: Any, tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        """``(i, fn(shared, *tasks[i]))`` for every task, in the order they finish.

        ``shared`` (e.g. the model) is sent to each worker once where the
        backend allows it; ``fn`` must be importable (a module-level function)
        for ``local`` and ``dask`` in processes."""
        if self.kind == "inprocess":
            for i, task in enumerate(tasks):
                yield i, fn(shared, *task)
        elif self.kind == "local":
            yield from self._imap_pool(fn, shared, tasks)
        else:
            yield from self._imap_dask(fn, shared, tasks)

    def _window(self, workers: int) -> int:
        return self.window or 2 * max(workers, 1)

    def _imap_pool(
        self, fn: Callable[..., R], shared: Any, tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        todo = iter(enumerate(tasks))
        with ProcessPoolExecutor(self.workers) as pool:
            pending: dict[Future[R], int] = {}

            def submit() -> None:
                for i, task in todo:
                    pending[pool.submit(fn, shared, *task)] = i
                    return

            for _ in range(self._window(self.workers)):
                submit()
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    i = pending.pop(future)
                    submit()
                    yield i, future.result()

    def _imap_dask(
        self, fn: Callable[..., R], shared: Any, tasks: Sequence[tuple[Any, ...]]
    ) -> Iterator[tuple[int, R]]:
        from distributed import as_completed

        todo = iter(enumerate(tasks))
        with self._client() as client:
            workers = max(len(client.scheduler_info().get("workers", {})), 1)
            [shared_future] = client.scatter([shared], broadcast=True, hash=False)
            index: dict[str, int] = {}
            running = as_completed()

            def submit() -> None:
                for i, task in todo:
                    future = client.submit(fn, shared_future, *task, pure=False)
                    index[future.key] = i
                    running.add(future)
                    return

            for _ in range(self._window(workers)):
                submit()
            for future in running:
                result = future.result()
                i = index.pop(future.key)
                future.release()
                submit()
                yield i, result
            shared_future.release()

    @contextmanager
    def _client(self) -> Iterator[Any]:
        from distributed import Client

        logging.getLogger("distributed").setLevel(logging.ERROR)
        if self.address is not None:
            try:
                client = Client(self.address, timeout="10s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise GigawattError(f"cannot reach the Dask scheduler at {self.address}: {exc}") from None
            with client:
                yield client
            return
        with local_cluster(self.workers, self.processes) as cluster, Client(cluster) as client:
            yield client


@contextmanager
def local_cluster(workers: int, processes: bool = True) -> Iterator[Any]:
    """A Dask ``LocalCluster`` of single-threaded workers, without the nanny's
    ``MALLOC_TRIM_THRESHOLD_=65536``: with it, glibc stops raising its mmap threshold
    and every large temporary array is a fresh mmap; a block then takes twice as long
    (measured: 0.72 s vs 1.48 s per 8,192 Stargate draws)."""
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}),
        LocalCluster(
            n_workers=workers,
            threads_per_worker=1,
            processes=processes,
            dashboard_address=None,
            silence_logs=logging.ERROR,
        ) as cluster,
    ):
        yield cluster


def run(
    scenario: Scenario,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int = 8 * BLOCK_DRAWS,
    progress: Callable[[int], None] | None = None,
    backend: Backend | None = None,
) -> Results:
    """:func:`gigawatt.engine.run` on a backend; the same results, bit for bit."""
    backend = backend or Backend()
    if backend.kind != "dask":
        workers = backend.workers if backend.kind == "local" else 1
        return engine.run(scenario, draws, seed, block_draws, progress, workers=workers)
    if draws < 1:
        raise ValueError("draws must be >= 1")
    model = Model.from_scenario(scenario)
    ranges = block_draw_ranges(draws, block_draws)
    # A block's aggregates are large (dense histograms), so each task merges a few
    # consecutive blocks on its worker: ~4 tasks per worker, at most 16 blocks each.
    size = min(16, max(1, -(-len(ranges) // (4 * backend.workers))))
    tasks = [(seed, ranges[i : i + size]) for i in range(0, len(ranges), size)]
    total = Aggregates()
    for _, block in backend.imap(aggregate_blocks, model, tasks):
        total = total.merge(block)
        if progress:
            progress(block.draws)
    return Results(model, total, seed)
