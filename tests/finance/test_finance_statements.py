"""Statements: depreciation, the useful-life switch, NPV against numpy-financial, unit economics."""

import numpy as np
import numpy_financial as npf
import pytest

from gigawatt.finance import simulate_money, statements
from gigawatt.finance.economics import unit_economics
from gigawatt.finance.model import buildout
from gigawatt.finance.statements import conventional, depreciation, irr, npv_usd, sign_changes
from gigawatt.scenario import load_scenario
from gigawatt.units import parse_date


def test_straight_line_depreciation():
    capex = np.zeros((1, 12))
    capex[0, 2] = 80.0
    dep = depreciation(capex, 4)
    assert dep[0].tolist() == [0, 0, 20, 20, 20, 20, 0, 0, 0, 0, 0, 0]


def test_npv_matches_numpy_financial_per_draw():
    flows = np.array([[-100.0, 30, 40, 50], [-50.0, 10, 10, 60]])
    assert npv_usd(flows, 0.05).tolist() == pytest.approx([npf.npv(0.05, row) for row in flows])


def test_irr_of_one_sign_change_is_the_textbook_rate():
    flows = np.array([[-100.0, 39, 59, 55, 20], [-100.0, 0, 0, 0, 146.41]])
    assert irr(flows, 1).tolist() == pytest.approx([npf.irr(flows[0]), 0.10], rel=1e-9)
    # quarterly periods: the yearly rate compounds the quarterly one
    assert irr(flows[:1], 4)[0] == pytest.approx((1 + npf.irr(flows[0])) ** 4 - 1, rel=1e-9)


def test_irr_is_undefined_when_flows_change_sign_more_than_once_or_come_in_first():
    # -100, +230, -132 has two IRRs (10% and 20%): neither is "the" return
    several = np.array([[-100.0, 230, -132, 0], [-100.0, 0.5, 230, -132]])
    assert sign_changes(several).tolist() == [2, 2]  # the 0.5 is under the dollar's tolerance
    assert np.isnan(irr(several, 1)).all()
    assert np.isnan(irr(np.array([[100.0, -50, -60]]), 1)).all()  # a loan taken, not an investment
    assert conventional(np.array([[0.0, -5, 0, 7]])).tolist() == [True]


def test_irr_agrees_with_npv_sign_on_conventional_draws():
    rng = np.random.default_rng(7)
    flows = 1e3 * np.abs(rng.normal(size=(500, 24))) * rng.uniform(0.2, 2.0, size=(500, 1))
    flows[:, :6] *= -1.5
    rate = 0.02
    rates, npv = irr(flows, 4), npv_usd(flows, rate)
    ok = np.isfinite(rates)
    assert ok.mean() == 1.0
    yearly = (1 + rate) ** 4 - 1
    assert ((rates > yearly) == (npv > 0)).all()
    assert 0.05 < (npv > 0).mean() < 0.95  # both sides are exercised


@pytest.fixture(scope="module")
def money():
    scenario = load_scenario("stargate")
    return simulate_money(scenario, buildout(scenario, 200, 1), 1)


def test_oracle_statement(money):
    long = statements(money, ["oracle"], life_years=6)["oracle"]
    short = statements(money, ["oracle"], life_years=2)["oracle"]
    years = long["years"]
    assert years[0] == 2024 and years[-1] == 2035
    capex = np.array(long["lines"]["capex_usd"]["p50"])
    assert capex.sum() > 100e9  # Oracle buys the GPUs for its sites
    # the critics' 2-year life front-loads depreciation: more of it by 2028
    by_2028 = years.index(2028) + 1
    assert sum(short["lines"]["depreciation_usd"]["p50"][:by_2028]) > sum(
        long["lines"]["depreciation_usd"]["p50"][:by_2028]
    )
    rpo = long["lines"]["rpo_usd"]["p50"]
    # booked at signing, before delivery: OpenAI's $300B and the other AI books of 2025 ($85B),
    # and what is left at end-2025 of OpenAI's Abilene contract ($62-78B, delivering since mid-2025)
    assert 385e9 + 50e9 < rpo[years.index(2025)] < 385e9 + 78e9
    # each phase's five years run from its online date: the last end by 2034
    assert rpo[years.index(2033)] < 20e9 and rpo[years.index(2034)] == 0.0
    assert set(long["by_counterparty"]) >= {"openai", "nvidia", "crusoe"}
    assert long["by_kind"]["compute"]["in_usd"]["p50"] > 0
    # Oracle's net cash changes sign several times in every draw: no IRR, said so
    assert long["totals"]["irr_defined_share"] == 0.0
    assert long["totals"]["irr_per_year"]["p50"] is None
    # NPV counts what is still owed and held at the horizon (its bonds at par), stated apart
    totals = long["totals"]
    assert totals["terminal_value_usd"]["p50"] < 0 and np.isfinite(totals["npv_usd"]["p50"])
    # refresh only for capacity a customer pays for: OpenAI's contracts (five years of each phase
    # from its online date) have less than half a chip life left when the chips reach end of
    # life, so Oracle buys none again
    assert sum(long["lines"]["capex_usd"]["p50"][years.index(2031) :]) == 0


