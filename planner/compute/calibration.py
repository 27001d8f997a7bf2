"""Predicted whole-run utilisation of published runs, and the goodput calibration.

A published run gives parameters, tokens, sequence length, accelerator and (often) the
accelerator count, never its full layout. For each run: a dense shape of its active size
(:func:`planner.compute.hours.shape_from_params`), the Step Law batch, the best feasible layout of
:func:`planner.compute.utilization.search_layouts` on its accelerators at its precision, that layout's
steady-state MFU and goodput (:func:`planner.compute.hours.whole_run`). :func:`calibrate` recomputes
the goodput constants of :mod:`planner.compute.hours` from those runs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from planner.compute import batch_size, hours
from planner.compute.hours import ASPECT_RATIO, WholeRun, shape_from_params
from planner.scenario.accelerators import Accelerator

__all__ = [
    "ASPECT_RATIO",
    "ASSUMED_RUN_DAYS",
    "RunShape",
    "calibrate",
    "predicted_whole_run",
    "run_shape",
    "shape_from_params",
]

ASSUMED_RUN_DAYS = 60.0
"""Wall-clock of a run that reports neither its accelerator count nor its duration.
Assumption: the median wall-clock of the runs in published_runs.csv that report one is ~40-60 days
(LLaMA-65B 21, DeepSeek-V3 54, Llama 3.1 405B 78, PaLM 64)."""


@dataclass(frozen=True)
class RunShape:
    """What a published run says about its shape and cluster."""

    active_params: float
    tokens: float
    seq_len: int
    accelerator: Accelerator
    accelerators: int
    count_assumed: bool
    """The count came from hours / (24 × days), days assumed when not reported."""
    precision: str = "bf16"


def run_shape(
    accelerator: Accelerator,
    active_params: float,
    tokens: float,
    hours_reported: float,
    seq_len: float | None,
    count: float | None,
    days: float | None,
    precision: str = "bf16",
) -> RunShape:
    """The run's shape; the accelerator count from the row, else hours / (24 × days)."""
    assumed = count is None
    if count is None:
        count = hours_reported / (24.0 * (days or ASSUMED_RUN_DAYS))
    # powers of two keep the layout grid's divisibility rules satisfiable
    rounded = 2 ** max(0, round(math.log2(max(count, 1.0))))
    return RunShape(
        active_params,
        tokens,
        int(seq_len or 4096),
        accelerator,
        int(rounded),
        assumed,
        precision,
    )


def predicted_whole_run(
    shape: RunShape,
    other: float | None = None,
    low: float = hours.RESIDUAL_LOG_P10,
    high: float = hours.RESIDUAL_LOG_P90,
) -> WholeRun | None:
    """The hours model's whole run for a published run; None without link or memory data.

    Utilisations are against the BF16 peak, as published whole-run MFU is (the precision's
    speed-up still enters the step time).
    """
    accelerator = shape.accelerator
    if not (accelerator.scale_up_gbs or accelerator.scale_out_gbs) or not accelerator.memory_gb:
        return None
    batch_tokens = float(batch_size.step_law_batch_tokens(shape.tokens))
    del other, low, high  # the shipped constants (planner.compute.hours), as plans use them
    run = hours.whole_run_for_params(
        shape.active_params,
        shape.seq_len,
        accelerator,
        shape.accelerators,
        batch_tokens,
        shape.precision,
    )
    ratio = accelerator.peak_flops(shape.precision) / accelerator.peak_flops("bf16")
    return WholeRun(
        run.layout,
        run.chosen,
        run.accelerators,
        run.step_s,
        run.step_utilization * ratio,
        run.goodput,
        run.utilization * ratio,
        run.utilization_low * ratio,
        run.utilization_high * ratio,
    )


def calibrate(
    shapes: Sequence[RunShape], implied: Sequence[float]
) -> tuple[dict[str, float], float, float]:
    """Goodput by generation (and pooled), RESIDUAL_LOG_P10, RESIDUAL_LOG_P90 on scored runs
    (:func:`planner.compute.hours.calibrate_goodput` of each run's predicted per-step MFU)."""
    steps, used, values, ids = [], [], [], []
    for shape, value in zip(shapes, implied, strict=True):
        run = predicted_whole_run(shape)
        if run is None:
            continue
        steps.append(run.step_utilization)
        used.append(run.accelerators)
        values.append(value)
        ids.append(shape.accelerator.id)
    return hours.calibrate_goodput(steps, used, values, ids)
