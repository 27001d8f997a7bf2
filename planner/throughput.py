"""Generator and judge throughput: prefill is compute-bound, decode is bandwidth-bound.

Roofline formulas from docs/hardware-literature.md §10 (Pope et al. 2022, arXiv 2211.05102).
Floats or numpy arrays.
"""

from __future__ import annotations

import numpy as np

from planner.fields import Number

__all__ = [
    "decode_step_seconds",
    "kv_bytes_per_token",
    "max_decode_batch",
    "prefill_seconds",
    "ridge_batch",
]


def kv_bytes_per_token(
    layers: Number, kv_heads: Number, head_dim: Number, bytes_per: Number = 2
) -> Number:
    """KV cache per token: ``2 · L · n_kv · d_head · bytes`` (keys and values)."""
    return 2.0 * layers * kv_heads * head_dim * bytes_per


def prefill_seconds(
    params: Number, tokens: Number, peak_flops_per_s: Number, efficiency: Number
) -> Number:
    """Prefill of ``tokens`` prompt tokens at ``2N`` FLOPs each: ``2N·P / (peak · efficiency)``."""
    return 2.0 * params * tokens / (peak_flops_per_s * efficiency)


def decode_step_seconds(
    params: Number,
    batch: Number,
    weight_bytes: Number,
    kv_bytes: Number,
    peak_flops_per_s: Number,
    hbm_tbs: Number,
) -> Number:
    """One decode step for ``batch`` sequences: ``max(2N·B/peak, (weights + B·KV)/HBM_BW)``.

    Each step reads every weight once per batch and each sequence's KV cache (``kv_bytes``
    per sequence at its current context); Pope et al. 2022; docs/hardware-literature.md §10.
    """
    compute = 2.0 * params * batch / peak_flops_per_s
    memory = (weight_bytes + batch * kv_bytes) / (hbm_tbs * 1e12)
    return np.maximum(compute, memory)


def ridge_batch(peak_flops_per_s: Number, hbm_tbs: Number, bytes_per_param: Number = 2) -> Number:
    """Batch where decode turns compute-bound: ``peak · bytes/param / (2 · HBM_BW)`` (≈ peak/BW at 16 bits)."""
    return peak_flops_per_s * bytes_per_param / (2.0 * hbm_tbs * 1e12)


def max_decode_batch(
    memory_gb: Number, weight_bytes: Number, kv_bytes_per_sequence: Number
) -> Number:
    """Sequences whose KV cache fits beside the weights: ``(HBM − weights) / KV per sequence``."""
    return np.maximum(0.0, np.floor((memory_gb * 1e9 - weight_bytes) / kv_bytes_per_sequence))
