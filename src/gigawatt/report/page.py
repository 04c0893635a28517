"""The page: the template's context from a stored record (charts, tables, assumptions, sources),
rendered to one self-contained HTML file and written safely."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

from gigawatt import safe_write
from gigawatt.catalog import load_catalog
from gigawatt.countries import country_name
from gigawatt.errors import GigawattError
from gigawatt.report.backtest import backtest_tables
from gigawatt.report.buildout import GEO_ASSETS_JS
from gigawatt.report.compare import compare_context
from gigawatt.report.figures import _complete, figures, record_kind
from gigawatt.report.plan import _plan_rows, _robust_rows
from gigawatt.report.sensitivity import _sensitivity_rows, sensitivity_base
from gigawatt.report.stress import stress_rows
from gigawatt.report.style import _fmt
from gigawatt.resolved import inputs_of
from gigawatt.results import demand_forecast, target_outcome, unreachable_reason
from gigawatt.sitemap import MAP_CLICK_JS
from gigawatt.store import flatten, scenario_of
from gigawatt.units import format_date


def _targets(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The run's targets with the words the CLI prints for one that is no forecast (``outcome``:
    observed, not forecast, unreachable) and why an unreachable one is (``reason``)."""
    return [
        {
            **t,
            "outcome": target_outcome(t),
            "reason": None if t.get("observed") or t.get("reachable", True) else unreachable_reason(t),
        }
        for t in summary.get("targets", [])
    ]


def _year_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    """Year ends: the scenario's sites' facility GW, FLOP/s, energy, H100e; then the facility GW
    serving demand's party (its sites + contracted: what demand is read against) and
    P(it covers demand), "—" before the as-of date (demand not observed) or without demand."""
    covered = {row["date"]: row["p_capacity_covers_demand"] for row in demand_forecast(summary)}
    serving = summary.get("serving") or {}
    at = {date: i for i, date in enumerate(serving.get("dates") or [])}
    rows = []
    for row in summary.get("year_ends", []):
        gw, ef = row["facility_gw"], row["bf16_eflops"]
        covers, i = covered.get(row["date"]), at.get(row["date"])
        serves = (
            "—"
            if i is None
            else " / ".join(_fmt(serving["facility_gw"][q][i]) for q in ("p10", "p50", "p90"))
        )
        rows.append(
            [
                row["date"],
                " / ".join(_fmt(gw[q]) for q in ("p10", "p50", "p90")),
                " / ".join(_fmt(ef[q], 0) for q in ("p10", "p50", "p90")),
                _fmt(row["energy_twh_per_year"]["p50"], 1),
                _fmt(row["h100_equivalents_million"]["p50"], 2),
                serves,
                "—" if covers is None else f"{covers:.0%}",
            ]
        )
    return rows


