"""Reading scenario files and turning schema violations into messages a user can act on.

Also applies variants: each is a set of field-path overrides of the base scenario
(``training.accelerator: h200``, ``data.web.share: 0.3``), validated as a whole
scenario of its own.
"""

from __future__ import annotations

import copy
import difflib
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from planner.errors import InputError
from planner.schema import Scenario

UNION_TAGS = ("chinchilla", "kaplan")
"""Tags pydantic puts in error locations inside the law union; not field names."""

MAX_FILE_BYTES = 1_000_000
"""Scenario files above this size are refused (a scenario is a few kB)."""


@dataclass(frozen=True)
class Plan:
    """One plan to estimate: the base scenario or one of its variants, fully resolved."""

    name: str
    description: str
    scenario: Scenario


class _UniqueKeyLoader(yaml.SafeLoader):
    """Safe loader that refuses duplicate keys instead of keeping the last one."""


def _mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON file into a mapping, with clear errors for every way it can fail."""
    file = str(path)
    target = Path(path)
    if not target.exists():
        raise InputError("file not found", file=file)
    if target.is_dir():
        raise InputError("is a directory, not a scenario file", file=file)
    size = target.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InputError(
            f"file is {size:,} bytes", file=file, allowed=f"scenario files are at most {MAX_FILE_BYTES:,} bytes"
        )
    try:
        text = target.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError("file is not UTF-8 text", file=file) from None
    if not text.strip():
        raise InputError("file is empty", file=file, allowed="expected a scenario mapping (name, model, training, data)")
    try:
        if target.suffix.lower() == ".json":
            document = json.loads(text)
        else:
            document = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except json.JSONDecodeError as exc:
        raise InputError(f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}", file=file) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"malformed YAML{where}: {problem}", file=file) from None
    if not isinstance(document, dict):
        raise InputError(
            f"top level is a {type(document).__name__}, not a mapping",
            file=file,
            allowed="expected keys such as name, model, training, data",
        )
    return document


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (YAML or JSON); variants are checked too."""
    document = read_document(path)
    law = document.get("law")
    if isinstance(law, dict) and isinstance(law.get("file"), str) and not Path(law["file"]).is_absolute():
        # a law file is found next to the scenario file that names it
        document = {**document, "law": {**law, "file": str(Path(path).parent / law["file"])}}
    scenario = validate(document, file=str(path))
    plans(scenario, file=str(path))  # every variant must validate as well
    return scenario


def validate(document: dict[str, Any], *, file: str | None = None, prefix: str | None = None) -> Scenario:
    """Validate a mapping as a Scenario, raising one InputError naming every problem."""
    try:
        return Scenario.model_validate(document)
    except ValidationError as exc:
        raise _translate(exc, document, file, prefix) from None
    except InputError as exc:
        raise exc.located(file, prefix) from None


def plans(scenario: Scenario, *, file: str | None = None) -> list[Plan]:
    """The base scenario and each variant, resolved and validated."""
    base = scenario.model_dump(exclude={"variants", "baseline"})
    out = [Plan(scenario.base_plan, scenario.description, scenario.model_copy(update={"variants": [], "baseline": None}))]
    for variant in scenario.variants:
        document = copy.deepcopy(base)
        for path, value in variant.set.items():
            try:
                set_path(document, path, value, where=f"variants.{variant.name}.set")
            except InputError as exc:
                raise exc.located(file) from None
        resolved = validate(document, file=file, prefix=f"variants.{variant.name}")
        out.append(Plan(variant.name, variant.description, resolved))
    return out


def set_path(document: dict[str, Any], path: str, value: Any, *, where: str = "") -> None:
    """Set ``value`` at a dotted field path; list items (data sources) are addressed by name.

    >>> doc = {"training": {"tokens": 1.0}, "data": [{"name": "web", "share": 1.0}]}
    >>> set_path(doc, "data.web.share", 0.5); doc["data"][0]["share"]
    0.5
    >>> set_path(doc, "training.tokenz", 2)
    Traceback (most recent call last):
    ...
    planner.errors.InputError: training.tokenz: unknown field 'tokenz'; did you mean 'tokens'?
    """
    parts = path.split(".")
    node: Any = document
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        here = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            names = [item.get("name") for item in node if isinstance(item, dict)]
            if part in names:
                index = names.index(part)
            elif part.isdigit() and int(part) < len(node):
                index = int(part)
            else:
                raise InputError(
                    f"no item named {part!r}",
                    field=_join(where, here),
                    allowed=f"names here: {', '.join(map(str, names)) or 'none'}",
                )
            if last:
                node[index] = value
                return
            node = node[index]
        elif isinstance(node, dict):
            if part not in node:
                raise InputError(
                    f"unknown field {part!r}" + _suggest(part, list(node)), field=_join(where, here)
                )
            if last:
                node[part] = value
                return
            if node[part] is None:
                raise InputError(
                    "is not set in the base scenario, so it has no fields to change",
                    field=_join(where, here),
                    allowed=f"set the whole {here} instead",
                )
            node = node[part]
        else:
            raise InputError("is a value, not a group of fields", field=_join(where, ".".join(parts[:depth])))


def _join(*parts: str | None) -> str:
    return ".".join(p for p in parts if p)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _translate(exc: ValidationError, document: dict[str, Any], file: str | None, prefix: str | None) -> InputError:
    """One readable line per pydantic error: where, what, the value, what is allowed."""
    lines = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        field = _join(prefix, _path(loc, document))
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        value = error.get("input")
        if kind == "extra_forbidden":
            name = str(loc[-1])
            allowed = _allowed_fields(loc[:-1])
            lines.append(
                f"{field}: unknown field {name!r}{_suggest(name, allowed)} "
                f"(allowed here: {', '.join(allowed)})"
            )
        elif kind == "missing":
            lines.append(f"{field}: required field is missing")
        elif not loc or "(got " in message or isinstance(value, dict):
            lines.append(f"{field + ': ' if field else ''}{message}")
        else:
            lines.append(f"{field}: {message} (got {value!r})")
    where = f"{file}: " if file else ""
    if len(lines) == 1:
        return InputError(where + lines[0])
    return InputError(where + f"{len(lines)} problems:\n  " + "\n  ".join(lines))


def _path(loc: tuple[Any, ...], document: Any) -> str:
    """Dotted path for a pydantic location; list items are named by their ``name`` if any."""
    parts: list[str] = []
    node = document
    for item in loc:
        if isinstance(item, int):
            name = node[item].get("name") if isinstance(node, list) and item < len(node) and isinstance(node[item], dict) else None
            parts.append(str(name) if name else str(item))
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            if item in UNION_TAGS and not (isinstance(node, dict) and item in node):
                continue
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the schema model at a location."""
    model: Any = Scenario
    for item in loc:
        if isinstance(item, int) or item in UNION_TAGS:
            continue
        field = model.model_fields.get(item) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return []
        model = _model_in(field.annotation)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return list(model.model_fields)
    return []


def _model_in(annotation: Any) -> Any:
    """The pydantic model inside Optional[...], list[...] or Annotated[...], if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _model_in(typing.get_args(annotation)[0])
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
