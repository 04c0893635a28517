"""Sites built for a tenant that pays nobody for them: named, so their payers' NPV is not read
as a finding (``finance.customers``)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gigawatt import load_scenario_text
from gigawatt.cli import app
from gigawatt.finance.customers import unsold_sites
from gigawatt.scenario import load_scenario

UAE_LEASE = """
extends: stargate
contracts:
  uae-offtake:
    kind: lease
    payer: openai
    payee: g42
    sites: [stargate-uae]
    term: "5 years"
    price_per_mw_month: "$449k/MW"
"""


def test_stargate_uae_has_costs_and_no_customer() -> None:
    (uae,) = unsold_sites(load_scenario("stargate"))
    assert uae.site == "stargate-uae"
    # G42 builds and buys the chips (its own purchase contract yields to the stated buyer), Oracle runs it
    assert uae.paid_by == {"g42": ["uae-construction", "chips"], "oracle": ["operations"]}


def test_a_lease_naming_the_site_is_a_customer() -> None:
    assert unsold_sites(load_scenario_text(UAE_LEASE)) == []


def test_sites_used_by_their_owners_or_without_money_are_not_listed() -> None:
    # frontier: hyperscalers' own campuses, and no contracts at all (no money to misread)
    assert unsold_sites(load_scenario("frontier")) == []


def test_finance_json_and_table_name_the_site() -> None:
    runner = CliRunner()
    out = runner.invoke(app, ["finance", "stargate", "--draws", "64", "--json"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["sites_without_customer"] == [
        {"site": "stargate-uae", "paid_by": {"g42": ["uae-construction", "chips"], "oracle": ["operations"]}}
    ]
    text = runner.invoke(app, ["finance", "stargate", "--draws", "64"], env={"COLUMNS": "80"}).output
    assert "stargate-uae: g42 (uae-construction, chips); oracle (operations) pay its costs" in " ".join(
        text.split()
    )
