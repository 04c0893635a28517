"""Guards on huge work: estimate a run's time, memory and store size before it starts.

The costs per draw were measured on the ``stargate`` scenario (22 phases, quarterly
finance) on a 2-core development machine with::

    python -c "from gigawatt.guards import measure; print(measure())"

(an in-process engine run of 32,768 draws recorded in 8,192-draw blocks over stargate's
627 weekly steps: 1.9e-5 s and about 780 bytes of memory per draw and phase, 487 bytes
of store per draw; finance of 2,000 draws: 44 kB of memory and 0.65 ms per draw), and
on ``frontier`` stretched to a 100-year weekly grid (5,270 steps, 44 series: 1.5 GB and
about 14 s of CPU more than over its own 108 steps, for 100 draws). Estimates scale
with draws, phases and time steps (finance: draws and periods); they are rough (2x),
which is what a guard needs.

A run is refused, with its estimate, when it needs more memory or disk than is free;
above :data:`CONFIRM_SECONDS` or :data:`CONFIRM_STORE_BYTES` it needs ``--yes``.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gigawatt.engine import Model, aggregate_block, simulate_block
from gigawatt.errors import GigawattError
from gigawatt.scenario import load_scenario

__all__ = [
    "CONFIRM_SECONDS",
    "CONFIRM_STORE_BYTES",
    "Estimate",
    "TooBigError",
    "check",
    "check_engine_run",
    "check_money",
    "estimate_finance",
    "estimate_run",
    "measure",
]

#: Engine seconds per draw and phase (in process), over stargate's 627 time steps.
ENGINE_SECONDS_PER_DRAW_PHASE = 1.9e-5
#: Engine memory per draw and phase of one block in flight (bytes), over 627 time steps.
ENGINE_BYTES_PER_DRAW_PHASE = 780.0
#: The time steps the two figures above were measured over.
_MEASURED_STEPS = 627
#: Engine memory per time step and output series (histograms; bytes).
ENGINE_BYTES_PER_STEP_SERIES = 6.6e3
#: Engine seconds per time step and output series (summaries).
ENGINE_SECONDS_PER_STEP_SERIES = 6e-5
#: Store bytes per recorded draw (its aggregates and per-draw rows).
STORE_BYTES_PER_DRAW = 500.0
#: Finance memory per draw and quarter held (bytes): 44 kB per draw over stargate's 48 quarters.
FINANCE_BYTES_PER_DRAW_PERIOD = 44e3 / 48
#: Finance seconds per draw and quarter.
FINANCE_SECONDS_PER_DRAW_PERIOD = 6.5e-4 / 48
#: Work longer than this (10 minutes) needs --yes.
CONFIRM_SECONDS = 600.0
#: A store bigger than this (10 GB) needs --yes.
CONFIRM_STORE_BYTES = 10e9
#: Memory left for everything else (bytes).
_HEADROOM_BYTES = 512e6


class TooBigError(GigawattError):
    """Work that would not fit in free memory or disk, or that needs ``--yes``."""


@dataclass(frozen=True)
class Estimate:
    """What a piece of work will take, from the measured costs above."""

    what: str
    seconds: float
    memory_bytes: float
    store_bytes: float = 0.0

    def __str__(self) -> str:
        parts = [f"about {_duration(self.seconds)}", f"{_bytes(self.memory_bytes)} of memory"]
        if self.store_bytes:
            parts.append(f"{_bytes(self.store_bytes)} of store")
        return f"{self.what}: {', '.join(parts)}"


def estimate_run(
    draws: int,
    phases: int,
    *,
    recorded: bool,
    steps: int = _MEASURED_STEPS,
    series: int = 25,
    block_draws: int = 8192,
) -> Estimate:
    """An engine run of ``draws`` over ``phases`` site phases and ``steps`` time steps, with
    ``series`` output series (sites, countries, parties, accelerators…), in blocks of ``block_draws``."""
    phases = max(phases, 1)
    in_flight = min(draws, block_draws)
    scale = steps / _MEASURED_STEPS
    return Estimate(
        f"{draws:,} draws of {phases} phases over {steps:,} time steps",
        seconds=draws * phases * ENGINE_SECONDS_PER_DRAW_PHASE * scale
        + steps * series * ENGINE_SECONDS_PER_STEP_SERIES,
        memory_bytes=in_flight * phases * ENGINE_BYTES_PER_DRAW_PHASE * scale
        + steps * series * ENGINE_BYTES_PER_STEP_SERIES,
        store_bytes=draws * STORE_BYTES_PER_DRAW if recorded else 0.0,
    )


def estimate_finance(draws: int, periods: int) -> Estimate:
    """The money of ``draws`` over ``periods`` finance periods (all held in memory)."""
    quarters = max(periods, 1)
    return Estimate(
        f"finance of {draws:,} draws over {quarters} periods",
        seconds=draws * quarters * FINANCE_SECONDS_PER_DRAW_PERIOD,
        memory_bytes=draws * quarters * FINANCE_BYTES_PER_DRAW_PERIOD,
    )


def check(estimate: Estimate, *, yes: bool = False, store_root: Path | None = None) -> None:
    """Refuse work that will not fit; ask for ``--yes`` above the thresholds."""
    memory = available_memory_bytes()
    if memory is not None and estimate.memory_bytes > memory - _HEADROOM_BYTES:
        raise TooBigError(f"{estimate}; only {_bytes(memory)} of memory is free: use fewer --draws")
    if estimate.store_bytes and store_root is not None:
        free = free_disk_bytes(store_root)
        if estimate.store_bytes > free:
            raise TooBigError(
                f"{estimate}; only {_bytes(free)} of disk is free under {store_root}: "
                "use fewer --draws or --no-record"
            )
    if not yes and (estimate.seconds > CONFIRM_SECONDS or estimate.store_bytes > CONFIRM_STORE_BYTES):
        raise TooBigError(f"{estimate}; add --yes to start it")


def check_engine_run(
    scenario: Any,
    draws: int,
    *,
    recorded: bool = False,
    yes: bool = False,
    store_root: Path | None = None,
    runs: int = 1,
) -> None:
    """:func:`check` for ``runs`` engine runs of ``draws`` of a loaded scenario."""
    model = Model.from_scenario(scenario)
    estimate = estimate_run(
        draws * runs,
        len(model.phases),
        recorded=recorded,
        steps=int(model.grid_days.size),
        series=len(model.series) + len(model.step_series),
    )
    check(estimate, yes=yes, store_root=store_root if recorded else None)


def check_money(
    scenario: Any,
    draws: int,
    periods: int,
    *,
    runs: int = 1,
    yes: bool = False,
    money: bool = True,
    block_draws: int | None = None,
) -> None:
    """:func:`check` for ``runs`` buildouts of ``draws`` and, with ``money``, their money over
    ``periods`` finance periods, ``block_draws`` at a time (default all: finance holds them whole)."""
    model = Model.from_scenario(scenario)
    engine = estimate_run(
        draws,
        len(model.phases),
        recorded=False,
        steps=int(model.grid_days.size),
        series=len(model.series) + len(model.step_series),
        block_draws=block_draws or draws,
    )
    held = estimate_finance(min(draws, block_draws or draws), periods) if money else Estimate("", 0.0, 0.0)
    cash = Estimate("", held.seconds * draws / max(min(draws, block_draws or draws), 1), held.memory_bytes)
    what = f"{runs} x " if runs > 1 else ""
    label = "buildout and finance" if money else "buildout"
    check(
        Estimate(
            f"{what}{label} of {draws:,} draws",
            seconds=runs * (engine.seconds + cash.seconds),
            memory_bytes=engine.memory_bytes + cash.memory_bytes,
        ),
        yes=yes,
    )


def available_memory_bytes() -> float | None:
    """MemAvailable from /proc/meminfo (None where there is none)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return float(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def free_disk_bytes(path: Path) -> float:
    """Free bytes on the disk that holds ``path`` (or its nearest existing parent)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return float(shutil.disk_usage(path).free)


def measure(draws: int = 32768) -> dict[str, Any]:
    """Measure the engine's costs per draw on stargate (what the constants above say)."""
    from gigawatt.store import Store, run_recorded  # noqa: PLC0415 (duckdb: only to measure; guards run before unrecorded runs too)

    scenario = load_scenario("stargate")
    phases = sum(len(s.phases) for s in scenario.sites.values())
    model = Model.from_scenario(scenario)
    tracemalloc.start()
    ds = simulate_block(model, 0, 0, 8192)
    aggregate_block(model, 0, 0, 8192, ds)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        run_recorded(Store(folder), "stargate", draws=draws, seed=0, block_draws=8192)
        seconds = time.perf_counter() - started
        size = sum(f.stat().st_size for f in Path(folder, "runs").rglob("*.parquet"))
    return {
        "seconds_per_draw_phase": seconds / draws / phases,
        "bytes_per_draw_phase": peak / 8192 / phases,
        "store_bytes_per_draw": size / draws,
    }


def _bytes(n: float) -> str:
    for unit, scale in (("TB", 1e12), ("GB", 1e9), ("MB", 1e6)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1e3:,.0f} kB"


def _duration(seconds: float) -> str:
    if seconds >= 86400:
        return f"{seconds / 86400:,.1f} days"
    if seconds >= 3600:
        return f"{seconds / 3600:,.1f} h"
    if seconds >= 60:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds:,.0f} s"
