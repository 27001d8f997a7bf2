"""The estimate on numpy arrays: many plans that differ only in numbers, in one pass.

A scenario whose numeric fields hold arrays (built with :func:`with_values`, which
skips validation on purpose) runs through the same formula functions as a single
estimate (:mod:`planner.compute`, :mod:`planner.cost`, :mod:`planner.laws`,
:mod:`planner.quality`). Only the orchestration is written again here, without
Python branches on values; ``tests/test_sweep.py`` checks it against
:func:`planner.estimate.estimate` point by point.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from planner import compute, cost, quality
from planner.errors import InputError
from planner.fields import Range
from planner.laws import R_STAR_DATA
from planner.schema import SUM_TOLERANCE, Scenario

RANGE_FIELDS = {"utilization", "value_weight"}
"""Fields holding a Range: a swept number sets low, high and point together."""

OUTPUTS = (
    "params", "active_params", "tokens", "training_flops", "accelerator_hours", "billed_accelerator_hours",
    "wall_clock_days", "training_compute_usd", "overhead_usd", "training_cost_usd", "synthetic_generation_usd",
    "grading_usd", "real_data_usd", "total_cost_usd", "energy_kwh", "co2_tonnes", "memory_bytes",
    "min_accelerators", "synthetic_share", "effective_tokens", "tokens_per_param", "loss",
    "flag_epochs_over_4", "flag_epochs_over_40", "flag_synthetic_share_over_50",
    "flag_rephrased_share_over_40", "flag_too_few_accelerators",
)


def with_values(scenario: Scenario, path: str, value: Any) -> Scenario:
    """A copy of ``scenario`` with ``value`` (often an array) at a dotted field path.

    Data sources are addressed by name. No validation runs: the caller checks values
    first (see :func:`planner.sweep.check_values`).
    """
    updated: Scenario = _set(scenario, path.split("."), value)
    return updated


def _set(model: Any, parts: Sequence[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    if isinstance(model, list):
        index = next(i for i, item in enumerate(model) if getattr(item, "name", None) == head)
        copy = list(model)
        copy[index] = _set(model[index], rest, value) if rest else value
        return copy
    if not rest:
        if head in RANGE_FIELDS and not isinstance(value, (Range, dict, str)):
            value = Range.model_construct(low=value, high=value, point=value)
        return model.model_copy(update={head: value})
    return model.model_copy(update={head: _set(getattr(model, head), rest, value)})


def source_tokens(scenario: Any, varied_shares: set[str], size: int) -> tuple[list[Any], Any]:
    """Tokens drawn per source and the total, as arrays.

    As :meth:`Scenario.source_tokens`, except that when a sweep varies some sources'
    shares, the other share-based sources are rescaled together to fill the rest.
    """
    training = scenario.training
    ones = np.ones(size)
    if not scenario.data:
        return [], training.tokens * ones
    if training.epochs is not None:
        drawn = [training.epochs * s.unique_tokens * ones for s in scenario.data]
        return drawn, sum(drawn)
    explicit = sum(
        (s.tokens if s.tokens is not None else s.epochs * s.unique_tokens) * ones
        for s in scenario.data if s.tokens is not None or s.epochs is not None
    ) + 0 * ones
    total = training.tokens * ones if training.tokens is not None else explicit
    varied = sum((s.share * ones for s in scenario.data if s.share is not None and s.name in varied_shares), 0 * ones)
    fixed = sum((s.share for s in scenario.data if s.share is not None and s.name not in varied_shares), 0.0)
    room = 1 - explicit / total - varied
    if np.any(room < -SUM_TOLERANCE):
        row = int(np.argmax(room < -SUM_TOLERANCE))
        raise InputError(f"row {row}: swept shares add up to more than the tokens available",
                         field=", ".join(f"data.{n}.share" for n in sorted(varied_shares)),
                         allowed="lower the swept shares (other share-based sources fill the rest)")
    if fixed == 0 and np.any(np.abs(room) > SUM_TOLERANCE) and any(s.share is not None for s in scenario.data):
        row = int(np.argmax(np.abs(room) > SUM_TOLERANCE))
        raise InputError(f"row {row}: shares do not add up to 1 and no other share-based source can fill the rest",
                         field=", ".join(f"data.{n}.share" for n in sorted(varied_shares)) or "data")
    scale = room / fixed if fixed else 0 * ones
    drawn = []
    for source in scenario.data:
        if source.tokens is not None:
            drawn.append(source.tokens * ones)
        elif source.epochs is not None:
            drawn.append(source.epochs * source.unique_tokens * ones)
        elif source.name in varied_shares:
            drawn.append(source.share * total)
        else:
            drawn.append(source.share * scale * total)
    return drawn, total


def evaluate(scenario: Any, size: int, varied_shares: set[str] | None = None) -> dict[str, np.ndarray]:
    """Every output of :data:`OUTPUTS` as an array of ``size`` rows (point estimates).

    ``scenario`` is a :class:`Scenario` whose numeric fields may hold arrays, so it is typed
    loosely: the schema already checked every value, and None-able fields are tested here.
    """
    ones = np.ones(size)
    training = scenario.training
    accelerator = training.accelerator
    params = compute.model_params(scenario.model)
    drawn, tokens = source_tokens(scenario, varied_shares or set(), size)
    per_token, _ = compute.flops_per_token(scenario.model, training)
    flops = per_token * tokens
    peak = accelerator.peak_flops(training.precision)
    hours = compute.accelerator_hours(flops, peak, training.utilization.mid) * ones
    count, goodput, price = training.accelerator_count, training.goodput, training.price
    out: dict[str, Any] = {
        "params": params.total * ones, "active_params": params.active * ones, "tokens": tokens,
        "training_flops": flops, "accelerator_hours": hours, "billed_accelerator_hours": hours / goodput,
        "wall_clock_days": compute.wall_clock_days(hours, count, goodput),
        "training_compute_usd": cost.training_cost_usd(hours, price),
        "overhead_usd": cost.overhead_cost_usd(hours, price, goodput),
    }
    out["training_cost_usd"] = out["training_compute_usd"] + out["overhead_usd"]
    acquisition = generation = grading = 0 * ones
    pools = []
    for source, tokens_i in zip(scenario.data, drawn):
        unique = source.unique_tokens
        needed = unique * ones if unique is not None else tokens_i
        spent = cost.source_cost(source, needed)
        used = tokens_i > 0  # a swept share of 0 drops the source, and its costs, from that row
        acquisition = acquisition + spent.acquisition_usd * used
        generation = generation + spent.generation_usd * used
        grading = grading + spent.grading_usd * used
        synthetic = source.synthetic
        pools.append(quality.Pool(
            source.name, source.kind, needed, tokens_i,
            synthetic.r_star if synthetic else R_STAR_DATA,
            synthetic.value_weight.mid if synthetic else 1.0, 0.0, 0.0,
            synthetic.kind if synthetic else None))
    out.update(synthetic_generation_usd=generation, grading_usd=grading, real_data_usd=acquisition)
    out["total_cost_usd"] = out["training_cost_usd"] + acquisition + generation + grading
    if accelerator.tdp_w is not None:
        out["energy_kwh"] = cost.energy_kwh(hours, goodput, accelerator.tdp_w, training.pue)
        out["co2_tonnes"] = cost.co2_tonnes(out["energy_kwh"], training.grid_kg_co2_per_kwh)
    else:
        out["energy_kwh"] = out["co2_tonnes"] = np.full(size, np.nan)
    memory = compute.training_memory_bytes(params.total) * ones
    out["memory_bytes"] = memory
    out["min_accelerators"] = (np.maximum(1, np.ceil(memory / (accelerator.memory_gb * 1e9)))
                               if accelerator.memory_gb else np.full(size, np.nan))
    synthetic_tokens = sum((t for s, t in zip(scenario.data, drawn) if s.synthetic), 0 * ones)
    out["synthetic_share"] = synthetic_tokens / tokens if scenario.data else 0 * ones
    if not pools:
        pools = [quality.Pool("all data", "real", tokens, tokens, R_STAR_DATA, 1.0, 1.0, 1.0)]
    data, unique = quality.mix_effective(pools)
    law_params = quality.law_params(scenario, params.active, params.active_non_embedding) * ones
    unique_known = any(s.unique_tokens is not None for s in scenario.data)
    out["effective_tokens"] = data * ones
    out["tokens_per_param"] = tokens / law_params
    out["loss"] = quality.expected_loss(scenario.law, law_params, data, unique if unique_known else None) * ones
    with np.errstate(divide="ignore", invalid="ignore"):  # a dropped source (0 of 0 tokens) has no epochs
        epochs = [p.tokens / p.unique_tokens for p in pools]
    most = np.max(np.vstack([np.nan_to_num(e * ones) for e in epochs]), axis=0)
    rephrased = sum((t for s, t in zip(scenario.data, drawn) if s.synthetic and s.synthetic.kind == "rephrased"), 0 * ones)
    out.update(
        flag_epochs_over_4=most > quality.EPOCHS_WARN,
        flag_epochs_over_40=most > quality.EPOCHS_WORTHLESS,
        flag_synthetic_share_over_50=out["synthetic_share"] > quality.SYNTHETIC_SHARE_WARN,
        flag_rephrased_share_over_40=rephrased / tokens > quality.REPHRASED_SHARE_WARN,
        flag_too_few_accelerators=count < out["min_accelerators"],
    )
    return {name: np.asarray(out[name] * np.ones(size) if not isinstance(out[name], np.ndarray) else out[name])
            for name in OUTPUTS}
