"""Step time and predicted utilisation of a layout; the feasible layouts of a cluster.

Step time = compute at a calibrated kernel efficiency + exposed TP, PP and EP communication
+ the DP gradient reduction not hidden behind backward + the pipeline bubble (Narayanan et
al. 2021 Eq. 1; Calculon's sum of exposed terms; docs/hardware-literature.md §4-§6). The kernel
efficiency is a curve in the hidden size (:func:`planner.compute.step_time.kernel_efficiency`) calibrated
on measured per-step times (:mod:`planner.compute.step_calibration`); goodput and the whole run are
:mod:`planner.compute.hours`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.compute import batch_size, flops, memory
from planner.compute import step_time as steptime
from planner.errors import InputError
from planner.scenario.accelerators import Accelerator
from planner.scenario.layout import Layout, check_for_model
from planner.scenario.schema import Architecture

__all__ = [
    "DP_OVERLAP_SHARE",
    "Candidate",
    "LayoutMemory",
    "StepTime",
    "fastest_layout",
    "layout_memory",
    "layouts",
    "predicted_utilization",
    "search_layouts",
    "step_time",
]

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
    context_s: Any = 0.0
    """The context-parallel K/V ring left exposed after the attention work it overlaps."""

    @property
    def total_s(self) -> Any:
        return (
            self.compute_s
            + self.tensor_s
            + self.pipeline_s
            + self.expert_s
            + self.data_s
            + self.bubble_s
            + self.context_s
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


def _hierarchical_all_reduce_s(
    accelerator: Accelerator, size: Any, group: Any, stride: Any = 1
) -> Any:
    """Seconds of a two-level all-reduce of ``size`` bytes over ``group`` ranks.

    Ranks of one group sit ``stride`` apart (the model-parallel ranks in between), so
    ``k = domain/stride`` of them share a scale-up domain. NCCL's hierarchical pattern:
    reduce-scatter and all-gather inside the domain over NVLink-class links
    (``2(k-1)/k · S``), and an all-reduce of the ``S/k`` shard across domains on the
    scale-out NICs (``2(g/k-1)/(g/k) · S/k``); Calculon and NCCL's tree/NVLS algorithms
    charge the inter-node part this way (docs/hardware-literature.md §4). One level when the
    whole group fits in the domain.
    """
    domain = accelerator.scale_up_domain or 1
    inside = np.clip(np.floor(domain / np.maximum(stride, 1)), 1, np.maximum(group, 1))
    across = np.maximum(group / inside, 1)
    up_bw, up_eff = _link(accelerator, 1)
    out_bw, out_eff = _link(accelerator, domain + 1)
    within = steptime.collective_seconds(steptime.all_reduce_bytes(size, inside), up_bw, up_eff)
    between = steptime.collective_seconds(
        steptime.all_reduce_bytes(size / inside, across), out_bw, out_eff
    )
    return within + between


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
    # ZeRO and FSDP shard over data and context ranks alike (Megatron's distributed optimizer
    # and FSDP2 both use the d·c group); the busiest stage holds ceil(L/p) layers
    stage_share = np.ceil(arch.layers / p) / arch.layers
    dense_states = memory.model_state_bytes(dense * stage_share / t, dp * c, stage, convention)
    expert_states = memory.model_state_bytes(
        experts * stage_share / (e * t), np.maximum(dp * c / e, 1), stage, convention
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
    last = per_layer * np.ceil(arch.layers / p) + logits
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
    kernel_efficiency: float | None = None,
    speedup: float = 1.0,
) -> StepTime:
    """Seconds per step of ``layout``: the terms of :class:`StepTime`.

    Compute: Megatron FLOPs per token (attention and logits included; +1/3 of the block FLOPs
    with full recompute) × tokens per step / (n · peak · efficiency), the efficiency
    :func:`planner.compute.step_time.kernel_efficiency` of the hidden size unless given, times the
    slowest pipeline stage's share (:func:`planner.compute.step_time.stage_imbalance`, uneven stages).
    TP: ``16(t-1)/t·sbh`` bytes per layer per micro-batch (steptime.tensor_parallel_bytes_per_layer),
    exposed. CP: the ring passes K and V of the other ``c-1`` chunks, forward and twice
    backward, hidden behind the attention score work (Megatron context parallelism). PP: one
    activation forward and one gradient backward per micro-batch and chunk. EP: dispatch and
    combine of ``s·b·k·h`` 16-bit values, forward and backward, all-to-all. DP: ring all-reduce
    of the bf16 gradient shard over ``d·c`` ranks (×1.5 for ZeRO-3), exposed beyond
    :data:`DP_OVERLAP_SHARE` of compute. Bubble: ``(p-1)/(v·m)`` of the per-micro-batch work.
    ``speedup`` scales the compute rate (:func:`planner.compute.step_time.realised_speedup`, never the
    datasheet 2x).
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
    efficiency = (
        steptime.kernel_efficiency(arch.d_model) if kernel_efficiency is None else kernel_efficiency
    )
    peak = accelerator.peak_flops("bf16") * speedup  # FP8: the realised GEMM speed-up
    tokens = global_batch * arch.seq_len
    imbalance = steptime.stage_imbalance(arch.layers, p)
    compute_s = per_token * tokens / (n * peak * efficiency) * imbalance
    layers = np.ceil(arch.layers / p)
    bw, eff = _link(accelerator, t)
    tensor_bytes = steptime.tensor_parallel_bytes_per_layer(
        s, b, arch.d_model, t, layout.recompute == "full"
    )
    tensor_s = np.where(t > 1, steptime.collective_seconds(tensor_bytes * layers * m, bw, eff), 0.0)
    bw, eff = _link(accelerator, t * c)
    kv_bytes = (
        2.0
        * 2.0
        * s
        * b
        * arch.kv_heads_resolved
        * arch.head_dim_resolved
        / min(t, arch.kv_heads_resolved)
    )
    context_comm = steptime.collective_seconds(3.0 * (c - 1) * kv_bytes * layers * m, bw, eff)
    attention = 12.0 * arch.seq_len * arch.heads * arch.head_dim_resolved * arch.layers
    context_s = np.where(
        c > 1, np.maximum(context_comm - compute_s * attention / per_token, 0.0), 0.0
    )
    bw, eff = _link(accelerator, t * c * p)
    pipeline_bytes = 2.0 * (2.0 * s * b * arch.d_model / t) * m * v
    pipeline_s = np.where(p > 1, steptime.collective_seconds(pipeline_bytes, bw, eff), 0.0)
    bw, eff = _link(accelerator, e * t)
    dispatch = steptime.all_to_all_bytes(2.0 * s * b * arch.top_k * arch.d_model, e)
    expert_s = np.where(
        (arch.experts > 1) & (e > 1),
        steptime.collective_seconds(4.0 * dispatch * layers * m, bw, eff),
        0.0,
    )
    total = flops.count_params(arch).total
    gradient_bytes = 2.0 * total / (t * p) * (1.5 if layout.zero_stage >= 3 else 1.0)
    reduce_s = _hierarchical_all_reduce_s(accelerator, gradient_bytes, dp * c, t * p)
    data_s = np.maximum(reduce_s - DP_OVERLAP_SHARE * compute_s, 0.0)
    bubble_s = steptime.bubble_share_of_ideal(p, m, v) * (compute_s + tensor_s + expert_s)
    del active_params  # MFU is taken on 6·N_active by the caller
    return StepTime(compute_s, tensor_s, pipeline_s, expert_s, data_s, bubble_s, context_s)


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


