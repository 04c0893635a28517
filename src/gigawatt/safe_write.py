"""Writing a file without losing one.

Every file gigawatt writes for a user (plans, reports, exports, imports) goes
through :func:`replacing`: the content goes to a temporary file in the same folder,
is flushed to disk and renamed over the target (``os.replace`` is atomic), so a
reader or a crash sees the old file or the new one, never half of one. A target
that exists is written over only when asked (``force``, the CLI's ``--force``), and
a protected file (an input of the command: a scenario, a file it ``extends``, a
CSV being imported) never.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path

from gigawatt.errors import GigawattError

__all__ = ["WriteRefused", "check_target", "replacing", "write_bytes", "write_text"]


class WriteRefused(GigawattError):
    """A file gigawatt will not write: it exists (without ``--force``), it is one of the
    command's inputs, or it cannot be written."""


def check_target(
    path: str | Path, *, force: bool = False, protected: Iterable[str | Path] = (), what: str = "file"
) -> Path:
    """``path`` if gigawatt may write it, else :class:`WriteRefused` saying why.

    ``protected``: the command's inputs (never written over, even with ``force``)."""
    path = Path(path)
    target = path.resolve()
    for item in protected:
        if Path(item).resolve() == target:
            raise WriteRefused(
                f"{path}: is an input of this command ({item}); refusing to write the {what} over it, "
                "choose another file"
            )
    if path.is_dir():
        raise WriteRefused(f"{path}: is a folder; give a file name for the {what}")
    if path.exists() and not force:
        raise WriteRefused(f"{path}: exists; add --force to write the {what} over it")
    if not path.parent.is_dir():
        raise WriteRefused(f"{path}: no folder {str(path.parent)!r} to write the {what} in")
    return path


@contextlib.contextmanager
def replacing(
    path: str | Path, *, force: bool = False, protected: Iterable[str | Path] = (), what: str = "file"
) -> Iterator[Path]:
    """A temporary path to write; renamed onto ``path`` when the block succeeds, removed if not."""
    final = check_target(path, force=force, protected=protected, what=what)
    temp = final.with_name(f".{final.name}.{os.getpid()}.{secrets.token_hex(3)}.tmp")
    try:
        yield temp
        with open(temp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(temp, final)
    except OSError as exc:
        raise WriteRefused(f"{final}: cannot write the {what}: {exc.strerror or exc}") from None
    finally:
        temp.unlink(missing_ok=True)


def write_bytes(
    path: str | Path,
    data: bytes,
    *,
    force: bool = False,
    protected: Iterable[str | Path] = (),
    what: str = "file",
) -> Path:
    """Write ``data`` to ``path`` atomically (see :func:`replacing`)."""
    with replacing(path, force=force, protected=protected, what=what) as temp:
        temp.write_bytes(data)
    return Path(path)


def write_text(
    path: str | Path,
    text: str,
    *,
    force: bool = False,
    protected: Iterable[str | Path] = (),
    what: str = "file",
) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (see :func:`replacing`)."""
    return write_bytes(path, text.encode("utf-8"), force=force, protected=protected, what=what)
