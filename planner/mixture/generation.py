"""Generator and judge throughput from the roofline: prefill, decode, KV cache, batch, energy.

One batch of ``B`` sequences, each reading ``P`` prompt tokens and writing ``O`` tokens:
prefill is compute-bound (``2N·B·P`` FLOPs); each of the ``O`` decode steps costs
``max(2N·B / peak, (weights + B·KV(context)) / HBM bandwidth)`` (Pope et al. 2022;
hardware-literature.md §10). The batch is capped by the memory left beside the weights.
An engine preset scales peak and bandwidth by the share a real serving stack reaches; each
preset is derived from one published throughput (its source) and recomputed by a test.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.compute import memory
from planner.numbers import Number
from planner.scenario.accelerators import Accelerator

__all__ = [
    "ENGINES",
    "Engine",
    "Generation",
    "GeneratorShape",
    "decode_step_seconds",
    "engine_efficiency",
    "generation",
    "job_hours",
    "kv_bytes_per_token",
    "max_decode_batch",
]


def kv_bytes_per_token(
    layers: Number, kv_heads: Number, head_dim: Number, bytes_per: Number = 2
) -> Number:
    """KV cache per token: ``2 · L · n_kv · d_head · bytes`` (keys and values)."""
    return 2.0 * layers * kv_heads * head_dim * bytes_per


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


def max_decode_batch(
    memory_gb: Number, weight_bytes: Number, kv_bytes_per_sequence: Number
) -> Number:
    """Sequences whose KV cache fits beside the weights: ``(HBM − weights) / KV per sequence``."""
    return np.maximum(0.0, np.floor((memory_gb * 1e9 - weight_bytes) / kv_bytes_per_sequence))


@dataclass(frozen=True)
class Engine:
    """A serving stack: the share of peak FLOP/s and of HBM bandwidth it reaches."""

    name: str
    efficiency: float
    """Applied to both the compute and the bandwidth roof (one number per published point)."""
    source: str


ENGINES: dict[str, Engine] = {
    "roofline": Engine(
        "roofline", 1.0, "upper bound: peak FLOP/s and HBM bandwidth (Pope et al. 2022)"
    ),
    "wrap-2023": Engine(
        "wrap-2023",
        0.097,
        "derived from WRAP (Maini et al. 2024): 85B tokens by a 7.24B rephraser (Mistral-7B shape, "
        "BF16) in ~25K A100-80GB-hours with 2023 vLLM; 300-token prompts and outputs and a batch "
        "of at most 256 are assumptions; recomputed by tests/mixture/test_generation.py",
    ),
    "trtllm-2025": Engine(
        "trtllm-2025",
        0.64,
        "derived from NVIDIA TensorRT-LLM perf-overview.md: Llama-3.1-8B on 1xH100, FP8 weights, "
        "1000/1000 tokens, 15,220 output tokens/s; FP8 KV cache assumed (with a BF16 cache even the "
        "roofline falls short of the published figure); recomputed by tests/mixture/test_generation.py",
    ),
}
"""Engine presets, each derived from one published throughput (docs/hardware-literature.md §10)."""


@dataclass(frozen=True)
class GeneratorShape:
    """What the roofline needs to know about a generator model."""

    params: float
    """Active parameters per token."""
    layers: int
    kv_heads: int
    head_dim: int
    weight_bytes_per_param: float = 2.0
    """2 for BF16 weights, 1 for FP8."""
    kv_bytes: float = 2.0
    """Bytes per cached key or value element."""


@dataclass(frozen=True)
class Generation:
    """Throughput of one replica of a generator (arrays over plans where inputs are arrays)."""

    batch: Any
    """Sequences decoded together (capped by memory)."""
    accelerators: Any
    """Accelerators per replica (enough to hold the weights with half of HBM to spare)."""
    seconds_per_batch: Any
    output_tokens_per_s: Any
    """Per accelerator."""
    prefill_share: Any
    """Share of the batch time spent reading prompts."""
    energy_kwh_per_million_output: Any
    """At board TDP (NaN without one)."""
    request_fits: Any = True
    """Whether one request's KV cache fits beside the weights (else the batch is floored at 1)."""


