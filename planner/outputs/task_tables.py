"""Report tables for per-benchmark prediction: accuracy per task and plan, and the published
stage-2 effects per task (shown as published effects of a comparable stage, never predictions).

Numbers are formatted here so the template only prints (as :mod:`planner.outputs.report_tables`).
"""

from __future__ import annotations

from planner import units
from planner.laws.stage_effects import NOTE, StageEffect, stage_effects
from planner.plan.results import Results

__all__ = ["STAGE_EFFECT_HEADERS", "TASK_NOTE", "stage_effect_table", "task_table"]

TASK_NOTE = (
    "Predicted accuracy per task from the ladder fits of downstream.tasks (two-step method, Bhagia "
    "et al. 2024: task loss from parameters and training tokens, then a sigmoid to accuracy), "
    "with P10-P90 over bootstrap resamples of the ladder runs. The fits see only parameters and "
    "tokens in the ladder's own conventions (OLMo: non-embedding parameters) and its data mix: "
    "not this plan's synthetic share, repetition or later stages."
)
STAGE_EFFECT_HEADERS = [
    "model",
    "task",
    "before → after",
    "shift",
    "stage",
    "stage tokens (share)",
    "benchmark held out",
    "source",
]


def _accuracy(value: float, low: float, high: float) -> str:
    return f"{100 * value:.1f}% ({100 * low:.1f}-{100 * high:.1f})"


def task_table(results: Results) -> tuple[list[str], list[list[str]]]:
    """One row per task, one column per plan: ``48.4% (44.7-49.2)``; empty without task fits."""
    plans = [p for p in results.plans if p.tasks]
    if not plans:
        return [], []
    tasks = list(dict.fromkeys(t.task for p in plans for t in p.tasks))
    rows = []
    for task in tasks:
        row = [task]
        for plan in plans:
            found = next((t for t in plan.tasks if t.task == task), None)
            row.append(
                ""
                if found is None
                else _accuracy(found.accuracy, found.accuracy_p10, found.accuracy_p90)
            )
        rows.append(row)
    ratios = [max((t.compute_over_ladder or 0.0) for t in p.tasks) for p in plans]
    if any(ratios):
        rows.append(
            ["compute over the largest ladder run"]
            + [f"{r:,.0f}x" if r >= 10 else f"{r:.2g}x" for r in ratios]
        )
    return ["task", *(p.plan for p in plans)], rows


def _stage_tokens(effect: StageEffect) -> str:
    if effect.stage_tokens is None:
        return "not reported"
    share = "" if effect.stage_share is None else f" ({effect.stage_share:.2%} of the run)"
    return units.format_count(effect.stage_tokens) + share


def stage_effect_table() -> tuple[str, list[list[str]]]:
    """(note, rows) of :func:`planner.laws.stage_effects.stage_effects`, one row per reported shift."""
    rows = []
    for e in stage_effects():
        moved = (
            f"{e.before:g} → {e.after:g}" if e.before is not None and e.after is not None else ""
        )
        shift = f"{e.shift:+g} {e.unit}" if e.shift else e.unit
        rows.append(
            [e.model, e.task, moved, shift, e.stage, _stage_tokens(e), e.held_out, e.source]
        )
    return NOTE, rows
