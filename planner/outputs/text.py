"""Text outputs of results: terminal table, JSON, CSV and Markdown.

Plans stand side by side as columns; every number goes through :mod:`planner.units`.
The HTML report is a separate module.
"""

from __future__ import annotations

import html
import json
import math
import re
import textwrap
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from typing import Any

from planner import units
from planner.plan.estimate import PlanResult, Results

__all__ = [
    "OPTIONAL_ROWS",
    "ROWS",
    "WIDTH",
    "clean_text",
    "flag_groups",
    "hours_model_cell",
    "md_cell",
    "optional",
    "paired_difference",
    "plan_range",
    "price_cell",
    "render",
    "render_json",
    "render_markdown",
    "render_plan",
    "render_table",
    "table_rows",
]


def _unit(plan: PlanResult) -> str:
    return "TPU-h" if plan.accelerator.startswith("tpu") else "GPU-h"


def plan_range(
    fmt: Callable[[float], str],
    mid: float,
    low: float | None,
    high: float | None,
    short: Callable[[float], str] | None = None,
) -> str:
    """``mid (low-high)``, or ``mid`` alone when there is no range; ``short`` formats the bounds
    without repeating the unit (the one range cell of the terminal table and the report).

    >>> plan_range(str, 2.0, 1.0, 3.0), plan_range(str, 2.0, None, None)
    ('2.0 (1.0-3.0)', '2.0')
    """
    if low is None or high is None or math.isclose(low, high, rel_tol=1e-9):
        return fmt(mid)
    bound = short or fmt
    return f"{fmt(mid)} ({bound(low)}-{bound(high)})"


def _accelerators(count: int | None) -> str:
    """``1 accelerator``, ``3 accelerators``, ``n/a accelerators`` when unknown.

    >>> _accelerators(1), _accelerators(3), _accelerators(None)
    ('1 accelerator', '3 accelerators', 'n/a accelerators')
    """
    if count is None:
        return "n/a accelerators"
    return f"{count:,} accelerator{'' if count == 1 else 's'}"


def optional(fmt: Callable[[float], str], value: float | None) -> str:
    """``fmt(value)``, or ``n/a`` when the value is unknown."""
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
    return plan_range(fmt, mid, low, high, short)


ROWS: tuple[Row, ...] = (
    (
        "Parameters (total / active)",
        lambda p: f"{units.format_count(p.params)} / {units.format_count(p.active_params)}",
    ),
    ("Training tokens", lambda p: units.format_count(p.tokens)),
    ("Synthetic share", lambda p: units.format_ratio(p.synthetic_share)),
    ("Effective tokens", lambda p: units.format_count(p.effective_tokens)),
    ("Mixture gain on effective data", lambda p: f"x{p.mixture_gain:.2f}"),
    (
        "Tokens/param (law optimum)",
        lambda p: (
            f"{p.tokens_per_param:.0f} ({optional(lambda v: f'{v:.0f}', p.optimal_tokens_per_param)})"
        ),
    ),
    ("Expected loss (P10-P90)", lambda p: _mc(p, "loss", lambda v: f"{v:.3f}")),
    ("Training FLOPs", lambda p: f"{units.format_flops(p.training_flops)} ({p.flops_convention})"),
    ("Accelerators", lambda p: f"{p.accelerator_count:,} x {p.accelerator} ({p.precision})"),
    (
        "Utilisation (MFU)",
        lambda p: plan_range(
            units.format_ratio, p.utilization, p.utilization_low, p.utilization_high
        ),
    ),
    ("Hours model (per-step MFU x goodput)", lambda p: hours_model_cell(p)),
    ("Layout for hours", lambda p: _layout_text(p)),
    (
        "Accelerator-hours",
        lambda p: _mc(
            p, "accelerator_hours", lambda h: units.format_hours(h, _unit(p)), units.format_count
        ),
    ),
    ("Wall-clock", lambda p: _mc(p, "wall_clock_days", units.format_days, units.format_number)),
    ("Generation + grading hours (self-hosted)", lambda p: _generation_hours(p)),
    ("Generation wall-clock", lambda p: _generation_days(p)),
    (
        "Combined wall-clock",
        lambda p: plan_range(
            units.format_days,
            p.combined_wall_clock_days,
            p.combined_wall_clock_days_low,
            p.combined_wall_clock_days_high,
            units.format_number,
        ),
    ),
    (
        "Memory, weights+grads+Adam",
        lambda p: f"{units.format_bytes(p.memory_bytes)} (>= {_accelerators(p.min_accelerators)})",
    ),
    ("Memory per accelerator", lambda p: _per_accelerator(p)),
    ("Failures (inside utilisation)", lambda p: _failures(p)),
    ("Price per accelerator-hour", lambda p: price_cell(p)),
    ("Training compute $", lambda p: units.format_usd(p.training_compute_usd)),
    ("Overhead $ (goodput)", lambda p: units.format_usd(p.overhead_usd)),
    ("Synthetic generation $", lambda p: units.format_usd(p.synthetic_generation_usd)),
    ("Grading $", lambda p: units.format_usd(p.grading_usd)),
    ("Real data $", lambda p: units.format_usd(p.real_data_usd)),
    ("Total $ (P10-P90)", lambda p: _mc(p, "total_cost_usd", units.format_usd)),
    ("Energy", lambda p: optional(units.format_energy, p.energy_kwh)),
    ("CO2", lambda p: optional(units.format_co2, p.co2_tonnes)),
)


