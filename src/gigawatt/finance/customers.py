"""Sites built for a tenant that, in the scenario, pays nobody for them.

A site's costs are paid by its operator (electricity, staff, maintenance), by the payers of
purchase contracts naming it (construction, chips) and by its chip buyer (``chips.buyers``).
When its tenant is another party than the one that owns or runs it, its capacity earns money
only through a lease or a compute contract naming the site. A site with a tenant, costs and no
such contract is one whose income the scenario does not model, usually because no terms were
reported (Stargate UAE: G42 funds and builds, OpenAI and Oracle operate; REFERENCE §2, §31):
its payers' NPV then counts costs without income, a gap in the scenario, not a finding about
them. A site its owner uses itself (tenant = owner or operator) is not one.

The mirror gap: a party paid for what it sells (chips, compute, leases, power) that buys
nothing and runs nothing in the scenario (no purchase, no site's electricity, staff or
maintenance, no operating costs) — a chip maker or a cloud selling from capacity the scenario
does not build. What it sells costs it something the model leaves out, so its NPV is the
present value of receipts, not a profit (:func:`receipts_only`; ``costs_modelled`` in the
statements).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.finance.chips import buys_chips
from gigawatt.finance.ledger import WORLD, Ledger
from gigawatt.scenario import Scenario

__all__ = ["UnsoldSite", "unsold_sites", "receipts_only"]

_SELLS_CAPACITY = ("lease", "compute")
#: What a party is paid for what it sells, and the costs of selling it the model can hold.
_SALES = ("purchase", "compute", "lease", "power")
_COSTS = ("purchase", "electricity", "staff", "maintenance", "operating_costs")


@dataclass(frozen=True)
class UnsoldSite:
    """A site whose costs ``paid_by`` pay (party → what they pay) and no customer pays for."""

    site: str
    paid_by: dict[str, list[str]]

    def as_dict(self) -> dict[str, object]:
        return {"site": self.site, "paid_by": self.paid_by}


def unsold_sites(scenario: Scenario) -> list[UnsoldSite]:
    """The scenario's sites with another party as tenant, costs paid by its parties, and no lease
    or compute contract naming them (none in a scenario without contracts: it has no money)."""
    if not scenario.contracts:
        return []
    sold = {s for c in scenario.contracts.values() if c.kind in _SELLS_CAPACITY for s in c.sites}
    out = []
    for site_id, site in scenario.sites.items():
        if site_id in sold or site.tenant in (None, site.owner, site.operator):
            continue
        paid: dict[str, list[str]] = {}
        for name, contract in scenario.contracts.items():
            stated = buys_chips(contract) and site_id in scenario.chips.buyers  # yields to the buyer
            if contract.kind == "purchase" and site_id in contract.sites and not stated:
                paid.setdefault(contract.payer, []).append(name)
        buyer = scenario.chips.buyers.get(site_id)
        if buyer is not None:
            paid.setdefault(buyer, []).append("chips")
        if site.operator in scenario.parties:
            paid.setdefault(site.operator, []).append("operations")
        if paid:
            out.append(UnsoldSite(site_id, paid))
    return out


def receipts_only(book: Ledger) -> list[str]:
    """Parties paid for sales in some draw that pay no cost of selling in any (module doc)."""
    moved = np.any(book.totals() != 0.0, axis=1)  # entries with money in some draw
    sells = set(book.payee[moved & np.isin(book.kind, _SALES)])
    costs = set(book.payer[moved & np.isin(book.kind, _COSTS)])
    return [p for p in book.parties if p in sells and p not in costs and p != WORLD]
