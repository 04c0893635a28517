"""Run A's report overlaid with run B (``gigawatt report A --compare B``): the two capacity fans on
one chart and the headline side by side, each difference B − A with its Monte Carlo standard
error and a Holm-corrected ``significant`` flag (:func:`gigawatt.compare.headline`)."""

from __future__ import annotations

from typing import Any

from gigawatt.compare import ALPHA, fan_overlay, format_change, headline

__all__ = ["compare_context"]


def _value(value: Any, unit: str, fact: bool = False) -> str:
    """One side's figure as the dashboard shows it (probabilities and shares in %, USD in $B); a
    fact's number (observed by the run's as-of date) marked, a target's outcome in words."""
    if value is None:
        return "—"
    if isinstance(value, str):  # a date, or a target's outcome in words
        return f"{value} (observed)" if fact and unit == "date" else value
    if unit in ("probability", "share"):
        text = f"{100 * value:.1f}%"
    elif unit == "USD":
        text = f"${value / 1e9:,.1f}B"
    elif unit == "GW":
        text = f"{value:,.2f} GW"
    else:
        text = str(value)
    return f"{text} (observed)" if fact else text


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
                "a": _value(r.a, r.unit, r.facts[0]),
                "b": _value(r.b, r.unit, r.facts[1]),
                "diff": format_change(r.diff, r.unit, missing="—"),
                "se": "—" if r.se is None else "± " + format_change(r.se, r.unit, signed=False, missing="—"),
                "significant": r.significant,
            }
            for r in rows
        ],
    }
