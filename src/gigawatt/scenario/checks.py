"""Checks across a scenario's sections, each problem located in its file: names that must
exist (accelerators, parties, sites, supplies, programmes), sizes that must fit, milestones
that can fire, and demand stated one way."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from gigawatt import _yaml, units
from gigawatt.catalog import Catalog
from gigawatt.errors import Problem
from gigawatt.scenario.contracts import Contract
from gigawatt.scenario.demand import DEMAND_KEYS
from gigawatt.scenario.model import Scenario


def _unknown(what: str, name: object, known: Iterable[str]) -> str:
    hint = difflib.get_close_matches(str(name), list(known), n=1)
    return f"unknown {what} {name!r}" + (f"; did you mean {hint[0]!r}?" if hint else "")


def _references(scenario: Scenario, doc: _yaml.Document, catalog: Catalog) -> list[Problem]:
    """Checks across sections: names that must exist, sizes that must fit (section by section,
    in file order)."""
    accelerators = set(catalog.accelerators) | set(scenario.accelerators)
    problems = _accelerator_problems(scenario, doc, catalog)
    problems += _cash_date_problems(scenario, doc)
    problems += _site_problems(scenario, doc, accelerators)
    problems += _supply_problems(scenario, doc, accelerators)
    problems += _contract_problems(scenario, doc, accelerators)
    problems += _commitment_problems(scenario, doc)
    problems += _target_problems(scenario, doc)
    return problems


def _accelerator_problems(scenario: Scenario, doc: _yaml.Document, catalog: Catalog) -> list[Problem]:
    """A scenario's own accelerators must be (or be based on) catalog ones."""
    problems: list[Problem] = []
    for acc_id, acc in scenario.accelerators.items():
        base = acc.base or acc_id
        if base not in catalog.accelerators:
            path = ("accelerators", acc_id, "base") if acc.base else ("accelerators", acc_id)
            problems.append(doc.problem(path, _unknown("accelerator", base, catalog.accelerators)))
    return problems


def _cash_date_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """A party's ``cash_date`` must fall in the time grid and on or before ``time.as_of``: a
    reported balance is a fact, and nothing after the as-of date is known."""
    problems: list[Problem] = []
    time = scenario.time
    for name, party in scenario.parties.items():
        if party.cash_date is None:
            continue
        day, where = party.cash_date.mid, ("parties", name, "cash_date")
        said = units.format_date(day)
        if party.cash_usd is None:
            problems.append(doc.problem(where, "cash_date needs cash (the balance reported at that date)"))
        elif not time.start_day <= day <= time.end_day:
            grid = f"{units.format_date(time.start_day)} to {units.format_date(time.end_day)}"
            problems.append(doc.problem(where, f"cash_date {said} is outside the time grid ({grid})"))
        elif day > time.as_of_day:
            as_of = units.format_date(time.as_of_day)
            stated = (
                "time.as_of" if time.as_of_date is not None else "time.as_of (time.start: none is stated)"
            )
            problems.append(
                doc.problem(
                    where,
                    f"cash_date {said} is after {stated}, {as_of}: a reported balance must be known "
                    "by the as-of date (state the latest one before it)",
                )
            )
    return problems


def _party_problems(
    scenario: Scenario, doc: _yaml.Document, path: tuple[str | int, ...], name: str | None
) -> list[Problem]:
    """A named party must be one of the scenario's parties (when it declares any)."""
    parties = set(scenario.parties)
    if name is not None and parties and name not in parties:
        return [doc.problem(path, _unknown("party", name, parties))]
    return []


def _site_problems(scenario: Scenario, doc: _yaml.Document, accelerators: set[str]) -> list[Problem]:
    """Each site's accelerators and parties must exist, and its phases fit its power plan."""
    problems: list[Problem] = []
    for site_id, site in scenario.sites.items():
        where = ("sites", site_id)
        if site.accelerator not in accelerators:
            problems.append(
                doc.problem((*where, "accelerator"), _unknown("accelerator", site.accelerator, accelerators))
            )
        for role in ("operator", "developer", "tenant", "owner"):
            problems += _party_problems(scenario, doc, (*where, role), getattr(site, role))
        supply_high = sum(s.capacity_mw.high * s.firm_fraction.high for s in site.power_plan)
        for index, phase in enumerate(site.phases):
            if phase.accelerator and phase.accelerator not in accelerators:
                problems.append(
                    doc.problem(
                        (*where, "phases", index, "accelerator"),
                        _unknown("accelerator", phase.accelerator, accelerators),
                    )
                )
            if phase.power_mw.low > supply_high:
                problems.append(
                    doc.problem(
                        (*where, "phases", index, "power"),
                        f"phase ({phase.power_mw.low:,.0f} MW) is larger than its site's whole "
                        f"power plan ({supply_high:,.0f} MW firm)",
                    )
                )
        total = sum(p.power_mw.low for p in site.phases)
        if total > supply_high:
            problems.append(
                doc.problem(
                    (*where, "phases"),
                    f"phases need at least {total:,.0f} MW but the power plan supplies at most "
                    f"{supply_high:,.0f} MW firm",
                )
            )
    return problems


