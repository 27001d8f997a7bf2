"""Step time and predicted utilisation of a layout; the feasible layouts of a cluster.

Step time = compute at a calibrated kernel efficiency + exposed TP, PP and EP communication
+ the DP gradient reduction not hidden behind backward + the pipeline bubble (Narayanan et
al. 2021 Eq. 1; Calculon's sum of exposed terms; docs/hardware-literature.md §4-§6). The one free
constant, :data:`KERNEL_EFFICIENCY`, is calibrated on the published runs
(:func:`planner.compute.backtest.calibrate_kernel`; ``tests/compute/test_utilization.py`` recomputes it).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.compute import batch_size, failures, flops, memory
from planner.compute import step_time as steptime
from planner.errors import InputError
from planner.scenario.accelerators import Accelerator
from planner.scenario.layout import Layout, check_for_model
from planner.scenario.schema import Architecture

__all__ = [
    "DP_OVERLAP_SHARE",
    "KERNEL_EFFICIENCY",
    "Candidate",
    "LayoutMemory",
    "StepTime",
    "failure_share",
    "layout_memory",
    "layouts",
    "predicted_utilization",
    "search_layouts",
    "step_time",
]

KERNEL_EFFICIENCY = 0.38
"""Share of dense peak the layout's compute runs at, before communication, bubble and failures.
Calibrated on the 23 scored published runs with link bandwidths in the catalog: the value at
which the median of implied whole-run MFU / predicted is 1 (0.384;
planner.compute.calibration.calibrate_kernel, recomputed by tests/compute/test_utilization.py). Lower than
steady-state kernel efficiency (Korthikanti's 530B ran at 56% MFU) because it also absorbs
evaluation, idle time, long-context stages and restarts beyond the failure model, which
published hours include."""

DP_OVERLAP_SHARE = 2.0 / 3.0
"""Share of the compute time the DP gradient reduction can hide behind: the backward pass
(4 of 6 N FLOPs). Assumption, docs/hardware-literature.md §4 ("DP overlapped up to the backward time")."""


@dataclass(frozen=True)
class StepTime:
    """Seconds per optimizer step, by term (arrays over plans)."""

    compute_s: Any
    tensor_s: Any
    pipeline_s: Any
    expert_s: Any
    data_s: Any
    """The DP gradient reduction left exposed after overlapping backward."""
    bubble_s: Any

    @property
    def total_s(self) -> Any:
        return (
            self.compute_s
            + self.tensor_s
            + self.pipeline_s
            + self.expert_s
            + self.data_s
            + self.bubble_s
        )

    @property
    def structural_share(self) -> Any:
        """Compute time over step time: what communication and the bubble leave."""
        return self.compute_s / self.total_s


def _link(accelerator: Accelerator, group: Any) -> tuple[Any, Any]:
    """(GB/s one direction, efficiency) for a group of ``group`` accelerators.

    Inside the scale-up domain: half the bidirectional NVLink figure at 0.65; beyond it the
    scale-out NIC at 0.9 (Calculon's system files). A missing figure falls back to the other.
    """
    up = accelerator.scale_up_gbs / 2 if accelerator.scale_up_gbs else None
    out = accelerator.scale_out_gbs
    domain = accelerator.scale_up_domain or 1
    up = up or out or math.nan
    out = out or up
    inside = np.asarray(group) <= domain
    bandwidth = np.where(inside, up, out)
    efficiency = np.where(
        inside, steptime.LINK_EFFICIENCY_SCALE_UP, steptime.LINK_EFFICIENCY_SCALE_OUT
    )
    return bandwidth, efficiency


@dataclass(frozen=True)
class LayoutMemory:
    """Bytes per accelerator of one layout (arrays over plans)."""

    weights: Any
    gradients: Any
    optimizer: Any
    activations: Any
    buffers: Any
    usable: Any
    micro_batches: Any
    """Micro-batches per step per pipeline, ``m = B/(b·d)``."""

    @property
    def total(self) -> Any:
        return self.weights + self.gradients + self.optimizer + self.activations + self.buffers

    @property
    def fits(self) -> Any:
        return self.total <= self.usable


def _expert_params(arch: Architecture) -> float:
    if arch.experts <= 1:
        return 0.0
    return float(
        arch.layers
        * arch.experts
        * flops.ffn_params(arch.d_model, arch.ffn_size_resolved, arch.glu)
    )


def layout_memory(
    arch: Architecture, layout: Layout, accelerator: Accelerator, dp: Any, global_batch: Any
) -> LayoutMemory:
    """Memory per accelerator of ``layout`` (most-loaded stage), arrays over ``dp`` and batch.

    Model states: dense parameters split over ``t·p``, experts over ``e·t·p``; ZeRO shards the
    dense states over ``d`` and the expert states over ``d/e`` (embeddings spread evenly over
    stages: a simplification, Megatron puts them on the first and last). Activations: Korthikanti
    per layer (:func:`planner.compute.memory.activation_bytes_per_layer`) × layers in flight on the first
    stage, or the last stage's share plus the logits, whichever is larger.
    """
    t, p, e, c, b = layout.tp, layout.pp, layout.ep, layout.cp, layout.micro_batch
    total = flops.count_params(arch).total
    experts = _expert_params(arch)
    dense = total - experts
    convention = memory.OPTIMIZER_CONVENTIONS[layout.optimizer_states]
    stage = layout.zero_stage
    dense_states = memory.model_state_bytes(dense / (t * p), dp, stage, convention)
    expert_states = memory.model_state_bytes(
        experts / (e * t * p), np.maximum(dp / e, 1), stage, convention
    )
    weights, gradients, optimizer = (
        a + x for a, x in zip(dense_states, expert_states, strict=True)
    )
    local_seq = arch.seq_len / c
    per_layer = memory.activation_bytes_per_layer(
        local_seq,
        b,
        arch.d_model,
        arch.heads,
        t,
        sequence_parallel=layout.sequence_parallel,
        recompute=layout.recompute,
        flash_attention=layout.flash_attention,
        dropout=layout.dropout,
        kv_ratio=arch.kv_heads_resolved / arch.heads,
        ffn=arch.ffn_size_resolved,
        glu=arch.glu,
        top_k=arch.top_k,
        experts=arch.experts,
    )
    micro_batches = np.maximum(global_batch / (b * dp), 1)
    first = per_layer * memory.inflight_layers(arch.layers, p, micro_batches, layout.virtual_stages)
    logits = memory.logits_bytes(local_seq, b, arch.vocab_size, t)
    last = per_layer * arch.layers / p + logits
    activations = np.where(p > 1, np.maximum(first, last), first + logits)
    layer_params = dense / arch.layers + experts / arch.layers / e
    buffers = memory.zero3_buffer_bytes(layer_params, t) if stage >= 3 else 0.0
    usable = memory.usable_bytes(accelerator.memory_gb) if accelerator.memory_gb else np.nan
    return LayoutMemory(weights, gradients, optimizer, activations, buffers, usable, micro_batches)


def step_time(
    arch: Architecture,
    layout: Layout,
    accelerator: Accelerator,
    dp: Any,
    global_batch: Any,
    active_params: float,
    kernel_efficiency: float = KERNEL_EFFICIENCY,
    speedup: float = 1.0,
) -> StepTime:
    """Seconds per step of ``layout``: the terms of :class:`StepTime`.

    Compute: Megatron FLOPs per token (attention and logits included; +1/3 of the block FLOPs
    with full recompute) × tokens per step / (n · peak · efficiency). TP: ``16(t-1)/t·sbh`` bytes
    per layer per micro-batch (steptime.tensor_parallel_bytes_per_layer), exposed. PP: one
    activation forward and one gradient backward per micro-batch and chunk. EP: dispatch and
    combine of ``s·b·k·h`` 16-bit values, forward and backward, all-to-all. DP: ring all-reduce of
    the bf16 gradient shard (×1.5 for ZeRO-3), exposed beyond :data:`DP_OVERLAP_SHARE` of compute.
    Bubble: ``(p-1)/(v·m)`` of the per-micro-batch work. ``speedup`` scales the compute rate
    (FP8: planner.compute.plan_terms.FP8_SPEEDUP, never the datasheet 2x).
    """
    t, p, c, e, b, v = (
        layout.tp,
        layout.pp,
        layout.cp,
        layout.ep,
        layout.micro_batch,
        layout.virtual_stages,
    )
    n = t * p * c * dp
    s = arch.seq_len / c
    m = np.maximum(global_batch / (b * dp), 1)
    per_token = flops.flops_megatron(arch)
    if layout.recompute == "full":
        per_token += (per_token - flops.logit_flops(arch)) / 3.0
    peak = accelerator.peak_flops("bf16") * speedup  # FP8: the realised GEMM speed-up
    tokens = global_batch * arch.seq_len
    compute_s = per_token * tokens / (n * peak * kernel_efficiency)
    layers = arch.layers / p
    bw, eff = _link(accelerator, t)
    tensor_bytes = steptime.tensor_parallel_bytes_per_layer(
        s, b, arch.d_model, t, layout.recompute == "full"
    )
    tensor_s = np.where(t > 1, steptime.collective_seconds(tensor_bytes * layers * m, bw, eff), 0.0)
    bw, eff = _link(accelerator, t * p)
    pipeline_bytes = 2.0 * (2.0 * s * b * arch.d_model / t) * m * v
    pipeline_s = np.where(p > 1, steptime.collective_seconds(pipeline_bytes, bw, eff), 0.0)
    bw, eff = _link(accelerator, e * t)
    dispatch = steptime.all_to_all_bytes(2.0 * s * b * arch.top_k * arch.d_model, e)
    expert_s = np.where(
        (arch.experts > 1) & (e > 1),
        steptime.collective_seconds(4.0 * dispatch * layers * m, bw, eff),
        0.0,
    )
    bw, eff = _link(accelerator, n)
    total = flops.count_params(arch).total
    gradient_bytes = 2.0 * total / (t * p) * (1.5 if layout.zero_stage >= 3 else 1.0)
    reduce_s = steptime.collective_seconds(steptime.all_reduce_bytes(gradient_bytes, dp), bw, eff)
    data_s = np.maximum(reduce_s - DP_OVERLAP_SHARE * compute_s, 0.0)
    bubble_s = steptime.bubble_share_of_ideal(p, m, v) * (compute_s + tensor_s + expert_s)
    del active_params  # MFU is taken on 6·N_active by the caller
    return StepTime(compute_s, tensor_s, pipeline_s, expert_s, data_s, bubble_s)


def predicted_utilization(
    step: StepTime,
    global_batch: Any,
    seq_len: int,
    active_params: float,
    accelerators: Any,
    peak: float,
) -> Any:
    """Steady-state MFU on 6·N_active model FLOPs: ``6·N·B·s / (n · peak · t_step)``."""
    return 6.0 * active_params * global_batch * seq_len / (accelerators * peak * step.total_s)


@dataclass(frozen=True)
class Candidate:
    """One layout tried for a cluster: feasible with its step time, or why not."""

    layout: Layout
    dp: int
    step_s: float
    predicted_utilization: float
    memory_bytes: float
    tokens_per_s: float
    """Training tokens per second on the whole cluster (what the search ranks by)."""
    reason: str
    """Empty when feasible; else the rule or memory limit it breaks."""

    @property
    def feasible(self) -> bool:
        return not self.reason


def search_layouts(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    global_batch_tokens: float,
    *,
    active_params: float | None = None,
    kernel_efficiency: float = KERNEL_EFFICIENCY,
) -> list[Candidate]:
    """Every layout of a small grid, feasible ones first by step time, then the others with why.

    Grid (Narayanan et al. 2021 practice): tp within the NVLink domain (1-8), pp dividing the
    layers (1-64), interleaved chunks v 1-4, ZeRO-1, recompute none/selective/full, micro-batch
    1-8, ep up to 64 for MoE.
    """
    active = active_params if active_params is not None else flops.count_params(arch).active
    domain = accelerator.scale_up_domain or 8
    tps = [t for t in (1, 2, 4, 8) if t <= max(domain, 1)]
    pps = [p for p in (1, 2, 4, 8, 16, 32, 64) if arch.layers % p == 0]
    eps = [e for e in (1, 8, 16, 32, 64) if arch.experts % e == 0] if arch.experts > 1 else [1]
    out: list[Candidate] = []
    grid = itertools.product(tps, pps, (1, 2, 4), eps, ("none", "selective", "full"), (1, 2, 4, 8))
    for t, p, v, e, recompute, micro in grid:
        if v > 1 and (p == 1 or arch.layers % (p * v)):
            continue
        layout = Layout(
            tp=t,
            pp=p,
            virtual_stages=v,
            ep=e,
            micro_batch=micro,
            recompute=recompute,
            sequence_parallel=t > 1,
        )
        try:
            dp = check_for_model(layout, arch, accelerators)
        except InputError as exc:
            out.append(Candidate(layout, 0, math.inf, 0.0, math.nan, 0.0, exc.problem))
            continue
        per = micro * dp
        sequences = max(1, round(global_batch_tokens / arch.seq_len / per)) * per
        mem = layout_memory(arch, layout, accelerator, dp, sequences)
        step = step_time(arch, layout, accelerator, dp, sequences, active, kernel_efficiency)
        util = predicted_utilization(
            step, sequences, arch.seq_len, active, t * p * dp, accelerator.peak_flops("bf16")
        )
        reason = (
            ""
            if bool(mem.fits)
            else f"needs {float(mem.total) / 1e9:,.0f} GB of {float(mem.usable) / 1e9:,.0f} GB usable"
        )
        out.append(
            Candidate(
                layout,
                dp,
                float(step.total_s),
                float(util),
                float(mem.total),
                float(sequences * arch.seq_len / step.total_s),
                reason,
            )
        )
    return sorted(out, key=lambda c: (not c.feasible, -c.tokens_per_s))


def layouts(scenario: Any) -> list[Candidate]:
    """The layouts of :func:`search_layouts` for a scenario's model, accelerators and tokens.

    Needs ``model.architecture``; the batch is ``training.layout.global_batch`` if given, else
    the Step Law batch of the scenario's tokens. Feasible layouts first, fastest first.
    """
    arch = scenario.model.architecture
    if arch is None:
        raise InputError(
            "a layout search needs the model's shape",
            field="model.architecture",
            allowed="give layers, d_model, heads, vocab_size and seq_len",
        )
    accelerator = scenario.training.accelerator
    missing = [
        what
        for what, value in (
            ("memory_gb", accelerator.memory_gb),
            (
                "scale_up_gbs or scale_out_gbs",
                accelerator.scale_up_gbs or accelerator.scale_out_gbs,
            ),
        )
        if not value
    ]
    if missing:
        raise InputError(
            f"a layout search needs the accelerator's memory and link bandwidth; "
            f"{accelerator.id} has no {' and no '.join(missing)}",
            field="training.accelerator",
            allowed=f"give {' and '.join(missing)} in the inline accelerator spec",
        )
    given = scenario.training.layout
    if given is not None and given.global_batch is not None:
        batch_tokens = float(given.global_batch * arch.seq_len)
    else:
        batch_tokens = float(batch_size.step_law_batch_tokens(scenario.total_tokens))
    return search_layouts(arch, accelerator, scenario.training.accelerator_count, batch_tokens)


def failure_share(accelerators: Any) -> Any:
    """Share of time lost to failures on ``accelerators`` (planner.compute.failures defaults)."""
    mtbf_s = failures.job_mtbf_hours(accelerators) * flops.SECONDS_PER_HOUR
    return failures.lost_share(failures.CHECKPOINT_SECONDS, mtbf_s, failures.RESTART_SECONDS)
