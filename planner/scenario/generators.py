"""Synthetic-data generators and judges: a hosted API, a self-hosted model, or a measured rate."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, model_validator

from planner import defaults
from planner.limits import (
    MAX_API_USD_PER_MILLION,
    MAX_SOURCE_TEXT,
    MIN_MEASURED_RATE,
    MIN_UTILIZATION,
)
from planner.scenario.fields import (
    AcceleratorRef,
    Amount,
    Params,
    PriceUsdPerHour,
    Quantity,
    Strict,
    price_or_catalog,
)

__all__ = [
    "GENERATION_RATES",
    "Api",
    "Generator",
    "GeneratorRef",
    "Measured",
    "PerMillion",
    "Roofline",
    "SelfHosted",
]

PerMillion = Annotated[Amount, Field(le=MAX_API_USD_PER_MILLION)]
"""USD per million tokens (at most ``MAX_API_USD_PER_MILLION``, a sanity bound)."""


class Api(Strict):
    """A hosted model billed per token."""

    input_usd_per_million_tokens: PerMillion = Field(
        description="Price of prompt tokens, USD per 1M."
    )
    output_usd_per_million_tokens: PerMillion = Field(
        description="Price of output tokens, USD per 1M."
    )


class Roofline(Strict):
    """Throughput from the roofline instead of one utilisation (planner.mixture.generation): prompts
    read at the compute roof, each decode step at the slower of compute and HBM bandwidth with
    the KV cache, the batch capped by memory; an engine preset scales both roofs."""

    engine: Literal["wrap-2023", "trtllm-2025", "roofline"] = Field(
        "trtllm-2025",
        description="Serving-stack preset, each derived from one published throughput. Default "
        "trtllm-2025 (TensorRT-LLM on H100, 2025: continuous batching, paged KV cache); "
        "wrap-2023 (WRAP's 25k A100-hours with 2023 vLLM) is the dated, conservative preset; "
        "roofline is the upper bound.",
    )
    layers: int = Field(gt=0, le=10_000, description="Transformer blocks of the generator.")
    kv_heads: int = Field(gt=0, le=10_000, description="Key/value heads (the KV cache per token).")
    head_dim: int = Field(gt=0, le=100_000, description="Dimension per attention head.")
    output_tokens_per_sequence: int = Field(
        300,
        gt=0,
        le=1_000_000,
        description="Tokens written per request; prompts follow the source's prompt ratio (300: WRAP, "
        "an assumption).",
    )
    weight_bytes_per_param: float = Field(2.0, ge=0.5, le=4, description="2 for BF16, 1 for FP8.")
    kv_bytes: float = Field(2.0, ge=0.5, le=4, description="Bytes per cached key or value element.")
    max_batch: int = Field(
        256,
        gt=0,
        le=1_000_000,
        description="Most sequences decoded together (256: an assumption, the one the wrap-2023 "
        "engine preset was derived with).",
    )


class SelfHosted(Strict):
    """A model run on rented accelerators: 2·params FLOPs per token at one utilisation, or the
    roofline throughput of prefill and decode (``roofline``)."""

    params: Params = Field(description="Generator (or judge) parameters, active per token.")
    accelerator: AcceleratorRef = Field(description="Catalog id or inline spec.")
    utilization: float = Field(
        defaults.INFERENCE_UTILIZATION,
        ge=MIN_UTILIZATION,
        le=1,
        description="Inference utilisation of the bf16 peak. Default derived from WRAP (see docs).",
    )
    price_usd_per_hour: PriceUsdPerHour | None = Field(
        None, description="Price per accelerator-hour, USD. Default: the catalog price."
    )
    roofline: Roofline | None = Field(
        None,
        description="Throughput from prefill and decode rooflines (the generator's shape and an engine "
        "preset) instead of `utilization`.",
    )

    @property
    def price(self) -> float:
        """The price per accelerator-hour in force (scenario, else catalog)."""
        return price_or_catalog(
            self.price_usd_per_hour, self.accelerator, "self_hosted.price_usd_per_hour"
        )

    @model_validator(mode="after")
    def _roofline_needs_memory(self) -> SelfHosted:
        missing = [
            name
            for name in ("memory_gb", "memory_bw_tbs")
            if getattr(self.accelerator, name) is None
        ]
        if self.roofline is not None and missing:
            raise ValueError(
                f"roofline throughput needs the accelerator's {' and '.join(missing)}; "
                f"{self.accelerator.id} has none: give them in an inline accelerator, or drop roofline"
            )
        return self


class Measured(Strict):
    """A generator priced by a measured throughput: generated tokens per accelerator-hour.

    The measured rate already includes reading the prompts and the serving stack's efficiency.
    """

    tokens_per_accelerator_hour: Quantity = Field(
        ge=MIN_MEASURED_RATE, description="Kept-or-generated tokens per accelerator-hour."
    )
    accelerator: AcceleratorRef = Field(
        description="Catalog id or inline spec the rate was measured on."
    )
    price_usd_per_hour: PriceUsdPerHour | None = Field(
        None, description="Price per accelerator-hour, USD. Default: the catalog price."
    )
    source: str = Field(
        "given in the scenario",
        max_length=MAX_SOURCE_TEXT,
        description="Where the rate comes from.",
    )

    @property
    def price(self) -> float:
        """The price per accelerator-hour in force (scenario, else catalog)."""
        return price_or_catalog(
            self.price_usd_per_hour, self.accelerator, "measured.price_usd_per_hour"
        )


GENERATION_RATES: dict[str, dict[str, object]] = {
    "wrap-2024-mistral-7b": {
        "tokens_per_accelerator_hour": 85e9 / 25_000,
        "accelerator": "a100-80gb",
        "source": "WRAP (Maini et al. 2024, arXiv 2401.16380) §7.1 via a course note: 85B tokens rephrased "
        "by Mistral-7B in ~25K A100-hours with vLLM",
    },
    "cosmopedia-mixtral-8x7b": {
        "tokens_per_accelerator_hour": 25e9 / 10_000,
        "accelerator": "h100-sxm",
        "source": "FinePhrase blog draft (HuggingFaceFW/finephrase): Cosmopedia, 25B tokens in >10K "
        "H100-hours (so at most 2.5M tokens per hour)",
    },
    "rewire-2025-llama-3.3-70b": {
        "tokens_per_accelerator_hour": 100e9 / 88_000,
        "accelerator": "h100-sxm",
        "source": "FinePhrase blog draft: REWIRE (Nguyen et al. 2025, arXiv 2506.04689), ~88K H100-hours "
        "per 100B tokens with Llama-3.3-70B",
    },
    "finephrase-2026-smollm2-1.7b": {
        "tokens_per_accelerator_hour": 486e9 / 14_700,
        "accelerator": "h100-sxm",
        "source": "FinePhrase blog draft (arXiv 2604.13977): 486B tokens in ~14.7K H100-hours with "
        "SmolLM2-1.7B, speculative decoding and tuned serving",
    },
}
"""Measured generation throughputs (docs/data-mix-literature.md §7 generation-cost table)."""


def _generator_preset(value: object) -> object:
    if isinstance(value, str):
        if value not in GENERATION_RATES:
            raise ValueError(
                f"unknown generator preset {value!r}; use {', '.join(GENERATION_RATES)}, "
                "or {api: ...}, {self_hosted: ...} or {measured: ...}"
            )
        return {"measured": GENERATION_RATES[value]}
    return value


class Generator(Strict):
    """Exactly one of ``api``, ``self_hosted`` or ``measured`` (or a measured-rate preset name)."""

    api: Api | None = Field(None, description="A hosted API billed per token.")
    self_hosted: SelfHosted | None = Field(None, description="A model on rented accelerators.")
    measured: Measured | None = Field(
        None,
        description=f"A measured throughput on rented accelerators; presets: {', '.join(GENERATION_RATES)}.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Generator:
        if sum(x is not None for x in (self.api, self.self_hosted, self.measured)) != 1:
            raise ValueError("give exactly one of api, self_hosted or measured")
        return self


GeneratorRef = Annotated[
    Generator, BeforeValidator(_generator_preset, json_schema_input_type=str | Generator)
]
"""A generator, or a measured-rate preset name (``wrap-2024-mistral-7b``)."""
