"""Wall time of ``gigawatt`` commands at a git revision against the working tree, side by side.

The revision's ``src/`` is extracted with ``git archive`` into a temporary folder; both trees
run on this virtualenv's Python (``PYTHONPATH`` picks the tree), alternating, each command
``--repeat`` times; the table gives medians of the wall time and of the CPU time (user +
system) the command itself used, which other people's work on a shared machine inflates
less. ``--importtime`` adds the slowest imports of ``gigawatt --help`` now
(``python -X importtime``).

Commands keep PERT quantile tables in a cache file (``gigawatt.tablecache``). ``--cache warm``
(the default) gives every run one cache folder of its own tree, filled by an untimed run
first: what a user's second command sees; ``--cache cold``: an empty folder for every run, as
on a new machine. Trees from before the cache ignore it.

    .venv/bin/python -m benchmarks.cli_compare d85058a --repeat 5 --importtime
"""

from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The installed script's entry point (``gigawatt.cli:script``), or ``main`` in trees from before it.
MAIN = (
    "import sys, gigawatt.cli as c; sys.argv[0] = 'gigawatt'; "
    "c.script() if hasattr(c, 'script') else c.main()"
)
DEFAULT_COMMANDS = (
    "--help",
    "validate stargate",
    "run stargate --draws 100000 --no-record --json",
    "run stargate --draws 100000 --store {store} --json",
)


def extract(revision: str, into: Path) -> Path:
    """``src/`` of ``revision`` under ``into``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "src"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into / "src"


def timed(src: Path, command: str, scratch: Path, cache: Path | None = None) -> tuple[float, float]:
    """Wall and CPU seconds (the child's user + system time) of one run of ``gigawatt COMMAND``
    with ``src`` first on the path. On a shared machine the wall time waits for other people's
    work; the CPU time is what the command itself did."""
    store = Path(tempfile.mkdtemp(dir=scratch))
    argv = shlex.split(command.format(store=store))
    cache = cache or Path(tempfile.mkdtemp(dir=scratch))  # none given: a cold cache
    env = {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "80", "GIGAWATT_CACHE_DIR": str(cache)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", MAIN, *argv],
        check=True,
        env=env,
        cwd=scratch,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def importtime(src: Path, top: int) -> list[tuple[int, str]]:
    """The ``top`` imports of ``gigawatt.cli`` by cumulative microseconds."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    lines = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import gigawatt.cli"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stderr.splitlines()
    rows = []
    for line in lines[1:]:
        _, cumulative, name = line.split("|")
        rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:top]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("revision")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--command", action="append", help="gigawatt arguments ({store}: a new store)")
    parser.add_argument("--importtime", action="store_true")
    parser.add_argument("--cache", choices=("warm", "cold"), default="warm")
    args = parser.parse_args(argv)
    commands = args.command or list(DEFAULT_COMMANDS)
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        trees = {args.revision: extract(args.revision, scratch), "now": ROOT / "src"}
        caches: dict[str, Path | None] = {name: None for name in trees}
        if args.cache == "warm":
            for name, src in trees.items():
                caches[name] = Path(tempfile.mkdtemp(dir=scratch))
                timed(src, "run stargate --draws 1 --no-record --json", scratch, caches[name])
        print(f"PERT table cache: {args.cache}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        rev = args.revision
        print(f"| gigawatt … | {rev} wall s | now wall s | {rev} CPU s | now CPU s | ratio (CPU) |")
        print("|---|---|---|---|---|---|")
        for command in commands:
            times: dict[str, list[tuple[float, float]]] = {name: [] for name in trees}
            for r in range(args.repeat):
                order = list(trees.items()) if r % 2 == 0 else list(reversed(trees.items()))
                for name, src in order:
                    times[name].append(timed(src, command, scratch, caches[name]))
            wall = [statistics.median(w for w, _ in times[k]) for k in trees]
            cpu = [statistics.median(c for _, c in times[k]) for k in trees]
            shown = command.replace("{store}", "STORE")
            print(
                f"| `{shown}` | {wall[0]:.2f} | {wall[1]:.2f} | {cpu[0]:.2f} | {cpu[1]:.2f} "
                f"| {cpu[0] / cpu[1]:.2f}× |",
                flush=True,
            )
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        if args.importtime:
            print("\nSlowest imports of `gigawatt --help` now (cumulative ms):")
            for cumulative, name in importtime(trees["now"], 12):
                print(f"  {cumulative / 1000:8.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
