"""Text outputs of results: terminal table, JSON, CSV and Markdown.

Plans stand side by side as columns; every number goes through :mod:`planner.units`.
The HTML report is a separate module.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from planner import units
from planner.estimate import PlanResult, Results

__all__ = [
    "FORMATS",
    "NEGLIGIBLE_SHARE",
    "ROWS",
    "negligible_sources",
    "render",
    "render_allocation",
    "render_backtest",
    "render_catalog",
    "render_fit",
    "render_json",
    "render_markdown",
    "render_plan",
    "render_table",
    "table_rows",
]

FORMATS = ("table", "json", "csv", "markdown")


def _unit(plan: PlanResult) -> str:
    return "TPU-h" if plan.accelerator.startswith("tpu") else "GPU-h"


def _range(
    fmt: Callable[[float], str],
    mid: float,
    low: float,
    high: float,
    short: Callable[[float], str] | None = None,
) -> str:
    """``mid (low-high)``; ``short`` formats the bounds without repeating the unit."""
    if math.isclose(low, high):
        return fmt(mid)
    bound = short or fmt
    return f"{fmt(mid)} ({bound(low)}-{bound(high)})"


def _optional(fmt: Callable[[float], str], value: float | None) -> str:
    return "n/a" if value is None else fmt(value)


Row = tuple[str, Callable[[PlanResult], str]]


def _mc(
    p: PlanResult,
    name: str,
    fmt: Callable[[float], str],
    short: Callable[[float], str] | None = None,
) -> str:
    """Point value with the Monte Carlo P10-P90 when sampled, else the utilisation range."""
    mid = getattr(p, name)
    low, high = getattr(p, f"{name}_p10", None), getattr(p, f"{name}_p90", None)
    if low is None or high is None:
        low, high = getattr(p, f"{name}_low", mid), getattr(p, f"{name}_high", mid)
    return _range(fmt, mid, low, high, short)


ROWS: tuple[Row, ...] = (
    (
        "Parameters (total / active)",
        lambda p: f"{units.format_count(p.params)} / {units.format_count(p.active_params)}",
    ),
    ("Training tokens", lambda p: units.format_count(p.tokens)),
    ("Synthetic share", lambda p: units.format_ratio(p.synthetic_share)),
    ("Effective tokens", lambda p: units.format_count(p.effective_tokens)),
    (
        "Tokens/param (law optimum)",
        lambda p: (
            f"{p.tokens_per_param:.0f} ({_optional(lambda v: f'{v:.0f}', p.optimal_tokens_per_param)})"
        ),
    ),
    ("Expected loss (P10-P90)", lambda p: _mc(p, "loss", lambda v: f"{v:.3f}")),
    ("Training FLOPs", lambda p: f"{units.format_flops(p.training_flops)} ({p.flops_convention})"),
    ("Accelerators", lambda p: f"{p.accelerator_count:,} x {p.accelerator} ({p.precision})"),
    (
        "Utilisation (MFU)",
        lambda p: _range(units.format_ratio, p.utilization, p.utilization_low, p.utilization_high),
    ),
    (
        "Accelerator-hours",
        lambda p: _mc(
            p, "accelerator_hours", lambda h: units.format_hours(h, _unit(p)), units.format_count
        ),
    ),
    ("Wall-clock", lambda p: _mc(p, "wall_clock_days", units.format_days, units.format_number)),
    (
        "Memory, weights+grads+Adam",
        lambda p: (
            f"{units.format_bytes(p.memory_bytes)} (>= {_optional(str, p.min_accelerators)} accelerators)"
        ),
    ),
    ("Price per accelerator-hour", lambda p: f"${p.price_usd_per_hour:.2f}"),
    ("Training $", lambda p: units.format_usd(p.training_cost_usd)),
    ("Synthetic generation $", lambda p: units.format_usd(p.synthetic_generation_usd)),
    ("Grading $", lambda p: units.format_usd(p.grading_usd)),
    ("Real data $", lambda p: units.format_usd(p.real_data_usd)),
    ("Total $ (P10-P90)", lambda p: _mc(p, "total_cost_usd", units.format_usd)),
    ("Energy", lambda p: _optional(units.format_energy, p.energy_kwh)),
    ("CO2", lambda p: _optional(units.format_co2, p.co2_tonnes)),
)


def _delta(plan: PlanResult, base: PlanResult) -> str:
    if plan is base:
        return "baseline"
    change = plan.total_cost_usd / base.total_cost_usd - 1 if base.total_cost_usd else math.nan
    return f"{change:+.0%}"


def table_rows(results: Results) -> tuple[list[str], list[list[str]]]:
    """Header and rows: one row per metric, one column per plan."""
    header = ["", *(p.plan for p in results.plans)]
    rows = [[label, *(fmt(p) for p in results.plans)] for label, fmt in ROWS]
    if len(results.plans) > 1:
        base = results[results.baseline]
        rows.append(["Total $ vs baseline", *(_delta(p, base) for p in results.plans)])
    return header, rows


def _footer(results: Results) -> list[str]:
    lines = []
    for plan in results.plans:
        lines += [f"warning ({plan.plan}): {w}" for w in plan.warnings]
        lines += [f"{f.level} ({plan.plan}): {f.message} [{f.source}]" for f in plan.flags]
        if plan.downstream_error is not None:
            lines.append(f"benchmark error ({plan.plan}): {plan.downstream_error:.3f}")
    lines += [f"note: {n}" for n in results.notes]
    return lines


def render_table(results: Results) -> str:
    """Aligned plain-text table for the terminal."""
    header, rows = table_rows(results)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [f"{results.scenario}: {results.description}".rstrip(": "), ""]
    for row in [header, *rows]:
        lines.append(
            "  ".join(
                cell.ljust(w) if i == 0 else cell.rjust(w)
                for i, (cell, w) in enumerate(zip(row, widths))
            ).rstrip()
        )
    descriptions = [
        f"{p.plan}: {p.description}"
        for p in results.plans
        if p.description and p.description != results.description
    ]
    return (
        "\n".join(lines + ([""] + descriptions if descriptions else []) + [""] + _footer(results))
        + "\n"
    )


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(results: Results) -> str:
    """GitHub-flavoured Markdown: a heading, the comparison table and the warnings."""
    header, rows = table_rows(results)
    lines = [f"## {_md_cell(results.scenario)}", ""]
    if results.description:
        lines += [_md_cell(results.description), ""]
    lines.append("| " + " | ".join(_md_cell(h) or "metric" for h in header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]
    footer = _footer(results)
    if footer:
        lines += [""] + [f"- {_md_cell(line)}" for line in footer]
    return "\n".join(lines) + "\n"


def _clean(value: Any) -> Any:
    """NaN and infinities are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def render_json(data: dict[str, Any]) -> str:
    return json.dumps(_clean(data), indent=2) + "\n"