def _supply_problems(scenario: Scenario, doc: _yaml.Document, accelerators: set[str]) -> list[Problem]:
    """Each supply's accelerators must exist, and its successors name accelerator supplies
    without a loop."""
    problems: list[Problem] = []
    for name, supply in scenario.supply.items():
        for index, acc_id in enumerate(supply.accelerators):
            if acc_id not in accelerators:
                problems.append(
                    doc.problem(
                        ("supply", name, "accelerators", index), _unknown("accelerator", acc_id, accelerators)
                    )
                )
        chain, nxt = [name], supply.successor
        while nxt is not None:
            after = scenario.supply.get(nxt)
            if after is None or after.resource != "accelerators":
                problems.append(
                    doc.problem(
                        ("supply", chain[-1], "successor"),
                        f"unknown accelerator supply {nxt!r}; known: "
                        + ", ".join(k for k, s in scenario.supply.items() if s.resource == "accelerators"),
                    )
                )
                break
            if nxt in chain:
                problems.append(
                    doc.problem(
                        ("supply", name, "successor"), "successors loop: " + " -> ".join([*chain, nxt])
                    )
                )
                break
            chain.append(nxt)
            nxt = after.successor
    return problems


def _contract_problems(scenario: Scenario, doc: _yaml.Document, accelerators: set[str]) -> list[Problem]:
    """Each contract's parties, sites and accelerators must exist, its kind's fields be given,
    and its milestones and covenants be able to happen."""
    problems: list[Problem] = []
    for name, contract in scenario.contracts.items():
        problems += _party_problems(scenario, doc, ("contracts", name, "payer"), contract.payer)
        problems += _party_problems(scenario, doc, ("contracts", name, "payee"), contract.payee)
        if not scenario.parties:
            problems.append(
                doc.problem(("contracts", name), "contracts need the scenario's parties declared")
            )
        problems += [
            doc.problem(("contracts", name, "sites", index), _unknown("site", site_id, scenario.sites))
            for index, site_id in enumerate(contract.sites)
            if site_id not in scenario.sites
        ]
        for needed in contract.missing():
            problems.append(doc.problem(("contracts", name), f"a {contract.kind} contract needs {needed}"))
        if contract.contracted is not None and contract.contracted not in scenario.contracted:
            problems.append(
                doc.problem(
                    ("contracts", name, "contracted"),
                    _unknown("contracted block", contract.contracted, scenario.contracted),
                )
            )
        for index, acc_id in enumerate(contract.accelerators):
            if acc_id not in accelerators:
                problems.append(
                    doc.problem(
                        ("contracts", name, "accelerators", index),
                        _unknown("accelerator", acc_id, accelerators),
                    )
                )
        problems += _tranche_problems(scenario, doc, name, contract)
        problems += _covenant_problems(scenario, doc, name, contract)
    return problems


def _tranche_problems(
    scenario: Scenario, doc: _yaml.Document, name: str, contract: Contract
) -> list[Problem]:
    """A contract's milestones that can never fire: more GW than it covers, a date after
    ``time.end``, a probability of 0."""
    problems: list[Problem] = []
    chosen = [
        phase
        for site_id, site in scenario.sites.items()
        if not contract.sites or site_id in contract.sites
        for phase in site.phases
        if not contract.accelerators or (phase.accelerator or site.accelerator) in contract.accelerators
    ]
    if contract.contracted in scenario.contracted:
        total_high = sum(d.power_mw.high for d in scenario.contracted[contract.contracted].schedule)
        what = f"the contracted block {contract.contracted!r}"
    elif contract.schedule:
        total_high = sum(d.power_mw.high for d in contract.schedule)
        what = "its delivery schedule"
    else:
        total_high = sum(p.power_mw.high for p in chosen)
        what = "the phases it covers"
    for index, tranche in enumerate(contract.tranches):
        gw = tranche.when_gw_deployed
        if gw is not None and gw > total_high:
            problems.append(
                doc.problem(
                    ("contracts", name, "tranches", index, "gw_deployed"),
                    f"milestone can never fire: {gw / 1000:g} GW exceeds {what} "
                    f"({total_high / 1000:,.2f} GW at most)",
                )
            )
        if tranche.on_date is not None and tranche.on_date.low > scenario.time.end_day:
            problems.append(
                doc.problem(
                    ("contracts", name, "tranches", index, "date"),
                    "milestone can never fire: its date is after time.end",
                )
            )
        if tranche.probability.high <= 0:
            problems.append(
                doc.problem(
                    ("contracts", name, "tranches", index, "probability"),
                    "milestone can never fire: probability is 0",
                )
            )
    return problems


