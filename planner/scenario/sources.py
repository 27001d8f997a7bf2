"""Data sources of a scenario: real pools and synthetic ones with their generator.

Synthetic kinds (docs/data-mix-literature.md §10): ``rephrased`` rewrites of a source, tied to it
with ``rephrases`` (a real source of the scenario, or ``{unique_tokens: 2T}`` of source text
not itself trained on); ``generated`` text from seeds (textbook, QA); ``distillation`` real
text with a teacher's soft labels (a teacher forward pass per training token);
``self_training`` the model's own output, over ``generations`` rounds (accumulate/replace).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Literal, get_args

from pydantic import AfterValidator, BeforeValidator, Field, model_validator

from planner import defaults
from planner.limits import (
    MAX_API_USD_PER_MILLION,
    MAX_GENERATIONS,
    MAX_TOKEN_RATIO,
    MIN_YIELD,
)
from planner.scenario.fields import (
    Amount,
    Name,
    Range,
    Spread,
    Strict,
    Tokens,
)
from planner.scenario.generators import (
    GENERATION_RATES,
    Api,
    Generator,
    GeneratorRef,
    Measured,
    SelfHosted,
)
from planner.scenario.mixture_presets import CapRef

__all__ = [
    "GENERATION_RATES",
    "KINDS",
    "VALUE_PRESETS",
    "Api",
    "DataSource",
    "Generator",
    "GeneratorRef",
    "Grading",
    "Measured",
    "RephraseSource",
    "SelfHosted",
    "Synthetic",
    "SyntheticKind",
    "Teacher",
    "ValueWeight",
    "check_rephrases",
]

SyntheticKind = Literal["rephrased", "generated", "distillation", "self_training"]
"""Synthetic kinds, each with its own mixture-gain preset (planner.scenario.mixture_presets):
the one list of kinds; the mixture block, the sweep paths and help texts are built from it."""

KINDS: tuple[str, ...] = get_args(SyntheticKind)
"""The synthetic kinds, in order (from :data:`SyntheticKind`)."""


PerMillion = Annotated[Amount, Field(le=MAX_API_USD_PER_MILLION)]
"""USD per million tokens (at most ``MAX_API_USD_PER_MILLION``, a sanity bound)."""

VALUE_PRESETS: dict[str, dict[str, float]] = {
    "pessimistic": {"low": 0.5, "high": 0.5, "point": 0.5},
    "default": {
        "low": defaults.SYNTHETIC_WEIGHT_LOW,
        "high": defaults.SYNTHETIC_WEIGHT_HIGH,
        "point": defaults.SYNTHETIC_WEIGHT,
    },
    "optimistic": {"low": 2.5, "high": 2.5, "point": 2.5},
}


def _value_preset(value: object) -> object:
    if isinstance(value, str):
        try:  # YAML 1.1 reads 1e-3 (no dot) as text: take it as the number
            return float(value)
        except ValueError:
            pass
        if value not in VALUE_PRESETS:
            raise ValueError(
                f"unknown value preset {value!r}; use {', '.join(VALUE_PRESETS)} or a number"
            )
        return VALUE_PRESETS[value]
    return value


def _one_or_list(value: object) -> object:
    """One judge may be written as a mapping; several as a list."""
    return [value] if isinstance(value, dict) else value


ValueWeight = Annotated[
    Spread, BeforeValidator(_value_preset, json_schema_input_type=str | float | Range)
]


class Grading(Strict):
    """A judge or verifier that reads every generated candidate."""

    name: Name = Field("grading", description="Label in the cost breakdown.")
    judge: GeneratorRef = Field(description="The judge: api, self_hosted or measured.")
    passes: int = Field(
        1, ge=1, le=MAX_TOKEN_RATIO, description="How many times each candidate is graded."
    )
    input_tokens_per_token: float = Field(
        defaults.GRADER_INPUT_TOKENS_PER_TOKEN,
        ge=0,
        le=MAX_TOKEN_RATIO,
        description="Tokens the judge reads per generated token (assumption: 1.0).",
    )
    output_tokens_per_token: float = Field(
        defaults.GRADER_OUTPUT_TOKENS_PER_TOKEN,
        ge=0,
        le=MAX_TOKEN_RATIO,
        description="Tokens the judge writes per generated token (assumption: 0.01).",
    )


def _sane_yield(value: float) -> float:
    if value < MIN_YIELD:
        raise ValueError(
            f"is below {MIN_YIELD:g}, the sanity bound (planner.limits): generated = kept / yield "
            "would overflow the cost"
        )
    return value


class RephraseSource(Strict):
    """Source text that is rephrased but not itself trained on."""

    unique_tokens: Tokens = Field(description="Unique tokens of the source text rephrased.")


class Teacher(Strict):
    """A distillation teacher: whether its training is paid by this plan (Busbridge et al. 2025)."""

    exists: bool = Field(
        False,
        description="The teacher is already trained (its cost is sunk): distillation can pay. "
        "Otherwise its training, 6 x teacher params x tokens, is counted.",
    )
    tokens: Tokens | None = Field(
        None, description="Tokens the teacher is trained on (needed unless it exists)."
    )
    students: int = Field(
        1,
        ge=1,
        le=1_000_000,
        description="Students sharing the teacher: its training cost is split between them.",
    )
    logits: Literal["online", "offline"] = Field(
        "online",
        description="online: the teacher runs beside the student; offline: its logits are stored "
        "(a storage line, planner.laws.distillation.logit_storage_bytes).",
    )
    top_k: int | None = Field(
        None,
        ge=1,
        le=1_000_000,
        description="Offline: logits kept per token (default: all; top-128 costs +0.11 nats, +0.01 "
        "with 30% ground-truth loss, Busbridge et al. 2025 [S]).",
    )
    vocab_size: int = Field(
        32_000,
        ge=1,
        le=10_000_000,
        description="Vocabulary size, for full offline logits (default 32,000: laws-2025.md check 9b).",
    )

    @model_validator(mode="after")
    def _tokens_unless_exists(self) -> Teacher:
        if not self.exists and self.tokens is None:
            raise ValueError("a teacher to be trained needs tokens (or set exists: true)")
        return self


class Synthetic(Strict):
    """How a synthetic source is made: generator, prompts, filtering and grading."""

    generator: GeneratorRef = Field(
        description=f"The generator (the teacher for distillation): api, self_hosted, measured or a preset "
        f"({', '.join(GENERATION_RATES)})."
    )
    prompt_tokens_per_token: float = Field(
        defaults.PROMPT_TOKENS_PER_TOKEN,
        ge=0,
        le=MAX_TOKEN_RATIO,
        description="Prompt tokens read per generated token (assumption: 1.0, rephrasing).",
    )
    acceptance_yield: Annotated[float, AfterValidator(_sane_yield)] = Field(
        1.0,
        gt=0,
        le=1,
        description="Share of generated tokens kept after filtering: generated = kept / yield.",
    )
    grading: Annotated[list[Grading], BeforeValidator(_one_or_list)] = Field(
        default_factory=list,
        description="Grading or verification passes over every candidate (one, or a list).",
    )
    kind: SyntheticKind = Field(
        "generated",
        description=(
            "rephrased: rewrites of a source (WRAP-style), tied to it with rephrases; generated: new "
            "text from seeds (textbook, QA); distillation: real text with a teacher's soft labels, the "
            "generator being the teacher (one forward pass, 2 x teacher params FLOPs, per training "
            "token); self_training: the model's own output over generations rounds."
        ),
    )
    rephrases: Name | RephraseSource | None = Field(
        None,
        description=(
            "For kind rephrased: what is rephrased, a real source of this scenario (web) or "
            "{unique_tokens: 2T} of source text not itself trained on. Rephrasings of one source add "
            "bounded information (planner.mixture.formulas.information_cap). Without it, the pool counts as one "
            "rephrasing of text not otherwise trained on (flagged)."
        ),
    )
    mixed_with: list[Name] | None = Field(
        None,
        max_length=64,
        description=(
            "Real sources of this scenario the pool's mixture gain was measured beside (its gain "
            "multiplies them and the pool, and no other source). Default: the source it rephrases; "
            "for a pool tied to none, the sources the scenario rewrites, or every real source when "
            "it rewrites none (planner.mixture.expected_loss.gain_stream)."
        ),
    )
    information_cap: CapRef | None = Field(
        None,
        description=(
            "For kind rephrased: this generator's own information cap (a preset such as sbp-2025 "
            "or tpt-2025, or {rho, scale}), replacing mixture.information_cap for its family: a "
            "source-tied generator is bounded by the information in its source."
        ),
    )
    value_weight: ValueWeight | None = Field(
        None,
        description=(
            "Explicit override: worth of one effective token of this pool in real tokens "
            "(pessimistic 0.5, default 1.0 sampled 0.5-2.5, optimistic 2.5, a number or "
            "{low, high, point}). Replaces the mixture gain for this pool. Default: none, the "
            "mixture model (scenario mixture block) decides."
        ),
    )
    saturation_tokens: Tokens | None = Field(
        None,
        description=(
            "For generated and self_training pools: the seed/generator diversity capacity G_cap; G "
            "generated tokens carry G_cap·(1 - exp(-G/G_cap)) unique information (SynthLLM's plateau, "
            "arXiv 2503.19551; the value is an assumption). Default: no saturation."
        ),
    )
    r_star: float = Field(
        defaults.R_STAR_SYNTHETIC,
        gt=0,
        le=1e6,
        description="Repetition constant R* of this pool (Muennighoff's 15.39 by default).",
    )
    generations: int = Field(
        1,
        ge=1,
        le=MAX_GENERATIONS,
        description="Rounds of training on model output (self-training); 1 = one generator pass.",
    )
    policy: Literal["accumulate", "replace"] = Field(
        "accumulate",
        description="Across generations: keep earlier data (accumulate) or replace it.",
    )
    teacher: Teacher | None = Field(
        None,
        description="For kind distillation: whether the teacher exists or is shared, its training "
        "tokens and how logits are kept (Busbridge et al. 2025). Without it only the teacher's "
        "forward pass is counted.",
    )

    @model_validator(mode="after")
    def _rephrases_only_rephrased(self) -> Synthetic:
        if self.rephrases is not None and self.kind != "rephrased":
            raise ValueError(f"rephrases applies to kind rephrased, not {self.kind}")
        if self.information_cap is not None and self.kind != "rephrased":
            raise ValueError(f"information_cap applies to kind rephrased, not {self.kind}")
        if self.kind == "distillation" and self.generator.measured is not None:
            raise ValueError(
                "distillation needs an api or self_hosted teacher (a measured rate is for generation)"
            )
        if self.teacher is not None and self.kind != "distillation":
            raise ValueError(f"teacher applies to kind distillation, not {self.kind}")
        if self.teacher is not None and not self.teacher.exists and self.generator.api is not None:
            raise ValueError(
                "an API teacher is already trained: set teacher.exists: true, or give a "
                "self_hosted teacher whose training this plan pays"
            )
        if self.saturation_tokens is not None and self.kind not in ("generated", "self_training"):
            raise ValueError(
                f"saturation_tokens applies to kinds generated and self_training, not {self.kind}"
            )
        return self


class DataSource(Strict):
    """One pool of data, real or synthetic, and how much of it the run draws."""

    name: Name = Field(description="Unique name; variants address it as data.<name>.")
    unique_tokens: Tokens | None = Field(
        None,
        description=(
            "Unique tokens available. For a synthetic source: unique tokens to generate and keep "
            "(default: the tokens drawn, i.e. one epoch)."
        ),
    )
    tokens: Tokens | None = Field(None, description="Tokens drawn for training.")
    share: float | None = Field(None, gt=0, le=1, description="Share of training.tokens drawn.")
    epochs: float | None = Field(None, gt=0, le=1e6, description="Epochs over unique_tokens drawn.")
    allow_repetition: bool = Field(
        True, description="False makes drawing more than unique_tokens an error."
    )
    license_usd_per_million_tokens: PerMillion = Field(
        0.0, description="Licence price per 1M unique tokens, USD."
    )
    fixed_fee_usd: Amount = Field(0.0, description="Flat acquisition fee, USD.")
    processing_usd_per_million_tokens: PerMillion = Field(
        0.0, description="Cleaning, filtering and tokenising per 1M unique tokens, USD."
    )
    synthetic: Synthetic | None = Field(
        None, description="Present for model-generated data: how it is generated."
    )

    @model_validator(mode="after")
    def _one_draw(self) -> DataSource:
        given = [k for k in ("tokens", "share", "epochs") if getattr(self, k) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of tokens, share or epochs, not {' and '.join(given)}")
        if self.epochs is not None and self.unique_tokens is None:
            raise ValueError("epochs needs unique_tokens")
        return self

    @property
    def kind(self) -> str:
        return "synthetic" if self.synthetic is not None else "real"


def check_rephrases(data: Sequence[DataSource]) -> None:
    """Every ``rephrases: NAME`` and ``mixed_with`` entry names a real source of the same
    scenario (ValueError if not)."""
    kinds = {d.name: d.kind for d in data}
    for source in data:
        for name in (source.synthetic.mixed_with or []) if source.synthetic is not None else []:
            if kinds.get(name) != "real":
                real = sorted(n for n, k in kinds.items() if k == "real")
                raise ValueError(
                    f"data.{source.name}.synthetic.mixed_with: {name!r} is not a real source of "
                    f"this scenario; name one of {', '.join(real) or 'none defined'}"
                )
        target = source.synthetic.rephrases if source.synthetic is not None else None
        if not isinstance(target, str):
            continue
        real = sorted(n for n, k in kinds.items() if k == "real")
        where = f"data.{source.name}.synthetic.rephrases"
        if target not in kinds:
            raise ValueError(
                f"{where}: {target!r} is not a data source of this scenario; name a real source "
                f"({', '.join(real) or 'none defined'}) or give {{unique_tokens: ...}} for source text "
                "not trained on"
            )
        if kinds[target] != "real":
            raise ValueError(
                f"{where}: {target!r} is synthetic; rephrases names a real source "
                f"({', '.join(real) or 'none defined'}) or {{unique_tokens: ...}}"
            )