def _generation_hours(plan: PlanResult) -> str:
    """Self-hosted generation and grading accelerator-hours, or "none" (API or no synthetic)."""
    if not plan.synthetic_accelerator_hours:
        return "none"
    return units.format_count(plan.synthetic_accelerator_hours) + " h"


def _generation_days(plan: PlanResult) -> str:
    if not plan.generation_wall_clock_days:
        return "none"
    return units.format_days(plan.generation_wall_clock_days)


def hours_model_cell(plan: PlanResult, with_layout: bool = False) -> str:
    """``47% x 62% goodput``: the two factors of the whole-run utilisation (planner.compute.hours),
    with the layout in brackets for the report; "stated utilisation" when the scenario gave one."""
    hardware = plan.hardware
    if (
        hardware is None
        or hardware.modelled_step_utilization is None
        or hardware.modelled_goodput is None
    ):
        return "stated utilisation"
    factors = (
        f"{units.format_ratio(hardware.modelled_step_utilization)} x "
        f"{units.format_ratio(hardware.modelled_goodput)}"
    )
    return f"{factors} ({hardware.layout_text})" if with_layout else f"{factors} goodput"


def _layout_text(plan: PlanResult) -> str:
    hardware = plan.hardware
    text = None if hardware is None else hardware.layout_text
    return text or "n/a"


def _per_accelerator(plan: PlanResult) -> str:
    """Memory one accelerator holds under the plan's layout, against what it can use."""
    memory = plan.memory_per_accelerator
    if memory is None:
        return "no layout given"
    text = f"{units.format_bytes(memory.total_bytes)} of {units.format_bytes(memory.usable_bytes)} usable"
    return text + (" (does not fit)" if memory.fits is False else "")


def _failures(plan: PlanResult) -> str:
    """Time lost to interruptions (already inside the whole-run utilisation, shown apart)."""
    hardware = plan.hardware
    if hardware is None:
        return "n/a"
    return (
        f"{units.format_count(hardware.failure_accelerator_hours)} h, "
        f"{units.format_usd(hardware.failure_usd)} ({hardware.failure_lost_share:.1%})"
    )


def paired_difference(plan: PlanResult) -> str | None:
    """``-0.013 (-0.036 to -0.004)``: the loss difference against the baseline on common Monte
    Carlo draws (what plans share cancels); None when not paired (no draws, the baseline itself,
    another file's plan) or when the loss is the same on every draw."""
    mid, low, high = plan.loss_vs_baseline_p50, plan.loss_vs_baseline_p10, plan.loss_vs_baseline_p90
    if mid is None or low is None or high is None or max(abs(low), abs(high)) < 1e-12:
        return None
    return f"{mid:+.3f} ({low:+.3f} to {high:+.3f})"


def _paired(plan: PlanResult, baseline: str) -> str:
    if plan.plan == baseline:
        return "baseline"
    if plan.loss_vs_baseline_p50 is None:
        return "not paired"  # no draws, or another file's plan (paired with its own baseline)
    return paired_difference(plan) or "same"


