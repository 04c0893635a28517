"""Engine runs recorded block by block: the runner's :class:`RecordSink` writes each block's
per-draw rows and aggregates on any executor; a run begun (:func:`run_recorded`) or
interrupted (:func:`resume_run`) is continued from its completed blocks on the resolved
scenario it began with (:func:`continue_run`)."""

from __future__ import annotations

import dataclasses
import functools
import threading
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
    run_id = store.begin_run(
        scenario=loaded.name,
        scenario_text=scenario_text,
        scenario_ref=ref,
        draws=draws,
        seed=seed,
        block_draws=block,
    )
    return continue_run(store, run_id, loaded, progress, backend)


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
    """The money of a recorded run (:func:`gigawatt.finance.summary.with_money`) worked out in a
    thread as soon as the run's :class:`~gigawatt.runner.Head` holds its first draws (block 0,
    usually the first to arrive), so that it overlaps the rest of the blocks instead of
    following them; a run whose first draws were simulated by an earlier process (resumed)
    gets it at the end, those draws simulated again. ``overlap`` false (blocks simulated in
    this process, which the thread would only take turns with): at the end, on the first
    draws kept. Add it after the ``head`` sink."""

    def __init__(self, loaded: Any, draws: int, seed: int, head: Any, overlap: bool = True) -> None:
        self.loaded, self.draws, self.seed, self.head = loaded, draws, seed, head
        self.overlap = overlap
        self._money: dict[str, Any] = {}
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, out: Any) -> None:
        if not self.overlap or self._thread is not None or out.head is None:
            return
        built = self.head.dataset()
        if built is not None:
            self._thread = threading.Thread(target=self._work, args=(built,), name="money", daemon=True)
            self._thread.start()

    def _work(self, built: Any) -> None:
        try:
            self._money = self._with_money(built)
        except BaseException as exc:  # re-raised by summary(), in the run's own thread
            self._error = exc

    def _with_money(self, built: Any) -> dict[str, Any]:
        from gigawatt.finance.summary import with_money

        return with_money({}, self.loaded, self.draws, self.seed, built)

    def summary(self, results: dict[str, Any]) -> dict[str, Any]:
        """``results`` with the money entry added (none without contracts or deals)."""
        if self._thread is None:
            return {**results, **self._with_money(self.head.dataset())}
        self._thread.join()
        if self._error is not None:
            raise self._error
        return {**results, **self._money}


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
    store: Store, run_id: str, loaded: Any, progress: Any = None, backend: Any = None
) -> RunRecord:
    """Simulate the blocks a begun run lacks (on ``backend``, a :class:`gigawatt.runner.Backend`;
    default in process), then merge all blocks and mark it complete.

    Any failure marks the run failed (with the reason) and is re-raised."""
    from gigawatt.engine import Aggregates, Model, Results, simulate_blocks
    from gigawatt.engine.blocks import warm
    from gigawatt.runner import BlockOut, BlockProgress, Head, Merge, run_blocks

    record = store.get(run_id)
    try:
        model = Model.from_scenario(loaded)
        ranges = [
            (lo, min(record.draws, lo + record.block_draws))
            for lo in range(0, record.draws, record.block_draws)
        ]
        done = set(store.completed_blocks(record.id))
        merged = Merge(Aggregates())
        head = Head(_money_draws(loaded, record.draws))  # the money's draws
        money = MoneySink(loaded, record.draws, record.seed, head, overlap=_parallel(backend))
        sinks: list[Any] = [RecordSink(store, record.id), merged, head, money]
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
            args=(record.seed, draws_table, False, head.draws),
            per_block=True,
            warm=warm,
        )
        summary = money.summary(Results(model, merged.total, record.seed).summary())
    except Exception as exc:
        store.fail_run(record.id, f"{type(exc).__name__}: {exc}")
        raise
    return store.finish_run(record.id, summary)


def _parallel(backend: Any) -> bool:
    """Whether ``backend`` simulates blocks in other processes while this one waits."""
    return backend is not None and backend.kind != "inprocess"


def _money_draws(loaded: Any, draws: int) -> int:
    """How many of a run's first draws its money is computed on (none without contracts or deals)."""
    if not (loaded.contracts or loaded.financing):
        return 0
    from gigawatt.finance.summary import MONEY_DRAWS

    return min(draws, MONEY_DRAWS)


def load_results(store: Store, run_id: str) -> Any:
    """The engine :class:`~gigawatt.engine.Results` of a stored run, rebuilt from its blocks."""
    from gigawatt.engine import Aggregates, Model, Results

    record = store.get(run_id)
    model = Model.from_scenario(scenario_of(record))
    total = Aggregates()
    for index in store.completed_blocks(record.id):
        total = total.merge(aggregates_from_table(store.read_block(record.id, index)))
    return Results(model, total, record.seed)
