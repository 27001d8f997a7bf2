"""The scenario file schema: the single source of truth for inputs.

Pydantic v2 models with ``extra="forbid"``; units are in the field names. The
JSON Schema (``planner schema``), the validation messages and the docs all come
from these classes. Quantities accept human strings (``70B``, ``1.4T``) through
:mod:`planner.units`.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from planner import defaults
from planner.laws.choice import LawRef, for_model, law
from planner.laws.names import DEFAULT_LAW, preset_help
from planner.limits import (
    MAX_ACCELERATORS,
    MAX_EXPERTS,
    MAX_HEADS,
    MAX_LAYERS,
    MAX_PARAMS,
    MAX_SEQ_LEN,
    MAX_VOCAB,
    MAX_WIDTH,
)
from planner.precisions import PRECISION_NAMES, PrecisionName
from planner.scenario import token_shares
from planner.scenario.fields import (
    AcceleratorRef,
    Amount,
    Params,
    Quantity,
    Range,
    Strict,
    Tokens,
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
from planner.scenario.stages import ScheduleLaw, Stage, check_stages, rebalanced, staged_draws

__all__ = [
    "Api",
    "Architecture",
    "DataSource",
    "Downstream",
    "Generator",
    "Grading",
    "LatentAttention",
    "Layout",
    "Model",
    "Optimize",
    "OwnedAccelerators",
    "PrecisionBits",
    "Programme",
    "Range",
    "Scenario",
    "ScheduleLaw",
    "SelfHosted",
    "Stage",
    "Strict",
    "Synthetic",
    "Training",
    "Uncertainty",
    "Variant",
]

SUM_TOLERANCE = token_shares.SUM_TOLERANCE


class LatentAttention(Strict):
    """Multi-head latent attention (DeepSeek-V2/V3): queries and keys/values pass through
    low-rank projections (DeepSeek-AI 2024, arXiv 2405.04434 §2.1)."""

    q_lora_rank: int | None = Field(
        None, gt=0, le=MAX_WIDTH, description="Query compression rank (None: full-rank queries)."
    )
    kv_lora_rank: int = Field(gt=0, le=MAX_WIDTH, description="Key/value compression rank.")
    qk_nope_head_dim: int = Field(
        gt=0, le=MAX_WIDTH, description="Per-head query/key size without rotary."
    )
    qk_rope_head_dim: int = Field(ge=0, le=MAX_WIDTH, description="Per-head rotary query/key size.")
    v_head_dim: int = Field(gt=0, le=MAX_WIDTH, description="Per-head value size.")


class Architecture(Strict):
    """Transformer shape, from which parameters and per-token FLOPs are derived."""

    layers: int = Field(gt=0, le=MAX_LAYERS, description="Number of transformer blocks (L).")
    d_model: int = Field(gt=0, le=MAX_WIDTH, description="Hidden size (h).")
    heads: int = Field(gt=0, le=MAX_HEADS, description="Attention (query) heads (H).")
    kv_heads: int | None = Field(
        None,
        gt=0,
        le=MAX_HEADS,
        description="Key/value heads; fewer than heads for GQA, 1 for MQA. Default: heads.",
    )
    head_dim: int | None = Field(
        None, gt=0, le=MAX_WIDTH, description="Size per head (Q). Default: d_model / heads."
    )
    ffn_size: int | None = Field(
        None,
        gt=0,
        le=MAX_WIDTH,
        description="Feed-forward inner size (f). Default: 4·d_model, or 8/3·d_model when glu is on.",
    )
    glu: bool = Field(
        False, description="Gated feed-forward (SwiGLU): three matrices instead of two."
    )
    vocab_size: int = Field(gt=0, le=MAX_VOCAB, description="Vocabulary size (V).")
    seq_len: int = Field(
        gt=0, le=MAX_SEQ_LEN, description="Training sequence length in tokens (s)."
    )
    tied_embeddings: bool = Field(False, description="Input and output embeddings share weights.")
    experts: int = Field(
        1, ge=1, le=MAX_EXPERTS, description="Mixture-of-experts: experts per layer (1 = dense)."
    )
    top_k: int = Field(
        1, ge=1, le=MAX_EXPERTS, description="Mixture-of-experts: experts active per token."
    )
    shared_experts: int = Field(
        0,
        ge=0,
        le=MAX_EXPERTS,
        description="Mixture-of-experts: experts every token uses (DeepSeek-V3: 1).",
    )
    expert_ffn_size: int | None = Field(
        None,
        gt=0,
        le=MAX_WIDTH,
        description="Mixture-of-experts: inner size of each routed and shared expert. "
        "Default: ffn_size.",
    )
    dense_layers: int = Field(
        0,
        ge=0,
        le=MAX_LAYERS,
        description="Mixture-of-experts: the first blocks keep a dense feed-forward of ffn_size "
        "(DeepSeek-V3: 3).",
    )
    qkv_bias: bool = Field(
        False, description="Biases on the query, key and value projections (Qwen2)."
    )
    granularity: float | None = Field(
        None,
        ge=1,
        le=1024,
        description="Mixture-of-experts granularity G = d_ff / d_expert (Krajewski et al. 2024): "
        "a token goes to G experts of 1/G the dense FFN size. Default: top_k (a top-1 base).",
    )
    latent_attention: LatentAttention | None = Field(
        None, description="Multi-head latent attention (DeepSeek-V2/V3) instead of GQA."
    )

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
        if self.dense_layers > self.layers:
            raise ValueError(f"dense_layers {self.dense_layers} exceeds layers {self.layers}")
        if self.params_upper_bound > MAX_PARAMS:
            raise ValueError(
                f"this architecture has about {self.params_upper_bound:.3g} parameters, above "
                f"{MAX_PARAMS:g}, the sanity bound for a parameter count (planner.limits "
                "MAX_PARAMS); check layers, d_model, ffn_size, vocab_size and experts"
            )
        return self

    @property
    def params_upper_bound(self) -> int:
        """The dominant terms of :func:`planner.compute.flops.count_params` (attention, every expert's
        feed-forward, untied embeddings), in exact integers: the bound test, not the count."""
        d, f = self.d_model, max(self.ffn_size_resolved, self.expert_ffn_size_resolved)
        attention = d * self.head_dim_resolved * 2 * (self.heads + self.kv_heads_resolved)
        block = attention + (self.experts + self.shared_experts) * 3 * d * f
        return self.layers * block + 2 * self.vocab_size * d

    @property
    def kv_heads_resolved(self) -> int:
        return self.kv_heads or self.heads

    @property
    def head_dim_resolved(self) -> int:
        return self.head_dim or self.d_model // self.heads

    @property
    def expert_ffn_size_resolved(self) -> int:
        return self.expert_ffn_size or self.ffn_size_resolved

    @property
    def ffn_size_resolved(self) -> int:
        if self.ffn_size is not None:
            return self.ffn_size
        return int(8 * self.d_model / 3) if self.glu else 4 * self.d_model


class Model(Strict):
    """The model: total and active parameters, or an architecture to derive them from."""

    params: Params | None = Field(
        None, description="Total parameters, embeddings included (Chinchilla convention)."
    )
    active_params: Params | None = Field(
        None, description="Parameters active per token (mixture-of-experts). Default: params."
    )
    architecture: Architecture | None = Field(
        None, description="Transformer shape; parameters and FLOPs are then derived from it."
    )
    granularity: float | None = Field(
        None,
        ge=1,
        le=1024,
        description="Mixture-of-experts granularity G (Krajewski et al. 2024) when parameters are "
        "given without an architecture. Default: 1 (expert = dense FFN size; flagged).",
    )
    post_training_weight_bits: float | None = Field(
        None,
        ge=1,
        le=16,
        description="Weights quantised to this many bits after training (serving): over-trained "
        "models lose more to post-training quantisation (Kumar et al. 2024; flagged).",
    )
    hf_config: str | None = Field(
        None,
        description="A Hugging Face config.json (a local path, relative to the scenario file) "
        "read into model.architecture: Llama, Qwen, Mistral, Mixtral, DeepSeek-V3 and Gemma "
        "families. Fields given in model.architecture override the file's.",
    )

    @model_validator(mode="before")
    @classmethod
    def _read_hf_config(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("hf_config"), str):
            return data
        from planner.scenario.hf_config import architecture_from_file

        given = data.get("architecture")
        read = architecture_from_file(data["hf_config"])
        merged = {**read, **given} if isinstance(given, dict) else read
        return {**data, "architecture": merged}

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
        if self.architecture is not None and self.granularity is not None:
            raise ValueError("give model.architecture.granularity, not model.granularity")
        return self

    @property
    def moe_granularity(self) -> float | None:
        """Granularity G of a mixture-of-experts model; None for a dense one."""
        arch = self.architecture
        if arch is not None:
            if arch.experts <= 1:
                return None
            return arch.granularity if arch.granularity is not None else float(arch.top_k)
        active, total = self.active_params, self.params  # arrays in the optimiser's batches
        if active is None or total is None or not np.any(np.asarray(active) < np.asarray(total)):
            return None
        return self.granularity if self.granularity is not None else 1.0

    @property
    def expansion_rate(self) -> float:
        """Total over active parameters of an MoE layer, E: experts / top_k (1 for dense). Without
        an architecture, from ``total = active·(8E + 4)/12`` (Krajewski et al. 2024 Eq. 10: a
        dense block of 12·d² with its feed-forward expanded E-fold), so E = (12·total/active − 4)/8."""
        arch = self.architecture
        if arch is not None:
            return arch.experts / arch.top_k
        if self.params is not None and self.active_params is not None:
            ratio = float(np.max(np.asarray(self.params) / np.asarray(self.active_params)))
            return max((12.0 * ratio - 4.0) / 8.0, 1.0)
        return 1.0


class PrecisionBits(Strict):
    """Bits during training, for Kumar et al. 2024's effective parameters."""

    weights: float = Field(16, ge=1, le=32, description="Weight bits (P_w).")
    activations: float = Field(16, ge=1, le=32, description="Activation bits (P_a).")
    kv_cache: float = Field(16, ge=1, le=32, description="KV-cache bits (P_kv).")


