"""Benchmark: the money of N draws against the buildout of those N draws (issue 13).

For the built-in Stargate scenario, in one process: the engine's buildout of N draws
(``gigawatt.finance.buildout``, the same call the money commands make), then what each money
command adds on that buildout, reusing it (nothing simulated twice):

* finance — ``simulate_money`` + statements of every party + commitments + funding need;
* flows — ``simulate_money`` + the money graph (cycles, circularity, Sankey) + vendor financing
  + unspent investment;
* stress — per run (base or shocked) ``simulate_money`` + settlement + its report; a stress
  command is two buildouts and two of these.

The ratio is (money CPU seconds) / (buildout CPU seconds); the issue's bar is <= 2.

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


def _timed(fn):  # type: ignore[no-untyped-def]
    """``fn()`` and the CPU seconds this process spent in it (all threads): the machine is shared,
    so wall time measures the neighbours too."""
    start = time.process_time()
    value = fn()
    return value, time.process_time() - start


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
    ds, build_s = _timed(lambda: buildout(scenario, args.draws, 0))
    money, money_s = _timed(lambda: simulate_money(scenario, ds, 0))
    _, statements_s = _timed(
        lambda: (
            statements(money),
            commitments_summary(money.scenario, ds, money.parameters),
            funding_need(money.funding, money.edges),
        )
    )
    _, flows_s = _timed(lambda: (flows_summary(money.book), vendor_financing(money), unspent(money)))
    _, settle_s = _timed(lambda: report(money, settle(money)))
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
