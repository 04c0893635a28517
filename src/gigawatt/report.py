"""A run as one self-contained HTML file: charts (plotly.js embedded), tables, sources.

:func:`figures` turns a run's summary (and its scenario, for the map and the
sources) into plotly figures; the web dashboard serves the same figures as JSON.
:func:`render_report` puts them in ``templates/report.html``; the page needs no
network (plotly.js is inlined, and the map uses an empty built-in outline set
instead of fetching coastlines). Sections whose results a run does not have
say so instead of drawing. A record's kind (``run``, ``stress``, ``plan``,
``sensitivity``) picks its sections; the kind is the one the summary states (``gigawatt.results``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, PackageLoader, select_autoescape
from plotly.offline import get_plotlyjs

__all__ = ["figures", "record_kind", "render_report", "write_report", "report_context"]

#: Stage order and labels of the Gantt.
_STAGES = {"start_date": "construction start", "power_date": "power ready", "chips_date": "chips in"}
_BLUE, _GREY, _RED = "#1f4e89", "#9aa5b1", "#c0392b"
#: plotly.js fetches map outlines from a CDN; offline we give it empty ones (points on a graticule).
_EMPTY_TOPOJSON = {
    "type": "Topology",
    "objects": {
        layer: {"type": "GeometryCollection", "geometries": []}
        for layer in ("land", "ocean", "coastlines", "countries", "lakes", "rivers", "subunits")
    },
    "arcs": [],
}
_EMPTY = json.dumps(_EMPTY_TOPOJSON)
GEO_ASSETS_JS = f"window.PlotlyGeoAssets={{topojson:{{world_110m:{_EMPTY},world_50m:{_EMPTY}}}}};"


def _layout(fig: go.Figure, title: str, height: int = 420) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def capacity_fan(summary: Mapping[str, Any]) -> go.Figure:
    """Facility GW online, P10–P90 band and P50, against the scenario's targets."""
    cap = summary["capacity_gw"]
    dates = cap["dates"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=dates, y=cap["p90"], line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=cap["p10"],
            fill="tonexty",
            fillcolor="rgba(31,78,137,0.2)",
            line={"width": 0},
            name="P10–P90",
        )
    )
    fig.add_trace(go.Scatter(x=dates, y=cap["p50"], line={"color": _BLUE, "width": 3}, name="P50"))
    # only targets over everything the figure shows (a scoped target counts part of it)
    targets = [
        t
        for t in summary.get("targets", [])
        if t.get("basis") == "online" and t.get("scope", "everything") == "everything"
    ]
    if targets:
        fig.add_trace(
            go.Scatter(
                x=[t["by"] for t in targets],
                y=[t["gw"] for t in targets],
                mode="markers+text",
                marker={"symbol": "star", "size": 14, "color": _RED},
                text=[f"{t['name']}: P={t['probability']:.0%}" for t in targets],
                textposition="top left",
                name="targets (online)",
            )
        )
    demand = [row for row in summary.get("demand", []) if "surplus_gw" in row]
    if demand:  # demand stated in facility power: its two streams' P50s, at year ends
        fig.add_trace(
            go.Scatter(
                x=[row["date"] for row in demand],
                y=[row.get("training_gw_p50", 0.0) + row.get("inference_gw_p50", 0.0) for row in demand],
                mode="lines+markers",
                line={"color": _RED, "dash": "dash"},
                name="demand (training P50 + inference P50)",
                customdata=[row["p_capacity_covers_demand"] for row in demand],
                hovertemplate="%{x}: demand %{y:,.2f} GW; P(capacity covers it) %{customdata:.0%}"
                "<extra></extra>",
            )
        )
    fig.update_yaxes(title_text="facility GW online", rangemode="tozero")
    title = "Capacity online (facility power), P10 / P50 / P90" + (" against demand" if demand else "")
    return _layout(fig, title)


