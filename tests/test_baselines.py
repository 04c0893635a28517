"""Reference forecasts for the backtest: the per-index median of the other campuses, and the floor."""

from __future__ import annotations

import pytest

from gigawatt import units
from gigawatt.baselines import DAYS_PER_MONTH, baselines, cadence_by_year, per_index
from gigawatt.io.epoch_timelines import read_timelines

SNAPSHOT = units.parse_date("2025-12-15")
# three campuses: first rises 10, 20 and 30 months after their first rows (dates at whole months
# apart only roughly: the test reads the times back from the dates); C's second rise is projected
CSV = """Date,Data center,Construction status,Power (MW),H100 equivalents,Buildings operational
2020-01-01,A,Land clearing,0,0,0
2020-11-01,A,Building 1,100,0,1
2021-05-01,A,Building 2,200,0,2
2021-01-01,B,Land clearing,0,0,0
2022-09-01,B,Building 1,100,0,1
2024-09-01,B,Building 2,200,0,2
2022-01-01,C,Land clearing,0,0,0
2024-07-01,C,Building 1,100,0,1
2026-07-01,C,Building 2,200,0,2
"""


def _months(a: str, b: str) -> float:
    return (units.parse_date(b) - units.parse_date(a)) / DAYS_PER_MONTH


def test_per_index_leave_one_out_and_hindsight():
    histories, _ = read_timelines(CSV)
    first = {
        c: _months(*d)
        for c, d in {
            "A": ("2020-01-01", "2020-11-01"),
            "B": ("2021-01-01", "2022-09-01"),
            "C": ("2022-01-01", "2024-07-01"),
        }.items()
    }
    second = {"A": _months("2020-01-01", "2021-05-01"), "B": _months("2021-01-01", "2024-09-01")}
    loo = per_index(histories, SNAPSHOT, leave_one_out=True)
    # first rises: each against the median (mean of two) of the others; second: against the other one
    errors = [first[c] - sum(v for k, v in first.items() if k != c) / 2 for c in first]
    errors += [second["A"] - second["B"], second["B"] - second["A"]]
    assert loo["count"] == 5 and loo["unscored"] == 0  # C's second rise is after the snapshot
    assert loo["mean_abs_error_months"] == pytest.approx(sum(map(abs, errors)) / 5, abs=0.01)
    hindsight = per_index(histories, SNAPSHOT, leave_one_out=False)
    # in hindsight each index's median includes the campus scored: never a larger total error
    assert hindsight["count"] == 5
    assert hindsight["mean_abs_error_months"] <= loo["mean_abs_error_months"]
    assert hindsight["median_error_months"] == pytest.approx(0.0)


def test_a_rise_no_other_campus_reached_is_not_forecast():
    histories, _ = read_timelines(CSV)
    histories.pop("A")
    result = per_index(histories, SNAPSHOT, leave_one_out=True)
    assert result["unscored"] == 1 and result["count"] == 2  # B's second rise: nobody else had one


def test_cadence_by_year_groups_gaps_by_the_year_they_began():
    histories, _ = read_timelines(CSV)
    result = cadence_by_year(histories, SNAPSHOT)
    assert result["gaps"] == 2
    assert result["by_year"] == {
        "2020": {"count": 1, "median_months": round(_months("2020-11-01", "2021-05-01"), 1)},
        "2022": {"count": 1, "median_months": round(_months("2022-09-01", "2024-09-01"), 1)},
    }
    assert result["log_gap_vs_year"] is None  # too few gaps for a trend
    assert set(baselines(histories, SNAPSHOT)) == {
        "note",
        "per_index_loo",
        "per_index_hindsight",
        "cadence_by_year",
    }
