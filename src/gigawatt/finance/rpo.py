"""Remaining performance obligations (RPO) over time: what a seller's contracts have booked and
not yet delivered, by quarter, as a series other code can compare with reported RPO (e.g.
Oracle's $455B at 31 Aug 2025, $523B at 30 Nov 2025, $553B at 28 Feb 2026).

RPO of a compute contract counts from its signing to the end of its term: value less what has
been recognised (:mod:`gigawatt.finance.contracts`). A seller's RPO is the sum over the compute
contracts it is paid under (or over those signed after a date: the books added since then). The
series is read at each finance period's end.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gigawatt.finance.model import Money
from gigawatt.units import format_date

__all__ = ["RpoSeries", "rpo_series"]


@dataclass(frozen=True)
class RpoSeries:
    """A seller's RPO at each period end: ``dates`` (ISO), ``days`` (since 1970) and the draws'
    RPO ``(draw, period)`` in USD; ``quantiles`` for P10/P50/P90."""

    seller: str
    dates: list[str]
    days: np.ndarray
    rpo_usd: np.ndarray

    def quantiles(self, q: tuple[float, ...] = (10, 50, 90)) -> dict[str, list[float]]:
        """``{"p10": [...], "p50": [...], "p90": [...]}`` over draws, one value per period end."""
        values = np.percentile(self.rpo_usd, q, axis=0)
        return {f"p{int(k)}": v.tolist() for k, v in zip(q, values, strict=True)}

    def at(self, day: float) -> np.ndarray:
        """RPO per draw at the last period end on or before ``day`` (zero before the grid)."""
        index = int(np.searchsorted(self.days, day, side="right")) - 1
        return self.rpo_usd[:, index] if index >= 0 else np.zeros(self.rpo_usd.shape[0])


def rpo_series(money: Money, seller: str, signed_after: float | None = None) -> RpoSeries:
    """``seller``'s RPO at each finance period's end (quarters by default), per draw; with
    ``signed_after`` (days since 1970), only the contracts signed (else started) after that day,
    draw by draw: the books added since a reported figure."""
    draws, periods = money.book.shape[0], len(money.edges) - 1
    total = np.zeros((draws, periods))
    for name, result in money.results.items():
        if result.rpo_usd is None or money.scenario.contracts[name].payee != seller:
            continue
        if signed_after is None:
            total += result.rpo_usd
            continue
        base = f"contracts.{name}"
        signed = money.parameters.get(f"{base}.signed", money.parameters.get(f"{base}.start"))
        total += result.rpo_usd if signed is None else result.rpo_usd * (signed > signed_after)[:, None]
    ends = money.edges[1:]
    return RpoSeries(seller, [format_date(d) for d in ends], ends, total)
