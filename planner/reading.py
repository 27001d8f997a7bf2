"""One reading layer for every file the planner opens: scenarios, law files and CSV tables.

Every read goes through :func:`read_bytes`, which opens the path without blocking
(``O_NONBLOCK``), refuses anything but a regular file (a FIFO, ``/dev/zero``, a symlink to
a device), and enforces a byte limit *while reading* (``st_size`` is not trusted: it is 0 for
FIFOs and devices). Text must be UTF-8; an undecodable byte is reported with its offset.

YAML and JSON are parsed with bounds (:mod:`planner.limits`): nesting depth is checked on the
flat event stream before any recursive step, YAML alias expansion is measured on the node
graph before anything is constructed ("billion laughs"), and duplicate or unhashable keys are
errors in both formats. Every failure is an :class:`~planner.errors.InputError` naming the
file; no message echoes more than :data:`~planner.limits.SHOWN_CHARS` characters of a value.
"""

from __future__ import annotations

import csv
import errno
import json
import math
import os
import re
import stat
from io import StringIO
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from planner.errors import InputError, shown
from planner.limits import MAX_CSV_COLUMNS, MAX_CSV_ROWS, MAX_DEPTH, MAX_YAML_NODES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["parse_mapping", "read_bytes", "read_csv_frame", "read_mapping", "read_text"]

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


def read_bytes(path: str | Path, *, limit: int, what: str = "file") -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened with ``O_NONBLOCK`` and checked with ``fstat`` before any read, so a
    FIFO or a device never blocks or streams forever; at most ``limit + 1`` bytes are read.
    """
    file = os.fspath(path)
    if not file:
        raise InputError(f"empty file name for the {what}")
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


def read_text(path: str | Path, *, limit: int, what: str = "file") -> str:
    """The UTF-8 text of a regular file of at most ``limit`` bytes (a leading BOM is dropped)."""
    file = os.fspath(path)
    data = read_bytes(path, limit=limit, what=what)
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
        text, file=file, json_format=file.lower().endswith(".json"), what=what, expected=expected
    )


def parse_mapping(
    text: str, *, file: str, json_format: bool = False, what: str = "file", expected: str = ""
) -> dict[str, Any]:
    """Parse YAML or JSON text with bounded depth and size; the top level must be a mapping."""
    if not text.strip():
        raise InputError("file is empty", file=file, allowed=expected or None)
    try:
        document = _json(text, file) if json_format else _yaml(text, file)
    except RecursionError:  # a safety net: depth is checked before parsing
        raise InputError(f"nested too deeply; at most {MAX_DEPTH} levels", file=file) from None
    if not isinstance(document, dict):
        raise InputError(
            f"top level is {_kind(document)}, not a mapping", file=file, allowed=expected or None
        )
    return document


def _kind(value: object) -> str:
    return "empty" if value is None else f"a {type(value).__name__}"


# --- JSON ----------------------------------------------------------------------------------
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)


class _Problem(Exception):
    """A problem found inside a parser hook, turned into an InputError by the caller."""


def _json_depth(text: str) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings (linear, no recursion)."""
    import numpy as np

    skeleton = _JSON_STRING.sub("", text).encode("utf-8", "replace")
    codes = np.frombuffer(skeleton, dtype=np.uint8)
    steps = np.isin(codes, (ord("["), ord("{"))).astype(np.int64) - np.isin(
        codes, (ord("]"), ord("}"))
    )
    return int(np.cumsum(steps).max(initial=0))


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Problem(f"duplicate key {shown(key)}")
        out[key] = value
    return out


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Problem(
            f"number {shown(text)} is too large for a 64-bit float (at most about 1.8e308)"
        )
    return number


def _no_constant(text: str) -> float:
    raise _Problem(f"{text} is not a number JSON allows; give a finite number")


def _json(text: str, file: str) -> Any:
    if _json_depth(text) > MAX_DEPTH:
        raise InputError(
            f"nested more than {MAX_DEPTH} levels deep",
            file=file,
            allowed=f"at most {MAX_DEPTH} levels of lists and mappings",
        )
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_pairs,
            parse_float=_finite_float,
            parse_constant=_no_constant,
        )
    except json.JSONDecodeError as exc:
        raise InputError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file
        ) from None
    except _Problem as exc:
        raise InputError(str(exc), file=file) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"cannot read a value: {shown_text(str(exc))}", file=file) from None


# --- YAML ----------------------------------------------------------------------------------
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"


class _Loader(_BaseLoader):  # type: ignore[misc]
    """Safe loader (libyaml when available) refusing duplicate and unhashable keys."""


def _mapping(loader: Any, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == _MERGE:
            continue
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a key is {_kind(key)}, not a name (unhashable key)",
                key_node.start_mark,
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shown(key)}", key_node.start_mark
            )
        seen.add(key)
    return dict(loader.construct_mapping(node))


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def _where(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _check_depth(text: str, file: str) -> None:
    """Refuse nesting deeper than MAX_DEPTH from the flat event stream (no recursion)."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise InputError(
                    f"nested more than {MAX_DEPTH} levels deep{_where(event.start_mark)}",
                    file=file,
                    allowed=f"at most {MAX_DEPTH} levels of lists and mappings",
                )
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, file: str) -> None:
    """Count the values the document holds once aliases are expanded (memoised, iterative).

    A scalar counts 1; a collection 1 plus its children, each shared collection counted once
    per reference but computed once, so a billion-laughs file costs its size, not its expansion.
    """
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    scalar = yaml.ScalarNode
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            size = 1 + sum(1 if type(c) is scalar else sizes[id(c)] for c in _children(node))
            sizes[key] = size
            if size > MAX_YAML_NODES:
                raise InputError(
                    f"aliases expand to more than {MAX_YAML_NODES:,} values{_where(node.start_mark)}",
                    file=file,
                    allowed="write the values out, or use fewer nested aliases (*name)",
                )
            continue
        if key in sizes or type(node) is scalar:
            continue
        open_nodes.add(key)
        stack.append((node, True))
        for child in _children(node):
            if type(child) is scalar:
                continue
            if id(child) in open_nodes:
                raise InputError(
                    f"an alias refers to a value that contains it{_where(child.start_mark)}",
                    file=file,
                    allowed="aliases may not be recursive",
                )
            if id(child) not in sizes:
                stack.append((child, False))


def _yaml(text: str, file: str) -> Any:
    try:
        _check_depth(text, file)
        loader = _Loader(text)
        try:
            root = loader.get_single_node()
            if root is None:
                return None
            _check_expansion(root, file)
            return loader.construct_document(root)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        if context and getattr(exc, "problem", None):
            problem = f"{context}, {problem}"
        raise InputError(
            f"malformed YAML{_where(mark)}: {shown_text(problem)}", file=file
        ) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. an integer of 5,000 digits
        raise InputError(f"cannot read a value: {shown_text(str(exc))}", file=file) from None


def shown_text(text: str, limit: int = 160) -> str:
    """A parser's message cut to ``limit`` characters (parsers quote the offending text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
    rows = text.count("\n")
    if rows > max_rows + 1:
        raise InputError(
            f"has more than {max_rows:,} rows", file=file, allowed=f"at most {max_rows:,} rows"
        )
    try:
        return pd.read_csv(StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OverflowError) as exc:
        raise InputError(f"not a readable CSV: {shown_text(str(exc).strip())}", file=file) from None
