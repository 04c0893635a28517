"""Engine runs recorded block by block: the runner's :class:`RecordSink` writes each block's
per-draw rows and aggregates on any executor; a run begun (:func:`run_recorded`) or
interrupted (:func:`resume_run`) is continued from its completed blocks on the resolved
scenario it began with (:func:`continue_run`)."""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

from gigawatt import __version__, resolved, sources
from gigawatt.errors import GigawattError
from gigawatt.store.catalogue import Store
from gigawatt.store.records import RunRecord, StoreError, scenario_hash, scenario_source
from gigawatt.store.tables import aggregates_from_table, aggregates_table, draws_table

__all__ = [
    "MoneySink",
    "RecordSink",
    "check_resumable",
    "continue_run",
    "load_results",
    "resume_run",
    "run_recorded",
    "scenario_of",
]


def scenario_of(record: RunRecord) -> Any:
    """The scenario a run simulated: its recorded resolved scenario (every ``extends`` parent
    as it was when the run began); for runs recorded without one, its file if unchanged, else
    its stored text (cached: frozen)."""
    if record.resolved_text is not None:
        return _scenario_from_text(record.scenario, record.resolved_text)
    return _scenario_cached(record.scenario, record.scenario_ref, record.scenario_hash, record.scenario_text)


@functools.lru_cache(maxsize=32)
def _scenario_from_text(name: str, text: str) -> Any:
    from gigawatt.scenario import load_scenario_text

    return load_scenario_text(text, name=name)


def check_resumable(record: RunRecord) -> None:
    """Refuse to continue a run whose identity (:attr:`RunRecord.run_hash`) this process
    cannot reproduce: other catalogs or another gigawatt version would mix two models'
    blocks in one result. The scenario files may have changed: the run continues on its
    recorded resolved scenario."""
    if record.run_hash is None or record.resolved_text is None:
        return
    inputs = resolved.Resolved(record.resolved_text, (), resolved.catalog_sha256()).sha256
    if resolved.run_hash(inputs, __version__, record.seed) != record.run_hash:
        raise StoreError(
            f"run {record.id} cannot be resumed: it began with gigawatt {record.version} and other "
            f"catalogs than gigawatt {__version__} has; its blocks would mix two models. "
            "Start a new run instead"
        )


@functools.lru_cache(maxsize=32)
def _scenario_cached(name: str, ref: str, digest: str, text: str) -> Any:
    from gigawatt.scenario import load_scenario, load_scenario_text

    try:
        current, _ = scenario_source(ref)
    except GigawattError:
        current = None
    if current is not None and scenario_hash(current) == digest:
        return load_scenario(ref)
    folder = Path(ref).parent if sources.is_file_ref(ref) else None
    return load_scenario_text(text, name=name, base_dir=folder, file=f"{name}.yaml")


