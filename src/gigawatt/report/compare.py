"""Run A's report overlaid with run B (``gigawatt report A --compare B``): the two capacity fans on
one chart and the headline side by side, each difference B − A with its Monte Carlo standard
error and a Holm-corrected ``significant`` flag (:func:`gigawatt.compare.headline`)."""

from __future__ import annotations

from typing import Any

from gigawatt.compare import ALPHA, fan_overlay, format_change, format_value, headline

__all__ = ["compare_context"]


def compare_context(store: Any, a: Any, b: Any, alpha: float = ALPHA) -> dict[str, Any]:
    """What the report's compare section shows for records ``a`` (this report's) and ``b``."""
    rows = headline(store, a, b, alpha)
    figure = fan_overlay(a.summary or {}, b.summary or {}, (f"A {a.id}", f"B {b.id}"))
    return {
        "a": a,
        "b": b,
        "alpha": alpha,
        "figure": figure if figure.data else None,
        "significant": sum(r.significant for r in rows),
        "tested": sum(r.p_value is not None for r in rows),
        "rows": [
            {
                "name": r.name,
                "a": format_value(r.a, r.unit, r.facts[0], missing="—", gw_unit=" GW"),
                "b": format_value(r.b, r.unit, r.facts[1], missing="—", gw_unit=" GW"),
                "diff": format_change(r.diff, r.unit, missing="—"),
                "se": "—" if r.se is None else "± " + format_change(r.se, r.unit, signed=False, missing="—"),
                "significant": r.significant,
            }
            for r in rows
        ],
    }
