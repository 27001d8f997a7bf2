"""The parallel layout of a training run (``training.layout``) and its feasibility rules.

Sizes follow Narayanan et al. 2021 (PTD-P) and Megatron-LM: ``n = t·p·c·d`` accelerators;
expert parallelism is carved out of data parallelism (``e | d``; DeepSeek-V3 "64-way EP,
16-way PP, ZeRO-1 DP"); global batch ``B = b·m·d`` sequences. Rules and their sources are
in ``docs/hardware-literature.md`` §3. Every broken rule is an
:class:`~planner.errors.InputError` naming the field and the fix.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import numpy as np
from pydantic import BeforeValidator, Field

from planner.errors import InputError
from planner.scenario.fields import Strict

__all__ = [
    "ZERO_NAMES",
    "Layout",
    "check_counts",
    "check_layout",
    "check_model_layout",
    "zero_stage",
]

ZERO_NAMES: dict[str, int] = {
    "none": 0,
    "NO_SHARD": 0,
    "os": 1,
    "distributed-optimizer": 1,
    "os+g": 2,
    "SHARD_GRAD_OP": 2,
    "full": 3,
    "FULL_SHARD": 3,
}
"""ZeRO stage by name: DeepSpeed's P_os / P_os+g / P_os+g+p, Megatron's distributed optimizer
(stage 1) and PyTorch FSDP's sharding strategies (FULL_SHARD ≈ ZeRO-3, SHARD_GRAD_OP ≈ ZeRO-2;
hardware-literature.md §1)."""


def _zero_number(value: object) -> object:
    """A ZeRO stage name (:data:`ZERO_NAMES`) as its number; numbers pass through."""
    if isinstance(value, str):
        if value not in ZERO_NAMES:
            raise ValueError(f"use a stage 0-3 or one of {', '.join(ZERO_NAMES)}")
        return ZERO_NAMES[value]
    return value


def zero_stage(value: int | str) -> int:
    """ZeRO stage 0-3 from a number or a name in :data:`ZERO_NAMES`."""
    number = _zero_number(value)
    assert isinstance(number, int)
    return number


ZeroStage = Annotated[
    int, BeforeValidator(_zero_number, json_schema_input_type=int | str), Field(ge=0, le=3)
]
"""A ZeRO stage 0-3, given as a number or a name."""


class Layout(Strict):
    """How one training run is split over its accelerators (optional; needs model.architecture)."""

    tp: int = Field(
        1, ge=1, le=4096, description="Tensor-parallel size t (keep within one NVLink domain)."
    )
    pp: int = Field(1, ge=1, le=4096, description="Pipeline-parallel stages p.")
    dp: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        description="Data-parallel replicas d. Default: accelerator_count / (tp·pp·cp).",
    )
    ep: int = Field(
        1, ge=1, le=1_000_000, description="Expert-parallel size e, carved out of dp (e divides d)."
    )
    cp: int = Field(1, ge=1, le=4096, description="Context-parallel size c (splits the sequence).")
    virtual_stages: int = Field(
        1,
        ge=1,
        le=64,
        description="Interleaved model chunks per pipeline stage v (1 = plain 1F1B).",
    )
    micro_batch: int = Field(1, ge=1, le=1_000_000, description="Sequences per micro-batch b.")
    global_batch: int | None = Field(
        None,
        ge=1,
        le=100_000_000,
        description="Sequences per optimizer step B = b·m·d. Default: the Step Law batch "
        "(0.58·D^0.571 tokens) rounded to a multiple of b·d.",
    )
    zero: ZeroStage = Field(
        1,
        description="ZeRO stage 0-3, or a name: none, os, os+g, full, distributed-optimizer, "
        "NO_SHARD, SHARD_GRAD_OP, FULL_SHARD (FSDP).",
    )
    optimizer_states: Literal["zero-16", "megatron-18"] = Field(
        "zero-16",
        description="Bytes per parameter: zero-16 (bf16 weights and gradients + 12 fp32 Adam) or "
        "megatron-18 (fp32 gradients).",
    )
    recompute: Literal["none", "selective", "full"] = Field(
        "none", description="Activation recompute (Korthikanti et al. 2022)."
    )
    sequence_parallel: bool = Field(
        False, description="Megatron sequence parallelism: norms and dropouts split over tp too."
    )
    flash_attention: bool = Field(
        True, description="FlashAttention: the s×s attention scores are never stored."
    )
    dropout: bool = Field(False, description="The model trains with dropout (GPT-3 style).")

    @property
    def zero_stage(self) -> int:
        return self.zero

    @property
    def model_parallel(self) -> int:
        """Accelerators holding one replica of the model: ``t·p·c``."""
        return self.tp * self.pp * self.cp


def _fail(field: str, value: object, problem: str, fix: str) -> InputError:
    return InputError(problem, field=f"training.layout.{field}", value=value, allowed=fix)


def check_layout(
    layout: Layout,
    *,
    layers: int,
    heads: int,
    kv_heads: int,
    ffn: int,
    seq_len: int,
    experts: int,
    accelerators: int,
) -> int:
    """Data-parallel size of a valid layout, or an :class:`InputError` with the fix.

    Rules (docs/hardware-literature.md §3): ``a % t = 0``; ``n_kv % t = 0`` or ``t % n_kv = 0``
    (KV heads replicated); ``f % t = 0``; ``p·v ≤ L`` (stages need not be even: Megatron and NeMo give the first and
    last stages fewer layers, planner.compute.step_time.stage_imbalance);
    ``s % c = 0``; ``E % e = 0``; ``e | d``; ``t·p·c·d ≤ n``; ``B % (b·d) = 0``.
    """
    t, p = layout.tp, layout.pp

    def divisors(n: int) -> str:
        return ", ".join(str(k) for k in range(1, n + 1) if n % k == 0 and k <= 64)

    if heads % t:
        raise _fail(
            "tp",
            t,
            f"tp {t} does not divide the {heads} attention heads",
            f"use tp in {divisors(heads)}",
        )
    if kv_heads % t and t % kv_heads:
        raise _fail(
            "tp",
            t,
            f"tp {t} neither divides nor is a multiple of the {kv_heads} KV heads",
            f"use tp in {divisors(kv_heads)} or a multiple of {kv_heads}",
        )
    if ffn % t:
        raise _fail(
            "tp",
            t,
            f"tp {t} does not divide the feed-forward size {ffn}",
            "choose a tp dividing it",
        )
    if p > layers:
        raise _fail(
            "pp",
            p,
            f"pp {p} is more stages than the {layers} layers",
            f"use pp of at most {layers}",
        )
    if p * layout.virtual_stages > layers:
        raise _fail(
            "virtual_stages",
            layout.virtual_stages,
            f"pp × virtual_stages = {p * layout.virtual_stages} is more chunks than the {layers} layers",
            "choose virtual_stages so that pp·v is at most the layers",
        )
    if seq_len % layout.cp:
        raise _fail(
            "cp",
            layout.cp,
            f"cp {layout.cp} does not divide the sequence length {seq_len}",
            "choose a cp dividing it",
        )
    if experts % layout.ep:
        raise _fail(
            "ep",
            layout.ep,
            f"ep {layout.ep} does not divide the {experts} experts",
            f"use ep in {divisors(experts)}",
        )
    model_parallel = layout.model_parallel
    dp = layout.dp if layout.dp is not None else accelerators // model_parallel
    if dp < 1 or model_parallel * dp > accelerators:
        need = model_parallel * max(dp, 1)
        raise _fail(
            "dp" if layout.dp is not None else "tp",
            layout.dp if layout.dp is not None else t,
            f"the layout needs tp·pp·cp·dp = {t}·{p}·{layout.cp}·{max(dp, 1)} = {need:,} accelerators, "
            f"more than the {accelerators:,} given",
            f"raise training.accelerator_count to {need:,} or shrink the layout",
        )
    idle = accelerators - model_parallel * dp
    if layout.dp is None and idle:
        lower, upper = model_parallel * dp, model_parallel * (dp + 1)
        raise _fail(
            "tp",
            t,
            f"{idle:,} of the {accelerators:,} accelerators would idle: the count is not a "
            f"multiple of tp·pp·cp = {t}·{p}·{layout.cp} = {model_parallel:,}",
            f"use training.accelerator_count {lower:,} or {upper:,}, or set layout.dp",
        )
    if dp % layout.ep:
        raise _fail(
            "ep",
            layout.ep,
            f"ep {layout.ep} does not divide dp {dp} (experts are split inside data parallelism)",
            "choose ep dividing dp",
        )
    per_step = layout.micro_batch * dp
    if layout.global_batch is not None and layout.global_batch % per_step:
        raise _fail(
            "global_batch",
            layout.global_batch,
            f"global_batch is not a multiple of micro_batch × dp = {layout.micro_batch} × {dp} = {per_step:,}",
            f"use {max(1, round(layout.global_batch / per_step)) * per_step:,} sequences",
        )
    return dp


def check_model_layout(model: Any, training: Any) -> None:
    """A scenario's layout needs an architecture and must divide it (:func:`check_layout`)."""
    layout, arch = training.layout, model.architecture
    if layout is None:
        return
    if arch is None:
        raise ValueError(
            "training.layout needs model.architecture (layers, d_model, heads, vocab_size, "
            "seq_len) to split the model; give one or remove the layout"
        )
    check_for_model(layout, arch, training.accelerator_count)


