"""The financing section: deals compile to contracts, SPV leases with renewals and a residual
value guarantee, and bad financing input is a located error."""

import numpy as np
import pytest

from gigawatt.errors import ScenarioError
from gigawatt.finance import buildout, simulate_money
from gigawatt.finance.contracts import renewals_taken
from gigawatt.scenario import Contract, load_scenario

EXAMPLE = "examples/spv-campus.yaml"


def test_the_example_compiles_its_deals_into_contracts():
    scenario = load_scenario(EXAMPLE)
    money = simulate_money(scenario, buildout(scenario, 40, 0), 0)
    names = set(money.scenario.contracts)
    assert {
        "campus-spv-financing/equity:developer",
        "campus-spv-financing/equity:infra-fund",
        "campus-spv-financing/bonds",
        "campus-spv-financing/lease",
        "cloud-notes-2035",
    } <= names
    ledger = money.ledger
    sponsors = np.char.startswith(ledger.contract.values.astype(str), "campus-spv-financing/equity:")
    equity = ledger.amount_usd.values[:, :, sponsors].sum(axis=(1, 2))
    assert equity == pytest.approx(np.full(40, 2.5e9))  # the sponsors' shares add to the whole
    lease = ledger.amount_usd.values[:, :, ledger.contract.values == "campus-spv-financing/lease"]
    assert (lease.sum(axis=(1, 2)) > 0).all()
    assert set(ledger.payee.values[ledger.contract.values == "campus-spv-financing/lease"]) == {"campus-spv"}


def test_renewals_are_taken_in_order_with_their_probability():
    contract = Contract.model_validate(
        {
            "kind": "lease",
            "payer": "a",
            "payee": "b",
            "term": "15 years",
            "price_per_mw_month": "$1k/MW",
            "renewals": 2,
            "renewal_term": "5 years",
            "renewal_probability": 0.5,
        }
    )
    p = {"c.renewal_draw": np.array([0.9, 0.4, 0.2, 0.0]), "c.renewal_probability": np.full(4, 0.5)}
    assert renewals_taken(contract, p, "c").tolist() == [0, 1, 2, 2]


def lease_with_rvg(small_text: str, rvg: str, cost: str, residual: float, term: str = "2 years") -> str:
    body = (
        "    kind: lease\n    payer: lab\n    payee: cloud\n    sites: [alpha]\n"
        f"    term: {term}\n    price_per_mw_month: $100k/MW\n"
        f'    residual_value_guarantee: "{rvg}"\n    asset_cost: "{cost}"\n    residual_value: {residual}\n'
    )
    return small_text.replace("targets:\n", f"  rvg-lease:\n{body}targets:\n", 1)


def test_the_tenant_makes_up_the_residual_value_at_the_lease_end(small_text, write):
    scenario = load_scenario(write(lease_with_rvg(small_text, "$3B", "$10B", 0.1)))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    ledger = money.ledger
    mask = ledger.kind.values == "residual_value_guarantee"
    assert set(ledger.payer.values[mask]) == {"lab"} and set(ledger.payee.values[mask]) == {"cloud"}
    paid = ledger.amount_usd.values[:, :, mask].sum(axis=(1, 2))
    online = money.buildout.online_date.values[:, 0]
    ends_inside = online + 2 * 365.25 < money.edges[-1]
    # $3B guaranteed less 10% of $10B realised: $2B, in the period the lease ends (one phase here)
    assert paid[ends_inside] == pytest.approx(2e9)
    assert (paid[~ends_inside] == 0).all()


def spv(shares: str, rvg: str = "$1B", currency: str = "USD") -> str:
    return f"""
financing:
  my-spv:
    kind: spv
    issuer: cloud
    sponsors: {shares}
    equity: "$1B"
    date: 2025-06-01
    asset_cost: "$4B"
    bonds: {{amount: "$2B", date: 2025-06-01, maturity: "8 years", rate: 0.06, currency: {currency}}}
    lease:
      tenant: lab
      sites: [alpha]
      term: "15 years"
      price_per_mw_month: "$100k/MW"
      residual_value_guarantee: "{rvg}"
"""


BAD = [
    ("shares not summing to 1", spv("{lab: 0.5, cloud: 0.4}"), "financing.my-spv", "sum to 1, not 0.9"),
    ("guarantee above cost", spv("{lab: 1.0}", rvg="$5B"), "financing.my-spv", "exceeds the asset's cost"),
    ("unknown currency", spv("{lab: 1.0}", currency="EUR"), "financing.my-spv.bonds.currency", "USD"),
    (
        "policy without a cap",
        "\nfunding:\n  cloud:\n    floor: $1B\n    instruments:\n"
        "      - {kind: bond, capacity_per_year: $5B, rate: 0.06}\n",
        "funding.cloud",
        "needs a cap: max_leverage or max_debt",
    ),
    (
        "unknown unit",
        "\nfinancing:\n  b:\n    kind: bond\n    issuer: cloud\n    amount: 5 EUR\n"
        "    date: 2026-01-01\n    maturity: 5 years\n    rate: 0.05\n",
        "financing.b.amount",
        "unknown unit",
    ),
    (
        "unknown investor",
        "\nfinancing:\n  r:\n    kind: equity_round\n    issuer: lab\n    tranches:\n"
        "      - {investor: nobody, amount: $1B, date: 2026-01-01}\n",
        "financing.r.tranches[0].investor",
        "unknown party 'nobody'",
    ),
]


