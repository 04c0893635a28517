"""The plan written back as a scenario that extends its input, so the engine can simulate it.

Each site's phases to decide are filled with the plan's builds (one phase per quarter and
accelerator, keeping the phase's start date); phases online or under construction stay as they
were. Sites the plan leaves unused, with nothing online or under construction, go, and so do
the contracts, targets, deals and chip buyers that name only them.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr
import yaml

from gigawatt import safe_write, sources
from gigawatt.catalog import load_catalog
from gigawatt.distributions import Dist
from gigawatt.errors import ScenarioError
from gigawatt.plan.inputs import is_fixed, pending_phases
from gigawatt.plan.result import PlanResult
from gigawatt.resolved import extends_chain
from gigawatt.scenario import STATUS_ORDER, Phase, Scenario, load_scenario_text
from gigawatt.units import date_from_days, format_date


def plan_scenario_text(result: PlanResult, scenario: Scenario, extends: str) -> str:
    """The plan as a scenario that ``extends`` the input: each site's phases to decide become
    the plan's builds (one phase per quarter and accelerator), its phases online or under
    construction stay; sites with none of these are removed, and so are contracts and targets
    that name only removed sites."""
    ds = result.inputs
    catalog, q = load_catalog(), ds.attrs["quantile"]
    sites: dict[str, Any] = {}
    for site_id in ds.site.values:
        site = scenario.sites[str(site_id)]
        # Phases online and under construction (fixed builds) are written as they were.
        kept = [p for p in site.phases if STATUS_ORDER[p.status] >= STATUS_ORDER["online"] or is_fixed(p)]
        phases = [_phase_doc(p) for p in kept]
        built = result.build_mw.sel(site=site_id).sum("source")
        basis = float(ds.max_size_mw.sel(site=site_id)) / max(sum(p.power_mw.mid for p in site.phases), 1e-9)
        # The plan's MW fill the site's pending phases earliest first (as room_mw allows them),
        # and each keeps its phase's start date, so the engine builds it on the plan's schedule.
        pending = [
            (phase, mw)
            for phase, _, mw in pending_phases(scenario, catalog, str(site_id), q)
            if not is_fixed(phase)
        ]
        filled = 0.0  # MW of pending[0] already taken
        for period in ds.period.values:
            for acc in ds.accelerator.values:
                mw = float(built.sel(period=period, accelerator=acc))
                while mw > 0.5 and pending:
                    phase, size_mw = pending[0]
                    take = min(mw, size_mw - filled)
                    mw -= take
                    filled += take
                    if size_mw - filled <= 0.5:
                        pending.pop(0)
                        filled = 0.0
                    if take <= 0.5:
                        continue
                    end = float(ds.period_end_date.sel(period=period)) - 1
                    start = {} if phase.start_date is None else {"start": phase.start_date.spec(_iso)}
                    phases.append(
                        {
                            "name": f"plan {period} {acc} ({phase.name})",
                            # Rounded down to a kW: rounding up could take a full site past its
                            # power plan, which the scenario validator rejects.
                            "power": f"{math.floor(take / basis * 1e3) / 1e3} MW",
                            # planned now, if it was only announced; as far along as it was if more
                            "status": "committed" if phase.status == "announced" else phase.status,
                            **start,
                            "online": _not_before(end, phase.online_date).spec(_iso),
                            "accelerator": str(acc),
                        }
                    )
        sites[str(site_id)] = {"phases": phases} if phases else None
    doc: dict[str, Any] = {
        "extends": extends,
        "name": f"{scenario.name}-plan",
        "description": f"{_plan_kind(ds)} for {scenario.name} (gigawatt plan): "
        f"objective ${result.objective_usd / 1e9:,.1f}B net present cost",
        "sites": sites,
    }
    if scenario.demand.stated_in == "mw":
        doc["demand"] = _demand_as_compute(scenario, ds.attrs["reference_flops_per_mw"])
    # Contracts and targets that name a removed site name only the sites kept (or go too).
    removed = {name for name, value in sites.items() if value is None}
    for section, items in (("contracts", scenario.contracts), ("targets", scenario.targets)):
        edits: dict[str, Any] = {}
        for key, item in items.items():
            named = list(item.sites or [])
            if removed & set(named):
                kept_sites = [s for s in named if s not in removed]
                edits[key] = {"sites": kept_sites} if kept_sites else None
        if edits:
            doc[section] = edits
    doc.update(_signings_without(scenario, {k for k, v in doc.get("contracts", {}).items() if v is None}))
    doc.update(_financing_without(scenario, removed))
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


def _signings_without(scenario: Scenario, gone: set[str]) -> dict[str, Any]:
    """An edit to ``observations.signings`` that drops the signings of contracts gone (with all
    their sites), as a list replaces the inherited one; nothing if none is named."""
    signings = scenario.observations.signings
    if not any(s.contract in gone for s in signings):
        return {}
    kept = [
        {"contract": s.contract, "date": format_date(s.on_date), "source": list(s.source)}
        | ({"note": s.note} if s.note else {})
        for s in signings
        if s.contract not in gone
    ]
    return {"observations": {"signings": kept}}


def _financing_without(scenario: Scenario, removed: set[str]) -> dict[str, Any]:
    """Edits to ``financing:`` and ``chips:`` for removed sites: a deal keeps the sites left (or
    goes), a stated chip buyer of a removed site goes."""
    deals: dict[str, Any] = {}
    for key, deal in scenario.financing.items():
        if removed & set(deal.sites):
            kept = [s for s in deal.sites if s not in removed]
            deals[key] = {"sites": kept} if kept else None
        if deal.lease is not None and removed & set(deal.lease.sites):
            kept = [s for s in deal.lease.sites if s not in removed]
            deals[key] = {"lease": {"sites": kept}} if kept else None
    out: dict[str, Any] = {"financing": deals} if deals else {}
    buyers = {site: None for site in scenario.chips.buyers if site in removed}
    if buyers:
        out["chips"] = {"buyers": buyers}
    return out


def _not_before(day: float, planned: Dist | None, points: int = 20) -> Dist:
    """The later of ``day`` and a phase's own ``planned`` online date (uncertain or not): where
    the two overlap, a choice over ``points`` equally likely quantiles of the later one."""
    if planned is None or day >= planned.high:
        return Dist("fixed", (day,))
    if day <= planned.low:
        return planned
    later = np.maximum(day, planned.ppf((np.arange(points) + 0.5) / points))
    values, counts = np.unique(np.floor(later), return_counts=True)
    return Dist("choice", tuple(float(v) for v in values), tuple(float(c) / points for c in counts))


def _phase_doc(phase: Phase) -> dict[str, Any]:
    """A phase as a scenario file writes it (power in its site's basis, dates as stated)."""
    doc: dict[str, Any] = {
        "name": phase.name,
        "power": phase.power_mw.spec(lambda mw: f"{mw:.12g} MW"),
        "status": phase.status,
    }
    if phase.start_date is not None:
        doc["start"] = phase.start_date.spec(_iso)
    if phase.online_date is not None:
        doc["online"] = phase.online_date.spec(_iso)
    if phase.accelerator is not None:
        doc["accelerator"] = phase.accelerator
    if phase.source:
        doc["source"] = list(phase.source)
    if phase.note:
        doc["note"] = phase.note
    return doc


def _demand_as_compute(scenario: Scenario, reference_flops_per_mw: float) -> dict[str, Any]:
    """Demand stated as facility power, restated as the compute the plan meets: level and
    ceiling × the plan's reference FLOP/s per facility MW, so that ``gigawatt run`` of the plan
    compares FLOP/s online with it, as the plan does, not MW (a plan may meet it with fewer,
    denser MW)."""

    def flops(value: float) -> str:
        return f"{value / 1e18:.12g} EFLOP/s"

    out: dict[str, Any] = {}
    for name, stream in scenario.demand.streams.items():
        assert stream.level_mw is not None
        restated: dict[str, Any] = {
            "level": None,
            "ceiling": None,
            "compute": stream.level_mw.scaled(reference_flops_per_mw).spec(flops),
        }
        if stream.ceiling_mw is not None:
            restated["compute_ceiling"] = stream.ceiling_mw.scaled(reference_flops_per_mw).spec(flops)
        restated["note"] = (
            f"Restated by gigawatt plan: the input's facility-power demand × "
            f"{reference_flops_per_mw / 1e15:,.0f} PFLOP/s per facility MW (the plan's reference). "
            + stream.note
        ).strip()
        out[name] = restated
    return out


_NEVER = re.compile(r"^contracts\.(?P<name>[^.]+)\.tranches\[(?P<index>\d+)\]\.gw_deployed$")


def write_plan(
    result: PlanResult,
    scenario: Scenario,
    scenario_ref: str,
    path: Path,
    extends: str,
    *,
    force: bool = False,
) -> Scenario:
    """Write the plan scenario to ``path`` (see :func:`plan_scenario`) and return it loaded.

    Written atomically; never over a file of ``scenario_ref``'s ``extends`` chain (the plan
    extends it: it would lose the file and make a loop), over an existing file only with ``force``."""
    protected = extends_chain(scenario_ref)
    safe_write.check_target(path, force=force, protected=protected, what="plan")
    text, planned = plan_scenario(
        result, scenario, scenario_ref, extends, file=str(path), base_dir=path.parent
    )
    safe_write.write_text(path, text, force=force, protected=protected, what="plan")
    return planned


def plan_scenario(
    result: PlanResult,
    scenario: Scenario,
    scenario_ref: str,
    extends: str,
    *,
    file: str = "<plan>",
    base_dir: Path | None = None,
) -> tuple[str, Scenario]:
    """The plan as scenario text and loaded (``extends`` read from ``base_dir``). Payment
    milestones of more GW than the plan builds can never fire, so the plan drops them (the
    validator would reject them)."""

    text = plan_scenario_text(result, scenario, extends)
    try:
        return text, load_scenario_text(text, base_dir=base_dir, file=file)
    except ScenarioError as exc:
        hits = [(_NEVER.match(p.path), p) for p in exc.problems]
        if not all(match and p.message.startswith("milestone can never fire") for match, p in hits):
            raise
        drop: dict[str, set[int]] = {}
        for match, _ in hits:
            assert match is not None
            drop.setdefault(match["name"], set()).add(int(match["index"]))
    doc = yaml.safe_load(text)
    raw = sources.read(scenario_ref).data.get("contracts", {})
    contracts = doc.setdefault("contracts", {}) or {}
    for name, indices in drop.items():
        tranches = [item for i, item in enumerate(raw[name]["tranches"]) if i not in indices]
        contracts[name] = {**(contracts.get(name) or {}), "tranches": tranches}
    doc["contracts"] = contracts
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)
    return text, load_scenario_text(text, base_dir=base_dir, file=file)


def extends_ref(scenario_ref: str, plan_path: Path) -> str:
    """How a plan written to ``plan_path`` names its input: a built-in name as is, a file
    relative to the plan's folder."""
    if Path(scenario_ref).suffix in (".yaml", ".yml") or Path(scenario_ref).exists():
        return os.path.relpath(Path(scenario_ref).resolve(), plan_path.resolve().parent)
    return scenario_ref


def _plan_kind(inputs: xr.Dataset) -> str:
    q, dq = inputs.attrs["quantile"], inputs.attrs.get("demand_quantile", 0.5)
    if q == 0.5 and dq == 0.5:
        return "Least-cost plan"
    return f"Least-cost plan at quantile {q:g} (demand at {dq:g})"


def _iso(days: float) -> str:
    return date_from_days(days).isoformat()


# ---------------------------------------------------------------- robust plans
