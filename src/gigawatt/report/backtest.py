"""A backtest record (``gigawatt backtest``, or the dashboard's), drawn from its summary alone:

* each milestone's forecast P10–P90 and P50 against the date it was observed (or Epoch's
  projection of it): :func:`backtest_figure`;
* the PIT histogram of the observed milestones against the flat line a calibrated forecast
  gives, with the χ² and KS figures the summary carries: :func:`backtest_pit_figure`;
* per campus its fan (facility MW online, P10–P50–P90, from its as-of point) against the
  timeline's steps, observed solid, Epoch's projections dashed and hollow, a campus with
  nothing online by the snapshot marked censored: :func:`backtest_fans`;
* the scores and milestones as table rows for the report: :func:`backtest_tables`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from gigawatt.report.style import _BLUE, _GREY, _RED, _fmt, _layout

__all__ = ["backtest_fans", "backtest_figure", "backtest_pit_figure", "backtest_tables", "campus_fan"]

#: Bins of the PIT histogram drawn (the summary's χ² test states its own bins).
PIT_FIGURE_BINS = 10
_BAND = "rgba(31,78,137,0.18)"
_STEP = "#1b2430"


def backtest_figure(summary: Mapping[str, Any]) -> go.Figure | None:
    """One row per milestone (campus, facility MW): the forecast's P10–P90 (bar) and P50, and the
    date observed (red when outside P10–P90); the title gives coverage, the bands' median width and
    the median P50 error."""
    rows = [m for m in summary.get("milestones") or [] if m.get("p50") and m.get("observed")]
    if not rows:
        return None
    labels = [
        f"{m['campus']}, {m['mw']:,.0f} MW" + (" (proj.)" if m["kind"] == "projected" else "") for m in rows
    ]
    xs: list[Any] = []
    ys: list[Any] = []
    for m, label in zip(rows, labels, strict=True):
        xs += [m["p10"], m["p90"], None]
        ys += [label, label, None]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"width": 8, "color": "rgba(31,78,137,0.3)"},
            name="forecast P10–P90",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[m["p50"] for m in rows],
            y=labels,
            mode="markers",
            marker={"size": 9, "color": _BLUE},
            name="forecast P50",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[m["observed"] for m in rows],
            y=labels,
            mode="markers",
            marker={"size": 10, "symbol": "x", "color": [_GREY if m["inside"] else _RED for m in rows]},
            name="observed (red: outside P10–P90)",
        )
    )
    fig.update_xaxes(type="date")
    fig.update_yaxes(autorange="reversed", automargin=True)
    coverage, error = summary.get("coverage"), summary.get("median_abs_p50_error_months")
    band = summary.get("median_band_months")
    head = "" if coverage is None else f": {coverage:.0%} inside P10–P90"
    head += "" if coverage is None or band is None else f" (median band {band:.0f} months)"
    head += "" if error is None else f", median |P50 error| {error:.1f} months"
    height = max(360, 24 * len(rows) + 140)
    _layout(fig, f"Backtest{head}", height=height)
    # the legend just under the dates, whatever the chart's height (not a share of it)
    fig.update_layout(legend={"orientation": "h", "y": -50 / (height - 90), "yanchor": "top"})
    return fig


def backtest_pit_figure(summary: Mapping[str, Any]) -> go.Figure | None:
    """The PIT values of the observed milestones in ten bins, against the flat count a calibrated
    forecast gives (n/10 a bin), Epoch's projections as hollow bars apart; the title carries the
    summary's χ² and KS figures (``pit_test``)."""
    pit = [float(v) for v in summary.get("pit") or []]
    if not pit:
        return None
    width = 1.0 / PIT_FIGURE_BINS
    centres = [round((i + 0.5) * width, 4) for i in range(PIT_FIGURE_BINS)]
    counts = np.histogram(pit, bins=PIT_FIGURE_BINS, range=(0.0, 1.0))[0]
    ranges = [f"{c - width / 2:.1f}–{c + width / 2:.1f}" for c in centres]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=centres,
            y=counts.tolist(),
            width=width,
            marker={"color": _BLUE, "opacity": 0.75, "line": {"color": "white", "width": 1}},
            customdata=ranges,
            hovertemplate="PIT %{customdata}: %{y} milestones<extra></extra>",
            name=f"observed milestones (n={len(pit)})",
        )
    )
    projected = [float(v) for v in (summary.get("projected") or {}).get("pit") or []]
    if projected:
        fig.add_trace(
            go.Bar(
                x=centres,
                y=np.histogram(projected, bins=PIT_FIGURE_BINS, range=(0.0, 1.0))[0].tolist(),
                width=width,
                marker={"color": "rgba(0,0,0,0)", "line": {"color": _GREY, "width": 2}},
                customdata=ranges,
                hovertemplate="PIT %{customdata}: %{y} projections<extra></extra>",
                name=f"Epoch projections, not scored (n={len(projected)})",
            )
        )
    flat = len(pit) / PIT_FIGURE_BINS
    fig.add_trace(
        go.Scatter(
            x=[0.0, 1.0],
            y=[flat, flat],
            mode="lines",
            line={"color": _RED, "dash": "dash", "width": 2},
            hoverinfo="skip",
            name=f"flat: {flat:.1f} a bin if calibrated",
        )
    )
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(
        range=[0, 1], dtick=width, title="PIT: share of draws before the observed date (0: forecast late)"
    )
    fig.update_yaxes(title="milestones", rangemode="tozero", tick0=0, dtick=1 if counts.max() <= 12 else None)
    return _layout(fig, f"PIT of {len(pit)} observed milestones{_pit_test_text(summary.get('pit_test'))}")


