"""Reference formulas that the golden checks reproduce but the plan model does not use.

Each is a published closed form quoted by a reference file (docs/literature.md,
docs/hardware-literature.md, docs/data-mix-literature.md) with its check; they live beside the
tests so that the package holds only what the model uses (issue 17).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner.random_draws import Z975, split_lognormal

Number = Any
"""A float or a numpy array."""


def kaplan_params_loss(params: Number, n_c: float = 8.8e13, alpha_n: float = 0.076) -> Number:
    """``L(N) = (N_c/N)^alpha_N``: Kaplan et al. 2020 Eq. 1.1, data unlimited (non-embedding N).

    The single-variable fit (N_c = 8.8e13, alpha_N = 0.076), not Table 2's joint constants.
    L(1e9) = 2.37564 (docs/literature.md §9 check 13).
    """
    return (n_c / params) ** alpha_n


def kaplan_data_loss(tokens: Number, d_c: float = 5.4e13, alpha_d: float = 0.095) -> Number:
    """``L(D) = (D_c/D)^alpha_D``: Kaplan et al. 2020 Eq. 1.2, model size unlimited, early-stopped.

    Single-variable fit (D_c = 5.4e13 tokens, alpha_D = 0.095). L(1e11) = 1.81793 (check 13).
    """
    return (d_c / tokens) ** alpha_d


def deepseek_allocation(flops: float) -> dict[str, float]:
    """DeepSeek LLM's fitted compute-optimal allocation (DeepSeek-AI 2024, arXiv 2401.02954).

    Model scale is ``M`` = non-embedding FLOPs per token (attention included) and ``C = M·D``:
    ``M_opt = 0.1715·C^0.5243``, ``D_opt = 5.8316·C^0.4757``, batch ``B_opt = 0.2920·C^0.3271``
    tokens, learning rate ``η_opt = 0.3118·C^−0.1250`` (secondary transcriptions that agree;
    docs/literature.md §1.4). At C = 1e24: M 6.5685e11, D 1.5226e12, B 2.0691e7, η 3.1180e-4.
    """
    return {
        "flops_per_token": 0.1715 * flops**0.5243,
        "tokens": 5.8316 * flops**0.4757,
        "batch_tokens": 0.2920 * flops**0.3271,
        "learning_rate": 0.3118 * flops**-0.1250,
    }


def stock_effective_tokens(samples: int = 400_000, seed: int = 0) -> np.ndarray:
    """Monte Carlo of the effective stock of public human text (Villalobos et al. 2024).

    Indexed pages × bytes per page / bytes per token × quality share × repetition multiplier,
    each lognormal over the 95% ranges of the data-stock repository (docs/literature.md §5):
    pages 75e9-1e12, bytes/page 6,100-8,200, bytes/token 4 (2-5), quality 0.1-0.4,
    repetition 2-5. The paper's answer: about 300T tokens.
    """
    rng = np.random.default_rng(seed)

    def draw(median: float, low: float, high: float) -> np.ndarray:
        return split_lognormal(rng, median, low, high, samples, Z975)

    def symmetric(low: float, high: float) -> np.ndarray:
        return draw(math.sqrt(low * high), low, high)

    # bytes per token: "about 4 (2-5)", so the median is 4, not the range's geometric middle
    raw = symmetric(75e9, 1e12) * symmetric(6100, 8200) / draw(4.0, 2.0, 5.0)
    return raw * symmetric(0.1, 0.4) * symmetric(2, 5)


def tail_error(tokens: Number, cutoff_rank: Number, zipf: Number) -> Number:
    """Tale of Tails (Dohmatob et al. 2024, arXiv 2402.07043, Thm 2.1): ``T^(−c) + k^(−(β−1))``.

    Zipf data ``p_i ∝ i^(−β)`` (β > 1) with clean error ``T^(−c)``, ``c = 1 − 1/β``; a generator
    cut off at rank k adds a floor that does not fall with T (scaling stops once T ≳ k^β).
    docs/literature.md §9 check 21: β = 2, T = 1e6, k = 1e3 gives 1e-3 clean and 2e-3 cut.
    """
    c = 1.0 - 1.0 / zipf
    return tokens ** (-c) + cutoff_rank ** (-(zipf - 1.0))


def recursive_tail_error(
    tokens: Number, generator_tokens: Number, generations: Number, zipf: Number
) -> Number:
    """n generations of recursive training: ``E ≍ T^(−c) + n·T₀^(−c)`` (Dohmatob et al. 2024, [S]).

    ``T₀`` is each generator's own sample size (its cutoff rank is ``k ≍ T₀^(1/β)``, so its floor is
    ``T₀^(−c)``); the error grows linearly in n ("loss of scaling"). Qualitative.
    """
    c = 1.0 - 1.0 / zipf
    return tokens ** (-c) + generations * generator_tokens ** (-c)


def ridge_batch(peak_flops_per_s: Number, hbm_tbs: Number, bytes_per_param: Number = 2) -> Number:
    """Batch where decode turns compute-bound: ``peak · bytes/param / (2 · HBM_BW)`` (≈ peak/BW at 16 bits)."""
    return peak_flops_per_s * bytes_per_param / (2.0 * hbm_tbs * 1e12)


def deepseek_learning_rate(compute_flops: Number) -> Number:
    """Optimal peak learning rate, ``0.3118 · C^-0.1250`` (DeepSeek LLM §3.1)."""
    return 0.3118 * compute_flops**-0.1250


def bubble_share_of_step(pipeline: Number, micro_batches: Number, virtual: Number = 1) -> Number:
    """Pipeline bubble over the whole step: ``(p-1)/(v·m + p - 1)`` (Narayanan et al. 2021 §2.2)."""
    return (pipeline - 1) / (virtual * micro_batches + pipeline - 1)


def megatron_iteration_flops(
    batch: Number, seq: Number, layers: Number, hidden: Number, vocab: Number
) -> Number:
    """Model FLOPs of one iteration: ``72·B·s·L·h²·(1 + s/6h + V/12Lh)`` (Narayanan et al. 2021 §5.1).

    GPT-3 block (MHA, f = 4h), no recompute FLOPs counted (model FLOPs, not hardware FLOPs).
    """
    return (
        72.0
        * batch
        * seq
        * layers
        * hidden**2
        * (1.0 + seq / (6.0 * hidden) + vocab / (12.0 * layers * hidden))
    )


def mfu_from_iteration(
    flops: Number, seconds: Number, accelerators: Number, peak_flops_per_s: Number
) -> Number:
    """Model-FLOPs utilisation of one iteration: ``F / (t · n · peak)``."""
    return flops / (seconds * accelerators * peak_flops_per_s)


def node_rate_mtbf_hours(
    failures_per_1000_node_days: Number, accelerators: Number, per_node: Number = 8
) -> Number:
    """Kokolis et al. 2024 projection: ``MTTF = 24 h / (rate/1000 · n/8)``."""
    return 24.0 / (failures_per_1000_node_days / 1000.0 * accelerators / per_node)


def young_interval_s(checkpoint_s: Number, mtbf_s: Number) -> Number:
    """Young (1974) optimal checkpoint interval ``τ = √(2·δ·M)``."""
    return np.sqrt(2.0 * checkpoint_s * mtbf_s)