def phase_gantt(summary: Mapping[str, Any]) -> go.Figure:
    """Each phase: P50 construction start → P50 online, stage marks, P10–P90 online whisker."""
    phases = summary.get("phases", {})
    names = list(phases)[::-1]
    bars_x: list[Any] = []
    bars_y: list[Any] = []
    whisk_x: list[Any] = []
    whisk_y: list[Any] = []
    fig = go.Figure()
    for name in names:
        stages = phases[name]
        start, online = stages["start_date"][1], stages["online_date"][1]
        if start and online:
            bars_x += [start, online, None]
            bars_y += [name, name, None]
        low, high = stages["online_date"][0], stages["online_date"][2]
        if low and high:
            whisk_x += [low, high, None]
            whisk_y += [name, name, None]
    fig.add_trace(
        go.Scatter(
            x=bars_x,
            y=bars_y,
            mode="lines",
            line={"width": 10, "color": "rgba(31,78,137,0.55)"},
            name="start → online (P50)",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=whisk_x,
            y=whisk_y,
            mode="lines+markers",
            line={"width": 2, "color": _RED},
            marker={"symbol": "line-ns-open", "size": 12, "color": _RED},
            name="online P10–P90",
        )
    )
    for key, label in _STAGES.items():
        xs = [phases[n][key][1] for n in names if phases[n][key][1]]
        ys = [n for n in names if phases[n][key][1]]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="markers", marker={"size": 7}, name=f"{label} (P50)"))
    online = [n for n in names if phases[n]["online_date"][1]]
    fig.add_trace(
        go.Scatter(
            x=[phases[n]["online_date"][1] for n in online],
            y=online,
            mode="markers",
            marker={"size": 10, "color": _BLUE, "symbol": "diamond"},
            name="online (P50)",
        )
    )
    fig.update_xaxes(type="date")
    return _layout(
        fig, "Phases: stage dates (P50) and online date (P10–P90)", height=max(360, 26 * len(names))
    )


def constraint_bars(summary: Mapping[str, Any]) -> go.Figure:
    """What sets the online dates: share of MW per binding constraint, and of the last phase."""
    constraints = summary.get("constraints", {})
    by_mw = constraints.get("by_mw", {})
    last = constraints.get("last_gw", {})
    causes = sorted(set(by_mw) | set(last), key=lambda c: -by_mw.get(c, 0.0))
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            y=causes,
            x=[by_mw.get(c, 0.0) for c in causes],
            orientation="h",
            name="share of MW it sets the online date of",
            marker_color=_BLUE,
        )
    )
    fig.add_trace(
        go.Bar(
            y=causes,
            x=[last.get(c, 0.0) for c in causes],
            orientation="h",
            name="share of draws it sets the last phase",
            marker_color=_GREY,
        )
    )
    fig.update_xaxes(tickformat=".0%", title_text="share")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "What holds it back", height=max(320, 40 * len(causes) + 120))


def site_map(scenario: Any) -> go.Figure | None:
    """Sites on the offline Natural Earth map (:func:`gigawatt.sitemap.site_map`)."""
    from gigawatt.sitemap import site_map as draw

    return draw(scenario)


# ---------------------------------------------------------------- money (a run's ``money`` entry)


def _b(values: Any) -> list[float | None]:
    """USD → $B, keeping missing values missing."""
    return [None if v is None else v / 1e9 for v in values]


def _whiskers(p10: Any, p50: Any, p90: Any) -> dict[str, Any]:
    """Plotly asymmetric error bars from P10/P50/P90 lists (missing values: no bar)."""
    up = [None if None in (a, b) else b - a for a, b in zip(p50, p90, strict=True)]
    down = [None if None in (a, b) else a - b for a, b in zip(p50, p10, strict=True)]
    return {"type": "data", "symmetric": False, "array": up, "arrayminus": down}


