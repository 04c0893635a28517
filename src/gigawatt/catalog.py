"""Built-in, sourced catalogs: accelerators, costs and lead times, sites.

The data live in ``gigawatt/data/*.yaml``. Every number is an entry with a
``value``, an optional ``low``/``high`` range where sources disagree, and the ids
of its ``source`` (publication, date, URL) listed in the file's ``sources``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, ClassVar

from pydantic import Field, ValidationError, field_validator, model_validator

from gigawatt import _yaml
from gigawatt._fields import Model, SourceIds, read_leaf
from gigawatt.distributions import Dist, fixed
from gigawatt.errors import Problem, ScenarioError

__all__ = [
    "GAS_LEAD_TIMES",
    "Source",
    "Entry",
    "AcceleratorEntry",
    "Catalog",
    "check_source_ids",
    "load_catalog",
]

#: The ``lead_times`` entry of ``costs.yaml`` for each on-site gas technology.
GAS_LEAD_TIMES = {
    "large_frame": "gas_turbine_large_frame",
    "aeroderivative": "gas_turbine_aeroderivative",
    "recip_engine": "recip_engine",
}


class Source(Model):
    """Where a number comes from."""

    publication: str
    date: str
    url: str

    @field_validator("date", mode="before")
    @classmethod
    def _date_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, dt.date) else str(value)


class Entry(Model):
    """A sourced catalog number in canonical units, with its range."""

    kind: ClassVar[str] = "number"
    value: float
    low: float | None = None
    high: float | None = None
    source: SourceIds
    note: str = ""
    #: not published: worked out from other figures (its note says how); its range is wide
    derived: bool = False

    @model_validator(mode="before")
    @classmethod
    def _read_units(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("a catalog entry is {value: ..., low: ..., high: ..., source: ...}")
        return {
            key: read_leaf(item, cls.kind) if key in ("value", "low", "high") else item
            for key, item in data.items()
        }

    @model_validator(mode="after")
    def _check_range(self) -> Entry:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if self.low is not None and self.high is not None and not self.low <= self.value <= self.high:
            raise ValueError("needs low <= value <= high")
        if not self.source:
            raise ValueError("every catalog number needs a source")
        return self

    def dist(self) -> Dist:
        """PERT over (low, value, high) where sources disagree, else the value."""
        if self.low is None or self.high is None or self.low == self.high:
            return fixed(self.value)
        return Dist("pert", (self.low, self.value, self.high))


class NumberEntry(Entry):
    kind = "number"


class FractionEntry(Entry):
    kind = "fraction"


class UnitPowerEntry(Entry):
    kind = "unit_power"


class FlopsEntry(Entry):
    kind = "flops"


class MemoryEntry(Entry):
    kind = "memory"


class MoneyEntry(Entry):
    kind = "money"


class DurationEntry(Entry):
    kind = "duration"


_ENTRY_TYPES: dict[str, type[Entry]] = {
    cls.kind: cls
    for cls in (
        NumberEntry,
        FractionEntry,
        UnitPowerEntry,
        FlopsEntry,
        MemoryEntry,
        MoneyEntry,
        DurationEntry,
    )
}
for _kind in ("money_per_power", "money_per_energy", "money_per_power_it", "money_per_area"):
    _ENTRY_TYPES[_kind] = type(f"{_kind.title().replace('_', '')}Entry", (Entry,), {"kind": _kind})


def entry_type(kind: str) -> type[Entry]:
    """The :class:`Entry` subclass reading numbers of ``kind``."""
    return _ENTRY_TYPES[kind]


class AcceleratorEntry(Model):
    """One accelerator generation; every figure is per accelerator package."""

    name: str
    vendor: str
    generation: str = ""
    system: str = ""
    accelerators_per_system: int = Field(ge=1)
    available: float
    chip_tdp_w: UnitPowerEntry = Field(alias="chip_tdp")
    it_power_w: UnitPowerEntry = Field(alias="it_power")
    bf16_flops: FlopsEntry = Field(alias="bf16_dense")
    fp8_flops: FlopsEntry | None = Field(default=None, alias="fp8_dense")
    memory_gb: MemoryEntry = Field(alias="memory")
    price_usd: MoneyEntry = Field(alias="price")
    useful_life_weeks: DurationEntry = Field(alias="useful_life")
    h100_equivalents: NumberEntry = Field(alias="h100_equivalents")
    note: str = ""

    @field_validator("available", mode="before")
    @classmethod
    def _date(cls, value: Any) -> float:
        return read_leaf(value, "date")

    def derived(self) -> dict[str, Entry]:
        """The figures that are derived rather than published, by catalog field name."""
        out = {}
        for name, info in type(self).model_fields.items():
            entry = getattr(self, name)
            if isinstance(entry, Entry) and entry.derived:
                out[info.alias or name] = entry
        return out


def cost_kind(section: str, key: str) -> str:
    """The quantity kind of a costs-catalog entry, from its section and name."""
    if key.endswith("_per_kwh") or key.endswith("_per_mwh") or section == "electricity_price":
        return "money_per_energy"
    if key.endswith("_per_kw"):
        return "money_per_power"
    if key.endswith("_per_mw_it") or key.endswith("_per_mw"):
        return "money_per_power_it"
    if key.endswith("_per_acre"):
        return "money_per_area"
    if "share" in key or "fraction" in key:
        return "fraction"
    if section in ("lead_times", "stages"):
        return "duration"
    if section == "per_gw":
        return "money"
    return "number"


@dataclass(frozen=True)
class Catalog:
    """The built-in catalogs, validated."""

    sources: dict[str, Source]
    accelerators: dict[str, AcceleratorEntry]
    costs: dict[str, dict[str, Entry]]
    sites: _yaml.Document

    def cost(self, section: str, key: str) -> Entry:
        """One costs-catalog entry (``KeyError`` naming what exists if missing)."""
        try:
            return self.costs[section][key]
        except KeyError:
            known = sorted(self.costs.get(section, {}))
            raise KeyError(f"no cost {section}.{key}; known: {known}") from None


def _read(name: str) -> _yaml.Document:
    text = resources.files("gigawatt.data").joinpath(name).read_text(encoding="utf-8")
    return _yaml.load(text, f"gigawatt/data/{name}")


def _validate(
    doc: _yaml.Document, path: tuple[str | int, ...], model: type[Model], data: Any, problems: list[Problem]
) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems.extend(doc.problem((*path, *error["loc"]), _message(error)) for error in exc.errors())
        return None


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _sources(doc: _yaml.Document, problems: list[Problem]) -> dict[str, Source]:
    out = {}
    for key, item in (doc.data.get("sources") or {}).items():
        source = _validate(doc, ("sources", key), Source, item, problems)
        if source is not None:
            out[key] = source
    return out


def check_source_ids(doc: _yaml.Document, sources: Mapping[str, Source], problems: list[Problem]) -> None:
    """A located problem for every ``source:`` id in ``doc`` that ``sources`` does not define: a
    typo in a citation would leave a number unsourced without a word."""

    def walk(node: Any, path: tuple[str | int, ...]) -> None:
        if isinstance(node, dict):
            for key, item in node.items():
                if key == "source":
                    for index, sid in enumerate([item] if isinstance(item, str) else item or []):
                        if sid not in sources:
                            problems.append(
                                doc.problem(
                                    (*path, key, index) if not isinstance(item, str) else (*path, key),
                                    f"unknown source {sid!r}",
                                )
                            )
                elif key != "sources":
                    walk(item, (*path, key))
        elif isinstance(node, list):
            for index, item in enumerate(node):
                walk(item, (*path, index))

    walk(doc.data, ())


@cache
def load_catalog() -> Catalog:
    """Read and validate the built-in catalogs (once per process)."""
    problems: list[Problem] = []
    acc_doc, cost_doc, site_doc = _read("accelerators.yaml"), _read("costs.yaml"), _read("sites.yaml")
    sources: dict[str, Source] = {}
    for doc in (acc_doc, cost_doc, site_doc):
        own = _sources(doc, problems)
        check_source_ids(doc, own, problems)
        sources.update(own)
    accelerators = {}
    for key, item in (acc_doc.data.get("accelerators") or {}).items():
        acc = _validate(acc_doc, ("accelerators", key), AcceleratorEntry, item, problems)
        if acc is not None:
            accelerators[key] = acc
    costs: dict[str, dict[str, Entry]] = {}
    for section, items in cost_doc.data.items():
        if section == "sources":
            continue
        costs[section] = {}
        for key, item in (items or {}).items():
            cost = _validate(cost_doc, (section, key), entry_type(cost_kind(section, key)), item, problems)
            if cost is not None:
                costs[section][key] = cost
    if problems:
        raise ScenarioError(problems)
    return Catalog(sources, accelerators, costs, site_doc)