def generation(
    shape: GeneratorShape,
    accelerator: Accelerator,
    prompt_tokens: Any,
    output_tokens: Any,
    engine: Engine,
    max_batch: Any = 256,
) -> Generation:
    """Output tokens per second per accelerator of an offline generation job.

    Replica size: ``ceil(weights / (HBM/2))`` accelerators (assumption: half of HBM for the KV
    cache). Batch: ``min(max_batch, (usable HBM − weights) / KV per sequence at full context)``.
    Prefill ``2N·B·P / (peak·e)``; decode ``O × max(2N·B/(peak·e), (W + B·KV(P + O/2))/(BW·e))``
    with the average context ``P + O/2``.
    """
    weights = shape.params * shape.weight_bytes_per_param
    hbm = (accelerator.memory_gb or math.nan) * 1e9
    replica = np.maximum(1, np.ceil(weights / (hbm / 2)))
    peak = accelerator.peak_flops(
        "fp8" if shape.weight_bytes_per_param <= 1 and accelerator.peak_fp8_tflops else "bf16"
    )
    peak_total = replica * peak * engine.efficiency
    bandwidth = replica * (accelerator.memory_bw_tbs or math.nan) * engine.efficiency
    per_token_kv = kv_bytes_per_token(shape.layers, shape.kv_heads, shape.head_dim, shape.kv_bytes)
    room = replica * memory.usable_bytes(accelerator.memory_gb or math.nan) - weights
    fits = max_decode_batch(room / 1e9, 0.0, per_token_kv * (prompt_tokens + output_tokens))
    batch = np.maximum(1, np.minimum(max_batch, fits))
    prefill = 2.0 * shape.params * batch * prompt_tokens / peak_total
    context = prompt_tokens + output_tokens / 2.0
    step = decode_step_seconds(
        shape.params, batch, weights, per_token_kv * context, peak_total, bandwidth
    )
    seconds = prefill + output_tokens * step
    rate = batch * output_tokens / seconds / replica
    tdp = accelerator.tdp_w or math.nan
    energy = tdp / 1000.0 * (1e6 / rate) / 3600.0
    return Generation(batch, replica, seconds, rate, prefill / seconds, energy, fits >= 1)


def engine_efficiency(
    shape: GeneratorShape,
    accelerator: Accelerator,
    prompt_tokens: float,
    output_tokens: float,
    tokens_per_s: float,
    max_batch: float = 256,
) -> float:
    """The engine efficiency at which :func:`generation` gives ``tokens_per_s`` (bisection in log).

    How each :data:`ENGINES` preset is derived from its published
    """
    low, high = 1e-4, 1.0
    for _ in range(60):
        mid = math.sqrt(low * high)
        rate = generation(
            shape, accelerator, prompt_tokens, output_tokens, Engine("fit", mid, ""), max_batch
        ).output_tokens_per_s
        low, high = (mid, high) if float(rate) < tokens_per_s else (low, mid)
    return math.sqrt(low * high)


def job_hours(
    shape: GeneratorShape,
    accelerator: Accelerator,
    input_tokens: Any,
    output_tokens: Any,
    engine: Engine,
    output_per_sequence: float,
    max_batch: Any = 256,
) -> Any:
    """Accelerator-hours to read ``input_tokens`` and write ``output_tokens``.

    Requests write ``output_per_sequence`` tokens each, with the job's prompt ratio
    (``input / output``), at :func:`generation`'s rate. A job that only reads (a distillation
    teacher's forward pass, ``output_tokens`` 0) is prefill alone: ``2N·input / (peak·e)``.
    """
    read = np.asarray(input_tokens, dtype=float)
    written = np.asarray(output_tokens, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(written > 0, read / np.where(written > 0, written, 1.0), 0.0)
        served = generation(
            shape, accelerator, ratio * output_per_sequence, output_per_sequence, engine, max_batch
        )
        decode = written / served.output_tokens_per_s / 3600.0
    if not np.all(served.request_fits | (written <= 0)):
        from planner.errors import InputError

        raise InputError(
            "one request's KV cache does not fit beside the generator's weights on "
            f"{accelerator.id}",
            field="self_hosted.roofline",
            allowed="lower output_tokens_per_sequence or the prompt ratio, or use an accelerator "
            "with more memory",
        )
    prefill = (
        2.0 * shape.params * read / (accelerator.peak_flops("bf16") * engine.efficiency) / 3600.0
    )
    return np.where(written > 0, decode, prefill)
