"""Formulas of the mixture model: information caps, saturation, mixture gains, collapse.

Pure functions on floats or numpy arrays (one implementation serves a plan, a sweep and the
Monte Carlo). Each docstring states the formula and its source; ``§`` refers to the project's
reference file docs/data-mix-literature.md, whose §10 is the model and §11 its checks
(tests/mixture/test_mix.py). Symbols: ``U`` unique tokens, ``n`` presentations per source token,
``σ`` share of training tokens, ``S`` speed-up (tokens a web-only run needs for the same loss
divided by the tokens the mixed run needs; Kang et al. 2025).
"""

from __future__ import annotations

import numpy as np

from planner.numbers import Number

__all__ = [
    "budget_gain",
    "bump",
    "collapse_multiplier",
    "generated_unique",
    "information_cap",
    "offset_for_speedup",
    "presentations",
    "share_gain",
    "speedup",
]


def presentations(unique: Number, raw_trained: Number, generated: Number) -> Number:
    """Distinct presentations per source token: ``n = (U·[raw trained] + Σ G_j) / U`` (§10 A1).

    ``generated`` is the total of unique tokens kept over every rephrase pool of the family;
    ``raw_trained`` is 1 when the source text itself is trained on, else 0.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(unique > 0, (unique * raw_trained + generated) / unique, 0.0)


def information_cap(unique: Number, n: Number, rho: Number, scale: Number) -> Number:
    """Unique information of a source family: ``U* = U·min(n, 1 + ρ·(1 − exp(−(n − 1)⁺/k*)))``.

    Rephrasing adds diversity, not unbounded content (§10 A2): with the megadocs-2026 preset
    (ρ = 0.49, k* = 8) U*/U is 1.48 at 32 rephrasings per document (Kim et al. 2026, arXiv
    2603.18534: "plateauing near 1.48x data efficiency at 32 rephrases"). The ``min(n, ·)``
    keeps a family below what it actually holds: rephrasing a tenth of a source not trained on
    gives ``U* = 0.1·U`` (n = 0.1), never more (an addition to §10, which assumes n ≥ 1).
    """
    excess = np.maximum(n - 1.0, 0.0)
    return unique * np.minimum(n, 1.0 + rho * (1.0 - np.exp(-excess / scale)))


def generated_unique(generated: Number, capacity: Number | None) -> Number:
    """Unique value of ``G`` generated tokens: ``G_cap·(1 − exp(−G/G_cap))`` (§10 A4).

    ``G_cap`` is the seed/generator diversity capacity (an assumption per pool; SynthLLM's
    plateau near 300B tokens is the evidence, Qin et al. 2025, arXiv 2503.19551). ``None``: no
    saturation, ``G`` itself. Tends to ``G`` for ``G ≪ G_cap`` and to ``G_cap`` beyond it.
    """
    if capacity is None:
        return generated
    return capacity * (1.0 - np.exp(-generated / capacity))


def bump(share: Number, optimum: Number, sharpness: Number) -> Number:
    """``b(σ; σ*, p) = (σ/σ*)^p · ((1 − σ)/(1 − σ*))^(p(1 − σ*)/σ*)``, 0 outside (0, 1) (§10 A5).

    ``b(0) = b(1) = 0`` and ``b(σ*) = 1``, its maximum: the exponents make ``d ln b/dσ`` vanish
    at σ*. With p = 1, σ* = 0.3: b = 0.599 / 0.910 / 1 / 0.992 / 0.760 at σ = 0.1 / 0.2 / 0.3 /
    1/3 / 0.5 (§10, computed there).
    """
    share = np.clip(share, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = (share / optimum) ** sharpness * ((1.0 - share) / (1.0 - optimum)) ** (
            sharpness * (1.0 - optimum) / optimum
        )
    return np.where((share > 0) & (share < 1), value, 0.0)


def share_gain(
    shares: dict[str, Number],
    optimum: dict[str, Number],
    sharpness: dict[str, Number],
    max_gain: dict[str, Number],
    alone_gain: dict[str, Number],
) -> Number:
    """Option A mixture gain ``M(σ) = 1 + Σ_τ [(M_max,τ − 1)·b(σ_τ) + (M_1,τ − 1)·σ_τ]`` (§10 A5).

    The stream's effective data is ``M·Σ_s D'_s``; with nothing repeated, M is the speed-up S.
    Per type τ (dict keys): its share σ_τ, optimum σ*, sharpness p, gain at σ* (M_max) and
    gain alone (M_1; 1 = rephrased alone is no faster than web, Kang et al. 2025). The gain
    does not depend on the budget (that is Option B, :func:`budget_gain`).
    """
    total: Number = 1.0
    for kind, share in shares.items():
        total = total + (max_gain[kind] - 1.0) * bump(share, optimum[kind], sharpness[kind])
        total = total + (alone_gain[kind] - 1.0) * np.clip(share, 0.0, 1.0)
    return total


def offset_for_speedup(B: Number, beta: Number, tokens: Number, speedup: Number) -> Number:
    """Loss offset Δ giving speed-up ``S`` at ``D`` tokens: ``Δ = (B/D^β)·(1 − S^(−β))`` (§10 B).

    From ``B/D^β − Δ = B/(S·D)^β``. Besiroglu (B = 2085.43, β = 0.3658), S = 5 at 200B tokens:
    Δ = 0.0682 nats. Negative for ``S < 1``.
    """
    return B / tokens**beta * (1.0 - speedup ** (-beta))


def budget_gain(
    shares: dict[str, Number],
    optimum: dict[str, Number],
    sharpness: dict[str, Number],
    max_gain: dict[str, Number],
    alone_gain: dict[str, Number],
    reference_tokens: dict[str, Number],
    cap: Number,
    B: Number,
    beta: Number,
    effective_data: Number,
) -> Number:
    """Option B: ``L = E − Δ(σ) + A/N'^α + B/D'^β`` as a multiplier on ``D'`` (§10 B).

    ``Δ(σ) = Σ_τ [Δ_max,τ·b(σ_τ) + Δ_1,τ·σ_τ]`` with each Δ from :func:`offset_for_speedup` at
    the type's reference tokens (so the preset's M_max and M_1 hold there), and
    ``S(D') = (1 − Δ·D'^β/B)^(−1/β)``, which grows with the budget (Kang: "5-10x at larger data
    budgets", less at small ones) and diverges where ``Δ ≥ B/D'^β``; it is capped at ``cap``
    (the extrapolation's limit, §10 B: "cap S or use B only inside the calibrated range").
    ``B/(S·D')^β = B/D'^β − Δ`` exactly below the cap.
    """
    delta: Number = 0.0
    for kind, share in shares.items():
        ref = reference_tokens[kind]
        top = offset_for_speedup(B, beta, ref, max_gain[kind])
        alone = offset_for_speedup(B, beta, ref, alone_gain[kind])
        delta = (
            delta
            + top * bump(share, optimum[kind], sharpness[kind])
            + alone * np.clip(share, 0.0, 1.0)
        )
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rest = 1.0 - delta * effective_data**beta / B
        floor = cap ** (-beta)
        return np.where(rest > floor, np.maximum(rest, floor) ** (-1.0 / beta), cap)


def speedup(
    E: Number,
    A: Number,
    B: Number,
    alpha: Number,
    beta: Number,
    params: Number,
    tokens: Number,
    loss: Number,
) -> Number:
    """Speed-up implied by a loss: ``S = (B/(L − E − A/N^α))^(1/β) / D`` (§10, fitting step 3).

    The tokens a web-only run of the same size needs for loss ``L`` under the law, divided by
    the tokens used. NaN where ``L`` is at or below what infinite data reaches.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        rest = loss - E - A / params**alpha
        return np.where(rest > 0, (B / rest) ** (1.0 / beta) / tokens, np.nan)


def collapse_multiplier(generations: Number, policy: str) -> Number:
    """Error growth after n generations of training on model output (Gerstgrasser et al. 2024).

    Linear regression, arXiv 2404.01413: replace gives ``n`` times the single-fit error;
    accumulate gives ``Σ_{i=1..n} 1/i²`` (bounded by π²/6 = 1.644934). n = 5: 5 and 1.463611.
    A qualitative risk indicator, not a loss term (docs/literature.md §8.5).
    """
    n = np.asarray(generations, dtype=float)
    if policy == "replace":
        return n if n.ndim else float(n)
    # partial sums of 1/i²: π²/6 − ψ₁(n + 1), here summed directly (n ≤ limits.MAX_GENERATIONS)
    top = int(np.max(n)) if n.size else 1
    sums = np.concatenate([[0.0], np.cumsum(1.0 / np.arange(1, top + 1) ** 2)])
    value = sums[n.astype(int)]
    return value if n.ndim else float(value)
