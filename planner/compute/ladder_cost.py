"""Compute of finding the recipe: scaling ladders and dataset-valuation anneals (programme lines).

Pure formulas on floats; tokens are ``ratio·N`` per ladder run and FLOPs ``6·N·D`` (the
Chinchilla count, as Bhagia et al. 2024 use for their ladder).

Sources: Bhagia et al. 2024, arXiv 2412.04403 (OLMo ladder: 4 sizes x D/N = 20, 40, 100, 200,
"about 1% of the target compute"); Hägele et al. 2024, arXiv 2405.18392 (one stable run with
cooldowns replaces one cosine run per length); Llama 3, arXiv 2407.21783 §3.1.3 (dataset
valuation: anneal an 8B over 40B tokens with 30% weight on the candidate).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["anneal_flops", "ladder_flops", "ladder_tokens"]


def ladder_tokens(
    params: float, token_ratios: Sequence[float], schedule: str, cooldown_fraction: float
) -> float:
    """Tokens trained for one model size of a ladder at every ratio ``D/N`` in ``token_ratios``.

    ``cosine``: one run per length, ``sum_r r·N``. ``wsd``: one stable run to the longest
    length, plus a cooldown of ``cooldown_fraction`` of each shorter length branched from it,
    ``r_max·N + c·sum_(r < r_max) r·N`` (Hägele et al. 2024; laws-2025.md §4.4: lengths 1, 2,
    4, 8 x D cost 15·D with cosine and 9.4·D with 20% cooldowns, a 37% saving).
    """
    ratios = sorted(float(r) for r in token_ratios)
    if schedule == "cosine":
        return params * sum(ratios)
    if schedule == "wsd":
        return params * (ratios[-1] + cooldown_fraction * sum(ratios[:-1]))
    raise ValueError(f"unknown ladder schedule {schedule!r}; choose cosine or wsd")


def ladder_flops(
    sizes: Sequence[float], token_ratios: Sequence[float], schedule: str, cooldown_fraction: float
) -> float:
    """Training FLOPs of a whole ladder: ``sum_N 6·N·tokens(N)`` (scales with ``sum N^2·D/N``)."""
    return sum(6.0 * n * ladder_tokens(n, token_ratios, schedule, cooldown_fraction) for n in sizes)


def anneal_flops(params: float, tokens: float, candidates: int) -> float:
    """Dataset-valuation anneals: ``candidates·6·N·D`` (Llama 3 §3.1.3: one 40B-token anneal of
    the 8B per candidate dataset, 1.92e21 FLOPs each; laws-2025.md check 13)."""
    return candidates * 6.0 * params * tokens
