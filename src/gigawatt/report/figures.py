"""Every chart a record supports, by section id; the record's kind picks them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.backtest import backtest_fans, backtest_figure, backtest_pit_figure
from gigawatt.report.buildout import capacity_fan, constraint_bars, phase_gantt, site_map
from gigawatt.report.countries import country_bars
from gigawatt.report.money import money_figures
from gigawatt.report.plan import plan_demand_figure, plan_robust_figure, plan_sites_figure
from gigawatt.report.sensitivity import sensitivity_chart
from gigawatt.report.stress import stress_exposure_figure, stress_short_figure, stress_when_figure
from gigawatt.results import kind_of

#: The keys each kind's sections draw from (a failed run's summary is empty).
_KIND_KEYS = {
    "stress": {"base", "shocked"},
    "plan": {"objective_usd", "sites", "periods"},
    "sensitivity": {"method", "parameters", "tornado_base"},
    "backtest": {"milestones"},
}


def record_kind(summary: Mapping[str, Any], kind: str | None = None) -> str:
    """The kind of run a summary is from: the store's kind if given, else the ``kind`` the summary
    states (never guessed from its keys; a summary from before kinds were stated is a run's)."""
    return kind or kind_of(summary, "run")


def _complete(summary: Mapping[str, Any], kind: str) -> bool:
    """Whether a summary has what its kind's sections draw from (a failed run's is empty)."""
    return _KIND_KEYS.get(kind, set()) <= set(summary)


def figures(
    summary: Mapping[str, Any], scenario: Any = None, kind: str | None = None
) -> dict[str, go.Figure]:
    """Every chart a run's results support, by section id (``kind``: the store's kind of run)."""
    kind = record_kind(summary, kind)
    made: dict[str, go.Figure | None] = {}
    if not _complete(summary, kind):
        return {}
    if kind == "stress":
        made = {
            "stress-short": stress_short_figure(summary),
            "stress-when": stress_when_figure(summary),
            "stress-exposure": stress_exposure_figure(summary),
        }
    elif kind == "plan":
        made = {
            "plan-demand": plan_demand_figure(summary),
            "plan-sites": plan_sites_figure(summary),
            "plan-robust": plan_robust_figure(summary),
        }
    elif kind == "sensitivity":
        made = {"sensitivity": sensitivity_chart(summary)}
    elif kind == "backtest":
        made = {
            "backtest-pit": backtest_pit_figure(summary),
            "backtest": backtest_figure(summary),
            **backtest_fans(summary),
        }
    elif kind == "run":
        made = {
            "capacity": capacity_fan(summary) if summary.get("capacity_gw") else None,
            "phases": phase_gantt(summary) if summary.get("phases") else None,
            "constraints": constraint_bars(summary) if summary.get("constraints") else None,
            "map": site_map(scenario, summary),
            "countries": country_bars(summary),
        }
        money = summary.get("money")
        if isinstance(money, Mapping):
            made.update(money_figures(money))
    return {k: f for k, f in made.items() if f is not None}
