"""Predicted utilisation of published runs, and the calibration of the kernel efficiency.

A published run gives parameters, tokens, sequence length, accelerator and (often) the
accelerator count, never its full layout. For each run: a dense shape of its active size
(:func:`shape_from_params`), the Step Law batch, the best feasible layout
of :func:`planner.compute.utilization.search_layouts` on its accelerators, and that layout's
steady-state MFU times the share the failure model leaves (:mod:`planner.compute.failures`).
:func:`calibrate_kernel` finds the kernel efficiency at which the median of implied / predicted
whole-run MFU over scored runs is 1 (the one free constant).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.compute import batch_size
from planner.compute.utilization import KERNEL_EFFICIENCY, failure_share, search_layouts
from planner.scenario.accelerators import Accelerator
from planner.scenario.schema import Architecture

__all__ = [
    "ASPECT_RATIO",
    "ASSUMED_RUN_DAYS",
    "RunShape",
    "calibrate_kernel",
    "predicted_whole_run",
    "run_shape",
    "shape_from_params",
]

ASSUMED_RUN_DAYS = 60.0
"""Wall-clock of a run that reports neither its accelerator count nor its duration.
Assumption: the median wall-clock of the runs in published_runs.csv that report one is ~40-60 days
(LLaMA-65B 21, DeepSeek-V3 54, Llama 3.1 405B 78, PaLM 64)."""


ASPECT_RATIO = 128
"""d_model / layers when only a parameter count is known. Assumption from published shapes:
Llama 2 7B 4096/32 = 128, Llama 3 405B 16384/126 = 130, Llama 2 70B 8192/80 = 102."""


def shape_from_params(params: float, seq_len: int, vocab: int = 32000) -> Architecture:
    """A dense decoder shape of about ``params`` parameters at d_model/layers = :data:`ASPECT_RATIO`.

    ``N ≈ 12·L·h²`` with ``h = 128·L``, L rounded to a multiple of 8; heads of 128; f = 4h. For backtests of runs that publish
    only a parameter count (an assumption, labelled in the backtest).
    """
    # layers a multiple of 8 (from 8), so heads = layers·128/128 divide by the usual tp and pp
    layers = max(8, 8 * round((params / (12 * ASPECT_RATIO**2)) ** (1 / 3) / 8))
    d_model = ASPECT_RATIO * layers
    return Architecture(
        layers=layers, d_model=d_model, heads=d_model // 128, vocab_size=vocab, seq_len=seq_len
    )


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


def run_shape(
    accelerator: Accelerator,
    active_params: float,
    tokens: float,
    hours: float,
    seq_len: float | None,
    count: float | None,
    days: float | None,
) -> RunShape:
    """The run's shape; the accelerator count from the row, else hours / (24 × days)."""
    assumed = count is None
    if count is None:
        count = hours / (24.0 * (days or ASSUMED_RUN_DAYS))
    # powers of two keep the layout grid's divisibility rules satisfiable
    rounded = 2 ** max(0, round(math.log2(max(count, 1.0))))
    return RunShape(active_params, tokens, int(seq_len or 4096), accelerator, int(rounded), assumed)


def predicted_whole_run(
    shape: RunShape, kernel_efficiency: float = KERNEL_EFFICIENCY
) -> float | None:
    """Whole-run MFU (6·N_active) the best feasible layout predicts; None without link data."""
    accelerator = shape.accelerator
    if not (accelerator.scale_up_gbs or accelerator.scale_out_gbs):
        return None
    arch = shape_from_params(shape.active_params, shape.seq_len)
    batch_tokens = float(batch_size.step_law_batch_tokens(shape.tokens))
    found = search_layouts(
        arch,
        accelerator,
        shape.accelerators,
        batch_tokens,
        active_params=shape.active_params,
        kernel_efficiency=kernel_efficiency,
    )
    best = next((c for c in found if c.feasible), None)
    if best is None:
        return None
    used = best.layout.model_parallel * best.dp
    return best.predicted_utilization * (1.0 - float(failure_share(used)))


def calibrate_kernel(
    shapes: Sequence[RunShape], implied: Sequence[float], iterations: int = 6
) -> float:
    """Kernel efficiency at which median(implied / predicted whole-run MFU) = 1.

    Fixed-point iteration ``k ← k × median(ratio)`` (predicted MFU is nearly proportional to k;
    the DP overlap and the layout choice make it not exactly so).
    """
    k = KERNEL_EFFICIENCY
    for _ in range(iterations):
        ratios = [
            value / predicted
            for shape, value in zip(shapes, implied, strict=True)
            if (predicted := predicted_whole_run(shape, k))
        ]
        k = float(min(1.0, k * np.median(ratios)))
    return k
