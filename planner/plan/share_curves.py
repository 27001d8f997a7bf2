"""Loss against synthetic share, one curve per synthetic kind, with the published points.

For the report (issue 10): at a plan's model size and training tokens, with web data ample
and each synthetic kind made from text not otherwise trained on, the expected loss as that
kind's share moves from 0 to 1, evaluated by the plan model in one batch. Published results
(speed-ups at a share) are marked on the same axes: a speed-up S at share σ is the loss of a
web-only run on S times the tokens. The note says which preset produced each curve.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.laws.forms import KaplanLaw
from planner.plan import evaluate
from planner.scenario.mixture_presets import Mixture
from planner.scenario.schema import Scenario
from planner.scenario.sources import DataSource

__all__ = ["PUBLISHED", "MixtureCurve", "Published", "describe", "mixture_curves"]


@dataclass(frozen=True)
class Published:
    """A published speed-up of a synthetic kind at a share (ratios carry across papers, losses do not)."""

    kind: str
    share: float
    speedup: float
    label: str
    source: str


PUBLISHED: tuple[Published, ...] = (
    Published(
        "rephrased",
        1.0,
        1.0,
        "rephrased alone: no faster than web",
        "Kang et al. 2025 (arXiv 2510.01631)",
    ),
    Published(
        "rephrased",
        1 / 3,
        5.0,
        "1/3 rephrased: 5x (low end)",
        "Kang et al. 2025 (arXiv 2510.01631)",
    ),
    Published(
        "rephrased",
        1 / 3,
        10.0,
        "1/3 rephrased: 10x (high end)",
        "Kang et al. 2025 (arXiv 2510.01631)",
    ),
    Published("rephrased", 0.5, 3.0, "WRAP 1:1: ~3x", "Maini et al. 2024 (WRAP, arXiv 2401.16380)"),
)
"""Speed-ups published as numbers (docs/data-mix-literature.md §1, §5). Textbook data alone is only
"notably higher loss" (Kang), with no number, so it has no point."""

SHARES = tuple(i / 40 for i in range(41))


@dataclass(frozen=True)
class MixtureCurve:
    """Expected loss against one kind's share, with the preset that produced it."""

    kind: str
    preset: str
    preset_source: str
    shares: tuple[float, ...]
    losses: tuple[float, ...]
    published: tuple[tuple[Published, float], ...]
    """Each published point with the loss it implies at this plan's size and tokens."""


def describe(mixture: Mixture, kinds: list[str]) -> str:
    """One line naming the mixture form and each kind's preset (shown beside every loss)."""
    parts = [f"{kind}: {mixture.gain(kind).name}" for kind in kinds]
    form = "Option A, share-gain" if mixture.form == "share-gain" else "Option B, budget-gain"
    why = f" Why: {mixture.why}" if mixture.why else ""
    return f"Mixture model ({form}; information cap {mixture.information_cap.name}): {', '.join(parts)}.{why}"


def mixture_curves(scenario: Scenario, shares: tuple[float, ...] = SHARES) -> list[MixtureCurve]:
    """One curve per synthetic kind in the scenario (no curve under a Kaplan-form law)."""
    if isinstance(scenario.law, KaplanLaw):
        return []
    kinds = sorted({d.synthetic.kind for d in scenario.data if d.synthetic is not None})
    base = evaluate.evaluate(scenario)
    tokens = float(base["tokens"][0])
    params = float(base.law_params[0])
    share = np.asarray(shares, dtype=float)
    generator = (
        next(d.synthetic.generator for d in scenario.data if d.synthetic is not None)
        if kinds
        else None
    )
    out = []
    for kind in kinds:
        synthetic: dict[str, Any] = {"kind": kind, "generator": generator}
        if kind == "rephrased":
            synthetic["rephrases"] = {
                "unique_tokens": tokens
            }  # text not otherwise seen, rephrased once
        data = [  # validated at share 0.5, then given the array of shares (model.with_values' rule)
            DataSource.model_validate({"name": "web", "share": 0.5}).model_copy(
                update={"share": 1 - share}
            ),
            DataSource.model_validate(
                {"name": "synthetic", "share": 0.5, "synthetic": synthetic}
            ).model_copy(update={"share": share}),
        ]
        batch = scenario.model_copy(
            update={
                "data": data,
                "stages": [],  # a curve of the whole run's mix: one stage of web and synthetic
                "training": scenario.training.model_copy(update={"tokens": tokens, "epochs": None}),
            }
        )
        ev = evaluate.evaluate(batch, len(share), {"web", "synthetic"})
        law = scenario.law
        marks = tuple(
            (p, float(law.loss(params, tokens * p.speedup))) for p in PUBLISHED if p.kind == kind
        )
        preset = scenario.mixture.gain(kind)
        out.append(
            MixtureCurve(
                kind,
                preset.name,
                preset.source,
                tuple(float(s) for s in share),
                tuple(float(v) for v in ev["loss"]),
                marks,
            )
        )
    return out
