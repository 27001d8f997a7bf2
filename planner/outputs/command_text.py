"""Text outputs of the other commands: hardware catalog, backtest, optimiser, fit, loss.

Every number goes through :mod:`planner.units`; JSON through :func:`planner.outputs.text.render_json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from planner import units
from planner.outputs.text import clean_text, md_cell, render_json

__all__ = [
    "NEGLIGIBLE_SHARE",
    "VERSUS_LABELS",
    "bought_text",
    "move_label",
    "negligible_sources",
    "pinned_text",
    "render_allocation",
    "render_backtest",
    "render_catalog",
    "render_fit",
    "render_loss",
    "render_split",
    "repeated_pools",
    "source_text",
    "versus_rows",
]


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _frame_text(frame: Any, fmt: str) -> str:
    """A pandas frame as table, JSON records, CSV or Markdown."""
    if fmt == "json":
        return render_json({"rows": json.loads(frame.to_json(orient="records"))})
    if fmt == "csv":
        return str(frame.to_csv(index=False))
    header = [str(c) for c in frame.columns]
    rows = [["" if _missing(v) else str(v) for v in row] for row in frame.itertuples(index=False)]
    if fmt == "markdown":
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        return (
            "\n".join(lines + ["| " + " | ".join(md_cell(c) for c in r) + " |" for r in rows])
            + "\n"
        )
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    return (
        "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
            for r in [header, *rows]
        )
        + "\n"
    )


def render_catalog(fmt: str) -> str:
    """The accelerator catalog (``planner hardware``)."""
    import pandas as pd

    from planner.scenario.accelerators import catalog

    frame = pd.DataFrame([a.model_dump() for a in catalog().values()])
    if fmt == "table":
        frame = frame[
            [
                "id",
                "name",
                "peak_bf16_tflops",
                "peak_fp8_tflops",
                "peak_fp4_tflops",
                "memory_gb",
                "tdp_w",
                "price_usd_per_hour",
                "price_date",
            ]
        ]
        return (
            _frame_text(frame, fmt)
            + "\nSources: planner hardware --format csv (price_source, spec_source)\n"
        )
    return _frame_text(frame, fmt)


def render_backtest(result: Any, fmt: str) -> str:
    """Backtest rows and summary (``planner backtest``)."""
    frame = result.to_frame()
    summary = result.summary()
    if fmt == "json":
        return render_json(
            {"summary": summary, "rows": json.loads(frame.to_json(orient="records"))}
        )
    if fmt == "csv":
        return str(frame.to_csv(index=False))

    def cells(column: str, fmt: Callable[[float], str]) -> Any:
        return frame[column].map(lambda v: "" if v is None or math.isnan(v) else fmt(v))

    shown = frame.assign(
        active_params=cells("active_params", units.format_count),
        tokens=cells("tokens", units.format_count),
        flops_6nd=cells("flops_6nd", lambda v: f"{v:.3g}"),
        flops_ratio=cells("flops_ratio", lambda v: f"{v:.3f}"),
        reported_hours=cells("reported_hours", units.format_count),
        predicted_hours=cells("predicted_hours", units.format_count),
        hours_ratio=cells("hours_ratio", lambda v: f"{v:.2f}"),
        implied_utilization=cells("implied_utilization", lambda v: f"{v:.1%}"),
        predicted_utilization=cells("predicted_utilization", lambda v: f"{v:.1%}"),
        step_utilization=cells("step_utilization", lambda v: f"{v:.1%}"),
        goodput=cells("goodput", lambda v: f"{v:.0%}"),
    )[
        [
            "model",
            "size_class",
            "accelerator",
            "active_params",
            "tokens",
            "flops_6nd",
            "flops_ratio",
            "reported_hours",
            "predicted_hours",
            "hours_ratio",
            "step_utilization",
            "goodput",
            "predicted_utilization",
            "implied_utilization",
            "in_range",
            "note",
        ]
    ]
    lines = [
        "",
        f"Scored runs: {summary['runs_scored']} (reported hours on one catalog accelerator; estimates excluded)",
        (
            "Hours model: whole-run MFU = per-step MFU of the best feasible layout x goodput "
            f"(planner.compute.hours; {summary['layout_runs']} runs, the others without link data use the "
            f"flat prior {summary['utilization']:.2f}, {summary['utilization_low']:.2f}-"
            f"{summary['utilization_high']:.2f})"
        ),
        (
            f"Median |ln(predicted/reported hours)|: {summary['median_abs_log_error']:.3f} "
            f"(a typical miss of x{math.exp(summary['median_abs_log_error']):.2f})"
        ),
        (
            f"Reported hours inside the predicted P10-P90: {summary['range_coverage']:.0%} of "
            f"scored runs; median P90/P10 x{summary['median_range_ratio']:.2f}"
        ),
        *(
            f"  {name}: {runs} runs, {coverage:.0%} inside P10-P90, typical miss x{miss:.2f}"
            for name, runs, coverage, miss in summary["by_class"]
        ),
        f"Median reported FLOPs / 6ND: {summary['median_flops_ratio']:.3f}",
        (
            "In-sample: the goodput is calibrated on these runs (planner.compute.calibration); the per-step "
            "speed on measured iterations (planner/data/step_benchmarks.csv)."
        ),
    ]
    prefix = "- " if fmt == "markdown" else ""
    return (
        _frame_text(shown, fmt)
        + "\n".join(prefix + line if line else line for line in lines)
        + "\n"
    )


NEGLIGIBLE_SHARE = 0.01
"""A source drawing under 1% of an optimised plan's tokens is shown as negligible (assumption:
a presentation threshold, not a modelling one; the optimiser keeps a sliver of every source
because its variables are bounded away from zero). An epochs threshold is not used: a large
real pool read at 0.005 epochs can still be a third of the run."""


def negligible_sources(allocation: Any) -> tuple[list[str], list[str], str]:
    """(kept, negligible, rule): sources of an optimiser's plan, split at NEGLIGIBLE_SHARE."""
    total = allocation.tokens or sum(allocation.source_tokens.values())
    kept: list[str] = []
    dropped: list[str] = []
    for name, tokens in allocation.source_tokens.items():
        (dropped if total > 0 and tokens < NEGLIGIBLE_SHARE * total else kept).append(name)
    return kept, dropped, f"each draws under {NEGLIGIBLE_SHARE:.0%} of the run's training tokens"