def _covenant_problems(
    scenario: Scenario, doc: _yaml.Document, name: str, contract: Contract
) -> list[Problem]:
    """Covenants that cannot be tested: a cash floor on a borrower without cash, a first test
    after ``time.end``."""
    problems: list[Problem] = []
    covenants = contract.covenants
    if covenants is not None:
        at: tuple[str, ...] = ("contracts", name, "covenants")
        borrower = scenario.parties.get(contract.payee)
        if covenants.min_cash_usd is not None and borrower is not None and borrower.cash_usd is None:
            problems.append(
                doc.problem(
                    (*at, "min_cash"),
                    f"min_cash needs the borrower ({contract.payee}) to declare cash",
                )
            )
        if covenants.test_from_date is not None and covenants.test_from_date.low > scenario.time.end_day:
            problems.append(
                doc.problem((*at, "test_from"), "covenants are never tested: test_from is after time.end")
            )
    return problems


def _commitment_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """Each capex commitment's sites, programme and country must be the scenario's."""
    problems: list[Problem] = []
    for name, commitment in scenario.commitments.items():
        for index, site_id in enumerate(commitment.sites):
            if site_id not in scenario.sites:
                problems.append(
                    doc.problem(
                        ("commitments", name, "sites", index), _unknown("site", site_id, scenario.sites)
                    )
                )
        for key in ("programme", "country"):
            known = {getattr(s, key) for s in scenario.sites.values()}
            value = getattr(commitment, key)
            if value is not None and value not in known:
                problems.append(doc.problem(("commitments", name, key), _unknown(key, value, known)))
    return problems


def _target_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """Each target's sites must exist."""
    problems: list[Problem] = []
    for name, target in scenario.targets.items():
        for index, site_id in enumerate(target.sites or []):
            if site_id not in scenario.sites:
                problems.append(
                    doc.problem(("targets", name, "sites", index), _unknown("site", site_id, scenario.sites))
                )
    return problems


def _demand_problems(scenario: Scenario, doc: _yaml.Document) -> list[Problem]:
    """Each demand stream states one kind (facility power or compute), its ceiling the same
    kind, and every stream the kind of the first: streams add up, and the engine compares
    their sum with capacity in that one unit, never converting through an assumed FLOP/s per MW."""
    problems: list[Problem] = []
    words = {"mw": "facility power (level, ceiling)", "flops": "compute (compute, compute_ceiling)"}
    first: tuple[str, str] | None = None
    for name, stream in scenario.demand.streams.items():
        at = ("demand", name)
        level_key, ceiling_key = DEMAND_KEYS[stream.stated_in]
        if stream.level_mw is not None and stream.level_flops is not None:
            problems.append(
                doc.problem(
                    (*at, "compute"), "state demand as `level` (facility power) or `compute`, not both"
                )
            )
            continue
        other_ceiling = stream.ceiling_mw if stream.stated_in == "flops" else stream.ceiling_flops
        if other_ceiling is not None:
            wrong = DEMAND_KEYS["mw" if stream.stated_in == "flops" else "flops"][1]
            problems.append(
                doc.problem(
                    (*at, wrong),
                    f"`{wrong}` does not match `{level_key}`: the stream is stated as "
                    f"{words[stream.stated_in]}; write its ceiling as `{ceiling_key}`",
                )
            )
        if first is None:
            first = (name, stream.stated_in)
        elif stream.stated_in != first[1]:
            problems.append(
                doc.problem(
                    (*at, level_key),
                    f"demand.{name} is stated as {words[stream.stated_in]} but demand.{first[0]} as "
                    f"{words[first[1]]}: state every demand stream the same way (they add up)",
                )
            )
    return problems
