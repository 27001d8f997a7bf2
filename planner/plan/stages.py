"""Runs in stages: each stage evaluated by the plan model, the stages' terms summed.

A staged plan is evaluated as (docs: README "Runs in stages"):

1. the run's total tokens and the scenario's own mix (:func:`planner.scenario.token_shares.resolve`), then the
   tokens of each stage (:func:`planner.scenario.stages.stage_tokens`);
2. per stage, a stage-only scenario (its tokens × ingredients, its sequence length and
   hardware, no data) through the plan evaluator: FLOPs, hours, wall-clock, training cost,
   energy and memory of that stage; the run's are their sums (memory: the largest stage);
3. per stage end, the scenario with each source drawing what the stages up to there drew
   from it: data costs, repetition (a pool read in stage 1 and upsampled in stage 2 has its
   epochs summed), effective data and the base law's loss at that point; the last one gives
   the run's quality and data terms;
4. with ``schedule_law``, the Tissue et al. (2024) loss from S1 and S2 summed over the whole
   learning-rate schedule at each stage end (planner.laws.schedules).

The evaluator is handed in (``evaluate``), so this module does not import planner.plan.evaluate.
Works on numpy arrays of rows like the evaluator: a swept stage share gives one row per value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner import units
from planner.compute import flops as compute
from planner.compute import ladder_cost
from planner.errors import InputError
from planner.laws import schedules
from planner.plan import cost
from planner.scenario import token_shares
from planner.scenario.stages import stage_model, stage_training, staged_draws

__all__ = [
    "MAX_SCHEDULE_STEPS",
    "STAGE_FIELDS",
    "ProgrammeLine",
    "StageMix",
    "StageResult",
    "evaluate_staged",
    "programme_lines",
    "search_lines",
    "stage_results",
]

SUMMED = (
    "training_flops",
    "hardware_flops",
    "accelerator_hours",
    "accelerator_hours_low",
    "accelerator_hours_high",
    "billed_accelerator_hours",
    "wall_clock_days",
    "wall_clock_days_low",
    "wall_clock_days_high",
    "training_compute_usd",
    "overhead_usd",
    "training_cost_usd",
    "training_cost_usd_low",
    "training_cost_usd_high",
    "energy_kwh",
    "co2_tonnes",
    "steps",
    "wall_clock_floor_days",
    "failure_accelerator_hours",
    "failure_usd",
)
"""Outputs of a staged run that are the sum of its stages'."""

LARGEST = (
    "memory_bytes",
    "min_accelerators",
    "memory_weights_bytes",
    "memory_gradients_bytes",
    "memory_optimizer_bytes",
    "memory_activations_bytes",
    "memory_buffers_bytes",
    "memory_total_bytes",
)
"""Outputs of a staged run that are the largest stage's (memory is needed by the largest)."""

STAGE_FIELDS = (
    "tokens",
    "trained_tokens",
    "share",
    "training_flops",
    "accelerator_hours",
    "billed_accelerator_hours",
    "wall_clock_days",
    "training_cost_usd",
    "energy_kwh",
    "memory_bytes",
    "loss",
    "schedule_loss",
    "s1",
    "s2",
)
"""Per-stage values, stored in an evaluation as ``stage.<index>.<field>``."""

MAX_SCHEDULE_STEPS = 50_000_000
"""Most optimizer steps summed for S1/S2 per row (a guard on memory; assumption: far above any
published run, e.g. OLMo 2 7B's 928,646 pretraining steps)."""

Evaluator = Callable[..., Any]


