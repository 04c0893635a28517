"""Stress tests: shocks to a scenario's distributions, then who runs short of cash after its funding policy.

Shocks are a small grammar (:data:`GRAMMAR`), each applied to the scenario's
distributions, not to results, so the buildout and the money are re-run; sampling
uses common random numbers keyed by parameter path, so base and shocked runs are
comparable draw by draw.

Settlement (:func:`gigawatt.finance.settlement.settle`) pays each period's obligations in
the ledger's order of time. A party with declared ``cash`` (plus ``credit``) that cannot meet what it owes in
a period pays every counterparty the same share (a clearing vector in the sense of
Eisenberg & Noe, "Systemic Risk in Financial Systems", Management Science 47(2), 2001,
found by fixed-point iteration from full payment); the unpaid rest is deferred to the
next period or defaulted, by each contract's ``on_shortfall``, and its counterparties
receive less in turn. Parties without declared cash, and the world, always pay. A party
with a funding policy raises what its policy allows (:mod:`gigawatt.finance.funding`), against
what it was actually paid where a counterparty paid it late, so a party short here is short
*after* borrowing and selling equity as far as its policy's capacity and cap allow;
``funding_need`` gives its need and that shortfall as ``finance`` measures them (everyone paying
as scheduled). What a party is owed and paid late shows as ``exposure`` (``deferred_peak_usd``,
and ``unpaid_usd`` at the horizon) and the MW those payments cover (``deferred_mw_*``). Loan
covenants are applied before settlement (:mod:`gigawatt.finance.covenants`), so a shock that
cuts a borrower's income shows as breaches and called balances; :func:`key_figures` condenses
the result for a report.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from gigawatt.distributions import Dist, fixed
from gigawatt.errors import GigawattError
from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.facts import forecast_from
from gigawatt.finance.funding import funding_need
from gigawatt.finance.model import Money, buildout, simulate_money
from gigawatt.finance.quantiles import bands
from gigawatt.finance.settlement import Settlement, settle
from gigawatt.finance.statements import covenant_summary, timing
from gigawatt.fmt import share
from gigawatt.scenario import Scenario
from gigawatt.units import format_date, parse_date

__all__ = [
    "GRAMMAR",
    "ShockError",
    "Settlement",
    "parse_shock",
    "apply_shocks",
    "settle",
    "stress",
    "key_figures",
    "unstated_needs",
]

_NUM = r"(?P<sign>[+-])\s*(?P<num>\d+(?:\.\d+)?)"
_PARTY = r"(?P<party>[a-z0-9][a-z0-9_-]*)"
#: Each shock form: (regex, what it does). Matching is case-insensitive.
GRAMMAR: dict[str, tuple[str, str]] = {
    "demand": (
        rf"demand growth {_NUM}\s*%",
        "demand growth ±N%: scale every demand stream's and party's revenue growth by (1 ± N/100)",
    ),
    "withheld": (
        rf"{_PARTY} tranches withheld",
        "PARTY tranches withheld: that party's conditional investment tranches never fire",
    ),
    "turbines": (
        rf"turbine lead time {_NUM}\s*(?P<unit>weeks?|months?|years?)",
        "turbine lead time ±N weeks|months|years: gas power arrives that much later (or earlier)",
    ),
    "supply": (
        rf"accelerator supply {_NUM}\s*%",
        "accelerator supply ±N%: scale every accelerator supply limit",
    ),
    "cash": (
        rf"{_PARTY} cash {_NUM}\s*%",
        "PARTY cash ±N%: scale that party's cash (at its cash_date, else the start) and credit line",
    ),
}
_DAYS = {"week": 7.0, "month": DAYS_PER_YEAR / 12, "year": DAYS_PER_YEAR}


class ShockError(GigawattError):
    """A shock that is not in the grammar, or names something the scenario lacks."""

    def __init__(self, message: str):
        forms = "\n".join(f"  {text}" for _, text in GRAMMAR.values())
        super().__init__(f"{message}\nshocks are one of:\n{forms}")


@dataclass(frozen=True)
class Shock:
    form: str
    text: str
    fields: dict[str, str]

    @property
    def factor(self) -> float:
        return 1 + float(self.fields["sign"] + self.fields["num"]) / 100

    @property
    def days(self) -> float:
        unit = self.fields["unit"].lower().rstrip("s")
        return float(self.fields["sign"] + self.fields["num"]) * _DAYS[unit]


def parse_shock(text: str) -> Shock:
    """One shock from its text, or :class:`ShockError` listing the grammar."""
    clean = " ".join(text.strip().split())
    for form, (pattern, _) in GRAMMAR.items():
        match = re.fullmatch(pattern, clean, flags=re.IGNORECASE)
        if match:
            shock = Shock(form, clean, {k: v for k, v in match.groupdict().items() if v is not None})
            if form in ("demand", "supply", "cash") and shock.factor < 0:
                raise ShockError(f"shock {text!r} would make a quantity negative")
            return shock
    raise ShockError(f"cannot read shock {text!r}")


def _scaled(dist: Dist, factor: float) -> Dist:
    return Dist(dist.family, tuple(v * factor for v in dist.params), dist.weights)


def _shifted(dist: Dist, days: float) -> Dist:
    return Dist(dist.family, tuple(v + days for v in dist.params), dist.weights)


def _map_dict(items: dict[str, Any], fn: Callable[[str, Any], Any]) -> dict[str, Any]:
    return {k: fn(k, v) for k, v in items.items()}


def apply_shocks(scenario: Scenario, shocks: Sequence[Shock]) -> Scenario:
    """The scenario with each shock applied to its distributions (same parameter paths)."""
    for shock in shocks:
        scenario = _apply(scenario, shock)
    return scenario


def _party(scenario: Scenario, shock: Shock) -> str:
    name = shock.fields["party"].lower()
    if name not in scenario.parties:
        raise ShockError(
            f"shock {shock.text!r}: unknown party {name!r}; parties: {', '.join(scenario.parties)}"
        )
    return name


def _apply(scenario: Scenario, shock: Shock) -> Scenario:
    if shock.form == "demand":
        f = shock.factor
        demand = scenario.demand.model_copy(
            update={
                k: s.model_copy(update={"growth_per_year": _scaled(s.growth_per_year, f)})
                for k in ("training", "inference")
                if (s := getattr(scenario.demand, k)) is not None
            }
        )
        parties = _map_dict(
            scenario.parties,
            lambda _, p: p.model_copy(
                update={"revenue_growth_per_year": _scaled(p.revenue_growth_per_year, f)}
            ),
        )
        return scenario.model_copy(update={"demand": demand, "parties": parties})
    if shock.form == "withheld":
        party = _party(scenario, shock)
        hit = [n for n, c in scenario.contracts.items() if c.payer == party and c.conditional and c.tranches]
        if not hit:
            raise ShockError(f"shock {shock.text!r}: {party} has no conditional contract with tranches")
        contracts = _map_dict(
            scenario.contracts,
            lambda n, c: (
                c.model_copy(
                    update={
                        "tranches": [t.model_copy(update={"probability": fixed(0.0)}) for t in c.tranches]
                    }
                )
                if n in hit
                else c
            ),
        )
        return scenario.model_copy(update={"contracts": contracts})
    if shock.form == "turbines":
        days = shock.days

        def site(_: str, s: Any) -> Any:
            plan = [
                src.model_copy(
                    update={
                        k: _shifted(getattr(src, k), days)
                        for k in ("available_date", "ordered_date")
                        if getattr(src, k) is not None
                    }
                )
                if src.kind == "gas"
                else src
                for src in s.power_plan
            ]
            return s.model_copy(update={"power_plan": plan})

        return scenario.model_copy(update={"sites": _map_dict(scenario.sites, site)})
    if shock.form == "supply":
        supply = _map_dict(
            scenario.supply,
            lambda _, s: (
                s.model_copy(
                    update={
                        "amount": _scaled(s.amount, shock.factor),
                        # the industry's ceiling scales too, or a cap would absorb the shock
                        "ceiling": None if s.ceiling is None else _scaled(s.ceiling, shock.factor),
                    }
                )
                if s.resource == "accelerators"
                else s
            ),
        )
        return scenario.model_copy(update={"supply": supply})
    party = _party(scenario, shock)
    p = scenario.parties[party]
    if p.cash_usd is None:
        raise ShockError(f"shock {shock.text!r}: {party} declares no cash")
    update = {"cash_usd": _scaled(p.cash_usd, shock.factor)}
    if p.credit_usd is not None:
        update["credit_usd"] = _scaled(p.credit_usd, shock.factor)
    return scenario.model_copy(update={"parties": {**scenario.parties, party: p.model_copy(update=update)}})


def _lapsed(money: Money) -> np.ndarray:
    total = np.zeros(money.book.shape[0])
    for r in money.results.values():
        if r.rpo_lapsed_usd is not None:
            total += r.rpo_lapsed_usd.sum(axis=1)
    return total


def _deferred_mw(money: Money, settlement: Settlement) -> np.ndarray:
    """Facility MW online whose lease or compute payments were not paid in full when due
    (deferred, to be made up later, or defaulted), weighted by the share not paid, ``(draw,
    period)``: only in the cells paid other than scheduled (everything else was paid in full)."""
    book = settlement.scheduled
    total = np.zeros(book.shape)
    cells = (settlement.changed_draw, settlement.changed_period)
    where = np.cumsum(settlement.scaled) - 1
    late = np.zeros(cells[0].size)
    for name, r in money.results.items():
        if r.covered is None:  # no covered MW (worked out below only where a payment fell short)
            continue
        entries = np.nonzero((book.contract == name) & settlement.scaled)[0]
        if not entries.size:  # paid by parties that always pay
            continue
        due = sum((settlement.scheduled_at_cells(int(e)) for e in entries), np.zeros(late.shape))
        got = sum((settlement.changed_paid_usd[where[e]] for e in entries), np.zeros(late.shape))
        if np.array_equal(got, due):  # paid in full: nothing late (the share below is 0)
            continue
        unpaid_share = np.where(due > 0, 1 - got / np.where(due > 0, due, 1.0), 0.0)
        late += r.covered(cells) * np.clip(unpaid_share, 0.0, 1.0)
    total[cells] = late
    return total


def _exposure(settlement: Settlement) -> dict[str, Any]:
    """Per payee owed anything it was not paid on time: ``deferred_peak_usd``, the most owed to it
    and not yet paid at a period's end (payments deferred, and defaulted ones, which are never
    paid), and ``unpaid_usd``, what is still unpaid at the horizon (defaulted, or deferred and
    never made up), with ``from`` each payer's part of it."""
    unpaid = settlement.unpaid_usd  # (draw, entry)
    book = settlement.scheduled
    exposure: dict[str, Any] = {}
    # paid other than scheduled only in the changed cells (in these draws): elsewhere the difference is 0
    rows, at = np.unique(settlement.changed_draw, return_inverse=True)
    for payee in sorted(set(book.payee)):
        mask = book.payee == payee
        total = unpaid[:, mask].sum(axis=1)
        deferred = np.zeros(total.shape)
        if (mask & settlement.scaled).any() and rows.size:
            late = np.zeros((rows.size, book.shape[1]))
            late[at, settlement.changed_period] = settlement.late_usd(mask & settlement.scaled)
            deferred[rows] = np.clip(np.cumsum(late, axis=1), 0.0, None).max(axis=1)
        if np.any(total > 1.0) or np.any(deferred > 1.0):
            exposure[str(payee)] = {
                "deferred_peak_usd": bands(deferred),
                "unpaid_usd": bands(total),
                "from": {
                    str(p): bands(unpaid[:, mask & (book.payer == p)].sum(axis=1))
                    for p in sorted(set(book.payer[mask]))
                    if np.any(unpaid[:, mask & (book.payer == p)] > 1.0)
                },
            }
    return exposure


