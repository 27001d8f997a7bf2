"""The report's recommended plan: the optimiser's answer, formatted (negligible sources merged)."""

from __future__ import annotations

import math
from typing import Any

from planner import units
from planner.explore.optimizer import Allocation
from planner.outputs.command_text import move_label, negligible_sources, repeated_pools

__all__ = ["recommended"]


def recommended(allocation: Allocation, plan: str) -> dict[str, Any]:
    """The optimiser's plan: figures, the data it draws (negligible sources merged and named)."""
    rows = [
        ["parameters", units.format_count(allocation.params)],
        ["training tokens", units.format_count(allocation.tokens)],
        ["expected loss", f"{allocation.loss:.4f}"],
        ["total cost", units.format_usd(allocation.total_cost_usd)],
        ["wall-clock", units.format_days(allocation.wall_clock_days)],
    ]
    kept, dropped, rule = negligible_sources(allocation)
    for name in kept:
        generated = allocation.synthetic_kept_tokens.get(name)
        extra = "" if generated is None else f", generate and keep {units.format_count(generated)}"
        rows.append(
            [
                f"data: {name}",
                (
                    f"{units.format_count(allocation.source_tokens[name])} tokens, "
                    f"{allocation.epochs.get(name, math.nan):.2f} epochs{extra}"
                ),
            ]
        )
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
    }
