"""The report's tables, each built from finished results and formatted through :mod:`planner.units`.

A table is ``(headers, rows)`` of strings; nothing here computes a plan. The report
(:mod:`planner.outputs.report`) arranges them on the page, the notebook fragment reuses the summary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from planner import defaults, units
from planner.compute.plan_terms import HARDWARE_ASSUMPTIONS
from planner.outputs.text import (
    flag_groups,
    hours_model_cell,
    optional,
    paired_difference,
    plan_range,
    price_cell,
)
from planner.plan.estimate import PlanResult, Results

__all__ = [
    "ASSUMPTIONS_IN_FORCE",
    "assumptions",
    "cost_table",
    "flag_groups",
    "price_table",
    "priced_at",
    "resource_table",
    "source_table",
    "summary_table",
    "time_table",
]

ASSUMPTIONS_IN_FORCE: tuple[defaults.Assumption, ...] = (
    *defaults.ASSUMPTIONS,
    *HARDWARE_ASSUMPTIONS,
)
"""Every default of the plan model with its source: planner.defaults and the hardware plan's."""

Table = tuple[list[str], list[list[str]]]


def _delta(value: float, base: float, fmt: Callable[[float], str], baseline: bool = False) -> str:
    """The difference from the baseline in words a reader cannot misread: the baseline's own
    row says ``baseline``, an unchanged value ``same`` (a bare dash read as "not available").

    >>> _delta(5.0, 5.0, str, baseline=True), _delta(5.0, 5.0, str), _delta(7.0, 5.0, str)
    ('baseline', 'same', '+2.0')
    """
    if baseline:
        return "baseline"
    difference = value - base
    if abs(difference) <= 1e-12 * max(abs(base), 1.0):
        return "same"
    sign = "+" if difference > 0 else "-"
    return f"{sign}{fmt(abs(difference))}"


def _paired(p: PlanResult, is_base: bool) -> str:
    """The terminal's paired difference and the chance of being lower (empty: not paired)."""
    text = None if is_base else paired_difference(p)
    if text is None:
        return ""
    chance = p.probability_below_baseline
    return text + ("" if chance is None else f"; {chance:.0%}")


def _loss(value: float) -> str:
    return f"{value:.3f}"


def summary_table(results: Results) -> tuple[list[str], list[list[str]], list[str]]:
    """One row per plan: cost, hours, days, loss with P10-P90 and deltas; CSS class per row."""
    base = results[results.baseline]
    headers = [
        "plan",
        "total cost (P10-P90)",
        "vs baseline",
        "accelerator-hours (P10-P90)",
        "wall-clock (P10-P90)",
        "expected loss (P10-P90)",
        "loss vs baseline (paired P10-P90; chance lower; else point estimates)",
        "effective tokens",
        "tokens/param (law optimum)",
        "synthetic share",
        "parameters (total / active)",
    ]
    rows, classes = [], []
    for p in results.plans:
        optimum = p.optimal_tokens_per_param
        is_base = p.plan == results.baseline
        rows.append(
            [
                p.plan,
                plan_range(
                    units.format_usd, p.total_cost_usd, p.total_cost_usd_p10, p.total_cost_usd_p90
                ),
                _delta(p.total_cost_usd, base.total_cost_usd, units.format_usd, is_base),
                plan_range(
                    units.format_count,
                    p.accelerator_hours,
                    p.accelerator_hours_p10,
                    p.accelerator_hours_p90,
                ),
                plan_range(
                    units.format_days,
                    p.wall_clock_days,
                    p.wall_clock_days_p10,
                    p.wall_clock_days_p90,
                    units.format_number,
                ),
                plan_range(_loss, p.loss, p.loss_p10, p.loss_p90),
                _paired(p, is_base) or _delta(p.loss, base.loss, _loss, is_base),
                units.format_count(p.effective_tokens),
                f"{p.tokens_per_param:.0f}" + (f" ({optimum:.0f})" if optimum else ""),
                units.format_ratio(p.synthetic_share),
                f"{units.format_count(p.params)} / {units.format_count(p.active_params)}",
            ]
        )
        classes.append("baseline" if p.plan == results.baseline else "")
    return headers, rows, classes