def _pit_test_text(test: Any) -> str:
    """The uniformity tests a summary's ``pit_test`` carries, in words ("" when it has none)."""
    if not isinstance(test, Mapping) or test.get("chi2_p") is None or test.get("ks_p") is None:
        return ""
    bins = len(test.get("bins") or [])
    return f": χ² p = {test['chi2_p']:.2f} ({bins} bins), KS D = {test['ks']:.2f}, p = {test['ks_p']:.2f}"


def backtest_fans(summary: Mapping[str, Any]) -> dict[str, go.Figure]:
    """Each campus's fan (its first forecast's, when ``--as-of previous`` made several), by
    section id ``backtest-fan-N`` in the summary's order."""
    censored: dict[str, list[Mapping[str, Any]]] = {}
    for m in summary.get("milestones") or []:
        if m.get("kind") == "censored":
            censored.setdefault(m["campus"], []).append(m)
    fans: dict[str, go.Figure] = {}
    seen: set[str] = set()
    for campus in summary.get("campuses") or []:
        if campus["campus"] in seen or not campus.get("fan_dates"):
            continue
        seen.add(campus["campus"])
        fans[f"backtest-fan-{len(fans)}"] = campus_fan(
            campus, summary.get("snapshot"), censored.get(campus["campus"], [])
        )
    return fans


def campus_fan(
    campus: Mapping[str, Any], snapshot: str | None, censored: Sequence[Mapping[str, Any]] = ()
) -> go.Figure:
    """One campus: facility MW online P10–P90 band and P50 by month from its as-of point, and the
    timeline's steps (observed: solid, filled; Epoch's projections: dashed, hollow); a milestone
    not reached by the snapshot (censored) is a red open triangle at the snapshot."""
    p10, p50, p90 = campus["fan_mw"]
    steps = [(d, float(mw), kind) for d, mw, kind in campus.get("steps") or []]
    fig = go.Figure()
    _forecast_traces(fig, campus["fan_dates"], p10, p50, p90)
    _step_traces(fig, steps)
    if snapshot:
        top = max([*p90, *(mw for _, mw, _ in steps), *(m["mw"] for m in censored)])
        _snapshot_traces(fig, snapshot, censored, top)
    return _fan_layout(fig, campus)


def _forecast_traces(fig: go.Figure, dates: Sequence[Any], p10: Any, p50: Any, p90: Any) -> None:
    """The forecast: the P10–P90 band (filled between two invisible lines) and the P50."""
    fig.add_trace(
        go.Scatter(
            x=dates, y=p90, mode="lines", line={"width": 0, "shape": "hv"}, showlegend=False, hoverinfo="skip"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=p10,
            mode="lines",
            line={"width": 0, "shape": "hv"},
            fill="tonexty",
            fillcolor=_BAND,
            customdata=p90,
            hovertemplate="%{x|%Y-%m}: P10 %{y:,.0f} – P90 %{customdata:,.0f} MW<extra></extra>",
            name="forecast P10–P90",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=dates,
            y=p50,
            mode="lines",
            line={"color": _BLUE, "width": 2, "shape": "hv"},
            hovertemplate="%{x|%Y-%m}: P50 %{y:,.0f} MW<extra></extra>",
            name="forecast P50",
        )
    )


def _step_traces(fig: go.Figure, steps: Sequence[tuple[Any, float, str]]) -> None:
    """The timeline's steps: observed (solid, filled markers), then Epoch's projections
    (dashed, hollow), joined to the last observed step."""
    seen = [(d, mw) for d, mw, kind in steps if kind == "observed"]
    if seen:
        fig.add_trace(
            go.Scatter(
                x=[d for d, _ in seen],
                y=[mw for _, mw in seen],
                mode="lines+markers",
                line={"color": _STEP, "width": 2, "shape": "hv"},
                marker={"size": 7, "color": _STEP},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} MW observed<extra></extra>",
                name="observed (Epoch)",
            )
        )
    ahead = [(d, mw) for d, mw, kind in steps if kind == "projected"]
    projection = {"color": _STEP, "width": 2, "dash": "dash", "shape": "hv"}
    # the projection goes on from the last step seen (no legend group: a grouped legend stacks its items)
    if ahead and seen:
        fig.add_trace(
            go.Scatter(
                x=[seen[-1][0], ahead[0][0]],
                y=[seen[-1][1], ahead[0][1]],
                mode="lines",
                line=projection,
                showlegend=False,
                hoverinfo="skip",
            )
        )
    if ahead:
        fig.add_trace(
            go.Scatter(
                x=[d for d, _ in ahead],
                y=[mw for _, mw in ahead],
                mode="lines+markers",
                line=projection,
                marker={"size": 8, "color": "white", "line": {"color": _STEP, "width": 2}},  # hollow
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.0f} MW (Epoch's projection)<extra></extra>",
                name="Epoch's projection",
            )
        )


