"""Report charts: matplotlib figures rendered to inline SVG strings.

Each function takes finished numbers and returns ``<svg ...>``; nothing here computes a
plan. How they look (fonts as SVG text, ``<title>``, tick labels, plan colours) is set in
:mod:`planner.outputs.chart_style`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence
from typing import Any

from planner.explore.analysis import Sensitivity, SharePoint
from planner.laws.task_fit import TaskCurve
from planner.outputs.chart_style import (
    COLORS,
    count_axis,
    drawn,
    figure,
    plan_label,
    plan_style,
    svg,
    usd_axis,
)
from planner.plan.estimate import PlanResult
from planner.plan.share_curves import MixtureCurve

__all__ = [
    "DODGE",
    "cost_breakdown",
    "heatmap",
    "loss_vs_cost",
    "share_curve",
    "sweep_frontier",
    "task_accuracy",
    "tokens_and_epochs",
    "tornado",
]

DODGE = 0.008
"""Plans with equal expected loss are drawn this share of the cost axis apart (presentation only)."""


def _legend_rows(count: int, columns: int) -> int:
    return math.ceil(count / max(columns, 1))


def _columns(labels: Sequence[str], width_chars: int = 110) -> int:
    """Legend columns that fit a 7.5-inch figure at 8 pt (about 110 characters a line)."""
    longest = max((len(label) for label in labels), default=1) + 6
    return max(1, min(len(labels), width_chars // longest))


@drawn
def cost_breakdown(plans: Sequence[PlanResult]) -> str:
    """Stacked bars per plan: training compute, overhead, synthetic generation, grading, real data."""
    parts = (("training compute", "training_compute_usd"), ("overhead", "overhead_usd"),
             ("synthetic generation", "synthetic_generation_usd"), ("grading", "grading_usd"),
             ("real data", "real_data_usd"))  # fmt: skip
    columns = _columns([label for label, _ in parts])
    chart = figure(7.5, 1.2 + 0.32 * len(plans) + 0.25 * _legend_rows(len(parts), columns))
    axes = chart.subplots()
    names = [p.plan for p in plans]
    rows = list(range(len(plans)))  # positions, not names: two shortened names may coincide
    left = [0.0] * len(plans)
    for (label, key), color in zip(parts, COLORS, strict=False):
        values = [getattr(p, key) for p in plans]
        axes.barh(rows, values, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, values, strict=True)]
    axes.set_yticks(rows, [plan_label(name) for name in names])
    axes.invert_yaxis()
    usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD)")
    axes.set_title("Cost breakdown per plan")
    chart.legend(loc="outside lower center", ncols=columns, frameon=False)
    return svg(chart, "Cost breakdown per plan: " + ", ".join(names))


def _dodged(plans: Sequence[PlanResult]) -> list[float]:
    """Cost positions, equal-loss plans nudged apart by DODGE of the cost span."""
    costs = [p.total_cost_usd for p in plans]
    span = (max(costs) - min(costs)) or max(costs) or 1.0
    groups: dict[str, list[int]] = {}
    for index, plan in enumerate(plans):
        groups.setdefault(f"{plan.loss:.4f}", []).append(index)
    shifted = list(costs)
    for members in groups.values():
        for rank, index in enumerate(members):
            shifted[index] += (rank - (len(members) - 1) / 2) * DODGE * span
    return shifted


@drawn
def loss_vs_cost(plans: Sequence[PlanResult], frontier: Sequence[str]) -> str:
    """Expected loss against total cost with P10-P90 bars, and the Pareto frontier."""
    labels = [plan_label(p.plan) for p in plans] + (
        ["Pareto frontier"] if len(frontier) > 1 else []
    )
    columns = _columns(labels)
    chart = figure(7.5, 3.8 + 0.22 * _legend_rows(len(labels), columns))
    axes = chart.subplots()
    for index, (plan, x) in enumerate(zip(plans, _dodged(plans), strict=True)):
        y = plan.loss
        cost = plan.total_cost_usd
        # a point estimate can sit outside its P10-P90 (it is not the median): bars never go negative
        xerr = [
            [max(0.0, cost - (plan.total_cost_usd_p10 or cost))],
            [max(0.0, (plan.total_cost_usd_p90 or cost) - cost)],
        ]
        yerr = [[max(0.0, y - (plan.loss_p10 or y))], [max(0.0, (plan.loss_p90 or y) - y)]]
        style = plan_style(index)
        axes.errorbar([x], [y], xerr=xerr, yerr=yerr, fmt=style["marker"], color=style["color"],
                      capsize=3, label=plan_label(plan.plan), markersize=6)  # fmt: skip
    front = sorted((p for p in plans if p.plan in frontier), key=lambda p: p.total_cost_usd)
    if len(front) > 1:
        axes.plot([p.total_cost_usd for p in front], [p.loss for p in front], "--", color="#333333",
                  label="Pareto frontier")  # fmt: skip
    usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD), P10-P90 bars")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title("Expected loss vs total cost")
    chart.legend(loc="outside lower center", ncols=columns, frameon=False)
    return svg(chart, "Expected loss vs total cost: " + ", ".join(p.plan for p in plans))


@drawn
def tokens_and_epochs(plans: Sequence[PlanResult]) -> str:
    """Tokens drawn per source (stacked) and epochs per pool, side by side."""
    sources = list(dict.fromkeys(s.name for p in plans for s in p.sources)) or ["all data"]
    columns = _columns(sources)
    chart = figure(7.5, 1.3 + 0.36 * len(plans) + 0.25 * _legend_rows(len(sources), columns))
    left_axes, right_axes = chart.subplots(1, 2, sharey=True, width_ratios=(3, 2))
    rows = list(range(len(plans)))
    left = [0.0] * len(plans)
    for number, source in enumerate(sources):
        color = plan_style(number)["color"]
        values = [next((s.tokens for s in p.sources if s.name == source), p.tokens if not p.sources else 0.0)
                  for p in plans]  # fmt: skip
        left_axes.barh(rows, values, left=left, label=source, color=color)
        left = [a + b for a, b in zip(left, values, strict=True)]
        epochs = [next((s.epochs or 0.0 for s in p.sources if s.name == source), 1.0 if not p.sources else 0.0)
                  for p in plans]  # fmt: skip
        offsets = [i + 0.8 * (number + 0.5) / len(sources) - 0.4 for i in rows]
        right_axes.barh(offsets, epochs, height=0.8 / len(sources), color=color)
    count_axis(left_axes.xaxis, bins=4)
    left_axes.set_yticks(rows, [plan_label(p.plan) for p in plans])
    left_axes.invert_yaxis()
    left_axes.set_xlabel("training tokens")
    left_axes.set_title("Tokens per source")
    chart.legend(*left_axes.get_legend_handles_labels(), loc="outside lower center", ncols=columns,
                 frameon=False)  # fmt: skip
    right_axes.axvline(4, color="#c44e52", linestyle=":", linewidth=1)
    right_axes.set_xlabel("epochs (dotted line: 4)")
    right_axes.set_title("Epochs per pool")
    return svg(chart, "Training tokens per source and epochs per pool")


@drawn
def share_curve(points: Sequence[SharePoint], plan: str, current: float, note: str = "") -> str:
    """Expected loss against synthetic share at the plan's total cost; the plan's share marked.

    When the curve stops short (``note`` says why), the chart says where and points to the caption.
    """
    chart = figure(7.5, 3.4)
    axes = chart.subplots()
    shares = [p.synthetic_share * 100 for p in points]
    axes.plot(
        shares, [p.loss for p in points], "o-", color=COLORS[0], label="loss at the same total cost"
    )
    axes.axvline(
        current * 100,
        color=COLORS[3],
        linestyle=":",
        label=f"{plan_label(plan)} today: {current:.0%}",
    )
    if note and shares and max(shares) < 80 - 1e-6:  # the grid runs to 80%: the rest was left out
        axes.axvline(max(shares), color="#8c8c8c", linestyle="--", linewidth=0.8,
                     label=f"curve ends at {max(shares):.0f}%: see caption")  # fmt: skip
    axes.set_xlim(0, max([80.0, *shares, current * 100]) + 2)
    axes.legend(loc="best")
    axes.set_xlabel("synthetic share of training tokens (%)")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title(f"Loss vs synthetic share at {plan_label(plan)}'s total cost")
    return svg(chart, f"Expected loss vs synthetic share at {plan}'s total cost")


@drawn
def mixture_curves(curves: Sequence[MixtureCurve], plan: str) -> str:
    """Expected loss against each synthetic kind's share at the plan's size and tokens, with
    the published speed-ups marked as the loss they imply (one marker style per paper)."""
    chart = figure(7.5, 3.6)
    axes = chart.subplots()
    for index, curve in enumerate(curves):
        axes.plot([s * 100 for s in curve.shares], curve.losses, "-", color=COLORS[index % len(COLORS)],
                  label=f"{curve.kind} (preset {curve.preset})")  # fmt: skip
        for point, loss in curve.published:
            axes.plot([point.share * 100], [loss], linestyle="none", marker="D", markersize=5,
                      markerfacecolor="white", color=COLORS[index % len(COLORS)],
                      label=f"published: {point.label}")  # fmt: skip
    axes.set_xlim(0, 100)
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    axes.set_xlabel("share of training tokens from the synthetic kind (%)")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title(f"Loss vs share per synthetic kind at {plan}'s size and tokens")
    return svg(chart, f"Expected loss vs share per synthetic kind at {plan}'s size and tokens")


@drawn
def tornado(rows: Sequence[Sensitivity], plan: str) -> str:
    """Change in total cost and in expected loss when each assumption goes low or high."""
    chart = figure(7.5, 1.6 + 0.42 * max(len(rows), 1))
    cost_axes, loss_axes = chart.subplots(1, 2, sharey=True)
    names = [textwrap.fill(r.assumption, 26) for r in rows]
    cost_axes.barh(
        names, [r.cost_low for r in rows], color=COLORS[0], label="assumption at its low value"
    )
    cost_axes.barh(
        names, [r.cost_high for r in rows], color=COLORS[1], label="assumption at its high value"
    )
    loss_axes.barh(names, [r.loss_low for r in rows], color=COLORS[0])
    loss_axes.barh(names, [r.loss_high for r in rows], color=COLORS[1])
    for axes in (cost_axes, loss_axes):
        axes.axvline(0, color="#333333", linewidth=0.8)
    from matplotlib.ticker import MaxNLocator

    loss_axes.xaxis.set_major_locator(MaxNLocator(nbins=4))
    cost_axes.invert_yaxis()
    usd_axis(cost_axes.xaxis, bins=6)
    cost_axes.set_xlabel("change in total cost (USD)")
    loss_axes.set_xlabel("change in expected loss (nats/token)")
    # one title for the pair: the axis labels name cost and loss (a "cost" title under a
    # "Sensitivity of base" heading once read as "Sensitivity of base cost")
    chart.suptitle(f"Sensitivity of {plan_label(plan)} to each assumption")
    chart.legend(
        *cost_axes.get_legend_handles_labels(), loc="outside lower center", ncols=2, frameon=False
    )
    return svg(chart, f"Sensitivity of {plan}'s cost and expected loss to each assumption")


@drawn
def sweep_frontier(cost: Any, loss: Any, on_front: Any) -> str:
    """Every sweep point's expected loss against total cost; the Pareto frontier drawn."""
    import numpy as np

    chart = figure(7.5, 4.0)
    axes = chart.subplots()
    cost_a, loss_a, front = np.asarray(cost), np.asarray(loss), np.asarray(on_front)
    shown = (
        slice(None)
        if len(cost_a) <= 20_000
        else np.linspace(0, len(cost_a) - 1, 20_000).astype(int)
    )
    axes.scatter(cost_a[shown], loss_a[shown], s=6, color=COLORS[0], alpha=0.5, label="grid points")
    order = np.argsort(cost_a[front])
    axes.plot(cost_a[front][order], loss_a[front][order], "-o", color=COLORS[3], markersize=3,
              label="Pareto frontier")  # fmt: skip
    usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD)")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title("Sweep: expected loss vs total cost")
    axes.legend()
    return svg(chart, "Sweep: expected loss vs total cost, with the Pareto frontier")