def _chance(plan: PlanResult, baseline: str) -> str:
    """Share of common draws in which the plan's loss is below the baseline's."""
    chance = plan.probability_below_baseline
    if plan.plan == baseline or chance is None or paired_difference(plan) is None:
        return "-"
    return f"{chance:.0%}"


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
        rows.append(
            [
                "Loss vs baseline (paired P10-P90)",
                *(_paired(p, results.baseline) for p in results.plans),
            ]
        )
        rows.append(
            [
                "Chance loss is below baseline",
                *(_chance(p, results.baseline) for p in results.plans),
            ]
        )
    for label, key, fmt in OPTIONAL_ROWS:
        if any(getattr(p, key) is not None for p in results.plans):
            rows.append([label, *(fmt(p) for p in results.plans)])
    return header, rows


OPTIONAL_ROWS: tuple[tuple[str, str, Callable[[PlanResult], str]], ...] = (
    (
        "Programme $ (development, ablations, eval)",
        "programme_usd",
        lambda p: optional(units.format_usd, p.programme_usd),
    ),
    (
        "Programme total $ (with the final run)",
        "programme_usd",
        lambda p: optional(units.format_usd, p.programme_total_usd),
    ),
    (
        "Training $ on owned accelerators (amortised)",
        "amortised_training_usd",
        lambda p: optional(units.format_usd, p.amortised_training_usd),
    ),
)
"""(label, field that must be set in some plan, format): rows shown only when a scenario asks for them (``programme:``, owned accelerators): separate
lines after the final run's total, so that total stays comparable with published costs."""


def price_cell(plan: PlanResult) -> str:
    """``$4.92 (2024-H2)``: the price and when the catalog quoted it (``given`` when the
    scenario set it), or "no price" naming the field to set (hours need none). The terminal
    table and the report both print the price here."""
    if plan.price_usd_per_hour is None or math.isnan(plan.price_usd_per_hour):
        return "no price: set training.price_usd_per_hour"
    when = plan.price_date or ("given" if plan.price_source == "given in the scenario" else "")
    return f"${plan.price_usd_per_hour:.2f}" + (f" ({when})" if when else "")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