def test_openai_pays_oracle_for_abilene_from_its_first_building_and_for_every_oracle_mw(money):
    """Abilene, in use since mid-2025, is paid for from then (not from 2027), and the 4.5 GW
    contract's capacity is its four sites' MW, so no Oracle-operated OpenAI MW is left unpaid."""
    book, edges = money.book, money.edges
    paid = sum(
        a
        for a, c, payer in zip(book.amounts, book.contract, book.payer, strict=True)
        if c == "oracle-openai-abilene" and payer == "openai"
    )
    in_2025 = (edges[:-1] >= parse_date("2025-01-01")) & (edges[:-1] < parse_date("2026-01-01"))
    assert np.all(paid[:, in_2025].sum(axis=1) > 1e9)
    ds = buildout(money.scenario, 200, 1)
    openai_sites = {
        s
        for c in money.scenario.contracts.values()
        if c.kind == "compute" and c.payer == "openai"
        for s in c.sites
    }
    oracle_sites = {n for n, site in money.scenario.sites.items() if site.operator == "oracle" and
                    site.tenant == "openai"}  # fmt: skip
    assert oracle_sites - {"stargate-uae"} <= openai_sites  # UAE: G42's campus (chips.buyers)
    four = np.isin(ds.site.values, money.scenario.contracts["oracle-openai-compute"].sites)
    covered = money.results["oracle-openai-compute"].covered_mw.max(axis=1)
    assert covered == pytest.approx(ds.facility_mw.values[:, four].sum(axis=1), rel=1e-9)


def test_openai_holds_equity_and_stakes(money):
    s = statements(money, ["nvidia", "softbank"])
    assert "openai" in s["nvidia"]["equity_stakes"]
    # its Stargate pledges carry no valuation; its part of the 2026 round does ($30B at $840B post)
    assert set(s["softbank"]["equity_stakes"]) == {"openai"}
    assert s["softbank"]["equity_stakes"]["openai"]["p50"] == pytest.approx(30 / 840)


def test_unit_economics_are_in_a_sane_range():
    result = unit_economics(load_scenario("stargate"), draws=500)
    gb200 = result["gb200-nvl72"]
    assert 1.0 < gb200["cost_per_accelerator_hour_usd"]["p50"] < 6.0
    total = gb200["capex_per_gw_facility_usd"]["total"]
    assert 20e9 < total["p50"] < 70e9
    shorter = unit_economics(load_scenario("stargate"), life_years=2.5, draws=500)["gb200-nvl72"]
    assert shorter["cost_per_accelerator_hour_usd"]["p50"] > gb200["cost_per_accelerator_hour_usd"]["p50"]


def test_site_opex_is_staff_and_maintenance_per_mw_year_online():
    from gigawatt.finance import buildout
    from gigawatt.scenario import load_scenario

    scenario = load_scenario("stargate")
    ds = buildout(scenario, 40, 3)
    money = simulate_money(scenario, ds, 3)
    ledger, p = money.ledger, money.parameters
    k = len(money.edges) - 3  # a late quarter
    days = money.edges[k + 1] - money.edges[k]
    phases = ds.site.values == "abilene"
    full = np.all(ds.online_date.values[:, phases] <= money.edges[k], axis=1)
    assert full.any()
    mw = ds.facility_mw.values[:, phases].sum(axis=1)

    def paid(contract: str) -> np.ndarray:
        entry = np.nonzero(ledger.contract.values == contract)[0]
        assert list(ledger.payer.values[entry]) == ["oracle"] and list(ledger.payee.values[entry]) == [
            "world"
        ]
        return ledger.amount_usd.values[:, k, entry[0]]

    years = days / 365.25
    staff = mw * years * p["opex.staff_cost_per_mw"]
    upkeep = (
        mw * years * p["opex.maintenance_share_of_capex_per_year"] * p["per_gw.capex_per_gw_facility"] / 1e3
    )
    assert paid("staff:abilene")[full] == pytest.approx(staff[full])
    assert paid("maintenance:abilene")[full] == pytest.approx(upkeep[full])


def test_depreciation_by_year_from_running_totals_is_depreciation_summed_by_year():
    from gigawatt.finance.statements import _yearly_depreciation

    rng = np.random.default_rng(2)
    capex = rng.uniform(0, 1e9, (30, 48)) * (rng.uniform(0, 1, (30, 48)) < 0.3)
    in_year = np.kron(np.eye(12), np.ones((4, 1)))  # quarters, 12 years
    cum = np.cumsum(capex, axis=1)
    for life in (1, 12, 22, 24, 60):
        expected = depreciation(capex, life) @ in_year
        assert np.allclose(
            _yearly_depreciation(cum, cum @ in_year, life, in_year), expected, rtol=1e-12, atol=1e-3
        )


