"""A sensitivity record's report section from a hand-written summary: units in the headers, a few
significant digits, the all-median figure said as what it is, and the warnings kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gigawatt.report import render_report
from gigawatt.report.sensitivity import _sensitivity_rows, sensitivity_base
from gigawatt.store import Store

WARNING = "with every input at its median, 10 GW is never reached by the horizon (2035-12-31)"


def _summary(output: str, base: float, rows: list[tuple[str, float, float, float, float]]) -> dict[str, Any]:
    return {
        "kind": "sensitivity",
        "version": 1,
        "scenario": "stargate",
        "method": "morris",
        "output": output,
        "evaluations": 8397,
        "output_mean": base,
        "output_std": 1.0,
        "tornado_base": base,
        "parameters": [
            {"parameter": p, "mu": m, "mu_star": m, "mu_star_conf": 0.1, "sigma": s, "tornado_p10": lo}
            | {"tornado_p90": hi}
            for p, m, s, lo, hi in rows
        ],
        "notes": ["246 uncertain parameters; the others are held at their medians"],
        "warnings": [WARNING] if output.startswith("gw-online") else [],
    }


DATE = _summary(
    "gw-online:10",
    24471.0,  # 2036-12-31 in days since 1970
    [("sites.stargate-india.phases[1].built", 2069.725, 1260.4, 22484.0, 24471.0)],
)
CAPACITY = _summary(
    "capacity:2028-12-31",
    9.68213,
    [
        ("factory.initial_rate", 0.91312, 1.1087, 7.52104, 9.68213),
        ("sites.dona-ana.phases[0].power", 0.15001, 1.15e-15, 9.60231, 9.76249),
    ],
)


def test_headers_carry_units_and_figures_read_to_three_digits() -> None:
    head, rows = _sensitivity_rows(DATE)
    assert head == ["parameter", "mu*, days", "sigma, days", "output at P10", "output at P90"]
    assert rows[0][1:3] == ["2,070", "1,260"]  # not 2,069.725
    head, rows = _sensitivity_rows(CAPACITY)
    units = ["mu*", "sigma", "output at P10", "output at P90"]
    assert head[1:] == [f"{h}, facility GW" for h in units]
    assert rows[0][1:] == ["0.913", "1.11", "7.521", "9.682"]
    assert rows[1][2] == "0"  # floating-point noise beside a 1.11 is not a figure


def test_the_all_median_figure_is_not_the_p50_forecast() -> None:
    assert sensitivity_base(CAPACITY) == (
        "All inputs at their medians (not the P50 forecast): 9.682 facility GW"
    )
    assert sensitivity_base(DATE).endswith(": 2036-12-31")


def test_the_page_keeps_the_caveat_and_the_warning(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    for summary in (DATE, CAPACITY):
        record = store.record_run(
            scenario="stargate",
            scenario_text="name: x\n",
            scenario_ref="stargate",
            kind="sensitivity",
            draws=8397,
            seed=0,
            summary=summary,
        )
        page = render_report(record, None)
        assert "All inputs at their medians (not the P50 forecast)" in page
        assert "8,397 evaluations" in page and "2,069.725" not in page
        assert (WARNING in page) == (summary is DATE)
