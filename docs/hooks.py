"""mkdocs hook: fill the generated reference pages (CLI, scenario fields) at build time."""

from __future__ import annotations

from typing import Any

_MARKERS = {
    "<!-- gigawatt:cli -->": "cli_reference_markdown",
    "<!-- gigawatt:scenario-reference -->": "scenario_reference_markdown",
}


def on_page_markdown(markdown: str, **_: Any) -> str:
    """Replace each marker with the page gigawatt.reference writes from the code."""
    from gigawatt import reference

    for marker, function in _MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, getattr(reference, function)())
    return markdown
