"""From a scenario to numbers: one :class:`PlanResult` per plan (base and variants)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from planner import compute, cost, montecarlo, quality
from planner.errors import InputError
from planner.laws import effective_tokens
from planner.loader import Plan, plans
from planner.results import PlanResult, Results, SourceResult, compare
from planner.schema import Scenario

__all__ = ["PlanResult", "Results", "SourceResult", "compare", "estimate", "quick_estimate", "run"]

# Above this whole-run utilisation a plan is more efficient than any published run
# (max implied whole-run MFU in planner/data/published_runs.csv is 0.51, LLaMA-13B).
UTILIZATION_WARNING = 0.55


NOTES = (
    "Dollars are accelerator-hours times an hourly price; published training costs are "
    "computed the same way, so hours are the figure to check.",
    "Utilisation is whole-run MFU (restarts, evaluation and idle time included), "
    "calibrated on published runs: see `planner backtest`.",
)


def run(scenario: Scenario, *, file: str | None = None) -> Results:
    """Estimate every plan of a scenario (the base, then each variant)."""
    resolved = plans(scenario, file=file)
    results = tuple(estimate(plan, file=file) for plan in resolved)
    notes = notes_for([p.scenario for p in resolved])
    files: tuple[tuple[str, str], ...] = ()
    if file is not None:
        files = ((file, hashlib.sha256(Path(file).read_bytes()).hexdigest()),)
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


def notes_for(scenarios: list[Scenario]) -> tuple[str, ...]:
    """How to read the numbers, including which law the losses come from."""
    laws = sorted({s.law.name for s in scenarios})
    law = scenarios[0].law
    notes: tuple[str, ...] = (
        *NOTES,
        f"Expected loss comes from {', '.join(laws)} ({law.source}; fitted on {law.fitted_on}). "
        "Absolute loss is specific to the data a law was fitted on: compare plans under one law only.",
    )
    if len(laws) > 1:
        notes = (*notes, "These plans use different laws: their losses are not comparable.")
    return notes


def estimate(plan: Plan | Scenario, *, file: str | None = None) -> PlanResult:
    """Compute, time, dollars, energy and CO2 for one resolved plan."""
    if isinstance(plan, Scenario):
        plan = Plan(plan.base_plan, plan.description, plan)
    try:
        return _estimate(plan)
    except InputError as exc:
        prefix = None if plan.name == plan.scenario.base_plan else f"variants.{plan.name}"
        raise exc.located(file, prefix) from None


def _estimate(plan: Plan) -> PlanResult:
    scenario = plan.scenario
    training = scenario.training
    accelerator = training.accelerator
    params = compute.model_params(scenario.model)
    tokens = scenario.total_tokens
    per_token, hardware_per_token = compute.flops_per_token(scenario.model, training)
    flops = per_token * tokens
    peak = accelerator.peak_flops(training.precision)
    util = training.utilization
    hours = compute.accelerator_hours(flops, peak, util.mid)
    hours_low = compute.accelerator_hours(flops, peak, util.high)
    hours_high = compute.accelerator_hours(flops, peak, util.low)
    count, goodput, price = training.accelerator_count, training.goodput, training.price

    def days(h: float) -> float:
        return compute.wall_clock_days(h, count, goodput)

    def train_usd(h: float) -> float:
        return cost.training_cost_usd(h, price) + cost.overhead_cost_usd(h, price, goodput)

    drawn = scenario.source_tokens()
    judged = quality.assess(scenario, drawn, params.active, params.active_non_embedding, params.total)
    sources = _sources(scenario, drawn, judged.pools)
    data_usd = sum(s.acquisition_usd + s.generation_usd + s.grading_usd for s in sources)
    ranges = montecarlo.simulate(
        montecarlo.PlanInputs(
            flops=flops,
            peak_flops_per_s=peak,
            accelerator_count=count,
            goodput=goodput,
            price_usd_per_hour=price,
            utilization=util,
            fixed_usd=sum(s.acquisition_usd for s in sources),
            # with no data sources the quality model has one fresh real pool: one zero entry each
            synthetic_usd=[s.generation_usd + s.grading_usd for s in sources] or [0.0],
            yields=[src.synthetic.acceptance_yield if src.synthetic else 1.0 for src in scenario.data] or [1.0],
            pools=judged.pools,
            law=scenario.law,
            law_params=judged.law_params,
            unique_known=judged.unique_known,
        ),
        scenario.uncertainty,
    )
    memory = compute.training_memory_bytes(params.total)
    min_count = compute.min_accelerators(memory, accelerator.memory_gb)
    kwh = None
    if accelerator.tdp_w is not None:
        kwh = cost.energy_kwh(hours, goodput, accelerator.tdp_w, training.pue)
    synthetic_tokens = sum(s.tokens for s in sources if s.kind == "synthetic")
    warnings = []
    if min_count is not None and count < min_count:
        warnings.append(
            f"{count} x {accelerator.id} hold {count * (accelerator.memory_gb or 0):.0f} GB, less "
            f"than the {memory / 1e9:.0f} GB of weights, gradients and Adam states: at least "
            f"{min_count} are needed (16 bytes/param, ZeRO; activations extra)"
        )
    if util.high > UTILIZATION_WARNING:
        warnings.append(
            f"utilisation up to {util.high:.0%} is above {UTILIZATION_WARNING:.0%}: no published "
            "run reached that over a whole run (see planner backtest)"
        )
    if kwh is None:
        warnings.append(
            f"{accelerator.id} has no published TDP, so energy and CO2 are not estimated; "
            "give an inline accelerator spec with tdp_w"
        )
    return PlanResult(
        plan=plan.name,
        description=plan.description,
        params=params.total,
        active_params=params.active,
        tokens=tokens,
        flops_convention=training.flops_convention,
        flops_per_token=per_token,
        training_flops=flops,
        hardware_flops=hardware_per_token * tokens,
        accelerator=accelerator.id,
        accelerator_count=count,
        precision=training.precision,
        peak_flops_per_s=peak,
        utilization=util.mid,
        utilization_low=util.low,
        utilization_high=util.high,
        accelerator_hours=hours,
        accelerator_hours_low=hours_low,
        accelerator_hours_high=hours_high,
        billed_accelerator_hours=hours / goodput,
        wall_clock_days=days(hours),
        wall_clock_days_low=days(hours_low),
        wall_clock_days_high=days(hours_high),
        memory_bytes=memory,
        min_accelerators=min_count,
        price_usd_per_hour=price,
        training_compute_usd=cost.training_cost_usd(hours, price),
        overhead_usd=cost.overhead_cost_usd(hours, price, goodput),
        training_cost_usd=train_usd(hours),
        synthetic_generation_usd=sum(s.generation_usd for s in sources),
        grading_usd=sum(s.grading_usd for s in sources),
        real_data_usd=sum(s.acquisition_usd for s in sources),
        total_cost_usd=train_usd(hours) + data_usd,
        total_cost_usd_low=train_usd(hours_low) + data_usd,
        total_cost_usd_high=train_usd(hours_high) + data_usd,
        synthetic_accelerator_hours=sum(s.synthetic_accelerator_hours for s in sources),
        energy_kwh=kwh,
        co2_tonnes=None if kwh is None else cost.co2_tonnes(kwh, training.grid_kg_co2_per_kwh),
        synthetic_tokens=synthetic_tokens,
        synthetic_share=synthetic_tokens / tokens if sources else 0.0,
        law=judged.law,
        loss=judged.loss,
        effective_tokens=judged.effective_tokens,
        tokens_per_param=judged.tokens_per_param,
        optimal_tokens_per_param=judged.optimal_tokens_per_param,
        downstream_error=judged.downstream_error,
        **_percentiles(ranges),
        sources=tuple(sources),
        flags=judged.flags,
        warnings=tuple(warnings),
    )


def _percentiles(ranges: montecarlo.Ranges | None) -> dict[str, float]:
    if ranges is None:
        return {}
    out = {}
    for name in ("loss", "total_cost_usd", "accelerator_hours", "wall_clock_days"):
        values = getattr(ranges, name)
        out.update({f"{name}_p10": values.p10, f"{name}_p50": values.p50, f"{name}_p90": values.p90})
    return out


def _sources(scenario: Scenario, drawn_tokens: list[float], pools: tuple[quality.Pool, ...]) -> list[SourceResult]:
    out = []
    for source, drawn, pool in zip(scenario.data, drawn_tokens, pools):
        # Without unique_tokens a source is taken to be drawn once: a synthetic source then
        # generates everything it draws, and a real source pays its licence on what it draws.
        unique = source.unique_tokens
        needed = unique if unique is not None else drawn
        known = unique if unique is not None else (drawn if source.synthetic else None)
        spent = cost.source_cost(source, needed)
        out.append(
            SourceResult(
                name=source.name,
                kind=source.kind,
                unique_tokens=known,
                tokens=drawn,
                epochs=None if known is None else drawn / known,
                generated_tokens=spent.generated_tokens,
                effective_tokens=float(pool.weight * effective_tokens(pool.unique_tokens, pool.tokens, pool.r_star)),
                value_weight=pool.weight,
                acquisition_usd=spent.acquisition_usd,
                generation_usd=spent.generation_usd,
                grading_usd=spent.grading_usd,
                synthetic_accelerator_hours=spent.generation_accelerator_hours,
            )
        )
    return out


def quick_estimate(
    *,
    tokens: float,
    params: float | None = None,
    active_params: float | None = None,
    hardware: str = "h100-sxm",
    count: int = 1,
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
    recompute: bool = False,
) -> Results:
    """Estimate a single run from keyword arguments (``planner estimate``), no file needed."""
    from planner.loader import validate

    model: dict[str, Any] = {"params": params, "active_params": active_params}
    shape = {"layers": layers, "d_model": d_model, "heads": heads, "vocab_size": vocab, "seq_len": seq_len}
    if any(v is not None for v in shape.values()):
        model = {
            "architecture": {
                **shape,
                "kv_heads": kv_heads,
                "ffn_size": ffn_size,
                "glu": glu,
                "tied_embeddings": tied_embeddings,
            }
        }
        if params is not None or active_params is not None:
            model.update(params=params, active_params=active_params)
    training: dict[str, Any] = {
        "tokens": tokens,
        "accelerator": hardware,
        "accelerator_count": count,
        "precision": precision,
        "price_usd_per_hour": price,
        "flops_convention": flops_convention,
        "activation_recompute": recompute,
    }
    if mfu is not None:
        training["utilization"] = mfu
    scenario = validate({"name": "estimate", "model": model, "training": training})
    return run(scenario)