def money_sankey(money: Mapping[str, Any]) -> go.Figure | None:
    """Money between parties over the horizon: one link per payer → payee → kind (P50, $B);
    the world (customers, suppliers outside the system) is one node, and each node says what
    flows in and out of it (sums of the links' P50s)."""
    flows = [f for f in money.get("flows") or [] if (f.get("amount_usd") or 0.0) > 0]
    if not flows:
        return None
    names = money.get("parties") or {}

    def node(party: str, role: str) -> str:
        return str(names.get(party, party))

    labels = sorted({node(f["payer"], "payer") for f in flows} | {node(f["payee"], "payee") for f in flows})
    index = {label: i for i, label in enumerate(labels)}
    inflow = dict.fromkeys(labels, 0.0)
    outflow = dict.fromkeys(labels, 0.0)
    for f in flows:
        outflow[node(f["payer"], "payer")] += float(f["amount_usd"]) / 1e9
        inflow[node(f["payee"], "payee")] += float(f["amount_usd"]) / 1e9
    shown = [f"{label} (in ${inflow[label]:,.0f}B, out ${outflow[label]:,.0f}B)" for label in labels]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.1f",
            valuesuffix=" $B",
            node={"label": shown, "pad": 22},
            link={
                "source": [index[node(f["payer"], "payer")] for f in flows],
                "target": [index[node(f["payee"], "payee")] for f in flows],
                "value": [float(f["amount_usd"]) / 1e9 for f in flows],
                "label": [f.get("kind", "") for f in flows],
            },
        )
    )
    return _layout(fig, "Money between parties over the horizon ($B, P50 of each flow)", height=640)


def cash_by_party_figure(money: Mapping[str, Any], shown: int = 6) -> go.Figure | None:
    """Each party's net cash flow per year (P50 bars, P10–P90 whiskers, $B); the largest shown."""
    cash = money.get("cash_by_party") or {}
    parties = cash.get("parties") or {}
    if not parties:
        return None
    names = money.get("parties") or {}
    size = {p: sum(abs(v) for v in q["p50"] if v is not None) for p, q in parties.items()}
    ranked = sorted(parties, key=lambda p: -size[p])
    fig = go.Figure()
    for rank, party in enumerate(ranked):
        q = parties[party]
        fig.add_bar(
            x=[str(y) for y in cash["years"]],
            y=_b(q["p50"]),
            error_y=_whiskers(_b(q["p10"]), _b(q["p50"]), _b(q["p90"])),
            name=str(names.get(party, party)),
            visible=True if rank < shown else "legendonly",
        )
    fig.update_layout(barmode="group", yaxis_title="net cash flow, $B per year (received − paid)")
    return _layout(fig, "Cash flow by party (P50; whiskers P10–P90; click the legend for more)")


def rpo_figure(money: Mapping[str, Any]) -> go.Figure | None:
    """Each seller's remaining performance obligation (RPO) at each period's end, $B."""
    rpo = money.get("rpo") or {}
    sellers = rpo.get("sellers") or {}
    if not sellers:
        return None
    names = money.get("parties") or {}
    fig = go.Figure()
    for seller, q in sellers.items():
        label = str(names.get(seller, seller))
        fig.add_trace(
            go.Scatter(x=rpo["dates"], y=_b(q["p90"]), line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=rpo["dates"],
                y=_b(q["p10"]),
                fill="tonexty",
                fillcolor="rgba(192,57,43,0.15)",
                line={"width": 0},
                name=f"{label} P10–P90",
            )
        )
        fig.add_trace(
            go.Scatter(x=rpo["dates"], y=_b(q["p50"]), line={"width": 3, "color": _RED}, name=f"{label} P50")
        )
    fig.update_yaxes(title_text="RPO, $B (contracted, not yet delivered)", rangemode="tozero")
    return _layout(fig, "RPO run-off: remaining performance obligation held by the seller")


def circularity_figure(money: Mapping[str, Any]) -> go.Figure | None:
    """Share of each party's inflows from the system that is its own money returning (P10–P90)."""
    shares = {p: q for p, q in (money.get("circularity") or {}).items() if (q.get("p90") or 0) > 0}
    if not shares:
        return None
    names = money.get("parties") or {}
    ranked = sorted(shares, key=lambda p: -shares[p]["p50"])
    q = {k: [shares[p][k] for p in ranked] for k in ("p10", "p50", "p90")}
    fig = go.Figure(
        go.Bar(
            x=[str(names.get(p, p)) for p in ranked],
            y=q["p50"],
            error_y=_whiskers(q["p10"], q["p50"], q["p90"]),
            marker_color=_BLUE,
            name="circularity (P50, whiskers P10–P90)",
        )
    )
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="share of inflows from the system")
    return _layout(fig, "Circularity: the party's own money coming back to it", height=380)