def cost_table(results: Results) -> Table:
    """Dollars per plan by component, as the PlanResult holds them (point estimates).

    Programme and amortised-ownership figures, when a scenario asks for them, are extra
    columns after the final run's total, so the total stays comparable with published costs.
    """
    plans = results.plans
    headers = [
        "plan",
        "training compute",
        "overhead (goodput)",
        "synthetic generation",
        "grading",
        "real data",
        "total (final run)",
    ]
    programme = any(p.programme_usd is not None for p in plans)
    amortised = any(p.amortised_training_usd is not None for p in plans)
    if programme:
        headers += ["development, ablations, evaluation", "programme total"]
    if amortised:
        headers += ["training on owned accelerators (amortised)"]
    rows = []
    for p in plans:
        row = [
            p.plan,
            *(
                units.format_usd(v)
                for v in (
                    p.training_compute_usd,
                    p.overhead_usd,
                    p.synthetic_generation_usd,
                    p.grading_usd,
                    p.real_data_usd,
                    p.total_cost_usd,
                )
            ),
        ]
        if programme:
            row += [
                optional(units.format_usd, p.programme_usd),
                optional(units.format_usd, p.programme_total_usd),
            ]
        if amortised:
            row += [optional(units.format_usd, p.amortised_training_usd)]
        rows.append(row)
    return headers, rows


def _memory(p: PlanResult, capacity_gb: float | None) -> str:
    need = units.format_bytes(p.memory_bytes)
    if capacity_gb is None:
        return f"{need} total; accelerator memory unknown"
    held = units.format_bytes(capacity_gb * 1e9)
    fewest = "" if p.min_accelerators is None else f", >= {p.min_accelerators:,} to hold it"
    return f"{need} total; {held} each{fewest}"


def _layout_memory(p: PlanResult) -> str:
    """Memory one accelerator holds under the plan's layout (weights, gradients, optimizer,
    activations, buffers), against what it can use."""
    memory = p.memory_per_accelerator
    if memory is None:
        return "no layout given"
    text = f"{units.format_bytes(memory.total_bytes)} of {units.format_bytes(memory.usable_bytes)} usable"
    return text + ("; does not fit" if memory.fits is False else "")


def resource_table(results: Results) -> Table:
    """Accelerators, hours, days, energy, CO2 and memory per plan (point estimates)."""
    capacity = {i.name: i.scenario.training.accelerator.memory_gb for i in results.inputs}
    headers = [
        "plan",
        "accelerators",
        "price per accelerator-hour",
        "accelerator-hours",
        "wall-clock",
        "energy",
        "CO2",
        "memory: weights+grads+Adam; per accelerator",
        "memory per accelerator under the layout",
    ]
    rows = [
        [
            p.plan,
            f"{p.accelerator_count:,} x {p.accelerator} ({p.precision})",
            price_cell(p),
            units.format_hours(p.accelerator_hours, _hour_unit(p)),
            units.format_days(p.wall_clock_days),
            optional(units.format_energy, p.energy_kwh),
            optional(units.format_co2, p.co2_tonnes),
            _memory(p, capacity.get(p.plan)),
            _layout_memory(p),
        ]
        for p in results.plans
    ]
    return headers, rows


def time_table(results: Results) -> Table:
    """Where the hours come from and how long until the model exists: the hours model's two
    factors and layout, self-hosted generation and grading, and the combined wall-clock."""
    headers = [
        "plan",
        "hours model: per-step MFU x goodput (layout)",
        "generation + grading hours (self-hosted)",
        "generation wall-clock",
        "combined wall-clock",
    ]
    rows = [
        [
            p.plan,
            hours_model_cell(p, with_layout=True),
            (
                units.format_count(p.synthetic_accelerator_hours) + " h"
                if p.synthetic_accelerator_hours
                else "none"
            ),
            (
                units.format_days(p.generation_wall_clock_days)
                if p.generation_wall_clock_days
                else "none"
            ),
            units.format_days(p.combined_wall_clock_days),
        ]
        for p in results.plans
    ]
    return headers, rows


def _hour_unit(p: PlanResult) -> str:
    return "TPU-h" if p.accelerator.startswith("tpu") else "GPU-h"


