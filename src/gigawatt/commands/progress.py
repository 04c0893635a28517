"""A progress bar over a command's known steps (transient, on stderr: --json output stays clean)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gigawatt.commands.common import err


@contextmanager
def steps(labels: Sequence[str], enabled: bool = True) -> Iterator[Callable[[], None]]:
    """Yield ``done()``: each call completes the current step and shows the next one's label."""
    if not enabled:
        yield lambda: None
        return
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    task = bar.add_task(labels[0], total=len(labels))
    state = {"at": 0}

    def done() -> None:
        state["at"] += 1
        label = labels[state["at"]] if state["at"] < len(labels) else "done"
        bar.update(task, advance=1, description=label)

    with bar:
        yield done
