"""What changed between two recorded runs: a headline of the answers with Monte Carlo error,
then the inputs that differ, then every other output.

Each headline figure is a difference B − A with its Monte Carlo standard error (SE), a
two-sided p-value from the normal approximation, and a ``significant`` flag with the
family-wise error rate over the headline's tested figures held at ``alpha`` by Holm's step-down
procedure (Holm, 1979, "A simple sequentially rejective multiple test procedure",
Scand. J. Statist. 6(2):65-70). The two runs are treated as independent samples; runs of
one seed share random numbers, which makes their true difference less noisy, so the SE
is then conservative.

Facts are not tested: what a run observed by its as-of date (a target's outcome, year-end
capacity before it) and a target it does not forecast (a status basis, decided by the as-of
date) are no draws. Such a figure carries no SE, no p-value and no flag, stays out of the Holm
family, and its side is marked in ``facts`` (a target's outcome shows as words).

Standard errors:

- a probability (share of draws): the two-proportion z-test's pooled SE,
  sqrt(p̄(1−p̄)(1/n_a + 1/n_b));
- a quantile read from the engine's histograms (a target's P50 date, year-end facility
  capacity P50): the asymptotic SE sqrt(q(1−q)/n)/f(x_q), the density f read from the
  histogram as the slope of the quantile function over q ± 0.1 (Siddiqui, 1960, J. Res.
  NBS 64B:145-150; Bloch & Gastwirth, 1968, Ann. Math. Statist. 39:1083-1085), plus the
  histogram's bin (or time-grid step) as a uniform rounding error, width/sqrt(12);
- a median known only through its P10/P90 band (money figures, kept as bands): the
  asymptotic SE 0.5/(sqrt(n)·f(median)) with the density read as 0.8/(P90 − P10), i.e.
  0.625·(P90 − P10)/sqrt(n) (1.28× the exact SE for a normal: conservative).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from gigawatt import units
from gigawatt.countries import country_name
from gigawatt.engine.histograms import _HIST_BINS, _SUM_UNIT, _date_quantile, _hist_quantiles
from gigawatt.errors import GigawattError
from gigawatt.results import demand_forecast
from gigawatt.store import diff_flat, flatten, load_results
from gigawatt.store import resolved_inputs as store_inputs

__all__ = [
    "Difference",
    "band_median_se",
    "compare",
    "fan_overlay",
    "format_change",
    "format_value",
    "headline",
    "holm",
    "proportion_diff_se",
    "quantile_se",
    "resolved_inputs",
]

#: Family-wise error rate of the headline's significance flags.
ALPHA = 0.05


@dataclass(frozen=True)
class Difference:
    """One headline figure in runs A and B: ``diff`` = B − A (days for dates), its SE.
    ``facts``: per run, whether its figure is a fact, not a draw (observed by its as-of date,
    or a target it does not forecast); a row with a fact on either side is not tested."""

    name: str
    unit: str
    a: Any
    b: Any
    diff: float | None
    se: float | None
    p_value: float | None = None
    significant: bool = False
    facts: tuple[bool, bool] = (False, False)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def proportion_diff_se(p_a: float, n_a: int, p_b: float, n_b: int) -> float:
    """SE of p_b − p_a under equal proportions (pooled two-proportion z-test)."""
    pooled = (p_a * n_a + p_b * n_b) / (n_a + n_b)
    return math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / n_a + 1 / n_b))


def quantile_se(read: Any, q: float, n: int, resolution: float, window: float = 0.1) -> float:
    """SE of a sample quantile over ``n`` draws from ``read(levels) -> values`` (a histogram's
    quantile reader): sqrt(q(1−q)/n) times the sparsity 1/f(x_q), read as the slope of the
    quantile function over q ± ``window`` (Siddiqui, 1960; Bloch & Gastwirth, 1968), with
    ``resolution`` (bin width, same unit) added as rounding error. ``inf`` past the range."""
    low_q, high_q = max(q - window, 0.0), min(q + window, 1.0)
    low, high = read([low_q, high_q])
    sparsity = (high - low) / (high_q - low_q)
    if not math.isfinite(sparsity):
        return math.inf
    return math.sqrt(q * (1 - q) / n * sparsity**2 + resolution**2 / 12)


def band_median_se(band: Mapping[str, float], n: int) -> float:
    """SE of a median known by its P10/P90 band over ``n`` draws: 0.625·(P90 − P10)/sqrt(n)."""
    return 0.625 * abs(float(band["p90"]) - float(band["p10"])) / math.sqrt(n)


def holm(p_values: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down rejections: the family-wise error rate over all tests stays ≤ alpha."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    rejected = [False] * len(p_values)
    for rank, i in enumerate(order):
        if p_values[i] > alpha / (len(p_values) - rank):
            break
        rejected[i] = True
    return rejected


def _p_value(diff: float, se: float) -> float:
    """Two-sided normal p-value of ``diff`` with standard error ``se``."""
    if diff == 0 or math.isinf(se):
        return 1.0
    if se == 0:
        return 0.0
    return math.erfc(abs(diff) / se / math.sqrt(2))


# ---------------------------------------------------------------- reading one run


@dataclass(frozen=True)
class _Side:
    """What the headline needs of one run: its summary, and its histograms if stored."""

    summary: dict[str, Any]
    draws: int
    results: Any  # engine Results, or None when the run kept no block aggregates


def _side(store: Any, record: Any) -> _Side:
    summary = record.summary or {}
    results = None
    if record.kind == "run" and record.blocks_done and record.status == "complete":
        try:
            results = load_results(store, record.id)
        except GigawattError:
            results = None  # the scenario no longer loads: fall back on the summary's bands
    return _Side(summary, int(summary.get("draws") or record.draws or 1), results)


def _date_reader(results: Any, name: str) -> Any:
    hist, grid = results.aggregates.date_hist[name], results.model.grid_days
    return lambda qs: [_date_quantile(hist, grid, q) for q in qs]


def _year_end_reader(results: Any, year: int) -> Any:
    model = results.model
    grid = model.grid_days
    ends = [units.date_from_days(d).year for d in model.year_ends]
    t = min(int(np.searchsorted(grid, model.year_ends[ends.index(year)], side="right")) - 1, grid.size - 1)
    hist = results.aggregates.histogram("capacity:total")[:, t : t + 1, :]
    width_gw = model.series_high_mw["total"] / (_HIST_BINS - 1) / 1e3
    return (lambda qs: (_hist_quantiles(hist, _SUM_UNIT["mw"], qs)[:, 0] / 1e3).tolist()), width_gw


# ---------------------------------------------------------------- the headline


def headline(store: Any, a: Any, b: Any, alpha: float = ALPHA) -> list[Difference]:
    """The answers of runs ``a`` and ``b`` (records) side by side, with Monte Carlo SEs and
    Holm-corrected significance over the tested figures: the as-of date, targets' probabilities
    and P50 dates (their outcome where observed or not forecast: facts, untested), year-end
    facility capacity P50 (observed before the as-of date: untested), the facility GW serving demand's
    party, the programme's share of it and P(demand covered) by year end, and, when both runs
    have money, commitments met, their shortfall and each party's circularity; for stress runs,
    each party's P(runs short) when shocked."""
    sa, sb = _side(store, a), _side(store, b)
    rows: list[Difference] = []
    rows += _as_of(sa, sb)
    rows += _targets(sa, sb)
    rows += _year_ends(sa, sb)
    rows += _serving(sa, sb)
    rows += _money(sa, sb)
    rows += _stress(sa, sb)
    tested = [i for i, r in enumerate(rows) if r.p_value is not None]
    flags = holm([rows[i].p_value for i in tested], alpha)  # type: ignore[misc]
    out = list(rows)
    for i, flag in zip(tested, flags, strict=True):
        out[i] = Difference(**{**asdict(rows[i]), "significant": flag})
    return out