def _snapshot_traces(
    fig: go.Figure, snapshot: str, censored: Sequence[Mapping[str, Any]], top: float
) -> None:
    """Milestones not reached by the snapshot (censored), and the snapshot itself as a named
    line up to ``top`` MW (a trace, not a shape: the legend names it and no label can overlap
    a step)."""
    if censored:
        fig.add_trace(
            go.Scatter(
                x=[snapshot] * len(censored),
                y=[m["mw"] for m in censored],
                mode="markers",
                marker={"size": 13, "symbol": "triangle-right-open", "color": _RED, "line": {"width": 2}},
                hovertemplate="%{y:,.0f} MW not online by the snapshot (censored)<extra></extra>",
                name="censored: not yet online",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=[snapshot, snapshot],
            y=[0, top],
            mode="lines",
            line={"color": _GREY, "dash": "dot", "width": 1.5},
            hoverinfo="skip",
            name=f"snapshot {snapshot}",
        )
    )


def _fan_layout(fig: go.Figure, campus: Mapping[str, Any]) -> go.Figure:
    """Axes, the campus's title and a legend in rows under the plot."""
    fig.update_xaxes(type="date")
    fig.update_yaxes(title="facility MW online", rangemode="tozero")
    title = f"{campus['campus']}, from {campus['as_of']}"
    title += " (power-limited)" if campus.get("power_limited") else ""
    height = 340
    _layout(fig, title, height=height)
    fig.update_layout(
        title_font_size=14,
        # a fixed entry width lays six entries out in rows (without one, plotly stacks them one a row)
        legend={
            "orientation": "h",
            "y": -45 / (height - 90),
            "yanchor": "top",
            "traceorder": "normal",
            "entrywidth": 150,
            "font": {"size": 11},
        },
    )
    return fig


def backtest_tables(summary: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """The report's tables: ``scores`` (one row per group of milestones: n, inside P10–P90 and the
    bands' median width, median |P50 error| and signed, CRPS, PIT tests; then the naive baselines'
    errors, to read the model's against) and ``milestones`` (every milestone)."""
    groups: list[tuple[str, Any]] = [("observed (the headline)", summary)]
    steps = summary.get("by_step") or {}
    groups += [
        ("observed: each forecast's first", steps.get("first")),
        ("observed: later ones", steps.get("later")),
        ("Epoch's projections (not scored)", summary.get("projected")),
    ]
    limited = summary.get("power_limited") or {}
    groups += [
        ("power-limited: observed", limited.get("observed")),
        ("power-limited: projected", limited.get("projected")),
    ]
    scores = []
    for label, s in groups:
        if not isinstance(s, Mapping) or not s.get("count"):
            continue
        test = s.get("pit_test") or {}
        scores.append(
            [
                label,
                str(s["count"]),
                "—" if s.get("coverage") is None else f"{s['coverage']:.0%}",
                _fmt(s.get("median_band_months"), 1),
                _fmt(s.get("median_abs_p50_error_months"), 1),
                _fmt(s.get("median_p50_error_months"), 1),
                _fmt(s.get("crps_days"), 0),
                _fmt(test.get("chi2_p")),
                _fmt(test.get("ks_p")),
            ]
        )
    scores += _baseline_rows(summary.get("baselines") or {})
    milestones = [
        [
            m["campus"],
            f"{m['mw']:,.0f}",
            m["kind"] + (", power-limited" if m.get("power_limited") else ""),
            m.get("observed") or "—",
            f"{m.get('p10') or '—'} / {m.get('p50') or '—'} / {m.get('p90') or '—'}",
            "yes" if m["inside"] else "no",
            "—" if m.get("p50_error_months") is None else f"{m['p50_error_months']:+.1f}",
            _fmt(m.get("crps_days"), 0),
            _fmt(m.get("pit")),
        ]
        for m in summary.get("milestones") or []
    ]
    return {"scores": scores, "milestones": milestones}


def _baseline_rows(found: Mapping[str, Any]) -> list[list[str]]:
    """The per-index baselines as score rows: n and their |error| and signed error; no band."""
    rows = []
    for key, label in (
        ("per_index_loo", "naive baseline: the other campuses' median for the milestone's index"),
        ("per_index_hindsight", "the same over all campuses (in hindsight: a floor)"),
    ):
        s = found.get(key)
        if isinstance(s, Mapping) and s.get("count"):
            rows.append(
                [
                    label,
                    str(s["count"]),
                    "—",
                    "—",
                    _fmt(s.get("median_abs_error_months"), 1),
                    _fmt(s.get("median_error_months"), 1),
                    "—",
                    "—",
                    "—",
                ]
            )
    return rows
