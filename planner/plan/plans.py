"""Reading scenario files and turning schema violations into messages a user can act on.

Also applies variants: each is a set of field-path overrides of the base scenario
(``training.accelerator: h200``, ``data.web.share: 0.3``), validated as a whole
scenario of its own.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from planner.compute.plan_terms import check_memory
from planner.errors import InputError, shown, shown_text
from planner.io.reading import read_mapping
from planner.limits import (
    MAX_LIST_ITEMS,
    MAX_NAME_LENGTH,
    MAX_PLAN_SOURCES,
    MAX_SCENARIO_BYTES,
    MAX_SOURCES,
    MAX_VARIANTS,
)
from planner.scenario.schema import Scenario
from planner.scenario.variants import apply_variant, set_path
from planner.scenario.variants import join_path as _join
from planner.scenario.variants import suggestion as _suggest

__all__ = [
    "MAX_FILE_BYTES",
    "Plan",
    "check_size",
    "load_scenario",
    "plans",
    "read_document",
    "set_path",
    "validate",
    "with_hf_config",
]

UNION_TAGS = ("chinchilla", "kaplan")
"""Tags pydantic puts in error locations inside the law union; not field names."""

MAX_FILE_BYTES = MAX_SCENARIO_BYTES
"""Scenario files above this size are refused (see :mod:`planner.limits`)."""
SIZE_LIMITS = {
    "layers": "MAX_LAYERS",
    "dense_layers": "MAX_LAYERS",
    "d_model": "MAX_WIDTH",
    "head_dim": "MAX_WIDTH",
    "ffn_size": "MAX_WIDTH",
    "expert_ffn_size": "MAX_WIDTH",
    "heads": "MAX_HEADS",
    "kv_heads": "MAX_HEADS",
    "vocab_size": "MAX_VOCAB",
    "seq_len": "MAX_SEQ_LEN",
    "experts": "MAX_EXPERTS",
    "top_k": "MAX_EXPERTS",
    "shared_experts": "MAX_EXPERTS",
    "accelerator_count": "MAX_ACCELERATORS",
}
"""Size fields whose upper bound is a sanity bound of :mod:`planner.limits`, named in errors."""
MAX_PROBLEMS = 20
"""Validation problems listed one per line; the rest are counted."""


@dataclass(frozen=True)
class Plan:
    """One plan to estimate: the base scenario or one of its variants, fully resolved."""

    name: str
    description: str
    scenario: Scenario
    notes: tuple[str, ...] = ()
    """What resolving the variant changed beyond its ``set`` (see :mod:`planner.scenario.variants`)."""


def read_document(path: str | Path) -> dict[str, Any]:
    """Read a YAML or JSON scenario file into a mapping (see :mod:`planner.io.reading`).

    Every way the file can fail (missing, not a regular file, over the size limit, not UTF-8,
    malformed, too deep, alias bomb, duplicate keys) is an InputError naming the file; then the
    counts the schema bounds (variants, sources, name lengths) are checked before validation.
    """
    document = read_mapping(
        path,
        limit=MAX_SCENARIO_BYTES,
        what="scenario file",
        expected="expected a scenario mapping (name, model, training, data)",
    )
    check_size(document, file=str(path))
    return document


def check_size(document: dict[str, Any], *, file: str | None = None) -> None:
    """Refuse over-long lists and names before any validation work (one walk of the document).

    Variants, data-source lists (also inside a variant's ``set``), every other list, plans x
    sources and names have limits in :mod:`planner.limits`; checking them here keeps a 1 MB
    file of 15,000 variants, or a variant of 25,000 sources, from taking minutes and gigabytes.
    """
    most_sources = 0
    stack: list[tuple[Any, tuple[Any, ...]]] = [(document, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, dict):
            name = node.get("name")
            if isinstance(name, str) and len(name) > MAX_NAME_LENGTH:
                _too_long(name, _join(*map(str, path), "name"), file)
            stack.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            key = str(path[-1]).rsplit(".", 1)[-1] if path else ""
            if path == ("variants",):
                most, noun = MAX_VARIANTS, "variants"
            elif key == "data":
                most, noun = MAX_SOURCES, "data sources"
                most_sources = max(most_sources, len(node))
            else:
                most, noun = MAX_LIST_ITEMS, "items"
            if len(node) > most:
                raise InputError(
                    f"{len(node):,} {noun}",
                    file=file,
                    field=_join(*map(str, path)),
                    allowed=f"at most {most:,} {noun}",
                )
            stack.extend((value, (*path, i)) for i, value in enumerate(node))
    for key in ("base_plan", "baseline"):
        value = document.get(key)
        if isinstance(value, str) and len(value) > MAX_NAME_LENGTH:
            _too_long(value, key, file)
    variants = document.get("variants")
    plans = len(variants) + 1 if isinstance(variants, list) else 1
    if plans * most_sources > MAX_PLAN_SOURCES:
        raise InputError(
            f"{plans:,} plans of up to {most_sources:,} data sources "
            f"({plans * most_sources:,} in all)",
            file=file,
            field="variants",
            allowed=f"at most {MAX_PLAN_SOURCES:,} plans x sources; split the scenario",
        )


def _too_long(name: str, field: str, file: str | None) -> None:
    raise InputError(
        f"name is {len(name):,} characters long",
        file=file,
        field=field,
        value=name,
        allowed=f"at most {MAX_NAME_LENGTH} characters",
    )


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (YAML or JSON); variants are checked too."""
    document = read_document(path)
    law = document.get("law")
    if (
        isinstance(law, dict)
        and isinstance(law.get("file"), str)
        and not Path(law["file"]).is_absolute()
    ):
        # a law file is found next to the scenario file that names it
        document = {**document, "law": {**law, "file": str(Path(path).parent / law["file"])}}
    downstream = document.get("downstream")
    if isinstance(downstream, dict) and isinstance(downstream.get("tasks"), str):
        # and task-fit files (planner fit-tasks --output)
        from planner.laws.task_fit import TASK_PRESETS

        tasks = Path(downstream["tasks"])
        if not tasks.is_absolute() and downstream["tasks"] not in TASK_PRESETS:
            document = {
                **document,
                "downstream": {**downstream, "tasks": str(Path(path).parent / tasks)},
            }
    model = document.get("model")
    if (
        isinstance(model, dict)
        and isinstance(model.get("hf_config"), str)
        and not Path(model["hf_config"]).is_absolute()
    ):  # so is a model's config.json
        document = {
            **document,
            "model": {**model, "hf_config": str(Path(path).parent / model["hf_config"])},
        }
    mixture = document.get("mixture")
    if isinstance(mixture, dict):  # so are mixture preset files (planner fit-mix --out)
        document = {**document, "mixture": {
            key: {"file": str(Path(path).parent / value["file"])}
            if isinstance(value, dict) and set(value) == {"file"} and isinstance(value["file"], str)
            and not Path(value["file"]).is_absolute() else value
            for key, value in mixture.items()
        }}  # fmt: skip
    variants = document.get("variants")
    if isinstance(variants, list):  # a variant's files are found next to the scenario too
        document = {
            **document,
            "variants": [_beside(v, Path(path).parent) for v in variants],
        }
    scenario = validate(document, file=str(path))
    if scenario.downstream is not None and scenario.downstream.tasks is not None:
        from planner.laws.task_fit import load_task_file

        load_task_file(scenario.downstream.tasks)  # a bad task-fit file fails here, named
    plans(scenario, file=str(path))  # every variant must validate as well
    return scenario


def _relative(value: object) -> bool:
    return isinstance(value, str) and bool(value) and not Path(value).is_absolute()


def _beside(variant: Any, folder: Path) -> Any:
    """A variant whose ``set`` names files (``law.file``, ``mixture.KIND.file``, a ``{file:}``
    mapping, ``model.hf_config``) relative to the scenario file, with those paths joined."""
    if not isinstance(variant, dict) or not isinstance(variant.get("set"), dict):
        return variant
    changed = {}
    for key, value in variant["set"].items():
        names_file = isinstance(key, str) and (key.endswith(".file") or key == "model.hf_config")
        if names_file and _relative(value):
            value = str(folder / value)
        elif isinstance(value, dict) and set(value) == {"file"} and _relative(value["file"]):
            value = {"file": str(folder / value["file"])}
        changed[key] = value
    return {**variant, "set": changed}


def with_hf_config(scenario: Scenario, path: str, *, file: str | None = None) -> Scenario:
    """The scenario with its model replaced by a config.json's (``--hf-config``); the
    architecture's ``seq_len`` is kept from the scenario when it has one."""
    document = scenario.model_dump(exclude_none=True)
    old = scenario.model.architecture
    architecture = {"seq_len": old.seq_len} if old is not None else {}
    document["model"] = {"hf_config": path, "architecture": architecture}
    return validate(document, file=file)


def validate(
    document: dict[str, Any],
    *,
    file: str | None = None,
    prefix: str | None = None,
    context: dict[str, Any] | None = None,
) -> Scenario:
    """Validate a mapping as a Scenario, raising one InputError naming every problem.

    ``context`` reaches the schema's validators (a variant's ``varied_shares``).
    """
    try:
        scenario = Scenario.model_validate(document, context=context)
        check_memory(scenario)  # a layout whose first micro-batch cannot fit
        return scenario
    except ValidationError as exc:
        raise _translate(exc, document, file, prefix) from None
    except InputError as exc:
        raise exc.located(file, prefix) from None


def plans(scenario: Scenario, *, file: str | None = None) -> list[Plan]:
    """The base scenario and each variant, resolved and validated; every variant's problems
    are reported together (see :mod:`planner.scenario.variants`)."""
    base = scenario.model_dump(exclude={"variants", "baseline"})
    out = [
        Plan(
            scenario.base_plan,
            scenario.description,
            scenario.model_copy(update={"variants": [], "baseline": None}),
        )
    ]
    problems: list[str] = []
    for variant in scenario.variants:
        try:
            changed = apply_variant(
                base, variant.name, variant.set, base_accelerator=scenario.training.accelerator.id
            )
        except InputError as exc:
            problems.append(str(exc.located(file)))
            continue
        context = {"varied_shares": changed.varied_shares} if changed.rebalance else None
        try:
            resolved = validate(
                changed.document, file=file, prefix=f"variants.{variant.name}", context=context
            )
        except InputError as exc:
            problems.append(str(exc))
            continue
        out.append(Plan(variant.name, variant.description, resolved, changed.notes))
    if len(problems) == 1:
        raise InputError(problems[0])
    if problems:
        raise InputError(f"{len(problems)} variants have problems:\n" + "\n".join(problems))
    return out


def _translate(
    exc: ValidationError, document: dict[str, Any], file: str | None, prefix: str | None
) -> InputError:
    """One readable line per pydantic error: where, what, the value, what is allowed.

    Only the first ``MAX_PROBLEMS`` are formatted; the rest are counted.
    """
    entries: list[tuple[str, str, str]] = []  # (field, problem, "(got ...)")
    errors = exc.errors(include_url=False)
    for error in errors[:MAX_PROBLEMS]:
        loc = tuple(error["loc"])
        field = _join(prefix, _path(loc, document))
        kind = error["type"]
        message = str(error["msg"]).removeprefix("Value error, ")
        value = error.get("input")
        if kind == "less_than_equal" and loc and str(loc[-1]) in SIZE_LIMITS:
            message += f", the sanity bound (planner.limits {SIZE_LIMITS[str(loc[-1])]})"
        if kind == "extra_forbidden":
            name = str(loc[-1])
            allowed = _allowed_fields(loc[:-1])
            entries.append(
                (
                    field,
                    (
                        f"unknown field {shown(name)}{_suggest(name, allowed)} "
                        f"(allowed here: {', '.join(allowed)})"
                    ),
                    "",
                )
            )
        elif kind == "missing":
            entries.append((field, "required field is missing", ""))
        elif not loc or "(got " in message or isinstance(value, dict):
            entries.append((field, message, ""))
        else:
            entries.append((field, message, f" (got {shown(value)})"))
    merged: list[tuple[str, str, str]] = []
    for entry in entries:  # the members of a union refuse one value: one line, "or" between
        if merged and merged[-1][0] == entry[0] and merged[-1][2] == entry[2] and entry[2]:
            merged[-1] = (entry[0], f"{merged[-1][1]}; or {entry[1]}", entry[2])
        else:
            merged.append(entry)
    where = f"{file}: " if file else ""
    lines = [
        shown_text(f"{field + ': ' if field else ''}{problem}{got}", 400)
        for field, problem, got in merged
    ]
    if len(lines) == 1 and len(errors) <= MAX_PROBLEMS:
        return InputError(where + lines[0])
    if len(errors) > MAX_PROBLEMS:
        lines.append(f"... and {len(errors) - MAX_PROBLEMS:,} more")
    count = len(lines) + max(0, len(errors) - MAX_PROBLEMS)
    return InputError(where + f"{count:,} problems:\n  " + "\n  ".join(lines))


def _path(loc: tuple[Any, ...], document: Any) -> str:
    """Dotted path for a pydantic location; list items are named by their ``name`` if any."""
    parts: list[str] = []
    node = document
    for item in loc:
        if isinstance(item, int):
            name = (
                node[item].get("name")
                if isinstance(node, list) and item < len(node) and isinstance(node[item], dict)
                else None
            )
            parts.append(str(name) if name else str(item))
            node = node[item] if isinstance(node, list) and item < len(node) else None
        else:
            if _union_tag(item) and not (isinstance(node, dict) and item in node):
                continue
            parts.append(str(item))
            node = node.get(item) if isinstance(node, dict) else None
    return ".".join(parts)


def _union_tag(item: str) -> bool:
    """Whether a location part is pydantic's name for a union member (``float``,
    ``constrained-str``, ``literal['llama-1']``, ``RephraseSource``), not a field name."""
    return (
        item in UNION_TAGS
        or item in ("float", "int", "str", "bool", "dict", "list", "none", "date")
        or "[" in item
        or "-" in item
        or item[:1].isupper()
    )


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    """Field names of the schema model at a location."""
    model: Any = Scenario
    for item in loc:
        if isinstance(item, int) or _union_tag(str(item)):
            continue
        field = (
            model.model_fields.get(item)
            if isinstance(model, type) and issubclass(model, BaseModel)
            else None
        )
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
