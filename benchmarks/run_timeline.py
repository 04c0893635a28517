"""Where a ``gigawatt run`` spends its time: the command run in this process (the installed
script's way), with the wall and CPU seconds reached at each step printed on stderr: the CLI
imported, the runner's block loop begun (scenario read, model built), the process pool started
(after the warm-up before it forks), its first result, its last, and the end (summary, JSON).
CPU is this process's own and its finished workers' (``RUSAGE_CHILDREN``): on a shared machine
the wall time also waits for other people's work.

    .venv/bin/python -m benchmarks.run_timeline run stargate --draws 100000 --no-record --json >/dev/null
    PYTHONPATH=OTHER/src .venv/bin/python -m benchmarks.run_timeline run ...   # another tree
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

START = time.perf_counter()


def stamp(step: str) -> None:
    """One line: seconds since start, this process's CPU and its finished children's."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(
        f"{step:26s} wall {time.perf_counter() - START:6.3f} s   cpu {own.ru_utime + own.ru_stime:6.3f} s"
        f"   workers' cpu {children.ru_utime + children.ru_stime:6.3f} s",
        file=sys.stderr,
        flush=True,
    )


def _hooked(pool: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    def imap_pool(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
        stamp("pool started (warm done)")
        first = True
        for result in pool(self, *args, **kwargs):
            if first:
                stamp("first result")
                first = False
            yield result
        stamp("last result")

    return imap_pool


def main() -> int:
    import gigawatt.cli as cli  # timed: the first step
    from gigawatt import runner  # after the CLI, as the command imports it

    stamp("CLI imported")
    run_blocks = runner.run_blocks

    def hooked_run_blocks(*args: Any, **kwargs: Any) -> None:
        stamp("block loop begun")
        run_blocks(*args, **kwargs)

    runner.run_blocks = hooked_run_blocks  # type: ignore[assignment]
    runner.Backend._imap_pool = _hooked(runner.Backend._imap_pool)  # type: ignore[method-assign]
    sys.argv[0] = "gigawatt"
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    sys.stdout.flush()
    stamp("end")
    return code


if __name__ == "__main__":
    sys.exit(main())
