"""The scenario file schema: the single source of truth for inputs.

Pydantic v2 models with ``extra="forbid"``; units are in the field names. The
JSON Schema (``planner schema``), the validation messages and the docs all come
from these classes. Quantities accept human strings (``70B``, ``1.4T``) through
:mod:`planner.units`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from planner import defaults
from planner.errors import InputError
from planner.hardware import Accelerator, hardware
from planner.units import parse_quantity

# Relative slack when checking that explicit token counts add up (0.1%).
SUM_TOLERANCE = 1e-3


def _quantity(value: object) -> float:
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _quantity_or_zero(value: object) -> float:
    try:
        return parse_quantity(value, allow_zero=True)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _accelerator(value: object) -> object:
    if isinstance(value, str):
        try:
            return hardware(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


def _range(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"low": value, "high": value}
    return value


def _price(given: float | None, accelerator: Accelerator, field: str) -> float:
    """The price a scenario gives, else the catalog's; an error naming ``field`` if neither."""
    price = given or accelerator.price_usd_per_hour
    if price is None:
        raise InputError(
            f"accelerator {accelerator.id} has no default price in the catalog",
            field=field,
            allowed=f"set {field}",
        )
    return price


Quantity = Annotated[float, BeforeValidator(_quantity, json_schema_input_type=float | str)]
"""A positive count such as ``70B`` or ``1.4e12``."""
Amount = Annotated[float, BeforeValidator(_quantity_or_zero, json_schema_input_type=float | str)]
"""A non-negative amount (may be zero), e.g. a fee in dollars."""
AcceleratorRef = Annotated[
    Accelerator, BeforeValidator(_accelerator, json_schema_input_type=str | Accelerator)
]
"""A catalog id (``h100-sxm``) or an inline custom spec."""