def _bridged(money: Money, settlement: Settlement, party: str) -> np.ndarray:
    """What ``party``'s funding policy raised, over the horizon ``(draw,)``, beyond what it raises
    when every counterparty pays as scheduled: capital to bridge the payments it was owed and not
    paid on time (settlement runs the policy again on what was paid)."""
    own = np.char.startswith(money.book.contract.astype(str), f"funding:{party}:") & (
        money.book.payee == party
    )
    extra = settlement.scheduled.sum(own) - money.book.sum(own)
    return np.asarray(extra.sum(axis=1))


def report(money: Money, settlement: Settlement) -> dict[str, Any]:
    """Who runs short (after its funding policy) first, when and how far; what is owed and paid late
    or never; RPO lapsed; MW whose payments were late."""
    names = money.parties
    edges = money.edges
    short = np.asarray(settlement.shortfall_usd > 1.0)  # (draw, period, party): a dollar's tolerance
    any_short = np.any(short, axis=2)
    has = np.any(any_short, axis=1)
    first_period = np.where(has, np.argmax(any_short, axis=1), -1)
    draws = np.arange(short.shape[0])
    first_party = np.where(
        has, np.argmax(settlement.shortfall_usd[draws, np.maximum(first_period, 0), :], axis=1), -1
    )
    by_party: dict[str, Any] = {}
    # the lowest cash from the as-of date on (finance.facts: the cash before it is not a forecast)
    start = min(forecast_from(money.scenario, edges), len(edges) - 2)
    for i, name in enumerate(names):
        if not settlement.constrained[i]:
            continue
        mine = first_party == i
        ever = short[:, :, i].any(axis=1)
        first_day = np.where(ever, edges[:-1][np.argmax(short[:, :, i], axis=1)], np.nan)
        q = bands(first_day)
        by_party[name] = {
            "probability_first_short": float(mine.mean()),
            "probability_short": float(ever.mean()),
            "first_short_date": {k: format_date(v) if v is not None else None for k, v in q.items()},
            "peak_shortfall_usd": bands(
                np.where(ever, settlement.shortfall_usd[:, :, i].max(axis=1), np.nan)
            ),
            "lowest_cash_usd": bands(settlement.cash_usd[:, start:, i].min(axis=1)),
        }
        if money.funding is not None and name in money.scenario.funding:
            by_party[name]["raised_for_deferrals_usd"] = bands(_bridged(money, settlement, name))
    exposure = _exposure(settlement)
    late = _deferred_mw(money, settlement)
    covenants = {}
    for name, r in money.results.items():
        if r.covenants is not None:
            c = money.scenario.contracts[name]
            covenants[name] = {"borrower": c.payee, "lender": c.payer, **covenant_summary(r.covenants, edges)}
    return {
        "probability_any_short": float(has.mean()),
        "first_short": {
            "party": {
                names[i]: float((first_party == i).mean()) for i in sorted(set(first_party[has].tolist()))
            },
            "date": {
                k: format_date(v) if v is not None else None
                for k, v in bands(np.where(has, edges[:-1][np.maximum(first_period, 0)], np.nan)).items()
            },
        },
        "parties": by_party,
        "exposure": exposure,
        "rpo_never_delivered_usd": bands(_lapsed(money)),
        "deferred_mw_peak": bands(late.max(axis=1)),
        "deferred_mw_end": bands(late[:, -1]),
        # kept for compatibility: the same MW as deferred_mw_* (payments late, not capacity left idle)
        "stranded_mw_peak": bands(late.max(axis=1)),
        "stranded_mw_end": bands(late[:, -1]),
        "covenants": covenants,
        "funding_need": funding_need(money.funding, edges) if money.funding else {},
    }


