"""Uncertain numbers: a value, or a distribution over values.

Any uncertain number in a scenario may be written as a plain value or as one of

``{uniform: [LOW, HIGH]}``, ``{triangular: [LOW, MODE, HIGH]}``,
``{pert: [LOW, MODE, HIGH]}``, ``{lognormal: {p50: X, p90: Y}}``,
``{choice: {values: [A, B], weights: [0.7, 0.3]}}``,

with each of LOW, MODE, HIGH, X, Y, A, B written in the field's own units
(``"18 months"``, ``"1.2 GW"``, a date). :func:`parse` reads those into a
:class:`Dist` whose parameters are floats in the canonical unit.

PERT follows Malcolm et al. (1959), "Application of a technique for research and
development program evaluation", Operations Research 7(5): a Beta distribution on
[low, high] with shape 1 + 4·(mode − low)/(high − low) and 1 + 4·(high − mode)/(high − low).
PERT draws are by inversion of the Beta CDF (scipy's ``betainc``) tabulated on
:data:`_QUANTILE_STEPS` equal steps of probability: three times faster than
``Generator.beta``, within 1e-4 of the range of the exact quantile (tested against
``scipy.stats.beta.ppf``); the extreme 0.2% of probability is inverted exactly.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from gigawatt import units

__all__ = ["Dist", "parse", "fixed"]

Family = Literal["fixed", "uniform", "triangular", "pert", "lognormal", "choice"]

#: z-score of the 90th percentile of a standard normal, for P50/P90 lognormals.
#: Written out (``scipy.stats.norm.ppf(0.9)``, checked in test_distributions) so that reading a
#: scenario does not import scipy.stats; scipy is imported where a quantile is computed.
_Z90 = 1.2815515655446004


@dataclass(frozen=True)
class Dist:
    """A distribution over one number, in canonical units.

    ``params`` are (value,), (low, high), (low, mode, high), (p50, p90) or the
    choice values; ``weights`` are the choice weights (summing to 1).
    """

    family: Family
    params: tuple[float, ...]
    weights: tuple[float, ...] = ()

    @property
    def is_fixed(self) -> bool:
        return self.family == "fixed" or (self.family == "choice" and len(set(self.params)) == 1)

    @property
    def low(self) -> float:
        """Smallest value (the 1st percentile for the unbounded lognormal)."""
        if self.family == "lognormal":
            return float(self.ppf(0.01))
        return min(self.params)

    @property
    def high(self) -> float:
        """Largest value (the 99th percentile for the unbounded lognormal)."""
        if self.family == "lognormal":
            return float(self.ppf(0.99))
        return max(self.params)

    @property
    def mid(self) -> float:
        """A central value: the median."""
        return float(self.ppf(0.5))

    def ppf(self, q: float | np.ndarray) -> Any:
        """Quantile function (inverse CDF) at ``q`` in [0, 1]."""
        q = np.asarray(q, dtype=float)
        p = self.params
        if self.family == "fixed":
            return np.full(q.shape, p[0]) if q.shape else p[0]
        if self.family == "uniform":
            return p[0] + q * (p[1] - p[0])
        # scipy.stats is imported only here: about a second, not needed to read a scenario.
        from scipy import stats  # noqa: PLC0415

        if self.family == "triangular":
            low, mode, high = p
            if high == low:
                return np.full(q.shape, low) if q.shape else low
            return stats.triang.ppf(q, (mode - low) / (high - low), loc=low, scale=high - low)
        if self.family == "pert":
            low, mode, high = p
            if high == low:
                return np.full(q.shape, low) if q.shape else low
            a, b = _pert_shape(low, mode, high)
            return stats.beta.ppf(q, a, b, loc=low, scale=high - low)
        if self.family == "lognormal":
            mu, sigma = _lognormal_shape(*p)
            return np.exp(mu + sigma * stats.norm.ppf(q))
        values = np.asarray(p)
        order = np.argsort(values)
        cdf = np.cumsum(np.asarray(self.weights)[order])
        index = np.minimum(np.searchsorted(cdf, q, side="left"), len(values) - 1)
        return values[order][index]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` independent draws as a float64 array."""
        p = self.params
        if self.family == "fixed":
            return np.full(size, p[0])
        if self.family == "uniform":
            return rng.uniform(p[0], p[1], size)
        if self.family == "triangular":
            if p[2] == p[0]:
                return np.full(size, p[0])
            return rng.triangular(p[0], p[1], p[2], size)
        if self.family == "pert":
            if p[2] == p[0]:
                return np.full(size, p[0])
            return _pert_values(p, rng.random(size))
        if self.family == "lognormal":
            mu, sigma = _lognormal_shape(*p)
            return rng.lognormal(mu, sigma, size)
        return rng.choice(np.asarray(p), size=size, p=np.asarray(self.weights))

    def scaled(self, factor: float) -> Dist:
        """The distribution of ``factor × X`` (``factor`` > 0)."""
        return Dist(self.family, tuple(v * factor for v in self.params), self.weights)

    def spec(self, leaf: Callable[[float], Any]) -> Any:
        """The distribution as a scenario file writes it (what :func:`parse` reads back),
        each number written by ``leaf`` (e.g. with its unit)."""
        p = [leaf(v) for v in self.params]
        if self.family == "fixed":
            return p[0]
        if self.family == "lognormal":
            return {"lognormal": {"p50": p[0], "p90": p[1]}}
        if self.family == "choice":
            return {"choice": {"values": p, "weights": list(self.weights)}}
        return {self.family: p}

    def shifted(self, offset: float) -> Dist:
        """The distribution of ``X + offset`` (a lognormal keeps its spread ratio)."""
        if self.family == "lognormal":
            return Dist("lognormal", tuple(v + offset for v in self.params))
        return Dist(self.family, tuple(v + offset for v in self.params), self.weights)


