"""Vendor financing as analysts measure it, and money that stops in a party.

**Vendor-financing ratio** of a vendor → customer pair over a window: what the vendor puts
back into the customer (equity paid, loans drawn, and warrant shares vested, each at its value
when it vested, as equity counts at what was paid) over what it sells for the customer. Sales
*for* a customer count the vendor's sales to the customer itself and, one step down the chain,
its sales to the
customer's suppliers in proportion to the customer's share of their income: NVIDIA selling
systems to Oracle, whose compute income is 60% OpenAI's, sells 60% of those systems for
OpenAI. Each draw gives one ratio; P10/P50/P90 over draws. It answers "how much of what
NVIDIA sells for OpenAI comes back to OpenAI as investment", which the traced circularity
(docs/circularity.md), diluted by every other dollar a party handles, does not.

**Unspent.** A party that receives equity or loans and pays out less than half of it, over the
window, is a holding vehicle in the scenario: what it holds is reported, so that no party is a
silent money sink (the Stargate joint venture receives its partners' pledges and, in the
scenario, spends nothing itself).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gigawatt.finance.ledger import WORLD, entry_sum, flow_matrix, involved
from gigawatt.finance.model import Money
from gigawatt.finance.quantiles import bands
from gigawatt.units import format_date

__all__ = ["vendor_financing", "unspent", "SALES_KINDS", "RETURN_KINDS", "MIN_SALES_USD"]

#: What a vendor sells: goods and services.
SALES_KINDS = ("purchase", "lease", "compute", "power")
#: What comes back to the customer: investment.
RETURN_KINDS = ("equity", "loan_draw")
#: Sales for the customer (P50) below which a pair is an investor's, not vendor financing: a
#: ratio of returned to a few hundred million of sales (SoftBank → OpenAI: $30B on $0.4B) says
#: nothing about a vendor financing its own sales. A judgement.
MIN_SALES_USD = 1e9


def _matrix(money: Money, kinds: tuple[str, ...], totals: np.ndarray, names: list[str]) -> np.ndarray:
    book = money.book
    return flow_matrix(book, None, np.isin(book.kind, kinds), totals, names)


def vendor_financing(money: Money, periods: slice | None = None, minor: bool = False) -> list[dict[str, Any]]:
    """Every vendor → customer pair where the vendor both sells for the customer (at least
    :data:`MIN_SALES_USD`, P50) and returns money to it in some draw, with the ratio returned /
    sold (module doc); ``minor``: the pairs under :data:`MIN_SALES_USD` of sales instead."""
    periods = periods or slice(None)
    book = money.book
    warrants = [
        money.scenario.contracts[n] for n, r in money.results.items() if r.warrant_granted_usd is not None
    ]
    # only the parties that sell, buy, earn or invest (in the ledger's order)
    touched = set(involved(book, np.isin(book.kind, (*SALES_KINDS, "revenue", *RETURN_KINDS))))
    names = [p for p in book.parties if p in touched | {x for c in warrants for x in (c.payer, c.payee)}]
    index = {n: i for i, n in enumerate(names)}
    totals = book.totals(periods)
    sales = _matrix(money, SALES_KINDS, totals, names)  # (draw, payer, payee): buyer pays vendor
    income = _matrix(money, (*SALES_KINDS, "revenue"), totals, names).sum(axis=1)  # (draw, party)
    returned = _matrix(money, RETURN_KINDS, totals, names)  # vendor pays customer
    last = (periods.stop if periods.stop is not None else len(money.edges) - 1) - 1
    first = periods.start or 0
    for name, result in money.results.items():
        contract = money.scenario.contracts[name]
        if result.warrant_granted_usd is not None:  # the shares vested inside the window
            granted = result.warrant_granted_usd
            inside = granted[:, last] - (granted[:, first - 1] if first > 0 else 0.0)
            returned[:, index[contract.payer], index[contract.payee]] += inside
    # sales for c by v: direct, plus through each supplier i in proportion to c's share of i's income
    # (only parties that both buy and sell pass sales on: the others' terms are zero, and their
    # shares are not worked out)
    sold_any, bought_any = sales.any(axis=(0, 1)), sales.any(axis=(0, 2))
    middle = np.nonzero(sold_any & bought_any)[0]
    earned = income[:, None, middle]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(earned > 0, sales[:, :, middle] / earned, 0.0)  # customer's share of i's
    for_customer = sales + np.matmul(share, sales[:, middle, :])
    found = np.any(returned > 1.0, axis=0) & np.any(for_customer > 1.0, axis=0).T  # (vendor, customer)
    window = {
        "from": format_date(money.edges[periods.start or 0]),
        "to": format_date(money.edges[last + 1]),
    }
    out = []
    for v, vendor in enumerate(names):
        for c, customer in enumerate(names):
            if WORLD in (vendor, customer) or v == c or not found[v, c]:
                continue
            sold, back = for_customer[:, c, v], returned[:, v, c]
            if (float(np.median(sold)) < MIN_SALES_USD) != minor:
                continue
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(sold > 1.0, back / sold, np.nan)
            out.append(
                {
                    "vendor": vendor,
                    "customer": customer,
                    "sales_usd": float(np.median(sold)),
                    "returned_usd": float(np.median(back)),
                    "ratio": bands(ratio),
                    "window": window,
                }
            )
    return out


def unspent(money: Money, periods: slice | None = None) -> dict[str, Any]:
    """Parties that receive investment and pay out less of it over the window: what they hold."""
    periods = periods or slice(None)
    book = money.book
    totals = book.totals(periods)  # (entry, draw)
    returns = np.isin(book.kind, RETURN_KINDS)
    out: dict[str, Any] = {}
    for party in money.parties:
        if party == WORLD:
            continue
        inflow = entry_sum(totals, book.payee == party, totals.shape[1:])
        outflow = entry_sum(totals, book.payer == party, totals.shape[1:])
        received = entry_sum(totals, (book.payee == party) & returns, totals.shape[1:])
        held = np.clip(np.minimum(received, inflow - outflow), 0.0, None)
        if np.median(received) > 1.0 and np.median(outflow) < 0.5 * np.median(received):
            out[party] = {
                "invested_in_usd": float(np.median(received)),
                "paid_out_usd": float(np.median(outflow)),
                "unspent_usd": float(np.median(held)),
            }
    return out
