"""Choosing a law: a preset by name, a law file (the YAML ``planner fit`` writes), or inline
constants; law files are read safely and checked as a Chinchilla-form law."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from planner import precisions
from planner.errors import InputError
from planner.laws.forms import (
    DEFAULT_LAW,
    PRESETS,
    ChinchillaLaw,
    KaplanLaw,
    Law,
    data_constrained_loss,
    effective_tokens,
)
from planner.laws.moe import KRAJEWSKI_2024, KRAJEWSKI_NAME, dense_equivalent_params
from planner.laws.names import CHINCHILLA_FORM

__all__ = [
    "LAW_NAMES",
    "LawRef",
    "for_model",
    "law",
    "loss",
    "loss_granularity",
    "loss_law",
    "read_law_file",
]

LAW_NAMES = (*PRESETS, KRAJEWSKI_NAME)
"""Every preset name: the dense laws and the MoE law (planner.laws.moe)."""


def read_law_file(path: str) -> dict[str, Any]:
    """The mapping in a law file, checked as a Chinchilla-form law; errors name the file.

    Read through :mod:`planner.io.reading` (regular file, size limit, UTF-8, bounded YAML), then
    validated, so a bad law file is an InputError naming the file and fields, never a raw
    pydantic error, whether it comes from ``--law`` or from ``law: {file: ...}`` in a scenario.
    """
    from pydantic import ValidationError

    from planner.errors import validation_problems
    from planner.io.reading import read_mapping
    from planner.limits import MAX_LAW_BYTES

    document = read_mapping(
        path,
        limit=MAX_LAW_BYTES,
        what="law file",
        expected="a law file is a mapping of E, A, B, alpha, beta; write one with planner fit",
    )
    document.pop("form", None)
    from planner.limits import MAGNITUDE

    for key, value in document.items():  # the law models accept inf; a law file may not
        if (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value != 0
            and not (MAGNITUDE[0] <= abs(value) <= MAGNITUDE[1])
        ):
            raise InputError(
                f"{key} must be a finite number within {MAGNITUDE[0]:g} to {MAGNITUDE[1]:g} in size",
                file=path,
                field=key,
                value=value,
                allowed="sanity bound, planner.limits",
            )
    try:
        ChinchillaLaw.model_validate(document)
    except ValidationError as exc:
        raise InputError(
            f"invalid law file: {validation_problems(exc)}",
            file=path,
            allowed="a law file sets E, A, B, alpha, beta (positive finite numbers), "
            "as written by planner fit RUNS.csv --out law.yaml",
        ) from None
    return document


_FROM_STDIN: dict[str, ChinchillaLaw] = {}


def law(name: str) -> Law:
    """A preset by name, or a law file (YAML from ``planner fit``) by path."""
    if name in PRESETS:
        return PRESETS[name]
    if name == KRAJEWSKI_NAME:
        # the dense row; a scenario re-resolves it for its model's shape (planner.scenario.schema)
        return KRAJEWSKI_2024.as_chinchilla(None)
    if name == "-":  # standard input, read once and kept for the command's later look-ups
        if "-" not in _FROM_STDIN:
            _FROM_STDIN["-"] = ChinchillaLaw.model_validate(read_law_file(name))
        return _FROM_STDIN["-"]
    if name.lower().endswith((".yaml", ".yml", ".json")):
        return ChinchillaLaw.model_validate(read_law_file(name))  # read_law_file validated it
    raise InputError(
        "unknown scaling law",
        value=name,
        allowed=f"presets: {', '.join(LAW_NAMES)}, or a law file written by planner fit",
    )


def for_model(chosen: Law, granularity: float | None) -> Law:
    """``chosen`` for a model's shape: krajewski-2024 becomes its MoE row at ``granularity`` (None:
    the dense row, planner.laws.moe); every other law is shape-free."""
    if chosen.name == KRAJEWSKI_NAME and getattr(chosen, "params_convention", None):
        return KRAJEWSKI_2024.as_chinchilla(granularity)
    return chosen


def loss_granularity(
    params: float, active_params: float | None, granularity: float | None
) -> float | None:
    """The granularity of a mixture-of-experts model (default 1), None for a dense one."""
    moe = active_params is not None and active_params < params
    return (granularity if granularity is not None else 1.0) if moe else None


def loss_law(law_name: str, granularity: float | None) -> Law:
    """The law :func:`loss` uses: under ``krajewski-2024`` its MoE row for an MoE model (its dense
    row for a dense one), else the named law."""
    if law_name == KRAJEWSKI_NAME:
        return KRAJEWSKI_2024.as_chinchilla(granularity)
    return law(law_name)


def loss(
    params: float,
    tokens: float,
    unique_tokens: float | None = None,
    law_name: str = DEFAULT_LAW,
    active_params: float | None = None,
    granularity: float | None = None,
    precision: str = "bf16",
) -> float:
    """Expected loss under a preset law; with ``unique_tokens``, repetition is discounted.

    ``active_params`` below ``params`` makes a mixture-of-experts model of granularity
    ``granularity`` (default 1): under ``krajewski-2024`` the MoE row takes the total, under a
    dense law the dense-equivalent size (planner.laws.moe, an approximation). ``precision``: a
    training format of :mod:`planner.precisions` (Kumar's effective parameters, token efficiency).
    """
    g = loss_granularity(params, active_params, granularity)
    chosen = loss_law(law_name, g)
    n: float = params
    if g is not None and law_name != KRAJEWSKI_NAME:
        n = float(dense_equivalent_params(params, active_params, tokens, g))
    fmt = precisions.precision(precision)
    n *= fmt.params_factor
    if unique_tokens is None:
        return float(chosen.loss(n, tokens * fmt.token_efficiency))
    if not isinstance(chosen, ChinchillaLaw):
        raise InputError(
            f"{chosen.name} has no data-constrained form",
            field="--unique-tokens",
            allowed=f"use a Chinchilla-form law ({', '.join(CHINCHILLA_FORM)})",
        )
    effective = effective_tokens(unique_tokens, tokens) * fmt.token_efficiency
    return float(
        data_constrained_loss(
            chosen.E, chosen.A, chosen.B, chosen.alpha, chosen.beta, n, effective, unique_tokens
        )
    )


def _preset(value: object) -> object:
    try:
        if isinstance(value, str):
            return law(value)
        if isinstance(value, dict) and set(value) == {"file"}:
            return {**read_law_file(str(value["file"])), "form": "chinchilla"}
    except InputError as exc:
        raise ValueError(str(exc)) from None
    if isinstance(value, dict) and "form" not in value:
        return {**value, "form": "chinchilla"}
    return value


LawRef = Annotated[
    Annotated[ChinchillaLaw | KaplanLaw, Field(discriminator="form")],
    BeforeValidator(_preset, json_schema_input_type=str | ChinchillaLaw | KaplanLaw),
]
"""A preset name (``besiroglu-2024``) or inline constants ``{E, A, B, alpha, beta}``."""
