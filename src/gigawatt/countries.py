"""Compute sovereignty: capacity by country and world region over time, from many scenarios.

Each scenario is simulated under its own assumptions (its own supply limits and
queues); a site that several scenarios declare is counted once, from the last
scenario that declares it (the others still simulate it, as it competes for
their supply, but it does not count twice). Draw ``i`` of every scenario uses the
same seed, so parameters with the same path share random numbers.

Per block of draws, the facility MW, accelerators, H100-equivalents and BF16
FLOP/s online at each year end are summed per country, world region and in
total, and reduced to integer histograms (:class:`~gigawatt.engine.Aggregates`)
that merge exactly: memory stays flat and any backend gives the same P10/P50/P90.

World regions come from ISO 3166-1 alpha-2 country codes (:data:`WORLD_REGIONS`);
they are not the sites' own ``region`` field (a state or province).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from gigawatt import units
from gigawatt.backends import Backend, block_draw_ranges
from gigawatt.engine import Aggregates, Model, simulate_block
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import Scenario

__all__ = ["METRICS", "WORLD_REGIONS", "CountryView", "country_view", "countries_figure", "world_region"]

_EU = ("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE").split()
#: ISO country code -> world region. EU: the 27 member states (2020-); "Europe
#: (non-EU)" the rest of Europe; "Middle East" the Gulf states, Israel, Jordan,
#: Türkiye; "Asia" East, South and South-East Asia. Anything else is "Other".
WORLD_REGIONS: dict[str, str] = {
    "US": "United States",
    **{c: "Canada & Latin America" for c in "CA MX BR CL AR CO PE".split()},
    **{c: "EU" for c in _EU},
    **{c: "Europe (non-EU)" for c in "GB NO CH IS RS UA".split()},
    **{c: "Middle East" for c in "AE SA QA KW BH OM IL JO TR".split()},
    **{c: "Asia" for c in "CN JP KR TW IN SG MY ID TH VN PH HK PK BD".split()},
    **{c: "Oceania" for c in "AU NZ".split()},
    **{c: "Africa" for c in "ZA EG NG KE MA".split()},
}
#: Metric -> (unit in the output, integer unit of the histogram sums).
METRICS: dict[str, tuple[str, float]] = {
    "facility_mw": ("MW (facility)", 1e-3),
    "accelerators": ("accelerators", 1e-3),
    "h100_equivalents": ("H100-equivalents", 1e-3),
    "bf16_flops": ("BF16 FLOP/s (dense)", 1e12),
}
_QUANTILES = (0.1, 0.5, 0.9)
_BINS = 400


def _histogram(values: np.ndarray, high: float, unit: float) -> np.ndarray:
    """(2, T, bins) int64 counts and value sums (in ``unit``) of (draw, T) values.

    Bin 0 holds exact zeros; bins 1.. split (0, high] evenly (above ``high``: the
    last bin). Integer sums make merging blocks exact in any order."""
    width = max(high, 1e-300) / (_BINS - 1)
    bins = np.where(values <= 0, 0, np.clip(np.ceil(values / width), 1, _BINS - 1)).astype(np.int64)
    flat = (bins + np.arange(values.shape[1])[None, :] * _BINS).ravel()
    size = values.shape[1] * _BINS
    counts = np.bincount(flat, minlength=size)
    sums = np.bincount(flat, weights=np.rint(values / unit).ravel(), minlength=size)
    return np.stack([counts, np.rint(sums)]).astype(np.int64).reshape(2, values.shape[1], _BINS)


def _quantiles(hist: np.ndarray, unit: float) -> np.ndarray:
    """(quantile, T): the mean value of the bin where the cumulative count crosses
    each quantile (exact when all draws agree)."""
    counts, sums = hist
    cdf = np.cumsum(counts, axis=1)
    out = np.empty((len(_QUANTILES), counts.shape[0]))
    for i, q in enumerate(_QUANTILES):
        index = np.minimum((cdf < q * cdf[:, -1:] - 1e-9).sum(axis=1), _BINS - 1)[:, None]
        n = np.take_along_axis(counts, index, 1)[:, 0]
        out[i] = np.take_along_axis(sums, index, 1)[:, 0] / np.maximum(n, 1) * unit
    return out


def world_region(country: str) -> str:
    """The world region of an ISO 3166-1 alpha-2 code ("Other" if not mapped)."""
    return WORLD_REGIONS.get(country.upper(), "Other")


@dataclass(frozen=True)
class _Layout:
    """What each block needs: models, which phases count in which group, the bins."""

    models: tuple[Model, ...]
    members: tuple[np.ndarray, ...]  # per model: (phase, group) 0/1, zero for phases not counted
    groups: tuple[str, ...]
    days: np.ndarray
    high: dict[str, np.ndarray]  # metric -> (group,) upper bound of the histogram


def _phase_highs(model: Model) -> dict[str, np.ndarray]:
    """Per phase, the largest value each metric can take (the bins' upper end)."""
    out: dict[str, list[float]] = {m: [] for m in METRICS}
    par = model.parameters
    for k, ph in enumerate(model.phases):
        power = par[f"{model.phase_path(k)}.power"].high
        pue = par[f"pue.{ph.cooling}"]
        acc = f"accelerators.{ph.accelerator}"
        it_mw = power if ph.basis == "it" else power / pue.low
        count = it_mw * 1e6 / par[f"{acc}.it_power_w"].low
        out["facility_mw"].append(power * pue.high if ph.basis == "it" else power)
        out["accelerators"].append(count)
        out["h100_equivalents"].append(count * par[f"{acc}.h100_equivalents"].high)
        out["bf16_flops"].append(count * par[f"{acc}.bf16_flops"].high)
    return {m: np.asarray(v) for m, v in out.items()}


def _layout(scenarios: Sequence[Scenario]) -> tuple[_Layout, list[str]]:
    models = tuple(Model.from_scenario(s) for s in scenarios)
    owner: dict[str, int] = {}
    shared: dict[tuple[str, str], list[str]] = {}
    for i, scenario in enumerate(scenarios):
        for site_id in scenario.sites:
            if site_id in owner:
                shared.setdefault((scenarios[owner[site_id]].name, scenario.name), []).append(site_id)
            owner[site_id] = i
    notes = [
        f"{len(sites)} sites in both {first!r} and {later!r} are counted once, "
        f"from {later!r}: {', '.join(sites)}"
        for (first, later), sites in shared.items()
    ]
    if len({m.year_ends[-1] for m in models}) > 1:
        notes.append("scenarios end at different dates; after its end a scenario's sites add no new capacity")
    counted = [[ph for ph in m.phases if owner[ph.site] == i] for i, m in enumerate(models)]
    countries = sorted({ph.country for phases in counted for ph in phases})
    regions = sorted({world_region(c) for c in countries})
    groups = ("total", *(f"region:{r}" for r in regions), *(f"country:{c}" for c in countries))
    members = []
    for i, model in enumerate(models):
        matrix = np.zeros((len(model.phases), len(groups)))
        for k, ph in enumerate(model.phases):
            if owner[ph.site] != i:
                continue
            for g in ("total", f"region:{world_region(ph.country)}", f"country:{ph.country}"):
                matrix[k, groups.index(g)] = 1.0
        members.append(matrix)
    days = np.unique(np.concatenate([m.year_ends for m in models]))
    high = {metric: np.zeros(len(groups)) for metric in METRICS}
    for model, matrix in zip(models, members, strict=True):
        for metric, values in _phase_highs(model).items():
            high[metric] += values @ matrix
    return _Layout(models, tuple(members), groups, days, high), notes


def _block(layout: _Layout, seed: int, start: int, stop: int) -> Aggregates:
    """Histograms of each metric per group and year end for draws ``start``..``stop``."""
    totals = {metric: np.zeros((stop - start, len(layout.groups), layout.days.size)) for metric in METRICS}
    for model, matrix in zip(layout.models, layout.members, strict=True):
        ds = simulate_block(model, seed, start, stop)
        online = (ds["online_date"].values[:, :, None] <= layout.days[None, None, :]).astype(float)
        for metric in METRICS:
            totals[metric] += np.einsum("dk,kg,dkt->dgt", ds[metric].values, matrix, online)
    agg = Aggregates(draws=stop - start)
    for metric, (_, unit) in METRICS.items():
        for g, group in enumerate(layout.groups):
            agg.hist[f"{metric}|{group}"] = _histogram(totals[metric][:, g, :], layout.high[metric][g], unit)
    return agg


@dataclass
class CountryView:
    """P10/P50/P90 of each metric per group (total, region:*, country:*) at year ends."""

    scenarios: list[str]
    draws: int
    seed: int
    quantiles: xr.DataArray  # dims (metric, group, quantile, time)
    notes: list[str]

    def as_dict(self) -> dict[str, Any]:
        q = self.quantiles
        return {
            "scenarios": self.scenarios,
            "draws": self.draws,
            "seed": self.seed,
            "dates": [str(t)[:10] for t in q.time.values],
            "units": {m: u for m, (u, _) in METRICS.items()},
            "groups": {
                str(group): {
                    str(metric): {
                        f"p{round(float(quantile) * 100)}": q.sel(
                            metric=metric, group=group, quantile=quantile
                        ).values.tolist()
                        for quantile in q["quantile"].values
                    }
                    for metric in q.metric.values
                }
                for group in q.group.values
            },
            "notes": self.notes,
        }


def country_view(
    scenarios: Sequence[Scenario],
    draws: int = 2_000,
    seed: int = 0,
    backend: Backend | None = None,
    block_draws: int = 4 * BLOCK_DRAWS,
) -> CountryView:
    """Capacity by country and world region at each year end, over any mix of scenarios."""
    if not scenarios:
        raise ValueError("need at least one scenario")
    if draws < 1:
        raise ValueError("draws must be >= 1")
    layout, notes = _layout(scenarios)
    total = Aggregates()
    tasks = [(seed, lo, hi) for lo, hi in block_draw_ranges(draws, block_draws)]
    for _, block in (backend or Backend()).imap(_block, layout, tasks):
        total = total.merge(block)
    data = np.stack(
        [
            np.stack([_quantiles(total.hist[f"{metric}|{g}"], unit) for g in layout.groups])
            for metric, (_, unit) in METRICS.items()
        ]
    )
    quantiles = xr.DataArray(
        data,
        dims=("metric", "group", "quantile", "time"),
        coords={
            "metric": list(METRICS),
            "group": list(layout.groups),
            "quantile": list(_QUANTILES),
            "time": np.array([units.format_date(d) for d in layout.days], dtype="datetime64[D]"),
        },
        name="capacity_online",
        attrs={"units": {m: u for m, (u, _) in METRICS.items()}},
    )
    return CountryView([s.name for s in scenarios], draws, seed, quantiles, notes)


def countries_figure(view: CountryView, metric: str = "facility_mw", level: str = "country") -> Any:
    """Plotly figure: P50 of ``metric`` per country (or region) at year ends, P10–P90 as error bars."""
    import plotly.graph_objects as go

    q = view.quantiles.sel(metric=metric)
    scale = 1e3 if metric == "facility_mw" else 1.0
    fig = go.Figure()
    for group in [str(g) for g in q.group.values if str(g).startswith(f"{level}:")]:
        p10, p50, p90 = (q.sel(group=group, quantile=x).values / scale for x in _QUANTILES)
        fig.add_trace(
            go.Bar(
                x=[str(t)[:4] for t in q.time.values],
                y=p50,
                error_y={"type": "data", "array": p90 - p50, "arrayminus": p50 - p10},
                name=group.split(":", 1)[1],
            )
        )
    unit = "facility GW" if metric == "facility_mw" else METRICS[metric][0]
    fig.update_layout(
        barmode="group",
        title=f"{unit} online at year end by {level} (P50, P10–P90 bars): {', '.join(view.scenarios)}",
        yaxis_title=unit,
    )
    return fig
