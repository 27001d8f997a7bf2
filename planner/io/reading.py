"""One reading layer for every file the planner opens: scenarios, law files and CSV tables.

Every read goes through :func:`read_bytes`, which opens the path without blocking
(``O_NONBLOCK``), refuses anything but a regular file (a FIFO, ``/dev/zero``, a symlink to
a device), and enforces a byte limit *while reading* (``st_size`` is not trusted: it is 0 for
FIFOs and devices). Text must be UTF-8; an undecodable byte is reported with its offset.

YAML and JSON are parsed by :mod:`planner.io.documents` with bounds (:mod:`planner.limits`):
depth, alias expansion ("billion laughs"), duplicate and unhashable keys, non-finite numbers.
CSV tables go to pandas only after the header's width and the row count are checked. Every failure is an :class:`~planner.errors.InputError` naming the
file; no message echoes more than :data:`~planner.limits.SHOWN_CHARS` characters of a value.
"""

from __future__ import annotations

import csv
import errno
import os
import stat
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, shown, shown_text
from planner.io.documents import parse_mapping
from planner.limits import MAX_CSV_COLUMNS, MAX_CSV_ROWS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "STDIN",
    "digest",
    "parse_mapping",
    "read_bytes",
    "read_csv_frame",
    "read_mapping",
    "read_text",
]

_CHUNK = 1 << 20
_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _open_error(exc: OSError, file: str, what: str) -> InputError:
    """An InputError for a failed open or read, by errno."""
    if exc.errno == errno.ENOENT:
        return InputError(f"{what} not found", file=file)
    if exc.errno in (errno.EACCES, errno.EPERM):
        return InputError(
            f"permission denied: cannot read this {what}",
            file=file,
            allowed="make it readable (chmod u+r) or give another file",
        )
    if exc.errno == errno.ENAMETOOLONG:
        return InputError(
            f"file name is too long ({len(file):,} characters)",
            file=file,
            allowed="at most 255 characters per file or folder name",
        )
    if exc.errno == errno.ELOOP:
        return InputError("too many levels of symbolic links", file=file)
    if exc.errno == errno.ENOTDIR:
        return InputError("a folder in this path is a file", file=file)
    if exc.errno == errno.EISDIR:
        return InputError(f"is a directory, not a {what}", file=file)
    return InputError(f"cannot read this {what}: {exc.strerror or exc}", file=file)


STDIN = "-"
"""The file name that means standard input (``cat s.yaml | planner run -``)."""
_STDIN_READ: list[bytes] = []
"""What standard input held, once read (a scenario's digest is taken from it)."""


def digest(path: str | Path) -> str:
    """SHA-256 of a file read earlier (of standard input's bytes for ``-``), for provenance."""
    import hashlib

    if os.fspath(path) == STDIN:
        return hashlib.sha256(_STDIN_READ[0] if _STDIN_READ else b"").hexdigest()
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _read_stdin(*, limit: int, what: str) -> bytes:
    """Standard input, at most ``limit`` bytes; it can be read once per process."""
    import sys

    if _STDIN_READ:
        raise InputError(
            f"standard input was already read; a second {what} cannot come from it too",
            file=STDIN,
            allowed="give the other inputs as file paths",
        )
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise InputError(f"no standard input to read the {what} from", file=STDIN)
    if sys.stdin.isatty():
        raise InputError(
            f"'-' reads the {what} from standard input, which is a terminal here",
            file=STDIN,
            allowed="pipe the file in (cat s.yaml | planner run -) or give its path",
        )
    data = bytes(stream.read(limit + 1))
    _STDIN_READ.append(data)
    if len(data) > limit:
        raise InputError(
            f"is larger than {limit:,} bytes",
            file=STDIN,
            allowed=f"a {what} is at most {limit:,} bytes",
        )
    return data


