"""Fitted build priors: time to a campus's first building, and the gap between its buildings.

``gigawatt calibrate FILE --write-priors P.yaml`` fits them to observed build
histories (:mod:`gigawatt.calibrate`); a scenario's ``priors: P.yaml`` (or the
CLI's ``--priors``) hands them to the engine, which applies them through
:mod:`gigawatt.cadence`. ``priors: default`` names the shipped fit
(``data/priors.yaml``, rebuilt by ``make priors``); ``catalog`` names no fitted
spans (the catalog's stage durations and no cadence, what a scenario without
``priors:`` gets), so ``gigawatt backtest --priors catalog`` scores the engine
as most scenarios run it (docs/backtest.md).

Each span is a lognormal by its P10/P50/P90 (weeks), with the campuses it was
fitted on. A developer class gets its own fit only where the data support it:
at least :data:`MIN_CLASS_CAMPUSES` campuses with an observed span, and a
likelihood-ratio test that rejects one pooled fit (``class_tests`` in the file);
otherwise it uses the all-campus fit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import yaml

from gigawatt import _yaml, units
from gigawatt.distributions import Dist
from gigawatt.errors import GigawattError

if TYPE_CHECKING:
    from gigawatt.calibrate import Calibration

__all__ = [
    "CATALOG",
    "DEVELOPER_CLASSES",
    "MIN_CLASS_CAMPUSES",
    "OPTIONAL_SPANS",
    "PRIOR_SPANS",
    "Priors",
    "PriorsError",
    "SpanPrior",
    "class_test",
    "developer_class",
    "fit_priors",
    "load_priors",
    "priors_yaml",
    "resolve_priors",
    "scenario_priors",
]

#: Spans the engine applies: shell start → first building online, and online → next building online.
PRIOR_SPANS = ("first_building", "building_cadence")
#: Spans fitted where at least two campuses observe them, applied when a site asks: roof complete →
#: building operational, the build span of a first building in an existing shell (a retrofit).
OPTIONAL_SPANS = ("roof_to_operational",)
#: Who builds a campus, by words in its name or owner (judgement: the builders in Epoch's
#: frontier data-center hub, grouped by how they build: own campuses, leased-out developer
#: campuses, and builders that retrofit existing buildings for speed).
DEVELOPER_CLASSES: dict[str, tuple[str, ...]] = {
    "speed_first": ("xai", "colossus"),
    "developer": ("coreweave", "crusoe", "qts", "vantage", "stack", "aligned", "nscale", "lancium"),
    "hyperscaler": ("amazon", "aws", "google", "meta", "microsoft", "alibaba", "oracle", "tencent"),
}
#: ``catalog``: no fitted spans, so the engine keeps the catalog's stage durations (no cadence).
CATALOG = "catalog"
#: Fewest campuses with an observed span for a class-specific fit.
MIN_CLASS_CAMPUSES = 3
#: A class's own fit is used when a likelihood-ratio test rejects pooling at this level.
CLASS_TEST_P = 0.05


class PriorsError(GigawattError):
    """A priors file that cannot be read; the message says where."""


@dataclass(frozen=True)
class SpanPrior:
    """A fitted lognormal span (weeks) and what it was fitted on."""

    p10_weeks: float
    p50_weeks: float
    p90_weeks: float
    n: int
    campuses: tuple[str, ...]
    censored: int = 0

    def dist(self) -> Dist:
        """The lognormal by P50/P90 the engine samples (P10 follows from them)."""
        return Dist("lognormal", (self.p50_weeks, self.p90_weeks))


@dataclass(frozen=True)
class Priors:
    """Span priors for all campuses and, where fitted, per developer class."""

    spans: dict[str, SpanPrior]
    classes: dict[str, dict[str, SpanPrior]] = field(default_factory=dict)
    file: str = "<fit>"
    #: class → span → p-value of its likelihood-ratio test against pooling (None: not testable)
    class_tests: dict[str, dict[str, float | None]] = field(default_factory=dict)

    def span(self, name: str, developer_class: str | None = None) -> SpanPrior | None:
        """The class's fit of ``name`` if there is one, else the all-campus fit."""
        own = self.classes.get(developer_class or "", {}).get(name)
        return own or self.spans.get(name)


def developer_class(*names: str) -> str | None:
    """The developer class named by any of ``names`` (campus name, owner), or None."""
    text = " ".join(names).lower()
    for cls, words in DEVELOPER_CLASSES.items():
        if any(re.search(rf"\b{w}\b", text) for w in words):
            return cls
    return None


def _durations(observations: list[Any]) -> tuple[np.ndarray, np.ndarray]:
    seen = np.array([o.duration_weeks for o in observations if not o.censored and o.duration_weeks > 0])
    still_open = np.array([o.duration_weeks for o in observations if o.censored and o.duration_weeks > 0])
    return seen, still_open


