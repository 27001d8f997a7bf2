"""Writing output files: checked before the work, atomic, all-or-none, never left half-written.

The API, smallest first:

- :func:`check_targets` — call it *before* the work starts, with every output a command will
  write. It refuses duplicates, directories, anything that is not a regular file (even with
  ``overwrite``: a device node never becomes a regular file), existing files without
  ``overwrite``, over-long names and unwritable folders, each as an InputError.
- :func:`outputs` — a context manager staging several outputs at once::

      with outputs({"--output": out_path, "--html": html_path}, overwrite=force) as staged:
          staged["--output"].write_text(text)               # a temporary file beside the target
          write_parquet_in_chunks(staged["--html"], ...)    # or any writer that takes a path

  On a clean exit every temporary becomes its target (``os.link``, which fails if the target
  appeared meanwhile, so no-overwrite is atomic; ``os.replace`` with ``overwrite``); on an
  exception, ``KeyboardInterrupt`` or SIGTERM/SIGHUP every temporary is removed and no target
  is written. ``None`` paths are skipped, so optional outputs can be passed as they are.
- :func:`staged_output` — the same for one target, yielding its temporary path: the streaming
  form for large CSV or Parquet written chunk by chunk.
- :func:`write_atomic` — one text file in one call.

Every output gets the usual permissions, ``0666 & ~umask``, binary ones included.
"""

from __future__ import annotations

import atexit
import contextlib
import errno
import os
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from planner.errors import InputError

__all__ = ["check_targets", "outputs", "staged_output", "write_atomic"]

NAME_MAX = 255
"""Bytes in one file or folder name on Linux and macOS file systems (``NAME_MAX``)."""
PATH_MAX = 4096
"""Bytes in a whole path on Linux (``PATH_MAX``)."""
_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
_LIVE: set[str] = set()
"""Temporary files being written right now, removed by the signal and exit handlers."""

Targets = Mapping[str, "str | Path | None"] | Iterable["str | Path | None"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _labelled(paths: Targets) -> list[tuple[str | None, str]]:
    items = paths.items() if isinstance(paths, Mapping) else ((None, p) for p in paths)
    return [(label, os.fspath(path)) for label, path in items if path is not None]


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a named pipe (FIFO)"),
        (stat.S_ISSOCK, "a socket"),
    ):
        if test(mode):
            return name
    return "not a regular file"


def _check_one(label: str | None, file: str, overwrite: bool) -> Path:
    """Checks of one target; the path is returned absolute."""
    if not file or "\0" in file:
        raise InputError("is not a usable file name", file=repr(file), field=label)
    if file.endswith(("/", os.sep)) or os.path.basename(file) in (".", ".."):
        raise InputError(
            "names a folder, not a file",
            file=file,
            field=label,
            allowed="give a file path such as out/plan.json",
        )
    encoded = os.fsencode(file)
    long_part = max(encoded.split(b"/"), key=len)
    if len(long_part) > NAME_MAX or len(encoded) > PATH_MAX:
        raise InputError(
            f"file name is too long ({len(file):,} characters)",
            file=file,
            field=label,
            allowed=f"at most {NAME_MAX} bytes per file or folder name, {PATH_MAX} in all",
        )
    target = Path(os.path.abspath(file))
    try:
        mode = os.stat(target).st_mode  # follows symlinks: a link to a device is refused too
    except FileNotFoundError:
        mode = None
    except NotADirectoryError:
        raise InputError(
            "cannot write here: a folder in this path is a file", file=file, field=label
        ) from None
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=file, field=label) from None
    if mode is not None:
        if stat.S_ISDIR(mode):
            raise InputError("is a directory", file=file, field=label, allowed="give a file path")
        if not stat.S_ISREG(mode):
            raise InputError(
                f"is {_kind(mode)}, not a regular file",
                file=file,
                field=label,
                allowed="outputs are written to regular files only, even with --force",
            )
        if not overwrite:
            raise InputError(
                "already exists", file=file, field=label, allowed="pass --force to overwrite it"
            )
    elif os.path.lexists(target) and not overwrite:  # a dangling symlink
        raise InputError(
            "already exists (a broken symbolic link)",
            file=file,
            field=label,
            allowed="pass --force to overwrite it",
        )
    folder = target.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise InputError(
            "cannot write here: a folder in this path is a file", file=file, field=label
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(
            f"cannot write here: permission denied in {folder}", file=file, field=label
        )
    return target


def check_targets(paths: Targets, *, overwrite: bool = False) -> list[Path]:
    """Check every output target before any work: the absolute paths, in order.

    ``paths`` is a mapping (label such as ``"--html"`` → path; the label names the option in
    errors) or a sequence; ``None`` entries are skipped. Raises InputError for a duplicate
    target, a directory, anything not a regular file (even with ``overwrite``), an existing
    file without ``overwrite``, an over-long name or a folder that cannot be written.
    """
    seen: dict[str, str] = {}
    checked = []
    for label, file in _labelled(paths):
        target = _check_one(label, file, overwrite)
        key = os.path.realpath(target)
        if key in seen:
            raise InputError(
                f"is given twice (also as {seen[key]})",
                file=file,
                field=label,
                allowed="give each output its own file",
            )
        seen[key] = label or file
        checked.append(target)
    return checked


def _cleanup() -> None:
    for temp in list(_LIVE):
        with contextlib.suppress(OSError):
            os.unlink(temp)
        _LIVE.discard(temp)


atexit.register(_cleanup)


def _on_signal(signum: int, frame: Any) -> None:
    """Remove live temporaries, then die of the same signal (or call the previous handler)."""
    _cleanup()
    previous = _PREVIOUS.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
        return
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


_PREVIOUS: dict[int, Any] = {}


@contextlib.contextmanager
def _signals_clean_up() -> Iterator[None]:
    """SIGTERM/SIGHUP remove the temporaries while a write is in progress (main thread only;
    SIGINT raises KeyboardInterrupt, which the ``finally`` below handles)."""
    installed: dict[int, Any] = {}
    if threading.current_thread() is threading.main_thread():
        for sig in _SIGNALS:
            current = signal.getsignal(sig)
            if current in (signal.SIG_IGN, _on_signal):
                continue
            with contextlib.suppress(ValueError, OSError):
                signal.signal(sig, _on_signal)
                installed[sig] = _PREVIOUS[sig] = current
    try:
        yield
    finally:
        for sig, handler in installed.items():
            signal.signal(sig, handler)
            _PREVIOUS.pop(sig, None)


def _make_folders(target: Path, created: list[Path]) -> None:
    missing = []
    folder = target.parent
    while not folder.exists():
        missing.append(folder)
        folder = folder.parent
    for folder in reversed(missing):
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise InputError(f"cannot write here: {exc.strerror}", file=str(target)) from None
        created.append(folder)


def _temporary(target: Path) -> str:
    """A new empty file beside ``target`` with the usual permissions, registered for cleanup."""
    stem = target.name if len(os.fsencode(target.name)) <= NAME_MAX - 20 else target.name[:60]
    try:
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{stem}.", suffix=".tmp")
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=str(target)) from None
    _LIVE.add(temp)
    os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600
    os.close(handle)
    return temp


