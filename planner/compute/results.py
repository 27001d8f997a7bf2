"""Typed hardware results of one plan: memory per accelerator, floor, failures, step time.

Built from one row of :func:`planner.plan.evaluate.evaluate`'s outputs (:func:`hardware_fields`);
:class:`planner.plan.results.PlanResult` carries them, so JSON, CSV and the report see them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from planner.compute import memory
from planner.compute.plan_terms import MODELLED_OUTPUTS

__all__ = ["HardwareResult", "MemoryPerAccelerator", "hardware_fields", "hardware_output"]


@dataclass(frozen=True)
class MemoryPerAccelerator:
    """Bytes on the most-loaded accelerator of the plan's layout."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    """Optimizer states (fp32 master weights, Adam momentum and variance), after ZeRO sharding."""
    activations_bytes: float
    """Korthikanti et al. 2022 per layer × layers in flight, plus logits on the last stage."""
    buffers_bytes: float
    """ZeRO-3/FSDP gathered-layer prefetch buffers (0 below stage 3)."""
    total_bytes: float
    usable_bytes: float
    """HBM less the labelled headroom (planner.compute.memory.HEADROOM_SHARE)."""
    headroom_share: float
    fits: bool | None
    """Whether total fits in usable memory (None when the accelerator's memory is unknown)."""


@dataclass(frozen=True)
class HardwareResult:
    """The wall-clock floor and the failure line of one plan."""

    batch_tokens: float
    """Global batch: the layout's, else the Step Law batch 0.58·D^0.571 tokens."""
    steps: float
    max_useful_accelerators: float
    """Accelerators one step can keep busy: model-parallel group × sequences in the batch."""
    usable_accelerators: float
    min_step_s: float
    wall_clock_floor_days: float
    """No plan on any number of accelerators finishes faster (steps × shortest step)."""
    failure_lost_share: float
    """Share of wall time lost to interruptions, checkpoints and restarts (Llama 3 rate,
    Daly interval); already inside the default whole-run utilisation."""
    failure_accelerator_hours: float
    failure_usd: float
    modelled_step_utilization: float | None = None
    """Per-step MFU of the hours model's layout (planner.compute.hours); NaN with a stated utilisation."""
    modelled_goodput: float | None = None
    """Goodput of the hours model: failures × calibrated other losses (planner.compute.hours)."""
    modelled_step_s: float | None = None
    layout_tp: float | None = None
    layout_pp: float | None = None
    layout_cp: float | None = None
    layout_dp: float | None = None
    layout_zero: float | None = None
    layout_chosen: float | None = None
    """1 when the planner chose the layout (the scenario gave none), 0 when given."""

    @property
    def layout_text(self) -> str | None:
        """``tp1·pp1·cp1·dp256 Z1 (chosen)``, or None without the hours model; "chosen": the
        planner picked the fastest feasible layout because the scenario gave none."""
        if self.layout_tp is None:
            return None
        chosen = " (chosen)" if self.layout_chosen == 1 else " (given)"
        return (
            f"tp{self.layout_tp:.0f}·pp{self.layout_pp or 0:.0f}·cp{self.layout_cp or 0:.0f}·"
            f"dp{self.layout_dp or 0:.0f} Z{self.layout_zero or 0:.0f}{chosen}"
        )


def _number(values: dict[str, float], name: str) -> float | None:
    value = values.get(name, math.nan)
    return None if math.isnan(value) else value


def hardware_fields(values: dict[str, float]) -> dict[str, Any]:
    """``PlanResult`` keyword arguments from one row of outputs."""
    memory_result = None
    if _number(values, "memory_total_bytes") is not None:
        memory_result = MemoryPerAccelerator(
            weights_bytes=values["memory_weights_bytes"],
            gradients_bytes=values["memory_gradients_bytes"],
            optimizer_bytes=values["memory_optimizer_bytes"],
            activations_bytes=values["memory_activations_bytes"],
            buffers_bytes=values["memory_buffers_bytes"],
            total_bytes=values["memory_total_bytes"],
            usable_bytes=values["memory_usable_bytes"],
            headroom_share=memory.HEADROOM_SHARE,
            fits=None if math.isnan(values["memory_fits"]) else bool(values["memory_fits"]),
        )
    modelled = set(MODELLED_OUTPUTS)
    fields: dict[str, Any] = {
        name: _number(values, name) if name in modelled else values[name]
        for name in HardwareResult.__dataclass_fields__
    }
    hardware = HardwareResult(**fields)
    return {
        "memory_per_accelerator": memory_result,
        "step_time_s": _number(values, "step_time_s"),
        "predicted_utilization": _number(values, "predicted_utilization"),
        "hardware": hardware,
    }


def hardware_output(result: Any, name: str) -> Any:
    """A hardware output of a plan result by its sweep column name (``memory_total_bytes``).

    Memory columns read ``result.memory_per_accelerator`` (None without a layout); the
    others read ``result.hardware``. Unknown names raise AttributeError.
    """
    if name.startswith("memory_") and name != "memory_bytes":
        key = name.removeprefix("memory_")
        if key in MemoryPerAccelerator.__dataclass_fields__:
            held = result.memory_per_accelerator
            value = None if held is None else getattr(held, key)
            return None if value is None else float(value)
    elif name in HardwareResult.__dataclass_fields__ and result.hardware is not None:
        return getattr(result.hardware, name)
    raise AttributeError(name)
