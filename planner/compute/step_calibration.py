"""Per-step speed against measured iteration times, and the calibration of the kernel curve.

``planner/data/step_benchmarks.csv`` holds measured per-step times of dense models with their
full layout (Korthikanti et al. 2022 Table 5, Narayanan et al. 2021 Table 1, NVIDIA
Megatron-Bridge 25.11, MosaicML llm-foundry), each row with its source. :func:`step_ratios`
runs :func:`planner.compute.utilization.step_time` on each; :func:`calibrate_step_speed` fits the two
constants of :func:`planner.compute.step_time.kernel_efficiency` (``E``, ``h½``) by least squares on
``ln(predicted / measured)``. The spread of those residuals is the per-step part of the hours'
uncertainty (:mod:`planner.compute.hours`).
"""

from __future__ import annotations

import csv
import functools
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np

from planner.compute import step_time as steptime
from planner.compute.utilization import step_time
from planner.scenario.accelerators import hardware
from planner.scenario.layout import Layout
from planner.scenario.schema import Architecture

__all__ = [
    "StepBenchmark",
    "calibrate_step_speed",
    "load_step_benchmarks",
    "predicted_step_s",
    "step_ratios",
]


@dataclass(frozen=True)
class StepBenchmark:
    """One measured step: the model's shape, the layout, the measured seconds and the source."""

    model: str
    accelerator: str
    precision: str
    gpus: int
    arch: Architecture
    layout: Layout
    step_s: float
    source: str


@functools.cache
def load_step_benchmarks() -> tuple[StepBenchmark, ...]:
    """The rows of ``planner/data/step_benchmarks.csv`` as :class:`StepBenchmark`."""
    text = resources.files("planner").joinpath("data/step_benchmarks.csv").read_text("utf-8")
    out = []
    for row in csv.DictReader(text.splitlines()):
        number = {k: int(row[k]) for k in ("gpus", "tp", "pp", "cp", "vp", "micro_batch")}
        arch = Architecture(
            layers=int(row["layers"]),
            d_model=int(row["d_model"]),
            heads=int(row["heads"]),
            kv_heads=int(row["kv_heads"]),
            ffn_size=int(row["ffn"]),
            glu=row["glu"] == "1",
            vocab_size=int(row["vocab"]),
            seq_len=int(row["seq_len"]),
        )
        tp = number["tp"]
        layout = Layout(
            tp=tp,
            pp=number["pp"],
            cp=number["cp"],
            virtual_stages=number["vp"],
            micro_batch=number["micro_batch"],
            global_batch=int(row["global_batch"]),
            recompute=row["recompute"],
            zero=int(row["zero"]),
            sequence_parallel=tp > 1 and row["recompute"] != "full",
        )
        out.append(
            StepBenchmark(
                row["model"],
                row["accelerator"],
                row["precision"],
                number["gpus"],
                arch,
                layout,
                float(row["step_s"]),
                row["source"],
            )
        )
    return tuple(out)


def predicted_step_s(
    bench: StepBenchmark,
    maximum: float = steptime.KERNEL_EFFICIENCY_MAX,
    half: float = steptime.KERNEL_HALF_HIDDEN,
) -> float:
    """Step time the layout model gives a benchmark row, at kernel constants ``E``, ``h½``."""
    layout = bench.layout
    dp = bench.gpus // layout.model_parallel
    efficiency = float(steptime.kernel_efficiency(bench.arch.d_model, maximum, half))
    step = step_time(
        bench.arch,
        layout,
        hardware(bench.accelerator),
        dp,
        float(layout.global_batch or 1),
        0.0,
        kernel_efficiency=efficiency,
        speedup=steptime.realised_speedup(bench.precision),
    )
    return float(step.total_s)


def step_ratios(
    benches: tuple[StepBenchmark, ...] | None = None,
    maximum: float = steptime.KERNEL_EFFICIENCY_MAX,
    half: float = steptime.KERNEL_HALF_HIDDEN,
) -> np.ndarray:
    """``predicted / measured`` step time of every benchmark row."""
    rows = load_step_benchmarks() if benches is None else benches
    return np.array([predicted_step_s(b, maximum, half) / b.step_s for b in rows])


def calibrate_step_speed(
    benches: tuple[StepBenchmark, ...] | None = None,
) -> tuple[float, float]:
    """``(E, h½)`` minimising the sum of ``ln(predicted / measured)²`` over the rows.

    A grid over h½ (100-4,000) with, at each, E from the fixed point ``E ← E · exp(mean ln r)``
    (the compute term is ∝ 1/E; communication is not, hence a few iterations).
    """
    rows = load_step_benchmarks() if benches is None else benches
    best = (math.inf, steptime.KERNEL_EFFICIENCY_MAX, steptime.KERNEL_HALF_HIDDEN)
    for half in np.geomspace(100.0, 4000.0, 33):
        maximum = steptime.KERNEL_EFFICIENCY_MAX
        for _ in range(4):
            logs = np.log(step_ratios(rows, maximum, float(half)))
            maximum = float(min(1.0, maximum * math.exp(float(np.mean(logs)))))
        logs = np.log(step_ratios(rows, maximum, float(half)))
        loss = float(np.sum(logs**2))
        if loss < best[0]:
            best = (loss, maximum, float(half))
    return best[1], best[2]
