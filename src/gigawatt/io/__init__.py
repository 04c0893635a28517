"""Files read at the boundary from outside formats: Epoch AI's public CSVs (:mod:`.epoch`)."""

from __future__ import annotations

from collections.abc import Callable

from gigawatt.io.epoch import Imported, Issue, Row, read_rows
from gigawatt.io.epoch_clusters import import_gpu_clusters
from gigawatt.io.epoch_hardware import import_hardware
from gigawatt.io.epoch_timelines import TimelineRow, import_data_centers, read_timelines

__all__ = [
    "IMPORTERS",
    "Imported",
    "Issue",
    "Row",
    "TimelineRow",
    "import_data_centers",
    "import_gpu_clusters",
    "import_hardware",
    "read_rows",
    "read_timelines",
]

#: Importer kinds of the ``gigawatt import`` command.
IMPORTERS: dict[str, Callable[..., Imported]] = {
    "epoch-data-centers": import_data_centers,
    "epoch-gpu-clusters": import_gpu_clusters,
    "epoch-hardware": import_hardware,
}
