"""P10/P50/P90 of a money figure over draws, as every money summary reports it."""

from __future__ import annotations

import numpy as np

__all__ = ["bands"]


def bands(values: np.ndarray) -> dict[str, float | None]:
    """P10, P50 and P90 of the finite ``values`` (None for each where there are none)."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if values.size == 0:
        return {"p10": None, "p50": None, "p90": None}
    q = np.percentile(values, [10, 50, 90])
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2])}