def _tested(name: str, unit: str, a: Any, b: Any, diff: float, se: float) -> Difference:
    return Difference(name, unit, a, b, diff, se, _p_value(diff, se))


def _targets(sa: _Side, sb: _Side) -> list[Difference]:
    ta = {t["name"]: t for t in sa.summary.get("targets", [])}
    tb = {t["name"]: t for t in sb.summary.get("targets", [])}
    rows = []
    for name in sorted(ta.keys() | tb.keys()):
        x, y = ta.get(name), tb.get(name)
        label = f"P({name})"
        if x is None or y is None:
            rows.append(
                Difference(
                    label,
                    "probability",
                    x and (_fact(x) or x["probability"]),
                    y and (_fact(y) or y["probability"]),
                    None,
                    None,
                )
            )
            continue
        facts = (_fact(x) is not None, _fact(y) is not None)
        if any(facts):  # an outcome (or no forecast) on either side: nothing to test
            va, vb = (_fact(t) or float(t["probability"]) for t in (x, y))
            rows.append(Difference(label, "probability", va, vb, None, None, facts=facts))
            rows.append(_fact_dates(name, x, y, facts))
        else:
            pa, pb = float(x["probability"]), float(y["probability"])
            se = proportion_diff_se(pa, sa.draws, pb, sb.draws)
            rows += [_tested(label, "probability", pa, pb, pb - pa, se), _target_date(name, sa, sb, x, y)]
        if x.get("observed") or y.get("observed"):
            rows.append(Difference(f"{name}: observed", "outcome", _outcome(x), _outcome(y), None, None))
    return rows


