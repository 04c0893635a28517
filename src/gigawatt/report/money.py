"""A run's money (its ``money`` entry): flows between parties, cash by party, RPO run-off, circularity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go

from gigawatt.report.style import _BLUE, _RED, _b, _layout, _whiskers


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
