"""From a scenario to numbers: one :class:`PlanResult` per plan (base and variants)."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from planner import units
from planner.compute.results import hardware_fields
from planner.errors import InputError
from planner.io.reading import digest
from planner.plan import evaluate, flags, monte_carlo
from planner.plan.plans import Plan, plans
from planner.plan.results import PlanResult, Results, SourceResult, compare
from planner.plan.stages import programme_lines, stage_results
from planner.scenario.schema import Scenario

__all__ = [
    "PlanResult",
    "Results",
    "SourceResult",
    "compare",
    "estimate",
    "plan_result",
    "quick_estimate",
    "run",
    "with_law",
]

NOTES = (
    (
        "Dollars are accelerator-hours times an hourly price; published training costs are "
        "computed the same way, so hours are the figure to check. The default price is the "
        "catalog's dated list price (planner hardware: price_date, price_source), a choice "
        "of convention, not a quote: set training.price_usd_per_hour for yours."
    ),
    (
        "Utilisation is whole-run MFU = per-step MFU of the layout (step time calibrated on "
        "measured iterations) x goodput (failures, evaluation, stalls; calibrated on published "
        "runs), range from the model's residuals: see `planner backtest`. Without a layout the "
        "planner chooses the fastest feasible one ('chosen'); a stated training.utilization "
        "replaces the model."
    ),
)


def run(scenario: Scenario, *, file: str | None = None) -> Results:
    """Estimate every plan of a scenario (the base, then each variant)."""
    resolved = plans(scenario, file=file)
    evaluated = [_evaluate(plan, file) for plan in resolved]
    baseline = scenario.baseline or scenario.base_plan
    base = next(
        ev for plan, (ev, _) in zip(resolved, evaluated, strict=True) if plan.name == baseline
    )
    results = tuple(
        replace(result, **_versus(ev, base, plan.scenario.uncertainty))
        for plan, (ev, result) in zip(resolved, evaluated, strict=True)
    )
    notes = notes_for([p.scenario for p in resolved], [p.name for p in resolved])
    notes += tuple(n for p in resolved for n in p.notes)
    files: tuple[tuple[str, str], ...] = ()
    if file is not None:
        files = ((file, digest(file)),)
    return Results(
        scenario=scenario.name,
        description=scenario.description,
        baseline=scenario.baseline or scenario.base_plan,
        plans=results,
        notes=notes,
        files=files,
        seed=scenario.uncertainty.seed,
        inputs=tuple(resolved),
    )


def with_law(scenario: Scenario, name: str | None) -> Scenario:
    """The scenario with every plan under another law (``--law``): a preset or a law file."""
    if name is None:
        return scenario
    from planner.laws.choice import for_model, law

    chosen = for_model(law(name), scenario.model.moe_granularity)  # krajewski-2024: by shape
    return scenario.model_copy(update={"law": chosen})


def notes_for(scenarios: list[Scenario], names: list[str] | None = None) -> tuple[str, ...]:
    """How to read the numbers: which law the losses come from, which mixture presets value
    the synthetic data (named by plan when plans differ)."""
    laws = sorted({s.law.name for s in scenarios})
    law = scenarios[0].law
    notes: tuple[str, ...] = (
        *NOTES,
        (
            f"Expected loss comes from {', '.join(laws)} ({law.source}; fitted on {law.fitted_on}). "
            "Absolute loss is specific to the data a law was fitted on: compare plans under one law only."
        ),
    )
    if len(laws) > 1:
        notes = (*notes, "These plans use different laws: their losses are not comparable.")
    if "accelerator_count" not in scenarios[0].training.model_fields_set:
        notes = (*notes, _count_note(scenarios[0]))
    grouped: dict[str, list[str]] = {}
    for index, scenario in enumerate(scenarios):
        line = _mixture_note(scenario)
        if line:
            grouped.setdefault(line, []).append(names[index] if names else "")
    for line, named in grouped.items():
        if len(grouped) > 1 and all(named):
            line = f"{', '.join(named)}: {line}"
        notes = (*notes, line)
    staged = next((s for s in scenarios if s.stages), None)
    if staged is not None:
        notes = (*notes, stage_note(staged))
    for config in dict.fromkeys(s.model.hf_config for s in scenarios if s.model.hf_config):
        notes = (*notes, _hf_note(config, scenarios))
    return notes


def stage_note(scenario: Scenario) -> str:
    """How a staged run's losses are read: the base law's, or the schedule law's beside it."""
    law = scenario.schedule_law
    if law is None:
        return (
            "Stages: no schedule law is fitted, so each stage's loss follows the base law on the "
            "data drawn up to its end (as if the learning rate were fully decayed there); the "
            "schedule changes cost only."
        )
    return (
        f"Stages: the schedule loss comes from {law.name} (Tissue et al. 2024, L = L0 + A·S1^-alpha "
        f"- C·S2, your constants{'; ' + law.fitted_on if law.fitted_on else ''}), shown beside the base "
        "law's loss, which the plan's expected loss keeps."
    )


