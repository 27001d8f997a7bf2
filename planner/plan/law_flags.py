"""Flags of the MoE, precision and distillation laws (see planner.plan.flags, which lists them all).

Each rule is one definition: a vector test over a batch of plans, its message and its source.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from planner import precisions
from planner.laws import distillation, moe
from planner.mixture import expected_loss
from planner.plan.evaluate import Evaluation
from planner.plan.flag_rule import Rule
from planner.plan.flag_rule import one as _one
from planner.units import format_count

__all__ = ["LAW_RULES", "MOE_SHORT_SCHEDULE", "moe_outside_fit"]

MOE_SHORT_SCHEDULE = 10.0
"""Tokens per active parameter below which an MoE is in the regime where Krajewski's dense fit
wins (laws-2025.md §1.5: "D/N_act well below ~10 at small budgets"; Krajewski §5.5, §6.3)."""


def _granularity(ev: Evaluation) -> float | None:
    granularity: float | None = ev.scenario.model.moe_granularity
    return granularity


def _krajewski(ev: Evaluation) -> bool:
    return getattr(ev.scenario.law, "params_convention", None) == "total_non_embedding"


def _dense_law_moe(ev: Evaluation) -> np.ndarray:
    return np.full(ev.size, _granularity(ev) is not None and not _krajewski(ev))


def moe_outside_fit(ev: Evaluation, row: int) -> list[str]:
    """Where a plan under krajewski-2024 leaves the runs the law was fitted on."""
    if not _krajewski(ev):
        return []
    granularity = _granularity(ev)
    expansion = ev.scenario.model.expansion_rate if granularity is not None else None
    return moe.outside_fit(ev["active_params"][row], ev["tokens"][row], granularity, expansion)


def _outside(ev: Evaluation) -> np.ndarray:
    """Vector form of :func:`moe_outside_fit` (a sweep tests every row)."""
    if not _krajewski(ev):
        return np.zeros(ev.size, dtype=bool)
    active, tokens = ev["active_params"], ev["tokens"]
    (p_low, p_high), (t_low, t_high) = moe.FITTED_PARAMS, moe.FITTED_TOKENS
    out = (active < p_low) | (active > p_high) | (tokens < t_low) | (tokens > t_high)
    granularity = _granularity(ev)
    if granularity is not None:
        g_low, g_high = moe.FITTED_GRANULARITY
        expansion = ev.scenario.model.expansion_rate
        off = not np.isclose(expansion, moe.FITTED_EXPANSION, rtol=0.1)
        out = out | off | (not g_low <= granularity <= g_high)
    return np.asarray(out, dtype=bool)


def _params_line(ev: Evaluation, row: int) -> str:
    return (
        f"{format_count(ev['params'][row])} total / {format_count(ev['active_params'][row])} active"
    )


def _format_effect(ev: Evaluation) -> bool:
    training = ev.scenario.training
    fmt = precisions.precision(training.precision)
    return bool(
        expected_loss.precision_params_factor(training) != 1.0 or fmt.token_efficiency != 1.0
    )


def _format_message(ev: Evaluation, row: int) -> str:
    training = ev.scenario.training
    fmt = precisions.precision(training.precision)
    factor = expected_loss.precision_params_factor(training)
    bits = training.precision_bits
    what = (
        f"custom bits (weights {bits.weights:g}, activations {bits.activations:g}, KV "
        f"{bits.kv_cache:g})"
        if bits is not None
        else fmt.name
    )
    text = f"{what}: effective parameters x{factor:.4f} of 16-bit training (Kumar's N_eff)"
    if fmt.token_efficiency != 1.0:
        text += f", effective data x{fmt.token_efficiency:.4f}"
    return text + f"; {fmt.loss_source}"


def _over_trained(ev: Evaluation) -> np.ndarray:
    if ev.scenario.model.post_training_weight_bits is None:
        return np.zeros(ev.size, dtype=bool)
    optimum = ev["optimal_tokens_per_param"]
    return np.where(
        np.isnan(optimum), ev["tokens_per_param"] > 20.0, ev["tokens_per_param"] > optimum
    )


def _supervised_preferred(ev: Evaluation) -> list[str]:
    """Distillation sources whose single student pays for its teacher's training."""
    return [
        s.name
        for s in ev.scenario.data
        if s.synthetic is not None
        and s.synthetic.teacher is not None
        and distillation.supervised_preferred(
            s.synthetic.teacher.exists, s.synthetic.teacher.students
        )
    ]


def _teacher_unstated(ev: Evaluation) -> list[str]:
    """Distillation sources that do not say whether their teacher exists."""
    return [
        s.name
        for s in ev.scenario.data
        if s.synthetic is not None
        and s.synthetic.kind == "distillation"
        and s.synthetic.teacher is None
    ]


def _offline(ev: Evaluation) -> list[tuple[str, Any]]:
    """(name, teacher) of distillation sources whose logits are stored."""
    return [
        (s.name, s.synthetic.teacher)
        for s in ev.scenario.data
        if s.synthetic is not None
        and s.synthetic.teacher is not None
        and s.synthetic.teacher.logits == "offline"
    ]


