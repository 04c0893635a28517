"""Outside capital as ``finance`` and ``stress`` print it (:mod:`gigawatt.finance.funding`): each
party's need beyond its cash and known deals, a table and sentences; apart from them, the parties
that state neither cash nor a funding policy, whose need is beyond their modelled flows (their own
cash is not stated): outside capital they must raise, never "short"."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from gigawatt.commands.common import Table
from gigawatt.fmt import share as _share

#: Least need a table shows (P90, USD) and a sentence states (P50): below it, rounding.
SHOWN_USD = 1e9

#: Share of the draws needing capital above which the first need is called a loan falling due.
_REFINANCING_SHARE = 0.5

UNSTATED_NOTE = (
    "Neither cash nor a funding policy stated: how far the modelled flows take each party below "
    "zero from the as-of date on (what it had received net by then counted as its cash; what it "
    "had paid out by then, as paid). It must come from its own cash, not stated here, or from "
    "outside (equity, debt, a refinancing): a need, not a finding that it runs short."
)


def states_cash(n: dict[str, Any]) -> bool:
    """Whether a party's need is measured against cash or a policy it states (else, beyond its
    modelled flows: ``cash_stated`` false and no policy)."""
    return bool(n["policy"] or n.get("cash_stated", True))


def need_sentences(need: dict[str, Any]) -> list[str]:
    """:func:`need_sentence` for every party needing at least :data:`SHOWN_USD` (P50) that states
    cash or a policy, or whose need begins with a known loan falling due (the others' table row
    says all a sentence would)."""
    return [
        need_sentence(name, n)
        for name, n in need.items()
        if n["p50"] >= SHOWN_USD and (states_cash(n) or n.get("refinancing_share", 0.0) >= _REFINANCING_SHARE)
    ]


def need_sentence(name: str, n: dict[str, Any]) -> str:
    """A party's outside capital need in words: how much, by when most of it, whether it begins
    with a known loan falling due, and what the policy leaves short (stating neither cash nor a
    policy: beyond its modelled flows, as :data:`UNSTATED_NOTE` says under its table)."""
    by_year = {int(y): v for y, v in n["by_year_end_p50_usd"].items()}
    most = min((y for y, v in by_year.items() if v >= 0.9 * n["p50"]), default=max(by_year))
    needs = (
        f"{name} needs ${n['p10'] / 1e9:,.0f}–{n['p90'] / 1e9:,.0f}B of outside capital beyond its cash and "
        "known deals"
        if states_cash(n)
        else f"{name}: ${n['p10'] / 1e9:,.0f}–{n['p90'] / 1e9:,.0f}B beyond its modelled flows"
    )
    text = (
        f"{needs} (P10–P90), ${by_year[most] / 1e9:,.0f}B of it by end-{most} (P50), "
        f"first in {n['first_date']['p50'][:7]} (P50)"
    )
    refinancing = n.get("refinancing_share", 0.0)
    if refinancing >= _REFINANCING_SHARE:
        text += f", when a known loan falls due (a refinancing, in {_share(refinancing)} of those draws)"
    if n["policy"]:
        short = n["shortfall_usd"]["p50"]
        text += f"; after its funding policy ${short / 1e9:,.0f}B (P50) is left short, in " + (
            f"{_share(n['probability_shortfall'])} of draws"
        )
    return text + "."


def _needed(n: dict[str, Any]) -> tuple[str, str]:
    """A need's table cells: P50 (P10–P90), and its first date (P50) with the share of draws."""
    first = n["first_date"]["p50"]
    return (
        f"{n['p50'] / 1e9:,.0f} ({n['p10'] / 1e9:,.0f}–{n['p90'] / 1e9:,.0f})",
        f"{first} ({_share(n['probability_needed'])})" if first else "never",
    )


def print_capital(
    console: Any,
    need: dict[str, Any],
    notes: dict[str, str] | None = None,
    receipts: Collection[str] = (),
    financiers: dict[str, str] | None = None,
) -> None:
    """Each party's outside capital: a table of the parties stating cash or a policy, one of the
    others (``receipts``: receipts-only parties, marked ‡; ``financiers``: lenders and investors by
    kind, named so), then the need in words, and what a party's figures cover where the scenario
    says (its ``note``)."""
    financiers = financiers or {}
    capital = Table(
        "party",
        "needed P50 (P10–P90)",
        "first (P50, share)",
        "by policy",
        "short P50",
        title="Outside capital beyond cash and known deals, $B",
    )
    others = Table(
        "party",
        "needed P50 (P10–P90)",
        "first (P50, share)",
        title="Outside capital beyond modelled flows (own cash not stated), $B",
    )
    for name, n in need.items():
        if not states_cash(n):
            if n["p90"] >= SHOWN_USD:
                kind = f" ({financiers[name]})" if name in financiers else ""
                others.add_row(name + ("‡" if name in receipts else "") + kind, *_needed(n))
            continue
        if n["p90"] < SHOWN_USD and not n["policy"]:
            continue
        raised = ", ".join(
            f"{k.split('#')[0]} {v['p50'] / 1e9:,.0f}" for k, v in n["by_instrument"].items() if v["p50"]
        )
        capital.add_row(
            name,
            *_needed(n),
            raised or ("–" if n["policy"] else "no policy"),
            f"{n['shortfall_usd']['p50'] / 1e9:,.0f} ({_share(n['probability_shortfall'])})",
        )
    if capital.row_count:
        console.print(capital)
    if others.row_count:
        console.print(others)
        marked = [name for name in receipts if name in need and not states_cash(need[name])]
        tail = f" ‡ receipts only (costs not modelled): {', '.join(marked)}." if marked else ""
        if any(
            name in financiers and not states_cash(n) and n["p90"] >= SHOWN_USD for name, n in need.items()
        ):
            tail += (
                " A lender's or investor's row is what it lends or invests beyond what has come back "
                "by then: money from its own balance sheet, its business, not a sign of strain."
            )
        console.print(UNSTATED_NOTE + tail, highlight=False)
    for line in need_sentences(need):
        console.print(line, highlight=False)
    for name, note in (notes or {}).items():
        if name in need:
            console.print(f"{name}: {note}", highlight=False)