def money_figures(money: Mapping[str, Any]) -> dict[str, go.Figure]:
    """The money charts a run's ``money`` entry supports, by section id."""
    made = {
        "money": money_sankey(money),
        "cash": cash_by_party_figure(money),
        "rpo": rpo_figure(money),
        "circularity": circularity_figure(money),
    }
    return {k: f for k, f in made.items() if f is not None}


# ---------------------------------------------------------------- stress, plan, sensitivity records


#: The keys each kind's sections draw from (a failed run's summary is empty).
_KIND_KEYS = {
    "stress": {"base", "shocked"},
    "plan": {"objective_usd", "sites", "periods"},
    "sensitivity": {"method", "parameters", "tornado_base"},
}


def record_kind(summary: Mapping[str, Any], kind: str | None = None) -> str:
    """The kind of run a summary is from: the store's kind if given, else the ``kind`` the summary
    states (never guessed from its keys; a summary from before kinds were stated is a run's)."""
    from gigawatt.results import kind_of

    return kind or kind_of(summary, "run")


def _complete(summary: Mapping[str, Any], kind: str) -> bool:
    """Whether a summary has what its kind's sections draw from (a failed run's is empty)."""
    return _KIND_KEYS.get(kind, set()) <= set(summary)


def _stress_parties(stress: Mapping[str, Any]) -> list[str]:
    return sorted(set(stress["base"].get("parties", {})) | set(stress["shocked"].get("parties", {})))


def stress_short_figure(stress: Mapping[str, Any]) -> go.Figure | None:
    """Who runs short: P(a party's cash goes below zero), base against shocked."""
    parties = _stress_parties(stress)
    if not parties:
        return None
    fig = go.Figure()
    for case, colour in (("base", _GREY), ("shocked", _RED)):
        rows = [stress[case]["parties"].get(p, {}) for p in parties]
        fig.add_bar(
            x=parties,
            y=[r.get("probability_short", 0.0) for r in rows],
            name=f"{case}: P(runs short)",
            marker_color=colour,
            customdata=[_b([(r.get("peak_shortfall_usd") or {}).get("p50")])[0] for r in rows],
            hovertemplate="%{x}: %{y:.0%}; peak shortfall P50 $%{customdata:,.1f}B<extra></extra>",
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title_text="share of draws")
    return _layout(fig, "Who runs short (cash below zero at some period)", height=380)


def stress_when_figure(stress: Mapping[str, Any]) -> go.Figure | None:
    """When each party first runs short: P10–P90 of the date (line), P50 (marker)."""
    fig = go.Figure()
    drawn = False
    for case, colour in (("base", _GREY), ("shocked", _RED)):
        xs: list[Any] = []
        ys: list[Any] = []
        mids: list[Any] = []
        names: list[str] = []
        for party in _stress_parties(stress):
            when = stress[case]["parties"].get(party, {}).get("first_short_date") or {}
            if when.get("p50") is None:
                continue
            label = f"{party} ({case})"
            xs += [when["p10"], when["p90"], None]
            ys += [label, label, None]
            mids.append(when["p50"])
            names.append(label)
        if names:
            drawn = True
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ys, mode="lines", line={"width": 8, "color": colour}, name=f"{case} P10–P90"
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=mids, y=names, mode="markers", marker={"size": 12, "color": colour}, name=f"{case} P50"
                )
            )
    if not drawn:
        return None
    fig.update_xaxes(type="date")
    return _layout(fig, "When: the first period a party runs short", height=340)