def _offline_messages(ev: Evaluation, row: int) -> list[str]:
    out = []
    by_name = {s.name: s for s in ev.sources}
    for name, teacher in _offline(ev):
        tokens = by_name[name].tokens[row]
        stored = distillation.logit_storage_bytes(tokens, teacher.vocab_size, teacher.top_k)
        kept = f"top-{teacher.top_k}" if teacher.top_k else f"all {teacher.vocab_size:,}"
        text = f"data.{name}: offline distillation stores {stored / 1e15:,.3g} PB of teacher logits ({kept} per token)"
        if teacher.top_k:
            text += (
                f"; top-k alone costs about +{distillation.TOPK_LOSS_NATS:g} nats (top-128), "
                f"+{distillation.TOPK_WITH_GROUND_TRUTH_LOSS_NATS:g} with 30% ground-truth loss (not in the loss)"
            )
        out.append(text)
    return out


LAW_RULES: tuple[Rule, ...] = (
    Rule(
        "moe_dense_equivalent",
        "warning",
        f"{moe.KRAJEWSKI_SOURCE}: dense-equivalent size (planner.laws.moe, an approximation)",
        _dense_law_moe,
        _one(
            lambda ev, row: (
                f"mixture-of-experts ({_params_line(ev, row)}, G {_granularity(ev):g}) under the dense "
                f"law {ev.scenario.law.name}: the law is given a dense-equivalent "
                f"{format_count(ev.law_params[row])} parameters, the dense model Krajewski et al. 2024's "
                "own dense row puts at the MoE row's loss at these tokens; an approximation (use law "
                "krajewski-2024 for the MoE law itself)"
            )
        ),
    ),
    Rule(
        "moe_outside_fit",
        "risk",
        f"{moe.KRAJEWSKI_SOURCE}: over 100 runs, 129M-3.7B, 16B-130B tokens, G 1-16, E = 64",
        lambda ev: _outside(ev),
        lambda ev, row: ["krajewski-2024 is extrapolated: " + "; ".join(moe_outside_fit(ev, row))],
    ),
    Rule(
        "moe_short_schedule",
        "warning",
        "Krajewski et al. 2024 (arXiv 2402.07871) §5.5, §6.3: MoE needs longer training to pay off",
        lambda ev: (
            np.full(ev.size, _granularity(ev) is not None)
            & (ev["tokens"] / ev["active_params"] < MOE_SHORT_SCHEDULE)
        ),
        _one(
            lambda ev, row: (
                f"mixture-of-experts on {ev['tokens'][row] / ev['active_params'][row]:.1f} tokens per "
                f"active parameter (under {MOE_SHORT_SCHEDULE:g}): in this regime a dense model of "
                "equal compute can win"
            )
        ),
    ),
    Rule(
        "precision_loss_effect",
        "warning",
        "planner.precisions: Kumar et al. 2024 (arXiv 2411.04330); NVIDIA arXiv 2509.25149",
        lambda ev: np.full(ev.size, _format_effect(ev)),
        _one(_format_message),
    ),
    Rule(
        "post_training_quantisation",
        "risk",
        "Kumar et al. 2024 (arXiv 2411.04330): PTQ degradation C_T·D^γ_D/N^γ_N·exp(-P_post/γ_post) "
        "grows with training tokens (constants not published in the reference; threshold: the law's "
        "compute-optimal tokens per parameter, assumption)",
        _over_trained,
        _one(
            lambda ev, row: (
                f"over-trained ({ev['tokens_per_param'][row]:.0f} tokens per parameter) and quantised to "
                f"{ev.scenario.model.post_training_weight_bits:g}-bit weights after training: post-training "
                "quantisation loses more the more tokens a model saw, and more data can become "
                "harmful; quantisation-aware training or fewer tokens on a larger model avoid it"
            )
        ),
    ),
    Rule(
        "distillation_supervised_preferred",
        "risk",
        "Busbridge et al. 2025 (arXiv 2502.08606): with one student and a teacher to train, "
        "supervised learning is generally preferable",
        lambda ev: np.full(ev.size, bool(_supervised_preferred(ev))),
        lambda ev, row: [
            f"data.{name}: one student distilled from a teacher that must be trained (its training is "
            "counted): supervised training on the same compute is generally better (mark the teacher "
            "as existing, or the number of students sharing it, in synthetic.teacher)"
            for name in _supervised_preferred(ev)
        ],
    ),
    Rule(
        "distillation_teacher_unstated",
        "warning",
        "Busbridge et al. 2025 (arXiv 2502.08606): distillation pays only with an existing or shared "
        "teacher",
        lambda ev: np.full(ev.size, bool(_teacher_unstated(ev))),
        lambda ev, row: [
            f"data.{name}: distillation without synthetic.teacher: only the teacher's forward pass is "
            "counted, as if it existed; say whether it exists or must be trained (teacher: {exists: "
            "true} or {tokens: ..., students: ...})"
            for name in _teacher_unstated(ev)
        ],
    ),
    Rule(
        "offline_logits",
        "warning",
        "laws-2025.md check 9b: full fp32 logits V x 4 bytes per token, top-k k x 6 bytes; "
        "top-k loss cost from Busbridge et al. 2025 [S, 1 src]",
        lambda ev: np.full(ev.size, bool(_offline(ev))),
        _offline_messages,
    ),
)
