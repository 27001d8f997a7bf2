"""Variants: the base scenario with some fields changed, one document per variant.

A variant's ``set`` maps dotted field paths to values (``training.accelerator: h200``,
``data.web.share: 0.3``). Data sources are addressed by name; ``data.<name>: null`` or
``data.<name>.share: 0`` drops a source. Shares a variant sets are taken as given and the
other share-based sources are rescaled to fill the run (the rule sweeps use,
:func:`planner.scenario.token_shares.resolve`). A variant that switches accelerator without naming a price
uses the new accelerator's catalog price, with a note, never the base's explicit price.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from planner.errors import InputError, shown, shown_text

__all__ = ["Changed", "apply_variant", "join_path", "set_path", "suggestion"]

MAX_PATH_PROBLEMS = 20
"""Bad paths listed per variant; the rest are counted."""


@dataclass(frozen=True)
class Changed:
    """A variant's document, ready to validate, and what the change implies."""

    document: dict[str, Any]
    varied_shares: frozenset[str]
    """Sources whose share the variant sets: taken as given."""
    rebalance: bool
    """Shares were set or sources dropped: the other shares are rescaled to fill the run."""
    notes: tuple[str, ...]
    """What the variant changed beyond what it says (a price reverted to the catalog's)."""


def apply_variant(
    base: dict[str, Any], name: str, changes: dict[str, Any], *, base_accelerator: str
) -> Changed:
    """The base document with a variant's ``set`` applied; every bad path reported at once."""
    where = f"variants.{name}.set"
    document = dict(base)  # set_path copies what it changes: no deep copy per variant
    problems: list[InputError] = []
    varied: set[str] = set()
    dropped: set[str] = set()
    for path, value in changes.items():
        parts = path.split(".")
        try:
            if parts[0] == "data" and _drops(parts, value):
                _drop(document, parts[1], where)
                dropped.add(parts[1])
                continue
            set_path(document, path, value, where=where)
        except InputError as exc:
            problems.append(exc)
            continue
        if parts[0] == "data" and parts[2:] == ["share"]:
            varied.add(parts[1])
    problems.extend(_orphans(document, dropped, where))
    if problems:
        raise _together(problems)
    notes = _price(base, document, name, changes, base_accelerator)
    if dropped and base.get("data") and not document.get("data"):
        every = (
            f"variant {name} drops every data source: its training tokens are taken as fresh real "
            "data, one pool never repeated."
        )
        notes += (every,)
    return Changed(document, frozenset(varied - dropped), bool(varied or dropped), notes)


def _drops(parts: list[str], value: Any) -> bool:
    """``data.<name>: null`` or ``data.<name>.share: 0`` (a number or the text 0 / 0%)."""
    if len(parts) == 2:
        return value is None
    if parts[2:] != ["share"] or isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return value == 0
    return isinstance(value, str) and value.strip() in ("0", "0.0", "0%")


def _drop(document: dict[str, Any], source: str, where: str) -> None:
    data = document.get("data") or []
    names = [item.get("name") for item in data if isinstance(item, dict)]
    if source not in names:
        raise InputError(
            f"no data source named {shown(source)} to drop",
            field=f"{where}.data.{source}",
            allowed=shown_text(f"names here: {', '.join(map(str, names)) or 'none'}", 300),
        )
    document["data"] = [
        item for item in data if not (isinstance(item, dict) and item.get("name") == source)
    ]


def _orphans(document: dict[str, Any], dropped: set[str], where: str) -> list[InputError]:
    """A dropped source that a kept rephrased source still ``rephrases``: named with the fix
    (without this the schema said only that the name is not a source of the scenario)."""
    problems = []
    for item in document.get("data") or []:
        synthetic = item.get("synthetic") if isinstance(item, dict) else None
        target = synthetic.get("rephrases") if isinstance(synthetic, dict) else None
        if isinstance(target, str) and target in dropped:
            other = item.get("name")
            problems.append(
                InputError(
                    f"drops {shown(target)}, which {shown(other)} rephrases",
                    field=f"{where}.data.{target}",
                    allowed=shown_text(
                        f"drop {other} too (data.{other}: null), or set "
                        f"data.{other}.synthetic.rephrases to {{unique_tokens: ...}} (source "
                        "text not trained on)",
                        300,
                    ),
                )
            )
    return problems


