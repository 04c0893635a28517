"""Bad contracts are validation errors located at FILE:LINE; the built-in deals load."""

import pytest

from gigawatt import ScenarioError, load_scenario


def line_of(text, needle):
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def add_contract(small_text: str, body: str) -> str:
    return small_text.replace("targets:\n", f"  extra:\n{body}targets:\n", 1)


BAD = [
    (
        "lease without a price",
        "    kind: lease\n    payer: lab\n    payee: cloud\n    term: 15 years\n",
        "  extra:",
        "contracts.extra: a lease contract needs price_per_mw_month or price_per_accelerator_hour",
    ),
    (
        "negative price",
        "    kind: lease\n    payer: lab\n    payee: cloud\n    term: 15 years\n"
        '    price_per_mw_month: "-$5/MW"\n',
        "price_per_mw_month",
        "must be >= 0",
    ),
    (
        "tranche date after the horizon",
        "    kind: investment\n    payer: cloud\n    payee: lab\n    tranches:\n"
        '      - {amount: "$1B", date: 2040-01-01}\n',
        "2040-01-01",
        "milestone can never fire: its date is after time.end",
    ),
    (
        "milestone beyond the schedule",
        "    kind: investment\n    payer: cloud\n    payee: lab\n"
        '    schedule: [{date: 2027-01-01, power: "1 GW"}]\n'
        '    tranches:\n      - {amount: "$1B", gw_deployed: "2 GW"}\n',
        "gw_deployed",
        "milestone can never fire: 2 GW exceeds its delivery schedule",
    ),
    (
        "milestone on an accelerator nobody deploys",
        "    kind: investment\n    payer: cloud\n    payee: lab\n    accelerators: [h100]\n"
        '    tranches:\n      - {amount: "$1B", gw_deployed: "0.2 GW"}\n',
        "gw_deployed",
        "exceeds the phases it covers (0.15 GW at most)",
    ),
    (
        "unknown accelerator",
        "    kind: purchase\n    payer: lab\n    payee: cloud\n    value: $1B\n    accelerators: [mi4500]\n",
        "[mi4500]",
        "contracts.extra.accelerators[0]: unknown accelerator 'mi4500'",
    ),
    (
        "warrant tranche without shares",
        "    kind: warrant\n    payer: cloud\n    payee: lab\n    share_price: $100\n"
        '    tranches:\n      - {gw_deployed: "0.1 GW"}\n',
        "  extra:",
        "each warrant tranche needs shares",
    ),
    (
        "unknown shortfall rule",
        "    kind: purchase\n    payer: lab\n    payee: cloud\n    value: $1B\n    on_shortfall: pray\n",
        "on_shortfall",
        "'pray' is not one of defer, default",
    ),
    (
        "unknown contracted block",
        "    kind: purchase\n    payer: lab\n    payee: cloud\n    price_per_mw: $10M/MW\n"
        "    contracted: amdd\n",
        "contracted: amdd",
        "contracts.extra.contracted: unknown contracted block 'amdd'",
    ),
    (
        "contracted block and sites",
        "    kind: purchase\n    payer: lab\n    payee: cloud\n    price_per_mw: $10M/MW\n"
        "    contracted: amd\n    sites: [alpha]\n",
        "  extra:",
        "give one of sites, a schedule or a contracted block",
    ),
    (
        "running costs on a purchase",
        "    kind: purchase\n    payer: lab\n    payee: cloud\n    value: $1B\n    running_costs: tenant\n",
        "  extra:",
        "running_costs: tenant applies to leases, not to a purchase contract",
    ),
    (
        "probability above one",
        "    kind: investment\n    payer: cloud\n    payee: lab\n"
        '    tranches:\n      - {amount: "$1B", date: 2027-01-01, probability: 1.5}\n',
        "probability: 1.5",
        "probability must be between 0 and 1",
    ),
]


@pytest.mark.parametrize(("case", "body", "needle", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_contract_is_located(write, small_text, case, body, needle, message):
    text = add_contract(small_text, body)
    file = write(text)
    with pytest.raises(ScenarioError) as info:
        load_scenario(file)
    found = [str(p) for p in info.value.problems]
    line = line_of(text, needle)
    assert any(p.startswith(f"{file}:{line}:") and message in p for p in found), f"{case}: {found}"


def test_party_cash_and_revenue(write, small_text):
    text = small_text.replace(
        "  lab: {name: Lab, kind: ai_lab}",
        '  lab: {name: Lab, kind: ai_lab, cash: "$5B", revenue_per_year: "$1B", revenue_start: 2025-01-01}',
    )
    scenario = load_scenario(write(text))
    assert scenario.parties["lab"].cash_usd.mid == 5e9
    bad = small_text.replace(
        "  lab: {name: Lab, kind: ai_lab}", '  lab: {name: Lab, revenue_per_year: "$1B"}'
    )
    file = write(bad, "bad.yaml")
    with pytest.raises(ScenarioError, match="revenue_per_year needs revenue_start"):
        load_scenario(file)


def test_stargate_pays_for_all_of_openais_compute_and_the_headline_view_extends_it_in_yaml_only():
    """OpenAI's revenue is company-wide, so `stargate` holds all its compute deals (its running
    fleet too); `openai-2025q4` is `stargate` with AMD and Broadcom at their announced 6 and 10 GW."""
    scenario = load_scenario("stargate")
    assert {
        "openai-existing-fleet",
        "openai-amd-purchase",
        "amd-openai-warrant",
        "openai-broadcom-purchase",
        "openai-microsoft-azure",
        "openai-aws-compute",
        "openai-coreweave-compute",
        "oracle-openai-abilene",
    } <= set(scenario.contracts)
    assert scenario.contracts["openai-existing-fleet"].contracted == "existing-fleet"
    warrant = scenario.contracts["amd-openai-warrant"]
    assert sum(t.shares.mid for t in warrant.tranches) == pytest.approx(160e6)
    headline = load_scenario("openai-2025q4")
    assert set(headline.contracts) == set(scenario.contracts)  # inherited
    for block, gw in (("amd", 6e3), ("broadcom", 10e3)):
        assert sum(d.power_mw.low for d in headline.contracted[block].schedule) == pytest.approx(gw)
        assert sum(d.power_mw.low for d in scenario.contracted[block].schedule) < gw / 5