class Strict(BaseModel):
    """Base: unknown fields are errors; values are frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Architecture(Strict):
    """Transformer shape, from which parameters and per-token FLOPs are derived."""

    layers: int = Field(gt=0, description="Number of transformer blocks (L).")
    d_model: int = Field(gt=0, description="Hidden size (h).")
    heads: int = Field(gt=0, description="Attention (query) heads (H).")
    kv_heads: int | None = Field(
        None, gt=0, description="Key/value heads; fewer than heads for GQA, 1 for MQA. Default: heads."
    )
    head_dim: int | None = Field(None, gt=0, description="Size per head (Q). Default: d_model / heads.")
    ffn_size: int | None = Field(
        None,
        gt=0,
        description="Feed-forward inner size (f). Default: 4·d_model, or 8/3·d_model when glu is on.",
    )
    glu: bool = Field(False, description="Gated feed-forward (SwiGLU): three matrices instead of two.")
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
            raise ValueError(
                f"active_params {self.active_params:g} exceeds params {self.params:g}"
            )
        return self


class Range(Strict):
    """A low/high range with a central value; a single number means all three are equal."""

    low: float = Field(gt=0, le=1, description="Low end.")
    high: float = Field(gt=0, le=1, description="High end.")
    point: float | None = Field(
        None, gt=0, le=1, description="Central estimate. Default: midpoint of low and high."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.point is not None and not self.low <= self.point <= self.high:
            raise ValueError(f"point {self.point} is outside low {self.low} to high {self.high}")
        return self

    @property
    def mid(self) -> float:
        """Central value: ``point``, else the midpoint."""
        return self.point if self.point is not None else (self.low + self.high) / 2


Utilization = Annotated[Range, BeforeValidator(_range, json_schema_input_type=float | Range)]


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
    accelerator_count: int = Field(gt=0, description="Accelerators training in parallel.")
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
        "6nd", description="FLOPs count: 6nd (6·active params), palm (+attention), megatron (+logits)."
    )
    activation_recompute: bool = Field(
        False, description="Full activation recompute: hardware FLOPs add one forward pass."
    )

    @model_validator(mode="after")
    def _tokens_or_epochs(self) -> Training:
        if self.tokens is not None and self.epochs is not None:
            raise ValueError("give training.tokens or training.epochs, not both")
        return self

    @property
    def price(self) -> float:
        """The price per accelerator-hour in force (scenario, else catalog)."""
        return _price(self.price_usd_per_hour, self.accelerator, "training.price_usd_per_hour")


class Api(Strict):
    """A hosted model billed per token."""

    input_usd_per_million_tokens: Amount = Field(description="Price of prompt tokens, USD per 1M.")
    output_usd_per_million_tokens: Amount = Field(description="Price of output tokens, USD per 1M.")


class SelfHosted(Strict):
    """A model run on rented accelerators: cost follows from 2·params FLOPs per token."""

    params: Quantity = Field(description="Generator (or judge) parameters, active per token.")
    accelerator: AcceleratorRef = Field(description="Catalog id or inline spec.")
    utilization: float = Field(
        defaults.INFERENCE_UTILIZATION,
        gt=0,
        le=1,
        description="Inference utilisation of the bf16 peak. Default derived from WRAP (see docs).",
    )
    price_usd_per_hour: float | None = Field(
        None, gt=0, description="Price per accelerator-hour, USD. Default: the catalog price."
    )

    @property
    def price(self) -> float:
        """The price per accelerator-hour in force (scenario, else catalog)."""
        return _price(self.price_usd_per_hour, self.accelerator, "self_hosted.price_usd_per_hour")


class Generator(Strict):
    """Exactly one of ``api`` or ``self_hosted``."""

    api: Api | None = Field(None, description="A hosted API billed per token.")
    self_hosted: SelfHosted | None = Field(None, description="A model on rented accelerators.")

    @model_validator(mode="after")
    def _exactly_one(self) -> Generator:
        if (self.api is None) == (self.self_hosted is None):
            raise ValueError("give exactly one of api or self_hosted")
        return self


class Grading(Strict):
    """A judge or verifier that reads every generated candidate."""

    name: str = Field("grading", description="Label in the cost breakdown.")
    judge: Generator = Field(description="The judge: api or self_hosted.")
    passes: int = Field(1, ge=1, description="How many times each candidate is graded.")
    input_tokens_per_token: float = Field(
        defaults.GRADER_INPUT_TOKENS_PER_TOKEN,
        ge=0,
        description="Tokens the judge reads per generated token (assumption: 1.0).",
    )
    output_tokens_per_token: float = Field(
        defaults.GRADER_OUTPUT_TOKENS_PER_TOKEN,
        ge=0,
        description="Tokens the judge writes per generated token (assumption: 0.01).",
    )


class Synthetic(Strict):
    """How a synthetic source is made: generator, prompts, filtering and grading."""

    generator: Generator = Field(description="The generator: api or self_hosted.")
    prompt_tokens_per_token: float = Field(
        defaults.PROMPT_TOKENS_PER_TOKEN,
        ge=0,
        description="Prompt tokens read per generated token (assumption: 1.0, rephrasing).",
    )
    acceptance_yield: float = Field(
        1.0,
        gt=0,
        le=1,
        description="Share of generated tokens kept after filtering: generated = kept / yield.",
    )
    grading: list[Grading] = Field(
        default_factory=list, description="Grading or verification passes over every candidate."
    )


class DataSource(Strict):
    """One pool of data, real or synthetic, and how much of it the run draws."""

    name: str = Field(min_length=1, description="Unique name; variants address it as data.<name>.")
    unique_tokens: Quantity | None = Field(
        None,
        description=(
            "Unique tokens available. For a synthetic source: unique tokens to generate and keep "
            "(default: the tokens drawn, i.e. one epoch)."
        ),
    )
    tokens: Quantity | None = Field(None, description="Tokens drawn for training.")
    share: float | None = Field(None, gt=0, le=1, description="Share of training.tokens drawn.")
    epochs: float | None = Field(None, gt=0, description="Epochs over unique_tokens drawn.")
    allow_repetition: bool = Field(
        True, description="False makes drawing more than unique_tokens an error."
    )
    license_usd_per_million_tokens: Amount = Field(
        0.0, description="Licence price per 1M unique tokens, USD."
    )
    fixed_fee_usd: Amount = Field(0.0, description="Flat acquisition fee, USD.")
    processing_usd_per_million_tokens: Amount = Field(
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

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        for label, names in (("data", [d.name for d in self.data]), ("variants", [v.name for v in self.variants])):
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"{label}: names must be unique; repeated: {', '.join(dupes)}")
        plan_names = [self.base_plan, *(v.name for v in self.variants)]
        if self.base_plan in plan_names[1:]:
            raise ValueError(f"variants: {self.base_plan!r} is the base plan's name; rename the variant")
        if self.baseline is not None and self.baseline not in plan_names:
            raise ValueError(
                f"baseline {self.baseline!r} is not a plan; choose one of {', '.join(plan_names)}"
            )
        self.source_tokens()  # raises ValueError when the mix does not add up
        return self

    def source_tokens(self) -> list[float]:
        """Tokens drawn from each data source, in order (see ``docs/decisions.md``).

        A source draws ``tokens``, ``epochs × unique_tokens`` or ``share × training.tokens``;
        with ``training.epochs`` every source draws that many epochs.
        """
        training = self.training
        if not self.data:
            if training.epochs is not None:
                raise ValueError("training.epochs needs data sources with unique_tokens")
            if training.tokens is None:
                raise ValueError("training.tokens is required when there are no data sources")
            return []
        if training.epochs is not None:
            out = []
            for source in self.data:
                if source.unique_tokens is None or any(
                    getattr(source, k) is not None for k in ("tokens", "share", "epochs")
                ):
                    raise ValueError(
                        f"data.{source.name}: with training.epochs every source gives unique_tokens "
                        "and no tokens, share or epochs of its own"
                    )
                out.append(training.epochs * source.unique_tokens)
            return self._check_repetition(out)
        explicit = 0.0
        shares = 0.0
        for source in self.data:
            if source.tokens is not None:
                explicit += source.tokens
            elif source.epochs is not None and source.unique_tokens is not None:
                explicit += source.epochs * source.unique_tokens
            elif source.share is not None:
                shares += source.share
            else:
                raise ValueError(f"data.{source.name}: give one of tokens, share or epochs")
        total = training.tokens
        if total is None:
            if shares:
                raise ValueError("training.tokens is required when data sources give a share")
            total = explicit
        if shares:
            expected = 1 - explicit / total
            if abs(shares - expected) > SUM_TOLERANCE:
                raise ValueError(
                    f"data: shares add up to {shares:.4g} but must add up to {expected:.4g} "
                    f"(1 minus the {explicit:.4g} tokens drawn explicitly out of training.tokens "
                    f"{total:.4g})"
                )
        elif abs(explicit - total) > SUM_TOLERANCE * total:
            raise ValueError(
                f"data: sources draw {explicit:.4g} tokens but training.tokens is {total:.4g}; "
                "make them agree or drop training.tokens"
            )
        out = []
        for source in self.data:
            if source.tokens is not None:
                out.append(source.tokens)
            elif source.epochs is not None and source.unique_tokens is not None:
                out.append(source.epochs * source.unique_tokens)
            else:
                out.append((source.share or 0.0) * total)
        return self._check_repetition(out)

    def _check_repetition(self, drawn: list[float]) -> list[float]:
        for source, tokens in zip(self.data, drawn):
            limit = source.unique_tokens
            if not source.allow_repetition and limit is not None and tokens > limit * (1 + SUM_TOLERANCE):
                raise ValueError(
                    f"data.{source.name}: draws {tokens:.4g} tokens but has only {limit:.4g} unique "
                    "tokens and allow_repetition is false; lower the draw or allow repetition"
                )
        return drawn

    @property
    def total_tokens(self) -> float:
        """Training tokens: training.tokens, or the sum drawn from the sources."""
        if self.training.tokens is not None:
            return self.training.tokens
        return sum(self.source_tokens())
