"""Numbers for people: thousands separators, a few significant digits, never scientific notation."""

from __future__ import annotations

import math

__all__ = ["number"]


def number(value: float, digits: int = 4, sign: bool = False) -> str:
    """``value`` rounded to ``digits`` significant digits, with thousands separators and no
    exponent: 15206754 → "15,210,000", 0.00005983 → "0.00005983"."""
    if not math.isfinite(value):
        return "∞" if value > 0 else "−∞" if value < 0 else "n/a"
    plus = "+" if sign and value >= 0 else ""
    if abs(value) >= 10 ** (digits - 1) or value == 0:
        return f"{float(f'{value:.{digits}g}'):{plus},.0f}"
    import numpy as np  # noqa: PLC0415 (only numbers below 10**digits; the CLI starts without numpy)

    text = np.format_float_positional(value, precision=digits, unique=False, fractional=False, trim="-")
    whole, _, frac = text.lstrip("-").partition(".")
    head = f"{int(whole):,}" + (f".{frac}" if frac else "")
    return ("-" if value < 0 else plus) + head