def stress_exposure_figure(stress: Mapping[str, Any]) -> go.Figure | None:
    """Exposure: what each payee is left unpaid in the settlement (P50, whiskers P10–P90, $B)."""
    payees = sorted(set(stress["base"].get("exposure", {})) | set(stress["shocked"].get("exposure", {})))
    if not payees:
        return None
    fig = go.Figure()
    for case, colour in (("base", _GREY), ("shocked", _RED)):
        unpaid = [stress[case].get("exposure", {}).get(p, {}).get("unpaid_usd") or {} for p in payees]
        q = {k: _b([u.get(k, 0.0) for u in unpaid]) for k in ("p10", "p50", "p90")}
        fig.add_bar(
            x=payees,
            y=q["p50"],
            error_y=_whiskers(q["p10"], q["p50"], q["p90"]),
            name=f"{case}: unpaid",
            marker_color=colour,
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title_text="left unpaid, $B (P50; whiskers P10–P90)", rangemode="tozero")
    return _layout(fig, "Exposure: who is left unpaid, and by how much", height=380)


def _band_text(q: Mapping[str, Any] | None, scale: float = 1.0, fmt: str = ",.1f") -> str:
    """ "P50 (P10–P90)" of a band, scaled; dates (strings) kept as they are."""
    if not q or q.get("p50") is None:
        return "—"

    def one(v: Any) -> str:
        return "—" if v is None else v if isinstance(v, str) else f"{v / scale:{fmt}}"

    return f"{one(q['p50'])} ({one(q.get('p10'))} – {one(q.get('p90'))})"


def stress_rows(stress: Mapping[str, Any]) -> list[list[str]]:
    """The stress results as table rows: what, base, shocked."""
    base, hit = stress["base"], stress["shocked"]
    rows = [
        [
            "P(any party runs short)",
            f"{base['probability_any_short']:.0%}",
            f"{hit['probability_any_short']:.0%}",
        ]
    ]
    for party in _stress_parties(stress):
        b, s = base["parties"].get(party, {}), hit["parties"].get(party, {})
        rows += [
            [
                f"{party}: P(runs short)",
                f"{b.get('probability_short', 0):.0%}",
                f"{s.get('probability_short', 0):.0%}",
            ],
            [
                f"{party}: P(first to run short)",
                f"{b.get('probability_first_short', 0):.0%}",
                f"{s.get('probability_first_short', 0):.0%}",
            ],
            [
                f"{party}: first short date",
                _band_text(b.get("first_short_date")),
                _band_text(s.get("first_short_date")),
            ],
            [
                f"{party}: peak shortfall, $B",
                _band_text(b.get("peak_shortfall_usd"), 1e9),
                _band_text(s.get("peak_shortfall_usd"), 1e9),
            ],
            [
                f"{party}: lowest cash, $B",
                _band_text(b.get("lowest_cash_usd"), 1e9),
                _band_text(s.get("lowest_cash_usd"), 1e9),
            ],
        ]
    rows += [
        [
            "RPO lapsed (never delivered), $B",
            _band_text(base.get("rpo_never_delivered_usd"), 1e9),
            _band_text(hit.get("rpo_never_delivered_usd"), 1e9),
        ],
        [
            "stranded MW (facility), peak",
            _band_text(base.get("stranded_mw_peak"), 1, ",.0f"),
            _band_text(hit.get("stranded_mw_peak"), 1, ",.0f"),
        ],
        [
            "stranded MW (facility), at the end",
            _band_text(base.get("stranded_mw_end"), 1, ",.0f"),
            _band_text(hit.get("stranded_mw_end"), 1, ",.0f"),
        ],
    ]
    return rows


def plan_demand_figure(plan: Mapping[str, Any]) -> go.Figure:
    """Planned capacity against demand per quarter: served and unmet, in BF16 dense EFLOP/s
    (the plan meets compute; facility MW built is :func:`plan_sites_figure`)."""
    periods = plan["periods"]
    # The plan meets compute: served and unmet are FLOP/s, whatever unit demand was stated in.
    # Its MW figures are FLOP/s at a reference FLOP/s per facility MW, not facility GW built.
    key, scale, unit = "flops", 1e18, "EFLOP/s (BF16 dense)"
    reference = plan.get("assumptions", {}).get("reference_flops_per_facility_mw")
    what = "compute" + (
        f"; 1 facility GW ≈ {reference * 1e3 / 1e18:,.1f} EFLOP/s at the reference" if reference else ""
    )
    fig = go.Figure()
    fig.add_bar(x=periods, y=[v / scale for v in plan[f"served_{key}"]], name="served", marker_color=_BLUE)
    fig.add_bar(x=periods, y=[v / scale for v in plan[f"unmet_{key}"]], name="unmet", marker_color=_RED)
    fig.add_trace(
        go.Scatter(
            x=periods, y=[v / scale for v in plan[f"demand_{key}"]], name="demand", line={"color": "black"}
        )
    )
    fig.update_layout(barmode="stack", yaxis_title=unit)
    return _layout(fig, f"Plan: demand, served and unmet per quarter ({what})")


