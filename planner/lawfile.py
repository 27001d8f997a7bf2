"""Law files: the YAML ``planner fit`` writes, read safely and checked as a Chinchilla-form law."""

from __future__ import annotations

from typing import Any

from planner.errors import InputError
from planner.laws import ChinchillaLaw

__all__ = ["read_law_file"]


def read_law_file(path: str) -> dict[str, Any]:
    """The mapping in a law file, checked as a Chinchilla-form law; errors name the file.

    Read through :mod:`planner.reading` (regular file, size limit, UTF-8, bounded YAML), then
    validated, so a bad law file is an InputError naming the file and fields, never a raw
    pydantic error, whether it comes from ``--law`` or from ``law: {file: ...}`` in a scenario.
    """
    from pydantic import ValidationError

    from planner.errors import validation_problems
    from planner.limits import MAX_LAW_BYTES
    from planner.reading import read_mapping

    document = read_mapping(
        path,
        limit=MAX_LAW_BYTES,
        what="law file",
        expected="a law file is a mapping of E, A, B, alpha, beta; write one with planner fit",
    )
    document.pop("form", None)
    from planner.fields import MAGNITUDE

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
