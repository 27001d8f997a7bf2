"""Flags of the hardware plan: accelerators beyond the batch, memory, FP8, the age of the
catalog price (see planner.plan.flags)."""

from __future__ import annotations

from typing import Any

import numpy as np

from planner import precisions
from planner.compute.plan_terms import fp8_default
from planner.plan.evaluate import Evaluation
from planner.plan.flag_rule import Rule
from planner.plan.flag_rule import one as _one
from planner.scenario.price_dates import months_old, stale

__all__ = ["HARDWARE_RULES"]


def _gb(value: float) -> str:
    return f"{value / 1e9:,.1f} GB"


def _fmt(ev: Evaluation) -> precisions.Precision:
    return precisions.precision(ev.scenario.training.precision)


def _stale_price(scenario: Any) -> bool:
    """The training price comes from the catalog and was quoted over a year before the plan."""
    training = scenario.training
    if training.price_usd_per_hour is not None:
        return False
    return stale(training.accelerator.price_date, scenario.plan_date)


def _stale_price_message(ev: Evaluation, row: int) -> str:
    scenario = ev.scenario
    accelerator = scenario.training.accelerator
    months = months_old(accelerator.price_date, scenario.plan_date)
    return (
        f"the {accelerator.id} price ${accelerator.price_usd_per_hour:.2f}/h was quoted "
        f"{accelerator.price_date}, {months} months before {scenario.plan_date.isoformat()} "
        f"({accelerator.price_source}): rental prices fall fast; check a current quote or set "
        "training.price_usd_per_hour"
    )


def _fp8_default(ev: Evaluation) -> np.ndarray:
    return np.full(ev.size, fp8_default(ev.scenario.training))


HARDWARE_RULES: tuple[Rule, ...] = (
    Rule(
        "accelerators_beyond_batch",
        "warning",
        "Step Law (arXiv 2503.04715) batch 0.58·D^0.571 tokens; docs/hardware-literature.md §7 floor",
        lambda ev: ev["accelerator_count"] > ev["max_useful_accelerators"],
        _one(
            lambda ev, row: (
                f"{ev['accelerator_count'][row]:,.0f} accelerators, but a batch of "
                f"{ev['batch_tokens'][row]:.3g} tokens keeps at most "
                f"{ev['max_useful_accelerators'][row]:,.0f} busy: the rest give no speed-up; "
                f"wall-clock cannot go below {ev['wall_clock_floor_days'][row]:.2g} days "
                f"({ev['steps'][row]:,.0f} steps of at least {ev['min_step_s'][row]:.2g} s). "
                "Dollars count the accelerator-hours of work; holding all "
                f"{ev['accelerator_count'][row]:,.0f} for that time would bill "
                f"{ev['accelerator_count'][row] * ev['wall_clock_days'][row] * 24:,.0f} accelerator-hours"
            )
        ),
        section="compute",
    ),
    Rule(
        "memory_exceeds_accelerator",
        "risk",
        "Korthikanti et al. 2022 activations; ZeRO (Rajbhandari et al. 2020); planner.compute.memory",
        lambda ev: ev["memory_fits"] == 0,
        _one(
            lambda ev, row: (
                f"the layout needs {_gb(ev['memory_total_bytes'][row])} per accelerator ("
                + ", ".join(
                    f"{p} {_gb(ev[f'memory_{p}_bytes'][row])}"
                    for p in ("weights", "gradients", "optimizer", "activations")
                )
                + f"), above the {_gb(ev['memory_usable_bytes'][row])} usable (HBM less 10% headroom): "
                "raise tp/pp, ZeRO stage or recompute, or lower micro_batch"
            )
        ),
        section="compute",
    ),
    Rule(
        "fp8_rescaled_utilization",
        "warning",
        "docs/hardware-literature.md §9: realised FP8 speed-up 1.2-1.75x (DeepSeek-V3 17% of FP8 peak)",
        _fp8_default,
        _one(
            lambda ev, row: (
                f"{_fmt(ev).name}: utilisation {ev['utilization'][row]:.0%} of the "
                f"{_fmt(ev).peak.upper()} peak is the BF16-calibrated whole-run MFU x a realised "
                f"speed-up of {_fmt(ev).speedup:g} ({_fmt(ev).speedup_low:g}-{_fmt(ev).speedup_high:g}) "
                f"/ the peak ratio, not the BF16 MFU on the {_fmt(ev).peak.upper()} peak"
            )
        ),
        section="compute",
    ),
    Rule(
        "stale_price",
        "warning",
        "planner.scenario.price_dates: catalog prices older than a year at the plan's date (as_of)",
        lambda ev: np.full(ev.size, _stale_price(ev.scenario)),
        _one(_stale_price_message),
        section="compute",
    ),
)
