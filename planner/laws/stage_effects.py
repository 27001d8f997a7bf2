"""Published benchmark effects of a second training stage (annealing, mid-training).

A table of reported per-task shifts from published recipes (``planner/data/stage_effects.csv``,
each row with its source; collected in ``shared/reference/laws-2025.md`` §4.3). The report shows
them as the **published effect of a comparable stage**: they are other models' measurements,
never a prediction of this plan (the planner values a stage only through loss; check 19 of
laws-2025.md). The gain is task-specific and shrinks with scale (Llama 3: 8B +24% GSM8K,
405B negligible), and some rows' benchmarks were partly seen in the stage's data.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources

__all__ = ["NOTE", "StageEffect", "stage_effects"]

NOTE = (
    "Published effect of a comparable stage, measured on other models: not a prediction of this "
    "plan (the planner values a stage only through loss)."
)


@dataclass(frozen=True)
class StageEffect:
    """One reported per-task shift of a second stage."""

    recipe: str
    model: str
    params: float
    task: str
    before: float | None
    after: float | None
    shift: float
    unit: str
    stage: str
    stage_tokens: float | None
    stage_share: float | None
    """Stage tokens over the run's total, per ingredient when souped (None: not reported)."""
    held_out: str
    source: str


def _number(text: str) -> float | None:
    return float(text) if text.strip() else None


@functools.cache
def stage_effects() -> tuple[StageEffect, ...]:
    """Every row of ``planner/data/stage_effects.csv``, in file order."""
    text = resources.files("planner").joinpath("data/stage_effects.csv").read_text("utf-8")
    return tuple(
        StageEffect(
            recipe=row["recipe"],
            model=row["model"],
            params=float(row["params"]),
            task=row["task"],
            before=_number(row["before"]),
            after=_number(row["after"]),
            shift=float(row["shift"]),
            unit=row["unit"],
            stage=row["stage"],
            stage_tokens=_number(row["stage_tokens"]),
            stage_share=_number(row["stage_share"]),
            held_out=row["held_out"],
            source=row["source"],
        )
        for row in csv.DictReader(text.splitlines())
    )
