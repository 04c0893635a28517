"""Terminal values: a lease running past the horizon and equity raised under a funding policy,
each worked by hand; parties whose costs are not modelled flagged."""

import numpy as np
import pytest

from gigawatt.finance import buildout, simulate_money, statements
from gigawatt.finance.capacity import DAYS_PER_YEAR
from gigawatt.finance.contracts import PaymentSchedule
from gigawatt.finance.customers import receipts_only
from gigawatt.finance.terminal import lease_value_usd, terminal_values
from gigawatt.scenario import load_scenario
from gigawatt.units import WEEKS_PER_YEAR

#: $100k/MW-month for alpha's 300 MW, 10 years from online, +3% a year: running past 2030-12-31.
LEASE = """\
  alpha-lease:
    kind: lease
    payer: lab
    payee: cloud
    sites: [alpha]
    term: "10 years"
    price_per_mw_month: "$100k/MW"
    escalator: 0.03
"""


def with_lease(small_text: str) -> str:
    return small_text.replace("targets:\n", LEASE + "targets:\n", 1)


def remaining_by_day(online_day: float, horizon_day: float, usd_per_day: float, growth: float) -> float:
    """What the lease still pays after the horizon, day by day (undiscounted): the rent escalated
    by whole years since online, to the term's end."""
    end = online_day + 10 * 7 * WEEKS_PER_YEAR  # "10 years", in weeks as the scenario reads it
    days = np.arange(max(horizon_day, online_day), end) + 0.5
    return float((usd_per_day * growth ** np.floor((days - online_day) / DAYS_PER_YEAR)).sum())


def test_a_lease_past_the_horizon_is_the_lessors_receivable_and_the_lessees_liability(small_text, write):
    scenario = load_scenario(write(with_lease(small_text)))
    money = simulate_money(scenario, buildout(scenario, 6, 0), 0)
    # at a 0% discount rate the terminal value is the rent still to pay, summed by hand per draw
    horizon = float(money.edges[-1])
    online = money.buildout["online_date"].sel(phase="alpha/P1").values
    usd_per_day = 100e3 * 300 / (DAYS_PER_YEAR / 12)
    by_hand = np.array([remaining_by_day(d, horizon, usd_per_day, 1.03) for d in online])
    assert by_hand.min() > 1e9  # years of rent after the horizon in every draw
    (lease,) = [tv for tv in terminal_values(money, 0.0) if tv.contract == "alpha-lease"]
    assert (lease.holder, lease.issuer, lease.kind) == ("cloud", "lab", "lease")
    assert lease.value_usd == pytest.approx(by_hand, rel=1e-3)
    s = statements(money, ["cloud", "lab"], discount_rate=0.0)
    held = s["cloud"]["terminal_value"]["by_contract_usd"]["alpha-lease"]["p50"]
    assert held == pytest.approx(float(np.median(by_hand)), rel=1e-3)
    assert s["lab"]["terminal_value"]["by_contract_usd"]["alpha-lease"]["p50"] == pytest.approx(-held)
    assert s["cloud"]["terminal_value"]["by_kind_usd"]["lease"]["p50"] == pytest.approx(held)
    # it counts in NPV (one draw: its P50s subtract)
    one = simulate_money(scenario, buildout(scenario, 1, 0), 0)
    totals = statements(one, ["cloud"], discount_rate=0.0)["cloud"]["totals"]
    added = totals["npv_usd"]["p50"] - totals["npv_cash_only_usd"]["p50"]
    assert added == pytest.approx(remaining_by_day(online[0], horizon, usd_per_day, 1.03), rel=1e-3)


def test_lease_value_discounts_each_years_rent_and_the_guarantee_to_the_horizon():
    """One phase online a year and a half before the horizon, a three-year term: after the
    horizon it pays half a year at the second year's rent and a year at the third's, then the
    guarantee; discounted continuously at ln(1.1) a year."""
    y = DAYS_PER_YEAR
    schedule = PaymentSchedule(
        start_day=np.array([[-1.5 * y]]),
        usd_per_day=np.array([[1.0]]),
        growth=np.array([1.2]),
        term_days=np.array([3 * y]),
        guarantee_usd=np.array([[50.0]]),
    )
    d = np.log(1.1) / y
    second = 1.2 * (1 - np.exp(-d * 0.5 * y)) / d
    third = 1.2**2 * (np.exp(-d * 0.5 * y) - np.exp(-d * 1.5 * y)) / d
    guarantee = 50.0 / 1.1**1.5
    assert lease_value_usd(schedule, 0.0, 0.10) == pytest.approx([second + third + guarantee])
    # undiscounted: the days themselves
    assert lease_value_usd(schedule, 0.0, 0.0) == pytest.approx([1.2 * 0.5 * y + 1.44 * y + 50.0])
    # a phase never online, or a lease ended by the horizon, is worth nothing there
    never = PaymentSchedule(np.array([[np.inf]]), np.array([[1.0]]), np.array([1.0]), np.array([y]))
    assert lease_value_usd(never, 0.0, 0.1) == pytest.approx([0.0])
    assert lease_value_usd(schedule, 2 * y, 0.1) == pytest.approx([0.0])


