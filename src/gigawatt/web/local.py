"""The dashboard served inside this process on a free loopback port, and the headless
Chromium that drives it: what the browser tests and the README screenshots share."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from gigawatt.errors import GigawattError
from gigawatt.web.app import create_app

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "serving"]

#: Debian's Chromium (installed by `make test`), launched headless as root with no
#: background networking on a closed network.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def serving(store_root: str | Path, start_timeout_s: float = 20.0) -> Iterator[str]:
    """The dashboard on ``store_root``, served from a background thread; yields its URL and
    stops it on exit."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(store_root), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        end = time.monotonic() + start_timeout_s
        while not server.started and time.monotonic() < end:
            time.sleep(0.05)
        if not server.started:
            raise GigawattError(f"the dashboard did not start within {start_timeout_s:g} s")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
