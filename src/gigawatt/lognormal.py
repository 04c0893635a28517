"""A lognormal fitted to durations, open spans right-censored: the fit both the calibration
(:mod:`gigawatt.calibrate`) and the fitted build priors (:mod:`gigawatt.priors`) use."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

__all__ = ["Fit", "fit_lognormal"]


@dataclass(frozen=True)
class Fit:
    """A lognormal fitted to durations (weeks), by its quantiles."""

    n: int
    p10_weeks: float
    p50_weeks: float
    p90_weeks: float


def fit_lognormal(durations_weeks: np.ndarray, censored_weeks: np.ndarray | None = None) -> Fit:
    """Maximum-likelihood lognormal (location 0) through positive durations.

    ``censored_weeks`` are spans still open at the as-of date (right-censored: the span
    is at least that long); they enter the likelihood through the survival function.
    Without them the fit is the closed form (mean and population sd of the logs).
    """
    logs = np.log(np.asarray(durations_weeks, dtype=float))
    mu, sigma = float(logs.mean()), float(logs.std())
    open_logs = np.log(np.asarray(censored_weeks if censored_weeks is not None else [], dtype=float))
    if open_logs.size and sigma > 0:

        def nll(theta: np.ndarray) -> float:
            m, s = theta[0], math.exp(theta[1])
            return -float(stats.norm.logpdf(logs, m, s).sum() + stats.norm.logsf(open_logs, m, s).sum())

        best = optimize.minimize(nll, np.array([mu, math.log(sigma)]), method="Nelder-Mead")
        mu, sigma = float(best.x[0]), math.exp(float(best.x[1]))
    p10, p50, p90 = np.exp(mu + sigma * stats.norm.ppf([0.1, 0.5, 0.9]))
    return Fit(len(logs), float(p10), float(p50), float(p90))