POLICY = """
funding:
  lab:
    floor: $0B
    instruments:
      - {kind: equity, capacity_per_year: $100B, rate: 0.15}
"""


def test_equity_a_funding_policy_raises_is_not_income(small_text, write):
    """The lab pays $10B for compute and earns nothing: its policy raises equity to cover it. At a
    0% rate its NPV with the policy is its NPV without (the equity is at cost at the horizon), not
    $10B better; the world's stake shows in its terminal value."""
    npv = {}
    for name, extra in (("bare", ""), ("policy", POLICY)):
        scenario = load_scenario(write(small_text + extra, f"{name}.yaml"))
        money = simulate_money(scenario, buildout(scenario, 8, 0), 0)
        s = statements(money, ["lab"], discount_rate=0.0)["lab"]
        npv[name] = s["totals"]["npv_usd"]["p50"]
        if name == "policy":
            raised = money.funding.parties["lab"].raised_usd["equity#0"]
            assert np.median(raised) > 5e9
            at_cost = s["terminal_value"]["by_contract_usd"]["funding:lab:equity#0"]["p50"]
            assert at_cost == pytest.approx(-float(np.median(raised)))
            assert s["terminal_value"]["by_kind_usd"]["investment"]["p50"] == pytest.approx(at_cost)
    assert npv["policy"] == pytest.approx(npv["bare"], rel=1e-9)


def test_a_seller_that_buys_and_runs_nothing_is_flagged_receipts_only(small_text, write):
    """The small scenario's cloud sells compute and operates alpha (its electricity, staff and
    maintenance are modelled); a chip vendor paid for chips and nothing else is receipts only."""
    vendor = """\
  chips:
    kind: purchase
    payer: cloud
    payee: vendor
    sites: [alpha]
    value: $5B
"""
    text = small_text.replace("targets:\n", vendor + "targets:\n", 1).replace(
        "  cloud: {name: Cloud, kind: cloud}\n",
        "  cloud: {name: Cloud, kind: cloud}\n  vendor: {name: Vendor, kind: chipmaker}\n",
    )
    scenario = load_scenario(write(text))
    money = simulate_money(scenario, buildout(scenario, 4, 0), 0)
    assert receipts_only(money.book) == ["vendor"]
    s = statements(money)
    assert s["vendor"]["costs_modelled"] is False
    assert s["cloud"]["costs_modelled"] is True and s["lab"]["costs_modelled"] is True


#: $10B over 5 years from 2028: two of its years run past the horizon (2030-12-31).
LATE_COMPUTE = """\
  late-compute:
    kind: compute
    payer: lab
    payee: cloud
    value: "$10B"
    start: 2028-01-01
    term: "5 years"
    prepaid: 0.2
"""


def test_a_compute_contract_past_the_horizon_is_its_rpo_there_less_what_was_prepaid(small_text, write):
    """At a 0% rate what a fully delivered compute contract still pays after the horizon is its RPO
    there, less the share prepaid at signing; a contract that ends inside the horizon has none."""
    scenario = load_scenario(write(small_text.replace("targets:\n", LATE_COMPUTE + "targets:\n", 1)))
    money = simulate_money(scenario, buildout(scenario, 3, 0), 0)
    positions = {tv.contract: tv for tv in terminal_values(money, 0.0)}
    late = positions["late-compute"]
    assert (late.holder, late.issuer, late.kind) == ("cloud", "lab", "compute")
    rpo = money.results["late-compute"].rpo_usd[:, -1]
    assert rpo.min() > 3e9  # about two of its five years are left
    assert late.value_usd == pytest.approx(rpo * (1 - 0.2), rel=1e-6)
    assert "compute" not in positions  # the small scenario's own contract ends in 2029
    # discounted at 10% a year it is worth less, and the buyer owes what the seller holds
    s = statements(money, ["cloud", "lab"], discount_rate=0.10)
    held = s["cloud"]["terminal_value"]["by_contract_usd"]["late-compute"]["p50"]
    assert 0.8 * float(np.median(rpo)) * 0.85 < held < 0.8 * float(np.median(rpo))
    assert s["lab"]["terminal_value"]["by_kind_usd"]["compute"]["p50"] == pytest.approx(-held)