def run_recorded(
    store: Store,
    scenario: str | Path,
    *,
    draws: int = 10_000,
    seed: int = 0,
    block_draws: int | None = None,
    progress: Any = None,
    loaded: Any = None,
    scenario_text: str | None = None,
    backend: Any = None,
) -> RunRecord:
    """Run the engine block by block on ``backend`` (a :class:`gigawatt.runner.Backend`;
    default in process), each block's per-draw rows and aggregates saved as it completes.

    ``loaded`` (an already validated :class:`~gigawatt.scenario.Scenario`) and
    ``scenario_text`` skip re-reading the scenario; ``progress(done, total)`` is
    called after each block. Returns the complete record."""
    from gigawatt.sampling import BLOCK_DRAWS
    from gigawatt.scenario import load_scenario

    if scenario_text is None:
        scenario_text, ref = scenario_source(scenario)
    else:
        ref = str(scenario)
    loaded = loaded if loaded is not None else load_scenario(scenario)
    block = max(BLOCK_DRAWS, -(-(block_draws or BLOCK_DRAWS) // BLOCK_DRAWS) * BLOCK_DRAWS)
    money = MoneySink(loaded, draws, seed)  # first: its process gets ready while the run begins
    try:
        run_id = store.begin_run(
            scenario=loaded.name,
            scenario_text=scenario_text,
            scenario_ref=ref,
            draws=draws,
            seed=seed,
            block_draws=block,
        )
        return continue_run(store, run_id, loaded, progress, backend, money)
    finally:
        money.close()


def resume_run(store: Store, run_id: str, *, progress: Any = None, backend: Any = None) -> RunRecord:
    """Continue an interrupted or failed run from its last completed block (on ``backend``), on
    the resolved scenario it was begun with (never the files as they are now, which may have changed)."""
    check_resumable(store.get(run_id))
    record = store.claim(run_id)
    try:
        loaded = scenario_of(record)
    except GigawattError as exc:
        store.fail_run(record.id, str(exc))
        raise
    return continue_run(store, record.id, loaded, progress, backend)


class MoneySink:
    """The money of a recorded run (:func:`gigawatt.finance.summary.with_money`) on its first
    :data:`~gigawatt.runner.MONEY_DRAWS` draws, worked out in a process of its own, forked when
    the sink is made: there it imports the money's modules (:mod:`gigawatt.finance.summary` and
    networkx: ~0.15 s of CPU; no xarray nor pandas, the draws are read as plain arrays by
    :class:`~gigawatt.finance.summary.DrawsBuildout`) while this process begins the run and starts
    the blocks, which uses one core, then takes the draws from :attr:`head` (a
    :class:`~gigawatt.runner.Head`) as soon as they are in (block 0, usually the first to arrive)
    and works the money out beside the blocks. This process imports none of it. A resumed run
    whose first draws an earlier process simulated has them simulated again there, at the end;
    where processes cannot be forked the money is worked out here, at the end. Add :attr:`head`
    to the run's sinks, then this one."""

    def __init__(self, loaded: Any, draws: int, seed: int) -> None:
        from gigawatt.runner import MONEY_DRAWS, Head

        self.loaded, self.draws, self.seed = loaded, draws, seed
        # none without contracts or deals (the money's own test, without importing it)
        self.head = Head(min(draws, MONEY_DRAWS) if loaded.contracts or loaded.financing else 0)
        self._sent = False
        self._conn: Any = None
        self._process: Any = None
        if self.head.draws and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._conn, theirs = context.Pipe()
            self._process = context.Process(
                target=_money_process,
                args=(theirs, self._conn, os.getpid(), loaded, draws, seed),
                name="gigawatt-money",
                daemon=True,
            )
            self._process.start()
            theirs.close()

    def __call__(self, out: Any) -> None:
        if self._conn is not None and not self._sent and out.head is not None:
            joined = self.head.joined()
            if joined is not None:
                self._send(joined)

    def _send(self, joined: Any) -> None:
        self._sent = True
        with contextlib.suppress(OSError):  # its process ended early: summary() says why
            self._conn.send(joined)

    def summary(self, results: dict[str, Any]) -> dict[str, Any]:
        """``results`` with the money entry added (none without contracts or deals)."""
        if not self.head.draws:
            return results
        if self._conn is None:
            joined = self.head.joined()
            return {**results, **_with_money(self.loaded, self.draws, self.seed, joined)}
        if not self._sent:
            self._send(self.head.joined())  # None: simulated there
        try:
            kind, value = self._conn.recv()
        except EOFError:
            self._process.join()
            raise StoreError(
                "the money of the run's first draws was not worked out: its process ended "
                f"(exit code {self._process.exitcode})"
            ) from None
        finally:
            self.close()
        if kind == "error":
            raise value
        return {**results, **value}

    def close(self) -> None:
        """End the money's process (at once if it is still working: the run failed)."""
        if self._process is not None:
            self._conn.close()
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None


def _with_money(loaded: Any, draws: int, seed: int, joined: Any) -> dict[str, Any]:
    """The ``money`` entry of a run's summary, on its first draws ``joined`` (None: simulated here)."""
    from gigawatt.finance.summary import DrawsBuildout, with_money

    return with_money({}, loaded, draws, seed, None if joined is None else DrawsBuildout(joined))


def _money_process(conn: Any, ours: Any, parent: int, loaded: Any, draws: int, seed: int) -> None:
    """A :class:`MoneySink`'s process: the money's modules imported at once, then the money of the
    draws it is sent, sent back (or the error that stopped it). It ends when its run does, at once
    (``os._exit``: nothing the run's process had is flushed or torn down twice)."""
    try:
        gc.disable()  # one short computation: the collector would only re-walk the imports' objects
        ours.close()  # the run's end of the pipe: only the run holds it, so a run that dies is seen
        with contextlib.suppress(ValueError):  # not forked from a main thread: it has no signals
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the run, which ends this
        _money_answer(conn, parent, loaded, draws, seed)
    finally:
        os._exit(0)


def _money_answer(conn: Any, parent: int, loaded: Any, draws: int, seed: int) -> None:
    try:
        import networkx  # noqa: F401 (the money graph's, imported there on first use: now, as well)

        import gigawatt.finance.summary  # noqa: F401 (the slow part, before the draws are in)

        while not conn.poll(0.5):
            if os.getppid() != parent:  # the run was killed (a pool's workers hold its end too)
                return
        joined = conn.recv()
        result: tuple[str, Any] = ("money", _with_money(loaded, draws, seed, joined))
    except EOFError:
        return
    except Exception as exc:
        result = ("error", exc)
    try:
        conn.send(result)
    except OSError:  # the run is gone
        return
    except Exception as exc:  # an error that does not pickle
        conn.send(("error", StoreError(f"the run's money failed: {type(exc).__name__}: {result[1]}")))


@dataclasses.dataclass
class RecordSink:
    """The runner's sink of a recorded run: each block's per-draw rows, then its aggregates
    (a block is complete once its aggregates land), whichever executor simulated it."""

    store: Store
    run_id: str

    def __call__(self, out: Any) -> None:
        self.store.write_draws(self.run_id, out.index, out.rows)
        self.store.write_block(self.run_id, out.index, aggregates_table(out.value))


def continue_run(
    store: Store,
    run_id: str,
    loaded: Any,
    progress: Any = None,
    backend: Any = None,
    money: MoneySink | None = None,
) -> RunRecord:
    """Simulate the blocks a begun run lacks (on ``backend``, a :class:`gigawatt.runner.Backend`;
    default in process), then merge all blocks and mark it complete; ``money``: the run's
    :class:`MoneySink`, if already made.

    Any failure marks the run failed (with the reason) and is re-raised."""
    from gigawatt.engine import Aggregates, Model, Results, simulate_blocks
    from gigawatt.engine.blocks import warm
    from gigawatt.runner import BlockOut, BlockProgress, Merge, run_blocks

    record = store.get(run_id)
    money = money or MoneySink(loaded, record.draws, record.seed)
    try:
        model = Model.from_scenario(loaded)
        ranges = [
            (lo, min(record.draws, lo + record.block_draws))
            for lo in range(0, record.draws, record.block_draws)
        ]
        done = set(store.completed_blocks(record.id))
        merged = Merge(Aggregates())
        sinks: list[Any] = [RecordSink(store, record.id), merged, money.head, money]
        if progress:
            sinks.append(BlockProgress(progress, len(ranges)))
        for index in sorted(done):  # from an earlier, interrupted process
            out = BlockOut(index, 0, aggregates_from_table(store.read_block(record.id, index)))
            for sink in sinks[1:]:
                sink(out)
        todo = [(i, lo, hi) for i, (lo, hi) in enumerate(ranges) if i not in done]
        run_blocks(
            simulate_blocks,
            model,
            todo,
            sinks,
            executor=backend,
            args=(record.seed, draws_table, False, money.head.draws),
            per_block=True,
            warm=warm,
        )
        summary = money.summary(Results(model, merged.total, record.seed).summary())
    except Exception as exc:
        store.fail_run(record.id, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        money.close()
    return store.finish_run(record.id, summary)


def load_results(store: Store, run_id: str) -> Any:
    """The engine :class:`~gigawatt.engine.Results` of a stored run, rebuilt from its blocks."""
    from gigawatt.engine import Aggregates, Model, Results

    record = store.get(run_id)
    model = Model.from_scenario(scenario_of(record))
    total = Aggregates()
    for index in store.completed_blocks(record.id):
        total = total.merge(aggregates_from_table(store.read_block(record.id, index)))
    return Results(model, total, record.seed)
