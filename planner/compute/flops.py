"""Parameters, FLOPs, accelerator-hours, wall-clock and memory: small pure formulas.

Every function works on floats and on numpy arrays alike, so one implementation
serves a single plan and a million-row sweep. Conventions are named in each
docstring; ``docs/decisions.md`` says why each default was chosen.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.errors import InputError
from planner.numbers import Number
from planner.scenario.schema import Architecture, Model, Training

__all__ = [
    "HOURS_PER_DAY",
    "SECONDS_PER_HOUR",
    "ParamCount",
    "accelerator_hours",
    "attention_params",
    "block_attention_params",
    "combine_wall_clock",
    "count_params",
    "feed_forward_params",
    "ffn_params",
    "flops_6nd",
    "flops_megatron",
    "flops_palm",
    "flops_per_token",
    "latent_attention_params",
    "logit_flops",
    "min_accelerators",
    "model_params",
    "wall_clock_days",
]

SECONDS_PER_HOUR = 3600.0
HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class ParamCount:
    """Parameter counts of a model."""

    total: float
    """All parameters, embeddings included (Chinchilla convention); every expert for MoE."""
    active: float
    """Parameters used per token: top-k experts only; embeddings included."""
    active_non_embedding: float | None
    """Active parameters without input/output embeddings (Kaplan's N); None without an architecture."""
    total_non_embedding: float | None = None
    """All parameters (every expert) without embeddings (Krajewski's N); None without an architecture."""


def attention_params(d_model: int, heads: int, kv_heads: int, head_dim: int) -> int:
    """Q, K, V and output projections of one block, no biases.

    ``d·Q·(2H + 2H_kv)``: Q and O are ``d × H·Q``; K and V are ``d × H_kv·Q`` (GQA/MQA).
    """
    return d_model * head_dim * (2 * heads + 2 * kv_heads)


def ffn_params(d_model: int, ffn_size: int, glu: bool) -> int:
    """One feed-forward expert: ``2·d·f`` plain, ``3·d·f`` gated (SwiGLU: gate, up, down)."""
    return (3 if glu else 2) * d_model * ffn_size


def latent_attention_params(arch: Architecture) -> int:
    """One block of multi-head latent attention (DeepSeek-AI 2024, arXiv 2405.04434 §2.1),
    as in the DeepSeek-V3 reference code, norms of the two latents included:

    queries ``d·r_q + r_q + r_q·H·(Q_nope + Q_rope)`` (or ``d·H·(Q_nope + Q_rope)`` without
    ``r_q``); keys/values ``d·(r_kv + Q_rope) + r_kv + r_kv·H·(Q_nope + Q_v)``; output
    ``H·Q_v·d``. DeepSeek-V3: 187,107,328 per block.
    """
    mla = arch.latent_attention
    assert mla is not None
    d, heads = arch.d_model, arch.heads
    qk = mla.qk_nope_head_dim + mla.qk_rope_head_dim
    if mla.q_lora_rank:
        query = d * mla.q_lora_rank + mla.q_lora_rank + mla.q_lora_rank * heads * qk
    else:
        query = d * heads * qk
    key_value = (
        d * (mla.kv_lora_rank + mla.qk_rope_head_dim)
        + mla.kv_lora_rank
        + mla.kv_lora_rank * heads * (mla.qk_nope_head_dim + mla.v_head_dim)
    )
    return query + key_value + heads * mla.v_head_dim * d


def block_attention_params(arch: Architecture) -> int:
    """One block's attention: GQA projections (:func:`attention_params`), plus the query,
    key and value biases ``Q·(H + 2H_kv)`` when ``qkv_bias`` (Qwen2); or latent attention."""
    if arch.latent_attention is not None:
        return latent_attention_params(arch)
    q, kv = arch.head_dim_resolved, arch.kv_heads_resolved
    bias = q * (arch.heads + 2 * kv) if arch.qkv_bias else 0
    return attention_params(arch.d_model, arch.heads, kv, q) + bias


def feed_forward_params(arch: Architecture) -> tuple[int, int]:
    """(all, active-per-token) feed-forward parameters summed over every block.

    Dense blocks (all of them without experts; the first ``dense_layers`` with experts) hold
    one FFN of ``ffn_size``. Expert blocks hold ``experts`` routed and ``shared_experts``
    shared FFNs of ``expert_ffn_size`` and a router ``d·E``; a token uses ``top_k`` routed
    experts and every shared one (DeepSeek-AI 2024, arXiv 2412.19437 §2.1.2).
    """
    d = arch.d_model
    moe = arch.experts > 1 or arch.shared_experts > 0
    dense_blocks = arch.dense_layers if moe else arch.layers
    dense = dense_blocks * ffn_params(d, arch.ffn_size_resolved, arch.glu)
    expert = ffn_params(d, arch.expert_ffn_size_resolved, arch.glu)
    router = d * arch.experts if arch.experts > 1 else 0
    moe_blocks = arch.layers - dense_blocks
    total = moe_blocks * ((arch.experts + arch.shared_experts) * expert + router)
    active = moe_blocks * ((arch.top_k + arch.shared_experts) * expert + router)
    return dense + total, dense + active


def count_params(arch: Architecture) -> ParamCount:
    """Exact parameter count of a decoder-only transformer without biases (but Qwen2's).

    Per block: attention + feed-forward (:func:`feed_forward_params`: dense, or experts and
    a router ``d·E``) + two norms ``2d``; plus a final norm ``d`` and embeddings ``V·d``
    (twice unless tied). Positional embeddings are rotary (no parameters). Matches
    llm-analysis (64,687,972,352 for peers.md config A) and llm-flops (6,738,415,616 for
    Llama-2-7B) exactly; DeepSeek-V3's 671B total and 37B active (arXiv 2412.19437).
    """
    d = arch.d_model
    attention = arch.layers * block_attention_params(arch)
    ffn_total, ffn_active = feed_forward_params(arch)
    norms = arch.layers * 2 * d
    embeddings = arch.vocab_size * d * (1 if arch.tied_embeddings else 2)
    return ParamCount(
        total=float(attention + ffn_total + norms + d + embeddings),
        active=float(attention + ffn_active + norms + d + embeddings),
        active_non_embedding=float(attention + ffn_active + norms + d),
        total_non_embedding=float(attention + ffn_total + norms + d),
    )


def model_params(model: Model) -> ParamCount:
    """Parameters from an architecture, or as given (active defaults to total)."""
    if model.architecture is not None:
        return count_params(model.architecture)
    assert model.params is not None  # the schema guarantees params or architecture
    return ParamCount(
        total=model.params,
        active=model.active_params if model.active_params is not None else model.params,
        active_non_embedding=None,
    )


def flops_6nd(active_params: Number) -> Number:
    """Training FLOPs per token, ``6·N_active`` (Kaplan et al. 2020 §2.1; Hoffmann et al. 2022 App. F).

    Forward 2N, backward 4N; attention and logits ignored. N counts embeddings, as
    Chinchilla does; MoE counts active parameters only (DeepSeek-V3: 6·37B, not 6·671B).
    """
    return 6.0 * active_params


def flops_palm(
    non_embedding_params: Number, layers: Number, heads: Number, head_dim: Number, seq_len: Number
) -> Number:
    """Training FLOPs per token with attention, ``6N + 12·L·H·Q·T`` (Chowdhery et al. 2022, App. B).

    N excludes embeddings (PaLM ties them, so logits are not counted). This is the
    count PaLM's MFU uses; rematerialisation is excluded.
    """
    return 6.0 * non_embedding_params + 12.0 * layers * heads * head_dim * seq_len


def flops_megatron(arch: Architecture) -> float:
    """Training FLOPs per token with attention and logits (Narayanan et al. 2021, §5.1).

    For multi-head attention and a plain MLP this is ``6·h·[L·(4h + 2s + 2f) + V]``
    (= 72·B·s·l·h²·(1 + s/6h + V/12lh) per iteration without recompute, divided by B·s).
    Generalised here: per block, 6 × (attention + top-k expert + router matrices) plus
    ``12·s·H·Q`` for scores and values (no causal halving, as in the paper); then ``6·h·V``
    for the logits. Norms are ignored.
    """
    d = arch.d_model
    _, ffn_active = feed_forward_params(arch)
    matrices = arch.layers * block_attention_params(arch) + ffn_active
    scores = 12.0 * arch.seq_len * arch.heads * arch.head_dim_resolved
    return 6.0 * matrices + arch.layers * scores + 6.0 * d * arch.vocab_size


def logit_flops(arch: Architecture) -> float:
    """Per-token training FLOPs of the output layer, ``6·h·V`` (never recomputed)."""
    return 6.0 * arch.d_model * arch.vocab_size


def flops_per_token(model: Model, training: Training) -> tuple[float, float]:
    """(model FLOPs, hardware FLOPs) per training token under the scenario's convention.

    Model FLOPs are what MFU is measured against. With ``activation_recompute`` the
    hardware also repeats each block's forward pass: hardware = model + 1/3 of the block
    FLOPs (8N instead of 6N per token for ``6nd``); the logits are not recomputed
    (Narayanan et al. 2021: 96·B·s·l·h² with recompute vs 72 without).
    """
    params = model_params(model)
    convention = training.flops_convention
    arch = model.architecture
    if convention == "6nd":
        per_token = flops_6nd(params.active)
        not_recomputed = 0.0
    elif arch is None:
        raise InputError(
            f"flops_convention {convention!r} counts attention, so it needs the model's shape",
            field="training.flops_convention",
            allowed="give model.architecture (layers, d_model, heads, vocab_size, seq_len) or use 6nd",
        )
    elif convention == "palm":
        assert params.active_non_embedding is not None
        per_token = flops_palm(
            params.active_non_embedding,
            arch.layers,
            arch.heads,
            arch.head_dim_resolved,
            arch.seq_len,
        )
        not_recomputed = 0.0
    else:
        per_token = flops_megatron(arch)
        not_recomputed = logit_flops(arch)
    hardware = per_token
    if training.activation_recompute:
        hardware = per_token + (per_token - not_recomputed) / 3.0
    return per_token, hardware


def accelerator_hours(flops: Number, peak_flops_per_s: Number, utilization: Number) -> Number:
    """Accelerator-hours to do ``flops`` at a share of peak: ``C / (peak · MFU) / 3600``."""
    return flops / (peak_flops_per_s * utilization) / SECONDS_PER_HOUR


def wall_clock_days(hours: Number, count: Number, goodput: Number) -> Number:
    """Calendar days on ``count`` accelerators when only ``goodput`` of the time trains."""
    return hours / count / goodput / HOURS_PER_DAY


def min_accelerators(memory_bytes: float, memory_gb: float | None) -> int | None:
    """Fewest accelerators whose memory holds ``memory_bytes`` (None if memory is unknown)."""
    if memory_gb is None:
        return None
    return max(1, math.ceil(memory_bytes / (memory_gb * 1e9)))


def combine_wall_clock(out: dict[str, Any], timing: str) -> None:
    """Wall-clock until the model exists, point and range (``combined_wall_clock_days``,
    ``_low``, ``_high`` in ``out``): generation then training (``before``) adds the two;
    ``parallel`` takes the longer. A staged run calls it again on its stages' summed days."""
    for suffix in ("", "_low", "_high"):
        days, generation = out[f"wall_clock_days{suffix}"], out["generation_wall_clock_days"]
        out[f"combined_wall_clock_days{suffix}"] = (
            days + generation if timing == "before" else np.maximum(days, generation)
        )
