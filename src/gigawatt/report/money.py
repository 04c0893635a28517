"""A run's money (its ``money`` entry): flows between parties, cash by party, RPO run-off, circularity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

from gigawatt.report.style import _BLUE, _RED, _b, _layout, _whiskers

#: Columns of the flow chart: from parties that only pay (left) to parties that only receive (right).
_SANKEY_COLUMNS = 5


def _rgba(colour: str, alpha: float) -> str:
    """``#rrggbb`` as ``rgba(r,g,b,alpha)``."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def money_sankey(money: Mapping[str, Any]) -> go.Figure | None:
    """Money between parties over the horizon: one link per payer → payee → kind (P50, $B).

    Each party is one node (the world, customers and suppliers outside the system, too), labelled
    with what flows in and out of it (sums of the links' P50s). Its column is the share of its
    money that goes out: parties that only pay on the left, parties that only receive on the
    right, so money flows left to right and a link drawn back leftwards is money coming round
    again. Links take their payer's colour; hovering one gives payer → payee, kind and $B."""
    flows = [f for f in money.get("flows") or [] if (f.get("amount_usd") or 0.0) > 0]
    if not flows:
        return None
    names = money.get("parties") or {}

    def label(party: str) -> str:
        return str(names.get(party, party))

    parties = sorted({f["payer"] for f in flows} | {f["payee"] for f in flows}, key=label)
    index = {party: i for i, party in enumerate(parties)}
    inflow = dict.fromkeys(parties, 0.0)
    outflow = dict.fromkeys(parties, 0.0)
    for f in flows:
        outflow[f["payer"]] += float(f["amount_usd"]) / 1e9
        inflow[f["payee"]] += float(f["amount_usd"]) / 1e9
    last = _SANKEY_COLUMNS - 1
    column = {p: round(last * inflow[p] / (inflow[p] + outflow[p])) for p in parties}
    x, y = [0.0] * len(parties), [0.0] * len(parties)
    for col in range(_SANKEY_COLUMNS):
        here = sorted((p for p in parties if column[p] == col), key=lambda p: -(inflow[p] + outflow[p]))
        for rank, party in enumerate(here):
            x[index[party]] = 0.01 + 0.98 * col / last
            y[index[party]] = (rank + 0.5) / len(here)
    colours = [qualitative.Plotly[i % len(qualitative.Plotly)] for i in range(len(parties))]
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.1f",
            valuesuffix=" $B",
            node={
                "label": [f"{label(p)}<br>in ${inflow[p]:,.0f}B · out ${outflow[p]:,.0f}B" for p in parties],
                "customdata": [label(p) for p in parties],
                "x": x,
                "y": y,
                "pad": 18,
                "thickness": 14,
                "color": colours,
                "hovertemplate": "%{customdata}: %{value:,.1f} $B through it<extra></extra>",
            },
            link={
                "source": [index[f["payer"]] for f in flows],
                "target": [index[f["payee"]] for f in flows],
                "value": [float(f["amount_usd"]) / 1e9 for f in flows],
                "label": [str(f.get("kind", "")) for f in flows],
                "color": [_rgba(colours[index[f["payer"]]], 0.35) for f in flows],
                "hovertemplate": "%{source.customdata} → %{target.customdata}: %{label}, "
                "$%{value:,.1f}B<extra></extra>",
            },
        )
    )
    return _layout(fig, "Money between parties over the horizon ($B, P50 of each flow)", height=720)


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