def plan_sites_figure(plan: Mapping[str, Any]) -> go.Figure | None:
    """Facility MW each site builds: per quarter when the plan has it, else by power source."""
    sites = {k: v for k, v in plan["sites"].items() if v.get("build_mw", 0) > 0}
    if not sites:
        return None
    fig = go.Figure()
    if all("build_mw_by_period" in v for v in sites.values()):
        for site, v in sites.items():
            fig.add_bar(x=plan["periods"], y=v["build_mw_by_period"], name=site)
        fig.update_layout(barmode="stack", yaxis_title="facility MW built in the quarter")
        return _layout(fig, "Plan: facility MW built per site and quarter")
    sources = sorted({s for v in sites.values() for s in v.get("by_source_mw", {})})
    for source in sources:
        fig.add_bar(
            y=list(sites),
            x=[v["by_source_mw"].get(source, 0.0) for v in sites.values()],
            name=source,
            orientation="h",
        )
    fig.update_layout(barmode="stack", xaxis_title="facility MW built over the plan")
    fig.update_yaxes(autorange="reversed")
    return _layout(
        fig, "Plan: facility MW built per site, by power source", height=max(320, 32 * len(sites) + 120)
    )


def plan_robust_figure(plan: Mapping[str, Any]) -> go.Figure | None:
    """``--robust`` re-plans: each plan's simulated probability of meeting demand at every
    checked year end, one line per re-plan (its demand quantile, cost and joint probability)."""
    robust = plan.get("robust")
    if not robust or not robust.get("dates"):
        return None
    fig = go.Figure()
    for step in robust["iterations"]:
        if step["probability"] is None:
            continue
        by_date = step["probability_by_date"]
        fig.add_trace(
            go.Scatter(
                x=robust["dates"],
                y=[100 * by_date.get(d, math.nan) for d in robust["dates"]],
                mode="lines+markers",
                name=f"demand q {step['quantile']:g}: ${step['objective_usd'] / 1e9:,.1f}B, "
                f"{100 * step['probability']:.0f}% at every date",
            )
        )
    fig.add_hline(
        y=100 * robust["target_probability"],
        line={"dash": "dash", "color": "grey"},
        annotation_text=f"target {100 * robust['target_probability']:.0f}%",
    )
    fig.update_layout(yaxis_title="% of draws meeting demand", yaxis_range=[0, 105])
    return _layout(fig, f"--robust re-plans ({robust['draws']:,} draws each): meeting demand by year end")


def _robust_rows(plan: Mapping[str, Any]) -> list[list[str]]:
    robust = plan.get("robust") or {}
    return [
        [
            f"{step['quantile']:g}",
            "—" if step["objective_usd"] is None else f"${step['objective_usd'] / 1e9:,.1f}B",
            "no plan" if step["probability"] is None else f"{100 * step['probability']:.0f}%",
            str(step["change"]),
        ]
        for step in robust.get("iterations", [])
    ]


def sensitivity_result(summary: Mapping[str, Any]) -> Any:
    """A :class:`~gigawatt.sensitivity.SensitivityResult` back from ``sensitivity --json`` output."""
    from gigawatt.sensitivity import SensitivityResult

    rows = summary["parameters"]
    keys = [k for k in rows[0] if k not in ("parameter", "tornado_p10", "tornado_p90")] if rows else []

    def number(value: Any) -> float:
        return math.nan if value is None else float(value)

    return SensitivityResult(
        method=summary["method"],
        output=summary["output"],
        parameters=[r["parameter"] for r in rows],
        indices={k: np.array([number(r.get(k)) for r in rows]) for k in keys},
        evaluations=int(summary["evaluations"]),
        output_mean=number(summary["output_mean"]),
        output_std=number(summary["output_std"]),
        tornado_base=number(summary["tornado_base"]),
        tornado={r["parameter"]: (number(r["tornado_p10"]), number(r["tornado_p90"])) for r in rows},
        notes=list(summary.get("notes", [])),
    )


