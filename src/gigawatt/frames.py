"""Tidy pandas tables of a run: one row per thing measured, units in the column names.

Every function takes a run's summary (``gigawatt run --json``, :meth:`Results.summary`,
``RunRecord.summary``) or the objects that make one, and returns a
:class:`pandas.DataFrame` whose P10/P50/P90 are columns ``p10_<unit>`` … and whose
dates are ``datetime64``. A table the run does not have is an empty frame with its columns,
so code written against one run works on another.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = [
    "TABLES",
    "capacity_frame",
    "cash_frame",
    "demand_frame",
    "flows_frame",
    "phases_frame",
    "plan_frame",
    "statements_frame",
    "stress_frame",
    "summary_table",
    "targets_frame",
    "year_ends_frame",
]

_Q = ("p10", "p50", "p90")


def _frame(rows: list[dict[str, Any]], columns: list[str], dates: tuple[str, ...] = ()) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns)
    for name in dates:
        out[name] = pd.to_datetime(out[name])
    return out


def targets_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per target: its facility GW on its basis, its date, P(met by then), P50/P90 dates met;
    a target observed by the as-of date has none of those (a fact): ``observed``, and ``met_on``
    where it was met."""
    rows = []
    for t in summary.get("targets", []):
        fact = bool(t.get("observed"))
        rows.append(
            {
                "target": t["name"],
                "facility_gw": t["gw"],
                "basis": t["basis"],
                "by": t["by"],
                "probability": None if fact else t["probability"],
                "p50_date": None if fact else t.get("p50_date"),
                "p90_date": None if fact else t.get("p90_date"),
                "observed": fact,
                "met_on": t.get("met_on"),
            }
        )
    cols = [
        "target",
        "facility_gw",
        "basis",
        "by",
        "probability",
        "p50_date",
        "p90_date",
        "observed",
        "met_on",
    ]
    return _frame(rows, cols, ("by", "p50_date", "p90_date", "met_on"))


def year_ends_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per year end and measure (facility GW, IT GW, BF16 EFLOP/s, H100-equivalents
    in millions, energy TWh/yr): its P10/P50/P90 over draws."""
    rows = []
    for row in summary.get("year_ends", []):
        for measure, band in row.items():
            if isinstance(band, Mapping):
                rows.append({"year_end": row["date"], "measure": measure, **{q: band[q] for q in _Q}})
    return _frame(rows, ["year_end", "measure", *_Q], ("year_end",))


def capacity_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Capacity at each year end by site, country, party and accelerator (and the total):
    ``kind`` (total, site, country, party, accelerator, accelerators), ``series``, the unit
    (facility GW, or accelerators for counts) and P10/P50/P90."""
    breakdown = summary.get("breakdown") or {}
    dates = breakdown.get("dates", [])
    rows = []
    for name, series in breakdown.items():
        if name == "dates":
            continue
        kind, _, item = name.partition(":")
        for i, date in enumerate(dates):
            rows.append(
                {
                    "year_end": date,
                    "kind": kind,
                    "series": item or kind,
                    "unit": series["unit"],
                    **{q: series[q][i] for q in _Q},
                }
            )
    return _frame(rows, ["year_end", "kind", "series", "unit", *_Q], ("year_end",))


def demand_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Demand against capacity at year ends, one row per year end: demand per stream (P50),
    surplus P10/P50/P90, P(capacity covers demand), inference tokens/s (P50); in facility GW
    (``*_gw``) or, for demand stated as compute, BF16 EFLOP/s (``*_eflops``). Then what the
    surplus and P(cover) are against: the facility GW serving demand's party (its sites plus
    contracted capacity, ``serving_facility_gw_p10``…) and each programme's share of it
    (``<programme>_share_p10``…).

    A year end before the run's as-of date (``before_as_of``) has observed capacity but no
    demand (never observed): its demand, surplus, P(cover) and tokens/s cells are empty."""
    serving = summary.get("serving") or {}
    at = {date: i for i, date in enumerate(serving.get("dates") or [])}
    rows = []
    for row in summary.get("demand", []):
        past = bool(row.get("before_as_of"))
        flat: dict[str, Any] = {"year_end": row["date"], "before_as_of": past}
        for key, value in row.items():
            if key in ("date", "before_as_of"):
                continue
            if isinstance(value, Mapping) or (value is None and key.startswith("surplus_")):
                flat.update({f"{key}_{q}": None if past or value is None else value[q] for q in _Q})
            else:
                flat[key] = None if past else value
        i = at.get(row["date"])
        if i is not None:
            flat.update({f"serving_facility_gw_{q}": serving["facility_gw"][q][i] for q in _Q})
            for programme, bands in (serving.get("share") or {}).items():
                flat.update({f"{programme}_share_{q}": bands[q][i] for q in _Q})
        rows.append(flat)
    columns = list(rows[0]) if rows else ["year_end", "p_capacity_covers_demand"]
    return _frame(rows, columns, ("year_end",))


def phases_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """One row per phase and stage (start, power, chips, online): P10/P50/P90 dates."""
    rows = []
    for phase, stages in (summary.get("phases") or {}).items():
        for stage, dates in stages.items():
            q = [d if d not in (None, "never", "") else None for d in dates]
            rows.append(
                {"phase": phase, "stage": stage.removesuffix("_date"), **dict(zip(_Q, q, strict=True))}
            )
    return _frame(rows, ["phase", "stage", *_Q], _Q)


def cash_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Each party's net cash flow (received − paid) per calendar year, P10/P50/P90, USD
    (a run with contracts; money on its first 2,000 draws)."""
    money = summary.get("money") or {}
    cash = money.get("cash_by_party") or {}
    names = money.get("parties") or {}
    rows = [
        {
            "party": party,
            "name": names.get(party, party),
            "year": year,
            **{f"{q}_net_cash_usd": bands[q][i] for q in _Q},
        }
        for party, bands in (cash.get("parties") or {}).items()
        for i, year in enumerate(cash.get("years", []))
    ]
    return _frame(rows, ["party", "name", "year", *(f"{q}_net_cash_usd" for q in _Q)])


