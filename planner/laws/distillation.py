"""Distillation: Busbridge et al. 2025's student law, its decision rule, and its cost accounting.

Busbridge et al. 2025, "Distillation Scaling Laws" (arXiv 2502.08606; shared/reference/laws-2025.md
§3). The law's constants were not retrieved (laws-2025.md §10), so :func:`student_loss` takes
user-fitted constants and no preset ships; the planner uses the paper's decision rule and the
cost accounting, which need no constants:

- distillation beats supervised training only when the teacher already exists or is shared by
  several students (and below a student-size-dependent compute level); "if only one student is to
  be distilled and a teacher also requires training, supervised learning is generally preferable"
  [P abstract] (:func:`supervised_preferred`);
- the cost of a distilled student is the teacher's training (0 if it exists, shared between the
  students otherwise), the teacher's forward pass over the student's tokens (``2·N_T·D_S``) and the
  student's own training (``6·N_S·D_S``) (:func:`distillation_flops`, laws-2025.md check 9);
- offline distillation stores teacher logits (:func:`logit_storage_bytes`, check 9b).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "FULL_LOGIT_BYTES",
    "TOPK_INDEX_BYTES",
    "TOPK_LOSS_NATS",
    "TOPK_VALUE_BYTES",
    "TOPK_WITH_GROUND_TRUTH_LOSS_NATS",
    "BusbridgeConstants",
    "DistillationFlops",
    "distillation_flops",
    "logit_storage_bytes",
    "student_loss",
    "supervised_preferred",
    "teacher_training_flops",
]

Number = Any

FULL_LOGIT_BYTES = 4
"""Bytes per stored logit without top-k: fp32 (laws-2025.md check 9b, [C])."""
TOPK_VALUE_BYTES = 2
TOPK_INDEX_BYTES = 4
"""Top-k storage per kept logit: an fp16 value and an int32 index (check 9b, [C])."""
TOPK_LOSS_NATS = 0.11
"""Loss cost of training on top-128 teacher logits alone vs full logits: +0.11 nats
(Busbridge et al. 2025 as quoted by one secondary source [S, 1 src]; laws-2025.md §3)."""
TOPK_WITH_GROUND_TRUTH_LOSS_NATS = 0.01
"""The same with 30% ground-truth next-token loss: +0.01 nats ([S, 1 src]; laws-2025.md §3)."""


@dataclass(frozen=True)
class BusbridgeConstants:
    """Constants of Busbridge et al. 2025 Eq. 8: user-fitted (the paper's were not retrieved)."""

    c0: float
    c1: float
    d1: float
    f1: float
    A: float
    B: float
    alpha: float
    beta: float
    gamma: float


def student_loss(
    teacher_loss: Number,
    supervised_loss: Number,
    params: Number,
    tokens: Number,
    k: BusbridgeConstants,
) -> Number:
    """Busbridge et al. 2025 Eq. 8 (transcribed in laws-2025.md §3 [S]).

    ``L_S = L_T + L_T^(−c0)·(1 + (L_T/(L̃_S·d1))^(1/f1))^(−c1·f1)·(A/N_S^α′ + B/D_S^β′)^γ′``, with
    ``L̃_S`` the student's supervised loss (``supervised_loss``), ``N_S`` non-embedding student
    parameters and ``D_S`` distillation tokens. A broken power law in ``L_T/L̃_S``: a teacher far
    stronger than the student can follow (the capacity gap) makes the student worse. The student
    never goes below the teacher (the added term is positive).
    """
    teacher_loss = np.asarray(teacher_loss, dtype=float)
    gap = (1.0 + (teacher_loss / (supervised_loss * k.d1)) ** (1.0 / k.f1)) ** (-k.c1 * k.f1)
    power = (k.A / params**k.alpha + k.B / tokens**k.beta) ** k.gamma
    return teacher_loss + teacher_loss ** (-k.c0) * gap * power


def supervised_preferred(teacher_exists: bool, students: int) -> bool:
    """Busbridge et al. 2025's rule [P abstract]: one student whose teacher must be trained is
    better trained supervised; an existing teacher, or one shared by several students, can pay."""
    return not teacher_exists and students <= 1


def teacher_training_flops(
    teacher_params: Number, teacher_tokens: Number, teacher_exists: bool, students: int
) -> Number:
    """``6·N_T·D_T / students``, or 0 when the teacher exists (its cost is sunk)."""
    if teacher_exists:
        return 0.0 * np.asarray(teacher_params, dtype=float)
    return 6.0 * teacher_params * teacher_tokens / students


@dataclass(frozen=True)
class DistillationFlops:
    """FLOPs of one distilled student (laws-2025.md §3, check 9)."""

    teacher_training: Number
    teacher_forward: Number
    student: Number

    @property
    def total(self) -> Number:
        return self.teacher_training + self.teacher_forward + self.student


def distillation_flops(
    student_params: Number,
    student_tokens: Number,
    teacher_params: Number,
    teacher_tokens: Number,
    teacher_exists: bool = False,
    students: int = 1,
) -> DistillationFlops:
    """Teacher training (``6·N_T·D_T``, shared by ``students``, 0 if it exists) + teacher forward
    on the student's tokens (``2·N_T·D_S``) + student training (``6·N_S·D_S``).

    Check 9: N_S = 1e9, D_S = 1e11, teacher 7e9 on 1.4e11 gives 5.88e21 + 1.4e21 + 6e20 =
    7.88e21 FLOPs, 13.13x supervised; 3.33x with an existing teacher.
    """
    return DistillationFlops(
        teacher_training=teacher_training_flops(
            teacher_params, teacher_tokens, teacher_exists, students
        ),
        teacher_forward=2.0 * teacher_params * student_tokens,
        student=6.0 * student_params * student_tokens,
    )


def logit_storage_bytes(tokens: Number, vocab_size: int, top_k: int | None = None) -> Number:
    """Bytes of stored teacher logits for offline distillation (laws-2025.md check 9b, [C]).

    Full: ``V × 4`` bytes per token (fp32; 128,000 at V = 32,000, 256 PB for 2T tokens). Top-k:
    ``k × (2 + 4)`` (fp16 value and int32 index; 768 bytes at k = 128, 1.536 PB for 2T tokens).
    """
    per_token = (
        vocab_size * FULL_LOGIT_BYTES
        if top_k is None
        else top_k * (TOPK_VALUE_BYTES + TOPK_INDEX_BYTES)
    )
    return tokens * float(per_token)