def _as_of(sa: _Side, sb: _Side) -> list[Difference]:
    """The date before which each run's statuses and target outcomes are facts (not tested)."""
    da, db = sa.summary.get("as_of"), sb.summary.get("as_of")
    if da is None and db is None:
        return []
    diff = None if da is None or db is None else float(units.parse_date(db) - units.parse_date(da))
    return [Difference("as of", "date", da, db, diff, None)]


def _fact(target: Mapping[str, Any]) -> str | None:
    """A target's outcome when it is a fact, not a draw: observed by the run's as-of date, or
    ``not forecast`` (a status basis: what holds the status at the as-of date, later
    commitments not modelled), or ``unreachable`` (above what its scope can hold in any draw);
    None when the run forecasts it."""
    if not target.get("observed"):
        if not target.get("forecast", True):
            return "not forecast"
        return None if target.get("reachable", True) else "unreachable"
    return "met (observed)" if target.get("met_on") else "missed (observed)"


def _outcome(target: Mapping[str, Any]) -> str:
    """A target's outcome with its dates: as observed by the run's as-of date, ``forecast``, or
    ``not forecast``."""
    if not target.get("observed"):
        return "forecast" if target.get("forecast", True) else "not forecast"
    if target.get("met_on"):
        return f"met {target['met_on']}"
    reached = target.get("reached_on")
    return f"missed, reached {reached}" if reached else "missed"


def _fact_dates(
    name: str, x: Mapping[str, Any], y: Mapping[str, Any], facts: tuple[bool, bool]
) -> Difference:
    """A target's P50 date beside the date a run observed it met (untested): a date only where
    the run forecasts it or observed it met."""
    da, db = (t.get("met_on") if fact else t.get("p50_date") for t, fact in zip((x, y), facts, strict=True))
    diff = None if da is None or db is None else float(units.parse_date(db) - units.parse_date(da))
    return Difference(f"{name}: P50 date", "date", da, db, diff, None, facts=facts)


def _target_date(name: str, sa: _Side, sb: _Side, x: Mapping[str, Any], y: Mapping[str, Any]) -> Difference:
    label = f"{name}: P50 date"
    da, db = x.get("p50_date"), y.get("p50_date")
    if da is None or db is None:  # not met in half the draws within the horizon
        return Difference(label, "date", da, db, None, None)
    diff = float(units.parse_date(db) - units.parse_date(da))
    ses = []
    for side, row in ((sa, x), (sb, y)):
        if side.results is not None:
            grid = side.results.model.grid_days
            step = float(grid[1] - grid[0]) if grid.size > 1 else 0.0
            ses.append(quantile_se(_date_reader(side.results, f"target:{name}"), 0.5, side.draws, step))
        elif row.get("p90_date"):  # the mass between P50 and P90 is 0.4: f ≈ 0.4 / (P90 − P50)
            spread = units.parse_date(row["p90_date"]) - units.parse_date(row["p50_date"])
            ses.append(1.25 * spread / math.sqrt(side.draws))
        else:
            ses.append(math.inf)
    return _tested(label, "date", da, db, diff, math.hypot(*ses))