def _key_values(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested result as (path, value) rows, for sections drawn as plain tables."""
    return [(k, _fmt(v)) for k, v in flatten(data, prefix).items()][:400]


def _assumptions(scenario: Any) -> dict[str, Any]:
    if scenario is None:
        return {"sites": [], "targets": [], "sources": []}

    catalog = load_catalog()
    known = {**catalog.sources, **scenario.sources}
    used: set[str] = set()
    sites = []
    for site_id, site in scenario.sites.items():
        ids = set(site.source) | {s for p in site.phases for s in p.source}
        used |= ids
        sites.append(
            {
                "id": site_id,
                "name": site.name,
                "where": f"{country_name(site.country)} / {site.region}",
                "phases": len(site.phases),
                "power": f"{sum(p.power_mw.mid for p in site.phases):,.0f} MW {site.power_basis}",
                "accelerator": site.accelerator,
                "sources": sorted(ids),
            }
        )
    targets = []
    for name, target in scenario.targets.items():
        used |= set(target.source)

        targets.append(
            {
                "name": name,
                "what": f"{target.power_mw / 1e3:g} GW facility, {target.basis}, "
                f"by {format_date(target.by_date)}",
                "note": target.note,
                "sources": sorted(target.source),
            }
        )
    for section in (scenario.supply, scenario.contracts):
        for item in section.values():
            used |= set(item.source)
    sources = [
        {"id": key, "publication": known[key].publication, "date": known[key].date, "url": known[key].url}
        for key in sorted(used | set(scenario.sources))
        if key in known
    ]
    return {"sites": sites, "targets": targets, "sources": sources}


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gigawatt", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _money_note(summary: Mapping[str, Any], scenario: Any) -> str:
    """Why a run shows no money."""
    if scenario is not None and not scenario.contracts:
        return "The scenario has no contracts, so there is no money to show."
    return (
        "This run has no money results (cash flows by party, RPO run-off, circularity): "
        "it was recorded without the finance model; run it again to see them."
    )


def _chart_html(key: str, fig: Any) -> str:
    return pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        div_id=f"fig-{key}",
        config={"displaylogo": False, "responsive": True},
        # a site's marker opens its timeline
        post_script=("(" + MAP_CLICK_JS + ')(document.getElementById("{plot_id}"));')
        if key == "map"
        else None,
    )


def report_context(
    record: Any, scenario: Any = None, compare: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Everything the report template shows, from a stored run (and its scenario); ``compare``:
    another run overlaid (:func:`~gigawatt.report.compare.compare_context`)."""
    summary = record.summary or {}
    kind = record_kind(summary, getattr(record, "kind", None))
    charts = {key: _chart_html(key, fig) for key, fig in figures(summary, scenario, kind).items()}
    if compare is not None:
        compare = {**compare, "chart": _chart_html("compare", compare["figure"]) if compare["figure"] else ""}
    money = summary.get("money") if kind == "run" else None
    context: dict[str, Any] = {
        "record": record,
        "kind": kind,
        "summary": summary,
        "charts": charts,
        "targets": _targets(summary),
        "years": _year_rows(summary),
        "serving_party": (summary.get("serving") or {}).get("party"),
        "money": money,
        "money_note": "" if money else _money_note(summary, scenario),
        "assumptions": _assumptions(scenario),
        "scenario_text": record.scenario_text,
        "compare": compare,
    }
    if not _complete(summary, kind):
        context["kind"] = None  # nothing to draw; the page says the run is not complete
    elif kind == "stress":
        context["stress_rows"] = stress_rows(summary)
    elif kind == "plan":
        context["plan_rows"] = _plan_rows(summary)
        context["robust_rows"] = _robust_rows(summary)
    elif kind == "sensitivity":
        context["sensitivity_head"], context["sensitivity_rows"] = _sensitivity_rows(summary)
        context["sensitivity_base"] = sensitivity_base(summary)
    elif kind == "backtest":
        context["backtest"] = backtest_tables(summary)
    elif kind != "run":
        context["other_rows"] = _key_values(summary)
    return context


def render_report(record: Any, scenario: Any = None, compare: Mapping[str, Any] | None = None) -> str:
    """The report of a stored run as one HTML string (plotly.js inlined; opens offline)."""
    context = report_context(record, scenario, compare)
    context["plotly_js"] = get_plotlyjs()
    context["geo_assets_js"] = GEO_ASSETS_JS
    return _environment().get_template("report.html").render(**context)


def render_backtest(summary: Mapping[str, Any], text: str, file: str) -> str:
    """A backtest's page with no store record (``gigawatt backtest --report``): the report's
    backtest section alone, ``text`` the timelines CSV read from ``file`` (plotly.js inlined)."""
    charts = {key: _chart_html(key, fig) for key, fig in figures(summary, None, "backtest").items()}
    return (
        _environment()
        .get_template("backtest.html")
        .render(
            summary=summary,
            charts=charts,
            backtest=backtest_tables(summary),
            record={"scenario_ref": file},
            scenario_text=text,
            plotly_js=get_plotlyjs(),
        )
    )


def write_report(
    record: Any,
    path: str | Path,
    scenario: Any = None,
    *,
    force: bool = False,
    compare_with: tuple[Any, Any] | None = None,
) -> Path:
    """Write a run's report to ``path`` (scenario loaded from the run if not given), atomically;
    over an existing file only with ``force``, never over the run's scenario files.
    ``compare_with``: ``(store, other record)`` to overlay (two fans, the headline side by side)."""
    inputs = inputs_of(record.scenario_ref)
    safe_write.check_target(path, force=force, protected=inputs, what="report")
    if scenario is None:
        scenario = scenario_or_none(record)
    compare = None if compare_with is None else compare_context(compare_with[0], record, compare_with[1])
    text = render_report(record, scenario, compare)
    return safe_write.write_text(path, text, force=force, protected=inputs, what="report")


def scenario_or_none(record: Any) -> Any:
    """The scenario of a stored run, or ``None`` if it can no longer be loaded."""
    try:
        return scenario_of(record)
    except GigawattError:
        return None