def _hf_note(config: str, scenarios: list[Scenario]) -> str:
    """What was read from a model's config.json, and how its count compares with the file's."""
    from planner.compute.flops import model_params
    from planner.scenario.hf_config import comparison, read_hf_config

    chosen = next(s.model for s in scenarios if s.model.hf_config == config)
    counted = model_params(chosen)
    arch = chosen.architecture
    seq_len = arch.seq_len if arch is not None else None
    return comparison(read_hf_config(config), counted.total, counted.active, seq_len)


def _count_note(scenario: Scenario) -> str:
    """The default cluster, said, with the hours at half and twice the count."""
    count = scenario.training.accelerator_count
    parts = []
    for factor in (0.5, 2.0):
        other = max(1, round(count * factor))
        changed = evaluate.with_values(scenario, "training.accelerator_count", other)
        values = evaluate.evaluate(changed).values
        hours, days = float(values["accelerator_hours"][0]), float(values["wall_clock_days"][0])
        parts.append(
            f"{other:,}: {units.format_count(hours)} accelerator-hours, {units.format_days(days)}"
        )
    return (
        f"No training.accelerator_count given: the default cluster of {count:,} "
        f"(planner.defaults.ACCELERATOR_COUNT, an assumption) is used; at {'; at '.join(parts)}."
    )


def estimate(plan: Plan | Scenario, *, file: str | None = None) -> PlanResult:
    """Compute, time, dollars, energy, CO2, expected loss and ranges for one resolved plan.

    A plan is a batch of one: :func:`planner.plan.evaluate.evaluate` with one row, then the Monte
    Carlo on that row (:func:`planner.plan.monte_carlo.ranges`), as a sweep does for each of its rows.
    """
    if isinstance(plan, Scenario):
        plan = Plan(plan.base_plan, plan.description, plan)
    return _evaluate(plan, file)[1]


def _evaluate(plan: Plan, file: str | None) -> tuple[evaluate.Evaluation, PlanResult]:
    try:
        evaluation = evaluate.evaluate(plan.scenario)
        ranges = monte_carlo.ranges(evaluation, plan.scenario.uncertainty)
        return evaluation, plan_result(plan, evaluation, ranges)
    except InputError as exc:
        prefix = None if plan.name == plan.scenario.base_plan else f"variants.{plan.name}"
        raise exc.located(file, prefix) from None


def _versus(ev: evaluate.Evaluation, base: evaluate.Evaluation, settings: Any) -> dict[str, Any]:
    """Loss minus the baseline's on common draws: P10/P50/P90 and the chance it is lower."""
    paired = monte_carlo.paired_loss(ev, base, settings)
    if paired is None:
        return {}
    quantiles, below = paired
    names = ("loss_vs_baseline_p10", "loss_vs_baseline_p50", "loss_vs_baseline_p90")
    values = dict(zip(names, (float(q) for q in quantiles), strict=True))
    return {**values, "probability_below_baseline": below}