def evaluate_staged(
    scenario: Any,
    size: int,
    varied_shares: Collection[str],
    evaluate: Evaluator,
    programme: Callable[[Any, dict[str, Any], np.ndarray], None],
) -> Any:
    """The evaluation of a staged scenario (see the module docstring): the last stage end's
    evaluation with the stages' compute terms summed, per-stage values added, and the
    programme lines recomputed with ``programme`` (planner.plan.evaluate's)."""
    ones = np.ones(1)
    try:
        per_stage_draws, tokens, total = staged_draws(
            scenario.training, scenario.data, scenario.stages, size, varied_shares
        )
    except token_shares.DrawError as exc:
        raise InputError(str(exc), field=exc.fields) from None
    except ValueError as exc:
        raise InputError(str(exc), field="stages") from None
    names = [d.name for d in scenario.data]
    values: dict[str, Any] = {}
    compute_evs = []
    for index, (stage, t) in enumerate(zip(scenario.stages, tokens, strict=True)):
        with np.errstate(divide="ignore", invalid="ignore"):  # a stage swept to 0 tokens
            found = evaluate(_stage_scenario(scenario, stage, t), size)
        empty = np.asarray(t) == 0
        ev = {
            name: np.where(empty, 0.0, value) if name in SUMMED else value
            for name, value in found.values.items()
        }
        compute_evs.append(ev)
        prefix = f"stage.{index}."
        values[prefix + "tokens"] = t * ones
        values[prefix + "trained_tokens"] = t * stage.ingredients * ones
        values[prefix + "share"] = t / total
        for name in STAGE_FIELDS[3:10]:
            values[prefix + name] = ev[name]
        for source, amount in zip(names, per_stage_draws[index], strict=True):
            values[f"{prefix}drawn.{source}"] = amount * ones
    ends = []
    cumulative = [0 * ones for _ in names]
    so_far = 0 * ones
    for index, t in enumerate(tokens):
        cumulative = [c + d for c, d in zip(cumulative, per_stage_draws[index], strict=True)]
        so_far = so_far + t
        with np.errstate(divide="ignore", invalid="ignore"):  # a first stage swept to 0 tokens
            ends.append(evaluate(_through(scenario, cumulative, so_far), size))
        values[f"stage.{index}.loss"] = ends[-1]["loss"]
    _schedule(scenario, tokens, size, values)
    last = ends[-1]
    out: dict[str, Any] = dict(last.values)
    for name in SUMMED:
        if name in out:
            out[name] = sum((ev[name] for ev in compute_evs), 0 * ones)
    for name in LARGEST:
        if name in out:
            out[name] = np.fmax.reduce([ev[name] for ev in compute_evs])
    if "memory_fits" in out:
        out["memory_fits"] = np.fmin.reduce([ev["memory_fits"] for ev in compute_evs])
    out["flops_per_token"] = out["training_flops"] / out["tokens"]
    data_usd = out["real_data_usd"] + out["synthetic_generation_usd"] + out["grading_usd"]
    for suffix in ("", "_low", "_high"):
        out[f"total_cost_usd{suffix}"] = out[f"training_cost_usd{suffix}"] + data_usd
    programme(last.scenario, out, ones)
    compute.combine_wall_clock(out, scenario.training.generation_timing)  # the summed days
    out.update(values)
    rowed = {k: _row(v, size) for k, v in out.items()}
    return dataclasses.replace(last, values=rowed)


def _row(value: Any, size: int) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    return array if array.shape == (size,) else np.broadcast_to(array, (size,))


def _stage_scenario(scenario: Any, stage: Any, tokens: np.ndarray) -> Any:
    """The stage alone for its compute: its tokens × ingredients on its hardware, no data."""
    return scenario.model_copy(
        update={
            "training": stage_training(scenario.training, stage, tokens),
            "model": stage_model(scenario.model, stage),
            "data": [],
            "stages": [],
            "programme": None,
        }
    )


def _through(scenario: Any, drawn: Sequence[np.ndarray], tokens: np.ndarray) -> Any:
    """The run up to a stage end: each source drawing what the stages so far drew from it."""
    data = [
        source.model_copy(update={"tokens": amount, "share": None, "epochs": None})
        for source, amount in zip(scenario.data, drawn, strict=True)
    ]
    training = scenario.training.model_copy(update={"tokens": tokens, "epochs": None})
    return scenario.model_copy(update={"data": data, "training": training, "stages": []})


