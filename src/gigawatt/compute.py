"""Conversions between facility power, IT power, accelerators, FLOP/s, energy and capex.

Pure functions over arrays (numpy broadcasting), units in every name:

* facility power = IT power × PUE (The Green Grid, "PUE: a comprehensive
  examination of the metric", White Paper 49, 2012);
* accelerators = IT power / all-in IT watts per accelerator (server, network and
  storage share; catalog ``it_power``), or, at a site whose count is published, facility
  power / the site's own facility watts per accelerator (``Site.per_accelerator``);
* annual energy = facility power × 8,766 h × load factor (8,766 h = 365.25 days);
* capex by component: accelerator systems, networking, building (per MW of IT
  power), power equipment (per kW of facility power).

:func:`convert` answers "10 GW → how many GB200s?" with P10/P50/P90 ranges drawn
from the catalog's uncertainty.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from gigawatt import units
from gigawatt.catalog import Catalog, load_catalog
from gigawatt.distributions import Dist
from gigawatt.errors import GigawattError
from gigawatt.sampling import sample

__all__ = [
    "HOURS_PER_YEAR",
    "ConversionError",
    "Conversion",
    "it_mw_from_facility_mw",
    "facility_mw_from_it_mw",
    "accelerators_from_it_mw",
    "accelerators_from_facility_mw",
    "it_mw_from_accelerators",
    "flops_from_accelerators",
    "energy_twh_per_year",
    "tokens_per_second",
    "convert",
]

#: Hours in a mean Julian year (365.25 days × 24 h).
HOURS_PER_YEAR = units.HOURS_PER_YEAR


class ConversionError(GigawattError):
    """A quantity or accelerator that :func:`convert` cannot work with."""


def it_mw_from_facility_mw(facility_mw: Any, pue: Any) -> Any:
    """IT power from facility power: IT = facility / PUE."""
    return np.divide(facility_mw, pue)


def facility_mw_from_it_mw(it_mw: Any, pue: Any) -> Any:
    """Facility power from IT power: facility = IT × PUE."""
    return np.multiply(it_mw, pue)


def accelerators_from_it_mw(it_mw: Any, it_power_w: Any) -> Any:
    """Accelerators that fit in ``it_mw`` at ``it_power_w`` all-in IT watts each."""
    return np.divide(np.multiply(it_mw, 1e6), it_power_w)


def accelerators_from_facility_mw(facility_mw: Any, facility_w_per_accelerator: Any) -> Any:
    """Accelerators in ``facility_mw`` at a site's own facility watts each: its published count
    over its power (e.g. ~400-450k GB200 on Abilene's 1.18 GW, 2.6-3.0 kW each), which already
    holds the building's overheads that the catalog's IT watts × PUE only estimate."""
    return np.divide(np.multiply(facility_mw, 1e6), facility_w_per_accelerator)


def it_mw_from_accelerators(accelerators: Any, it_power_w: Any) -> Any:
    """IT power drawn by ``accelerators`` at ``it_power_w`` each."""
    return np.multiply(accelerators, it_power_w) / 1e6


def flops_from_accelerators(accelerators: Any, flops_per_accelerator: Any) -> Any:
    """Peak dense FLOP/s of a fleet."""
    return np.multiply(accelerators, flops_per_accelerator)


def energy_twh_per_year(facility_mw: Any, load_factor: Any) -> Any:
    """Annual energy at an average load factor: MW × 8,766 h × LF, in TWh."""
    return np.multiply(facility_mw, load_factor) * HOURS_PER_YEAR / 1e6


def tokens_per_second(flops: Any, active_params: Any, utilisation: Any) -> Any:
    """Inference tokens/s: FLOP per token ≈ 2 × active parameters (Kaplan et al.,
    "Scaling Laws for Neural Language Models", arXiv:2001.08361, 2020, sec. 2.1)."""
    return np.multiply(flops, utilisation) / (2.0 * np.asarray(active_params))


@dataclass(frozen=True)
class Conversion:
    """Each figure as (P10, P50, P90) over the catalog's uncertainty."""

    accelerator: str
    given: str
    facility_mw: tuple[float, float, float]
    it_mw: tuple[float, float, float]
    accelerators: tuple[float, float, float]
    bf16_flops: tuple[float, float, float]
    h100_equivalents: tuple[float, float, float]
    energy_twh_per_year: tuple[float, float, float]
    capex_usd: dict[str, tuple[float, float, float]]
    load_factor: float
    draws: int

    def as_dict(self) -> dict[str, Any]:
        def band(values: tuple[float, float, float]) -> dict[str, float]:
            return {"low": values[0], "mid": values[1], "high": values[2]}

        return {
            "accelerator": self.accelerator,
            "given": self.given,
            "facility_mw": band(self.facility_mw),
            "it_mw": band(self.it_mw),
            "accelerators": band(self.accelerators),
            "bf16_flops": band(self.bf16_flops),
            "h100_equivalents": band(self.h100_equivalents),
            "energy_twh_per_year": band(self.energy_twh_per_year),
            "capex_usd": {k: band(v) for k, v in self.capex_usd.items()},
            "load_factor": self.load_factor,
            "percentiles": [10, 50, 90],
            "draws": self.draws,
        }


_COUNT_FORM = re.compile(
    r"^\s*(?P<count>[0-9][0-9,._]*(?:\.[0-9]+)?\s*(?:k|M|million|thousand)?)\s+(?P<acc>[A-Za-z][\w.-]*)\s*$"
)
Basis = Literal["facility", "it"]


def _parameters(catalog: Catalog, accelerator_id: str, cooling: str) -> dict[str, Dist]:
    acc = catalog.accelerators[accelerator_id]
    return {
        "it_power_w": acc.it_power_w.dist(),
        "bf16_flops": acc.bf16_flops.dist(),
        "h100_equivalents": acc.h100_equivalents.dist(),
        "price_usd": acc.price_usd.dist(),
        "pue": catalog.cost("pue", cooling).dist(),
        "networking_share": catalog.cost("construction", "networking_share_of_it").dist(),
        "building_usd_per_mw_it": catalog.cost("construction", "building_per_mw_it").dist(),
        "power_usd_per_kw": catalog.cost("power_equipment", "substation_per_kw").dist(),
    }


def _known(catalog: Catalog, accelerator_id: str) -> str:
    key = accelerator_id.lower()
    if key not in catalog.accelerators:
        hint = difflib.get_close_matches(key, list(catalog.accelerators), n=1)
        extra = f"; did you mean {hint[0]!r}?" if hint else ""
        raise ConversionError(f"unknown accelerator {accelerator_id!r}{extra}")
    return key


def convert(
    quantity: str,
    accelerator: str | None = None,
    *,
    basis: Basis = "facility",
    cooling: str = "liquid",
    load_factor: float = 0.8,
    draws: int = 20_000,
    seed: int = 0,
    catalog: Catalog | None = None,
) -> Conversion:
    """Convert one quantity into all the others, for one catalog accelerator.

    ``quantity`` is a power (``"10 GW"``, facility unless ``basis="it"``), a count
    with an accelerator (``"400000 gb200-nvl72"``), FLOP/s, energy per year
    (``"70 TWh"``) or a capex (``"$500B"``).
    """
    catalog = catalog or load_catalog()
    if not 0 < load_factor <= 1:
        raise ConversionError("load factor must be in (0, 1]")
    count_form = None if units.has_unit(quantity) else _COUNT_FORM.match(quantity)
    if count_form:
        accelerator_id = _known(catalog, count_form["acc"])
        if accelerator and accelerator.lower() != accelerator_id:
            raise ConversionError(f"{quantity!r} names {accelerator_id}, but --accelerator is {accelerator}")
    else:
        accelerator_id = _known(catalog, accelerator or "gb200-nvl72")
    if cooling not in catalog.costs.get("pue", {}):
        raise ConversionError(f"unknown cooling {cooling!r}; known: {sorted(catalog.costs['pue'])}")
    p = sample(_parameters(catalog, accelerator_id, cooling), seed, 0, draws)
    per_acc_capex = p["price_usd"] * (1 + p["networking_share"]) + (
        p["it_power_w"] / 1e6 * p["building_usd_per_mw_it"]
        + p["it_power_w"] * p["pue"] / 1e3 * p["power_usd_per_kw"]
    )
    n = _accelerators(quantity, count_form, basis, load_factor, p, per_acc_capex)
    it_mw = it_mw_from_accelerators(n, p["it_power_w"])
    facility_mw = facility_mw_from_it_mw(it_mw, p["pue"])
    capex = {
        "accelerators": n * p["price_usd"],
        "networking": n * p["price_usd"] * p["networking_share"],
        "building": it_mw * p["building_usd_per_mw_it"],
        "power_equipment": facility_mw * 1e3 * p["power_usd_per_kw"],
    }
    capex["total"] = sum(capex.values())

    def band(values: Any) -> tuple[float, float, float]:
        q = np.percentile(np.broadcast_to(values, (draws,)), [10, 50, 90])
        return float(q[0]), float(q[1]), float(q[2])

    flops = flops_from_accelerators(n, p["bf16_flops"])
    return Conversion(
        accelerator=accelerator_id,
        given=quantity,
        facility_mw=band(facility_mw),
        it_mw=band(it_mw),
        accelerators=band(n),
        bf16_flops=band(flops),
        h100_equivalents=band(n * p["h100_equivalents"]),
        energy_twh_per_year=band(energy_twh_per_year(facility_mw, load_factor)),
        capex_usd={k: band(v) for k, v in capex.items()},
        load_factor=load_factor,
        draws=draws,
    )


def _accelerators(
    quantity: str,
    count_form: re.Match[str] | None,
    basis: Basis,
    load_factor: float,
    p: dict[str, np.ndarray],
    per_acc_capex: np.ndarray,
) -> np.ndarray:
    if count_form:
        count = units.parse(count_form["count"].replace("_", ""), "count")
        return np.full_like(p["it_power_w"], count)
    for kind in ("power", "flops", "energy", "money"):
        try:
            value = units.parse(quantity, kind)
        except units.UnitError:
            continue
        if value < 0:
            raise ConversionError(f"{quantity!r} is negative")
        if kind == "power":
            it_mw = value if basis == "it" else it_mw_from_facility_mw(value, p["pue"])
            return np.asarray(accelerators_from_it_mw(it_mw, p["it_power_w"]))
        if kind == "flops":
            return value / p["bf16_flops"]
        if kind == "energy":
            facility_mw = value / (HOURS_PER_YEAR * load_factor)
            return np.asarray(accelerators_from_it_mw(facility_mw / p["pue"], p["it_power_w"]))
        return value / per_acc_capex
    raise ConversionError(
        f'cannot read {quantity!r}: give a power ("10 GW"), a count and accelerator '
        '("400000 gb200-nvl72"), FLOP/s ("5 EFLOP/s"), energy per year ("70 TWh") '
        'or capex ("$500B")'
    )