def plan_result(
    plan: Plan, ev: evaluate.Evaluation, ranges: dict[str, np.ndarray] | None, row: int = 0
) -> PlanResult:
    """The :class:`PlanResult` of one row of an evaluated batch."""
    scenario = plan.scenario
    training = scenario.training
    values = {name: float(array[row]) for name, array in ev.values.items()}

    def optional(name: str) -> float | None:
        return None if math.isnan(values[name]) else values[name]

    found, warnings = flags.raised(ev, row)
    percentiles: dict[str, float] = {}
    if ranges is not None:
        for name, quantiles in ranges.items():
            percentiles.update(
                {
                    f"{name}_p{round(q * 100)}": float(v)
                    for q, v in zip(monte_carlo.QUANTILES, quantiles[row], strict=True)
                }
            )
    sources = tuple(
        SourceResult(
            name=s.name,
            kind=s.kind,
            unique_tokens=float(s.unique_tokens[row]) if s.unique_known else None,
            tokens=float(s.tokens[row]),
            epochs=float(s.epochs[row]) if s.unique_known else None,
            generated_tokens=float(s.generated_tokens[row]),
            effective_tokens=float(s.effective_tokens[row]),
            value_weight=float(s.value_weight[row]),
            acquisition_usd=float(s.acquisition_usd[row]),
            generation_usd=float(s.generation_usd[row]),
            grading_usd=float(s.grading_usd[row]),
            synthetic_accelerator_hours=float(s.synthetic_accelerator_hours[row]),
            in_gain=s.in_gain,
        )
        for s in ev.sources
    )
    min_count = optional("min_accelerators")
    numbers: dict[str, Any] = {name: values[name] for name in RESULT_NUMBERS}
    catalog_price = training.price_usd_per_hour is None
    return PlanResult(
        plan=plan.name,
        description=plan.description,
        price_date=training.accelerator.price_date if catalog_price else None,
        price_source=training.accelerator.price_source
        if catalog_price
        else "given in the scenario",
        flops_convention=training.flops_convention,
        accelerator=training.accelerator.id,
        accelerator_count=training.accelerator_count,
        precision=training.precision,
        law=scenario.law.name,
        min_accelerators=None if min_count is None else int(min_count),
        energy_kwh=optional("energy_kwh"),
        co2_tonnes=optional("co2_tonnes"),
        optimal_tokens_per_param=optional("optimal_tokens_per_param"),
        downstream_error=optional("downstream_error"),
        programme_accelerator_hours=optional("programme_accelerator_hours"),
        programme_usd=optional("programme_usd"),
        programme_total_usd=optional("programme_total_usd"),
        amortised_training_usd=optional("amortised_training_usd"),
        generation_wall_clock_days=values["generation_wall_clock_days"],
        combined_wall_clock_days=values["combined_wall_clock_days"],
        combined_wall_clock_days_low=values["combined_wall_clock_days_low"],
        combined_wall_clock_days_high=values["combined_wall_clock_days_high"],
        **hardware_fields(values),
        **numbers,
        **dict[str, Any](percentiles),
        sources=sources,
        flags=tuple(found),
        warnings=tuple(warnings),
        mixture=_mixture_note(scenario),
        stages=stage_results(scenario, values),
        programme_lines=programme_lines(scenario, values),
        tasks=_task_predictions(scenario, values["params"], values["tokens"]),
    )


def _task_predictions(scenario: Any, params: float, tokens: float) -> tuple[Any, ...]:
    """Per-task accuracy from ``downstream.tasks`` at this plan's size (planner.laws.task_fit)."""
    if scenario.downstream is None or scenario.downstream.tasks is None:
        return ()
    from planner.laws.task_fit import load_task_file, predict_tasks

    return tuple(predict_tasks(load_task_file(scenario.downstream.tasks), [(params, tokens)]))


def _mixture_note(scenario: Any) -> str:
    """The mixture note of a plan with synthetic data (planner.plan.share_curves.describe), else empty."""
    from planner.plan.share_curves import describe

    kinds: list[str] = sorted({d.synthetic.kind for d in scenario.data if d.synthetic is not None})
    return describe(scenario.mixture, kinds) if kinds else ""


RESULT_NUMBERS = (
    "params",
    "active_params",
    "tokens",
    "flops_per_token",
    "training_flops",
    "hardware_flops",
    "peak_flops_per_s",
    "utilization",
    "utilization_low",
    "utilization_high",
    "accelerator_hours",
    "accelerator_hours_low",
    "accelerator_hours_high",
    "billed_accelerator_hours",
    "wall_clock_days",
    "wall_clock_days_low",
    "wall_clock_days_high",
    "memory_bytes",
    "price_usd_per_hour",
    "training_compute_usd",
    "overhead_usd",
    "training_cost_usd",
    "synthetic_generation_usd",
    "grading_usd",
    "real_data_usd",
    "total_cost_usd",
    "total_cost_usd_low",
    "total_cost_usd_high",
    "synthetic_accelerator_hours",
    "synthetic_tokens",
    "synthetic_share",
    "loss",
    "effective_tokens",
    "tokens_per_param",
    "mixture_gain",
)
"""PlanResult fields copied from the plan model's outputs as they are."""


