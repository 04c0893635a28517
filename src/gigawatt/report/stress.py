"""A stress record (``gigawatt stress``): who runs short and when, exposure, and the table base → shocked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.style import _GREY, _RED, _b, _layout, _whiskers


def _stress_parties(stress: Mapping[str, Any]) -> list[str]:
    return sorted(set(stress["base"].get("parties", {})) | set(stress["shocked"].get("parties", {})))


def stress_short_figure(stress: Mapping[str, Any]) -> go.Figure | None:
    """Who runs short: P(a party cannot pay what it owes in some period, after its funding policy
    has raised what it can against what it was paid), base against shocked."""
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
    return _layout(
        fig, "Who runs short after its funding policy (payments deferred in some period)", height=380
    )


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
    ]
    for what, key in (("peak", "peak"), ("at the end", "end")):
        # a record made before deferred_mw_* has the same MW as stranded_mw_*
        b, s = (run.get(f"deferred_mw_{key}", run.get(f"stranded_mw_{key}")) for run in (base, hit))
        rows.append(
            [
                f"MW whose payments were deferred (facility), {what}",
                *(_band_text(x, 1, ",.0f") for x in (b, s)),
            ]
        )
    return rows
