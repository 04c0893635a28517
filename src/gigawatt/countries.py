"""Capacity by site location: by the country (and world region) each site stands in, over
time, from many scenarios.

This is where the compute is built, not whose it is: a site counts in its own country whoever
owns, operates or uses it (Stargate UAE, built by G42 and run by Oracle for OpenAI, counts in the
Middle East; Stargate Norway, Nscale's with Microsoft as its tenant, in Europe). Each country's
tenants, operators and owners are listed beside it (:attr:`CountryView.parties`, a note each).

Each scenario is simulated under its own assumptions (its own supply limits and
queues); a campus that several scenarios describe is counted once, from the last
scenario that describes it (the others still simulate it, as it competes for
their supply, but it does not count twice). Draw ``i`` of every scenario uses the
same seed, so parameters with the same path share random numbers.

Two sites of different scenarios are the same campus when they have the same id,
or when both have coordinates no more than :data:`SAME_CAMPUS_KM` apart
(great-circle distance) and, where both name parties (operator, developer, tenant,
owner), they name at least one in common: the built-in catalog and an Epoch import
call Stargate Abilene ``abilene`` and ``openai-oracle-stargate-abilene-texas``,
while Meta Prometheus and Google's New Albany campus are 1.4 km apart yet distinct.
Each site merges with at most one campus, nearest first. Sites without
coordinates are matched by id only, and the notes say which.

Per block of draws, the facility MW, accelerators, H100-equivalents and BF16
FLOP/s online at each year end are summed per country, world region and in
total, and reduced to integer histograms (:class:`~gigawatt.engine.Aggregates`)
that merge exactly: memory stays flat and any backend gives the same P10/P50/P90. Every group
of a metric shares one bin width (the total's range over :data:`_BINS`), so a region or country
whose draws equal the total's (all capacity online in one country, say) reads the same
percentiles.

World regions come from ISO 3166-1 alpha-2 country codes (:data:`WORLD_REGIONS`);
they are not the sites' own ``region`` field (a state or province).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from gigawatt import units
from gigawatt.engine import Aggregates, Model, block_draw_ranges, simulate_block
from gigawatt.runner import Backend, BlockOut, Merge, run_blocks
from gigawatt.sampling import BLOCK_DRAWS
from gigawatt.scenario import Location, Scenario, Site

__all__ = [
    "METRICS",
    "SAME_CAMPUS_KM",
    "WORLD_REGIONS",
    "COUNTRY_NAMES",
    "CountryView",
    "SharedCampus",
    "country_view",
    "countries_figure",
    "PAST_RANGE",
    "year_label",
    "country_name",
    "haversine_km",
    "world_region",
]

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
#: ISO 3166-1 alpha-2 code -> English short name (ISO 3166 Maintenance Agency, "Online Browsing
#: Platform", https://www.iso.org/obp/ui/, short names as commonly written), for the codes
#: WORLD_REGIONS maps; others are shown as their code.
COUNTRY_NAMES: dict[str, str] = {
    "US": "United States", "CA": "Canada", "MX": "Mexico", "BR": "Brazil", "CL": "Chile",
    "AR": "Argentina", "CO": "Colombia", "PE": "Peru", "AT": "Austria", "BE": "Belgium",
    "BG": "Bulgaria", "HR": "Croatia", "CY": "Cyprus", "CZ": "Czechia", "DK": "Denmark",
    "EE": "Estonia", "FI": "Finland", "FR": "France", "DE": "Germany", "GR": "Greece",
    "HU": "Hungary", "IE": "Ireland", "IT": "Italy", "LV": "Latvia", "LT": "Lithuania",
    "LU": "Luxembourg", "MT": "Malta", "NL": "Netherlands", "PL": "Poland", "PT": "Portugal",
    "RO": "Romania", "SK": "Slovakia", "SI": "Slovenia", "ES": "Spain", "SE": "Sweden",
    "GB": "United Kingdom", "NO": "Norway", "CH": "Switzerland", "IS": "Iceland", "RS": "Serbia",
    "UA": "Ukraine", "AE": "United Arab Emirates", "SA": "Saudi Arabia", "QA": "Qatar",
    "KW": "Kuwait", "BH": "Bahrain", "OM": "Oman", "IL": "Israel", "JO": "Jordan", "TR": "Türkiye",
    "CN": "China", "JP": "Japan", "KR": "South Korea", "TW": "Taiwan", "IN": "India",
    "SG": "Singapore", "MY": "Malaysia", "ID": "Indonesia", "TH": "Thailand", "VN": "Viet Nam",
    "PH": "Philippines", "HK": "Hong Kong", "PK": "Pakistan", "BD": "Bangladesh", "AU": "Australia",
    "NZ": "New Zealand", "ZA": "South Africa", "EG": "Egypt", "NG": "Nigeria", "KE": "Kenya",
    "MA": "Morocco",
}  # fmt: skip


def country_name(code: str) -> str:
    """A country's name from its ISO 3166-1 alpha-2 code (the code itself if not listed)."""
    return COUNTRY_NAMES.get(code.upper(), code)