def quick_estimate(
    *,
    tokens: float,
    params: float | None = None,
    active_params: float | None = None,
    hardware: str = "h100-sxm",
    count: int | None = None,
    mfu: dict[str, float] | None = None,
    price: float | None = None,
    precision: str = "bf16",
    layers: int | None = None,
    d_model: int | None = None,
    heads: int | None = None,
    kv_heads: int | None = None,
    ffn_size: int | None = None,
    vocab: int | None = None,
    seq_len: int | None = None,
    glu: bool = False,
    tied_embeddings: bool = False,
    flops_convention: str = "6nd",
    recompute: bool | str | None = False,
    law: str | None = None,
    experts: int | None = None,
    top_k: int | None = None,
    tp: int | None = None,
    pp: int | None = None,
    ep: int | None = None,
    cp: int | None = None,
    micro_batch: int | None = None,
    global_batch: int | None = None,
    zero: int | str | None = None,
    hf_config: str | None = None,
) -> Results:
    """Estimate a single run from keyword arguments (``planner estimate``), no file needed."""
    from planner.plan.plans import validate

    shape_model: dict[str, Any] = {"params": params, "active_params": active_params}
    shape = {
        "layers": layers,
        "d_model": d_model,
        "heads": heads,
        "vocab_size": vocab,
        "seq_len": seq_len,
    }
    extra = {
        "--kv-heads": kv_heads,
        "--ffn-size": ffn_size,
        "--experts": experts,
        "--top-k": top_k,
        "--glu": glu or None,
        "--tied-embeddings": tied_embeddings or None,
    }
    if (
        hf_config is None
        and all(v is None for v in shape.values())
        and (named := [k for k, v in extra.items() if v])
    ):
        raise InputError(
            f"architecture flags without the model's shape (--layers, --d-model, "
            f"--heads, --vocab, --seq-len) would be ignored: {', '.join(named)}",
            field=named[0],
            allowed="give the architecture flags too, or drop them",
        )
    flag_of = {"vocab_size": "--vocab", "d_model": "--d-model", "seq_len": "--seq-len"}
    missing = [flag_of.get(k, f"--{k}") for k, v in shape.items() if v is None]
    if hf_config is not None:
        if params is not None or active_params is not None:
            raise InputError(
                "--params/--active-params and --hf-config both give the model's size",
                field="--hf-config",
                allowed="give one of them (parameters are counted from the config.json)",
            )
        overrides = {**shape, "kv_heads": kv_heads, "ffn_size": ffn_size}
        overrides.update(experts=experts, top_k=top_k)
        overrides.update(glu=glu or None, tied_embeddings=tied_embeddings or None)
        shape_model = {
            "hf_config": hf_config,
            "architecture": {k: v for k, v in overrides.items() if v is not None},
        }
    elif missing and len(missing) < len(shape):
        given_flags = [flag_of.get(k, f"--{k}") for k, v in shape.items() if v is not None]
        raise InputError(
            f"{', '.join(given_flags)} alone does not describe a model: the architecture needs "
            f"{', '.join(missing)} as well"
            + (
                "; with --params the estimate counts 6 x params FLOPs per token and does not "
                "use the sequence length"
                if params is not None
                else ""
            ),
            field=given_flags[0],
            allowed="give all five architecture flags (--layers, --d-model, --heads, --vocab, "
            "--seq-len), or only --params",
        )
    if hf_config is None and any(v is not None for v in shape.values()):
        shape_model = {
            "architecture": {
                **shape,
                "kv_heads": kv_heads,
                "ffn_size": ffn_size,
                "glu": glu,
                "tied_embeddings": tied_embeddings,
                **({"experts": experts} if experts else {}),
                **({"top_k": top_k} if top_k else {}),
            }
        }
        if params is not None or active_params is not None:
            shape_model.update(params=params, active_params=active_params)
    training: dict[str, Any] = {
        "tokens": tokens,
        "accelerator": hardware,
        **({"accelerator_count": count} if count is not None else {}),
        "precision": precision,
        "price_usd_per_hour": price,
        "flops_convention": flops_convention,
        "activation_recompute": recompute in (True, "full"),
    }
    given = {
        "tp": tp,
        "pp": pp,
        "ep": ep,
        "cp": cp,
        "micro_batch": micro_batch,
        "global_batch": global_batch,
    }
    layout: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if zero is not None:
        layout["zero"] = int(zero) if str(zero).isdigit() else zero
    if layout or recompute == "selective":
        if isinstance(recompute, str):
            layout["recompute"] = recompute
        training["layout"] = {**layout, "sequence_parallel": (tp or 1) > 1}
    if mfu is not None:
        training["utilization"] = mfu
    scenario = validate({"name": "estimate", "model": shape_model, "training": training})
    return run(with_law(scenario, law))


def hf_params(path: str) -> tuple[float, float, str]:
    """(total, active, note) parameters of a local Hugging Face config.json
    (:mod:`planner.scenario.hf_config`, counted by :func:`planner.compute.flops.count_params`)."""
    from planner.compute.flops import count_params
    from planner.scenario.hf_config import comparison, read_hf_config
    from planner.scenario.schema import Architecture

    read = read_hf_config(path)
    try:
        arch = Architecture.model_validate(read.architecture)
    except ValueError as exc:
        from planner.errors import validation_problems

        raise InputError(
            f"cannot use this config.json: {validation_problems(exc)}", file=path
        ) from None
    counted = count_params(arch)
    return counted.total, counted.active, comparison(read, counted.total, counted.active)
