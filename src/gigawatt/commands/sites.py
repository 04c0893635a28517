"""``gigawatt sites``: the built-in site catalog, the ids a scenario names with ``catalog:``."""

from __future__ import annotations

from rich.markup import escape
from rich.table import Column

from gigawatt.commands.common import JsonOpt, Table, app, console, print_json, user_errors


@app.command()
@user_errors
def sites(as_json: JsonOpt = False) -> None:
    """The site catalog: each campus's id, place, accelerator, power and phases, with sources.

    Use a site in a scenario with `sites: {my-id: {catalog: ID}}`, changing any field on top."""
    from gigawatt.sites import catalog_sites

    rows = catalog_sites()
    if as_json:
        print_json(rows, "sites")
        return
    table = Table(
        Column("id and name", overflow="fold", min_width=max(len(r["id"]) for r in rows)),
        Column("country", no_wrap=True),
        Column("accelerator", no_wrap=True),
        Column("MW P50", justify="right", no_wrap=True),
        title=f"Catalog sites ({len(rows)}): MW is facility power (or IT where marked), all phases",
    )
    for row in rows:
        basis = "" if row["power_basis"] == "facility" else " IT"
        statuses = ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in row["phases_by_status"].items())
        table.add_row(
            f"[bold]{row['id']}[/bold]\n{escape(row['name'])}\n[dim]{statuses}[/dim]",
            row["country"],
            row["accelerator"],
            f"{row['power_mw_p50']:,.0f}{basis}",
        )
    console.print(table)
    console.print(
        "In a scenario: sites: {my-site: {catalog: ID}}, then change any field on top.", highlight=False
    )