"""Control characters (newline and tab included) and the Unicode direction overrides, which
would reorder or break a terminal table (U+202E shows the rest of a line backwards)."""
_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    if char in _ESCAPES:
        return _ESCAPES[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean_text(text: str) -> str:
    """Text from scenario files with control characters written as escapes (``\\n``,
    ``\\x1b``, ``\\u202e``), so a name cannot move the cursor, ring a bell or reverse a line.

    >>> clean_text("web\\x1b[31m\\x07\\tx\\u202e")
    'web\\\\x1b[31m\\\\x07\\\\tx\\\\u202e'
    """
    return _CONTROL.sub(_escaped, text)


def flag_groups(plans: Sequence[PlanResult]) -> list[dict[str, str]]:
    """Each distinct flag once, with the plans that raise it ("all plans" when every one does)."""
    grouped: dict[tuple[str, str, str], list[str]] = {}
    for plan in plans:
        for flag in plan.flags:
            grouped.setdefault((flag.level, flag.message, flag.source), []).append(plan.plan)
    return [
        {"level": level, "message": message, "source": source, "plans": _who(names, plans)}
        for (level, message, source), names in grouped.items()
    ]


def _who(names: list[str], plans: Sequence[PlanResult]) -> str:
    return "all plans" if len(names) == len(plans) > 1 else ", ".join(names)


def _footer(results: Results) -> list[str]:
    """Warnings and flags, each once with the plans it applies to; then notes."""
    plans = results.plans
    warned: dict[str, list[str]] = {}
    for plan in plans:
        for warning in plan.warnings:
            warned.setdefault(warning, []).append(plan.plan)
    lines = [f"warning ({_who(names, plans)}): {w}" for w, names in warned.items()]
    lines += [
        f"{f['level']} ({f['plans']}): {f['message']} [{f['source']}]" for f in flag_groups(plans)
    ]
    lines += [
        f"benchmark error ({p.plan}): {p.downstream_error:.3f}"
        for p in plans
        if p.downstream_error is not None
    ]
    lines += [
        f"predicted accuracy ({p.plan}): "
        + ", ".join(
            f"{t.task} {100 * t.accuracy:.1f}% ({100 * t.accuracy_p10:.1f}-{100 * t.accuracy_p90:.1f})"
            for t in p.tasks
        )
        for p in plans
        if p.tasks
    ]
    lines += [f"note: {n}" for n in results.notes]
    return [clean_text(line) for line in lines]


WIDTH: ContextVar[int | None] = ContextVar("WIDTH", default=None)
"""Widest terminal table, in characters (None: no limit). The CLI sets it from --width."""


def _chunks(widths: list[int], limit: int | None) -> list[list[int]]:
    """Plan columns (indexes from 1) in groups whose rows fit ``limit`` beside the label column."""
    columns = list(range(1, len(widths)))
    if limit is None:
        return [columns]
    groups: list[list[int]] = [[]]
    used = widths[0]
    for column in columns:
        if groups[-1] and used + 2 + widths[column] > limit:
            groups.append([])
            used = widths[0]
        groups[-1].append(column)
        used += 2 + widths[column]
    return groups


def render_table(results: Results, width: int | None = None) -> str:
    """Aligned plain-text table for the terminal.

    Plans stand side by side; when they do not fit ``width`` characters (default: WIDTH),
    they continue in further blocks under the same row labels.
    """
    header, rows = table_rows(results)
    header, rows = [clean_text(c) for c in header], [[clean_text(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    limit = width if width is not None else WIDTH.get()
    lines = [clean_text(f"{results.scenario}: {results.description}".rstrip(": ")), ""]
    for number, group in enumerate(_chunks(widths, limit)):
        if number:
            lines.append("")
        for row in [header, *rows]:
            cells = [row[0].ljust(widths[0])] + [row[i].rjust(widths[i]) for i in group]
            lines.append("  ".join(cells).rstrip())
    descriptions = [
        clean_text(f"{p.plan}: {p.description}")
        for p in results.plans
        if p.description and p.description != results.description
    ]
    lines += ([""] + descriptions if descriptions else []) + [""] + _footer(results)
    lines += _stage_lines(results)
    if limit is not None:
        lines = [
            textwrap.fill(line, limit, subsequent_indent="  ") if len(line) > limit else line
            for line in lines
        ]
    return "\n".join(lines) + "\n"


def _stage_lines(results: Results) -> list[str]:
    """Stage and programme-line tables of staged plans (planner.outputs.stage_tables); none otherwise."""
    if not any(p.stages or p.programme_lines for p in results.plans):
        return []
    from planner.outputs.stage_tables import stage_lines

    return [clean_text(line) for line in stage_lines(results.plans)]


def md_cell(text: str) -> str:
    """A Markdown table cell: no control characters, HTML escaped, pipes and newlines neutralised."""
    return html.escape(clean_text(text), quote=False).replace("|", "\\|").replace("\n", " ")


def render_markdown(results: Results) -> str:
    """GitHub-flavoured Markdown: a heading, the comparison table and the warnings."""
    header, rows = table_rows(results)
    lines = [f"## {md_cell(results.scenario)}", ""]
    if results.description:
        lines += [md_cell(results.description), ""]
    lines.append("| " + " | ".join(md_cell(h) or "metric" for h in header) + " |")
    lines.append("|" + "---|" * len(header))
    lines += ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]
    footer = _footer(results)
    if footer:
        lines += [""] + [f"- {md_cell(line)}" for line in footer]
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
    """Results as a table, JSON, CSV or Markdown (``fmt``)."""
    if fmt == "json":
        return render_json(results.to_dict())
    if fmt == "csv":
        return _csv(results)
    if fmt == "markdown":
        return render_markdown(results)
    return render_table(results)


def render_plan(results: Results, fmt: str) -> str:
    """A single plan (``planner estimate``): JSON is one flat object."""
    if fmt == "json":
        return render_json(results.plans[0].to_dict(sources=False))
    if fmt == "csv":
        return _csv(results)
    return render_markdown(results) if fmt == "markdown" else render_table(results)


def _csv(results: Results) -> str:
    """One row per plan; text a spreadsheet would run as a formula gets a leading quote."""
    from planner.io.streamed_tables import escape_formulas

    return str(escape_formulas(results.to_frame().reset_index()).to_csv(index=False))