@drawn
def heatmap(
    x: Sequence[float], y: Sequence[float], values: Any, x_label: str, y_label: str, title: str
) -> str:
    """A colour map of ``values[i][j]`` over ``y[i]`` (rows) and ``x[j]`` (columns)."""
    from planner import units

    chart = figure(7.5, 4.2)
    axes = chart.subplots()
    mesh = axes.imshow(values, origin="lower", aspect="auto", cmap="viridis_r")
    axes.set_xticks(
        range(len(x)), units.tick_labels([float(v) for v in x]), rotation=45, ha="right"
    )
    axes.set_yticks(range(len(y)), units.tick_labels([float(v) for v in y]))
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title)
    chart.colorbar(mesh, ax=axes, label="expected loss (nats/token)")
    return svg(chart, title)


@drawn
def task_accuracy(curves: Sequence[TaskCurve], plans: Sequence[PlanResult], baseline: str) -> str:
    """Predicted accuracy per task against training compute (6·N·D, log axis) at the baseline's
    tokens per parameter, with P10-P90 bands; each plan's own prediction is marked."""
    chart = figure(7.5, 3.8)
    axes = chart.subplots()
    for index, curve in enumerate(curves):
        color = COLORS[index % len(COLORS)]
        axes.plot(
            curve.flops, [a * 100 for a in curve.accuracy], "-", color=color, label=curve.task
        )
        axes.fill_between(curve.flops, [a * 100 for a in curve.accuracy_p10],
                          [a * 100 for a in curve.accuracy_p90], color=color, alpha=0.15,
                          linewidth=0)  # fmt: skip
        for plan_index, plan in enumerate(plans):
            found = next((t for t in plan.tasks if t.task == curve.task), None)
            if found is not None:
                style = plan_style(plan_index)
                axes.plot([6 * found.params * found.tokens], [found.accuracy * 100],
                          linestyle="none", marker=style["marker"], markersize=5, color=color,
                          markeredgecolor="black", markeredgewidth=0.5)  # fmt: skip
    axes.set_xscale("log")
    axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
    axes.set_xlabel("training compute, 6·N·D (FLOPs)")
    axes.set_ylabel("predicted accuracy (%)")
    axes.set_title(f"Accuracy per task vs compute at {plan_label(baseline)}'s tokens per parameter")
    return svg(chart, f"Predicted accuracy per task vs compute, through {baseline}'s size")