def move_label(move: str) -> str:
    """An optimiser's marginal move as words.

    >>> move_label("larger_model_10pct"), move_label("another_real_epoch")
    ('larger model (+10%)', 'another real epoch')
    """
    words = move.split("_")
    if words and words[-1].endswith("pct") and words[-1][:-3].isdigit():
        return " ".join(words[:-1]) + f" (+{words[-1][:-3]}%)"
    return " ".join(words)


def _general(value: float) -> str:
    return f"{value:.4g}"


def render_split(split: dict[str, float], fmt: str) -> str:
    """A FLOP budget's compute-optimal split (``planner optimize --flops``)."""
    if fmt == "json":
        return render_json(split)
    shown: dict[str, Callable[[float], str]] = {
        "params": units.format_count,
        "tokens": units.format_count,
        "unique_tokens": units.format_count,
        "flops": units.format_flops,
        "loss": lambda v: f"{v:.4f}",
        "epochs": lambda v: f"{v:.2f}",
    }
    return "".join(
        f"{name:14} {shown.get(name, _general)(value)}\n" for name, value in split.items()
    )


def repeated_pools(allocation: Any) -> list[str]:
    """The optimiser's pools read beyond ~4 epochs, each with why it matters and the fix."""
    from planner.plan.flags import EPOCHS_WARN, MUENNIGHOFF

    out = []
    for name, epochs in allocation.epochs.items():
        if epochs <= EPOCHS_WARN * (1 + 1e-6) or allocation.source_tokens.get(name, 0.0) <= 0:
            continue
        synthetic = name in allocation.synthetic_kept_tokens
        out.append(
            f"{name} is read {epochs:.1f} times: beyond ~{EPOCHS_WARN:g} epochs repeated tokens are "
            f"worth measurably less ({MUENNIGHOFF})"
            + (", and the mixture gains were measured on fresh synthetic data" if synthetic else "")
            + f"; optimize.max_epochs: {EPOCHS_WARN:g} keeps the plan within that evidence"
        )
    return out


