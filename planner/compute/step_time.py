"""Communication, pipeline bubble and step time: small pure formulas.

Collective volumes follow the nccl-tests ring convention; the step-time model follows
Narayanan et al. 2021, Calculon (calculon-ai/calculon) and llm-analysis, as summarised
in ``docs/hardware-literature.md`` §3-§6. Floats or numpy arrays.
"""

from __future__ import annotations

import numpy as np

from planner import precisions
from planner.numbers import Number

__all__ = [
    "FP8_SPEEDUP",
    "FP8_SPEEDUP_HIGH",
    "FP8_SPEEDUP_LOW",
    "KERNEL_EFFICIENCY_MAX",
    "KERNEL_HALF_HIDDEN",
    "LINK_EFFICIENCY_SCALE_OUT",
    "LINK_EFFICIENCY_SCALE_UP",
    "LINK_LATENCY_S",
    "all_gather_bytes",
    "all_reduce_bytes",
    "all_to_all_bytes",
    "bubble_share_of_ideal",
    "collective_seconds",
    "kernel_efficiency",
    "realised_speedup",
    "stage_imbalance",
    "tensor_parallel_bytes_per_layer",
]

LINK_EFFICIENCY_SCALE_UP = 0.65
"""Achieved share of NVLink-class bandwidth in a collective: Calculon's shipped system files
(``systems/*.json``, commit caa4b11) use 0.65 (measured H100 p2p reaches 0.83, NVIDIA/nccl #1264)."""
LINK_EFFICIENCY_SCALE_OUT = 0.9
"""Achieved share of InfiniBand bandwidth: Calculon's system files use 0.9."""
FP8_SPEEDUP = precisions.FORMATS["fp8"].speedup
FP8_SPEEDUP_LOW = precisions.FORMATS["fp8"].speedup_low
FP8_SPEEDUP_HIGH = precisions.FORMATS["fp8"].speedup_high
"""Realised FP8 speed-up (from the one table, planner.precisions) over BF16 (docs/hardware-literature.md §9): 1.3 default, range 1.2-1.75
(Apertus +26%, FP8-LM +64-75% over BF16 Megatron); never the datasheet 2x. Published large FP8
runs sit at ~17% (DeepSeek-V3) to ~20% (Llama 4 Behemoth) of the FP8 peak."""

KERNEL_EFFICIENCY_MAX = 0.70
"""Share of dense BF16 peak a very wide model's matrix work reaches, ``E`` in
:func:`kernel_efficiency`. Calibrated on measured per-step times
(planner/data/step_benchmarks.csv: Korthikanti Table 5, Narayanan Table 1, Megatron-Bridge
25.11, llm-foundry; :func:`planner.compute.step_calibration.calibrate_step_speed`, recomputed by
tests/compute/test_step_calibration.py)."""
KERNEL_HALF_HIDDEN = 1420.0
"""Hidden size at which the kernel efficiency is half of :data:`KERNEL_EFFICIENCY_MAX`, ``h½``.
Calibrated with it (same data and function): GEMMs of small hidden sizes run far from peak
(Calculon's A100 efficiency table: 95% at >=128 GFLOP, 60% at ~1 GFLOP)."""

LINK_LATENCY_S = 20e-6
"""Latency per collective: Calculon uses 10 µs (NVLink) and 20 µs (IB); the larger is taken."""


def all_reduce_bytes(size: Number, group: Number) -> Number:
    """Bytes each rank sends in a ring all-reduce of ``size`` bytes: ``2(n-1)/n · S``.

    nccl-tests PERFORMANCE.md bus-bandwidth convention (docs/hardware-literature.md §4).
    """
    n = np.maximum(group, 1)
    return 2.0 * (n - 1) / n * size


def all_gather_bytes(size: Number, group: Number) -> Number:
    """Bytes each rank sends in an all-gather or reduce-scatter: ``(n-1)/n · S`` (S gathered)."""
    n = np.maximum(group, 1)
    return (n - 1) / n * size


def all_to_all_bytes(size: Number, group: Number) -> Number:
    """Bytes each rank sends in an all-to-all of ``size`` bytes: ``(n-1)/n · S``."""
    return all_gather_bytes(size, group)


def collective_seconds(
    sent_bytes: Number, bandwidth_gbs: Number, efficiency: Number, latency_s: Number = 0.0
) -> Number:
    """``latency + bytes / (efficiency · bandwidth)`` (Calculon; llm-analysis ``time_allgather``)."""
    return latency_s + sent_bytes / (efficiency * bandwidth_gbs * 1e9)


def tensor_parallel_bytes_per_layer(
    seq: Number, batch: Number, hidden: Number, tensor: Number, recompute: bool = False
) -> Number:
    """Bytes each TP rank sends per layer per micro-batch: ``16(t-1)/t · sbh`` (+50% with recompute).

    Megatron TP: two all-reduces of the 16-bit ``s·b·h`` activations forward and two backward
    (Narayanan et al. 2021 §2.3; Korthikanti et al. 2022); sequence parallelism swaps each
    for all-gather + reduce-scatter of the same volume; a recomputed forward adds two more.
    """
    per = all_reduce_bytes(2.0 * seq * batch * hidden, tensor)
    return per * (6.0 if recompute else 4.0)


def bubble_share_of_ideal(pipeline: Number, micro_batches: Number, virtual: Number = 1) -> Number:
    """Pipeline bubble over ideal time: ``(p-1)/(v·m)`` (Narayanan et al. 2021 §2.2)."""
    return (pipeline - 1) / (virtual * micro_batches)


def kernel_efficiency(
    hidden: Number, maximum: Number = KERNEL_EFFICIENCY_MAX, half: Number = KERNEL_HALF_HIDDEN
) -> Number:
    """Share of dense peak the layer's matrix work runs at: ``E · h / (h + h½)``.

    A saturating curve in the hidden size h (operation size grows with h: Calculon maps GEMM
    size to efficiency, docs/hardware-literature.md §6); E and h½ are calibrated on measured
    per-step times (:data:`KERNEL_EFFICIENCY_MAX`, :data:`KERNEL_HALF_HIDDEN`).
    """
    return maximum * hidden / (hidden + half)


def realised_speedup(precision: str) -> float:
    """Realised matrix-speed gain of ``precision`` over BF16 (the one place precision enters
    step time): the point speed-up of the format in :data:`planner.precisions.FORMATS` (bf16 1,
    fp8 1.3: docs/hardware-literature.md §9; FP4 formats: laws-2025.md §2).

    Unknown formats get 1 (no gain assumed).
    """
    fmt = precisions.FORMATS.get(precision)
    return fmt.speedup if fmt is not None else 1.0


def stage_imbalance(layers: Number, pipeline: Number) -> Number:
    """Slowest stage over the mean: ``ceil(L/p) / (L/p)``; 1 when p divides L.

    Uneven stages (Megatron ``--decoder-first/last-pipeline-num-layers``, NeMo's 126 layers on
    pp 8) give the first and last stages fewer blocks to leave room for the embedding and the
    loss; the busiest stage sets the pace. Assumption: blocks dominate stage time.
    """
    p = np.maximum(pipeline, 1)
    return np.ceil(layers / p) * p / layers