def _span_prior(observations: list[Any]) -> SpanPrior | None:
    from gigawatt.lognormal import fit_lognormal  # noqa: PLC0415 (scipy: fitting only, a run reads priors without it)

    seen, still_open = _durations(observations)
    if len({o.site for o in observations if not o.censored and o.duration_weeks > 0}) < 2:
        return None
    fit = fit_lognormal(seen, censored_weeks=still_open)
    campuses = tuple(sorted({o.site for o in observations if o.duration_weeks > 0}))
    return SpanPrior(fit.p10_weeks, fit.p50_weeks, fit.p90_weeks, len(seen), campuses, len(still_open))


def _log_likelihood(prior: SpanPrior, observations: list[Any]) -> float:
    from scipy import stats  # noqa: PLC0415 (fitting only: a run reads priors without scipy)

    seen, still_open = _durations(observations)
    mu = math.log(prior.p50_weeks)
    sigma = (math.log(prior.p90_weeks) - mu) / stats.norm.ppf(0.9)
    return float(
        stats.norm.logpdf(np.log(seen), mu, sigma).sum()
        + stats.norm.logsf(np.log(still_open), mu, sigma).sum()
    )


def class_test(observations: list[Any], cls: str) -> tuple[SpanPrior | None, float | None]:
    """A class's own fit and the p-value that it differs from the others (likelihood ratio, 2 df).

    The class's campuses and the rest each get a lognormal; against one pooled
    lognormal that is two extra parameters, so twice the log-likelihood gain is
    chi-squared with 2 degrees of freedom (Wilks 1938). None where either side has
    fewer than two observed campuses.
    """
    from scipy import stats  # noqa: PLC0415 (fitting only: a run reads priors without scipy)

    mine = [o for o in observations if developer_class(o.site) == cls]
    rest = [o for o in observations if developer_class(o.site) != cls]
    own, others, pooled = _span_prior(mine), _span_prior(rest), _span_prior(observations)
    if own is None or others is None or pooled is None:
        return own, None
    gain = _log_likelihood(own, mine) + _log_likelihood(others, rest) - _log_likelihood(pooled, observations)
    return own, float(stats.chi2.sf(2.0 * max(gain, 0.0), 2))


def fit_priors(calibration: Calibration, *, exclude: frozenset[str] = frozenset()) -> Priors:
    """Priors from a calibration's observations, leaving out the campuses in ``exclude``.

    A developer class gets its own fit where the data support it: at least
    :data:`MIN_CLASS_CAMPUSES` observed campuses, and a likelihood-ratio test that
    rejects one pooled lognormal at :data:`CLASS_TEST_P` (:func:`class_test`).
    """
    spans: dict[str, SpanPrior] = {}
    classes: dict[str, dict[str, SpanPrior]] = {}
    tests: dict[str, dict[str, float | None]] = {}
    for name in PRIOR_SPANS + OPTIONAL_SPANS:
        observations = [o for o in calibration.spans[name].observations if o.site not in exclude]
        prior = _span_prior(observations)
        if prior is None:
            continue
        spans[name] = prior
        if name in OPTIONAL_SPANS:
            continue  # too few campuses for a class of its own
        for cls in DEVELOPER_CLASSES:
            observed = {o.site for o in observations if developer_class(o.site) == cls and not o.censored}
            if len(observed) < MIN_CLASS_CAMPUSES:
                continue
            own, p_value = class_test(observations, cls)
            tests.setdefault(cls, {})[name] = p_value
            if own is not None and p_value is not None and p_value < CLASS_TEST_P:
                classes.setdefault(cls, {})[name] = own
    missing = [n for n in PRIOR_SPANS if n not in spans]
    if missing:
        raise GigawattError(
            f"too few observed campuses to fit {', '.join(missing)} (each needs two campuses with the span)"
        )
    return Priors(spans, classes, class_tests=tests)


def _entry(prior: SpanPrior) -> dict[str, Any]:
    return {
        "distribution": {
            "lognormal": {"p50": f"{prior.p50_weeks:.2f} weeks", "p90": f"{prior.p90_weeks:.2f} weeks"}
        },
        "p10": f"{prior.p10_weeks:.2f} weeks",
        "n": prior.n,
        "censored": prior.censored,
        "campuses": list(prior.campuses),
    }


def priors_yaml(priors: Priors, *, source_file: str, as_of_date: float) -> str:
    """The priors as a YAML file a scenario can name (``priors: FILE``)."""
    doc: dict[str, Any] = {
        "kind": "gigawatt-priors",
        "fitted_on": {"file": Path(source_file).name, "as_of": units.format_date(as_of_date)},
        "spans": {k: _entry(v) for k, v in priors.spans.items()},
    }
    if priors.class_tests:
        doc["class_tests"] = {
            c: {k: None if v is None else round(v, 4) for k, v in t.items()}
            for c, t in priors.class_tests.items()
        }
    if priors.classes:
        doc["classes"] = {c: {k: _entry(v) for k, v in spans.items()} for c, spans in priors.classes.items()}
    head = (
        "# Build priors fitted by `gigawatt calibrate --write-priors` (lognormal, maximum likelihood,\n"
        "# right-censored campuses counted as 'not yet'). first_building: shell start (land clearing)\n"
        "# to first building operational; building_cadence: one rise of a campus's operational power\n"
        "# to the next; roof_to_operational (where fitted): roof complete to building operational,\n"
        "# the first building's span in an existing shell. Source: Epoch AI, 'Data on Frontier AI\n"
        "# Data Centers' (CC BY 4.0).\n"
    )
    return head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=100)