def render_allocation(allocation: Any, fmt: str) -> str:
    """An optimiser result (``planner optimize FILE``)."""
    if fmt == "json":
        return render_json({**allocation.to_dict(), "warnings": repeated_pools(allocation)})
    a = allocation
    lines = [
        f"Goal: {a.goal}",
        f"Binding: {a.binding}",
        f"Parameters: {units.format_count(a.params)} ({units.format_count(a.active_params)} active)",
        f"Training tokens: {units.format_count(a.tokens)}",
        f"Inference tokens: {units.format_count(a.inference_tokens)}"
        + ("" if a.inference_tokens > 0 else " (none given: real recipes over-train for serving)"),
        f"Expected loss: {a.loss:.4f}",
        f"Total cost: {units.format_usd(a.total_cost_usd)}",
        f"Training FLOPs: {units.format_flops(a.training_flops)}",
        f"Wall-clock: {units.format_days(a.wall_clock_days)}",
    ]
    if a.pinned:
        lines.append(f"Pinned: {pinned_text(a.pinned)}")
    shown, negligible, rule = negligible_sources(a)
    for name in shown:
        lines.append(f"  data {name}: {source_text(a, name)}")
    if negligible:
        together = units.format_count(sum(a.source_tokens[n] for n in negligible))
        lines.append(f"  negligible ({rule}): {', '.join(negligible)}, {together} tokens together")
    for name in (n for n in a.bought_tokens if n in shown):  # a negligible pool's purchase is too
        lines.append(f"  buy {name}: {bought_text(a, name)}")
    lines += [f"warning: {w}" for w in repeated_pools(a)]
    lines.append("Dollars per 0.01 lower loss from:")
    for move, usd in a.marginal_usd_per_0_01_loss.items():
        lines.append(f"  {move_label(move)}: {'no gain' if usd is None else units.format_usd(usd)}")
    lines.append("Your plan vs recommended:")
    lines += [f"  {row[0]}: {row[1]} -> {row[2]} ({row[3]})" for row in versus_rows(a)]
    lines.append("Laws and presets:")
    lines += [f"  {law}" for law in a.laws]
    if a.flags:
        lines.append("Outside the evidence:")
        lines += [f"  - {flag}" for flag in a.flags]
    return "\n".join(lines) + "\n"


def pinned_text(pinned: dict[str, Any]) -> str:
    """Pinned decisions as words: ``params 14.7B, web share 0.3``."""
    parts = []
    if "params" in pinned:
        parts.append(f"params {units.format_count(pinned['params'])}")
    if "tokens" in pinned:
        parts.append(f"tokens {units.format_count(pinned['tokens'])}")
    parts += [f"{k} share {v:g}" for k, v in pinned.get("shares", {}).items()]
    return ", ".join(parts)


def source_text(allocation: Any, name: str) -> str:
    """One source of an optimiser's plan: tokens drawn, epochs, kept or bought tokens."""
    kept = allocation.synthetic_kept_tokens.get(name)
    bought = allocation.bought_tokens.get(name)
    extra = "" if kept is None else f", generate and keep {units.format_count(kept)}"
    extra += "" if bought is None else f", of {units.format_count(bought)} bought"
    tokens = units.format_count(allocation.source_tokens[name])
    return f"{tokens} tokens, {allocation.epochs.get(name, math.nan):.2f} epochs{extra}"


