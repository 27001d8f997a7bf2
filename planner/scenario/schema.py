"""The scenario file schema: the single source of truth for inputs.

Pydantic v2 models with ``extra="forbid"``; units are in the field names. The
JSON Schema (``planner schema``), the validation messages and the docs all come
from these classes. Quantities accept human strings (``70B``, ``1.4T``) through
:mod:`planner.units`.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationInfo, model_validator

from planner import defaults
from planner.laws.choice import LawRef, law
from planner.laws.forms import DEFAULT_LAW
from planner.scenario import token_shares
from planner.scenario.fields import (
    AcceleratorRef,
    Amount,
    Quantity,
    Range,
    Strict,
    Utilization,
    price_or_catalog,
)
from planner.scenario.layout import Layout, check_model_layout
from planner.scenario.mixture_presets import Mixture
from planner.scenario.programme import OwnedAccelerators, Programme
from planner.scenario.sources import (
    Api,
    DataSource,
    Generator,
    Grading,
    SelfHosted,
    Synthetic,
    check_rephrases,
)

__all__ = [
    "Api",
    "Architecture",
    "DataSource",
    "Downstream",
    "Generator",
    "Grading",
    "Layout",
    "Model",
    "Optimize",
    "OwnedAccelerators",
    "Programme",
    "Range",
    "Scenario",
    "SelfHosted",
    "Strict",
    "Synthetic",
    "Training",
    "Uncertainty",
    "Variant",
]

SUM_TOLERANCE = token_shares.SUM_TOLERANCE


class Architecture(Strict):
    """Transformer shape, from which parameters and per-token FLOPs are derived."""

    layers: int = Field(gt=0, description="Number of transformer blocks (L).")
    d_model: int = Field(gt=0, description="Hidden size (h).")
    heads: int = Field(gt=0, description="Attention (query) heads (H).")
    kv_heads: int | None = Field(
        None,
        gt=0,
        description="Key/value heads; fewer than heads for GQA, 1 for MQA. Default: heads.",
    )
    head_dim: int | None = Field(
        None, gt=0, description="Size per head (Q). Default: d_model / heads."
    )
    ffn_size: int | None = Field(
        None,
        gt=0,
        description="Feed-forward inner size (f). Default: 4·d_model, or 8/3·d_model when glu is on.",
    )
    glu: bool = Field(
        False, description="Gated feed-forward (SwiGLU): three matrices instead of two."
    )
    vocab_size: int = Field(gt=0, description="Vocabulary size (V).")
    seq_len: int = Field(gt=0, description="Training sequence length in tokens (s).")
    tied_embeddings: bool = Field(False, description="Input and output embeddings share weights.")
    experts: int = Field(1, ge=1, description="Mixture-of-experts: experts per layer (1 = dense).")
    top_k: int = Field(1, ge=1, description="Mixture-of-experts: experts active per token.")

    @model_validator(mode="after")
    def _shape(self) -> Architecture:
        if self.head_dim is None and self.d_model % self.heads:
            raise ValueError(
                f"d_model {self.d_model} is not divisible by heads {self.heads}; give head_dim"
            )
        if self.heads % self.kv_heads_resolved:
            raise ValueError(f"heads {self.heads} is not a multiple of kv_heads {self.kv_heads}")
        if self.top_k > self.experts:
            raise ValueError(f"top_k {self.top_k} exceeds experts {self.experts}")
        return self

    @property
    def kv_heads_resolved(self) -> int:
        return self.kv_heads or self.heads

    @property
    def head_dim_resolved(self) -> int:
        return self.head_dim or self.d_model // self.heads

    @property
    def ffn_size_resolved(self) -> int:
        if self.ffn_size is not None:
            return self.ffn_size
        return int(8 * self.d_model / 3) if self.glu else 4 * self.d_model


class Model(Strict):
    """The model: total and active parameters, or an architecture to derive them from."""

    params: Quantity | None = Field(
        None, description="Total parameters, embeddings included (Chinchilla convention)."
    )
    active_params: Quantity | None = Field(
        None, description="Parameters active per token (mixture-of-experts). Default: params."
    )
    architecture: Architecture | None = Field(
        None, description="Transformer shape; parameters and FLOPs are then derived from it."
    )

    @model_validator(mode="after")
    def _one_source(self) -> Model:
        if self.architecture is None and self.params is None:
            raise ValueError("give model.params or model.architecture")
        if self.architecture is not None and (self.params or self.active_params):
            raise ValueError(
                "give model.params/active_params or model.architecture, not both "
                "(parameters are derived from the architecture)"
            )
        if self.params and self.active_params and self.active_params > self.params:
            raise ValueError(f"active_params {self.active_params:g} exceeds params {self.params:g}")
        return self


class Training(Strict):
    """How the run is trained: tokens, hardware, utilisation, prices, energy."""

    tokens: Quantity | None = Field(
        None, description="Total training tokens. Default: the sum drawn from the data sources."
    )
    epochs: float | None = Field(
        None, gt=0, description="Instead of tokens: epochs over every data source's unique tokens."
    )
    accelerator: AcceleratorRef = Field(
        description="Catalog id (see `planner hardware`) or an inline spec with id and peak_bf16_tflops."
    )
    accelerator_count: int = Field(
        defaults.ACCELERATOR_COUNT,
        gt=0,
        description="Accelerators training in parallel. Default: "
        f"{defaults.ACCELERATOR_COUNT} (assumption: a mid-size 2024-25 allocation; the plan "
        "says so and shows hours at half and twice the count).",
    )
    utilization: Utilization = Field(
        default_factory=lambda: Range(
            low=defaults.UTILIZATION_LOW, high=defaults.UTILIZATION_HIGH, point=defaults.UTILIZATION
        ),
        description=(
            "Whole-run model-FLOPs utilisation (MFU), a number or {low, high, point}. Default: "
            f"{defaults.UTILIZATION} ({defaults.UTILIZATION_LOW}-{defaults.UTILIZATION_HIGH}), "
            "calibrated on published runs."
        ),
    )
    precision: Literal["bf16", "fp8"] = Field("bf16", description="Which dense peak MFU refers to.")
    price_usd_per_hour: float | None = Field(
        None, gt=0, description="Price per accelerator-hour, USD. Default: the catalog price."
    )
    goodput: float = Field(
        defaults.GOODPUT,
        gt=0,
        le=1,
        description="Share of billed time that trains (restarts, evaluation, failures lower it).",
    )
    pue: float = Field(defaults.PUE, ge=1, description="Data-centre power usage effectiveness.")
    grid_kg_co2_per_kwh: float = Field(
        defaults.GRID_KG_CO2_PER_KWH, ge=0, description="Grid carbon intensity, kg CO2e per kWh."
    )
    flops_convention: Literal["6nd", "palm", "megatron"] = Field(
        "6nd",
        description="FLOPs count: 6nd (6·active params), palm (+attention), megatron (+logits).",
    )
    activation_recompute: bool = Field(
        False, description="Full activation recompute: hardware FLOPs add one forward pass."
    )
    generation_timing: Literal["before", "parallel"] = Field(
        "before",
        description="Self-hosted synthetic generation and grading run before training (wall-clock "
        "adds up) or in parallel on their own accelerators (the longer one counts).",
    )
    generation_accelerator_count: int | None = Field(
        None,
        gt=0,
        description="Accelerators generating and grading (self-hosted). Default: "
        "training.accelerator_count.",
    )
    layout: Layout | None = Field(
        None,
        description="Parallel layout (tp, pp, dp, ep, cp, micro_batch, global_batch, zero, recompute, "
        "sequence_parallel, flash_attention); needs model.architecture. Gives memory per accelerator.",
    )

    @model_validator(mode="after")
    def _tokens_or_epochs(self) -> Training:
        if self.tokens is not None and self.epochs is not None:
            raise ValueError("give training.tokens or training.epochs, not both")
        return self

    @property
    def price(self) -> float:
        """The price per accelerator-hour in force (scenario, else catalog); NaN when neither
        gives one: hours, energy and wall-clock need no price, dollars show "no price"."""
        if self.price_usd_per_hour is None and self.accelerator.price_usd_per_hour is None:
            return math.nan
        return price_or_catalog(
            self.price_usd_per_hour, self.accelerator, "training.price_usd_per_hour"
        )


class Uncertainty(Strict):
    """Monte Carlo settings: seeded, so the same file gives the same ranges."""

    samples: int = Field(
        defaults.MONTE_CARLO_SAMPLES, ge=0, le=1_000_000, description="Draws per plan (0 = off)."
    )
    seed: int = Field(0, ge=0, description="Random seed.")
    price_spread: float = Field(
        defaults.PRICE_SPREAD, ge=0, description="Price P90/median - 1 (assumption: 0.25)."
    )
    yield_spread: float = Field(
        defaults.YIELD_SPREAD, ge=0, lt=1, description="Acceptance yield varies by +- this share."
    )


class Downstream(Strict):
    """Map loss to an average benchmark error: ``Err = epsilon - k·exp(-gamma·L)`` (Gadre et al. 2024)."""

    name: str = Field("gadre-2024-redpajama-17task", description="Label shown with the score.")
    k: float = Field(2.2064897621888218, gt=0, description="Scale.")
    gamma: float = Field(0.7145904879699533, gt=0, description="Rate.")
    epsilon: float = Field(0.8569919397480359, gt=0, le=1, description="Error at very high loss.")
    valid_for: str = Field(
        "C4-eval loss with the GPT-NeoX tokenizer (Gadre et al. 2024, RedPajama refit, 17 tasks)",
        description="Which loss the mapping was fitted on; other laws' losses need recalibration.",
    )


class Optimize(Strict):
    """What ``planner optimize`` solves: a budget (dollars, FLOPs or a deadline) or a target loss."""

    budget_usd: Amount | None = Field(None, description="Spend at most this, USD (all costs).")
    budget_flops: Quantity | None = Field(None, description="Train with at most this many FLOPs.")
    deadline_days: float | None = Field(
        None, gt=0, description="Finish within this many days on training.accelerator_count."
    )
    target_loss: float | None = Field(
        None, gt=0, description="Dual problem: the cheapest plan reaching this expected loss."
    )
    inference_tokens: Amount = Field(
        0.0, description="Lifetime inference tokens (Sardana & Frankle): favours smaller models."
    )
    max_synthetic_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Optional cap on the synthetic share of training tokens. Default: none, the share "
        "comes from the mixture model (0.5 is a common choice: above it Phi-4's synthetic-heavy "
        "ablations lost knowledge-task accuracy, Table 3).",
    )
    min_params: Quantity = Field(1e8, description="Smallest model to consider.")
    max_params: Quantity = Field(2e12, description="Largest model to consider.")
    max_epochs: float = Field(
        defaults.OPTIMIZER_MAX_EPOCHS,
        gt=1,
        le=1000,
        description="Most epochs the optimiser may put on any one pool (default 16: about Muennighoff's "
        "R* = 15.4, beyond which repeated tokens add little and the evidence thins; an assumption).",
    )

    @model_validator(mode="after")
    def _one_goal(self) -> Optimize:
        goals = [
            k
            for k in ("budget_usd", "budget_flops", "deadline_days", "target_loss")
            if getattr(self, k) is not None
        ]
        if len(goals) != 1:
            raise ValueError(
                "give exactly one of budget_usd, budget_flops, deadline_days or target_loss"
                + (f" (got {', '.join(goals)})" if goals else "")
            )
        if self.min_params >= self.max_params:
            raise ValueError("min_params must be below max_params")
        return self


class Variant(Strict):
    """Named overrides of the base scenario, as field paths: ``training.accelerator: h200``."""

    name: str = Field(min_length=1, description="Plan name shown in every output.")
    description: str = Field("", description="What this variant changes and why.")
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="Field path -> new value; data sources are addressed by name (data.web.share).",
    )


class Scenario(Strict):
    """A training run to plan, with variants to compare."""

    name: str = Field(min_length=1, description="Scenario name, shown in every output.")
    description: str = Field("", description="What the scenario is for; shown in every output.")
    base_plan: str = Field(
        "base", min_length=1, description="Name of the plan the base scenario itself forms."
    )
    baseline: str | None = Field(
        None, description="Plan the others are compared with. Default: the base scenario's plan."
    )
    model: Model = Field(description="Model size or architecture.")
    training: Training = Field(description="Tokens, hardware, utilisation, prices, energy.")
    data: list[DataSource] = Field(
        default_factory=list, description="Data sources, real and synthetic."
    )
    variants: list[Variant] = Field(default_factory=list, description="Named alternatives.")
    law: LawRef = Field(
        default_factory=lambda: law(DEFAULT_LAW),
        description=(
            "Scaling law: a preset (besiroglu-2024, hoffmann-2022, hoffmann-2022-unrounded, "
            "muennighoff-2023, kaplan-2020) or constants {E, A, B, alpha, beta}. Absolute loss is "
            "specific to the data a law was fitted on: compare plans under one law only."
        ),
    )
    uncertainty: Uncertainty = Field(
        default_factory=Uncertainty, description="Monte Carlo settings for P10/P50/P90 ranges."
    )
    downstream: Downstream | None = Field(
        None,
        description="Optional loss-to-benchmark-error mapping ({} for the Gadre et al. default).",
    )
    optimize: Optimize | None = Field(None, description="What `planner optimize` should solve.")
    programme: Programme | None = Field(
        None,
        description="The whole programme: development, evaluation and owned hardware, as lines beside the "
        "final run (which stays comparable with published costs).",
    )
    mixture: Mixture = Field(
        default_factory=Mixture,
        description="How real and synthetic data combine: information cap of rephrasings, mixture-gain "
        "presets per synthetic kind and their form (share-gain or budget-gain); see planner.scenario.mixture_presets.",
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Scenario:
        for label, names in (
            ("data", [d.name for d in self.data]),
            ("variants", [v.name for v in self.variants]),
        ):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{label}: names must be unique; repeated: {', '.join(dupes)}")
        plan_names = [self.base_plan, *(v.name for v in self.variants)]
        if self.base_plan in plan_names[1:]:
            raise ValueError(
                f"variants: {self.base_plan!r} is the base plan's name; rename the variant"
            )
        if self.baseline is not None and self.baseline not in plan_names:
            raise ValueError(
                f"baseline {self.baseline!r} is not a plan; choose one of {', '.join(plan_names)}"
            )
        varied = (info.context or {}).get("varied_shares")
        if varied is not None:
            # a variant set or dropped shares: the others fill the rest (planner.scenario.token_shares)
            object.__setattr__(
                self, "data", token_shares.rebalanced(self.training, self.data, varied)
            )
        check_rephrases(self.data)
        target = self.optimize.target_loss if self.optimize is not None else None
        floor = float(getattr(self.law, "E", 0.0))
        if (
            target is not None and target <= floor
        ):  # the optimiser would refuse it (validate == run)
            raise ValueError(
                f"optimize.target_loss {target:g} is at or below the law's irreducible loss {floor:.4f}"
            )
        self.source_tokens()  # raises ValueError when the mix does not add up
        check_model_layout(self.model, self.training)
        return self

    def source_tokens(self) -> list[float]:
        """Tokens drawn from each data source, in order (one rule: :func:`planner.scenario.token_shares.resolve`)."""
        drawn, _ = token_shares.resolve(self.training, self.data)
        return [float(t[0]) for t in drawn]

    @property
    def total_tokens(self) -> float:
        """Training tokens: training.tokens, or the sum drawn from the sources."""
        return float(token_shares.resolve(self.training, self.data)[1][0])