#: Metric -> (unit in the output, integer unit of the histogram sums).
METRICS: dict[str, tuple[str, float]] = {
    "facility_mw": ("MW (facility)", 1e-3),
    "accelerators": ("accelerators", 1e-3),
    "h100_equivalents": ("H100-equivalents", 1e-3),
    "bf16_flops": ("BF16 FLOP/s (dense)", 1e12),
}
_QUANTILES = (0.1, 0.5, 0.9)
#: Bins over the total's range, (0, highest possible total]; every group shares their width.
_BINS = 20000
#: Sites of different scenarios at most this far apart (km, great circle) can be one campus.
#: A judgement: campuses are a few km across (Abilene ~4 km), distinct campuses of one
#: metro are further apart (xAI Colossus 1 and 2 in Memphis: 13 km); party overlap
#: separates neighbours such as Meta and Google in New Albany, Ohio (1.4 km).
SAME_CAMPUS_KM = 10.0
_EARTH_RADIUS_KM = 6371.0088  # IUGG mean Earth radius


def _histogram(values: np.ndarray, width: float, bins: int, unit: float) -> np.ndarray:
    """(2, T, bins) int64 counts and value sums (in ``unit``) of (draw, T) values.

    Bin 0 holds exact zeros; bin i ≥ 1 holds ((i − 1)·width, i·width] (above the range: the
    last bin). Integer sums make merging blocks exact in any order."""
    index = np.where(values <= 0, 0, np.clip(np.ceil(values / width), 1, bins - 1)).astype(np.int64)
    flat = (index + np.arange(values.shape[1])[None, :] * bins).ravel()
    size = values.shape[1] * bins
    counts = np.bincount(flat, minlength=size)
    sums = np.bincount(flat, weights=np.rint(values / unit).ravel(), minlength=size)
    return np.stack([counts, np.rint(sums)]).astype(np.int64).reshape(2, values.shape[1], bins)


def _quantiles(hist: np.ndarray, unit: float) -> np.ndarray:
    """(quantile, T): the mean value of the bin where the cumulative count crosses
    each quantile (exact when all draws agree; the same for two groups whose draws agree, as
    their bins share one width)."""
    counts, sums = hist
    cdf = np.cumsum(counts, axis=1)
    out = np.empty((len(_QUANTILES), counts.shape[0]))
    for i, q in enumerate(_QUANTILES):
        index = np.minimum((cdf < q * cdf[:, -1:] - 1e-9).sum(axis=1), counts.shape[1] - 1)[:, None]
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
    width: dict[str, float]  # metric -> the bins' width, one for every group
    bins: dict[str, np.ndarray]  # metric -> (group,) bins reaching its highest possible value


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