class Training(Strict):
    """How the run is trained: tokens, hardware, utilisation, prices, energy."""

    tokens: Tokens | None = Field(
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
        le=MAX_ACCELERATORS,
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
    precision: PrecisionName = Field(
        "bf16",
        description="Training number format (planner.precisions: "
        + ", ".join(PRECISION_NAMES)
        + "): which catalogue peak MFU refers to, its realised speed-up and its loss effect.",
    )
    precision_bits: PrecisionBits | None = Field(
        None,
        description="Custom bits during training (weights, activations, kv_cache) for the loss "
        "effect (Kumar et al. 2024 effective parameters); replaces the format's bits.",
    )
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
    tasks: str | None = Field(
        None,
        max_length=4096,
        description=(
            "A task-fit file from `planner fit-tasks --output` (relative to the scenario file), or "
            "the preset olmo-ladder-2024 (OLMo ladder, non-embedding params; the only published "
            "per-task ladder): each "
            "plan then shows predicted accuracy per task with its P10-P90 from params and tokens "
            "(Bhagia et al. 2024). With tasks, the per-task fits replace the average error above."
        ),
    )

    @property
    def average(self) -> bool:
        """Whether the Gadre average error is shown (not when per-task fits are given)."""
        return self.tasks is None


class Optimize(Strict):
    """What ``planner optimize`` solves: a budget (dollars, FLOPs or a deadline), or a target loss,
    optionally with a deadline too; any decision may be pinned and the rest is optimised."""

    budget_usd: Amount | None = Field(None, description="Spend at most this, USD (all costs).")
    budget_flops: Quantity | None = Field(None, description="Train with at most this many FLOPs.")
    deadline_days: float | None = Field(
        None,
        gt=0,
        description="Finish within this many days on training.accelerator_count (alone, or beside "
        "a budget or target loss: then both hold).",
    )
    target_loss: float | None = Field(
        None, gt=0, description="Dual problem: the cheapest plan reaching this expected loss."
    )
    inference_tokens: Amount = Field(
        0.0,
        description="Lifetime inference tokens (Sardana & Frankle 2023): favours smaller models. "
        "Default 0, shown as such: real recipes over-train for inference.",
    )
    max_synthetic_share: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Optional cap on the synthetic share of training tokens. Default: none, the share "
        "comes from the mixture model (0.5 is a common choice: above it Phi-4's synthetic-heavy "
        "ablations lost knowledge-task accuracy, Table 3).",
    )
    min_params: Params = Field(1e8, description="Smallest model to consider.")
    max_params: Params = Field(2e12, description="Largest model to consider.")
    params: Quantity | None = Field(
        None, description="Pin the model size (total parameters); the rest is optimised."
    )
    tokens: Quantity | None = Field(
        None, description="Pin the training tokens (all sources together); the rest is optimised."
    )
    shares: dict[str, float] = Field(
        default_factory=dict,
        description="Pin a source's share of training tokens, by source name ({web: 0.3}).",
    )
    keep_domains: bool = Field(
        True,
        description="Keep each real source that the mixture gain does not reach (code, licensed "
        "text nobody rewrote) at the plan's share of training tokens, unless shares pins it: the "
        "loss law has no term for what a domain adds, so a loss-only search would trade it away "
        "for the gain's stream (assumption: a recipe's domain mix is a choice the law cannot value).",
    )
    max_epochs: float = Field(
        defaults.OPTIMIZER_MAX_EPOCHS,
        gt=1,
        le=1000,
        description="Most epochs the optimiser may put on any one pool, synthetic pools included "
        "(default 4: Muennighoff et al. 2023's range where repeated tokens are nearly as good as "
        "fresh, and mixture gains were measured on fresh synthetic data; raise it deliberately).",
    )

    @model_validator(mode="after")
    def _one_goal(self) -> Optimize:
        goals = [
            k for k in ("budget_usd", "budget_flops", "target_loss") if getattr(self, k) is not None
        ]
        if len(goals) > 1 or (not goals and self.deadline_days is None):
            raise ValueError(
                "give one of budget_usd, budget_flops or target_loss, a deadline_days, or one of "
                "them with deadline_days" + (f" (got {', '.join(goals)})" if goals else "")
            )
        if self.min_params >= self.max_params:
            raise ValueError("min_params must be below max_params")
        if sum(self.shares.values()) > 1 + 1e-9 or any(
            not 0 < v <= 1 for v in self.shares.values()
        ):
            raise ValueError("pinned shares must each lie in (0, 1] and sum to at most 1")
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
            f"Scaling law: a preset ({preset_help()}) or constants {{E, A, B, alpha, beta}}. "
            "Absolute loss is "
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
    stages: list[Stage] = Field(
        default_factory=list,
        description="Runs in stages (pretraining, anneal, long context): tokens or share, data mix, "
        "sequence length, learning rate, hardware per stage; see planner.plan.stages. Default: one stage.",
    )
    schedule_law: ScheduleLaw | None = Field(
        None,
        description="Tissue et al. 2024 schedule-aware loss with your fitted constants (L0, A, alpha, "
        "C); without it each stage's loss follows the base law.",
    )
    as_of: dt.date | None = Field(
        None,
        description="The date the plan is made (YYYY-MM-DD), against which catalog prices "
        "are aged: a price quoted over a year earlier is flagged. Default: today.",
    )

    @model_validator(mode="before")
    @classmethod
    def _lone_source_takes_everything(cls, data: Any) -> Any:
        """A single data source that gives no tokens, share or epochs is the whole run
        (``share: 1.0`` need not be written); with ``training.epochs`` it stays as written."""
        if not isinstance(data, dict):
            return data
        sources, training = data.get("data"), data.get("training")
        if (
            isinstance(sources, list)
            and len(sources) == 1
            and isinstance(sources[0], dict)
            and not any(sources[0].get(k) is not None for k in ("tokens", "share", "epochs"))
            and not (isinstance(training, dict) and training.get("epochs") is not None)
        ):
            return {**data, "data": [{**sources[0], "share": 1.0}]}
        return data

    @property
    def plan_date(self) -> dt.date:
        """``as_of``, else today (the date catalog prices are aged against)."""
        return self.as_of or dt.date.today()

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
            rebalance = rebalanced if self.stages else token_shares.rebalanced
            object.__setattr__(self, "data", rebalance(self.training, self.data, varied))
        check_rephrases(self.data)
        # krajewski-2024: the MoE or dense row for this model's shape (planner.laws.moe)
        object.__setattr__(self, "law", for_model(self.law, self.model.moe_granularity))
        target = self.optimize.target_loss if self.optimize is not None else None
        floor = float(getattr(self.law, "E", 0.0))
        if (
            target is not None and target <= floor
        ):  # the optimiser would refuse it (validate == run)
            raise ValueError(
                f"optimize.target_loss {target:g} is at or below the law's irreducible loss {floor:.4f}"
            )
        if self.stages:  # raises ValueError when the stages or the mix do not add up
            check_stages(self.stages, self.data, self.training, self.model)
        else:
            self.source_tokens()  # raises ValueError when the mix does not add up
        check_model_layout(self.model, self.training)
        return self

    def source_tokens(self) -> list[float]:
        """Tokens drawn from each data source, in order (one rule: :func:`planner.scenario.token_shares.resolve`;
        with stages, the sum over stages, :func:`planner.scenario.stages.staged_draws`)."""
        if self.stages:
            per_stage, _, _ = staged_draws(self.training, self.data, self.stages)
            return [float(sum(s[i][0] for s in per_stage)) for i in range(len(self.data))]
        drawn, _ = token_shares.resolve(self.training, self.data)
        return [float(t[0]) for t in drawn]

    @property
    def total_tokens(self) -> float:
        """Training tokens: training.tokens, or the sum drawn from the sources."""
        if self.stages:
            return float(staged_draws(self.training, self.data, self.stages)[2][0])
        return float(token_shares.resolve(self.training, self.data)[1][0])
