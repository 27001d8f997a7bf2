"""Report charts: matplotlib figures rendered to inline SVG strings.

Each function takes finished numbers and returns ``<svg ...>``; nothing here computes
a plan. Output is deterministic (fixed hash salt, no date), so the same inputs give
the same bytes. Text is drawn as paths, so names from scenario files cannot inject markup.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from planner import units
from planner.analysis import Sensitivity, SharePoint
from planner.estimate import PlanResult

__all__ = [
    "COLORS",
    "cost_breakdown",
    "heatmap",
    "loss_vs_cost",
    "share_curve",
    "sweep_frontier",
    "tokens_and_epochs",
    "tornado",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = ("#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c")


def _figure(width: float = 7.5, height: float = 3.6) -> Figure:
    import matplotlib

    matplotlib.use("Agg")
    matplotlib.rcParams.update({"svg.hashsalt": "planner", "svg.fonttype": "path", "font.size": 9})
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _svg(figure: Figure) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _usd_axis(axis: object) -> None:
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(
        FuncFormatter(lambda v, _: units.format_usd(v) if v >= 0 else "-" + units.format_usd(-v))
    )  # type: ignore[attr-defined]


def cost_breakdown(plans: Sequence[PlanResult]) -> str:
    """Stacked bars per plan: training compute, overhead, synthetic generation, grading, real data."""
    figure = _figure(7.5, 0.6 + 0.45 * len(plans) + 1.2)
    axes = figure.subplots()
    parts = (
        ("training compute", "training_compute_usd"),
        ("overhead", "overhead_usd"),
        ("synthetic generation", "synthetic_generation_usd"),
        ("grading", "grading_usd"),
        ("real data", "real_data_usd"),
    )
    names = [p.plan for p in plans]
    left = [0.0] * len(plans)
    for (label, key), color in zip(parts, COLORS):
        values = [getattr(p, key) for p in plans]
        axes.barh(names, values, left=left, label=label, color=color)
        left = [a + b for a, b in zip(left, values)]
    axes.invert_yaxis()
    _usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD)")
    axes.set_title("Cost breakdown per plan")
    axes.legend(loc="lower center", bbox_to_anchor=(0.5, 1.08), ncols=5, frameon=False, fontsize=8)
    return _svg(figure)


def loss_vs_cost(plans: Sequence[PlanResult], frontier: Sequence[str]) -> str:
    """Expected loss against total cost with P10-P90 bars, and the Pareto frontier."""
    figure = _figure(7.5, 4.2)
    axes = figure.subplots()
    for plan, color in zip(plans, COLORS * 10):
        x, y = plan.total_cost_usd, plan.loss
        xerr = [[x - (plan.total_cost_usd_p10 or x)], [(plan.total_cost_usd_p90 or x) - x]]
        yerr = [[y - (plan.loss_p10 or y)], [(plan.loss_p90 or y) - y]]
        axes.errorbar(
            [x], [y], xerr=xerr, yerr=yerr, fmt="o", color=color, capsize=3, label=plan.plan
        )
    front = sorted((p for p in plans if p.plan in frontier), key=lambda p: p.total_cost_usd)
    if len(front) > 1:
        axes.plot(
            [p.total_cost_usd for p in front],
            [p.loss for p in front],
            "--",
            color="#333333",
            label="Pareto frontier",
        )
    _usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD), P10-P90 bars")
    axes.set_ylabel("expected loss (nats/token), P10-P90 bars")
    axes.set_title("Expected loss vs total cost")
    axes.legend(fontsize=8, loc="best")
    return _svg(figure)


def tokens_and_epochs(plans: Sequence[PlanResult]) -> str:
    """Tokens drawn per source (stacked) and epochs per pool, side by side."""
    figure = _figure(7.5, 0.8 + 0.45 * len(plans) + 1.2)
    left_axes, right_axes = figure.subplots(1, 2)
    names = [p.plan for p in plans]
    sources = list(dict.fromkeys(s.name for p in plans for s in p.sources)) or ["all data"]
    left = [0.0] * len(plans)
    for source, color in zip(sources, COLORS * 10):
        values = [
            next(
                (s.tokens for s in p.sources if s.name == source),
                p.tokens if not p.sources else 0.0,
            )
            for p in plans
        ]
        left_axes.barh(names, values, left=left, label=source, color=color)
        left = [a + b for a, b in zip(left, values)]
        epochs = [
            next(
                (s.epochs or 0.0 for s in p.sources if s.name == source),
                1.0 if not p.sources else 0.0,
            )
            for p in plans
        ]
        offsets = [
            i + 0.8 * (sources.index(source) + 0.5) / len(sources) - 0.4 for i in range(len(plans))
        ]
        right_axes.barh(offsets, epochs, height=0.8 / len(sources), color=color)
    from matplotlib.ticker import FuncFormatter

    left_axes.xaxis.set_major_formatter(
        FuncFormatter(lambda v, _: units.format_count(v) if v > 0 else "0")
    )
    left_axes.invert_yaxis()
    left_axes.set_xlabel("training tokens")
    left_axes.set_title("Tokens per source")
    figure.legend(
        *left_axes.get_legend_handles_labels(),
        loc="outside lower center",
        ncols=min(len(sources), 6),
        frameon=False,
        fontsize=8,
    )
    right_axes.set_yticks(range(len(plans)), names)
    right_axes.invert_yaxis()
    right_axes.axvline(4, color="#c44e52", linestyle=":", linewidth=1)
    right_axes.set_xlabel("epochs (dotted line: 4)")
    right_axes.set_title("Epochs per pool")
    return _svg(figure)


def share_curve(points: Sequence[SharePoint], plan: str, current: float) -> str:
    """Expected loss against synthetic share at the plan's total cost; the plan's share marked."""
    figure = _figure(7.5, 3.4)
    axes = figure.subplots()
    axes.plot(
        [p.synthetic_share * 100 for p in points], [p.loss for p in points], "o-", color=COLORS[0]
    )
    axes.axvline(current * 100, color=COLORS[3], linestyle=":", label=f"{plan}: {current:.0%}")
    axes.legend(fontsize=8, loc="best")
    axes.set_xlabel("synthetic share of training tokens (%)")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title(f"Loss vs synthetic share at {plan}'s total cost")
    return _svg(figure)


def tornado(rows: Sequence[Sensitivity], plan: str) -> str:
    """Change in total cost and in expected loss when each assumption goes low or high."""
    figure = _figure(7.5, 0.8 + 0.42 * max(len(rows), 1) + 0.6)
    cost_axes, loss_axes = figure.subplots(1, 2, sharey=True)
    names = [r.assumption for r in rows]
    cost_axes.barh(names, [r.cost_low for r in rows], color=COLORS[0], label="low value")
    cost_axes.barh(names, [r.cost_high for r in rows], color=COLORS[1], label="high value")
    loss_axes.barh(names, [r.loss_low for r in rows], color=COLORS[0])
    loss_axes.barh(names, [r.loss_high for r in rows], color=COLORS[1])
    for axes in (cost_axes, loss_axes):
        axes.axvline(0, color="#333333", linewidth=0.8)
    cost_axes.invert_yaxis()
    _usd_axis(cost_axes.xaxis)
    cost_axes.set_xlabel("change in total cost (USD)")
    loss_axes.set_xlabel("change in expected loss (nats/token)")
    cost_axes.set_title(f"Sensitivity of {plan}: cost")
    loss_axes.set_title("Sensitivity: loss")
    cost_axes.legend(fontsize=8, loc="lower right")
    return _svg(figure)


def sweep_frontier(cost: Any, loss: Any, on_front: Any) -> str:
    """Every sweep point's expected loss against total cost; the Pareto frontier drawn."""
    import numpy as np

    figure = _figure(7.5, 4.0)
    axes = figure.subplots()
    cost_a, loss_a, front = np.asarray(cost), np.asarray(loss), np.asarray(on_front)
    shown = (
        slice(None)
        if len(cost_a) <= 20_000
        else np.linspace(0, len(cost_a) - 1, 20_000).astype(int)
    )
    axes.scatter(cost_a[shown], loss_a[shown], s=6, color=COLORS[0], alpha=0.5, label="grid points")
    order = np.argsort(cost_a[front])
    axes.plot(
        cost_a[front][order],
        loss_a[front][order],
        "-o",
        color=COLORS[3],
        markersize=3,
        label="Pareto frontier",
    )
    _usd_axis(axes.xaxis)
    axes.set_xlabel("total cost (USD)")
    axes.set_ylabel("expected loss (nats/token)")
    axes.set_title("Sweep: expected loss vs total cost")
    axes.legend(fontsize=8)
    return _svg(figure)


def heatmap(
    x: Sequence[float],
    y: Sequence[float],
    values: Sequence[Sequence[float]],
    x_label: str,
    y_label: str,
    title: str,
) -> str:
    """A colour map of ``values[i][j]`` over ``y[i]`` (rows) and ``x[j]`` (columns)."""
    figure = _figure(7.5, 4.2)
    axes = figure.subplots()
    mesh = axes.imshow(values, origin="lower", aspect="auto", cmap="viridis_r")
    axes.set_xticks(range(len(x)), [f"{v:.3g}" for v in x], rotation=45, ha="right")
    axes.set_yticks(range(len(y)), [f"{v:.3g}" for v in y])
    axes.set_xlabel(x_label)
    axes.set_ylabel(y_label)
    axes.set_title(title)
    figure.colorbar(mesh, ax=axes, label="expected loss (nats/token)")
    return _svg(figure)