def haversine_km(a: Location, b: Location) -> float:
    """Great-circle distance between two points on a spherical Earth, in km."""
    lat1, lon1, lat2, lon2 = np.radians([a.lat, a.lon, b.lat, b.lon])
    h = np.sin((lat2 - lat1) / 2) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return float(2 * _EARTH_RADIUS_KM * np.arcsin(np.sqrt(min(h, 1.0))))


@dataclass(frozen=True)
class SharedCampus:
    """One campus described by two scenarios: ``counted`` is the description that counts."""

    counted: tuple[str, str]  # (scenario, site id)
    not_counted: tuple[str, str]
    matched_by: str  # "id" or "location"
    distance_km: float | None  # None when either site lacks coordinates

    def as_dict(self) -> dict[str, Any]:
        return {
            "counted": {"scenario": self.counted[0], "site": self.counted[1]},
            "not_counted": {"scenario": self.not_counted[0], "site": self.not_counted[1]},
            "matched_by": self.matched_by,
            "distance_km": None if self.distance_km is None else round(self.distance_km, 2),
        }


def _parties(site: Site) -> set[str]:
    return {p for p in (site.operator, site.developer, site.tenant, site.owner) if p}


def _distance(a: Site, b: Site) -> float | None:
    return None if a.location is None or b.location is None else haversine_km(a.location, b.location)


def _campuses(scenarios: Sequence[Scenario]) -> tuple[set[tuple[int, str]], list[SharedCampus]]:
    """Which (scenario index, site id) count, and the merges: scenario by scenario, each
    site joins at most one earlier campus (by id, else the nearest compatible one
    within :data:`SAME_CAMPUS_KM`) and becomes the description that counts."""
    campuses: list[list[tuple[int, str]]] = []  # members; the last one counts

    def site(key: tuple[int, str]) -> Site:
        return scenarios[key[0]].sites[key[1]]

    shared: list[SharedCampus] = []
    for i, scenario in enumerate(scenarios):
        earlier = range(len(campuses))
        ids = [{key[1] for key in campuses[c]} for c in earlier]
        joins: dict[str, int] = {}
        for site_id in scenario.sites:
            hit = next((c for c in earlier if site_id in ids[c] and c not in joins.values()), None)
            if hit is not None:
                joins[site_id] = hit
        pairs = []
        for site_id, new in scenario.sites.items():
            for c in [] if site_id in joins else earlier:
                distances = [d for key in campuses[c] if (d := _distance(new, site(key))) is not None]
                parties = set().union(*(_parties(site(key)) for key in campuses[c]))
                compatible = not parties or not _parties(new) or bool(parties & _parties(new))
                if distances and min(distances) <= SAME_CAMPUS_KM and compatible:
                    pairs.append((min(distances), site_id, c))
        for _, site_id, c in sorted(pairs):
            if site_id not in joins and c not in joins.values():
                joins[site_id] = c
        for site_id, new in scenario.sites.items():
            if site_id not in joins:
                campuses.append([(i, site_id)])
                continue
            c = joins[site_id]
            before = campuses[c][-1]
            shared.append(
                SharedCampus(
                    counted=(scenario.name, site_id),
                    not_counted=(scenarios[before[0]].name, before[1]),
                    matched_by="id" if site_id in ids[c] else "location",
                    distance_km=_distance(new, site(before)),
                )
            )
            campuses[c].append((i, site_id))
    return {members[-1] for members in campuses}, shared