def test_a_net_lease_puts_the_sites_running_costs_on_its_tenant():
    from gigawatt.finance import buildout
    from gigawatt.scenario import load_scenario

    scenario = load_scenario("stargate")
    ds = buildout(scenario, 20, 1)
    ledger = simulate_money(scenario, ds, 1).ledger

    def payers(site: str) -> set[str]:
        contracts = [f"{kind}:{site}" for kind in ("staff", "maintenance", "electricity")]
        entry = np.isin(ledger.contract.values, contracts)
        return set(ledger.payer.values[entry])

    # Milam, Lordstown and India: OpenAI leases them on net leases (running_costs: tenant)
    assert payers("milam") == payers("lordstown") == payers("stargate-india") == {"openai"}
    # Abilene: Oracle operates the site it leases from Crusoe; Norway: Nscale's lease to
    # Microsoft keeps the default, the owner pays
    assert payers("abilene") == {"oracle"}
    assert payers("stargate-norway") == {"nscale"}
    owner_pays = scenario.model_copy(
        update={
            "contracts": {
                k: c.model_copy(update={"running_costs": "owner"}) for k, c in scenario.contracts.items()
            }
        }
    )
    ledger = simulate_money(owner_pays, ds, 1).ledger
    assert payers("milam") == {"sb-energy"}


def test_npv_counts_the_flows_from_a_period_on_and_discounts_the_days_before_it():
    flows = np.array([[-7.0, 100.0, 110.0]])
    assert npv_usd(flows, 0.10, first=1).tolist() == pytest.approx([200.0])  # the -7 is sunk
    assert npv_usd(flows, 0.10, first=1, stub_periods=0.5)[0] == pytest.approx(200.0 / 1.1**0.5)
    assert npv_usd(flows, 0.10, first=0).tolist() == npv_usd(flows, 0.10).tolist()


STAKE = (
    "  stake:\n    kind: investment\n    payer: cloud\n    payee: lab\n"
    '    tranches:\n      - {amount: "$1B", date: DATE}\n'
)


def _cloud(small_text, write, stake_date: str | None, as_of: str | None = "2026-07-01"):
    """The cloud's statement in SMALL (valued at ``as_of``), with a $1B stake bought on ``stake_date``."""
    time = "time: {start: 2025-01-01, end: 2030-12-31, step: week}"
    text = (
        small_text
        if as_of is None
        else small_text.replace(time, time.replace("step", f"as_of: {as_of}, step"))
    )
    if stake_date is not None:
        text = text.replace("targets:\n", STAKE.replace("DATE", stake_date) + "targets:\n", 1)
    scenario = load_scenario(write(text))
    return statements(simulate_money(scenario, buildout(scenario, 5, 0), 0), ["cloud"])["cloud"]


def test_npv_is_valued_at_the_as_of_date_over_what_is_still_to_come(small_text, write):
    """$1B paid on the as-of date (a quarter's start) counts in full, a year later at 1/1.10, a year
    before not at all (sunk, shown apart); the stake held at the horizon counts in every case."""
    base = _cloud(small_text, write, None)
    at, later, before = (_cloud(small_text, write, d) for d in ("2026-07-01", "2027-07-01", "2025-07-01"))
    assert base["npv_valued_at"] == "2026-07-01"

    def change(s, key):
        return s["totals"][key]["p50"] - base["totals"][key]["p50"]

    assert change(at, "npv_cash_only_usd") == pytest.approx(-1e9, rel=1e-9)
    assert change(later, "npv_cash_only_usd") == pytest.approx(-1e9 / 1.10, rel=1e-3)  # quarters ~91.3 days
    assert change(before, "npv_cash_only_usd") == pytest.approx(0.0, abs=1e-3)
    # the stake at cost at the horizon is still to come: all it adds when bought before as-of
    assert change(before, "npv_usd") == pytest.approx(change(at, "npv_usd") + 1e9, rel=1e-9)
    assert change(before, "npv_usd") > 0.5e9
    assert change(before, "cash_out_before_as_of_usd") == pytest.approx(1e9, rel=1e-9)
    assert change(before, "net_cash_before_as_of_usd") == pytest.approx(-1e9, rel=1e-9)
    assert change(at, "cash_out_before_as_of_usd") == 0.0
    # the IRR and the cash lines are the whole horizon's, whatever the as-of date
    assert change(before, "cash_out_usd") == pytest.approx(1e9, rel=1e-9)


def test_a_scenario_without_as_of_is_valued_at_its_start(small_text, write):
    bare, dated = (
        _cloud(small_text, write, None, as_of=None),
        _cloud(small_text, write, "2026-07-01", as_of=None),
    )
    assert bare["npv_valued_at"] == "2025-01-01"
    assert bare["totals"]["net_cash_before_as_of_usd"]["p50"] == 0.0
    assert bare["totals"]["cash_out_before_as_of_usd"]["p50"] == 0.0
    paid = dated["totals"]["npv_cash_only_usd"]["p50"] - bare["totals"]["npv_cash_only_usd"]["p50"]
    assert paid == pytest.approx(-1e9 / 1.10**1.5, rel=1e-3)  # six quarters after the start
