"""Numbers for people: thousands separators, a few significant digits, never scientific notation."""

from __future__ import annotations

import math

__all__ = ["number", "number_beside", "share"]


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


def number_beside(value: float, largest: float, digits: int = 3) -> str:
    """``value`` as :func:`number` gives it, but "0" when it is under a millionth of the largest
    figure it is shown beside: floating-point noise (1.15e-15), not a figure to read."""
    if math.isfinite(value) and abs(value) < 1e-6 * abs(largest):
        return "0"
    return number(value, digits)


def share(p: float) -> str:
    """A share of draws as a percentage; under 0.5% but not zero is "<1%", never a "0%" beside a
    date that says it happens, and 99.5% or more but not all is ">99%", never a "100%" that is not."""
    if 0 < p < 0.005:
        return "<1%"
    return ">99%" if 0.995 <= p < 1 else f"{p:.0%}"