def _candidate(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    global_batch_tokens: float,
    key: tuple[int, int, int, int, int, int, int],
    recompute: str,
    active: float,
    kernel_efficiency: float | None,
    speedup: float,
) -> Candidate:
    """One layout of the grid (``key`` = tp, pp, v, cp, zero, ep, micro-batch) evaluated."""
    t, p, v, c, zero, e, micro = key
    layout = Layout.model_construct(
        tp=t,
        pp=p,
        cp=c,
        dp=None,
        virtual_stages=v,
        ep=e,
        micro_batch=micro,
        global_batch=None,
        zero=zero,
        optimizer_states="zero-16",
        recompute=recompute,  # type: ignore[arg-type]
        sequence_parallel=t > 1,
        flash_attention=True,
        dropout=False,
    )
    try:
        dp = check_for_model(layout, arch, accelerators)
    except InputError as exc:
        return Candidate(layout, 0, math.inf, 0.0, math.nan, 0.0, exc.problem)
    per = micro * dp
    sequences = max(1, round(global_batch_tokens / arch.seq_len / per)) * per
    mem = layout_memory(arch, layout, accelerator, dp, sequences)
    if not bool(mem.fits):
        reason = (
            f"needs {float(mem.total) / 1e9:,.0f} GB of {float(mem.usable) / 1e9:,.0f} GB usable"
        )
        return Candidate(layout, dp, math.inf, 0.0, float(mem.total), 0.0, reason)
    step = step_time(arch, layout, accelerator, dp, sequences, active, kernel_efficiency, speedup)
    peak = accelerator.peak_flops("bf16")
    util = predicted_utilization(step, sequences, arch.seq_len, active, t * p * c * dp, peak)
    return Candidate(
        layout,
        dp,
        float(step.total_s),
        float(util),
        float(mem.total),
        float(sequences * arch.seq_len / step.total_s),
        "",
    )


