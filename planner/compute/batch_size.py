"""Batch-size laws and the wall-clock floor they imply: small pure formulas.

A step cannot use more sequences than the batch, and the batch cannot grow past what the
optimisation tolerates, so tokens / batch bounds the number of steps and the number of
accelerators that have work (docs/hardware-literature.md §7). Floats or numpy arrays.
"""

from __future__ import annotations

import numpy as np

from planner.numbers import Number

__all__ = [
    "DEEPSEEK_BATCH",
    "STEP_LAW_BATCH",
    "deepseek_batch_tokens",
    "max_useful_accelerators",
    "min_step_seconds",
    "step_law_batch_tokens",
]

DEEPSEEK_BATCH = (0.2920, 0.3271)
"""``B_opt = 0.2920 · C^0.3271`` tokens, C = M·D in FLOPs (DeepSeek LLM, arXiv 2401.02954 §3.1;
transcriptions only, docs/hardware-literature.md §7 and §13)."""
STEP_LAW_BATCH = (0.58, 0.571)
"""``B_opt = 0.58 · D^0.571`` tokens, D = training tokens (Step Law, Li et al. 2025, arXiv
2503.04715; fitted on 3,700 runs with AdamW and cosine decay)."""


def deepseek_batch_tokens(compute_flops: Number) -> Number:
    """Optimal batch in tokens, ``0.2920 · C^0.3271`` (DeepSeek LLM), C = non-embedding FLOPs/token × D."""
    scale, exponent = DEEPSEEK_BATCH
    return scale * compute_flops**exponent


def step_law_batch_tokens(tokens: Number) -> Number:
    """Optimal batch in tokens, ``0.58 · D^0.571`` (Step Law; essentially independent of N)."""
    scale, exponent = STEP_LAW_BATCH
    return scale * tokens**exponent


def max_useful_accelerators(
    batch_tokens: Number, seq_len: Number, model_parallel: Number = 1
) -> Number:
    """Accelerators that can have work in one step: ``t·p·B/s`` (one sequence per replica at least).

    docs/hardware-literature.md §7: "GPUs beyond that have no sequence to work on".
    """
    return np.maximum(1.0, np.floor(batch_tokens / seq_len)) * model_parallel


def min_step_seconds(
    sequence_seconds: Number, gradient_bytes: Number, replicas: Number, link_gbs: Number
) -> Number:
    """Fastest possible step: ``max(one sequence's forward+backward, a ring all-reduce of the gradients)``.

    docs/hardware-literature.md §7 (planner rule [C]): ``t_step ≥ max(t_fwd+bwd(one sequence),
    2·(d-1)/d·bytes_grad/bw_link)``, even with the all-reduce fully overlapped.
    """
    d = np.maximum(replicas, 1)
    reduce = 2.0 * (d - 1) / d * gradient_bytes / (link_gbs * 1e9)
    return np.maximum(sequence_seconds, reduce)