def fixed(value: float) -> Dist:
    """A number known exactly."""
    return Dist("fixed", (float(value),))


def _pert_shape(low: float, mode: float, high: float) -> tuple[float, float]:
    span = high - low
    return 1 + 4 * (mode - low) / span, 1 + 4 * (high - mode) / span


#: Equal probability steps of the tabulated Beta quantile function used to draw PERTs.
_QUANTILE_STEPS = 8192
#: Cells at each end drawn with the exact inverse (``betaincinv``) instead.
_EXACT_CELLS = 16


class TableStore(Protocol):
    """Where Beta quantile tables computed in one process are kept for the next (a shell's
    file cache, :mod:`gigawatt.tablecache`): ``get`` a table or None, ``put`` a new one."""

    def get(self, a: float, b: float) -> np.ndarray | None: ...

    def put(self, a: float, b: float, quantiles: np.ndarray) -> None: ...


#: The store consulted before a table is computed (none: computed in every process).
table_store: TableStore | None = None
_TABLES: dict[tuple[float, float], tuple[np.ndarray, np.ndarray]] = {}


def beta_quantile_table(a: float, b: float) -> np.ndarray:
    """Beta(a, b) quantiles at probabilities 0, 1/N, …, 1 (N = :data:`_QUANTILE_STEPS`): the
    CDF (``betainc``) on a grid twice as fine, inverted by linear interpolation."""
    from scipy import special  # noqa: PLC0415 (see Dist.ppf)

    x = np.linspace(0.0, 1.0, 2 * _QUANTILE_STEPS + 1)
    return np.interp(np.linspace(0.0, 1.0, _QUANTILE_STEPS + 1), special.betainc(a, b, x), x)


