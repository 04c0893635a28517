"""Money: contracts → a double-entry ledger → statements, unit economics, the money graph
and stress tests. Pure functions over ``(draw, period)`` arrays; see README "Money"."""

from gigawatt.finance.flows import circularity, flows_summary
from gigawatt.finance.ledger import WORLD, imbalance_usd, net_by_party
from gigawatt.finance.model import Money, buildout, simulate_money
from gigawatt.finance.rpo import RpoSeries, rpo_series
from gigawatt.finance.statements import statements
from gigawatt.finance.stress import apply_shocks, parse_shock, settle, stress

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