def _year_ends(sa: _Side, sb: _Side) -> list[Difference]:
    """Facility GW P50 at each year end; a year end before a run's as-of date is observed there
    (a fact: the row is shown, not tested)."""
    ya = {row["date"][:4]: row["facility_gw"] for row in sa.summary.get("year_ends", [])}
    yb = {row["date"][:4]: row["facility_gw"] for row in sb.summary.get("year_ends", [])}
    ends = {row["date"][:4]: row["date"] for row in sa.summary.get("year_ends", [])}
    rows = []
    for year in sorted(ya.keys() & yb.keys()):
        name = f"{year} end facility GW, P50"
        pa, pb = float(ya[year]["p50"]), float(yb[year]["p50"])
        facts = (_before_as_of(sa, ends[year]), _before_as_of(sb, ends[year]))
        if any(facts):
            rows.append(Difference(name, "GW", pa, pb, pb - pa, None, facts=facts))
            continue
        ses = []
        for side, band in ((sa, ya[year]), (sb, yb[year])):
            if side.results is not None:
                read, width = _year_end_reader(side.results, int(year))
                ses.append(quantile_se(read, 0.5, side.draws, width))
            else:
                ses.append(band_median_se(band, side.draws))
        rows.append(_tested(name, "GW", pa, pb, pb - pa, math.hypot(*ses)))
    return rows


def _before_as_of(side: _Side, date: str) -> bool:
    """Whether ``date`` falls before the run's as-of date (observed there, not drawn)."""
    as_of = side.summary.get("as_of")
    return as_of is not None and units.parse_date(date) < units.parse_date(as_of)


def _serving(sa: _Side, sb: _Side) -> list[Difference]:
    """By year end: facility GW online serving demand's party (P50), the programme's share of
    it (P50) and P(demand covered). A year whose figure is the same certain value in both runs
    (nothing online yet, say) is left out. A year end before a run's as-of date is observed
    there: its capacity and shares are facts (shown, not tested)."""
    va, vb = sa.summary.get("serving") or {}, sb.summary.get("serving") or {}
    rows = []
    if va and vb:
        ia = {d[:4]: i for i, d in enumerate(va["dates"])}
        ib = {d[:4]: i for i, d in enumerate(vb["dates"])}
        years = sorted(ia.keys() & ib.keys())
        # (name, unit, bands A, bands B, resolution): shares are read from whole-percent bins
        series = [("serving facility GW P50 {}", "GW", va["facility_gw"], vb["facility_gw"], 0.0)]
        series += [
            (f"{party} share P50 {{}}", "share", va["share"][party], vb["share"][party], 0.01)
            for party in sorted(va["share"].keys() & vb["share"].keys())
        ]
        for name, unit, x, y, resolution in series:
            for year in years:
                band_a, band_b = {k: x[k][ia[year]] for k in x}, {k: y[k][ib[year]] for k in y}
                pa, pb = float(band_a["p50"]), float(band_b["p50"])
                facts = (_before_as_of(sa, va["dates"][ia[year]]), _before_as_of(sb, vb["dates"][ib[year]]))
                spread = math.hypot(band_median_se(band_a, sa.draws), band_median_se(band_b, sb.draws))
                if any(facts):
                    rows.append(Difference(name.format(year), unit, pa, pb, pb - pa, None, facts=facts))
                elif pa != pb or spread > 0:
                    se = math.sqrt(spread**2 + 2 * resolution**2 / 12)  # rounding per run, as quantile_se
                    rows.append(_tested(name.format(year), unit, pa, pb, pb - pa, se))
    return rows + _covered(sa, sb)


def _covered(sa: _Side, sb: _Side) -> list[Difference]:
    """P(demand covered) at each year end both runs forecast (:func:`demand_forecast`: from
    each run's as-of date on)."""
    ca = {row["date"][:4]: row["p_capacity_covers_demand"] for row in demand_forecast(sa.summary)}
    cb = {row["date"][:4]: row["p_capacity_covers_demand"] for row in demand_forecast(sb.summary)}
    rows = []
    for year in sorted(ca.keys() & cb.keys()):
        pa, pb = float(ca[year]), float(cb[year])
        se = proportion_diff_se(pa, sa.draws, pb, sb.draws)
        if pa != pb or se > 0:
            rows.append(_tested(f"P(demand covered) {year}", "probability", pa, pb, pb - pa, se))
    return rows


