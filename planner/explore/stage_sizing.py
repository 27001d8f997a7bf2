"""Size a decay stage: the share of the run, within stated bounds, with the lowest loss.

A grid over the stage's share evaluated in one batch by the plan model (the same path as a
sweep: :func:`planner.plan.evaluate.evaluate` over :func:`planner.plan.evaluate.with_values`). The loss
minimised is the schedule law's at the run's end when the scenario fits one (Tissue et al.
2024: a longer decay trades forward area S1 for annealing area S2, so the best share is
inside the bounds), else the base law's, which sees the share only through the data mix.
Plans above ``optimize.budget_usd`` (if given) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.errors import InputError
from planner.plan import evaluate
from planner.scenario.schema import Scenario

__all__ = ["StageSizing", "size_stage"]


@dataclass(frozen=True)
class StageSizing:
    """The share chosen for a stage and what it gives."""

    stage: str
    share: float
    loss: float
    """The loss minimised (schedule law's if fitted, else base law's)."""
    criterion: str
    """``schedule law`` or ``base law``."""
    total_cost_usd: float
    shares: tuple[float, ...]
    """The grid searched."""
    losses: tuple[float, ...]
    """Loss at each share of the grid (NaN above the budget)."""


def size_stage(
    scenario: Scenario, stage: str, low: float, high: float, points: int = 41
) -> StageSizing:
    """The share of ``stage`` in ``[low, high]`` (``points`` evenly spaced) with the lowest loss.

    The stage must give ``share`` (another stage with neither tokens nor share fills the rest).
    """
    names = [s.name for s in scenario.stages]
    if stage not in names:
        raise InputError(
            "no stage by that name", field="stage", allowed=f"stages: {', '.join(names) or 'none'}"
        )
    if not 0 <= low < high <= 1 or points < 2:
        raise InputError(
            "bounds must satisfy 0 <= low < high <= 1 with at least 2 points",
            field="bounds",
            value=f"{low}, {high}, {points}",
        )
    if scenario.stages[names.index(stage)].share is None:
        raise InputError(
            f"stage {stage} gives no share; give it a share to size it", field=f"stages.{stage}"
        )
    shares = np.linspace(low, high, points)
    ev = evaluate.evaluate(evaluate.with_values(scenario, f"stages.{stage}.share", shares), points)
    last = len(scenario.stages) - 1
    schedule = ev[f"stage.{last}.schedule_loss"]
    fitted = scenario.schedule_law is not None
    loss = np.array(schedule if fitted else ev["loss"], dtype=float)
    cost = np.asarray(ev["total_cost_usd"], dtype=float)
    budget = scenario.optimize.budget_usd if scenario.optimize is not None else None
    if budget is not None:
        loss = np.where(cost <= budget, loss, np.nan)
    if np.isnan(loss).all():
        raise InputError(
            "no share within the bounds fits the budget", field="optimize.budget_usd", value=budget
        )
    best = int(np.nanargmin(loss))
    return StageSizing(
        stage=stage,
        share=float(shares[best]),
        loss=float(loss[best]),
        criterion="schedule law" if fitted else "base law",
        total_cost_usd=float(cost[best]),
        shares=tuple(float(s) for s in shares),
        losses=tuple(float(v) for v in loss),
    )
