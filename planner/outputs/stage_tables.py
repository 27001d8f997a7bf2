"""Tables of a staged run and of the recipe-search programme lines, for the terminal and report.

Built from finished results (:class:`planner.plan.stages.StageResult`, :class:`ProgrammeLine`) and
formatted through :mod:`planner.units`; nothing here computes a plan.
"""

from __future__ import annotations

from collections.abc import Sequence

from planner import units
from planner.plan.results import PlanResult

__all__ = ["programme_line_table", "stage_lines", "stage_mix_table", "stage_table"]

Table = tuple[list[str], list[list[str]]]

STAGE_HEADERS = [
    "plan",
    "stage",
    "tokens",
    "share",
    "seq len",
    "learning rate",
    "training FLOPs",
    "accelerator-hours",
    "wall-clock",
    "training $",
    "loss at end (base law)",
    "schedule loss (S1, S2)",
]


def _loss(value: float | None, s1: float | None, s2: float | None) -> str:
    if value is None:
        return "no schedule law"
    return f"{value:.3f} ({s1:,.0f}, {s2:,.1f})"


def stage_table(plans: Sequence[PlanResult]) -> Table:
    """One row per stage of each staged plan, then one total row per plan (the sums)."""
    rows = []
    for p in plans:
        if not p.stages:
            continue
        for s in p.stages:
            souped = f" × {s.ingredients} souped" if s.ingredients > 1 else ""
            rows.append(
                [
                    p.plan,
                    s.name,
                    units.format_count(s.tokens) + souped,
                    f"{s.share:.2%}",
                    "" if s.seq_len is None else f"{s.seq_len:,}",
                    s.learning_rate or "not given",
                    units.format_flops(s.training_flops),
                    units.format_hours(s.accelerator_hours),
                    units.format_days(s.wall_clock_days),
                    units.format_usd(s.training_cost_usd),
                    f"{s.loss:.3f}",
                    _loss(s.schedule_loss, s.s1, s.s2),
                ]
            )
        rows.append(
            [
                p.plan,
                "total",
                units.format_count(p.tokens),
                "100%",
                "",
                "",
                units.format_flops(p.training_flops),
                units.format_hours(p.accelerator_hours),
                units.format_days(p.wall_clock_days),
                units.format_usd(p.training_cost_usd),
                f"{p.loss:.3f}",
                "",
            ]
        )
    return (STAGE_HEADERS if rows else []), rows


def stage_mix_table(plans: Sequence[PlanResult]) -> Table:
    """One row per (stage, source) mix entry, with the plans it holds for ("all plans" when
    every staged plan has it), in first-seen order."""
    grouped: dict[tuple[str, str, str, str], list[str]] = {}
    for p in plans:
        for s in p.stages:
            for m in s.mix:
                key = (s.name, m.source, f"{m.share:.1%}", units.format_count(m.tokens))
                grouped.setdefault(key, []).append(p.plan)
    staged = [p.plan for p in plans if p.stages]
    rows = [
        ["all plans" if names == staged and len(staged) > 1 else ", ".join(names), *key]
        for key, names in grouped.items()
    ]
    return (["plans", "stage", "source", "share of stage", "tokens"] if rows else []), rows


def programme_line_table(plans: Sequence[PlanResult]) -> Table:
    """One row per recipe-search line (ladder, valuation anneals) of each plan."""
    rows = [
        [
            p.plan,
            line.name,
            line.description,
            units.format_flops(line.flops),
            f"{line.share_of_run_flops:.2%}",
            units.format_hours(line.accelerator_hours),
            units.format_usd(line.usd),
        ]
        for p in plans
        for line in p.programme_lines
    ]
    headers = ["plan", "line", "what", "FLOPs", "of the run's FLOPs", "accelerator-hours", "$"]
    return (headers if rows else []), rows


def stage_lines(plans: Sequence[PlanResult]) -> list[str]:
    """Aligned text of the stage and programme-line tables (empty when no plan has them)."""
    lines: list[str] = []
    for title, (headers, rows) in (
        ("Stages", stage_table(plans)),
        ("Stage mixes", stage_mix_table(plans)),
        ("Programme lines (inside programme $)", programme_line_table(plans)),
    ):
        if not rows:
            continue
        widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
        lines += ["", f"{title}:"]
        for row in [headers, *rows]:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return lines
