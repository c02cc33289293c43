"""Atomic file writes: a reader (or an interrupted run) never sees a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o644  # rw-r--r--: results and figures are for everyone to read


def atomic_write_bytes(path: Path, data: bytes, *, overwrite: bool = True) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place (mode 0644).

    With ``overwrite=False`` an existing file is refused, also when another process creates it
    while this one is writing (the final step is a link, which fails if the name exists).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # atomic, and refuses a name that exists (no race)
            except FileExistsError:
                raise FileExistsError(
                    f"{path} exists (written meanwhile by another run?); refusing to overwrite it"
                ) from None
            Path(tmp).unlink()
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_json(path: Path, obj: object, *, overwrite: bool = True) -> None:
    """Write ``obj`` as indented JSON to ``path`` atomically; with ``overwrite=False`` refuse an
    existing file."""
    path = Path(path)
    if not overwrite and path.exists():
        raise FileExistsError(f"{path} exists; refusing to overwrite it (pass the overwrite flag)")
    data = (json.dumps(obj, indent=2, sort_keys=False) + "\n").encode()
    atomic_write_bytes(path, data, overwrite=overwrite)
