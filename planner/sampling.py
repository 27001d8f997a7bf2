"""Random draws for the Monte Carlo: seeded, vectorised, with stated percentiles."""

from __future__ import annotations

import numpy as np

Z90 = 1.2815515655446004
"""Standard-normal 90th percentile: a range given as P10-P90 spans ±Z90 sigmas."""
Z975 = 1.959963984540054
"""Standard-normal 97.5th percentile: a 95% range spans ±Z975 sigmas."""


def split_lognormal(
    rng: np.random.Generator, median: float, low: float, high: float, size: int, z: float = Z90
) -> np.ndarray:
    """Draws whose median is ``median`` and whose ``±z`` quantiles are ``low`` and ``high``.

    A two-piece lognormal: below the median the log-scale spread is ``ln(median/low)/z``,
    above it ``ln(high/median)/z``, so an asymmetric range (0.20-0.30-0.45) is honoured
    exactly. With ``low == high == median`` every draw equals the median.

    >>> rng = np.random.default_rng(0)
    >>> x = split_lognormal(rng, 0.3, 0.2, 0.45, 200_000)
    >>> [round(float(q), 3) for q in np.quantile(x, [0.1, 0.5, 0.9])]
    [0.2, 0.3, 0.45]
    """
    normal = rng.standard_normal(size)
    below = np.log(median / low) / z
    above = np.log(high / median) / z
    return median * np.exp(np.where(normal < 0, normal * below, normal * above))
