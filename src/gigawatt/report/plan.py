"""A plan record (``gigawatt plan``): demand against served, what each site builds, the robust re-plans."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.style import _BLUE, _RED, _layout


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


def _plan_rows(plan: Mapping[str, Any]) -> list[list[str]]:
    return [
        [site, "yes" if v.get("open") else "no", f"{v.get('build_mw', 0.0):,.0f}", str(v.get("why", ""))]
        for site, v in plan.get("sites", {}).items()
    ]