def check_for_model(layout: Layout, arch: Any, accelerators: int) -> int:
    """:func:`check_layout` against a ``model.architecture``; the data-parallel size."""
    return check_layout(
        layout,
        layers=arch.layers,
        heads=arch.heads,
        kv_heads=arch.kv_heads_resolved,
        ffn=arch.ffn_size_resolved,
        seq_len=arch.seq_len,
        experts=arch.experts,
        accelerators=accelerators,
    )


def check_counts(layout: Layout, counts: Any, *, experts: int) -> None:
    """The count rules of :func:`check_layout` over an array of accelerator counts (a sweep).

    A swept ``training.accelerator_count`` is a numeric axis, so the loader never sees each
    value: ``t·p·c·d ≤ n``, ``e | d`` and ``B % (b·d) = 0`` are checked here for every value at
    once (a count of 1 under a tp 8 × pp 4 layout gave a plan on 1 accelerator). The
    divisibility rules that do not depend on the count were checked when the scenario loaded.
    """
    n = np.asarray(counts, dtype=float).ravel()
    mp = layout.model_parallel
    dp = np.full_like(n, layout.dp) if layout.dp is not None else np.floor(n / mp)

    def refuse(broken: Any, problem: str, fix: str) -> None:
        if broken.any():
            i = int(np.argmax(broken))
            c, d = n[i], max(dp[i], 1)
            raise InputError(
                problem.format(count=c, dp=d, need=mp * d),
                field="grid training.accelerator_count",
                value=int(c),
                allowed=fix,
            )

    refuse(
        (dp < 1) | (mp * dp > n),
        f"a count of {{count:,.0f}} is fewer than the layout needs (tp·pp·cp·dp = {mp}·{{dp:,.0f}} "
        "= {need:,.0f})",
        f"sweep counts of at least {mp * (layout.dp or 1):,}",
    )
    if experts > 1:
        refuse(
            np.mod(dp, layout.ep) != 0,
            f"ep {layout.ep} does not divide dp {{dp:,.0f}} at {{count:,.0f}} accelerators",
            "sweep counts whose dp is a multiple of ep",
        )
    if layout.global_batch is not None:
        refuse(
            np.mod(layout.global_batch, layout.micro_batch * dp) != 0,
            f"global_batch {layout.global_batch:,} is not a multiple of micro_batch × dp = "
            f"{layout.micro_batch} × {{dp:,.0f}} at {{count:,.0f}} accelerators",
            "sweep counts whose dp divides global_batch / micro_batch, or leave global_batch out",
        )
