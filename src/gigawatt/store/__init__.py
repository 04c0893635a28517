"""The run store: every run, its inputs, its summary and its per-block arrays, on disk.

Layout under a project folder (default ``./.gigawatt``, or ``$GIGAWATT_STORE``)::

    catalog.duckdb            one row per run: scenario text + hash, seed, draws, status, summary
    catalog.lock              held (flock) for each short catalogue transaction
    catalog.changed           a token rewritten after every change (readers cache the catalogue by it)
    runs/<id>/block-000003.parquet   one file per completed block of draws: its Aggregates
    runs/<id>/draws-000003.parquet   the same block, one row per draw (engine runs; see draws_table)
    runs/<id>/run.json        the run's catalogue row, rewritten when it begins and completes, so
                              `gigawatt runs repair` can rebuild a lost catalogue (gigawatt.store.verify)

Crash safety: a block is written to a temporary file, flushed, and renamed into
place (``os.replace`` is atomic), so a block file is either whole or absent; a
block's per-draw file is renamed into place before its aggregates file, so every
completed block has whole per-draw rows and resume rewrites the same bytes. A
run's row says ``running`` until :meth:`Store.finish_run` writes its summary in
one transaction; a process killed at any moment leaves at worst a ``running`` row
(listed as ``interrupted`` once its process is gone) and some whole blocks, from
which :func:`resume_run` continues. DuckDB allows one writing process at a time,
so every catalogue access opens, works and closes under an exclusive file lock:
concurrent runs interleave their short transactions and all land. Readers (the
dashboard) keep the parsed catalogue until ``catalog.changed`` changes, so a read
opens DuckDB only after some process wrote.

Modules: :mod:`~gigawatt.store.records` (a run's record, the store's errors),
:mod:`~gigawatt.store.catalogue` (the DuckDB catalogue: :class:`Store`),
:mod:`~gigawatt.store.tables` (the per-block Parquet files: per-draw rows and aggregates),
:mod:`~gigawatt.store.recorded` (engine runs recorded block by block: the runner's
:class:`RecordSink`, the run's money in a process of its own (``MoneySink``), resume),
:mod:`~gigawatt.store.diff` (what changed between two runs),
:mod:`~gigawatt.store.verify` (``runs verify`` and ``runs repair``).
"""

from gigawatt.store.catalogue import Store
from gigawatt.store.diff import compare_runs, diff_flat, flatten, resolved_inputs
from gigawatt.store.recorded import (
    RecordSink,
    check_resumable,
    continue_run,
    load_results,
    resume_run,
    run_recorded,
    scenario_of,
)
from gigawatt.store.records import (
    MANIFEST,
    RunNotFoundError,
    RunRecord,
    StoreError,
    default_root,
    jsonable,
    scenario_hash,
    scenario_source,
)
from gigawatt.store.tables import aggregates_from_table, aggregates_table, draws_table

__all__ = [
    "MANIFEST",
    "RunRecord",
    "Store",
    "StoreError",
    "RunNotFoundError",
    "compare_runs",
    "continue_run",
    "default_root",
    "diff_flat",
    "draws_table",
    "flatten",
    "jsonable",
    "aggregates_from_table",
    "aggregates_table",
    "check_resumable",
    "load_results",
    "resume_run",
    "run_recorded",
    "RecordSink",
    "resolved_inputs",
    "scenario_hash",
    "scenario_of",
    "scenario_source",
]
