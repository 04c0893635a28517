"""The engine's conservation laws, checked on a simulated block in debug mode
(``GIGAWATT_DEBUG=1``): nothing online before its power and chips, no site over its firm
power, no accelerator limit delivering more than it supplies."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from gigawatt import supply
from gigawatt.engine.draws import BlockData
from gigawatt.engine.model import Model
from gigawatt.engine.power import _power_day
from gigawatt.engine.queues import _capped_supply, _supply_inverse
from gigawatt.errors import GigawattError


class InvariantError(GigawattError):
    """The engine broke one of its conservation laws (a bug, reported in debug mode)."""


def check_invariants(model: Model, ds: BlockData, p: Mapping[str, np.ndarray]) -> None:
    """Capacity never exceeds power delivered or accelerators delivered (debug mode: GIGAWATT_DEBUG=1).

    Checks, per draw: each phase online no earlier than its power and chips; at
    each phase's online date its site's MW online fits the firm power available
    by then; accelerators delivered under each limit never outrun its supply."""
    online, power, chips = (ds[v].values for v in ("online_date", "power_date", "chips_date"))
    mw, acc = ds["facility_mw"].values, ds["accelerators"].values
    live = np.isfinite(online)
    if (online[live] < power[live] - 1e-6).any() or (online[live] < chips[live] - 1e-6).any():
        raise InvariantError("a phase came online before its power or accelerators were delivered")
    for site_id, site in model.scenario.sites.items():
        ks = [k for k, ph in enumerate(model.phases) if ph.site == site_id]
        pending = [j for j, k in enumerate(ks) if model.phases[k].status != "online"]
        days = online[:, ks]
        for j in pending:
            t = days[:, j]
            available = np.zeros_like(t)
            for i, src in enumerate(site.power_plan):
                base = f"sites.{site_id}.power_plan[{i}]"
                when = _power_day(p, base, src)
                available += np.where(when <= t, p[f"{base}.capacity"] * p[f"{base}.firm_fraction"], 0.0)
            used = (mw[:, ks] * (days <= t[:, None])).sum(axis=1)
            if (used[np.isfinite(t)] > available[np.isfinite(t)] + 1e-6).any():
                raise InvariantError(f"site {site_id}: MW online exceeds the firm power available")
    for info in model.supplies:
        if info.resource != "accelerators":
            continue
        members = [k for k in info.phases if model.phases[k].status != "online"]
        if not members:
            continue
        prefix = f"supply.{info.name}"
        curves = _capped_supply(model, p, online.shape[0])
        inverse = (
            supply.inverse(*curves[info.name])
            if info.name in curves
            else _supply_inverse(
                p[f"{prefix}.amount"],
                p[f"{prefix}.share"],
                p[f"{prefix}.growth_per_year"],
                p.get(f"{prefix}.start", np.full(online.shape[0], model.grid_days[0])),
                info.per_weeks,
            )
        )
        got = chips[:, members]
        for j in range(len(members)):
            t = got[:, j]
            delivered = (acc[:, members] * (got <= t[:, None])).sum(axis=1)[:, None]
            ok = np.isfinite(t)
            if (inverse(delivered)[:, 0][ok] > t[ok] + 1e-6).any():
                raise InvariantError(f"supply {info.name}: accelerators delivered exceed the supply")
