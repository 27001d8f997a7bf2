"""Random draws for the Monte Carlo: seeded, vectorised, with stated percentiles."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Z90", "Z975", "from_normals", "row_columns", "split_lognormal"]

Z90 = 1.2815515655446004
"""Standard-normal 90th percentile: a range given as P10-P90 spans ±Z90 sigmas."""
Z975 = 1.959963984540054
"""Standard-normal 97.5th percentile: a 95% range spans ±Z975 sigmas."""


def from_normals(normal: Any, median: Any, low: Any, high: Any, z: float = Z90) -> Any:
    """Two-piece lognormal values from standard-normal draws ``normal``.

    The median is ``median`` and the ``±z`` quantiles are ``low`` and ``high``: below the
    median the log-scale spread is ``ln(median/low)/z``, above it ``ln(high/median)/z``, so
    an asymmetric range (0.20-0.30-0.45) is honoured exactly. With ``low == high ==
    median`` every value equals the median. Arguments broadcast (rows x draws).

    >>> [round(float(v), 3) for v in from_normals(np.array([-Z90, 0.0, Z90]), 0.3, 0.2, 0.45)]
    [0.2, 0.3, 0.45]
    """
    below = np.log(median / low) / z
    above = np.log(high / median) / z
    return median * np.exp(np.where(normal < 0, normal * below, normal * above))


def split_lognormal(
    rng: np.random.Generator, median: float, low: float, high: float, size: int, z: float = Z90
) -> np.ndarray:
    """``size`` draws of :func:`from_normals` from ``rng``.

    >>> rng = np.random.default_rng(0)
    >>> x = split_lognormal(rng, 0.3, 0.2, 0.45, 200_000)
    >>> [round(float(q), 3) for q in np.quantile(x, [0.1, 0.5, 0.9])]
    [0.2, 0.3, 0.45]
    """
    result: np.ndarray = from_normals(rng.standard_normal(size), median, low, high, z)
    return result


def row_columns(model: Any, rows: slice, size: int) -> Any:
    """A copy of a pydantic ``model`` whose swept fields (row arrays of length ``size``, nested
    models included) are cut to ``rows`` as ``(rows, 1)`` columns, so they broadcast against a
    Monte Carlo chunk of ``(rows, draws)``. A swept API price met ``(rows, draws)`` tokens as a
    ``(size,)`` array: ValueError. Unchanged fields are shared, not copied."""
    from pydantic import BaseModel

    changes: dict[str, Any] = {}
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == size:
            changes[name] = value[rows, None]
        elif isinstance(value, BaseModel):
            inner = row_columns(value, rows, size)
            if inner is not value:
                changes[name] = inner
    return model.model_copy(update=changes) if changes else model
