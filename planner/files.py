"""Writing output files atomically, never overwriting without being asked."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from planner.errors import InputError


def check_target(path: str | Path, *, overwrite: bool = False) -> Path:
    """The output path, its folder created; errors for a directory or a file not to replace."""
    target = Path(path)
    if target.is_dir():
        raise InputError("is a directory", file=str(path), allowed="give a file path")
    if target.exists() and not overwrite:
        raise InputError("already exists", file=str(path), allowed="pass --force to overwrite it")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=str(path)) from None
    return target


def write_atomic(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` to ``path`` through a temporary file and a rename.

    A missing parent folder is created. An existing file is replaced only with
    ``overwrite``; a directory or an unwritable place gives an InputError.
    """
    target = check_target(path, overwrite=overwrite)
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=str(path)) from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual mode
        os.replace(temp, target)
    except OSError as exc:
        Path(temp).unlink(missing_ok=True)
        raise InputError(f"cannot write here: {exc.strerror}", file=str(path)) from None
    return target
