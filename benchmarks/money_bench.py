"""Benchmark: the money of N draws against the buildout of those N draws (issue 13).

For the built-in Stargate scenario, in one process: the engine's buildout of N draws
(``gigawatt.finance.buildout``, the same call the money commands make), then what each money
command adds on that buildout, reusing it (nothing simulated twice):

* finance — ``simulate_money`` + statements of every party + commitments + funding need;
* flows — ``simulate_money`` + the money graph (cycles, circularity, Sankey) + vendor financing
  + unspent investment;
* stress — per run (base or shocked) ``simulate_money`` + settlement + its report; a stress
  command is two buildouts and two of these.

The ratio is (money CPU seconds) / (buildout CPU seconds); the issue's bar is <= 2. ``kernel``
gives each stage's system seconds (in its CPU seconds) and minor page faults: most of money's
system time is the first touch of the memory it keeps.

PERT draws' Beta quantile tables are read from the file cache, as every command does
(:mod:`gigawatt.tablecache`): a first run computes and saves them (``pert_tables`` says how many
were computed; run it again), ``--no-table-cache`` computes them in this process, as a first
command ever does (Stargate's buildout uses 73 tables, ~0.27 s of CPU to compute; money 17, ~0.06 s).

    .venv/bin/python -m benchmarks.money_bench --draws 10000
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import time

from gigawatt import distributions, tablecache
from gigawatt.finance import buildout, flows_summary, settle, simulate_money, statements
from gigawatt.finance.commitments import commitments_summary
from gigawatt.finance.funding import funding_need
from gigawatt.finance.stress import report
from gigawatt.finance.vendor import unspent, vendor_financing
from gigawatt.scenario import load_scenario

#: Each stage's system CPU seconds and minor page faults (first touch of fresh memory: at 10,000
#: draws a (draw, period) array is 938 pages, ~1-2 µs each on the shared VM), by stage name.
_KERNEL: dict[str, dict[str, float]] = {}


def _timed(fn, stage: str = ""):  # type: ignore[no-untyped-def]
    """``fn()`` and the CPU seconds this process spent in it (all threads): the machine is shared,
    so wall time measures the neighbours too. Its system time and page faults go to ``_KERNEL``."""
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.process_time()
    value = fn()
    seconds = time.process_time() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    _KERNEL[stage] = {
        "system_s": round(after.ru_stime - before.ru_stime, 3),
        "minor_faults": after.ru_minflt - before.ru_minflt,
    }
    return value, seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--scenario", default="stargate")
    parser.add_argument(
        "--no-table-cache", action="store_true", help="compute PERT tables here, as a first command ever"
    )
    args = parser.parse_args()
    store = None if args.no_table_cache else tablecache.install()
    scenario = load_scenario(args.scenario)
    ds, build_s = _timed(lambda: buildout(scenario, args.draws, 0), "buildout")
    money, money_s = _timed(lambda: simulate_money(scenario, ds, 0), "simulate_money")
    _, statements_s = _timed(
        lambda: (
            statements(money),
            commitments_summary(money.scenario, ds, money.parameters),
            funding_need(money.funding, money.edges),
        ),
        "statements",
    )
    _, flows_s = _timed(
        lambda: (flows_summary(money.book), vendor_financing(money), unspent(money)), "flows_summaries"
    )
    _, settle_s = _timed(lambda: report(money, settle(money)), "settlement_report")
    result = {
        "scenario": args.scenario,
        "draws": args.draws,
        "ledger": money.book.sizes,
        "buildout_s": round(build_s, 2),
        "simulate_money_s": round(money_s, 2),
        "finance_s": round(money_s + statements_s, 2),
        "flows_s": round(money_s + flows_s, 2),
        "stress_per_run_s": round(money_s + settle_s, 2),
        "ratio_finance": round((money_s + statements_s) / build_s, 2),
        "ratio_flows": round((money_s + flows_s) / build_s, 2),
        "ratio_stress": round((money_s + settle_s) / build_s, 2),
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "kernel": _KERNEL,
        "pert_tables": {
            "used": len(distributions._TABLES),
            "computed": len(distributions._TABLES) if store is None else len(store._new),
            "cache": None if store is None else str(store.path),
        },
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