def _commit(temp: str, target: Path, overwrite: bool) -> None:
    try:
        _link_or_replace(temp, target, overwrite)
    except OSError as exc:
        raise InputError(f"cannot write here: {exc.strerror}", file=str(target)) from None


def _link_or_replace(temp: str, target: Path, overwrite: bool) -> None:
    os.chmod(temp, 0o666 & ~_umask())  # a writer may have re-created the file
    if overwrite:
        with contextlib.suppress(FileNotFoundError):
            mode = os.stat(target).st_mode
            if not stat.S_ISREG(mode):
                raise InputError(
                    f"is {_kind(mode)}, not a regular file",
                    file=str(target),
                    allowed="outputs are written to regular files only, even with --force",
                )
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails if the target exists: never replaces, even in a race
    except FileExistsError:
        raise InputError(
            "already exists", file=str(target), allowed="pass --force to overwrite it"
        ) from None
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        # no hard links on this file system: reserve the name exclusively, then rename onto it
        try:
            os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            raise InputError(
                "already exists", file=str(target), allowed="pass --force to overwrite it"
            ) from None
        os.replace(temp, target)


@contextlib.contextmanager
def outputs(
    paths: Mapping[str, str | Path | None], *, overwrite: bool = False
) -> Iterator[dict[str, Path]]:
    """Stage several outputs; all are written when the block exits cleanly, none otherwise.

    Yields ``{label: temporary path}`` for every non-``None`` entry of ``paths``. The targets
    are checked first (:func:`check_targets`). On a clean exit each temporary becomes its
    target; if one target cannot be written (it appeared meanwhile without ``overwrite``),
    the targets already written by this call are removed again and an InputError is raised.
    On any exception or SIGTERM/SIGHUP the temporaries, and the folders this call created,
    are removed.
    """
    labels = [label for label, path in paths.items() if path is not None]
    targets = dict(zip(labels, check_targets(paths, overwrite=overwrite), strict=True))
    created: list[Path] = []
    temps: dict[str, str] = {}
    done: list[Path] = []
    committed = False
    try:
        with _signals_clean_up():
            for label, target in targets.items():
                _make_folders(target, created)
                temps[label] = _temporary(target)
            try:
                yield {label: Path(temp) for label, temp in temps.items()}
            except OSError as exc:  # a full disk, a quota, an I/O error while writing
                if exc.errno is None and not exc.strerror:
                    raise
                named = ", ".join(str(target) for target in targets.values())
                raise InputError(
                    f"cannot write: {exc.strerror or exc}",
                    file=named,
                    allowed="nothing was written; free some space or write elsewhere",
                ) from None
            try:
                for label, target in targets.items():
                    _commit(temps[label], target, overwrite)
                    done.append(target)
            except BaseException:
                if not overwrite:  # what this call linked is ours to take back
                    for target in done:
                        with contextlib.suppress(OSError):
                            os.unlink(target)
                raise
            committed = True
    finally:
        for temp in temps.values():
            with contextlib.suppress(OSError):
                os.unlink(temp)
            _LIVE.discard(temp)
        if not committed:
            for folder in reversed(created):
                with contextlib.suppress(OSError):
                    folder.rmdir()


@contextlib.contextmanager
def staged_output(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """One output written through a temporary path (e.g. chunk by chunk); see :func:`outputs`.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> with staged_output(folder / "rows.csv") as temp:
    ...     with open(temp, "a") as out:
    ...         _ = out.write("a,b\\n")
    >>> (folder / "rows.csv").read_text()
    'a,b\\n'
    """
    with outputs({"output": path}, overwrite=overwrite) as staged:
        yield staged["output"]


def write_atomic(path: str | Path, text: str, *, overwrite: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file; returns ``Path(path)``.

    A missing parent folder is created. An existing file is replaced only with
    ``overwrite``; a directory, a device or an unwritable place gives an InputError.
    """
    with staged_output(path, overwrite=overwrite) as temp:
        temp.write_text(text, encoding="utf-8")
    return Path(path)
