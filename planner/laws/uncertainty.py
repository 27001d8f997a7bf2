"""Drawing a law's constants for the Monte Carlo: jointly from a covariance, or pinned at the
middle of the fitted data from standard errors (used by :mod:`planner.plan.monte_carlo`)."""

from __future__ import annotations

import functools

import numpy as np

from planner.laws.forms import ChinchillaLaw
from planner.limits import MAX_LAW_E, MAX_QUANTITY

__all__ = ["law_draws"]


def law_draws(law: ChinchillaLaw, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """(E, A, B, alpha, beta) from standard normals ``z`` (draws x 5).

    With a covariance of (E, ln A, ln B, alpha, beta) (``law.covariance``, e.g. from a
    bootstrap), the constants are drawn jointly: ``x = θ + z·Lᵀ`` with ``L`` a square root of
    the covariance (eigen-decomposition, as the bootstrap's covariance is near-singular: ln A
    moves with alpha, ln B with beta). Their correlations (E with the exponents 0.6-0.7 for
    besiroglu-2024) make the loss band narrow at the fitted data and widen away from it.

    Without one, E, alpha and beta are independent normals from the standard errors, and A and B
    follow their exponents to keep their terms fixed at the pivot (the middle of the fitted
    data: ``A' = A·N_pivot^(alpha'−alpha)``), so uncertainty still grows with distance.
    """
    if law.covariance is not None:
        x = z @ _root(law.covariance).T
        E, alpha, beta = law.E + x[:, 0], law.alpha + x[:, 3], law.beta + x[:, 4]
        A, B = law.A * np.exp(np.minimum(x[:, 1], 700)), law.B * np.exp(np.minimum(x[:, 2], 700))
    else:
        E = law.E + (law.E_se or 0.0) * z[:, 0]
        alpha = law.alpha + (law.alpha_se or 0.0) * z[:, 3]
        beta = law.beta + (law.beta_se or 0.0) * z[:, 4]
        A = law.A * law.pivot_params ** (alpha - law.alpha)  # at most 1e16^25: finite
        B = law.B * law.pivot_tokens ** (beta - law.beta)
    # draws stay inside a law file's bounds: a wide law cannot overflow the float32 draws to inf
    A, B, alpha, beta = (np.minimum(v, MAX_QUANTITY) for v in (A, B, alpha, beta))
    return np.clip(E, 0.0, MAX_LAW_E), A, B, np.clip(alpha, 1e-3, 5), np.clip(beta, 1e-3, 5)


@functools.lru_cache(maxsize=16)
def _root(covariance: tuple[tuple[float, ...], ...]) -> np.ndarray:
    """``L`` with ``L·Lᵀ = C`` for a symmetric positive semi-definite ``C`` (eigen-decomposition)."""
    values, vectors = np.linalg.eigh(np.asarray(covariance, dtype=float))
    root: np.ndarray = vectors * np.sqrt(np.clip(values, 0.0, None))
    return root