def key_figures(result: dict[str, Any]) -> dict[str, Any]:
    """The stress result's headline numbers, base vs shocked, compact enough for a report table.

    ``rows``: one per figure, ``{"name", "unit", "base", "shocked"}`` (P50 unless the name says
    otherwise; ``None`` when there is no value); ``first_short``: the shocked run's
    {party: share of draws in which it is the first to run short}. A party's "P(short)" and "peak
    shortfall" are after its funding policy has raised against what it was actually paid."""

    def dig(run: dict[str, Any], keys: tuple[str, ...]) -> Any:
        for key in keys:
            run = run.get(key) if isinstance(run, dict) else None  # type: ignore[assignment]
        return run

    def row(name: str, unit: str, *keys: str) -> dict[str, Any]:
        return {
            "name": name,
            "unit": unit,
            "base": dig(result["base"], keys),
            "shocked": dig(result["shocked"], keys),
        }

    hit = result["shocked"]
    rows = [row("P(any party runs short)", "share", "probability_any_short")]
    for party, need in hit.get("funding_need", {}).items():
        if need["policy"]:
            rows.append(row(f"{party}: outside capital needed", "USD", "funding_need", party, "p50"))
            rows.append(
                row(
                    f"{party}: short after its funding policy",
                    "USD",
                    "funding_need",
                    party,
                    "shortfall_usd",
                    "p50",
                )
            )
    rows += [
        row(f"{party}: outside capital beyond its flows", "USD", "funding_need", party, "p50")
        for party in unstated_needs(result["base"], hit)
    ]
    for party in hit["parties"]:
        rows += [
            row(f"{party}: P(short)", "share", "parties", party, "probability_short"),
            row(f"{party}: peak shortfall", "USD", "parties", party, "peak_shortfall_usd", "p50"),
        ]
        if "raised_for_deferrals_usd" in hit["parties"][party]:
            rows.append(
                row(
                    f"{party}: raised to bridge late receipts",
                    "USD",
                    *("parties", party, "raised_for_deferrals_usd", "p50"),
                )
            )
    rows.append(row("RPO never delivered", "USD", "rpo_never_delivered_usd", "p50"))
    rows.append(row("MW whose payments were deferred, peak", "MW", "deferred_mw_peak", "p50"))
    for payee in sorted(set(result["base"]["exposure"]) | set(hit["exposure"])):
        rows.append(
            row(f"deferred to {payee}, peak (P90)", "USD", "exposure", payee, "deferred_peak_usd", "p90")
        )
        rows.append(
            row(f"unpaid to {payee} at the horizon (P90)", "USD", "exposure", payee, "unpaid_usd", "p90")
        )
    for loan in hit["covenants"]:
        rows.append(row(f"{loan}: P(covenant breach)", "share", "covenants", loan, "probability_breach"))
        rows.append(row(f"{loan}: first breach", "date", "covenants", loan, "first_breach_date", "p50"))
    return {"shocks": result["shocks"], "rows": rows, "first_short": hit["first_short"]["party"]}


