"""The report's recommended plan: the optimiser's answer, formatted (negligible sources merged)."""

from __future__ import annotations

from typing import Any

from planner import units
from planner.explore.optimizer import Allocation
from planner.outputs.command_text import (
    bought_text,
    move_label,
    negligible_sources,
    pinned_text,
    repeated_pools,
    source_text,
    versus_rows,
)

__all__ = ["recommended"]


def recommended(allocation: Allocation, plan: str) -> dict[str, Any]:
    """The optimiser's plan: figures, the data it draws (negligible sources merged and named)."""
    inference = units.format_count(allocation.inference_tokens)
    rows = [
        ["parameters", units.format_count(allocation.params)],
        ["active parameters", units.format_count(allocation.active_params)],
        ["training tokens", units.format_count(allocation.tokens)],
        [
            "inference tokens",
            inference
            if allocation.inference_tokens > 0
            else f"{inference} (none given: real recipes over-train for serving)",
        ],
        ["expected loss", f"{allocation.loss:.4f}"],
        ["total cost", units.format_usd(allocation.total_cost_usd)],
        ["wall-clock", units.format_days(allocation.wall_clock_days)],
    ]
    if allocation.pinned:
        rows.append(["pinned", pinned_text(allocation.pinned)])
    kept, dropped, rule = negligible_sources(allocation)
    for name in kept:
        rows.append([f"data: {name}", source_text(allocation, name)])
    note = ""
    if dropped:
        total = sum(allocation.source_tokens[name] for name in dropped)
        rows.append(
            [
                f"data: {', '.join(dropped)}",
                f"{units.format_count(total)} tokens together (negligible)",
            ]
        )
        note = (
            f"{', '.join(dropped)} {'is' if len(dropped) == 1 else 'are'} left out of the recommendation: "
            f"{rule}. The optimiser kept a sliver of every source; it changes neither cost nor loss visibly."
        )
    for name in (n for n in allocation.bought_tokens if n in kept):
        rows.append([f"buy: {name}", bought_text(allocation, name)])
    repeated = repeated_pools(allocation)
    if repeated:
        note = " ".join([note, *(f"Note: {line}." for line in repeated)]).strip()
    for move, usd in allocation.marginal_usd_per_0_01_loss.items():
        rows.append(
            [
                f"$ per 0.01 lower loss: {move_label(move)}",
                "no gain" if usd is None else units.format_usd(usd),
            ]
        )
    return {
        "goal": allocation.goal,
        "binding": allocation.binding,
        "plan": plan,
        "rows": rows,
        "note": note,
        "versus": versus_rows(allocation),
        "laws": list(allocation.laws),
        "flags": list(allocation.flags),
    }