def _money(sa: _Side, sb: _Side) -> list[Difference]:
    ma, mb = sa.summary.get("money"), sb.summary.get("money")
    if not ma or not mb:
        return []
    na, nb = int(ma.get("draws") or sa.draws), int(mb.get("draws") or sb.draws)
    rows = []
    ca, cb = ma.get("commitments") or {}, mb.get("commitments") or {}
    for name in sorted(ca.keys() & cb.keys()):
        pa, pb = float(ca[name]["probability_met"]), float(cb[name]["probability_met"])
        rows.append(
            _tested(
                f"P({name} met)",
                "probability",
                pa,
                pb,
                pb - pa,
                proportion_diff_se(pa, na, pb, nb),
            )
        )
        xa, xb = ca[name]["shortfall_usd"], cb[name]["shortfall_usd"]
        se = math.hypot(band_median_se(xa, na), band_median_se(xb, nb))
        rows.append(_tested(f"{name}: shortfall P50", "USD", xa["p50"], xb["p50"], xb["p50"] - xa["p50"], se))
    ra, rb = ma.get("circularity") or {}, mb.get("circularity") or {}
    for party in sorted(ra.keys() & rb.keys()):
        xa, xb = ra[party], rb[party]
        if not any(float(v) for v in (*xa.values(), *xb.values())):
            continue  # no money of its own going round in either run
        # the run's own distribution-free SE of the median where it kept one, else from the band
        se = math.hypot(xa.get("p50_se", band_median_se(xa, na)), xb.get("p50_se", band_median_se(xb, nb)))
        rows.append(
            _tested(f"{party}: circularity P50", "share", xa["p50"], xb["p50"], xb["p50"] - xa["p50"], se)
        )
    return rows


def _stress(sa: _Side, sb: _Side) -> list[Difference]:
    """Stress runs: each party's P(runs short) under the shocks (share of draws)."""
    pa = ((sa.summary.get("shocked") or {}).get("parties")) or {}
    pb = ((sb.summary.get("shocked") or {}).get("parties")) or {}
    rows = []
    for party in sorted(pa.keys() & pb.keys()):
        x, y = float(pa[party]["probability_short"]), float(pb[party]["probability_short"])
        se = proportion_diff_se(x, sa.draws, y, sb.draws)
        rows.append(_tested(f"{party}: P(runs short), shocked", "probability", x, y, y - x, se))
    return rows


# ---------------------------------------------------------------- inputs and the rest


def resolved_inputs(record: Any) -> dict[str, Any]:
    """A run's scenario as simulated, merged through ``extends`` and flattened to ``path: value``
    (:func:`gigawatt.store.resolved_inputs`)."""
    return store_inputs(record)


def _headline_paths(summary: Mapping[str, Any]) -> set[str]:
    """The flattened summary paths the headline already shows."""
    targets = ("probability", "p50_date", "observed", "met_on", "reached_on", "forecast", "reachable")
    paths = {"as_of"} | {f"targets[{t['name']}].{k}" for t in summary.get("targets", []) for k in targets}
    paths |= {f"year_ends[{i}].facility_gw.p50" for i in range(len(summary.get("year_ends", [])))}
    serving = summary.get("serving") or {}
    for i in range(len(serving.get("dates") or [])):
        paths |= {f"serving.facility_gw.p50[{i}]"} | {f"serving.share.{p}.p50[{i}]" for p in serving["share"]}
    paths |= {f"demand[{i}].p_capacity_covers_demand" for i in range(len(summary.get("demand") or []))}
    money = summary.get("money") or {}
    for name in money.get("commitments") or {}:
        paths |= {f"money.commitments.{name}.probability_met", f"money.commitments.{name}.shortfall_usd.p50"}
    paths |= {f"money.circularity.{party}.p50" for party in money.get("circularity") or {}}
    shocked = (summary.get("shocked") or {}).get("parties") or {}
    paths |= {f"shocked.parties.{party}.probability_short" for party in shocked}
    return paths


