"""Row tests of the mixture flags (planner.plan.flags.RULES holds the rules, messages and sources).

Each function takes a batch of evaluated plans and returns what a rule needs: names, counts or a
boolean per row. Thresholds carry their sources.
"""

from __future__ import annotations

import numpy as np

from planner.plan.evaluate import Evaluation

__all__ = [
    "GENERATOR_NO_GAIN_PARAMS",
    "REPHRASINGS_PLATEAU",
    "capped",
    "families_over",
    "family_epochs",
    "floored",
    "large_generator_rows",
    "large_generators",
    "over_plateau",
    "rephrasings",
    "untied",
]

GENERATOR_NO_GAIN_PARAMS = 8e9
"""Kang et al. 2025 (arXiv 2510.01631): generators beyond ~8B add no value (FinePhrase: beyond ~1B)."""
REPHRASINGS_PLATEAU = 32.0
"""Kim et al. 2026 (arXiv 2603.18534): the gain plateaus near 32 rephrasings per document."""


def untied(ev: Evaluation) -> list[str]:
    return [
        d.name
        for d in ev.scenario.data
        if d.synthetic and d.synthetic.kind == "rephrased" and d.synthetic.rephrases is None
    ]


def large_generators(ev: Evaluation) -> list[tuple[str, np.ndarray]]:
    """Rephrasing or generating sources whose self-hosted generator is above ~8B, with its
    parameters per row (a sweep may set them per row); rows at or below the bound read 0."""
    out = []
    for d in ev.scenario.data:
        synthetic = d.synthetic
        if (
            synthetic
            and synthetic.kind in ("rephrased", "generated")
            and synthetic.generator.self_hosted
        ):
            params = np.broadcast_to(
                np.asarray(synthetic.generator.self_hosted.params, dtype=float), (ev.size,)
            )
            large = params > GENERATOR_NO_GAIN_PARAMS
            if large.any():
                out.append((d.name, np.where(large, params, 0.0)))
    return out


def large_generator_rows(ev: Evaluation) -> np.ndarray:
    """Rows with a generator beyond ~8B on some source."""
    rows = np.zeros(ev.size, dtype=bool)
    for _, params in large_generators(ev):
        rows |= params > 0
    return rows


def rephrasings(ev: Evaluation) -> dict[str, np.ndarray]:
    """Rephrasings per source document (n − 1) of each rephrased family."""
    if ev.mix is None:
        return {}
    return {
        name: np.broadcast_to(np.asarray(n, dtype=float) - 1.0, (ev.size,))
        for name, n in ev.mix.presentations.items()
    }


def over_plateau(ev: Evaluation) -> np.ndarray:
    most = np.zeros(ev.size, dtype=bool)
    for count in rephrasings(ev).values():
        most |= count > REPHRASINGS_PLATEAU
    return most


def capped(ev: Evaluation) -> np.ndarray:
    mixture = ev.scenario.mixture
    if mixture.form != "budget-gain" or ev.mix is None or not ev.mix.shares:
        return np.zeros(ev.size, dtype=bool)
    cap = min(mixture.gain(kind).speedup_cap for kind in ev.mix.shares)
    return np.asarray(ev["mixture_gain"] >= cap * (1 - 1e-9))


def floored(ev: Evaluation) -> np.ndarray:
    """Rows whose mixture gain sits at the floor :data:`planner.mixture.expected_loss.MIN_GAIN` (M ≤ 0 before)."""
    from planner.mixture.expected_loss import MIN_GAIN

    if ev.mix is None or not ev.mix.shares:
        return np.zeros(ev.size, dtype=bool)
    return np.asarray(ev["mixture_gain"] <= MIN_GAIN)


def family_epochs(ev: Evaluation) -> dict[str, np.ndarray]:
    """Epochs of each rephrased family over its information: ``X_s / U*_s`` (source and rephrasings)."""
    if ev.mix is None:
        return {}
    out = {}
    for name, tokens in ev.mix.family_tokens.items():
        information = np.asarray(ev.mix.information[name], dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            epochs = np.where(information > 0, np.asarray(tokens, dtype=float) / information, 0.0)
        out[name] = np.broadcast_to(epochs, (ev.size,))
    return out


def families_over(ev: Evaluation, threshold: float) -> np.ndarray:
    """Rows where some rephrased family repeats more than ``threshold`` epochs over its information."""
    most = np.zeros(ev.size, dtype=bool)
    for epochs in family_epochs(ev).values():
        most |= epochs > threshold
    return most
