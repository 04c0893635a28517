"""gigawatt sites: every catalog site, by the id a scenario names."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from gigawatt.catalog import load_catalog
from gigawatt.cli import app


def test_sites_lists_every_catalog_site_whole_at_80_columns() -> None:
    ids = set(load_catalog().sites.data["sites"])
    cli = CliRunner()
    listed = cli.invoke(app, ["sites", "--json"])
    assert listed.exit_code == 0, listed.output
    listing = json.loads(listed.stdout)
    assert listing["kind"] == "sites"
    rows = listing["items"]
    assert {r["id"] for r in rows} == ids and len(rows) == len(ids)
    abilene = next(r for r in rows if r["id"] == "abilene")
    assert abilene["country"] == "US" and abilene["power_mw_p50"] > 500 and abilene["sources"]
    text = cli.invoke(app, ["sites"], env={"COLUMNS": "80"}).output
    assert all(f" {key} " in text for key in ids)  # each id on one line, never cut
    assert max(len(line) for line in text.splitlines()) <= 80
