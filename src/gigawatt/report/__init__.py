"""A run as one self-contained HTML file: charts (plotly.js embedded), tables, sources.

:func:`figures` turns a run's summary (and its scenario, for the map and the
sources) into plotly figures; the web dashboard serves the same figures as JSON.
:func:`render_report` puts them in ``templates/report.html``; the page needs no
network (plotly.js is inlined, and the map uses an empty built-in outline set
instead of fetching coastlines). Sections whose results a run does not have
say so instead of drawing. A record's kind (``run``, ``stress``, ``plan``, ``sensitivity``,
``backtest``) picks its sections; the kind is the one the summary states (``gigawatt.results``).

One module per section: :mod:`~gigawatt.report.buildout` (capacity fan, phases, constraints,
site map), :mod:`~gigawatt.report.money`, :mod:`~gigawatt.report.stress`,
:mod:`~gigawatt.report.plan`, :mod:`~gigawatt.report.sensitivity`,
:mod:`~gigawatt.report.countries`, :mod:`~gigawatt.report.backtest` (PIT histogram, milestones,
a fan per campus); :mod:`~gigawatt.report.figures` picks them by kind and
:mod:`~gigawatt.report.page` renders the page.
"""

from __future__ import annotations

from gigawatt.report.backtest import backtest_fans, backtest_figure, backtest_pit_figure, backtest_tables
from gigawatt.report.buildout import GEO_ASSETS_JS, capacity_fan, constraint_bars, phase_gantt, site_map
from gigawatt.report.countries import country_bars
from gigawatt.report.figures import figures, record_kind
from gigawatt.report.money import (
    cash_by_party_figure,
    circularity_figure,
    money_figures,
    money_sankey,
    rpo_figure,
)
from gigawatt.report.page import (
    render_backtest,
    render_report,
    report_context,
    scenario_or_none,
    write_report,
)
from gigawatt.report.plan import plan_demand_figure, plan_robust_figure, plan_sites_figure
from gigawatt.report.sensitivity import sensitivity_chart, sensitivity_result
from gigawatt.report.stress import (
    stress_exposure_figure,
    stress_rows,
    stress_short_figure,
    stress_when_figure,
)

__all__ = [
    "figures",
    "record_kind",
    "render_report",
    "write_report",
    "report_context",
    "scenario_or_none",
    "GEO_ASSETS_JS",
    "capacity_fan",
    "phase_gantt",
    "constraint_bars",
    "site_map",
    "country_bars",
    "money_figures",
    "money_sankey",
    "cash_by_party_figure",
    "rpo_figure",
    "circularity_figure",
    "stress_short_figure",
    "stress_when_figure",
    "stress_exposure_figure",
    "stress_rows",
    "plan_demand_figure",
    "plan_sites_figure",
    "plan_robust_figure",
    "sensitivity_result",
    "sensitivity_chart",
    "backtest_figure",
    "backtest_pit_figure",
    "backtest_fans",
    "backtest_tables",
    "render_backtest",
]
