"""A block's simulated draws as plain numpy arrays (:class:`Draws`), read the way the engine
reads an xarray Dataset (``ds["online_date"].values``, ``ds.sizes["draw"]``, ``ds.attrs``),
so that a run's blocks are simulated, aggregated and handed between processes without xarray
and pandas (~0.5 s of imports before a run's first block, and a Dataset built per block).
:func:`~gigawatt.engine.simulate_block` gives the labelled Dataset (:meth:`Draws.to_dataset`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np

from gigawatt.engine.model import CAUSES, PhaseInfo

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["BlockData", "Draws"]

#: The phase labels a block's Dataset carries as coordinates (besides the phase id).
PHASE_LABELS = ("site", "country", "region", "operator", "tenant", "programme", "accelerator", "status")


@dataclass(frozen=True)
class Column:
    """One (draw, phase) variable, as ``Dataset[name]`` is read: its ``values``."""

    values: np.ndarray


@dataclass(frozen=True)
class Draws:
    """Draws ``start``.. of every phase: ``arrays`` (name → (draw, phase)), the variables of
    :func:`~gigawatt.engine.simulate_block`'s Dataset, the run's ``seed`` and the phases."""

    arrays: dict[str, np.ndarray]
    start: int
    seed: int
    phases: Sequence[PhaseInfo]

    @property
    def sizes(self) -> dict[str, int]:
        draws, phases = next(iter(self.arrays.values())).shape
        return {"draw": draws, "phase": phases}

    @property
    def attrs(self) -> dict[str, Any]:
        return {"critical_names": list(CAUSES), "seed": self.seed}

    def __getitem__(self, name: str) -> Column:
        if name == "draw":
            return Column(np.arange(self.start, self.start + self.sizes["draw"]))
        return Column(self.arrays[name])

    def head(self, draws: int) -> Draws:
        """The first ``draws`` draws."""
        return Draws({k: v[:draws] for k, v in self.arrays.items()}, self.start, self.seed, self.phases)

    @staticmethod
    def concat(parts: Sequence[Draws]) -> Draws:
        """Consecutive blocks' draws as one."""
        first = parts[0]
        arrays = {k: np.concatenate([p.arrays[k] for p in parts]) for k in first.arrays}
        return Draws(arrays, first.start, first.seed, first.phases)

    def to_dataset(self) -> xr.Dataset:
        """The draws as an xarray Dataset over (draw, phase), with the phases' labels as coordinates.

        Its arrays are numpy arrays already, so they go in as variables (``fastpath``) and its two
        indexes are made from pandas indexes: otherwise xarray checks every array for other array
        kinds, importing Dask, pint and friends where installed (0.3–0.5 s of a run that never
        uses them)."""
        import pandas as pd  # noqa: PLC0415 (only for a labelled Dataset: a run needs none)
        import xarray as xr  # noqa: PLC0415 (see pandas)
        from xarray.indexes import PandasIndex  # noqa: PLC0415 (see pandas)

        draws = xr.Coordinates.from_xindex(
            PandasIndex(pd.Index(np.arange(self.start, self.start + self.sizes["draw"])), "draw")
        )
        ids = np.asarray([ph.id for ph in self.phases])
        phases = xr.Coordinates.from_xindex(PandasIndex(pd.Index(ids), "phase", coord_dtype=ids.dtype))
        labels = phases.assign(
            {
                attr: xr.Variable(
                    "phase", np.asarray([getattr(ph, attr) for ph in self.phases]), fastpath=True
                )
                for attr in PHASE_LABELS
            }
        )
        return xr.Dataset(
            {
                name: xr.Variable(("draw", "phase"), values, fastpath=True)
                for name, values in self.arrays.items()
            },
            coords=draws.merge(labels).coords,
            attrs=self.attrs,
        )


#: What the engine reads a block's draws from: :class:`Draws`, or the Dataset of
#: :func:`~gigawatt.engine.simulate_block` (callers outside the engine hand it that).
BlockData: TypeAlias = "xr.Dataset | Draws"