def format_change(value: float | None, unit: str, signed: bool = True, missing: str = "–") -> str:
    """A headline difference B − A (or its SE) in its unit, as the CLI and the report print it:
    percentage points, days, $B or GW; ``missing`` where there is none (None or NaN)."""
    if value is None or math.isnan(value):
        return missing
    if math.isinf(value):
        return "∞"
    sign = "+" if signed else ""
    if unit in ("probability", "share"):
        return f"{100 * value:{sign},.2f} pp"
    if unit == "date":
        return f"{value:{sign},.0f} d"
    if unit == "USD":
        return f"{value / 1e9:{sign},.1f} $B"
    return f"{value:{sign},.3f} GW" if unit == "GW" else f"{value:{sign},.3f}"


def format_value(value: Any, unit: str, fact: bool = False, missing: str = "–", gw_unit: str = "") -> str:
    """One side's headline figure, as the CLI and the report print it (probabilities and shares in
    %, USD in $B, GW with ``gw_unit`` after it); a fact's number (observed by the run's as-of date)
    marked ``(observed)``, a target's outcome in words; ``missing`` where there is none."""
    if value is None:
        return missing
    if isinstance(value, str):  # a date, or a target's outcome in words
        return f"{value} (observed)" if fact and unit == "date" else value
    if unit in ("probability", "share"):
        text = f"{value:.1%}"
    elif unit == "USD":
        text = f"${value / 1e9:,.1f}B"
    elif unit == "GW":
        text = f"{value:,.2f}{gw_unit}"
    else:
        text = str(value)
    return f"{text} (observed)" if fact else text


_COUNTRY = re.compile(r"\bcountry:([A-Za-z]{2})\b")


def readable(path: str) -> str:
    """An output's path as a reader names it: countries by name (``breakdown.country:US.p50`` →
    ``breakdown.United States.p50``); the path itself stays the key."""

    def name(match: re.Match[str]) -> str:
        code = match.group(1)
        return country_name(code) if country_name(code) != code else match.group(0)

    return _COUNTRY.sub(name, path)


def compare(store: Any, a: Any, b: Any, alpha: float = ALPHA) -> dict[str, Any]:
    """``gigawatt runs compare --json``: the headline, then differing settings and inputs,
    then every other output that differs (the headline's own entries left out)."""
    rows = headline(store, a, b, alpha)
    shown = _headline_paths(a.summary or {}) | _headline_paths(b.summary or {})
    outputs = [
        {**r, "label": readable(r["path"])}
        for r in diff_flat(flatten(a.summary or {}), flatten(b.summary or {}))
        if r["path"] not in shown
    ]
    return {
        "kind": "compare",
        "a": a.brief(),
        "b": b.brief(),
        "same_scenario": a.scenario_hash == b.scenario_hash,
        "alpha": alpha,
        "headline": [r.as_dict() for r in rows],
        "significant": sum(r.significant for r in rows),
        "tested": sum(r.p_value is not None for r in rows),
        "settings": diff_flat({"draws": a.draws, "seed": a.seed}, {"draws": b.draws, "seed": b.seed}),
        "inputs": diff_flat(resolved_inputs(a), resolved_inputs(b)),
        "outputs": outputs,
    }


def fan_overlay(a: Mapping[str, Any], b: Mapping[str, Any], names: tuple[str, str] = ("A", "B")) -> Any:
    """Two runs' capacity fans on one chart (facility GW online, P10–P90 bands and P50 lines)."""
    import plotly.graph_objects as go  # noqa: PLC0415 (plotly only to draw)

    fig = go.Figure()
    for summary, name, rgb in ((a, names[0], "31,78,137"), (b, names[1], "192,57,43")):
        cap = summary.get("capacity_gw")
        if not cap:
            continue
        dates = cap["dates"]
        fig.add_trace(
            go.Scatter(x=dates, y=cap["p90"], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=dates,
                y=cap["p10"],
                fill="tonexty",
                fillcolor=f"rgba({rgb},0.18)",
                line={"width": 0},
                name=f"{name} P10–P90",
            )
        )
        fig.add_trace(
            go.Scatter(x=dates, y=cap["p50"], line={"color": f"rgb({rgb})", "width": 3}, name=f"{name} P50")
        )
    fig.update_yaxes(title_text="facility GW online", rangemode="tozero")
    fig.update_layout(
        title={"text": "Capacity online (facility power): A and B", "x": 0.01},
        template="plotly_white",
        height=420,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
    )
    return fig