def sensitivity_chart(summary: Mapping[str, Any]) -> go.Figure | None:
    """Sobol' (or Morris) bars and the tornado; a date output's tornado in days from the all-median date."""
    from gigawatt.sensitivity import sensitivity_figure

    if not summary.get("parameters"):
        return None
    fig = sensitivity_figure(sensitivity_result(summary))
    if str(summary["output"]).startswith("gw-online:"):
        from gigawatt.units import format_date

        for trace in fig.data:
            if trace.xaxis == "x2":
                trace.base = 0
        fig.update_xaxes(title_text=f"days from {format_date(summary['tornado_base'])}", row=2, col=1)
    fig.update_yaxes(automargin=True)
    fig.update_layout(template="plotly_white")
    return fig


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
    elif kind == "run":
        made = {
            "capacity": capacity_fan(summary) if summary.get("capacity_gw") else None,
            "phases": phase_gantt(summary) if summary.get("phases") else None,
            "constraints": constraint_bars(summary) if summary.get("constraints") else None,
            "map": site_map(scenario),
            "countries": country_bars(summary),
        }
        money = summary.get("money")
        if isinstance(money, Mapping):
            made.update(money_figures(money))
    return {k: f for k, f in made.items() if f is not None}


# ---------------------------------------------------------------- tables


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return "never" if math.isinf(value) else f"{value:,.{digits}f}"
    return str(value)


def _year_rows(summary: Mapping[str, Any]) -> list[list[str]]:
    covered = {row["date"]: row["p_capacity_covers_demand"] for row in summary.get("demand", [])}
    rows = []
    for row in summary.get("year_ends", []):
        gw, ef = row["facility_gw"], row["bf16_eflops"]
        covers = covered.get(row["date"])
        rows.append(
            [
                row["date"],
                " / ".join(_fmt(gw[q]) for q in ("p10", "p50", "p90")),
                " / ".join(_fmt(ef[q], 0) for q in ("p10", "p50", "p90")),
                _fmt(row["energy_twh_per_year"]["p50"], 1),
                _fmt(row["h100_equivalents_million"]["p50"], 2),
                "—" if covers is None else f"{covers:.0%}",
            ]
        )
    return rows


def country_bars(summary: Mapping[str, Any]) -> go.Figure | None:
    """Compute sovereignty: facility GW online per country at year ends (P50, P10–P90 bars)."""
    from gigawatt.countries import country_name

    breakdown = summary.get("breakdown") or {}
    countries = sorted(k for k in breakdown if k.startswith("country:"))
    if not countries:
        return None
    fig = go.Figure()
    for name in countries:
        series = breakdown[name]
        p10, p50, p90 = (np.asarray(series[q]) for q in ("p10", "p50", "p90"))
        fig.add_bar(
            x=breakdown["dates"],
            y=p50,
            name=country_name(name.split(":", 1)[1]),
            error_y={"type": "data", "symmetric": False, "array": p90 - p50, "arrayminus": p50 - p10},
        )
    fig.update_layout(barmode="group", yaxis_title="facility GW online (P50; bars P10–P90)")
    return _layout(fig, "Capacity by country")


def _key_values(data: Any, prefix: str = "") -> list[tuple[str, str]]:
    """A nested result as (path, value) rows, for sections drawn as plain tables."""
    from gigawatt.store import flatten

    return [(k, _fmt(v)) for k, v in flatten(data, prefix).items()][:400]


