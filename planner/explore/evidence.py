"""What a recommendation stands on: the fitted range of each law preset, the evidence behind each
pool's epochs and shares, and the list of laws and presets a plan used.

Used by the optimiser (:mod:`planner.explore.optimizer`) to say, beside every recommended plan, which
laws and presets it rests on and which of its values lie outside a law's fitted range or a
pool's evidence (issue 19). Future layer: ``explore`` (it reads a plan's evaluation); the
range table itself belongs with the laws.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from planner.laws.forms import R_STAR_DATA

__all__ = ["EVIDENCE_EPOCHS", "LAW_RANGES", "FittedRange", "laws_used", "outside_evidence"]

EVIDENCE_EPOCHS = 4.0
"""Muennighoff et al. 2023 (arXiv 2305.16264): "with constrained data for a fixed compute budget ...
training with up to 4 epochs of repeated data yields negligible changes to loss compared to having
unique data". Past it a pool is outside the repetition evidence."""


@dataclass(frozen=True)
class FittedRange:
    """The model sizes and token counts a law was fitted on."""

    min_params: float
    max_params: float
    min_tokens: float
    max_tokens: float
    source: str


_HOFFMANN = FittedRange(
    7e7,
    1.6e10,
    5e9,
    5e11,
    "Hoffmann et al. 2022 (arXiv 2203.15556) abstract: 'over 400 language models ranging from 70 "
    "million to over 16 billion parameters on 5 to 500 billion tokens'",
)
LAW_RANGES: dict[str, FittedRange] = {
    "hoffmann-2022": _HOFFMANN,
    "hoffmann-2022-unrounded": _HOFFMANN,
    "besiroglu-2024": FittedRange(
        _HOFFMANN.min_params,
        _HOFFMANN.max_params,
        _HOFFMANN.min_tokens,
        _HOFFMANN.max_tokens,
        "Besiroglu et al. 2024 (arXiv 2404.10102) refit Hoffmann et al.'s Fig. 4 runs: the same "
        "70M-16B parameters, 5B-500B tokens",
    ),
    "muennighoff-2023": FittedRange(
        1e7,
        9e9,
        1e8,
        9e11,
        "Muennighoff et al. 2023 (arXiv 2305.16264) abstract: 'up to 900 billion training tokens "
        "and 9 billion parameter models'; lower ends (10M parameters, 100M tokens) an assumption",
    ),
    "kaplan-2020": FittedRange(
        768,
        1.5e9,
        2.2e7,
        2.3e10,
        "Kaplan et al. 2020 (arXiv 2001.08361) §2-3: 768 to 1.5B non-embedding parameters, "
        "22M to 23B tokens",
    ),
}


def laws_used(scenario: Any, shares: dict[str, Any], inference_tokens: float) -> list[str]:
    """The laws and presets behind a plan, each with its source."""
    law = scenario.law
    out = [f"loss law {law.name}: {law.source}"]
    out.append(
        f"repetition: Muennighoff et al. 2023 (arXiv 2305.16264), R* = {R_STAR_DATA:g} per pool and "
        "per source family"
    )
    mixture = scenario.mixture
    kinds = sorted(shares)
    if kinds:
        out.append(f"mixture form {mixture.form} (docs/data-mix-literature.md §10)")
        for kind in kinds:
            preset = mixture.gain(kind)
            out.append(f"mixture gain for {kind}: {preset.name} ({preset.source})")
    if any(d.synthetic is not None and d.synthetic.kind == "rephrased" for d in scenario.data):
        cap = mixture.information_cap
        out.append(f"information cap of rephrasings: {cap.name} ({cap.source})")
    if inference_tokens > 0:
        out.append(
            "inference: 2 x active parameters FLOPs per token (Sardana & Frankle 2023, "
            "arXiv 2401.00448)"
        )
    return out


def outside_evidence(
    scenario: Any,
    params: float,
    tokens: float,
    epochs: dict[str, float],
    shares: dict[str, Any],
    inference_tokens: float,
) -> list[str]:
    """Every value of a plan outside a law's fitted range or a pool's evidence, as sentences."""
    out = []
    law = scenario.law
    fitted = LAW_RANGES.get(law.name)
    if fitted is None:
        out.append(
            f"the loss law {law.name} states no fitted range: check that {params:.3g} parameters "
            f"and {tokens:.3g} tokens lie within the runs it was fitted on"
        )
    else:
        if not fitted.min_params <= params <= fitted.max_params:
            out.append(
                f"{params:.3g} parameters are outside {law.name}'s fitted range "
                f"({fitted.min_params:.3g}-{fitted.max_params:.3g}; {fitted.source}): the loss is "
                "an extrapolation"
            )
        if not fitted.min_tokens <= tokens <= fitted.max_tokens:
            out.append(
                f"{tokens:.3g} training tokens are outside {law.name}'s fitted range "
                f"({fitted.min_tokens:.3g}-{fitted.max_tokens:.3g}): the loss is an extrapolation"
            )
    for name, value in epochs.items():
        if value > EVIDENCE_EPOCHS * (1 + 1e-6):
            out.append(
                f"{name} is read {value:.1f} times: beyond the {EVIDENCE_EPOCHS:g} epochs where "
                "Muennighoff et al. 2023 find repeated tokens about as good as fresh"
            )
    for kind, share in shares.items():
        preset = scenario.mixture.gain(kind)
        value = float(share)
        if value > preset.optimum_share * 1.5 + 1e-9 and value > 0.05:
            out.append(
                f"{kind} share {value:.0%} of the gain's stream is past its preset {preset.name}'s "
                f"published optimum {preset.optimum_share:.0%}: the gain there is the preset's "
                "extrapolation"
            )
    if inference_tokens <= 0:
        out.append(
            "no inference demand given (inference tokens 0): the plan is sized for training alone; "
            "real recipes over-train smaller models for serving (optimize.inference_tokens)"
        )
    return out
