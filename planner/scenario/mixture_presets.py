"""Named, cited presets of the mixture model and the scenario's ``mixture`` block.

The mixture model is docs/data-mix-literature.md §10: source families with an information cap
(A1-A3), saturation of generated pools (A4), and a share-dependent gain per synthetic type,
either budget-independent (Option A, ``form: share-gain``, the default) or growing with the
budget (Option B, ``form: budget-gain``). The formulas are in :mod:`planner.mixture.formulas`; this module
holds only their constants, each with its provenance, and the schema that picks them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from planner.limits import MAX_NAME_LENGTH, MAX_SOURCE_TEXT
from planner.scenario.fields import Range, Spread, Strict

__all__ = [
    "CAP_PRESETS",
    "DEFAULT_GAINS",
    "FORMS",
    "GAIN_PRESETS",
    "CapPreset",
    "CapRef",
    "GainPreset",
    "GainRef",
    "Mixture",
]

FORMS = ("share-gain", "budget-gain")
"""Option A (gain depends on the share only) and Option B (it grows with the budget)."""


class GainPreset(Strict):
    """The mixture gain of one synthetic type: ``M(σ) = 1 + (M_max − 1)·b(σ) + (M_1 − 1)·σ``.

    ``b(σ; σ*, p)`` peaks at 1 at the optimum share σ* and is 0 at σ = 0 and σ = 1
    (:func:`planner.mixture.formulas.bump`). Under ``budget-gain`` (Option B) ``max_gain`` and
    ``alone_gain`` are the speed-ups at ``reference_tokens`` and grow with the budget.
    """

    name: str = Field(
        "custom",
        max_length=MAX_NAME_LENGTH,
        description="Preset name, shown with every loss that uses it.",
    )
    source: str = Field(
        "given in the scenario",
        max_length=MAX_SOURCE_TEXT,
        description="Where the constants come from.",
    )
    optimum_share: float = Field(
        gt=0, lt=1, description="σ*: share of training tokens where the gain peaks."
    )
    sharpness: float = Field(
        1.0, gt=0, le=10, description="p: how sharply the gain falls away from σ*."
    )
    max_gain: Spread = Field(
        description="M_max: speed-up at σ* (P10/P50/P90 as {low, point, high}; the Monte Carlo samples it)."
    )
    alone_gain: float = Field(
        gt=0, le=100, description="M_1: speed-up of this type alone (σ = 1); 1 = as good as web."
    )
    reference_tokens: float = Field(
        200e9,
        gt=0,
        le=1e18,
        description="budget-gain only: effective tokens at which max_gain and alone_gain hold (Kang: 200B).",
    )
    speedup_cap: float = Field(
        10.0,
        ge=1,
        le=1e3,
        description="budget-gain only: the largest speed-up the extrapolation may claim.",
    )

    @model_validator(mode="after")
    def _cap_above_gain(self) -> GainPreset:
        if self.speedup_cap < self.max_gain.high:
            raise ValueError(
                f"speedup_cap {self.speedup_cap} is below max_gain {self.max_gain.high}"
            )
        return self


class CapPreset(Strict):
    """How much information rephrasings of a source add: ``U* = U·[1 + ρ·(1 − exp(−(n − 1)⁺/k*))]``."""

    name: str = Field("custom", max_length=MAX_NAME_LENGTH, description="Preset name.")
    source: str = Field(
        "given in the scenario",
        max_length=MAX_SOURCE_TEXT,
        description="Where the constants come from.",
    )
    rho: float = Field(
        ge=0, le=100, description="ρ: extra information at the plateau, as a share of the source."
    )
    scale: float = Field(
        gt=0, le=1e6, description="k*: rephrasings per document over which the gain saturates."
    )


def _spread(point: float, low: float, high: float) -> Range:
    return Range(low=low, high=high, point=point)


KANG = "Kang et al. 2025 (arXiv 2510.01631)"
GAIN_PRESETS: dict[str, GainPreset] = {
    p.name: p
    for p in (
        GainPreset(
            name="conservative",
            source="assumption (docs/data-mix-literature.md §10 A5): downstream gains of rephrasing are small "
            "(WRAP +2%, REWIRE +1-2.5 pp) and shrink on cleaner sources; optimum 0.3 and alone-gain 1.0 "
            f"from {KANG}; Monte Carlo P10-P90 1.2-6 spans the published range (assumption)",
            optimum_share=0.3,
            max_gain=_spread(2.0, 1.2, 6.0),
            alone_gain=1.0,
        ),
        GainPreset(
            name="wrap-2024",
            source="Maini et al. 2024 (WRAP, arXiv 2401.16380): ~3x faster at 1:1 real:rephrased on C4; "
            f"optimum 0.3 and alone-gain 1.0 from {KANG}; P10-P90 2.5-4.5 (assumption)",
            optimum_share=0.3,
            max_gain=_spread(3.63, 2.5, 4.5),
            alone_gain=1.0,
        ),
        GainPreset(
            name="kang-2025",
            source=f"{KANG}: 1/3 rephrased + 2/3 web reaches the same loss 5-10x sooner at larger "
            "budgets; rephrased alone no faster; good ratios converge to ~30%. P10-P90 5-10",
            optimum_share=0.3,
            max_gain=_spread(6.0, 5.0, 10.0),
            alone_gain=1.0,
        ),
        GainPreset(
            name="textbook-kang-2025",
            source=f"{KANG}: textbook-style data alone gives higher loss; optimum share 0.05 (one "
            "secondary source); M_max 1.3 and alone-gain 0.6 are assumptions (docs/data-mix-literature.md §10 A5)",
            optimum_share=0.05,
            max_gain=_spread(1.3, 1.0, 1.6),
            alone_gain=0.6,
        ),
        GainPreset(
            name="sbp-2025",
            source="Yang et al. 2025, Synthetic Bootstrapped Pretraining (arXiv 2509.15248): a "
            "synthesiser learnt from the corpus itself recovers up to 60% of the gain of an oracle with "
            "20x more unique data. A source-tied generator: its value is information about its source, "
            "carried by the information cap sbp-2025 (use both); no gain beyond it (M = 1, assumption)",
            optimum_share=0.5,
            max_gain=_spread(1.0, 1.0, 1.0),
            alone_gain=1.0,
        ),
        GainPreset(
            name="tpt-2025",
            source="Wang et al. 2025, Thinking Augmented Pre-Training (arXiv 2509.20186): documents "
            "with generated reasoning appended give 3x data efficiency, measured with every document "
            "augmented (so M_1 = 3) up to 100B tokens; no interior optimum published (M_max 1 and the "
            "0.5 optimum are placeholders, assumption); 3B post-training reasoning +10% [S]",
            optimum_share=0.5,
            max_gain=_spread(1.0, 1.0, 1.0),
            alone_gain=3.0,
        ),
        GainPreset(
            name="swallowcode-2025",
            source="Fujii et al. 2025, SwallowCode (arXiv 2505.02881): LLM rewrites of The-Stack-v2 "
            "(16.1B tokens), 50B-token continual pretraining of Llama-3.1-8B: HumanEval +17.0, "
            "HumanEval+ +17.7 over Stack-Edu. Benchmark deltas only: the loss speed-up M_1 = 1.3 "
            "(rewrites alone beat the original alone) and the 0.5 optimum are assumptions",
            optimum_share=0.5,
            max_gain=_spread(1.0, 1.0, 1.5),
            alone_gain=1.3,
        ),
        GainPreset(
            name="swallowmath-2025",
            source="Fujii et al. 2025, SwallowMath (arXiv 2505.02881): LLM rewrites of FineMath-4+ "
            "(2.3B tokens), 50B-token continual pretraining of Llama-3.1-8B: GSM8K +12.4, MATH +7.6. "
            "Benchmark deltas only: M_1 = 1.3 and the 0.5 optimum are assumptions",
            optimum_share=0.5,
            max_gain=_spread(1.0, 1.0, 1.5),
            alone_gain=1.3,
        ),
        GainPreset(
            name="neutral",
            source="assumption: no published pretraining gain curve (a token is worth a web token at any "
            "share); fit one from your ablations with planner fit-mix",
            optimum_share=0.3,
            max_gain=_spread(1.0, 1.0, 1.0),
            alone_gain=1.0,
        ),
    )
}
DEFAULT_GAINS = {
    "rephrased": "conservative",
    "generated": "textbook-kang-2025",
    "distillation": "neutral",
    "self_training": "textbook-kang-2025",
}
"""Default preset per synthetic kind (docs/data-mix-literature.md §10 A5; self-training text is model
output, treated like generated text: assumption)."""

CAP_PRESETS: dict[str, CapPreset] = {
    p.name: p
    for p in (
        CapPreset(
            name="megadocs-2026",
            source="Kim et al. 2026 (arXiv 2603.18534): gains plateau near 1.48x data efficiency at 32 "
            "rephrases per document; k* = 8 is an assumption chosen so the gain plateaus by 32",
            rho=0.49,
            scale=8.0,
        ),
        CapPreset(
            name="megadocs-stitched-2026",
            source="Kim et al. 2026 (arXiv 2603.18534): 1.80x when a document's rephrasings are stitched "
            "into one megadoc; k* = 8 assumption",
            rho=0.82,
            scale=8.0,
        ),
        CapPreset(
            name="sbp-2025",
            source="Yang et al. 2025, Synthetic Bootstrapped Pretraining (arXiv 2509.15248): 'up to "
            "60% of the gain' of a 20x-unique oracle. Under Besiroglu + Muennighoff at N = 3B, D = 1T, "
            "U = 50B (laws-2025.md §9 check 20) that bounds the family at 1.35x the repetition "
            "baseline's effective data, i.e. U* <= 2.21 U: rho = 1.2 (rounded down); k* = 8 assumption",
            rho=1.2,
            scale=8.0,
        ),
        CapPreset(
            name="tpt-2025",
            source="Wang et al. 2025, Thinking Augmented Pre-Training (arXiv 2509.20186): 3x data "
            "efficiency read as at most 3x the source's information (rho = 2; assumption, "
            "laws-2025.md §7: a source-tied generator needs its own cap); k* = 8 assumption",
            rho=2.0,
            scale=8.0,
        ),
    )
}


def _named(presets: dict[str, Any], what: str) -> Any:
    def pick(value: object) -> object:
        if isinstance(value, dict) and set(value) == {"file"}:
            from planner.errors import InputError
            from planner.io.reading import read_mapping
            from planner.limits import MAX_LAW_BYTES

            try:
                document = read_mapping(
                    str(value["file"]),
                    limit=MAX_LAW_BYTES,
                    what=f"{what} preset file",
                    expected="a preset file as written by planner fit-mix",
                )
            except InputError as exc:
                raise ValueError(str(exc)) from None
            document.pop("fit", None)
            from pydantic import ValidationError

            from planner.errors import validation_problems

            try:  # validated here so the message names the preset file
                return type(next(iter(presets.values()))).model_validate(document)
            except ValidationError as exc:
                raise ValueError(
                    f"{value['file']}: invalid {what} preset file: {validation_problems(exc)}"
                ) from None
        if isinstance(value, str):
            if value not in presets:
                raise ValueError(
                    f"unknown {what} preset {value!r}; use {', '.join(presets)} or inline constants"
                )
            return presets[value]
        return value

    return pick


GainRef = Annotated[
    GainPreset,
    BeforeValidator(_named(GAIN_PRESETS, "mixture gain"), json_schema_input_type=str | GainPreset),
]
"""A gain preset name (``kang-2025``) or inline constants."""
CapRef = Annotated[
    CapPreset,
    BeforeValidator(_named(CAP_PRESETS, "information cap"), json_schema_input_type=str | CapPreset),
]
"""An information-cap preset name (``megadocs-2026``) or inline ``{rho, scale}``."""


class Mixture(Strict):
    """How a mix of real and synthetic data turns into effective data (docs/data-mix-literature.md §10)."""

    form: Literal["share-gain", "budget-gain"] = Field(
        "share-gain",
        description="share-gain (Option A, default): the gain depends on each type's share; budget-gain "
        "(Option B): it grows with the budget, calibrated at reference_tokens and capped at speedup_cap.",
    )
    rephrased: GainRef = Field(
        default_factory=lambda: GAIN_PRESETS[DEFAULT_GAINS["rephrased"]],
        description=f"Gain of rephrased data: {', '.join(GAIN_PRESETS)} or inline constants.",
    )
    generated: GainRef = Field(
        default_factory=lambda: GAIN_PRESETS[DEFAULT_GAINS["generated"]],
        description="Gain of generated (textbook, QA) data.",
    )
    distillation: GainRef = Field(
        default_factory=lambda: GAIN_PRESETS[DEFAULT_GAINS["distillation"]],
        description="Gain of distillation data (soft labels on real text).",
    )
    self_training: GainRef = Field(
        default_factory=lambda: GAIN_PRESETS[DEFAULT_GAINS["self_training"]],
        description="Gain of self-training data (the model's own output).",
    )
    information_cap: CapRef = Field(
        default_factory=lambda: CAP_PRESETS["megadocs-2026"],
        description=f"Information added by rephrasings of one source: {', '.join(CAP_PRESETS)} or {{rho, scale}}.",
    )
    why: str = Field(
        "", max_length=2000, description="Why these presets: shown beside the loss in reports."
    )

    def gain(self, kind: str) -> GainPreset:
        """The preset for a synthetic kind."""
        preset: GainPreset = getattr(self, kind)
        return preset