def _generator(generator: Any) -> str:
    """A generator or judge as priced: ``API $2.5/M in, $10/M out`` or ``self-hosted 70B on ...``."""
    if generator.api is not None:
        api = generator.api
        return f"API ${api.input_usd_per_million_tokens:g}/M in, ${api.output_usd_per_million_tokens:g}/M out"
    if generator.measured is not None:
        measured = generator.measured
        return (
            f"measured {units.format_count(measured.tokens_per_accelerator_hour)} tokens per "
            f"{measured.accelerator.id}-hour at ${measured.price:.2f}/h ({measured.source})"
        )
    hosted = generator.self_hosted
    price = hosted.price_usd_per_hour or hosted.accelerator.price_usd_per_hour
    hourly = "" if price is None else f" at ${price:.2f}/h"
    speed = (
        f"{hosted.utilization * 100:.2g}% utilisation"
        if hosted.roofline is None
        else f"roofline throughput, {hosted.roofline.engine} engine"
    )
    return f"self-hosted {units.format_count(hosted.params)} on {hosted.accelerator.id}{hourly}, {speed}"


def priced_at(source: Any) -> str:
    """The scenario inputs behind a source's dollars, so every cost in the table has its price:
    a synthetic source's generator, prompt ratio, acceptance yield and judges; then licence,
    processing and fixed fee, those given."""
    parts = []
    if source.synthetic is not None:
        synthetic = source.synthetic
        parts += [_generator(synthetic.generator),
                  f"prompts {synthetic.prompt_tokens_per_token:g}x the output",
                  f"yield {units.format_ratio(synthetic.acceptance_yield)}"]  # fmt: skip
        parts += [f"graded by {g.name} ({_generator(g.judge)})" for g in synthetic.grading]
    fees = ((f"licence ${source.license_usd_per_million_tokens:g}/M tokens", source.license_usd_per_million_tokens),
            (f"processing ${source.processing_usd_per_million_tokens:g}/M tokens", source.processing_usd_per_million_tokens),
            (f"fee {units.format_usd(source.fixed_fee_usd)}", source.fixed_fee_usd))  # fmt: skip
    parts += [text for text, amount in fees if amount]
    return "; ".join(parts) or "no price given (free)"


def source_table(results: Results) -> Table:
    """One row per (plan, data source), with the synthetic tokens generated (before filtering)."""
    headers = [
        "plan",
        "source",
        "kind",
        "unique tokens",
        "tokens drawn",
        "epochs",
        "effective tokens",
        "in gain",
        "value weight",
        "generated",
        "acquisition",
        "generation",
        "grading",
    ]
    rows = []
    for p in results.plans:
        for s in p.sources:
            rows.append(
                [
                    p.plan,
                    s.name,
                    s.kind,
                    "n/a" if s.unique_tokens is None else units.format_count(s.unique_tokens),
                    units.format_count(s.tokens),
                    "n/a" if s.epochs is None else f"{s.epochs:.2f}",
                    units.format_count(s.effective_tokens),
                    "yes" if s.in_gain else "no",
                    f"{s.value_weight:g}",
                    units.format_count(s.generated_tokens) if s.generated_tokens else "none",
                    units.format_usd(s.acquisition_usd),
                    units.format_usd(s.generation_usd),
                    units.format_usd(s.grading_usd),
                ]
            )
    return headers, rows


def price_table(results: Results) -> list[list[str]]:
    """The scenario prices behind the sources' dollars: one row per (source, prices), with the
    plans they apply to ("all plans" when every plan shares them)."""
    if not results.inputs:
        return []
    grouped: dict[tuple[str, str], list[str]] = {}
    for plan in results.inputs:
        for source in plan.scenario.data:
            grouped.setdefault((source.name, priced_at(source)), []).append(plan.name)
    everyone = len(results.inputs)
    return [
        [name, text, "all plans" if len(plans) == everyone else ", ".join(plans)]
        for (name, text), plans in grouped.items()
    ]


def assumptions(results: Results) -> list[list[str]]:
    """Defaults and choices in force, each with its source."""
    rows = [[a.name, str(a.value), a.source] for a in ASSUMPTIONS_IN_FORCE]
    seen = set()
    for plan in results.inputs:
        law = plan.scenario.law
        if law.name not in seen:
            seen.add(law.name)
            rows.append([f"scaling law ({law.name})", law.fitted_on, law.source])
    for convention in sorted({p.flops_convention for p in results.plans}):
        rows.append(
            [
                "FLOPs convention",
                convention,
                (
                    "docs/decisions.md; Kaplan et al. 2020, Chowdhery et al. "
                    "2022, Narayanan et al. 2021"
                ),
            ]
        )
    for p in results.plans:
        source = p.price_source + (f" (quoted {p.price_date})" if p.price_date else "")
        rows.append(
            [f"price ({p.plan})", f"${p.price_usd_per_hour:.2f} per {p.accelerator}-hour", source]
        )
    return rows
