"""Money: contracts → a double-entry ledger → statements, unit economics, the money graph
and stress tests. Pure functions over ``(draw, period)`` arrays; see README "Money".

The names below are imported from their modules on first use (module ``__getattr__``): a
module of the package (a recorded run's money, :mod:`gigawatt.finance.summary`) imports only
what it needs, not every module and the graph library with them."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gigawatt.finance.flows import circularity, flows_summary
    from gigawatt.finance.ledger import WORLD, imbalance_usd, net_by_party
    from gigawatt.finance.model import Money, buildout, simulate_money
    from gigawatt.finance.rpo import RpoSeries, rpo_series
    from gigawatt.finance.statements import statements
    from gigawatt.finance.stress import apply_shocks, parse_shock, settle, stress

#: each public name → the module of the package that defines it
_MODULES = {
    "circularity": "flows",
    "flows_summary": "flows",
    "WORLD": "ledger",
    "imbalance_usd": "ledger",
    "net_by_party": "ledger",
    "Money": "model",
    "buildout": "model",
    "simulate_money": "model",
    "RpoSeries": "rpo",
    "rpo_series": "rpo",
    "statements": "statements",
    "apply_shocks": "stress",
    "parse_shock": "stress",
    "settle": "stress",
    "stress": "stress",
}

__all__ = [
    "WORLD",
    "Money",
    "RpoSeries",
    "apply_shocks",
    "buildout",
    "circularity",
    "flows_summary",
    "imbalance_usd",
    "net_by_party",
    "parse_shock",
    "rpo_series",
    "settle",
    "simulate_money",
    "statements",
    "stress",
]


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
