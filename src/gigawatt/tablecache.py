"""PERT draws' Beta quantile tables kept between commands in a file, so that a run does not
compute them again: Stargate has 81 PERT shapes, ~0.3 s of CPU before its first block
(:func:`gigawatt.distributions.beta_quantile_table`), paid while the other cores wait.

The file is ``$GIGAWATT_CACHE_DIR`` (else ``$XDG_CACHE_HOME/gigawatt``, else
``~/.cache/gigawatt``) ``/beta-quantiles-scipy<version>-<steps>.npz``: one per scipy version
and table size, since the tables are scipy's ``betainc`` and another version may differ in the
last bits; a table read back is the table computed, bit for bit. ``GIGAWATT_CACHE_DIR=""``
turns the cache off. It is only a cache: a file that cannot be read or does not hold valid
tables is ignored (and written anew), and a folder that cannot be written means no cache.
Writes go through a temporary file and a rename, so a concurrent command never reads half a
file; tables another command added meanwhile are kept.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import tempfile
from pathlib import Path

import numpy as np
import scipy

from gigawatt import distributions

__all__ = ["FileTableStore", "cache_dir", "install"]

#: Most tables a file keeps (~65 KB each), the newest: a file read whole by every command.
MOST_TABLES = 512


def cache_dir() -> Path | None:
    """The cache folder the environment names (None: turned off)."""
    named = os.environ.get("GIGAWATT_CACHE_DIR")
    if named is not None:
        return Path(named).expanduser() if named else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "gigawatt"


class FileTableStore:
    """A :class:`gigawatt.distributions.TableStore` over one ``.npz`` file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        steps = distributions._QUANTILE_STEPS
        self.path = folder / f"beta-quantiles-scipy{scipy.__version__}-{steps}.npz"
        self._read: dict[tuple[float, float], np.ndarray] | None = None  # the file, on first use
        self._new: dict[tuple[float, float], np.ndarray] = {}

    def get(self, a: float, b: float) -> np.ndarray | None:
        if self._read is None:
            self._read = self._load()
        return self._read.get((a, b))

    def put(self, a: float, b: float, quantiles: np.ndarray) -> None:
        self._new[a, b] = quantiles

    def save(self) -> None:
        """Write the tables computed here, with those the file holds now; never raises."""
        if not self._new:
            return
        tables = dict(list({**self._load(), **self._new}.items())[-MOST_TABLES:])
        shapes = np.array(list(tables), dtype=np.float64).reshape(-1, 2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(handle, "wb") as out:
                np.savez(out, shapes=shapes, quantiles=np.stack(list(tables.values())))
            os.replace(temporary, self.path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            return
        self._new.clear()

    def _load(self) -> dict[tuple[float, float], np.ndarray]:
        """The file's tables, or none where it is missing or not a valid set of tables."""
        try:
            with np.load(self.path, allow_pickle=False) as data:
                shapes, quantiles = data["shapes"], data["quantiles"]
        except (OSError, ValueError, KeyError, EOFError):
            return {}
        width = distributions._QUANTILE_STEPS + 1
        if not (
            shapes.dtype == quantiles.dtype == np.float64
            and shapes.ndim == quantiles.ndim == 2
            and shapes.shape == (quantiles.shape[0], 2)
            and quantiles.shape[1] == width
            and np.all((quantiles >= 0.0) & (quantiles <= 1.0))  # also false for NaN
            and np.all(np.diff(quantiles, axis=1) >= 0.0)
        ):
            return {}
        return {(float(a), float(b)): row for (a, b), row in zip(shapes, quantiles, strict=True)}


def install() -> FileTableStore | None:
    """Use the environment's cache file for this process's tables (saved when it exits);
    once per process. None where the cache is turned off."""
    if isinstance(distributions.table_store, FileTableStore):
        return distributions.table_store
    folder = cache_dir()
    if folder is None:
        return None
    store = FileTableStore(folder)
    distributions.table_store = store
    atexit.register(store.save)
    return store
