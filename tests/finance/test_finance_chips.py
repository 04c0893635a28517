"""Chip ownership: every phase's accelerators have a buyer by the documented rules; refresh."""

import numpy as np

from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.chips import chip_buyers
from gigawatt.scenario import load_scenario


def test_stargate_every_phase_has_a_buyer_by_rule():
    scenario = load_scenario("stargate")
    ds = buildout(scenario, 5, 0)
    buyers, rules = chip_buyers(scenario, ds)
    by_site = {}
    for site, buyer, rule in zip(ds.site.values, buyers, rules, strict=True):
        by_site.setdefault(str(site), set()).add((buyer, rule))
    assert by_site["stargate-uae"] == {("g42", "stated")}  # G42's chips, not Oracle's purchase
    assert by_site["abilene"] == {(None, "purchase contract")}  # Oracle's $40B contract
    assert by_site["milam"] == {("openai", "tenant leases the campus")}
    # OpenAI leases TCS HyperVault capacity as its first customer (Feb 2026) and supplies the chips
    assert by_site["stargate-india"] == {("openai", "tenant leases the campus")}
    assert by_site["stargate-norway"] == {("nscale", "stated")}  # Microsoft buys GPU services
    assert "no buyer named" not in rules


def test_the_stated_buyer_takes_the_site_out_of_oracles_purchase():
    scenario = load_scenario("stargate")
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    ledger = money.ledger
    g42 = (ledger.contract.values == "chips:stargate-uae") & (ledger.payer.values == "g42")
    assert set(ledger.payee.values[g42]) == {"nvidia"}
    assert (ledger.amount_usd.values[:, :, g42].sum(axis=(1, 2)) > 0).mean() > 0.5


def _own_use(text: str) -> str:
    """The small scenario without its compute contract: the chips' buyer uses them itself."""
    head, tail = text.split("contracts:\n", 1)
    return head + "targets:\n" + tail.split("targets:\n", 1)[1]


def test_refresh_buys_the_chips_again_after_their_useful_life(small_text, write):
    text = _own_use(small_text)
    plain = load_scenario(write(text, "plain.yaml"))
    again = load_scenario(write(text + "chips: {refresh: true}\n", "refresh.yaml"))
    ds = buildout(plain, 30, 0)
    once, twice = simulate_money(plain, ds, 0), simulate_money(again, ds, 0)

    def chips(money):
        mask = money.ledger.contract.values == "chips:alpha"
        return money.ledger.amount_usd.values[:, :, mask].sum(axis=2)

    first, both = chips(once), chips(again := twice)
    life = again.parameters["chips.life.gb200-nvl72"] * 7
    delivered = np.argmax(first > 0, axis=1)
    bought = first.sum(axis=1) > 0
    inside = bought & (again.edges[delivered] + life < again.edges[-1] - 100)
    assert inside.any()
    # every draw whose first purchase's life ends inside the horizon buys the same again
    assert np.allclose(both[inside].sum(axis=1), 2 * first[inside].sum(axis=1))
    assert np.allclose(both[~bought].sum(axis=1), 0)


def test_capacity_sold_under_contract_is_refreshed_only_while_the_contract_runs(small_text, write):
    """A refresh is bought only with half the new chips' life still under a paying contract."""
    short = load_scenario(write(small_text + "chips: {refresh: true}\n", "short.yaml"))
    long_text = small_text.replace('term: "5 years"', 'term: "30 years"')
    long = load_scenario(write(long_text + "chips: {refresh: true}\n", "long.yaml"))
    plain = load_scenario(write(small_text, "plain.yaml"))
    ds = buildout(plain, 30, 0)

    def chips(scenario):
        money = simulate_money(scenario, ds, 0)
        mask = money.ledger.contract.values == "chips:alpha"
        return money.ledger.amount_usd.values[:, :, mask].sum(axis=(1, 2))

    once = chips(plain)
    assert np.allclose(chips(short), once)  # the 5-year contract from 2024 ends before any refresh
    bought = once > 0
    assert (chips(long)[bought] > once[bought] * 1.5).mean() > 0.5  # 30 years: refreshed


def test_a_stated_lead_moves_chip_payments(small_text, write):
    scenario = load_scenario(write(small_text + 'chips: {lead: "26 weeks"}\n'))
    money = simulate_money(scenario, buildout(scenario, 10, 0), 0)
    assert np.allclose(money.parameters["chips.lead.it_fit_out"], 26.0)
    assert np.allclose(money.parameters["chips.lead.commissioning"], 0.0)


def test_owners_pay_construction_as_built_also_where_a_chip_buyer_is_stated():
    """A site's owner pays its buildings as built (a purchase ``paid: as_built``); a stated chip
    buyer (Nscale at Norway, G42 in the UAE) takes the site out of chip purchases only."""
    scenario = load_scenario("stargate")
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    ledger = money.ledger
    for contract, owner in (
        ("norway-construction", "nscale"),
        ("uae-construction", "g42"),
        ("abilene-construction", "crusoe"),
    ):
        mine = ledger.contract.values == contract
        assert set(ledger.payer.values[mine]) == {owner} and set(ledger.payee.values[mine]) == {"world"}
        assert (ledger.amount_usd.values[:, :, mine].sum(axis=(1, 2)) > 1e9).mean() > 0.5


def test_a_purchase_at_the_catalog_price_pays_what_the_default_buyer_pays(small_text, write):
    """``price: catalog``: each phase's accelerators at its accelerator's catalog price, the engine's
    capex, draw by draw and period by period, as the buyer would pay with no contract."""
    text = small_text.replace(
        "  cloud: {name: Cloud, kind: cloud}\n",
        "  cloud: {name: Cloud, kind: cloud}\n  nvidia: {name: NVIDIA, kind: chipmaker}\n",
    )
    bought = text.replace(
        "contracts:\n",
        "contracts:\n  alpha-chips: {kind: purchase, payer: cloud, payee: nvidia, price: catalog,"
        " sites: [alpha]}\n",
    )
    default, contract = (
        load_scenario(write(text, "default.yaml")),
        load_scenario(write(bought, "bought.yaml")),
    )
    ds = buildout(default, 30, 0)

    def paid(scenario, name):
        ledger = simulate_money(scenario, ds, 0).ledger
        mask = (ledger.contract.values == name) & (ledger.payee.values == "nvidia")
        return ledger.amount_usd.values[:, :, mask].sum(axis=2)

    by_default, by_contract = paid(default, "chips:alpha"), paid(contract, "alpha-chips")
    assert (by_default.sum(axis=1) > 0).mean() > 0.5
    assert np.allclose(by_contract, by_default)
    assert np.allclose(
        by_default.sum(axis=1)[ds.online_date.values[:, 0] < np.inf],
        ds.capex_usd.values[ds.online_date.values[:, 0] < np.inf, 0],
    )