def _merge_notes(shared: list[SharedCampus], scenarios: Sequence[Scenario]) -> list[str]:
    """One note per pair of scenarios listing merged sites, and one for sites without coordinates."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for s in shared:
        how = ["same id" if s.matched_by == "id" else f"= {s.not_counted[1]}"]
        if s.distance_km is not None and (s.matched_by == "location" or s.distance_km >= 0.1):
            how.append(f"{s.distance_km:.1f} km")
        grouped.setdefault((s.not_counted[0], s.counted[0]), []).append(f"{s.counted[1]} ({', '.join(how)})")
    notes = [
        f"{len(sites)} sites in both {first!r} and {later!r} are counted once, "
        f"from {later!r}: {', '.join(sites)}"
        for (first, later), sites in grouped.items()
    ]
    if len(scenarios) > 1:
        bare = sorted({f"{s.name}:{k}" for s in scenarios for k, v in s.sites.items() if v.location is None})
        if bare:
            notes.append(f"{len(bare)} sites have no coordinates, matched by id only: {', '.join(bare)}")
    return notes


def _country_parties(
    scenarios: Sequence[Scenario], shared: Sequence[SharedCampus]
) -> dict[str, dict[str, list[str]]]:
    """Per country, whose sites are counted there (tenants, operators, owners): the table
    groups by site location, so this says whose compute each country's capacity is."""
    dropped = {s.not_counted for s in shared}
    out: dict[str, dict[str, set[str]]] = {}
    for scenario in scenarios:
        for site_id, site in scenario.sites.items():
            if (scenario.name, site_id) in dropped:
                continue
            who = out.setdefault(
                site.country.upper(), {"tenants": set(), "operators": set(), "owners": set()}
            )
            for role, party in (
                ("tenants", site.tenant),
                ("operators", site.operator),
                ("owners", site.owner),
            ):
                if party:
                    who[role].add(party)
    return {c: {role: sorted(v) for role, v in who.items() if v} for c, who in sorted(out.items())}


def _layout(scenarios: Sequence[Scenario]) -> tuple[_Layout, list[str], list[SharedCampus]]:
    models = tuple(Model.from_scenario(s) for s in scenarios)
    counting, shared = _campuses(scenarios)
    notes = _merge_notes(shared, scenarios)
    if len({m.year_ends[-1] for m in models}) > 1:
        notes.append("scenarios end at different dates; after its end a scenario's sites add no new capacity")
    counted = [[ph for ph in m.phases if (i, ph.site) in counting] for i, m in enumerate(models)]
    countries = sorted({ph.country for phases in counted for ph in phases})
    regions = sorted({world_region(c) for c in countries})
    groups = ("total", *(f"region:{r}" for r in regions), *(f"country:{c}" for c in countries))
    members = []
    for i, model in enumerate(models):
        matrix = np.zeros((len(model.phases), len(groups)))
        for k, ph in enumerate(model.phases):
            if (i, ph.site) not in counting:
                continue
            for g in ("total", f"region:{world_region(ph.country)}", f"country:{ph.country}"):
                matrix[k, groups.index(g)] = 1.0
        members.append(matrix)
    days = np.unique(np.concatenate([m.year_ends for m in models]))
    high = {metric: np.zeros(len(groups)) for metric in METRICS}
    for model, matrix in zip(models, members, strict=True):
        for metric, values in _phase_highs(model).items():
            high[metric] += values @ matrix
    # one bin width per metric (the total's range over _BINS), so a region or country whose
    # draws equal the total's gets the same percentiles; each group stores bins up to its own high
    width = {metric: max(float(h[0]), 1e-300) / (_BINS - 1) for metric, h in high.items()}
    bins = {m: np.minimum(np.ceil(h / width[m]).astype(np.int64) + 1, _BINS).clip(2) for m, h in high.items()}
    return _Layout(models, tuple(members), groups, days, width, bins), notes, shared


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
            agg.hist[f"{metric}|{group}"] = _histogram(
                totals[metric][:, g, :], layout.width[metric], int(layout.bins[metric][g]), unit
            )
    return agg


def _blocks(layout: _Layout, blocks: Sequence[tuple[int, int, int]], seed: int) -> list[BlockOut]:
    """The runner's work: :func:`_block` for each block of the group."""
    return [BlockOut(index, hi - lo, _block(layout, seed, lo, hi)) for index, lo, hi in blocks]


