"""Memory per accelerator while training: model states, activations, ZeRO-3 buffers, headroom.

Small pure formulas on floats or numpy arrays. Sources are in each docstring; the
derivations are in ``docs/hardware-literature.md`` §1-§2. Bytes, not GB; activations are 16-bit unless stated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.numbers import Number

__all__ = [
    "HEADROOM_SHARE",
    "OPTIMIZER_CONVENTIONS",
    "StateBytes",
    "activation_bytes_per_layer",
    "inflight_layers",
    "logits_bytes",
    "model_state_bytes",
    "training_memory_bytes",
    "usable_bytes",
    "zero3_buffer_bytes",
]

HEADROOM_SHARE = 0.05
"""Share of HBM kept free for allocator fragmentation, NCCL buffers and temporaries.
Assumption (docs/hardware-literature.md §1: "a labelled reserve, 5-10% of HBM"; Megatron adds 5%
for optimizer temporaries alone, ``theoretical_memory_usage.py``). The lower end: at 10% this
model refused layouts that run in production (Megatron-Bridge 25.11: Llama 3 70B at tp 4 x pp 8
x vp 5 on 64 H100 needs 74.9 GB here, against 72 GB usable at 10% and 76 GB at 5%)."""


@dataclass(frozen=True)
class StateBytes:
    """Bytes per parameter of one model-state convention (mixed-precision Adam)."""

    name: str
    weights: float
    gradients: float
    optimizer: float
    source: str

    @property
    def total(self) -> float:
        return self.weights + self.gradients + self.optimizer


OPTIMIZER_CONVENTIONS: dict[str, StateBytes] = {
    "zero-16": StateBytes(
        "zero-16",
        2.0,
        2.0,
        12.0,
        "Rajbhandari et al. 2020 (ZeRO, arXiv 1910.02054) §3.1: bf16 weights 2 + bf16 gradients 2 "
        "+ fp32 master, momentum, variance K = 12",
    ),
    "megatron-18": StateBytes(
        "megatron-18",
        2.0,
        4.0,
        12.0,
        "NVIDIA/Megatron-LM theoretical_memory_usage.py (commit 00caa53): bf16 weights 2 + fp32 "
        "main gradients 4 + fp32 master and Adam m, v 12",
    ),
}
"""Named model-state conventions: ``zero-16`` (16 B/param) and ``megatron-18`` (18 B/param)."""


def model_state_bytes(
    params: Number, data_parallel: Number, zero_stage: Number, convention: StateBytes
) -> tuple[Number, Number, Number]:
    """(weights, gradients, optimizer) bytes on one accelerator for ``params`` held there.

    ZeRO (Rajbhandari et al. 2020, Fig. 1) shards over the ``N_d`` data-parallel replicas:
    stage 1 the optimizer states (``4Ψ + 12Ψ/N_d`` at 16 B/param), stage 2 also gradients
    (``2Ψ + 14Ψ/N_d``), stage 3 also weights (``16Ψ/N_d``). Megatron's distributed optimizer
    is stage 1 on the 18 B/param convention: ``6 + 12/d`` bytes per parameter.
    ``params`` is the shard after tensor, pipeline and expert parallelism.
    """
    d = np.maximum(data_parallel, 1)
    stage = np.asarray(zero_stage)
    optimizer = params * convention.optimizer / np.where(stage >= 1, d, 1)
    gradients = params * convention.gradients / np.where(stage >= 2, d, 1)
    weights = params * convention.weights / np.where(stage >= 3, d, 1)
    return weights, gradients, optimizer


def activation_bytes_per_layer(
    seq: Number,
    batch: Number,
    hidden: Number,
    heads: Number,
    tensor: Number = 1,
    *,
    sequence_parallel: bool = False,
    recompute: str = "none",
    flash_attention: bool = False,
    dropout: bool = True,
    kv_ratio: Number = 1.0,
    ffn: Number | None = None,
    glu: bool = False,
    top_k: Number = 1,
    experts: Number = 1,
) -> Number:
    """Activation bytes one transformer layer keeps for backward, per accelerator.

    Korthikanti et al. 2022 (arXiv 2205.05198) Table 2 for a GPT-3 block (MHA, GeLU,
    f = 4h, dropout): ``sbh(34 + 5as/h)`` unsplit; with tensor parallel ``t``
    ``sbh(10 + 24/t + 5as/(ht))``; with sequence parallel everything divides by t;
    selective recompute drops the ``5as/h`` score term; full recompute keeps only the
    layer input ``2sbh`` (÷t with sequence parallel). Decomposition (docs/hardware-literature.md
    §2): replicated under plain TP = two norm inputs 4 + attention input 2 + MLP input 2
    + two dropout masks 2 = 10; split = Q 2 + K 2g + V 2g + output-projection input 2
    + MLP internals (GeLU ``4f/h``: 16 at f = 4h) = 24. Planner conventions beyond the
    paper: no dropout removes the masks and makes the score term ``2as/h``; GQA ratio
    ``g = n_kv/a`` shrinks K and V; SwiGLU internals are ``6f/h``; MoE stores the MLP
    internals and a dispatched input copy for each of the ``k`` experts a token visits,
    plus router logits and softmax ``4·s·b·E``. FlashAttention (Dao et al. 2022) removes
    the score term like selective recompute and keeps fp32 row statistics ``4·a·s·b``.
    """
    s, b, h, a, t = seq, batch, hidden, heads, tensor
    sbh = s * b * h
    if recompute == "full":
        return 2.0 * sbh / (t if sequence_parallel else 1)
    f = 4.0 * h if ffn is None else ffn
    masks = 2.0 if dropout else 0.0
    moe = np.asarray(experts) > 1
    mlp_inner = (6.0 if glu else 4.0) * f / h
    replicated = 4.0 + 2.0 + 2.0 + masks + np.where(moe, 2.0 * top_k, 0.0)
    split = 4.0 + 4.0 * kv_ratio + top_k * mlp_inner
    linear = sbh * (replicated / (t if sequence_parallel else 1) + split / t)
    router = np.where(moe, 4.0 * s * b * experts, 0.0)
    keep_scores = recompute == "none" and not flash_attention
    scores = (5.0 if dropout else 2.0) * a * s * s * b / t if keep_scores else 0.0
    stats = 4.0 * a * s * b / t if flash_attention and recompute == "none" else 0.0
    return linear + router + scores + stats


def inflight_layers(
    layers: Number, pipeline: Number, micro_batches: Number, virtual: Number = 1
) -> Number:
    """Layers' worth of activations the first pipeline stage holds at its peak.

    1F1B (PipeDream-Flush): ``p`` micro-batches in flight × ``L/p`` layers = ``L``;
    with ``m < p`` only ``m/p`` of that; interleaving with ``v > 1`` chunks multiplies by
    ``1 + (p-1)/(p·v)`` (Korthikanti et al. 2022 Fig. 1 penalty; Megatron-LM
    ``theoretical_memory_usage.py``; Narayanan et al. 2021).
    """
    p = np.maximum(pipeline, 1)
    fill = np.minimum(micro_batches, p) / p
    penalty = np.where(np.asarray(virtual) > 1, 1.0 + (p - 1) / (p * virtual), 1.0)
    return layers * fill * penalty


def logits_bytes(seq: Number, batch: Number, vocab: Number, tensor: Number = 1) -> Number:
    """Logits and their gradient on the last stage, 16-bit: ``2 × s·b·V·2/t``.

    docs/hardware-literature.md §2 ("Logits"): at V = 128K, s = 8K, b = 1, t = 8 one copy is 0.25 GiB.
    """
    return 2.0 * seq * batch * vocab * 2.0 / tensor


def zero3_buffer_bytes(layer_params: Number, tensor: Number = 1, prefetch: Number = 2) -> Number:
    """ZeRO-3/FSDP gathered-layer buffers: ``prefetch`` unsharded 16-bit layers (÷t).

    llm-analysis (cli99/llm-analysis ``analysis.py``, commit d841e40) adds
    ``(fwd_prefetch + bwd_prefetch) × one unsharded layer``; default one each way.
    """
    return prefetch * 2.0 * layer_params / tensor


def usable_bytes(memory_gb: Number, headroom: Number = HEADROOM_SHARE) -> Number:
    """HBM a plan may fill: capacity less the labelled headroom (:data:`HEADROOM_SHARE`)."""
    return memory_gb * 1e9 * (1.0 - headroom)


def training_memory_bytes(total_params: Number) -> Number:
    """Weights, gradients and Adam states of the whole model, unsharded: 16 bytes per parameter.

    :func:`model_state_bytes` on one replica under the ``zero-16`` convention: 2 (bf16 weights)
    + 2 (bf16 gradients) + 12 (fp32 master copy, momentum, variance), Rajbhandari et al. 2020
    (ZeRO) §3.1. Every expert of an MoE model counts. Activations are not included, so this is a
    lower bound on the memory the accelerators must hold together.
    """
    weights, gradients, optimizer = model_state_bytes(
        total_params, 1, 0, OPTIMIZER_CONVENTIONS["zero-16"]
    )
    return weights + gradients + optimizer
