"""The catalogue a Store keeps parsed: a run's own writes keep it current (nothing read again,
whatever the store holds), another process's writes make it stale, and it always reads as the
catalogue itself does."""

from __future__ import annotations

from pathlib import Path

import pytest

from gigawatt.store import Store
from gigawatt.store.catalogue import Store as CatalogueStore


def _begin(store: Store, seed: int = 0) -> str:
    return store.begin_run(scenario="x", scenario_text="name: x\n", draws=10, seed=seed, block_draws=10)


def _parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The ids of every catalogue row parsed from now on."""
    seen: list[str] = []
    original = CatalogueStore._record

    def record(self: Store, row: tuple[object, ...]) -> object:
        seen.append(str(row[0]))
        return original(self, row)

    monkeypatch.setattr(CatalogueStore, "_record", record)
    return seen


def test_a_run_reads_only_its_own_row_however_many_runs_the_store_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "s"
    others = [Store(root).finish_run(_begin(Store(root), seed), {"p": seed}).id for seed in range(6)]
    store = Store(root)
    parsed = _parsed(monkeypatch)
    run_id = _begin(store)
    assert store.get(run_id).status == "running"
    finished = store.finish_run(run_id, {"p": 0.5})
    assert finished.status == "complete" and store.get(run_id).summary == finished.summary
    assert set(parsed) == {run_id}  # none of the six other runs was read again
    # the whole catalogue, read afresh by another Store, is what this one lists
    listed = [(r.id, r.status, r.summary) for r in store.list_runs()]
    assert listed == [(r.id, r.status, r.summary) for r in Store(root).list_runs()]
    assert {r[0] for r in listed} == {run_id, *others} and listed[0][0] == run_id  # newest first


def test_a_listed_catalogue_stays_current_through_own_writes(tmp_path: Path) -> None:
    store = Store(tmp_path / "s")
    first = _begin(store)
    store.list_runs()  # the whole catalogue parsed
    second = _begin(store)
    store.fail_run(first, "stopped")
    fresh = Store(tmp_path / "s").list_runs()
    assert [(r.id, r.status, r.error) for r in store.list_runs()] == [
        (r.id, r.status, r.error) for r in fresh
    ]
    assert [r.id for r in fresh] == [second, first]
    assert (store.get(first).status, store.get(first).error) == ("failed", "stopped")


def test_another_writer_makes_the_parsed_catalogue_stale(tmp_path: Path) -> None:
    mine, theirs = Store(tmp_path / "s"), Store(tmp_path / "s")
    run_id = _begin(mine)
    assert theirs.get(run_id).status == "running"
    assert [r.id for r in theirs.list_runs()] == [run_id]
    mine.finish_run(run_id, {"p": 1})
    other = _begin(mine, seed=1)
    assert theirs.get(run_id).status == "complete" and theirs.get(run_id).summary is not None
    assert [r.id for r in theirs.list_runs()] == [other, run_id]


def test_a_prefix_is_looked_up_in_the_whole_catalogue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Store that knows one run by its whole id still finds a prefix ambiguous when another
    run shares it."""
    import secrets

    from gigawatt.store import StoreError

    ids = iter(["abcd000001", "abcd000002"])
    real = secrets.token_hex
    monkeypatch.setattr(secrets, "token_hex", lambda n=None: next(ids) if n == 5 else real(n))
    theirs = _begin(Store(tmp_path / "s"), seed=1)  # another process, before this one
    mine = Store(tmp_path / "s")
    first = _begin(mine)  # known to `mine` by its whole id, current
    assert mine.get(first).id == first and mine.get(theirs).seed == 1
    with pytest.raises(StoreError, match="ambiguous"):
        mine.get("abcd")
