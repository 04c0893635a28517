"""``country_view`` of ``frontier``: CPU seconds, peak memory, and its percentiles' error against
exact ones (``np.quantile`` of the same per-draw sums), the largest and the mean over every
metric, group, quantile and year end, each as a share of that group's largest P90. Also whether
the total and the United States agree where their draws do (end-2025).

    .venv/bin/python -m benchmarks.countries_bins --draws 20000
    PYTHONPATH=<base checkout>/src .venv/bin/python -m benchmarks.countries_bins --draws 20000
"""

from __future__ import annotations

import argparse
import json
import resource
import time
from typing import Any

import numpy as np

from gigawatt import countries as C
from gigawatt.engine import simulate_block
from gigawatt.scenario import load_scenario


def exact_sums(layout: Any, draws: int, seed: int) -> dict[str, np.ndarray]:
    """(draw, group, year end) sums of each metric, as ``countries._block`` adds them up."""
    out = {m: np.zeros((draws, len(layout.groups), layout.days.size)) for m in C.METRICS}
    for model, matrix in zip(layout.models, layout.members, strict=True):
        ds = simulate_block(model, seed, 0, draws)
        online = (ds["online_date"].values[:, :, None] <= layout.days[None, None, :]).astype(float)
        for m in C.METRICS:
            out[m] += np.einsum("dk,kg,dkt->dgt", ds[m].values, matrix, online)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=20_000)
    args = parser.parse_args()
    scenarios = [load_scenario("frontier")]
    C.country_view(scenarios, draws=200)  # warm up
    start = time.process_time()
    view = C.country_view(scenarios, draws=args.draws, seed=0)
    cpu_s = time.process_time() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    layout = C._layout(scenarios)[0]
    sums = exact_sums(layout, args.draws, 0)
    errors = []
    for m in C.METRICS:
        exact = np.quantile(sums[m], C._QUANTILES, axis=0, method="inverted_cdf")  # (q, group, t)
        got = view.quantiles.sel(metric=m).values.transpose(1, 0, 2)
        errors.append(np.abs(got - exact) / np.maximum(exact[-1].max(axis=1)[None, :, None], 1e-300))
    err = np.concatenate([e.ravel() for e in errors])
    q = view.quantiles.sel(metric="facility_mw", time="2025-12-31")
    total, us = q.sel(group="total").values, q.sel(group="country:US").values
    print(
        json.dumps(
            {
                "draws": args.draws,
                "cpu_s": round(cpu_s, 2),
                "peak_rss_mb": round(peak_mb),
                "max_error_pct": round(100 * float(err.max()), 3),
                "mean_error_pct": round(100 * float(err.mean()), 4),
                "end_2025_total_mw": [round(float(v), 1) for v in total],
                "end_2025_us_mw": [round(float(v), 1) for v in us],
            }
        )
    )


if __name__ == "__main__":
    main()
