"""Parsing YAML and JSON documents with bounds: depth, alias expansion, keys, numbers.

Nesting depth is checked on the flat YAML event stream (or the JSON bracket skeleton)
before any recursive step; YAML alias expansion is measured on the composed node graph
before anything is constructed ("billion laughs"); duplicate keys are errors in both
formats, unhashable YAML keys too, and JSON ``NaN``/``Infinity`` or numbers that overflow
float64 are refused. Reading files is :mod:`planner.io.reading`; limits are :mod:`planner.limits`.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml

from planner.errors import InputError, shown, shown_text
from planner.limits import MAX_DEPTH, MAX_YAML_NODES

__all__ = ["parse_mapping"]


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
_JSON_SPECIAL = re.compile(r'[\[\]{}"\\]')


class _Problem(Exception):
    """A problem found inside a parser hook, turned into an InputError by the caller."""


def _json_depth(text: str, most: int = MAX_DEPTH) -> int:
    """Deepest nesting of ``[`` and ``{`` outside strings, stopping once past ``most``.

    One pass over the special characters only (brackets, quotes, backslashes): linear in the
    text, whatever its quotes and escapes (a regular expression for strings is quadratic on
    ``"\\"\\"\\"...`` with no closing quote).
    """
    depth = deepest = 0
    in_string = False
    escaped_until = -1
    for match in _JSON_SPECIAL.finditer(text):
        position, char = match.start(), match.group()
        if position < escaped_until:
            continue
        if in_string:
            if char == "\\":
                escaped_until = position + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > most:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


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

MAX_NUMBER_TEXT = 100
"""Characters in a YAML number. Longer ones are refused before conversion: a YAML 1.1
base-60 integer (``1:1:1:...``) costs quadratic big-integer work (6 s for 300 kB)."""


def _number(convert: Any) -> Any:
    def construct(loader: Any, node: yaml.ScalarNode) -> Any:
        if len(node.value) > MAX_NUMBER_TEXT:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"a number written with {len(node.value):,} characters (at most {MAX_NUMBER_TEXT})",
                node.start_mark,
            )
        text = node.value.replace("_", "").lstrip("+-")
        if ":" in text:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} is a YAML 1.1 base-60 number (it would read as "
                f"{_sexagesimal(text)}); write the number itself, or quote it if it is text",
                node.start_mark,
            )
        if len(text) > 1 and text[0] == "0" and text[1].isdigit():
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"{node.value!r} has a leading zero, which YAML 1.1 reads as an octal number "
                f"(it would read as {convert(loader, node)!r}); write it without the leading "
                "zero, or quote it if it is text",
                node.start_mark,
            )
        return convert(loader, node)

    return construct


def _sexagesimal(text: str) -> str:
    """What YAML 1.1 makes of ``1:30`` (90), shown in the message."""
    try:
        total = 0.0
        for part in text.split(":"):
            total = total * 60 + float(part)
    except ValueError:
        return "a base-60 number"
    return f"{total:g}"


def _binary(loader: Any, node: yaml.Node) -> Any:
    raise yaml.constructor.ConstructorError(
        None,
        None,
        "a !!binary value (bytes) has no meaning in a planner file; write text or a number",
        node.start_mark,
    )


_Loader.add_constructor("tag:yaml.org,2002:int", _number(yaml.SafeLoader.construct_yaml_int))
_Loader.add_constructor("tag:yaml.org,2002:float", _number(yaml.SafeLoader.construct_yaml_float))
_Loader.add_constructor("tag:yaml.org,2002:binary", _binary)


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
