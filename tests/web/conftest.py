"""What the dashboard's browser tests share: a run store and the dashboard served on it, per module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gigawatt.web.local import serving


@pytest.fixture(scope="module")
def store_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def server(store_root: Path) -> Iterator[str]:
    with serving(store_root) as url:
        yield url