def _together(problems: list[InputError]) -> InputError:
    if len(problems) == 1:
        return problems[0]
    lines = [str(p) for p in problems[:MAX_PATH_PROBLEMS]]
    if len(problems) > MAX_PATH_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PATH_PROBLEMS:,} more")
    return InputError(f"{len(problems):,} problems:\n  " + "\n  ".join(lines))


def _price(
    base: dict[str, Any],
    document: dict[str, Any],
    name: str,
    changes: dict[str, Any],
    base_accelerator: str,
) -> tuple[str, ...]:
    """A switched accelerator (for training, a generator or a judge) takes its own catalog price
    unless the variant names one: the base's explicit price was for another chip."""
    notes = []
    for path, chosen in changes.items():
        if path.split(".")[-1] != "accelerator" or chosen is None:
            continue
        sibling = path[: -len("accelerator")] + "price_usd_per_hour"
        price = _lookup(base, sibling)
        before = base_accelerator if path == "training.accelerator" else _lookup(base, path)
        before_id = before.get("id") if isinstance(before, dict) else before
        if sibling in changes or not isinstance(price, (int, float)) or isinstance(price, bool):
            continue
        same = isinstance(chosen, str) and isinstance(before_id, str)
        if same and chosen.strip().lower() == str(before_id).strip().lower():
            continue
        set_path(document, sibling, None)
        shown_name = chosen if isinstance(chosen, str) else "an inline accelerator"
        notes.append(
            f"variant {name}: {path} is {shown_name}, so its catalog price is used, not the base "
            f"plan's ${price:,.2f} per hour; set {sibling} in the variant to choose a price."
        )
    return tuple(notes)


def _lookup(document: Any, path: str) -> Any:
    """The value at a dotted path (list items by name), or None where the path does not exist."""
    node = document
    for part in path.split("."):
        if isinstance(node, list):
            node = next((i for i in node if isinstance(i, dict) and i.get("name") == part), None)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
        if node is None:
            return None
    return node


def set_path(document: dict[str, Any], path: str, value: Any, *, where: str = "") -> None:
    """Set ``value`` at a dotted field path; list items (data sources) are addressed by name.

    Mappings and lists on the path are replaced by copies before they change, so parts that
    ``document`` shares with another document (a variant's base) stay intact.

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
                    f"no item named {shown(part)}",
                    field=join_path(where, here),
                    allowed=shown_text(f"names here: {', '.join(map(str, names)) or 'none'}", 300),
                )
            if last:
                if isinstance(value, dict) and "name" not in value and part in names:
                    value = {"name": part, **value}  # data.books: {...} keeps its name
                node[index] = value
                return
            node[index] = _copied(node[index])
            node = node[index]
        elif isinstance(node, dict):
            if part not in node:
                raise InputError(
                    f"unknown field {shown(part)}" + suggestion(part, list(node)),
                    field=join_path(where, here),
                )
            if last:
                node[part] = value
                return
            if node[part] is None:
                raise InputError(
                    "is not set in the base scenario, so it has no fields to change",
                    field=join_path(where, here),
                    allowed=f"set the whole {here} instead",
                )
            node[part] = _copied(node[part])
            node = node[part]
        else:
            raise InputError(
                "is a value, not a group of fields", field=join_path(where, ".".join(parts[:depth]))
            )


def _copied(node: Any) -> Any:
    """A shallow copy of a mapping or list on the path being set (so shared parts stay intact)."""
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return node


def join_path(*parts: str | None) -> str:
    """Dotted field path of the parts given (empty parts skipped)."""
    return ".".join(p for p in parts if p)


def suggestion(word: str, choices: list[str]) -> str:
    """``; did you mean 'x'?`` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