def _read_prior(doc: _yaml.Document, path: tuple[str | int, ...], data: Any) -> SpanPrior:
    def fail(where: tuple[str | int, ...], message: str) -> PriorsError:
        return PriorsError(str(doc.problem(where, message)))

    if not isinstance(data, dict):
        raise fail(path, "a span is a mapping with distribution, p10, n and campuses")
    try:
        spec = data["distribution"]["lognormal"]
        p50 = units.parse(str(spec["p50"]), "duration")
        p90 = units.parse(str(spec["p90"]), "duration")
    except (KeyError, TypeError):
        raise fail((*path, "distribution"), "needs {lognormal: {p50: DURATION, p90: DURATION}}") from None
    except ValueError as exc:
        raise fail((*path, "distribution"), str(exc)) from None
    if not 0 < p50 < p90:
        raise fail((*path, "distribution"), "needs 0 < p50 < p90")
    p10 = p50 * p50 / p90  # a lognormal is symmetric in log space
    campuses = data.get("campuses") or []
    if not isinstance(campuses, list):
        raise fail((*path, "campuses"), "a list of campus names")
    return SpanPrior(
        p10, p50, p90, int(data.get("n") or 0), tuple(map(str, campuses)), int(data.get("censored") or 0)
    )


def _parse(text: str, file: str) -> Priors:
    try:
        doc = _yaml.load(text, file)
    except GigawattError as exc:
        raise PriorsError(str(exc)) from None
    data = doc.data
    if not isinstance(data, dict) or data.get("kind") != "gigawatt-priors":
        raise PriorsError(
            f"{file}:1: not a priors file (kind: gigawatt-priors; write one with "
            "`gigawatt calibrate FILE --write-priors P.yaml`)"
        )
    spans_data = data.get("spans")
    if not isinstance(spans_data, dict):
        raise PriorsError(str(doc.problem(("spans",), "needs spans: first_building and building_cadence")))
    missing = [n for n in PRIOR_SPANS if n not in spans_data]
    if missing:
        raise PriorsError(str(doc.problem(("spans",), f"missing {', '.join(missing)}")))
    spans = {
        n: _read_prior(doc, ("spans", n), spans_data[n])
        for n in PRIOR_SPANS + OPTIONAL_SPANS
        if n in spans_data
    }
    classes: dict[str, dict[str, SpanPrior]] = {}
    for cls, entries in (data.get("classes") or {}).items():
        if cls not in DEVELOPER_CLASSES:
            raise PriorsError(
                str(doc.problem(("classes", cls), f"unknown class; use {', '.join(DEVELOPER_CLASSES)}"))
            )
        classes[cls] = {n: _read_prior(doc, ("classes", cls, n), v) for n, v in (entries or {}).items()}
    tests = {
        str(c): {str(k): None if v is None else float(v) for k, v in (t or {}).items()}
        for c, t in (data.get("class_tests") or {}).items()
    }
    return Priors(spans, classes, file, tests)


@cache
def _load(path: str, mtime_ns: int) -> Priors:
    del mtime_ns  # part of the cache key only: an edited file is read again
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PriorsError(f"cannot read priors {path!r}: {exc}") from None
    return _parse(text, path)


@cache
def _default() -> Priors:
    text = resources.files("gigawatt.data").joinpath("priors.yaml").read_text(encoding="utf-8")
    return _parse(text, "gigawatt/data/priors.yaml")


def load_priors(path: str | Path) -> Priors:
    """Read a priors file (cached by path and modification time)."""
    p = Path(path)
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise PriorsError(f"no priors file {str(p)!r}: {exc.strerror}") from None
    return _load(str(p), mtime)


def resolve_priors(name: str, relative_to: str | Path | None = None) -> Priors:
    """``default`` (the shipped fit), ``catalog`` (no fitted spans: the catalog's stages, no
    cadence) or a file, relative to ``relative_to``'s folder if not absolute."""
    if name == "default":
        return _default()
    if name == CATALOG:
        return Priors({}, file=CATALOG)
    path = Path(name)
    if relative_to is not None and not path.is_absolute():
        beside = Path(relative_to).parent / path
        if beside.exists():
            path = beside
    return load_priors(path)


def scenario_priors(scenario: Any) -> Priors:
    """The priors a scenario runs on: its ``priors:`` (a file, ``default`` or ``catalog``), else
    the shipped fit (``default``). ``catalog`` is the way back to the catalog's stages alone."""
    return resolve_priors(scenario.priors or "default", scenario.source_file)