def _schedule(
    scenario: Any, tokens: Sequence[np.ndarray], size: int, values: dict[str, Any]
) -> None:
    """S1 and S2 at each stage end, and the schedule law's loss there (NaN where not given)."""
    count = len(scenario.stages)
    law = scenario.schedule_law
    nan = np.full(size, np.nan)
    for index in range(count):
        for name in ("s1", "s2", "schedule_loss"):
            values[f"stage.{index}.{name}"] = nan.copy()
    if any(stage.lr is None for stage in scenario.stages) or (law is None and size > 1):
        return  # without a schedule law, S1/S2 are reported for single plans only (cost)
    given = [stage.batch_tokens or (law.batch_tokens if law else None) for stage in scenario.stages]
    batches = [float(b) for b in given if b is not None]
    if len(batches) < len(given):
        return
    momentum = law.momentum if law is not None else schedules.TISSUE_MOMENTUM
    cache: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = {}
    for row in range(size):
        steps = tuple(
            round(float(np.ravel(t)[min(row, np.size(t) - 1)]) / b)
            for t, b in zip(tokens, batches, strict=True)
        )
        if sum(steps) > MAX_SCHEDULE_STEPS:
            raise InputError(
                f"the stages' schedule has {sum(steps):,} optimizer steps, more than "
                f"{MAX_SCHEDULE_STEPS:,}; give each stage its batch_tokens (tokens per step)",
                field="stages",
            )
        if steps not in cache:
            cache[steps] = _areas(scenario.stages, steps, momentum)
        s1, s2 = cache[steps]
        for index in range(count):
            values[f"stage.{index}.s1"][row] = s1[index]
            values[f"stage.{index}.s2"][row] = s2[index]
    if law is not None:
        for index in range(count):
            s1 = values[f"stage.{index}.s1"]
            values[f"stage.{index}.schedule_loss"] = schedules.tissue_loss(
                s1, values[f"stage.{index}.s2"], law.L0, law.A, law.alpha, law.C
            )