def flows_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """Money over the horizon from payer to payee by kind (P50 of each total, USD)."""
    money = summary.get("money") or {}
    rows = [{k: f[k] for k in ("payer", "payee", "kind", "amount_usd")} for f in money.get("flows") or []]
    return _frame(rows, ["payer", "payee", "kind", "amount_usd"])


def plan_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A plan's facility MW built per site and quarter, and the site's total built by then."""
    periods = summary.get("periods") or []
    rows = []
    for site, row in (summary.get("sites") or {}).items():
        built = row.get("build_mw_by_period") or []
        total = 0.0
        for period, mw in zip(periods, built, strict=False):
            total += mw
            rows.append(
                {"site": site, "quarter": period, "built_facility_mw": mw, "cumulative_facility_mw": total}
            )
    return _frame(rows, ["site", "quarter", "built_facility_mw", "cumulative_facility_mw"])


def stress_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """A stress run's parties, base against shocked: P(runs short), P(first to run short),
    first short date (P50) and peak shortfall (P50, USD)."""
    base, hit = summary.get("base") or {}, summary.get("shocked") or {}
    rows = []
    for party, s in (hit.get("parties") or {}).items():
        b = (base.get("parties") or {}).get(party, {})
        for case, data in (("base", b), ("shocked", s)):
            rows.append(
                {
                    "party": party,
                    "case": case,
                    "probability_short": data.get("probability_short"),
                    "probability_first_short": data.get("probability_first_short"),
                    "first_short_p50": (data.get("first_short_date") or {}).get("p50"),
                    "peak_shortfall_usd_p50": (data.get("peak_shortfall_usd") or {}).get("p50"),
                }
            )
    columns = ["party", "case", "probability_short", "probability_first_short", "first_short_p50"]
    return _frame(rows, [*columns, "peak_shortfall_usd_p50"], ("first_short_p50",))


def statements_frame(statements: Mapping[str, Any]) -> pd.DataFrame:
    """:func:`gigawatt.finance.statements.statements` as one long table: party, year, line
    (cash_in_usd, revenue_usd, capex_usd, …, all USD), P10/P50/P90."""
    rows = []
    for party, data in statements.items():
        for line, bands in data["lines"].items():
            for i, year in enumerate(data["years"]):
                rows.append(
                    {
                        "party": party,
                        "year": year,
                        "line": line,
                        **{q: None if bands[q] is None else bands[q][i] for q in _Q},
                    }
                )
    return _frame(rows, ["party", "year", "line", *_Q])


#: The tables of a run's summary, in workbook order: name → (function, takes the record: never
#: here; the record's own tables, summary, inputs and sources, are :mod:`gigawatt.export`'s).
TABLES: dict[str, tuple[Any, bool]] = {
    "targets": (targets_frame, False),
    "capacity": (capacity_frame, False),
    "year_ends": (year_ends_frame, False),
    "demand": (demand_frame, False),
    "phases": (phases_frame, False),
    "plan": (plan_frame, False),
    "stress": (stress_frame, False),
    "money": (cash_frame, False),
    "flows": (flows_frame, False),
}


def summary_table(summary: Mapping[str, Any], table: str) -> pd.DataFrame:
    """The table named ``table`` of a run's summary (those of :data:`TABLES` made from it)."""
    function, whole = TABLES.get(table, (None, True))
    if function is None or whole:
        made = [name for name, (_, w) in TABLES.items() if not w]
        raise KeyError(f"no table {table!r} in a summary; the tables are: {', '.join(made)}")
    return function(summary)