@pytest.mark.parametrize(("what", "extra", "path", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_financing_is_a_located_error(small_text, write, what, extra, path, message):
    path_file = write(small_text + extra)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path_file)
    text = str(info.value)
    assert f"{path_file}:" in text and path in text and message in text, text


def test_bad_financing_exits_2_with_the_location(small_text, write):
    from typer.testing import CliRunner

    from gigawatt.cli import app

    path = write(small_text + spv("{lab: 0.5, cloud: 0.4}"))
    result = CliRunner().invoke(app, ["finance", str(path), "--draws", "10"])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "financing.my-spv" in result.output
    assert "Traceback" not in result.output


def construction_loan(maturity: str, drawn: str = "as_built") -> str:
    """A $2B bullet project loan to the cloud over Alpha (building from 2025-03, online 2026-03 to
    2027-06), signed 2025-06-01."""
    return f"""
financing:
  alpha-loan:
    kind: project_loan
    issuer: cloud
    amount: "$2B"
    date: 2025-06-01
    maturity: "{maturity}"
    rate: 0.06
    amortisation: bullet
    sites: [alpha]
    drawn: {drawn}
"""


def _loan_flows(money, kind: str) -> np.ndarray:
    ledger = money.ledger
    mask = (ledger.contract.values == "alpha-loan") & (ledger.kind.values == kind)
    return ledger.amount_usd.values[:, :, mask].sum(axis=2)


def test_a_construction_loan_is_drawn_as_its_sites_are_built(small_text, write):
    """Drawn pro rata to Alpha's MW built (what was built by signing, at signing), all of it by
    the time Alpha is online, nothing before signing; repaid in full at maturity (bullet)."""
    scenario = load_scenario(write(small_text + construction_loan("4 years")))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    drawn, repaid, edges = _loan_flows(money, "loan_draw"), _loan_flows(money, "principal"), money.edges
    signed = np.searchsorted(edges, money.scenario.contracts["alpha-loan"].start_date.mid, side="right") - 1
    assert drawn[:, :signed].sum() == 0.0 and (drawn[:, signed] > 0).all()
    assert drawn.sum(axis=1) == pytest.approx(2e9)
    online = money.buildout.online_date.values[:, 0]
    last = np.searchsorted(edges, online, side="right") - 1  # the period Alpha comes online
    assert all(drawn[d, last[d] + 1 :].sum() == 0.0 for d in range(20))
    assert (np.count_nonzero(drawn, axis=1) > 1).all()  # over the build, not at once
    due = np.searchsorted(edges, money.scenario.contracts["alpha-loan"].start_date.mid + 4 * 365.25) - 1
    assert repaid[:, due] == pytest.approx(2e9) and repaid.sum() == pytest.approx(repaid[:, due].sum())


def test_a_construction_loan_not_drawn_by_maturity_lapses(small_text, write):
    """A one-year loan matures (2026-06) before Alpha is built in some draws: it draws only what
    was built before the quarter it matures in, and repays that."""
    scenario = load_scenario(write(small_text + construction_loan("1 year")))
    money = simulate_money(scenario, buildout(scenario, 20, 0), 0)
    drawn, repaid = _loan_flows(money, "loan_draw").sum(axis=1), _loan_flows(money, "principal").sum(axis=1)
    assert (drawn < 2e9 - 1.0).all() and (drawn > 0).all()
    assert repaid == pytest.approx(drawn)


def test_drawn_at_signing_stays_the_default(small_text, write):
    scenario = load_scenario(write(small_text + construction_loan("4 years", "at_start")))
    drawn = _loan_flows(simulate_money(scenario, buildout(scenario, 5, 0), 0), "loan_draw")
    assert np.count_nonzero(drawn, axis=1).tolist() == [1] * 5 and drawn.sum(axis=1) == pytest.approx(2e9)


def test_drawn_as_built_needs_a_project_loan_over_sites(small_text, write):
    text = small_text + construction_loan("4 years").replace("    sites: [alpha]\n", "")
    with pytest.raises(ScenarioError, match="drawn: as_built belongs to a project_loan with sites"):
        load_scenario(write(text))