def _grid(
    arch: Architecture, accelerator: Accelerator, accelerators: int
) -> tuple[list[int], list[int], list[int], list[int]]:
    domain = accelerator.scale_up_domain or 8
    tps = [t for t in (1, 2, 4, 8) if t <= max(domain, 1) and t <= accelerators]
    pps = [p for p in (1, 2, 4, 8, 16, 32, 64) if p <= arch.layers and p <= accelerators]
    eps = [e for e in (1, 8, 16, 32, 64) if arch.experts % e == 0] if arch.experts > 1 else [1]
    cps = [c for c in (1, 2) if c == 1 or arch.seq_len >= 8192]
    return tps, pps, eps, cps


RECOMPUTE_ORDER = ("none", "selective", "full")
"""Recompute tried in this order; the first that fits is kept (the others are never faster)."""


def search_layouts(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    global_batch_tokens: float,
    *,
    active_params: float | None = None,
    kernel_efficiency: float | None = None,
    speedup: float = 1.0,
) -> list[Candidate]:
    """Every layout of a small grid, feasible ones first by tokens per second, then the others
    with why.

    Grid (Narayanan et al. 2021 practice; Megatron-Bridge and torchtitan recipes): tp within the
    NVLink domain (1-8), pp 1-64 (uneven stages allowed), interleaved chunks v 1-4, context
    parallel 1-2 for sequences of 8k and more, ZeRO-1 or FSDP (ZeRO-3, without pp), recompute
    none/selective/full (the first that fits), micro-batch 1-8, ep up to 64 for MoE.
    ``speedup``: the realised precision gain (planner.compute.step_time.realised_speedup); utilisation
    is against the BF16 peak.
    """
    active = active_params if active_params is not None else flops.count_params(arch).active
    tps, pps, eps, cps = _grid(arch, accelerator, accelerators)
    out: list[Candidate] = []
    for t, p, v, c, zero, e, micro in itertools.product(
        tps, pps, (1, 2, 4), cps, (1, 3), eps, (1, 2, 4, 8)
    ):
        if (v > 1 and (p == 1 or p * v > arch.layers)) or (zero == 3 and p > 1):
            continue
        for recompute in RECOMPUTE_ORDER:
            found = _candidate(
                arch,
                accelerator,
                accelerators,
                global_batch_tokens,
                (t, p, v, c, zero, e, micro),
                recompute,
                active,
                kernel_efficiency,
                speedup,
            )
            out.append(found)
            if found.feasible or math.isnan(found.memory_bytes):
                break
    return sorted(out, key=lambda c: (not c.feasible, -c.tokens_per_s))


def fastest_layout(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    global_batch_tokens: float,
    *,
    active_params: float | None = None,
    speedup: float = 1.0,
    keep: int = 3,
) -> list[Candidate]:
    """The fastest layouts of :func:`search_layouts`'s grid found in two passes (fast).

    First the structures (tp, pp, cp, ZeRO, ep) at micro-batch 1 without interleaving; then
    micro-batch and interleaving for the ``keep`` fastest. Returns feasible candidates fastest
    first, or, when none fits, the smallest-memory refusals (for the error's numbers).
    """
    active = active_params if active_params is not None else flops.count_params(arch).active
    tps, pps, eps, cps = _grid(arch, accelerator, accelerators)

    def best_of(key: tuple[int, int, int, int, int, int, int]) -> Candidate:
        found = None
        for recompute in RECOMPUTE_ORDER:
            found = _candidate(
                arch,
                accelerator,
                accelerators,
                global_batch_tokens,
                key,
                recompute,
                active,
                None,
                speedup,
            )
            if found.feasible or math.isnan(found.memory_bytes):
                break
        assert found is not None
        return found

    first = []
    for t, c, zero, e in itertools.product(tps, cps, (1, 3), eps):
        for p in pps if zero < 3 else [1]:
            found = best_of((t, p, 1, c, zero, e, 1))
            first.append(found)
            if found.feasible and found.layout.recompute == "none":
                break  # deeper pipelines only add bubble once nothing is recomputed
    feasible = sorted((c for c in first if c.feasible), key=lambda c: -c.tokens_per_s)
    if not feasible:
        return sorted(
            first, key=lambda c: c.memory_bytes if c.memory_bytes == c.memory_bytes else math.inf
        )
    refined = list(feasible[:keep])
    for base in feasible[:keep]:
        lay = base.layout
        for v, micro in itertools.product((1, 2, 4), (1, 2, 4, 8)):
            if (v, micro) == (1, 1) or (v > 1 and (lay.pp == 1 or lay.pp * v > arch.layers)):
                continue
            found = best_of((lay.tp, lay.pp, v, lay.cp, lay.zero, lay.ep, micro))
            if found.feasible:
                refined.append(found)
    return sorted(refined, key=lambda c: -c.tokens_per_s)


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