def _assumptions(scenario: Any) -> dict[str, Any]:
    if scenario is None:
        return {"sites": [], "targets": [], "sources": []}
    from gigawatt.catalog import load_catalog

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
                "where": f"{site.country} / {site.region}",
                "phases": len(site.phases),
                "power": f"{sum(p.power_mw.mid for p in site.phases):,.0f} MW {site.power_basis}",
                "accelerator": site.accelerator,
                "sources": sorted(ids),
            }
        )
    targets = []
    for name, target in scenario.targets.items():
        used |= set(target.source)
        from gigawatt.units import format_date

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


# ---------------------------------------------------------------- the page


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("gigawatt", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _plan_rows(plan: Mapping[str, Any]) -> list[list[str]]:
    return [
        [site, "yes" if v.get("open") else "no", f"{v.get('build_mw', 0.0):,.0f}", str(v.get("why", ""))]
        for site, v in plan.get("sites", {}).items()
    ]


def _sensitivity_rows(summary: Mapping[str, Any], top: int = 15) -> tuple[list[str], list[list[str]]]:
    keys = ["S1", "ST"] if summary.get("method") == "sobol" else ["mu_star", "sigma"]
    is_date = str(summary.get("output", "")).startswith("gw-online:")

    def value(v: Any) -> str:
        if v is None:
            return "—"
        if is_date:
            from gigawatt.units import format_date

            return format_date(v)
        return f"{v:,.4g}"

    rows = [
        [r["parameter"], *(_fmt(r.get(k), 3) for k in keys), value(r["tornado_p10"]), value(r["tornado_p90"])]
        for r in summary.get("parameters", [])[:top]
    ]
    return ["parameter", *keys, "output at P10", "output at P90"], rows


def _money_note(summary: Mapping[str, Any], scenario: Any) -> str:
    """Why a run shows no money."""
    if scenario is not None and not scenario.contracts:
        return "The scenario has no contracts, so there is no money to show."
    return (
        "This run has no money results (cash flows by party, RPO run-off, circularity): "
        "it was recorded without the finance model; run it again to see them."
    )


def report_context(record: Any, scenario: Any = None) -> dict[str, Any]:
    """Everything the report template shows, from a stored run (and its scenario)."""
    summary = record.summary or {}
    kind = record_kind(summary, getattr(record, "kind", None))
    charts = {
        key: pio.to_html(
            fig,
            include_plotlyjs=False,
            full_html=False,
            div_id=f"fig-{key}",
            config={"displaylogo": False, "responsive": True},
        )
        for key, fig in figures(summary, scenario, kind).items()
    }
    money = summary.get("money") if kind == "run" else None
    context: dict[str, Any] = {
        "record": record,
        "kind": kind,
        "summary": summary,
        "charts": charts,
        "targets": summary.get("targets", []),
        "years": _year_rows(summary),
        "money": money,
        "money_note": "" if money else _money_note(summary, scenario),
        "assumptions": _assumptions(scenario),
        "scenario_text": record.scenario_text,
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
    elif kind != "run":
        context["other_rows"] = _key_values(summary)
    return context


def render_report(record: Any, scenario: Any = None) -> str:
    """The report of a stored run as one HTML string (plotly.js inlined; opens offline)."""
    context = report_context(record, scenario)
    context["plotly_js"] = get_plotlyjs()
    context["geo_assets_js"] = GEO_ASSETS_JS
    return _environment().get_template("report.html").render(**context)


def write_report(record: Any, path: str | Path, scenario: Any = None, *, force: bool = False) -> Path:
    """Write a run's report to ``path`` (scenario loaded from the run if not given), atomically;
    over an existing file only with ``force``, never over the run's scenario files."""
    from gigawatt import safe_write
    from gigawatt.resolved import inputs_of

    inputs = inputs_of(record.scenario_ref)
    safe_write.check_target(path, force=force, protected=inputs, what="report")
    if scenario is None:
        scenario = scenario_or_none(record)
    text = render_report(record, scenario)
    return safe_write.write_text(path, text, force=force, protected=inputs, what="report")


def scenario_or_none(record: Any) -> Any:
    """The scenario of a stored run, or ``None`` if it can no longer be loaded."""
    from gigawatt.errors import GigawattError
    from gigawatt.store import scenario_of

    try:
        return scenario_of(record)
    except GigawattError:
        return None
