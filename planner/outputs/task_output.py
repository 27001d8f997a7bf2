"""Text outputs of ``planner fit-tasks``: fitted constants, predictions and held-out targets.

Counts through :mod:`planner.units`; JSON through :func:`planner.outputs.text.render_json`.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from planner import units
from planner.laws.task_fit import TaskFits, TaskPrediction
from planner.outputs.text import render_json

__all__ = ["render_task_fits", "task_fits_record"]


def task_fits_record(fits: TaskFits, predictions: list[TaskPrediction]) -> dict[str, Any]:
    """The JSON document: predictions, per-task constants with intervals, held-out targets."""
    return {
        "predictions": [
            {
                key: value
                for key, value in asdict(p).items()
                if key not in ("task_loss_p10", "task_loss_p90")
            }
            | {"task_loss_p10": p.task_loss_p10, "task_loss_p90": p.task_loss_p90}
            for p in predictions
        ],
        "tasks": [
            {
                **fit.described(),
                "floor": fit.step2["a"] + fit.step2["b"],
                "intervals_95": {k: list(v) for k, v in fit.intervals.items()},
                "step1_rmse_relative": fit.step1_rmse,
                "step2_rmse": fit.step2_rmse,
            }
            for fit in fits.tasks
        ],
        "heldout": [
            asdict(h) | {"error_points": 100 * (h.predicted_accuracy - h.accuracy)}
            for h in fits.heldout
        ],
        "bootstrap": fits.bootstrap,
        "seed": fits.seed,
        "method": "Bhagia et al. 2024 (arXiv:2412.04403), allenai/OLMo 67cc7c41 procedure",
        "warnings": list(fits.warnings),
    }


def _interval(low: float, high: float, digits: str) -> str:
    return f"{low:{digits}}-{high:{digits}}"


def render_task_fits(fits: TaskFits, predictions: list[TaskPrediction], fmt: str) -> str:
    """``planner fit-tasks`` as a table or JSON."""
    if fmt == "json":
        return render_json(task_fits_record(fits, predictions))
    lines = [
        (
            f"Two-step ladder fit (Bhagia et al. 2024) of {fits.name}: {len(fits.tasks)} tasks, "
            f"{fits.bootstrap} bootstrap resamples of the runs (seed {fits.seed})"
        ),
        "",
        (
            f"{'task':<16}{'runs':>5}{'points':>7}  step 1: A, B, alpha, beta, E"
            "                      step 2: a, L0, k, b (floor a+b; chance)"
        ),
    ]
    for fit in fits.tasks:
        s1, s2 = fit.step1, fit.step2
        lines.append(
            f"{fit.task:<16}{fit.runs:>5}{fit.points:>7}  "
            f"{s1['A']:<9.4g} {s1['B']:<9.4g} {s1['alpha']:<7.4f} {s1['beta']:<7.4f} "
            f"{s1['E']:<8.4f}  {s2['a']:<8.4f} {s2['L0']:<7.4f} {s2['k']:<7.3f} {s2['b']:<7.4f}"
            f"({s2['a'] + s2['b']:.3f}; {fit.chance:.3f})"
        )
    if predictions:
        lines += [
            "",
            "Predicted (P10-P90 over the resampled fits):",
            f"{'task':<16}{'params':>8}{'tokens':>8}  {'task loss':<22}{'accuracy':<20}",
        ]
        for p in predictions:
            loss = f"{p.task_loss:.4f} ({_interval(p.task_loss_p10, p.task_loss_p90, '.3f')})"
            acc = f"{100 * p.accuracy:.1f} ({_interval(100 * p.accuracy_p10, 100 * p.accuracy_p90, '.1f')})"
            lines.append(
                f"{p.task:<16}{units.format_count(p.params):>8}{units.format_count(p.tokens):>8}  "
                f"{loss:<22}{acc}"
            )
    if fits.heldout:
        lines += [
            "",
            "Held-out targets (role target; never fitted): predicted vs actual accuracy, points",
            f"{'task':<16}{'run':<12}{'predicted':>10}{'actual':>8}{'error':>8}",
        ]
        for h in fits.heldout:
            lines.append(
                f"{h.task:<16}{h.run[:11]:<12}{100 * h.predicted_accuracy:>10.1f}"
                f"{100 * h.accuracy:>8.1f}{100 * (h.predicted_accuracy - h.accuracy):>+8.1f}"
            )
    lines += [f"warning: {w}" for w in fits.warnings]
    return "\n".join(lines) + "\n"