def bought_text(allocation: Any, name: str) -> str:
    """A licensed source's purchase: unique tokens bought and what they cost."""
    return (
        f"{units.format_count(allocation.bought_tokens[name])} unique tokens for "
        f"{units.format_usd(allocation.licence_usd.get(name, 0.0))} (licence and processing per "
        "token; the rest of the offer is not bought)"
    )


VERSUS_LABELS = {
    "params": ("parameters", units.format_count),
    "tokens": ("training tokens", units.format_count),
    "loss": ("expected loss", lambda v: f"{v:.4f}"),
    "total_cost_usd": ("total cost", units.format_usd),
    "wall_clock_days": ("wall-clock", units.format_days),
}


def versus_rows(allocation: Any) -> list[list[str]]:
    """The user's plan and the recommendation, paired: [quantity, plan, recommended, change]."""
    rows = []
    for key, (label, fmt) in VERSUS_LABELS.items():
        pair = allocation.versus_plan.get(key)
        if pair is None:
            continue
        diff = pair["difference"]
        change = (
            f"{diff:+.4f}"
            if key == "loss"
            else f"{pair['recommended'] / pair['plan'] - 1:+.0%}"
            if pair["plan"]
            else "-"
        )
        rows.append([label, fmt(pair["plan"]), fmt(pair["recommended"]), change])
    return rows


def render_fit(result: Any, fmt: str) -> str:
    """A fitted law (``planner fit``)."""
    if fmt == "json":
        return render_json(result.to_dict())
    law = result.law
    lines = [
        (
            f"Fitted on {result.runs} runs ({result.dropped} highest-loss dropped); R^2 on log loss "
            f"{result.r_squared:.4f}, residual sd {result.residual_std:.4f}"
        ),
        "",
    ]
    lines.append(f"{'constant':<18}{'value':>14}{'std error':>14}   95% interval")
    values = {"E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta}
    if result.synthetic_weight is not None:
        values["synthetic_weight"] = result.synthetic_weight
    for key, value in values.items():
        se = result.standard_errors.get(key)
        low, high = result.intervals.get(key, (math.nan, math.nan))
        lines.append(
            f"{key:<18}{value:>14.6g}{'' if se is None else f'{se:.4g}':>14}   "
            + ("" if se is None else f"({low:.4g}, {high:.4g})")
        )
    if result.synthetic_weight is not None:
        low, high = result.intervals.get(
            "synthetic_weight", (result.synthetic_weight, result.synthetic_weight)
        )
        lines += [
            "",
            (
                f"For scenarios: value_weight: {{low: {low:.3g}, point: {result.synthetic_weight:.3g}, "
                f"high: {high:.3g}}}"
            ),
        ]
    lines += [f"warning: {w}" for w in result.warnings]
    return "\n".join(lines) + "\n"


def render_loss(record: dict[str, Any], fmt: str) -> str:
    """An expected loss (``planner loss``): JSON keeps full precision, the table rounds.

    >>> print(render_loss({"loss": 1.930131417210358, "params": 7e10, "tokens": 1.4e12,
    ...                    "unique_tokens": None, "law": "hoffmann-2022"}, "table"), end="")
    loss           1.9301 nats/token
    params         70B
    tokens         1.4T
    unique_tokens  n/a
    law            hoffmann-2022
    """
    if fmt == "json":
        return render_json(record)
    shown = {
        "loss": f"{record['loss']:.4f} nats/token",
        "params": units.format_count(record["params"]),
        "active_params": units.format_count(record.get("active_params", record["params"])),
        "tokens": units.format_count(record["tokens"]),
        "unique_tokens": "n/a"
        if record["unique_tokens"] is None
        else units.format_count(record["unique_tokens"]),
    }
    lines = [
        f"{key:14} {clean_text(str(shown.get(key, value)))}"
        for key, value in record.items()
        if key != "warnings"  # printed on stderr, as every command's warnings
    ]
    return "\n".join(lines) + "\n"