def render(results: Results, fmt: str) -> str:
    """Results in one of FORMATS."""
    if fmt == "json":
        return render_json(results.to_dict())
    if fmt == "csv":
        return str(results.to_frame().to_csv())
    if fmt == "markdown":
        return render_markdown(results)
    return render_table(results)


def render_plan(results: Results, fmt: str) -> str:
    """A single plan (``planner estimate``): JSON is one flat object."""
    if fmt == "json":
        return render_json(results.plans[0].to_dict(sources=False))
    if fmt == "csv":
        return str(results.to_frame().to_csv())
    return render_markdown(results) if fmt == "markdown" else render_table(results)


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
            "\n".join(lines + ["| " + " | ".join(_md_cell(c) for c in r) + " |" for r in rows])
            + "\n"
        )
    widths = [max(len(x) for x in col) for col in zip(header, *rows)]
    return (
        "\n".join(
            "  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in [header, *rows]
        )
        + "\n"
    )


def render_catalog(fmt: str) -> str:
    """The accelerator catalog (``planner hardware``)."""
    import pandas as pd

    from planner.hardware import catalog

    frame = pd.DataFrame([a.model_dump() for a in catalog().values()])
    if fmt == "table":
        frame = frame[
            [
                "id",
                "name",
                "peak_bf16_tflops",
                "peak_fp8_tflops",
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
    )[
        [
            "model",
            "accelerator",
            "active_params",
            "tokens",
            "flops_6nd",
            "flops_ratio",
            "reported_hours",
            "predicted_hours",
            "hours_ratio",
            "implied_utilization",
            "note",
        ]
    ]
    lines = [
        "",
        f"Scored runs: {summary['runs_scored']} (reported hours on one catalog accelerator; estimates excluded)",
        f"Default utilisation: {summary['utilization']:.2f} (range {summary['utilization_low']:.2f}-{summary['utilization_high']:.2f})",
        (
            f"Median |ln(predicted/reported hours)|: {summary['median_abs_log_error']:.3f} "
            f"(a typical miss of x{math.exp(summary['median_abs_log_error']):.2f})"
        ),
        (
            f"Reported hours inside the predicted P10-P90 (utilisation {summary['utilization_low']:.2f}-"
            f"{summary['utilization_high']:.2f}): {summary['range_coverage']:.0%} of scored runs"
        ),
        f"Median reported FLOPs / 6ND: {summary['median_flops_ratio']:.3f}",
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


def render_allocation(allocation: Any, fmt: str) -> str:
    """An optimiser result (``planner optimize FILE``)."""
    if fmt == "json":
        return render_json(allocation.to_dict())
    a = allocation
    lines = [
        f"Goal: {a.goal}",
        f"Binding: {a.binding}",
        f"Parameters: {units.format_count(a.params)}",
        f"Training tokens: {units.format_count(a.tokens)}",
        f"Expected loss: {a.loss:.4f}",
        f"Total cost: {units.format_usd(a.total_cost_usd)}",
        f"Training FLOPs: {units.format_flops(a.training_flops)}",
        f"Wall-clock: {units.format_days(a.wall_clock_days)}",
    ]
    shown, negligible, rule = negligible_sources(a)
    for name in shown:
        kept = a.synthetic_kept_tokens.get(name)
        extra = f", generate and keep {units.format_count(kept)}" if kept is not None else ""
        tokens = units.format_count(a.source_tokens[name])
        lines.append(
            f"  data {name}: {tokens} tokens, {a.epochs.get(name, math.nan):.2f} epochs{extra}"
        )
    if negligible:
        together = units.format_count(sum(a.source_tokens[n] for n in negligible))
        lines.append(f"  negligible ({rule}): {', '.join(negligible)}, {together} tokens together")
    lines.append("Dollars per 0.01 lower loss from:")
    for move, usd in a.marginal_usd_per_0_01_loss.items():
        lines.append(
            f"  {move.replace('_', ' ')}: {'no gain' if usd is None else units.format_usd(usd)}"
        )
    return "\n".join(lines) + "\n"


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
