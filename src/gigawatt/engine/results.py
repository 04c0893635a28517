"""Labelled summaries of many draws (:class:`Results`): targets, capacity bands over time,
year-end tables, what holds the buildout back, demand and supply, read from the merged
:class:`~gigawatt.engine.aggregate.Aggregates`."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from gigawatt import observations, units
from gigawatt.compute import tokens_per_second
from gigawatt.engine.aggregate import Aggregates
from gigawatt.engine.histograms import _SUM_UNIT, _date_quantile, _hist_quantiles
from gigawatt.engine.model import CAUSES, DAYS_PER_WEEK, WEEKS_PER_YEAR, Model
from gigawatt.engine.targets import FORECAST_BASES, ceiling_mw, unreachable_reason

if TYPE_CHECKING:
    import xarray as xr


@dataclass
class Results:
    """The outcome of :func:`run`: labelled summaries of many draws."""

    model: Model
    aggregates: Aggregates
    seed: int
    #: :meth:`series_quantiles` by series, worked out once (the summary reads some several times)
    _quantiles: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def draws(self) -> int:
        return self.aggregates.draws

    @property
    def capacity(self) -> xr.DataArray:
        """Facility MW online, dims (series, quantile, time); P10/P50/P90."""
        import xarray as xr  # noqa: PLC0415 (a labelled array only here: a run's summary needs none)

        names = [k for k in self.model.series]
        data = np.stack([self.series_quantiles(n) for n in names])
        return xr.DataArray(
            data,
            dims=("series", "quantile", "time"),
            coords={
                "series": names,
                "quantile": [0.1, 0.5, 0.9],
                "time": self.model.grid_days.astype("timedelta64[D]") + np.datetime64("1970-01-01"),
            },
            name="facility_mw",
            attrs={"units": "MW", "basis": "facility"},
        )

    def date_quantiles(self, name: str, qs: Iterable[float] = (0.1, 0.5, 0.9)) -> list[float]:
        return [_date_quantile(self.aggregates.date_hist[name], self.model.grid_days, q) for q in qs]

    def target_table(self) -> list[dict[str, Any]]:
        rows = []
        for name, target in self.model.scenario.targets.items():
            hist = self.aggregates.date_hist[f"target:{name}"]
            by_bin = int(np.searchsorted(self.model.grid_days, target.by_date, side="right"))
            met = int(hist[:by_bin].sum())
            p50, p90 = self.date_quantiles(f"target:{name}", (0.5, 0.9))
            row = {
                "name": name,
                "gw": target.power_mw / 1000,
                "basis": target.basis,
                "scope": observations.target_scope(target).describe(),
                "by": units.format_date(target.by_date),
                "probability": met / self.draws,
                "p50_date": units.format_date(p50) if math.isfinite(p50) else None,
                "p90_date": units.format_date(p90) if math.isfinite(p90) else None,
            }
            fact = observations.outcome(self.model.scenario, target)
            row.update(observations.outcome_row(fact))
            row["forecast"] = fact is None and target.basis in FORECAST_BASES
            row["ceiling_gw"] = ceiling_mw(self.model, name) / 1000
            # only a forecast can be out of reach: a status or observed target counts more than sites
            reason = unreachable_reason(self.model, name) if row["forecast"] else None
            row["reachable"] = reason is None
            if reason is not None:
                row["unreachable_reason"] = reason
            rows.append(row)
        return rows

    def serving_table(self) -> dict[str, Any]:
        """Facility GW serving demand's party at year ends (its sites plus contracted capacity,
        P10/P50/P90) and each programme's share of it (P10/P50/P90 of the per-draw share)."""
        if "capacity:serving" not in self.aggregates.hist:
            return {}
        t = self._year_index()
        q = _hist_quantiles(self.aggregates.histogram("capacity:serving"), _SUM_UNIT["mw"], (0.1, 0.5, 0.9))
        out: dict[str, Any] = {
            "party": self.model.scenario.demand.party,
            "dates": [units.format_date(d) for d in self.model.year_ends],
            "facility_gw": {f"p{p}": (q[i, t] / 1e3).tolist() for i, p in enumerate((10, 50, 90))},
            "share": {},
        }
        for key, counts in self.aggregates.counts.items():
            if not key.startswith("share:"):
                continue
            cdf = np.cumsum(counts, axis=1)
            total = cdf[:, -1:]
            out["share"][key.split(":", 1)[1]] = {
                f"p{p}": ((cdf < p / 100 * total - 1e-9).sum(axis=1) / 100).tolist() for p in (10, 50, 90)
            }
        return out

    def constraints(self) -> dict[str, Any]:
        counts = self.aggregates.counts["critical"]
        per_phase = {
            ph.id: {CAUSES[c]: counts[k, c] / self.draws for c in range(len(CAUSES)) if counts[k, c]}
            for k, ph in enumerate(self.model.phases)
        }
        last = self.aggregates.counts["last_phase_cause"]
        cause_mw = self.aggregates.sums("cause_mw")
        return {
            "per_phase": per_phase,
            "last_gw": {CAUSES[c]: last[c] / max(last.sum(), 1) for c in range(len(CAUSES)) if last[c]},
            "by_mw": {CAUSES[c]: cause_mw[c] / cause_mw.sum() for c in range(len(CAUSES)) if cause_mw[c] > 0},
        }

    def series_quantiles(self, name: str) -> np.ndarray:
        """(P10, P50, P90) × time of a series: MW for ``model.series``, else its own unit."""
        if name not in self._quantiles:
            unit = _SUM_UNIT["mw"] if name in self.model.series else self.model.step_series[name].unit
            hist = self.aggregates.histogram(f"capacity:{name}")
            self._quantiles[name] = _hist_quantiles(hist, unit, (0.1, 0.5, 0.9), True)
            self._quantiles[name].flags.writeable = False
        return self._quantiles[name]

    def _year_index(self) -> np.ndarray:
        grid = self.model.grid_days
        return np.minimum(np.searchsorted(grid, self.model.year_ends, side="right") - 1, grid.size - 1)

    def year_end_table(self) -> list[dict[str, Any]]:
        """Facility and IT power, FLOP/s, H100-equivalents and energy at each year end."""
        t = self._year_index()
        q = {name: self.series_quantiles(name)[:, t] for name in ("total", "it", "flops", "h100e")}
        lf = self.model.scenario.demand.load_factor

        def band(values: np.ndarray, i: int, scale: float) -> dict[str, float]:
            return {
                "p10": float(values[0, i] / scale),
                "p50": float(values[1, i] / scale),
                "p90": float(values[2, i] / scale),
            }

        return [
            {
                "date": units.format_date(day),
                "facility_gw": band(q["total"], i, 1e3),
                "it_gw": band(q["it"], i, 1e3),
                "bf16_eflops": band(q["flops"], i, 1e18),
                "h100_equivalents_million": band(q["h100e"], i, 1e6),
                "energy_twh_per_year": band(q["total"], i, 1e6 / (lf * units.HOURS_PER_YEAR)),
            }
            for i, day in enumerate(self.model.year_ends)
        ]

    def breakdown(self) -> dict[str, Any]:
        """Year-end P10/P50/P90 per site, country, party (facility GW) and per accelerator (count)."""
        t = self._year_index()
        out: dict[str, Any] = {"dates": [units.format_date(d) for d in self.model.year_ends]}
        for name in list(self.model.series) + [
            k for k in self.model.step_series if k.startswith("accelerators:")
        ]:
            values = self.series_quantiles(name)[:, t]
            scale, unit = (1e3, "facility GW") if name in self.model.series else (1.0, "accelerators")
            out[name] = {
                "unit": unit,
                **{f"p{int(q * 100)}": (values[i] / scale).tolist() for i, q in enumerate((0.1, 0.5, 0.9))},
            }
        return out

    def demand_table(self) -> list[dict[str, Any]]:
        """Demand against capacity at year ends: demand per stream (P50), surplus, P(covered),
        inference tokens/s. In facility GW (``*_gw``), or, for demand stated as compute, in
        BF16 dense EFLOP/s against the FLOP/s online (``*_eflops``).

        Surplus and P(covered) are against everything serving demand's party (its sites and
        contracted capacity). Tokens/s are those of the scenario's own sites (the FLOP/s online
        at them; contracted capacity's chips are not simulated), serving inference demand first,
        at the scenario's utilisation and model size (FLOP per token ≈ 2 × active parameters).

        A year end before the scenario's as-of date is ``before_as_of``: there capacity is
        observed but demand never was (the streams' curves run back from their start), so it
        gets no surplus quantiles and no P(covered) (null): neither a fact nor a forecast. The
        terminal and the report leave those rows out."""
        covered = self.aggregates.counts.get("demand_covered")
        if covered is None:
            return []
        demand = self.model.scenario.demand
        stated_in = demand.stated_in
        key, scale = ("eflops", 1e18) if stated_in == "flops" else ("gw", 1e3)
        t = self._year_index()
        cap = self.series_quantiles("flops" if stated_in == "flops" else "total")[:, t]
        flops = self.series_quantiles("flops")[:, t]
        unit = _SUM_UNIT[stated_in]
        surplus = _hist_quantiles(self.aggregates.hist[f"surplus_{stated_in}"], unit, (0.1, 0.5, 0.9))
        streams = {
            name: _hist_quantiles(self.aggregates.hist[f"demand:{name}"], unit, (0.5,))[0]
            for name in ("training", "inference")
            if f"demand:{name}" in self.aggregates.hist
        }
        rows = []
        for i, day in enumerate(self.model.year_ends):
            inference = streams.get("inference", np.zeros(len(t)))[i]
            served = min(cap[1, i], inference) / cap[1, i] if cap[1, i] > 0 else 0.0
            past = bool(day < self.model.as_of_day)
            rows.append(
                {
                    "date": units.format_date(day),
                    "before_as_of": past,
                    **{f"{name}_{key}_p50": float(v[i] / scale) for name, v in streams.items()},
                    f"surplus_{key}": None
                    if past
                    else {
                        f"p{int(q * 100)}": float(surplus[j, i] / scale)
                        for j, q in enumerate((0.1, 0.5, 0.9))
                    },
                    "p_capacity_covers_demand": None if past else float(covered[i] / self.draws),
                    "inference_tokens_per_second_p50": float(
                        tokens_per_second(
                            flops[1, i] * served, demand.model_active_params, demand.utilisation
                        )
                    ),
                }
            )
        return rows

    def supply_table(self) -> dict[str, Any]:
        """Per accelerator limit: mean cumulative supply offered to the programme and delivered."""
        out: dict[str, Any] = {}
        for info in self.model.supplies:
            key = f"supply:{info.name}:offered"
            if (
                info.resource != "accelerators"
                or key not in self.aggregates.chunk_sums[min(self.aggregates.chunk_sums)]
            ):
                continue
            out[info.name] = {
                "dates": [units.format_date(d) for d in self.model.year_ends],
                "offered_mean": (self.aggregates.sums(key) / self.draws).tolist(),
                "delivered_mean": (
                    self.aggregates.sums(f"supply:{info.name}:delivered") / self.draws
                ).tolist(),
                "unit": "accelerators (cumulative)",
            }
        return out

    def summary(self) -> dict[str, Any]:
        """The JSON summary (``gigawatt run --json``)."""
        cap = self.series_quantiles("total")  # what capacity.sel(series="total") holds
        grid = self.model.grid_days
        step = max(1, round(WEEKS_PER_YEAR / 4 / (grid[1] - grid[0]) * DAYS_PER_WEEK)) if grid.size > 1 else 1
        picks = np.arange(0, grid.size, step)
        return {
            "scenario": self.model.scenario.name,
            "draws": self.draws,
            "seed": self.seed,
            "as_of": units.format_date(self.model.as_of_day),
            "targets": self.target_table(),
            "capacity_gw": {
                "basis": "facility",
                "dates": [units.format_date(d) for d in grid[picks]],
                "p10": (cap[0, picks] / 1e3).tolist(),
                "p50": (cap[1, picks] / 1e3).tolist(),
                "p90": (cap[2, picks] / 1e3).tolist(),
            },
            "year_ends": self.year_end_table(),
            "energy_load_factor": self.model.scenario.demand.load_factor,
            "breakdown": self.breakdown(),
            "demand": self.demand_table(),
            "serving": self.serving_table(),
            "supply": self.supply_table(),
            "constraints": self.constraints(),
            "phases": {
                ph.id: {
                    stage: [units.format_date(d) for d in self.date_quantiles(f"phase:{ph.id}:{stage}")]
                    for stage in ("start_date", "power_date", "chips_date", "online_date")
                }
                for ph in self.model.phases
            },
        }

    def to_frame(self, table: str = "capacity") -> Any:
        """A table of :meth:`summary` as a tidy pandas DataFrame: ``targets``, ``capacity`` (by
        year end and site, country, party, accelerator), ``year_ends``, ``demand``, ``phases``
        (:mod:`gigawatt.frames`; a recorded run adds ``money`` and ``flows``)."""
        from gigawatt.frames import summary_table  # noqa: PLC0415 (pandas: a run's summary needs none)

        return summary_table(self.summary(), table)