@dataclass
class CountryView:
    """P10/P50/P90 of each metric per group (total, region:*, country:*) at year ends."""

    scenarios: list[str]
    draws: int
    seed: int
    quantiles: xr.DataArray  # dims (metric, group, quantile, time)
    notes: list[str]
    shared: list[SharedCampus]  # campuses described by several scenarios, counted once
    #: country -> role (tenants, operators, owners) -> parties of the sites counted there
    parties: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    #: the earliest of the scenarios' as-of dates: capacity at a year end before it is observed
    #: in every scenario, and its P10–P90 is the range between sources, not a forecast
    as_of: str | None = None

    @property
    def before_as_of(self) -> list[bool]:
        """Per year end, whether it is before :attr:`as_of` (observed, not forecast)."""
        return [self.as_of is not None and str(t)[:10] < self.as_of for t in self.quantiles.time.values]

    def as_dict(self) -> dict[str, Any]:
        q = self.quantiles
        return {
            "scenarios": self.scenarios,
            "draws": self.draws,
            "seed": self.seed,
            "dates": [str(t)[:10] for t in q.time.values],
            "as_of": self.as_of,
            "before_as_of": self.before_as_of,
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
            "shared": [s.as_dict() for s in self.shared],
            "parties": self.parties,
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
    layout, notes, shared = _layout(scenarios)
    parties = _country_parties(scenarios, shared)
    notes = notes + [
        f"{country_name(c)} (site location): "
        + "; ".join(f"{role} {', '.join(names)}" for role, names in who.items())
        for c, who in parties.items()
    ]
    blocks = [(i, lo, hi) for i, (lo, hi) in enumerate(block_draw_ranges(draws, block_draws))]
    merged = Merge(Aggregates())
    run_blocks(_blocks, layout, blocks, [merged], executor=backend, args=(seed,))
    total = merged.total
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
    as_of = units.format_date(min(s.time.as_of_day for s in scenarios))
    return CountryView([s.name for s in scenarios], draws, seed, quantiles, notes, shared, parties, as_of)


def countries_figure(view: CountryView, metric: str = "facility_mw", level: str = "country") -> Any:
    """Plotly figure: P50 of ``metric`` per country (or region) at year ends, P10–P90 as error bars."""
    import plotly.graph_objects as go  # noqa: PLC0415 (plotly only to draw)

    q = view.quantiles.sel(metric=metric)
    scale = 1e3 if metric == "facility_mw" else 1.0
    fig = go.Figure()
    years = [year_label(str(t), view.as_of) for t in q.time.values]
    for group in [str(g) for g in q.group.values if str(g).startswith(f"{level}:")]:
        p10, p50, p90 = (q.sel(group=group, quantile=x).values / scale for x in _QUANTILES)
        fig.add_trace(
            go.Bar(
                x=years,
                y=p50,
                error_y={"type": "data", "array": p90 - p50, "arrayminus": p50 - p10},
                name=country_name(group.split(":", 1)[1]) if level == "country" else group.split(":", 1)[1],
            )
        )
    unit = "facility GW" if metric == "facility_mw" else METRICS[metric][0]
    fig.update_layout(
        barmode="group",
        title=f"{unit} online at year end by {level} of site location (P50, P10–P90 bars): "
        f"{', '.join(view.scenarios)}" + (f"<br><sup>{PAST_RANGE}</sup>" if any(view.before_as_of) else ""),
        yaxis_title=unit,
    )
    return fig


#: What a P10–P90 range at a year end before the as-of date is: the sources disagree on a fact
#: (a site's size or date drawn between them), so the range is no forecast.
PAST_RANGE = "(observed): before the as-of date; a range there is the range between sources, not a forecast"


def year_label(date: str, as_of: str | None) -> str:
    """A year end's year, marked ``(observed)`` when it is before ``as_of`` (:data:`PAST_RANGE`)."""
    return f"{date[:4]}<br>(observed)" if as_of is not None and date[:10] < as_of else date[:4]