#: Least outside capital (P90, USD) of a party stating neither cash nor a policy that ``stress`` shows.
_SHOWN_USD = 1e9


def unstated_needs(base: dict[str, Any], hit: dict[str, Any]) -> list[str]:
    """The parties stating neither cash nor a funding policy that need outside capital beyond their
    modelled flows (at least :data:`_SHOWN_USD`, P90) in the base or shocked run (``funding_need``):
    a need to raise, reported apart from who runs short (they always pay in settlement)."""
    names: dict[str, None] = {}
    for run in (base, hit):
        for party, need in run.get("funding_need", {}).items():
            if not need["policy"] and not need.get("cash_stated", True) and need["p90"] >= _SHOWN_USD:
                names[party] = None
    return list(names)


def stress(
    scenario: Scenario, shock_texts: Sequence[str], draws: int = 2000, seed: int = 0, step: str = "quarter"
) -> dict[str, Any]:
    """Base and shocked runs of the same draws, settled, side by side."""
    shocks = [parse_shock(t) for t in shock_texts]
    shocked = apply_shocks(scenario, shocks)
    out: dict[str, Any] = {
        "scenario": scenario.name,
        "draws": draws,
        "seed": seed,
        "shocks": [s.text for s in shocks],
    }
    monies = []
    for label, which in (("base", scenario), ("shocked", shocked)):
        money = simulate_money(which, buildout(which, draws, seed), seed, step)
        out[label] = report(money, settle(money))
        monies.append(money)
    out["key_figures"] = key_figures(out)
    out["explanations"] = _relief(out, *monies)
    return out


