"""The one block loop: blocks of draws run on an executor, each result handed to sinks.

A run is a list of independent blocks ``(index, start, stop)``. An executor (a
:class:`Backend`: in this process, a local process pool, or a Dask cluster) maps a work
function over groups of blocks, at most ``window`` groups in flight, and hands each
:class:`BlockOut` back as it finishes; the sinks take it in turn: :class:`Merge` (the
run's :class:`~gigawatt.engine.Aggregates`), the store's writer of recorded blocks and
their per-draw rows (``gigawatt.store.RecordSink``), :class:`DrawProgress` and
:class:`BlockProgress`. The work function computes what the sinks need (per-draw rows
included) where it runs, so recording, per-draw rows, ``--resume`` and progress work the
same on every executor. Merges are exact (integer histograms, per-chunk sums keyed by
chunk), so the order blocks finish in changes no result: every executor gives the same
numbers, bit for bit, for the same seed.

On a real cluster every worker needs the same ``gigawatt`` installed (the blocks call its
functions); start one with ``dask scheduler`` and ``dask worker tcp://HOST:8786
--no-nanny`` (the nanny sets ``MALLOC_TRIM_THRESHOLD_``, which halves the engine's speed;
see :func:`local_cluster`) and pass ``--address tcp://HOST:8786``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from gigawatt.errors import GigawattError

__all__ = [
    "BACKENDS",
    "Backend",
    "BlockOut",
    "BlockProgress",
    "DrawProgress",
    "Head",
    "MONEY_DRAWS",
    "Merge",
    "Sink",
    "auto_workers",
    "group_sizes",
    "local_cluster",
    "run_blocks",
]

R = TypeVar("R")
BackendKind = Literal["inprocess", "local", "dask"]
#: The executors by name, for the command line.
BACKENDS: tuple[BackendKind, ...] = ("inprocess", "local", "dask")
#: A block of draws: its index in the run, its first draw and one past its last.
Block = tuple[int, int, int]
#: A recorded run's money is computed on its first draws, this many at most (:class:`Head`); here, not
#: in :mod:`gigawatt.finance`, so that a run can say how many without importing the money's modules.
MONEY_DRAWS = 2000


@dataclass(frozen=True)
class BlockOut:
    """What the work function gives back for one block (or, merged on the worker, for
    ``blocks`` consecutive blocks from ``index``): ``value`` is mergeable, ``rows`` the
    per-draw rows when asked for."""

    index: int
    draws: int
    value: Any
    rows: Any = None
    blocks: int = 1
    #: the block's simulated draws below a run's ``head`` (the money sink's), when asked for
    head: Any = None


#: Takes each block's output as it arrives (in the order blocks finish).
Sink = Callable[[BlockOut], None]


class Merge:
    """Adds every block's ``value`` into the running ``total``, which it owns
    (``total.merge_in(value)`` adds in place; it must be exact and associative)."""

    def __init__(self, start: Any) -> None:
        self.total = start

    def __call__(self, out: BlockOut) -> None:
        self.total = self.total.merge_in(out.value)


@dataclass
class DrawProgress:
    """``callback(draws)`` with the draws each block adds."""

    callback: Callable[[int], None]

    def __call__(self, out: BlockOut) -> None:
        self.callback(out.draws)


@dataclass
class BlockProgress:
    """``callback(done, total)`` in blocks, counting blocks done before (a resumed run's)."""

    callback: Callable[[int, int], None]
    total: int
    done: int = 0

    def __call__(self, out: BlockOut) -> None:
        self.done += out.blocks
        self.callback(self.done, self.total)


@dataclass
class Head:
    """Collects the simulated draws ``0..draws`` that blocks hand back (``BlockOut.head``), so
    a run's money is computed on draws already simulated instead of simulating them again."""

    draws: int
    parts: dict[int, Any] = field(default_factory=dict)

    def __call__(self, out: BlockOut) -> None:
        if out.head is not None:
            self.parts[out.index] = out.head

    def joined(self) -> Any:
        """The draws ``0..draws`` in order (the blocks' parts, the engine's ``Draws``, joined), or
        None when a block of them was not simulated here (a resumed run's earlier blocks)."""
        parts = [self.parts[i] for i in sorted(self.parts)]
        if not parts or sum(p.sizes["draw"] for p in parts) != self.draws:
            return None
        return parts[0] if len(parts) == 1 else type(parts[0]).concat(parts)


@dataclass(frozen=True)
class Backend:
    """An executor: ``inprocess``; ``local`` (a pool of ``workers`` processes); ``dask``
    (the cluster at ``address``, or a new local cluster of ``workers`` workers, in
    processes unless ``processes`` is false). With ``address``, ``workers`` is how many
    workers to plan tasks for."""

    kind: BackendKind = "inprocess"
    address: str | None = None
    workers: int = 2
    processes: bool = True
    #: groups of blocks in flight at once (default: twice the workers)
    window: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in BACKENDS:
            raise GigawattError(f"unknown backend {self.kind!r}: use {', '.join(BACKENDS)}")
        if self.address is not None and self.kind != "dask":
            raise GigawattError("--address is for --backend dask")
        if self.workers < 1:
            raise GigawattError("workers must be >= 1")

    @property
    def parallel(self) -> int:
        """How many tasks run at once (1 in process)."""
        return 1 if self.kind == "inprocess" else self.workers

    def imap(
        self,
        fn: Callable[..., R],
        shared: Any,
        tasks: Sequence[tuple[Any, ...]],
        warm: Callable[[Any], object] | None = None,
    ) -> Iterator[tuple[int, R]]:
        """``(i, fn(shared, *tasks[i]))`` for every task, in the order they finish.

        ``shared`` (e.g. the model) is sent to each worker once where the
        backend allows it; ``fn`` must be importable (a module-level function)
        for ``local`` and ``dask`` in processes. ``warm(shared)`` runs once in this process
        before a ``local`` pool forks its workers, so that what is built on first use
        (quantile tables, imports) is inherited by every worker instead of built by each."""
        if self.kind == "inprocess":
            for i, task in enumerate(tasks):
                yield i, fn(shared, *task)
        elif self.kind == "local":
            if warm is not None and len(tasks) > 1:
                warm(shared)
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
        from distributed import as_completed  # noqa: PLC0415 (optional: the dask extra)

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
        from distributed import Client  # noqa: PLC0415 (optional: the dask extra)

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
    import dask  # noqa: PLC0415 (optional: the dask extra)
    from distributed import LocalCluster  # noqa: PLC0415 (optional: the dask extra)

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


def auto_workers(blocks: int) -> int:
    """Worker processes for a run of ``blocks`` blocks when the user names none: one per CPU
    core this process may use, at most one per block (a one-block run stays in process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, blocks))


def group_sizes(blocks: int, executor: Backend, per_block: bool) -> list[int]:
    """Blocks per task, in order: one each in process or when each block's output is kept
    (recorded). Else guided self-scheduling (Polychronopoulos & Kuck, IEEE Trans. Computers
    36(12), 1987): each task takes about 1/(2·workers) of the blocks still left, at most 16,
    merged on the worker; the first tasks are large (few transfers of a block's large
    aggregates) and the last are single blocks, so the workers finish within about one block
    of each other."""
    if per_block or executor.kind == "inprocess":
        return [1] * blocks
    sizes = []
    left = blocks
    while left:
        size = min(16, max(1, -(-left // (2 * executor.parallel))))
        sizes.append(size)
        left -= size
    return sizes


def run_blocks(
    work: Callable[..., list[BlockOut]],
    shared: Any,
    blocks: Sequence[Block],
    sinks: Sequence[Sink],
    *,
    executor: Backend | None = None,
    args: tuple[Any, ...] = (),
    per_block: bool = False,
    warm: Callable[[Any], object] | None = None,
) -> None:
    """Run ``work(shared, group, *args)`` over groups of ``blocks`` on ``executor`` and hand
    every :class:`BlockOut` to each sink, in order. ``per_block``: the sinks need each
    block's own output (recording), so ``work`` must not merge a group. ``warm``: see
    :meth:`Backend.imap`."""
    executor = executor or Backend()
    tasks = []
    first = 0
    for size in group_sizes(len(blocks), executor, per_block):
        tasks.append((tuple(blocks[first : first + size]), *args))
        first += size
    for _, outs in executor.imap(work, shared, tasks, warm):
        for out in outs:
            for sink in sinks:
                sink(out)
