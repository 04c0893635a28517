"""Sites built for a tenant that, in the scenario, pays nobody for them.

A site's costs are paid by its operator (electricity, staff, maintenance), by the payers of
purchase contracts naming it (construction, chips) and by its chip buyer (``chips.buyers``).
When its tenant is another party than the one that owns or runs it, its capacity earns money
only through a lease or a compute contract naming the site. A site with a tenant, costs and no
such contract is one whose income the scenario does not model, usually because no terms were
reported (Stargate UAE: G42 funds and builds, OpenAI and Oracle operate; REFERENCE §2, §31):
its payers' NPV then counts costs without income, a gap in the scenario, not a finding about
them. A site its owner uses itself (tenant = owner or operator) is not one.
"""

from __future__ import annotations

from dataclasses import dataclass

from gigawatt.finance.chips import buys_chips
from gigawatt.scenario import Scenario

__all__ = ["UnsoldSite", "unsold_sites"]

_SELLS_CAPACITY = ("lease", "compute")


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