def read_bytes(path: str | Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened with ``O_NONBLOCK`` and checked with ``fstat`` before any read, so a
    FIFO or a device never blocks or streams forever; at most ``limit + 1`` bytes are read.
    """
    file = os.fspath(path)
    if not file:
        raise InputError(f"empty file name for the {what}")
    if file == STDIN:
        return _read_stdin(limit=limit, what=what)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(file, flags)
    except OSError as exc:
        raise _open_error(exc, file, what) from None
    except ValueError:  # an embedded NUL character
        raise InputError("file name contains a NUL character", file=repr(file)[1:-1]) from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(
                f"is a directory, not a {what}", file=file, allowed=f"give the path of a {what}"
            )
        if not stat.S_ISREG(mode):
            kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
            raise InputError(
                f"is {kind}, not a regular file",
                file=file,
                allowed=f"give a {what} that is a regular file",
            )
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = os.read(fd, min(_CHUNK, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise InputError(
                    f"is larger than {limit:,} bytes",
                    file=file,
                    allowed=f"a {what} is at most {limit:,} bytes",
                )
    except OSError as exc:
        raise _open_error(exc, file, what) from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _wide_encoding(data: bytes) -> str | None:
    """ "UTF-16" or "UTF-32" when the bytes start with that byte-order mark, or look like
    ASCII text in it (every second or fourth byte NUL); else None."""
    if data.startswith((b"\xff\xfe\0\0", b"\0\0\xfe\xff")):
        return "UTF-32"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "UTF-16"
    head = data[:200]
    if len(head) >= 8 and head.count(b"\0") * 2 >= len(head) - 1:
        if head[1::2].count(0) == len(head[1::2]) or head[0::2].count(0) == len(head[0::2]):
            return "UTF-16"
        return "UTF-32"
    return None


def read_text(path: str | Path, *, limit: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (a leading BOM is dropped)."""
    file = os.fspath(path)
    data = read_bytes(path, limit=limit, what=what)
    encoding = _wide_encoding(data)
    if encoding:
        raise InputError(
            f"is {encoding} text, not UTF-8",
            file=file,
            allowed=f"save the file as UTF-8 (e.g. iconv -f {encoding} -t UTF-8)",
        )
    nul = data.find(b"\0")
    if nul >= 0:
        raise InputError(
            f"contains a NUL byte at offset {nul:,}: a binary file, not a {what}", file=file
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"is not UTF-8 text: byte 0x{data[exc.start]:02x} at offset {exc.start:,} (line {line})",
            file=file,
            allowed="save the file as UTF-8",
        ) from None


def read_mapping(
    path: str | Path, *, limit: int, what: str = "file", expected: str = ""
) -> dict[str, Any]:
    """A YAML (or, for a ``.json`` suffix, JSON) file whose top level is a mapping."""
    file = os.fspath(path)
    text = read_text(path, limit=limit, what=what)
    return parse_mapping(
        text,
        file=file,
        json_format=file.lower().endswith(".json")
        or (file == STDIN and text.lstrip().startswith("{")),
        what=what,
        expected=expected,
    )


# --- CSV -----------------------------------------------------------------------------------
def read_csv_frame(
    path: str | Path,
    *,
    limit: int,
    what: str = "CSV file",
    max_rows: int = MAX_CSV_ROWS,
    text: str | None = None,
) -> pd.DataFrame:
    """A pandas frame from a bounded UTF-8 CSV file (or from ``text`` already read, named ``path``)."""
    import pandas as pd

    file = os.fspath(path)
    if text is None:
        text = read_text(path, limit=limit, what=what)
    if not text.strip():
        raise InputError(
            "file is empty", file=file, allowed=f"a {what} has a header row and one row per run"
        )
    first_line = text[: text.find("\n")] if "\n" in text else text
    try:
        header = next(csv.reader([first_line]), [])
    except csv.Error:  # e.g. a field over csv's size limit: pandas reports it below
        header = []
    if len(header) > MAX_CSV_COLUMNS:
        raise InputError(
            f"has {len(header):,} columns",
            file=file,
            allowed=f"at most {MAX_CSV_COLUMNS:,} columns",
        )
    names = [name.strip() for name in header]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:  # pandas would rename the second to 'loss.1' and silently use the first
        raise InputError(
            f"column {shown(twice[0])} appears more than once in the header",
            file=file,
            allowed="one column per name; rename or remove the copy",
        )
    rows = text.count("\n")
    if rows > max_rows + 1:
        raise InputError(
            f"has more than {max_rows:,} rows", file=file, allowed=f"at most {max_rows:,} rows"
        )
    try:
        return pd.read_csv(StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError) as exc:
        raise InputError(f"not a readable CSV: {shown_text(str(exc).strip())}", file=file) from None