def _relief(result: dict[str, Any], base_money: Money, shocked_money: Money) -> list[str]:
    """One line per party that looks relieved by the shocks: it runs short less often, or its
    funding policy needs less outside capital (P50, as the table rounds it). The line gives what
    it paid and received by a date (the base run's P50 first-short date, or its first need of
    outside capital), base vs shocked, and when half its capex is paid.

    Shocks that delay the buildout also delay purchases paid on delivery, while contracted
    income moves less, so a delay can look like relief; the line says so (or, where income moved
    as much or more by that date, says that instead)."""
    base, hit = result["base"], result["shocked"]
    lines = []
    for party in hit["parties"]:
        was, now = base["parties"][party]["probability_short"], hit["parties"][party]["probability_short"]
        need_was, need_now = (run.get("funding_need", {}).get(party, {}).get("p50") for run in (base, hit))
        less_need = need_was is not None and need_now is not None
        if now < was:
            relief = f"runs short less often ({share(was)} → {share(now)})"
            when = base["parties"][party]["first_short_date"]["p50"]
        elif less_need and round(need_now / 1e9, 1) < round(need_was / 1e9, 1):
            relief = f"needs less outside capital (${need_was / 1e9:,.1f}B → ${need_now / 1e9:,.1f}B, P50)"
            when = base["funding_need"][party]["first_date"]["p50"]
        else:
            continue
        by = parse_date(when) if when else float(base_money.edges[-1])
        b, s = (timing(m, party, by) for m in (base_money, shocked_money))
        # a party with no capex (e.g. one that only leases) has no date to compare
        capex = (
            f"; half its capex paid by {b['half_capex_paid_date']} → {s['half_capex_paid_date']}"
            if b["half_capex_paid_date"] and s["half_capex_paid_date"]
            else ""
        )
        spending_moves_more = b["paid_usd"] - s["paid_usd"] > b["received_usd"] - s["received_usd"]
        why = (
            "because the shock delays its spending more than its income"
            if spending_moves_more
            else "though the shock delays its income as much as its spending, or more"
        )
        lines.append(
            f"{party} {relief} {why}: "
            f"by {b['by']} paid ${b['paid_usd'] / 1e9:,.0f}B → ${s['paid_usd'] / 1e9:,.0f}B, "
            f"received ${b['received_usd'] / 1e9:,.0f}B → ${s['received_usd'] / 1e9:,.0f}B{capex} "
            "(P50, base → shocked)."
        )
    return lines
