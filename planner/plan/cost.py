"""Dollars, energy and CO2: training, synthetic-data generation, grading and real data.

Pure formulas on floats or numpy arrays; :mod:`planner.plan.estimate` wires them to a scenario.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner import defaults
from planner.compute.flops import accelerator_hours
from planner.laws import distillation
from planner.numbers import Number
from planner.scenario.schema import DataSource, Generator
from planner.scenario.sources import Synthetic

__all__ = [
    "MILLION",
    "InferenceCost",
    "SourceCost",
    "amortised_usd_per_hour",
    "co2_tonnes",
    "energy_kwh",
    "generated_tokens",
    "inference_cost",
    "overhead_cost_usd",
    "programme_hours",
    "source_cost",
    "teacher_training_cost",
    "training_cost_usd",
]

MILLION = 1e6


def training_cost_usd(hours: Number, price_usd_per_hour: Number) -> Number:
    """Productive accelerator-hours times the hourly price."""
    return hours * price_usd_per_hour


def overhead_cost_usd(hours: Number, price_usd_per_hour: Number, goodput: Number) -> Number:
    """Billed but non-training time: ``hours · (1/goodput − 1) · price``."""
    return hours * (1.0 / goodput - 1.0) * price_usd_per_hour


def amortised_usd_per_hour(
    purchase_usd: Number, depreciation_per_year: Number, interconnect_share: Number
) -> Number:
    """Owned accelerator cost per hour: ``price × r / 8,766 h × (1 + interconnect)``.

    Cottier et al. 2024 (arXiv 2405.21015), Epoch AI's amortised method: the value an
    accelerator loses per hour of its life at depreciation rate ``r`` (0.14 orders of magnitude
    a year of price-performance, ``r = 0.14·ln 10``), plus cluster-level interconnect.
    """
    return (
        purchase_usd * depreciation_per_year / defaults.HOURS_PER_YEAR * (1.0 + interconnect_share)
    )


def programme_hours(
    final_hours: Number, development_multiple: Number, evaluation_share: Number
) -> Number:
    """Accelerator-hours of development, ablations and evaluation around a final run.

    ``final × (development multiple + evaluation share)``; LLaMA-1's development beyond its final
    runs was ~2.4x their hours (Touvron et al. 2023 §6.1). Excluded from the final-run cost.
    """
    return final_hours * (development_multiple + evaluation_share)


def energy_kwh(hours: Number, goodput: Number, tdp_w: Number, pue: Number) -> Number:
    """Facility energy: billed accelerator-hours × TDP × PUE.

    Basis: every billed hour (training or not) at board TDP, a ceiling on accelerator
    draw (Olmo 3 measured ~620 W average on 700 W H100s); host CPUs, networking and
    cooling enter only through PUE. This is how LLaMA (Table 15) and BLOOM report energy.
    """
    return hours / goodput * tdp_w / 1000.0 * pue


def co2_tonnes(kwh: Number, grid_kg_co2_per_kwh: Number) -> Number:
    """Operational emissions: energy × grid carbon intensity (location-based)."""
    return kwh * grid_kg_co2_per_kwh / 1000.0


@dataclass(frozen=True)
class InferenceCost:
    """Cost of running a model over some tokens."""

    usd: Number
    accelerator_hours: Number
    """Zero for an API."""


def inference_cost(
    generator: Generator, input_tokens: float, output_tokens: float
) -> InferenceCost:
    """Cost of reading ``input_tokens`` and writing ``output_tokens`` with a generator or judge.

    API: tokens × per-million prices. Self-hosted: ``2·N`` FLOPs per token read or
    written (Kaplan et al. 2020 Eq. 2.2; attention and KV-cache reads ignored), at the
    given utilisation of the bf16 peak, times the hourly price; with ``roofline``, the prefill and
    decode rooflines of :func:`planner.mixture.generation.job_hours` instead. Measured: written tokens over
    the measured tokens per accelerator-hour (which include reading the prompts).
    """
    if generator.measured is not None:
        measured = generator.measured
        hours = output_tokens / measured.tokens_per_accelerator_hour
        return InferenceCost(usd=hours * measured.price, accelerator_hours=hours)
    if generator.api is not None:
        api = generator.api
        usd = (
            input_tokens * api.input_usd_per_million_tokens
            + output_tokens * api.output_usd_per_million_tokens
        ) / MILLION
        return InferenceCost(usd=usd, accelerator_hours=0.0)
    hosted = generator.self_hosted
    assert hosted is not None  # the schema guarantees exactly one
    if hosted.roofline is not None:
        from planner.mixture.generation import ENGINES, GeneratorShape, job_hours

        shape = hosted.roofline
        hours = job_hours(
            GeneratorShape(
                hosted.params, shape.layers, shape.kv_heads, shape.head_dim,
                shape.weight_bytes_per_param, shape.kv_bytes,
            ),
            hosted.accelerator,
            input_tokens,
            output_tokens,
            ENGINES[shape.engine],
            shape.output_tokens_per_sequence,
            shape.max_batch,
        )  # fmt: skip
        return InferenceCost(usd=hours * hosted.price, accelerator_hours=hours)
    flops = defaults.INFERENCE_FLOPS_PER_PARAM * hosted.params * (input_tokens + output_tokens)
    hours = accelerator_hours(flops, hosted.accelerator.peak_flops("bf16"), hosted.utilization)
    return InferenceCost(usd=hours * hosted.price, accelerator_hours=hours)


def generated_tokens(kept_tokens: Number, acceptance_yield: Number) -> Number:
    """Tokens that must be generated to keep ``kept_tokens`` after filtering: kept / yield."""
    return kept_tokens / acceptance_yield


@dataclass(frozen=True)
class SourceCost:
    """What one data source costs to acquire, or to generate and grade."""

    acquisition_usd: Number
    """Licence, fixed fee and processing."""
    generation_usd: Number
    grading_usd: Number
    generated_tokens: Number
    generation_accelerator_hours: Number


def source_cost(
    source: DataSource, unique_tokens: Number, trained_tokens: Number | None = None
) -> SourceCost:
    """Cost of one source given the unique tokens it needs (and the tokens trained on).

    Real: ``unique × (licence + processing) / 1M + fixed fee`` (bought and cleaned once,
    however many epochs are drawn). Synthetic: the same, plus generating
    ``unique / yield`` tokens (each with ``prompt_tokens_per_token`` of prompt) and every
    grading pass reading each generated candidate. Distillation: the teacher reads every
    training token once, a forward pass of ``2·N_teacher`` FLOPs per token (self-hosted) or its
    input price (API), and writes nothing; ``trained_tokens`` defaults to ``unique_tokens``.
    """
    acquisition = (
        unique_tokens
        * (source.license_usd_per_million_tokens + source.processing_usd_per_million_tokens)
        / MILLION
        + source.fixed_fee_usd
    )
    synthetic = source.synthetic
    if synthetic is None:
        return SourceCost(acquisition, 0.0, 0.0, 0.0, 0.0)
    if synthetic.kind == "distillation":
        read = unique_tokens if trained_tokens is None else trained_tokens
        teacher = inference_cost(synthetic.generator, read, 0.0)
        trained = teacher_training_cost(synthetic)
        return SourceCost(
            acquisition,
            teacher.usd + trained.usd,
            0.0,
            0.0,
            teacher.accelerator_hours + trained.accelerator_hours,
        )
    generated = generated_tokens(unique_tokens, synthetic.acceptance_yield)
    generation = inference_cost(
        synthetic.generator, generated * synthetic.prompt_tokens_per_token, generated
    )
    grading_usd = 0.0
    hours = generation.accelerator_hours
    for grading in synthetic.grading:
        judged = inference_cost(
            grading.judge,
            generated * grading.input_tokens_per_token * grading.passes,
            generated * grading.output_tokens_per_token * grading.passes,
        )
        grading_usd += judged.usd
        hours += judged.accelerator_hours
    return SourceCost(acquisition, generation.usd, grading_usd, generated, hours)


def teacher_training_cost(synthetic: Synthetic) -> InferenceCost:
    """A distillation teacher's training, shared by its students; nothing when it exists.

    ``6·N_T·D_T / students`` FLOPs (Busbridge et al. 2025; planner.laws.distillation) on the
    self-hosted teacher's accelerator at its bf16 peak and the calibrated whole-run training
    utilisation (``defaults.UTILIZATION``; assumption: the teacher is trained on the hardware
    that serves it), at its hourly price.
    """
    teacher, hosted = synthetic.teacher, synthetic.generator.self_hosted
    if teacher is None or teacher.exists or hosted is None or teacher.tokens is None:
        return InferenceCost(usd=0.0, accelerator_hours=0.0)
    flops = distillation.teacher_training_flops(
        hosted.params, teacher.tokens, teacher.exists, teacher.students
    )
    hours = accelerator_hours(flops, hosted.accelerator.peak_flops("bf16"), defaults.UTILIZATION)
    return InferenceCost(usd=hours * hosted.price, accelerator_hours=hours)
