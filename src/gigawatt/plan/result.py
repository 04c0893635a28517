"""A solved plan: its decisions, what it costs, and why, in words, from the duals.

:class:`PlanResult` holds the builds by site × quarter × power source × accelerator, the unmet
demand and the shadow prices; it explains each site (why built, why not more, why not at all),
lists the shared limits that bind, and gives the plain summary the CLI, store and report use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from gigawatt import fmt
from gigawatt.catalog import load_catalog
from gigawatt.plan.inputs import fixed_build_flops
from gigawatt.plan.model import coefficients
from gigawatt.units import date_from_days

#: A shadow price under this share of one unit's capex binds only at the margin (printed so).
_MARGINAL_SHARE = 0.01


def usd_millions_apart(a_usd: float, b_usd: float) -> tuple[str, str]:
    """Two USD amounts as $M with the fewest decimals (one to four) that tell them apart, so a
    comparison never reads "$1.9M, more than the $1.9M"."""
    for digits in range(1, 5):
        a, b = (f"${x / 1e6:,.{digits}f}M" for x in (a_usd, b_usd))
        if a != b:
            break
    return a, b


@dataclass
class PlanResult:
    """A solved plan: decisions, costs and the constraints that bind, labelled."""

    inputs: xr.Dataset
    status: str
    objective_usd: float
    build_mw: xr.DataArray  # (site, period, source, accelerator), facility MW
    online_mw: xr.DataArray  # (site, period, source), new facility MW online
    unmet_flops: xr.DataArray  # (period,), BF16 dense FLOP/s
    open_sites: xr.DataArray  # (site,)
    duals: dict[str, xr.DataArray]

    @property
    def unmet_mw(self) -> xr.DataArray:
        """Unmet demand as facility MW at the reference FLOP/s per MW (power demand's own unit)."""
        return self.unmet_flops / self.inputs.attrs["reference_flops_per_mw"]

    @property
    def capacity_flops(self) -> xr.DataArray:
        """FLOP/s serving demand per period: existing, contracted, under construction (fixed
        builds) and new FLOP/s online (may exceed demand: what is fixed is not cut to fit)."""
        online = (self.build_mw.sum("source") * self.inputs.flops_per_facility_mw).sum(
            ["site", "accelerator"]
        )
        return (
            online.cumsum("period")
            + float(self.inputs.existing_flops.sum())
            + self.inputs.contracted_flops.sum("block")
            + fixed_build_flops(self.inputs).sum("site")
        )

    @property
    def served_flops(self) -> xr.DataArray:
        """Demand met per period: :attr:`capacity_flops`, at most the demand."""
        return np.minimum(self.capacity_flops, self.inputs.demand_flops.sum("workload"))

    def explain(self) -> dict[str, str]:
        """One sentence per site: why it was chosen (or not) and what binds it.

        A MW built at a site in quarter t costs its capex annuity plus energy up to the horizon
        (discounted) and is worth demand's shadow price summed from t on; at the optimum the
        worth of a MW that is built equals its cost plus the shadow prices of the limits it hits,
        so the comparison says why the site is used, and the binding limits say why not more.
        Demand is in FLOP/s, so a MW's worth depends on its accelerator: the sentence names the
        accelerator chosen and its FLOP/s per $ of capex against the best other one available."""
        ds = self.inputs
        out = {}
        labels = ds.period.values
        coef = coefficients(ds)
        demand_dual = self.duals.get("demand")
        worth = (
            np.cumsum(np.abs(demand_dual.values)[::-1])[::-1]
            if demand_dual is not None
            else np.zeros(len(labels))
        )  # (period,): Σ of demand's shadow price (per EFLOP/s) from each quarter on
        eflops = coef.eflops_per_mw.values  # (site, accelerator)
        online_cost = coef.online_cost_usd_per_mw.values  # (site, period, source)
        energy_after = np.cumsum(online_cost[:, ::-1], axis=1)[:, ::-1]
        cost = coef.build_cost_usd_per_mw.values + energy_after[..., None]  # (site, period, source, acc)
        cost = np.where(coef.build_mask.values, cost, np.inf)
        shared = [line.split(":")[0] for line in self.binding() if not line.startswith("demand")]
        for i, site in enumerate(ds.site.values):
            built = self.build_mw.sel(site=site)
            total = float(built.sum())
            existing = float(ds.existing_mw.sel(site=site))
            fixed = self._fixed_text(i)
            if total < 1e-6:
                value = worth[:, None, None] * eflops[i][None, None, :]  # (period, source, accelerator)
                out[str(site)] = (
                    fixed
                    + self._why_not(i, str(site), cost[i], value, shared)
                    + (f"; keeps its {existing:,.0f} MW online" if existing else "")
                )
                continue
            per_period = built.sum(["source", "accelerator"]).values
            f = int(np.argmax(per_period > 1e-6))
            j, a = np.unravel_index(int(np.argmax(built.values[f])), built.values[f].shape)
            by_source = built.sum(["period", "accelerator"]).to_series()
            by_acc = built.sum(["period", "source"]).to_series()
            sources = ", ".join(f"{k} {v:,.0f} MW" for k, v in by_source.items() if v > 1e-6)
            accs = ", ".join(f"{k} {v:,.0f} MW" for k, v in by_acc.items() if v > 1e-6)
            out[str(site)] = fixed + (
                f"builds {total:,.0f} MW facility from {labels[f]} ({sources}; {accs}): a MW built in "
                f"{labels[f]} ({ds.source.values[j]}, {ds.accelerator.values[a]}) costs "
                f"${cost[i, f, j, a] / 1e6:,.1f}M (capex annuity and energy to {labels[-1]}, discounted) "
                f"and meets demand worth ${worth[f] * eflops[i, a] / 1e6:,.1f}M over those quarters, "
                f"so it pays; {self._why_accelerator(i, f, int(j), int(a))}{self._later(i, int(a))}; "
                "binding (why not more): "
                + ("; ".join(self._site_binds(str(site))) or "nothing at the site, only the shared limits")
            )
        return out

    def fixed_build(self, i: int) -> dict[str, Any]:
        """Site ``i``'s fixed builds (its phases under construction, :func:`~gigawatt.plan.inputs.is_fixed`):
        facility MW in all and online by each quarter's end, by accelerator, the first quarter
        they count in and their capex (committed, not in the objective)."""
        ds = self.inputs
        if "fixed_build_mw" not in ds:
            return {
                "mw": 0.0,
                "mw_by_period": [0.0] * ds.sizes["period"],
                "by_accelerator_mw": {},
                "first": None,
                "capex_usd": 0.0,
            }
        online = ds.fixed_build_mw.isel(site=i)  # (accelerator, period)
        by_period = online.sum("accelerator").values
        first = [str(p) for p, mw in zip(ds.period.values, by_period, strict=True) if mw > 0.5]
        last = online.isel(period=-1)
        return {
            "mw": float(ds.fixed_build_total_mw.isel(site=i)),
            "mw_by_period": by_period.tolist(),
            "by_accelerator_mw": {str(a): float(v) for a, v in last.to_series().items() if v > 0.5},
            "first": first[0] if first else None,
            "capex_usd": float(ds.fixed_build_capex_usd.isel(site=i)),
        }

    def _fixed_text(self, i: int) -> str:
        """The start of site ``i``'s explanation when it has phases under construction."""
        fixed = self.fixed_build(i)
        if fixed["mw"] < 0.5:
            return ""
        labels = self.inputs.period.values
        when = f"from {fixed['first']}" if fixed["first"] else f"after {labels[-1]}"
        later = fixed["mw"] - fixed["mw_by_period"][-1]
        accs = ", ".join(f"{a} {mw:,.0f} MW" for a, mw in fixed["by_accelerator_mw"].items())
        return (
            f"under construction: fixed, {fixed['mw']:,.0f} MW facility {when}"
            + (f" ({accs})" if accs else "")
            + (f", {later:,.0f} MW of it after {labels[-1]}" if fixed["first"] and later > 0.5 else "")
            + f", not a decision (${fixed['capex_usd'] / 1e9:,.1f}B{FIXED_TEXT_END}"
        )

    def _why_accelerator(self, i: int, t: int, j: int, a: int) -> str:
        """Why accelerator ``a``: its FLOP/s per $ of capex (facility and chips) in period ``t``
        against the best other accelerator available then."""
        ds, coef = self.inputs, coefficients(self.inputs)
        mask = coef.build_mask.values[i, t, j]
        capex = coef.build_capex_usd_per_mw.values[i, j]  # (accelerator,)
        per_usd = ds.flops_per_facility_mw.values[i] / capex / 1e15 * 1e6  # PFLOP/s per $M
        names = ds.accelerator.values
        text = f"{names[a]}: {per_usd[a]:,.1f} PFLOP/s per $M of capex"
        others = [k for k in range(len(names)) if k != a and mask[k]]
        if others:
            k = max(others, key=lambda k: per_usd[k])
            text += f" (best other then, {names[k]}: {per_usd[k]:,.1f})"
        return text

    def _later(self, i: int, first: int) -> str:
        """The site's other accelerators, each from its first build, with why (FLOP/s per $)."""
        built = self.build_mw.isel(site=i).sum("source").values  # (period, accelerator)
        labels, parts = self.inputs.period.values, []
        for a in range(built.shape[1]):
            if a != first and built[:, a].max() > 1e-6:
                t = int(np.argmax(built[:, a] > 1e-6))
                j = int(np.argmax(self.build_mw.isel(site=i, period=t, accelerator=a).values))
                parts.append(f"from {labels[t]} {self._why_accelerator(i, t, j, a)}")
        return ("; then " + "; ".join(parts)) if parts else ""

    def _site_binds(self, site: str) -> list[str]:
        """The site's own limits that bind: its size, or all the firm power of a source in use."""
        ds, labels = self.inputs, self.inputs.period.values
        binds = []
        size_dual = self.duals.get("site_size")
        if size_dual is not None:
            hits = labels[np.abs(size_dual.sel(site=site).values) > 1e-6]
            if len(hits):
                room = ds.room_mw.sel(site=site)
                ready, full = float(room.sel(period=hits[0])), float(room.max())
                binds.append(
                    f"site full ({full:,.0f} MW) from {hits[0]}"
                    if ready >= full - 0.5
                    else f"its phases ready by then full ({ready:,.0f} of {full:,.0f} MW) from {hits[0]}"
                )
        power_dual = self.duals.get("power")
        if power_dual is not None:
            cap = ds.power_cap_mw.sel(site=site)
            for source in ds.source.values:
                live = cap.sel(source=source).values > 0
                dual = power_dual.sel(site=site, source=source).fillna(0).values
                hits = labels[(np.abs(dual) > 1e-6) & live]
                if len(hits):
                    binds.append(f"all its firm {source} power in use {_quarters(hits)}")
        return binds

    def _why_not(self, i: int, site: str, cost: np.ndarray, value: np.ndarray, shared: list[str]) -> str:
        """Why a site builds nothing: no power in time, a MW costs more than it is worth, or a
        MW would pay but opening the site or the shared limits (taken by better sites) stop it."""
        ds, labels = self.inputs, self.inputs.period.values
        when = ds.earliest_online_date.isel(site=i).item()
        to_decide = float(ds.max_size_mw.isel(site=i) - ds.existing_mw.isel(site=i))
        if "fixed_build_total_mw" in ds:
            to_decide -= float(ds.fixed_build_total_mw.isel(site=i))
        if to_decide < 0.5:
            return "nothing more to decide: every phase is online or under construction"
        if not bool((ds.room_mw.isel(site=i) > 0).any()):
            return (
                f"not built: none of its phases can be ready inside the horizon (earliest "
                f"{_fmt_date(when)}, horizon ends {labels[-1]})"
            )
        if not bool((ds.power_cap_mw.isel(site=i) > 0).any()):
            return (
                f"not built: no firm power inside the horizon (earliest online {_fmt_date(when)}, "
                f"power plan after {labels[-1]})"
            )
        value = np.broadcast_to(value, cost.shape)
        ready = (ds.room_mw.isel(site=i).values > 0)[:, None, None] & np.isfinite(cost)
        if float(np.where(ready, value, 0.0).max()) <= 0:
            return (
                "not built: demand met without it (in every quarter its phases could be online, by "
                "what exists, is contracted, is under construction or is built elsewhere)"
            )
        margin = value - cost  # (period, source, accelerator)
        t, j, a = np.unravel_index(int(np.argmax(margin)), margin.shape)
        mw = f"a MW built in {labels[t]} ({ds.source.values[j]}, {ds.accelerator.values[a]})"
        if margin[t, j, a] < 0:
            costs, worth = usd_millions_apart(float(cost[t, j, a]), float(value[t, j, a]))
            return (
                f"not built: its best MW, {mw}, costs {costs}, more than the {worth} of demand it would meet"
            )
        fixed = float(ds.fixed_cost_usd.isel(site=i))
        reasons = [f"opening it costs ${fixed / 1e6:,.0f}M of land"] if fixed > 0 else []
        if shared:
            reasons.append(f"the shared limits ({', '.join(shared)}) go to sites that save more")
        return (
            f"not built although {mw} would cost ${cost[t, j, a] / 1e6:,.1f}M and meet "
            f"${value[t, j, a] / 1e6:,.1f}M of demand: "
            + (" and ".join(reasons) or "its site or power limits")
        )

    def binding(self) -> list[str]:
        """Shared constraints that bind, with their shadow prices (what one more unit would save)."""
        lines = []
        labels = self.inputs.period.values
        unmet = labels[self.unmet_mw.values > 1e-6]
        for name, dual in self.duals.items():
            if name in ("power", "site_size", "stock", "site_power", "compute"):
                continue
            values = np.abs(dual.values)
            if dual.ndim == 0:
                if values > 1e-9:
                    unit = {"budget": "$ of budget", "co2": "tonne of CO2"}.get(name, "unit")
                    lines.append(f"{name}: binds; one more {unit} would save ${abs(float(dual)):,.3g}")
                continue
            hits = labels[values > 1e-6]
            if not len(hits):
                continue
            peak = float(values.max())
            if name == "demand":
                short = f"; demand is left unmet {_quarters(unmet)}" if len(unmet) else ""
                lines.append(
                    f"demand: binds {_quarters(hits)}: one more EFLOP/s (BF16 dense) of demand would cost "
                    f"up to ${peak / 1e6:,.2f}M a quarter (discounted; capped by the unmet-demand "
                    f"penalty){short}"
                )
            else:
                in_acc = self._in_accelerators(name)
                what = "accelerators shipped" if in_acc else "facility MW built"
                unit = "accelerator" if in_acc else "MW"
                capex = self._unit_capex_usd(name)
                small = (
                    f", under 1% of one's capex (${fmt.number(capex, 3)}): binding only at the margin"
                    if peak < _MARGINAL_SHARE * capex
                    else ""
                )
                lines.append(
                    f"{name} ({what} per quarter): binds {_quarters(hits)}: one more {unit} a quarter "
                    f"would save up to ${fmt.number(peak, 3)} (discounted){small}"
                )
        return lines

    def _unit_capex_usd(self, name: str) -> float:
        """The least capex of one unit a supply limit counts: an accelerator it ships (with its
        networking share) or a facility MW it builds (building and power), for scale beside its
        shadow price."""
        ds = self.inputs
        limit = name.removeprefix("supply_")
        if self._in_accelerators(name):
            price = ds.chips_capex_usd_per_mw / ds.accelerators_per_mw
            return float(price.where(ds.supply_accelerator.sel(limit=limit)).min())
        return float(ds.facility_capex_usd_per_mw.where(ds.supply_source.sel(limit=limit)).min())

    def _in_accelerators(self, name: str) -> bool:
        return bool(self.inputs.supply_in_accelerators.sel(limit=name.removeprefix("supply_")))

    def assumptions(self) -> dict[str, Any]:
        """The numbers the plan was priced with (catalog defaults or the caller's), for the record."""
        attrs = self.inputs.attrs

        def given(key: str) -> float | None:
            return None if math.isnan(attrs[key]) else float(attrs[key])

        return {
            "discount_rate_per_year": float(attrs["discount_rate_per_year"]),
            "penalty_usd_per_eflops_quarter": float(attrs["penalty_usd_per_eflops_quarter"]),
            "reference_flops_per_facility_mw": float(attrs["reference_flops_per_mw"]),
            "demand_stated_as": "compute" if attrs.get("demand_stated_as") == "flops" else "facility power",
            "demand_reference": (
                DEMAND_AS_COMPUTE if attrs.get("demand_stated_as") == "flops" else DEMAND_REFERENCE
            ),
            "load_factor": float(attrs.get("load_factor", math.nan)),
            "facility_life_years": float(attrs["facility_life_quarters"]) / 4,
            "budget_usd": given("budget_usd"),
            "emissions_cap_t": given("emissions_cap_t"),
            "require_demand": bool(attrs["require_demand"]),
            "binary_sites": bool(attrs["binary_sites"]),
            "quantile": float(attrs["quantile"]),
            "demand_quantile": float(attrs.get("demand_quantile", 0.5)),
        }

    def summary(self) -> dict[str, Any]:
        """Plain data for ``--json``, the CLI table and the run store (kind "plan")."""
        ds = self.inputs
        per_site = self.build_mw.sum(["period", "source", "accelerator"])
        reference = float(ds.attrs["reference_flops_per_mw"])
        demand = ds.demand_flops.sum("workload")
        served = self.served_flops
        contracted = ds.contracted_flops.sum("block")
        by_acc_period = self.build_mw.sum("source")
        fixed = [self.fixed_build(i) for i in range(ds.sizes["site"])]
        fixed_flops = fixed_build_flops(ds).sum("site")
        return {
            "scenario": ds.attrs["scenario"],
            "status": self.status,
            "objective_usd": self.objective_usd,
            "periods": [str(p) for p in ds.period.values],
            # Quarters from the first that ends after the as-of date; demand is its party's.
            "as_of": ds.attrs.get("as_of"),
            "demand_party": ds.attrs.get("demand_party") or None,
            # Compute in FLOP/s (BF16 dense) and as facility MW at the reference FLOP/s per MW.
            "demand_flops": demand.values.tolist(),
            "served_flops": served.values.tolist(),
            "unmet_flops": self.unmet_flops.values.tolist(),
            "demand_mw": (demand.values / reference).tolist(),
            "served_mw": (served.values / reference).tolist(),
            "unmet_mw": self.unmet_mw.values.tolist(),
            # What the party's contracted blocks deliver by each quarter's end (part of served).
            "contracted_flops": contracted.values.tolist(),
            "contracted_mw": (contracted.values / reference).tolist(),
            "contracted_flops_by_block": {
                str(b): ds.contracted_flops.sel(block=b).values.tolist() for b in ds.block.values
            },
            # Everything serving demand, not cut at demand: served is this, at most demand.
            "capacity_flops": self.capacity_flops.values.tolist(),
            # The party's phases under construction: fixed, not decisions; their capex is
            # committed and not in objective_usd (part of served, like contracted).
            "fixed_builds": {
                "mw": sum(f["mw"] for f in fixed),
                "capex_usd": sum(f["capex_usd"] for f in fixed),
                "mw_by_period": np.sum([f["mw_by_period"] for f in fixed], axis=0).tolist(),
                "flops": fixed_flops.values.tolist(),
                "method": FIXED_BUILDS,
            },
            "assumptions": self.assumptions(),
            "sites": {
                str(site): {
                    "open": bool(self.open_sites.sel(site=site) > 0.5),
                    "build_mw": float(per_site.sel(site=site)),
                    "by_source_mw": {
                        str(k): float(v)
                        for k, v in self.build_mw.sel(site=site)
                        .sum(["period", "accelerator"])
                        .to_series()
                        .items()
                    },
                    "by_accelerator_mw": {
                        str(k): float(v)
                        for k, v in self.build_mw.sel(site=site).sum(["period", "source"]).to_series().items()
                    },
                    "build_mw_by_period": self.build_mw.sel(site=site)
                    .sum(["source", "accelerator"])
                    .values.tolist(),
                    "build_mw_by_accelerator_period": {
                        str(a): by_acc_period.sel(site=site, accelerator=a).values.tolist()
                        for a in ds.accelerator.values
                        if float(by_acc_period.sel(site=site, accelerator=a).sum()) > 1e-6
                    },
                    "build_flops": float(
                        (by_acc_period.sel(site=site) * ds.flops_per_facility_mw.sel(site=site)).sum()
                    ),
                    "fixed_build": fixed[i],
                    "why": why,
                }
                for i, (site, why) in enumerate(zip(ds.site.values, self.explain().values(), strict=True))
            },
            "binding": self.binding(),
            "derived_specs": self.derived_specs(),
        }

    def derived_specs(self) -> list[dict[str, Any]]:
        """Catalog figures that are derived, not published (e.g. Vera Rubin's dense BF16), of the
        accelerators this plan builds or its party's contracted capacity delivers in the horizon
        (``contracted`` true): the plan's choice, and how much it has to build, rest on them."""
        ds = self.inputs
        built = self.build_mw.sum(["site", "period", "source"])
        used = {str(a): False for a in built.accelerator.values if float(built.sel(accelerator=a)) > 1e-6}
        delivered = ds.contracted_flops.max("period") > 0
        for acc in ds.block_accelerator.values[delivered.values] if "block_accelerator" in ds else []:
            used.setdefault(str(acc), True)
        catalog = load_catalog()
        out = []
        for acc, contracted in used.items():
            entry = catalog.accelerators.get(acc)
            for name, figure in (entry.derived() if entry is not None else {}).items():
                out.append(
                    {
                        "accelerator": acc,
                        "field": name,
                        "value": figure.value,
                        "low": figure.low,
                        "high": figure.high,
                        "contracted": contracted,
                    }
                )
        return out


#: How the sentence on a site's fixed builds ends (what follows is what the plan decided there).
FIXED_TEXT_END = " of capex committed); "
FIXED_BUILDS = (
    "Phases under construction at the scenario's as-of date are fixed builds, not decisions: each "
    "is online from the day the engine would bring it online with every stage at --quantile (its "
    "own planned date where it has one), counts toward demand at its own accelerator like "
    "existing capacity, and takes its site's power and the shared accelerator and build-rate "
    "supply first. Its capex is committed: reported here (the plan's capex per MW, facility at "
    "the site's power mix, and chips), not in the net present cost, which prices only what the "
    "plan decides (committed and announced phases, options included) and unmet demand; the "
    "energy of fixed builds, like that of existing capacity, is a constant left out of it too."
)
DEMAND_REFERENCE = (
    "Demand is compute (BF16 dense FLOP/s). Scenario demand stated as facility power is read as "
    "the FLOP/s that power holds with the reference accelerators: the power-weighted mean FLOP/s "
    "per facility MW (1e6 / (PUE x IT W per accelerator) x BF16 FLOP/s, medians) of the phases, "
    "at the sites serving demand's party, whose accelerator is available by demand's start. Its "
    "contracted capacity meets demand first (FLOP/s at each block's accelerator, as `gigawatt run` "
    "counts it); the sites meet the rest. *_mw outputs are FLOP/s over that reference; unmet "
    "demand is priced as compute bought under contract ($ per facility GW-year over the FLOP/s a "
    "GW of GB200 NVL72 holds)."
)
DEMAND_AS_COMPUTE = (
    "Demand is compute (BF16 dense FLOP/s), stated so in the scenario (`compute`) and planned for "
    "as it is. *_mw outputs are that FLOP/s over the reference FLOP/s per facility MW (the power-"
    "weighted mean, 1e6 / (PUE x IT W per accelerator) x BF16 FLOP/s, medians, of the serving "
    "sites' phases whose accelerator is available by demand's start), for scale only. The party's "
    "contracted capacity meets demand first, the sites the rest; unmet demand is "
    "priced as compute bought under contract ($ per facility GW-year over the FLOP/s a GW of "
    "GB200 NVL72 holds)."
)


def _quarters(hits: np.ndarray) -> str:
    """Where a limit binds, in words: "in 2028Q2", "in 2 quarters (2029Q1, 2030Q4)", "in 14
    quarters between 2026Q3 and 2030Q1"."""
    if len(hits) == 1:
        return f"in {hits[0]}"
    if len(hits) <= 3:
        return f"in {len(hits)} quarters ({', '.join(str(h) for h in hits)})"
    return f"in {len(hits)} quarters between {hits[0]} and {hits[-1]}"


def _fmt_date(days: float) -> str:
    return "never" if not math.isfinite(days) else str(pd.Timestamp(date_from_days(days)).to_period("Q"))
