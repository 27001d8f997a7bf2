"""Allocations under a scaling law alone: the compute-optimal (or data-constrained) split of a
FLOP budget. (The inference-aware size of Sardana & Frankle 2023 is the scenario optimiser's
dual problem with ``inference_tokens``; see tests/explore/test_optimize.py, check 18.)

No scenario, no prices: these are the published closed forms and searches, kept exact so
they reproduce the papers' numbers (literature checks 4 and 12).
"""

from __future__ import annotations

import math

import numpy as np

from planner.errors import InputError
from planner.laws.choice import law as preset
from planner.laws.forms import ChinchillaLaw
from planner.limits import MAX_PARAMS, MAX_TOKENS

__all__ = ["optimize_flops"]


def optimize_flops(
    flops: float, unique_tokens: float | None = None, law_name: str = "besiroglu-2024"
) -> dict[str, float]:
    """Quick allocation of a FLOP budget (``planner optimize --flops``).

    Without unique tokens: the law's closed form (Hoffmann et al. 2022, Eq. 4). With them:
    Muennighoff et al.'s grid search, exactly as published (datablations README
    ``optimal_allocation``): from the compute-optimal point, 500 multipliers in
    [1.0001, 3] trade parameters for tokens both ways on the iso-FLOP line.
    """
    chosen = preset(law_name)
    if not isinstance(chosen, ChinchillaLaw):
        raise InputError(
            f"{chosen.name} has no closed-form allocation",
            field="--law",
            allowed="use a Chinchilla-form law",
        )
    params, tokens = (float(v) for v in chosen.compute_optimal(flops))
    for value, most, what, name in (
        (params, MAX_PARAMS, "parameters", "MAX_PARAMS"),
        (tokens, MAX_TOKENS, "tokens", "MAX_TOKENS"),
    ):
        if not value <= most:
            raise InputError(
                f"this budget's compute-optimal model has {value:.3g} {what}, above {most:g}, "
                f"the sanity bound (planner.limits {name})",
                field="--flops",
                value=flops,
                allowed="give a smaller FLOP budget",
            )
    if unique_tokens is None:
        return {
            "params": params,
            "tokens": tokens,
            "loss": float(chosen.loss(params, tokens)),
            "flops": flops,
        }
    best = (math.inf, tokens, params)
    for i in np.linspace(1.0001, 3, 500):
        for n, d in ((params / i, tokens * i), (params * i, tokens / i)):
            value = float(chosen.constrained_loss(n, d, min(unique_tokens, d)))
            if value < best[0]:
                best = (value, d, n)
    loss, tokens, params = best
    return {
        "params": params,
        "tokens": tokens,
        "loss": loss,
        "flops": flops,
        "unique_tokens": unique_tokens,
        "epochs": tokens / unique_tokens,
    }