def _areas(
    stages: Sequence[Any], steps: Sequence[int], momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    rates = [
        schedules.learning_rates(
            schedules.Phase(
                n,
                stage.lr.peak_lr,
                stage.lr.final_lr,
                stage.lr.decay,
                stage.lr.decay_fraction,
                stage.lr.warmup_fraction,
            )
        )
        for stage, n in zip(stages, steps, strict=True)
    ]
    ends = list(np.cumsum(steps) - 1)
    return schedules.annealing_areas(np.concatenate(rates), momentum, ends)


def search_lines(scenario: Any, out: dict[str, Any], ones: np.ndarray) -> Any:
    """Recipe-search lines of ``programme:`` (ladder, valuation anneals) at the run's accelerator,
    utilisation, goodput and price: ``<line>_flops``, ``<line>_accelerator_hours`` (billed) and
    ``<line>_usd`` in ``out``. Returns their billed hours (0 without lines). Assumption: the
    small ladder models run at the final run's utilisation."""
    programme = scenario.programme
    training = scenario.training
    hours_total: Any = 0.0
    lines = []
    if programme.ladder is not None:
        ladder = programme.ladder
        flops = ladder_cost.ladder_flops(
            ladder.sizes, ladder.token_ratios, ladder.schedule, ladder.cooldown_fraction
        )
        lines.append(("ladder", flops))
    if programme.anneals is not None:
        anneals = programme.anneals
        params = anneals.params if anneals.params is not None else out["active_params"]
        lines.append(
            ("anneals", ladder_cost.anneal_flops(params, anneals.tokens, anneals.candidates))
        )
    for name, flops in lines:
        hours = compute.accelerator_hours(flops, out["peak_flops_per_s"], out["utilization"])
        billed = hours / training.goodput
        out[f"{name}_flops"] = flops * ones
        out[f"{name}_accelerator_hours"] = billed * ones
        out[f"{name}_usd"] = cost.training_cost_usd(billed, training.price) * ones
        hours_total = hours_total + billed
    return hours_total


@dataclass(frozen=True)
class StageMix:
    """One source's part of a stage."""

    source: str
    share: float
    """Share of the stage's tokens."""
    tokens: float


@dataclass(frozen=True)
class StageResult:
    """One stage of one plan: its tokens, mix, compute, time, cost and losses at its end."""

    name: str
    description: str
    tokens: float
    """Tokens the model trains on in this stage."""
    trained_tokens: float
    """Tokens trained for it: tokens × ingredients (souped runs)."""
    share: float
    ingredients: int
    seq_len: int | None
    accelerator: str
    accelerator_count: int
    learning_rate: str
    """The learning-rate phase in words (empty when not given)."""
    mix: tuple[StageMix, ...]
    """The sources the stage draws from."""
    training_flops: float
    accelerator_hours: float
    billed_accelerator_hours: float
    wall_clock_days: float
    training_cost_usd: float
    energy_kwh: float | None
    memory_bytes: float
    loss: float
    """Base law's loss with the data drawn up to this stage's end (assumes a decayed schedule)."""
    schedule_loss: float | None
    """Schedule law's loss at this stage's end (None without ``schedule_law``)."""
    s1: float | None
    s2: float | None


@dataclass(frozen=True)
class ProgrammeLine:
    """A recipe-search budget line beside the run (ladder, valuation anneals)."""

    name: str
    description: str
    flops: float
    accelerator_hours: float
    usd: float
    share_of_run_flops: float


def _optional(value: float) -> float | None:
    return None if np.isnan(value) else value


def _lr_text(lr: Any) -> str:
    """``cosine 0.0003 -> 6.1e-05 over 99.8%, warm-up 0.2%``."""
    if lr is None:
        return ""
    if lr.decay == "constant" or lr.decay_fraction == 0:
        text = f"constant {lr.peak_lr:.2g}"
    else:
        text = (
            f"{lr.decay} {lr.peak_lr:.2g} -> {lr.final_lr:.2g} over {lr.decay_fraction * 100:.3g}%"
        )
    return text + (f", warm-up {lr.warmup_fraction * 100:.2g}%" if lr.warmup_fraction else "")


def stage_results(scenario: Any, values: dict[str, float]) -> tuple[StageResult, ...]:
    """The stages of one evaluated row (``values``: output name -> number)."""
    out = []
    training = scenario.training
    arch = scenario.model.architecture
    for index, stage in enumerate(scenario.stages):
        prefix = f"stage.{index}."
        tokens = values[prefix + "tokens"]
        mix = tuple(
            StageMix(
                d.name,
                values[f"{prefix}drawn.{d.name}"] / tokens if tokens else 0.0,
                values[f"{prefix}drawn.{d.name}"],
            )
            for d in scenario.data
            if values[f"{prefix}drawn.{d.name}"] > 0
        )
        accelerator = stage.accelerator if stage.accelerator is not None else training.accelerator
        out.append(
            StageResult(
                name=stage.name,
                description=stage.description,
                tokens=tokens,
                trained_tokens=values[prefix + "trained_tokens"],
                share=values[prefix + "share"],
                ingredients=stage.ingredients,
                seq_len=stage.seq_len or (arch.seq_len if arch is not None else None),
                accelerator=accelerator.id,
                accelerator_count=stage.accelerator_count or training.accelerator_count,
                learning_rate=_lr_text(stage.lr),
                mix=mix,
                training_flops=values[prefix + "training_flops"],
                accelerator_hours=values[prefix + "accelerator_hours"],
                billed_accelerator_hours=values[prefix + "billed_accelerator_hours"],
                wall_clock_days=values[prefix + "wall_clock_days"],
                training_cost_usd=values[prefix + "training_cost_usd"],
                energy_kwh=_optional(values[prefix + "energy_kwh"]),
                memory_bytes=values[prefix + "memory_bytes"],
                loss=values[prefix + "loss"],
                schedule_loss=_optional(values[prefix + "schedule_loss"]),
                s1=_optional(values[prefix + "s1"]),
                s2=_optional(values[prefix + "s2"]),
            )
        )
    return tuple(out)


LINE_TEXT = {
    "ladder": "scaling ladder (Bhagia et al. 2024)",
    "anneals": "dataset-valuation anneals",
}


def programme_lines(scenario: Any, values: dict[str, float]) -> tuple[ProgrammeLine, ...]:
    """The recipe-search lines of one evaluated row, in the order ladder, anneals."""
    programme = scenario.programme
    if programme is None:
        return ()
    out = []
    for name in ("ladder", "anneals"):
        if f"{name}_flops" not in values:
            continue
        line = getattr(programme, name)
        if name == "ladder":
            text = (
                f"{len(line.sizes)} sizes × D/N {', '.join(f'{r:g}' for r in line.token_ratios)}, "
                + (
                    f"WSD with {line.cooldown_fraction:.0%} cooldowns"
                    if line.schedule == "wsd"
                    else "cosine"
                )
            )
        else:
            text = (
                f"{line.candidates} candidates × {units.format_count(line.tokens)} tokens, "
                f"{line.candidate_share:.0%} candidate"
            )
        out.append(
            ProgrammeLine(
                name=LINE_TEXT[name],
                description=text,
                flops=values[f"{name}_flops"],
                accelerator_hours=values[f"{name}_accelerator_hours"],
                usd=values[f"{name}_usd"],
                share_of_run_flops=values[f"{name}_flops"] / values["training_flops"],
            )
        )
    return tuple(out)