def _beta_quantiles(a: float, b: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`beta_quantile_table` as quantiles at 0, 1/N, …, (N−1)/N and the steps to the
    next; once per process (from :data:`table_store` where it has it)."""
    found = _TABLES.get((a, b))
    if found is None:
        quantiles = table_store.get(a, b) if table_store is not None else None
        if quantiles is None:
            quantiles = beta_quantile_table(a, b)
            if table_store is not None:
                table_store.put(a, b, quantiles)
        found = _TABLES[a, b] = (quantiles[:-1], np.diff(quantiles))
    return found


def prepare(dists: Iterable[Dist]) -> None:
    """Build what drawing ``dists`` builds on first use: each PERT's quantile table, and scipy's
    special functions for their exact tails (e.g. before a process pool forks, so that every
    worker inherits them instead of building them)."""
    perts = [d.params for d in dists if d.family == "pert" and d.params[2] != d.params[0]]
    if perts:
        from scipy import special  # noqa: F401, PLC0415 (see ppf; imported for the tails)

    for p in perts:
        _beta_quantiles(*_pert_shape(*p))


def _pert_values(p: tuple[float, ...], u: np.ndarray) -> np.ndarray:
    """PERT(low, mode, high) values at probabilities ``u``, written over ``u``: the tabulated Beta
    quantile function, exact in its tails."""
    a, b = _pert_shape(*p)
    base, step = _beta_quantiles(a, b)
    position = u * _QUANTILE_STEPS
    cell = position.astype(np.intp)
    # the cells where the quantile function is too curved to interpolate: both ends, found
    # with one unsigned comparison
    edge = np.flatnonzero((cell - _EXACT_CELLS).view(np.uintp) >= _QUANTILE_STEPS - 2 * _EXACT_CELLS)
    tails = u[edge]
    # in place from here; u < 1, so "clip" (the fast gather) never clips
    position -= cell
    unit = np.take(step, cell, out=u, mode="clip")
    unit *= position
    unit += np.take(base, cell, mode="clip")
    if edge.size:
        from scipy import special  # noqa: PLC0415 (see ppf)

        unit[edge] = special.betaincinv(a, b, tails)
    unit *= p[2] - p[0]
    unit += p[0]
    return unit


def pert_values(params: Sequence[tuple[float, ...]], u: np.ndarray) -> None:
    """Each PERT (low, mode, high) of ``params`` (high > low) at its row of probabilities
    ``u`` (one row per PERT), written over ``u``."""
    for p, row in zip(params, u, strict=True):
        _pert_values(p, row)


def _lognormal_shape(p50: float, p90: float) -> tuple[float, float]:
    return float(np.log(p50)), float((np.log(p90) - np.log(p50)) / _Z90)


_ARITY = {"uniform": 2, "triangular": 3, "pert": 3}


def parse(value: Any, leaf: Callable[[Any], float]) -> Dist:
    """Read a plain value or a distribution mapping, using ``leaf`` for each number.

    Raises :class:`ValueError` with a message fit for a user.
    """
    if not isinstance(value, dict):
        return fixed(leaf(value))
    if len(value) != 1:
        raise ValueError(
            "a distribution is a mapping with one key: uniform, triangular, pert, "
            f"lognormal or choice; got keys {sorted(map(str, value))}"
        )
    ((family, args),) = value.items()
    if family in _ARITY:
        n = _ARITY[family]
        if not isinstance(args, list) or len(args) != n:
            names = ["LOW", "HIGH"] if n == 2 else ["LOW", "MODE", "HIGH"]
            raise ValueError(f"{family} takes a list [{', '.join(names)}]")
        params = tuple(leaf(a) for a in args)
        if any(b < a for a, b in itertools.pairwise(params)):
            raise ValueError(f"{family} values must be in increasing order")
        return Dist(family, params)
    if family == "lognormal":
        if not isinstance(args, dict) or set(args) != {"p50", "p90"}:
            raise ValueError("lognormal takes {p50: X, p90: Y}")
        p50, p90 = leaf(args["p50"]), leaf(args["p90"])
        if not 0 < p50 < p90:
            raise ValueError("lognormal needs 0 < p50 < p90")
        return Dist("lognormal", (p50, p90))
    if family == "choice":
        if not isinstance(args, dict) or not set(args) <= {"values", "weights"} or "values" not in args:
            raise ValueError("choice takes {values: [A, B, ...], weights: [wA, wB, ...]}")
        raw = args["values"]
        if not isinstance(raw, list) or not raw:
            raise ValueError("choice values must be a non-empty list")
        values = tuple(leaf(v) for v in raw)
        weights_raw = args.get("weights", [1.0] * len(values))
        if not isinstance(weights_raw, list) or len(weights_raw) != len(values):
            raise ValueError("choice needs one weight per value")
        weights = [units.parse(w, "number") for w in weights_raw]
        total = sum(weights)
        if any(w < 0 for w in weights) or total <= 0:
            raise ValueError("choice weights must be >= 0 and not all zero")
        return Dist("choice", values, tuple(w / total for w in weights))
    raise ValueError(f"unknown distribution {family!r}: use uniform, triangular, pert, lognormal or choice")
