"""Learning-rate schedules by their phases, and the Tissue et al. (2024) schedule-aware loss.

A schedule is described by phases (warm-up, stable, decay of a given shape over a given
fraction of the steps) and evaluated as one learning rate per optimizer step, so that the
forward area ``S1`` and the annealing area ``S2`` of Tissue et al. can be summed over a
whole multi-stage run. Pure functions on floats and numpy arrays.

Sources: Tissue et al. 2024, "Scaling Law with Learning Rate Annealing", arXiv 2408.11029
(the law); AI2's implementation of S1/S2 (``allenai/OLMo`` commit 67cc7c41,
``olmo/scaling/scaling_laws/utils.py``: momentum form, lambda = 0.999, warm-up counted at
peak); Hägele et al. 2024, arXiv 2405.18392 (warmup-stable-decay, 1-sqrt cooldown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DECAY_SHAPES",
    "TISSUE_MOMENTUM",
    "Phase",
    "annealing_areas",
    "learning_rates",
    "tissue_loss",
]

TISSUE_MOMENTUM = 0.999
"""lambda of the S2 momentum, per step (AI2's implementation, allenai/OLMo 67cc7c41; Tissue et
al. 2024 use 0.999 too)."""

DECAY_SHAPES = ("constant", "linear", "cosine", "1-sqrt")
"""Decay shapes: none, linear, half-cosine, and Hägele et al.'s (1 - sqrt) cooldown."""


@dataclass(frozen=True)
class Phase:
    """One stage's learning rate, by its phases, over ``steps`` optimizer steps.

    ``peak_lr`` for the warm-up and stable part; the last ``decay_fraction`` of the steps
    decays to ``final_lr`` with ``shape`` (``constant`` keeps ``peak_lr``).
    """

    steps: int
    peak_lr: float = 1.0
    final_lr: float = 0.0
    shape: str = "linear"
    decay_fraction: float = 0.0
    warmup_fraction: float = 0.0


def learning_rates(phase: Phase) -> np.ndarray:
    """The learning rate at each of ``phase.steps`` steps.

    Step ``t`` of a decay of ``k`` steps sits at progress ``x = t/k`` (the first decay step
    still at peak, the last one step short of ``final_lr``): linear ``f = 1 - x``, cosine
    ``f = (1 + cos(pi x))/2``, 1-sqrt ``f = 1 - sqrt(x)``; ``lr = final + (peak - final)·f``.
    A cosine run over all its steps is ``decay_fraction = 1``. Warm-up steps count at
    peak (as AI2's S1/S2 implementation does), so ``warmup_fraction`` only documents them.
    These conventions reproduce check 10 of laws-2025.md exactly.
    """
    steps = int(phase.steps)
    decay = round(steps * phase.decay_fraction) if phase.shape != "constant" else 0
    lr = np.full(steps, float(phase.peak_lr))
    if decay > 0:
        x = np.arange(decay) / decay
        if phase.shape == "linear":
            f = 1.0 - x
        elif phase.shape == "cosine":
            f = 0.5 * (1.0 + np.cos(np.pi * x))
        elif phase.shape == "1-sqrt":
            f = 1.0 - np.sqrt(x)
        else:
            raise ValueError(f"unknown decay shape {phase.shape!r}; choose one of {DECAY_SHAPES}")
        lr[steps - decay :] = phase.final_lr + (phase.peak_lr - phase.final_lr) * f
    return lr


def annealing_areas(
    rates: np.ndarray, momentum: float = TISSUE_MOMENTUM, ends: Sequence[int] = ()
) -> tuple[np.ndarray, np.ndarray]:
    """Forward area S1 and annealing area S2 after each step index in ``ends`` (default: the last).

    ``S1 = sum_t lr_t``; ``m_t = lambda·m_(t-1) + (lr_(t-1) - lr_t)`` with ``lr_(-1) = lr_0``;
    ``S2 = sum_t m_t`` (Tissue et al. 2024 Eq. 4-5, in AI2's per-step form). Closed form used
    here: ``S2 = sum_t d_t·(1 - lambda^(T-t))/(1 - lambda)`` with ``d_t = lr_(t-1) - lr_t``.
    """
    rates = np.asarray(rates, dtype=float)
    total = rates.size
    marks = np.asarray(list(ends) or [total - 1], dtype=int)
    s1, s2 = np.zeros(marks.size), np.zeros(marks.size)
    if total == 0:
        return s1, s2
    marks = np.clip(marks, 0, total - 1)
    s1 = np.cumsum(rates)[marks]
    drops = -np.diff(rates, prepend=rates[:1])
    for i, end in enumerate(marks):
        t = np.arange(end + 1)
        weight = (1.0 - momentum ** (end + 1 - t)) / (1.0 - momentum)
        s2[i] = float(np.dot(drops[: end + 1], weight))
    return s1, s2


def tissue_loss(
    s1: np.ndarray, s2: np.ndarray, L0: float, A: float, alpha: float, C: float
) -> np.ndarray:
    """``L = L0 + A·S1^(-alpha) - C·S2`` (Tissue et al. 2024, abstract; constants fitted by the user
    on their own training curves: the paper's fitted values were not retrieved, laws-2025.md §10)."""
    s1 = np.asarray(s1, dtype=float)
    with np.errstate(divide="ignore"):
        forward = np.where(s1 > 0, A * np.power(np.where(s1 > 0, s1, 1.0), -alpha), np.inf)
    return L0 + forward - C * np.asarray(s2, dtype=float)
