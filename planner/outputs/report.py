"""The HTML budget report: one self-contained page comparing plans.

Takes finished :class:`~planner.plan.estimate.Results`, builds a typed :class:`ReportContext`
(every number already formatted through :mod:`planner.units`), and renders the package's
jinja2 templates with autoescaping and StrictUndefined. No maths happens in templates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from planner import units
from planner.explore.analysis import Analysis, pareto
from planner.outputs import charts, report_tables, stage_tables, task_tables
from planner.outputs.recommended import recommended
from planner.outputs.text import plan_range
from planner.plan.estimate import PlanResult, Results
from planner.version import __version__

__all__ = [
    "Chart",
    "ReportContext",
    "ReportPage",
    "build_context",
    "environment",
    "render_fragment",
    "render_report",
    "report_page",
    "write_report",
]


@dataclass(frozen=True)
class Chart:
    id: str
    """Anchor id, ``chart-<id>`` in the page."""
    svg: Any
    """Inline SVG, marked safe (drawn by planner.outputs.charts)."""
    caption: str


@dataclass(frozen=True)
class ReportContext:
    """Everything the template shows; each field is ready to print."""

    version: str
    """planner version."""
    title: str
    """Scenario name(s)."""
    description: str
    """Scenario description(s)."""
    baseline: str
    """Plan the deltas are measured against."""
    law_note: str
    """Which law the losses come from and why they are not absolute."""
    summary_headers: list[str]
    """Columns of the summary table."""
    summary_rows: list[list[str]]
    """One row per plan."""
    summary_classes: list[str]
    """CSS class per summary row (the baseline is marked)."""
    cost_headers: list[str]
    """Columns of the cost table (dollars by component)."""
    cost_rows: list[list[str]]
    """One row per plan: dollars by component, point estimates."""
    resource_headers: list[str]
    """Columns of the resource table."""
    resource_rows: list[list[str]]
    """One row per plan: accelerators, hours, days, energy, CO2, memory."""
    time_headers: list[str]
    """Columns of the time table (hours model, generation, combined wall-clock)."""
    time_rows: list[list[str]]
    """One row per plan: where its hours come from and how long until the model exists."""
    samples: int
    """Monte Carlo draws per plan."""
    seed: int
    """Monte Carlo seed."""
    charts: list[Chart]
    """The charts, in page order."""
    chart_notes: list[str]
    """Why a chart is absent (no plan with synthetic data, no analysis)."""
    source_headers: list[str]
    """Columns of the data-source table."""
    source_rows: list[list[str]]
    """One row per (plan, source)."""
    price_rows: list[list[str]]
    """The scenario prices behind the sources' dollars: source, prices, plans they apply to."""
    flags: list[dict[str, str]]
    """Risk flags, each once: level, message, source and the plans it applies to."""
    warnings: list[str]
    """Compute and cost warnings."""
    notes: list[str]
    """Notes on how to read the numbers."""
    assumptions: list[list[str]]
    """Defaults and choices in force, each with its source."""
    files: list[dict[str, str]]
    """Scenario files and their sha256."""
    generated: str
    """The date line (the only part that changes between identical runs)."""
    gains: list[str] = field(default_factory=list)
    """Each plan's mixture gain on effective data, ``plan x1.68``."""
    recommended: dict[str, Any] | None = field(default=None)
    """The optimiser's plan, when one was run."""
    stage_headers: list[str] = field(default_factory=list)
    """Columns of the stage table (empty for single-stage runs)."""
    stage_rows: list[list[str]] = field(default_factory=list)
    """One row per stage of each staged plan, then the plan's total (planner.outputs.stage_tables)."""
    stage_mix_headers: list[str] = field(default_factory=list)
    """Columns of the stage-mix table."""
    stage_mix_rows: list[list[str]] = field(default_factory=list)
    """One row per (plan, stage, source drawn)."""
    programme_line_headers: list[str] = field(default_factory=list)
    """Columns of the programme-line table (ladder, valuation anneals)."""
    programme_line_rows: list[list[str]] = field(default_factory=list)
    """One row per recipe-search line of each plan."""
    task_headers: list[str] = field(default_factory=list)
    """Columns of the per-task accuracy table: task, then one per plan with task fits."""
    task_rows: list[list[str]] = field(default_factory=list)
    """Predicted accuracy per task and plan with P10-P90 (empty without downstream.tasks)."""
    task_note: str = ""
    """How the per-task accuracies were predicted and what they do not see."""
    stage_effect_note: str = ""
    """Published effects of a comparable stage are measurements of other models, not predictions."""
    stage_effect_headers: list[str] = field(default_factory=list)
    """Columns of the published stage-effect table."""
    stage_effect_rows: list[list[str]] = field(default_factory=list)
    """Published stage-2 effects per task (planner/data/stage_effects.csv), with sources."""


def _dodge_note(plans: list[PlanResult]) -> str:
    losses = [f"{p.loss:.4f}" for p in plans]
    if len(set(losses)) == len(losses):
        return ""
    return (
        f" Plans with equal expected loss are drawn {charts.DODGE:.1%} of the cost axis apart so that "
        "their bars stay distinguishable; the table has their exact costs."
    )


def _chart_notes(found: Analysis, given: bool = True) -> list[str]:
    """Why a chart is absent, instead of dropping it silently."""
    if not given:  # the README's one-line library call: say what is missing and how to get it
        return [
            (
                "No recommended plan, synthetic-share curve or sensitivity chart: this page was "
                "rendered without an analysis. Pass analysis=planner.analyse(results) to "
                "planner.render_report (the planner command does) to add them."
            )
        ]
    notes = []
    if not found.share_curve:
        reason = found.share_curve_note or "No analysis was given to the report."
        notes.append(
            f"No synthetic-share curve: {reason} It needs a plan with both real and synthetic sources."
        )
    if not found.sensitivity:
        notes.append("No sensitivity chart: no analysis of the baseline was given to the report.")
    return notes


def _charts(results: Results, plans: list[PlanResult], found: Analysis) -> list[Chart]:
    """The charts of the finished results and analysis, in page order."""
    from markupsafe import Markup

    items = [
        Chart(
            "cost",
            Markup(charts.cost_breakdown(plans)),
            "Total cost per plan, stacked: training compute, overhead (goodput), synthetic generation, "
            "grading and real-data acquisition.",
        ),
        Chart(
            "loss-cost",
            Markup(charts.loss_vs_cost(plans, found.frontier)),
            f"Expected loss against total cost with P10-P90 bars. Pareto frontier: {', '.join(found.frontier)}."
            + _dodge_note(plans),
        ),
        Chart(
            "tokens",
            Markup(charts.tokens_and_epochs(plans)),
            "Training tokens drawn from each source, and epochs over each pool's unique tokens.",
        ),
    ]
    curve_plan = found.share_curve_plan
    if found.share_curve and curve_plan is not None:
        share = results[curve_plan].synthetic_share
        caption = (
            f"Expected loss of {curve_plan} as its synthetic share changes, holding its total cost: "
            "training tokens adjust to spend the same. Shares from 0 to 80% are computed."
        )
        if found.share_curve_note:
            caption += f" {found.share_curve_note}"
        svg = charts.share_curve(found.share_curve, curve_plan, share, found.share_curve_note)
        items.append(Chart("share", Markup(svg), caption))
    if found.mixture_curves and curve_plan is not None:
        presets = "; ".join(
            f"{c.kind}: {c.preset} ({c.preset_source})" for c in found.mixture_curves
        )
        items.append(
            Chart(
                "mixture",
                Markup(charts.mixture_curves(found.mixture_curves, curve_plan)),
                f"Expected loss of a run of {curve_plan}'s size and tokens as one synthetic kind's "
                "share moves from 0 to 100%, the rest ample fresh web text; open diamonds are "
                f"published speed-ups turned into the loss they imply. Presets: {presets}.",
            )
        )
    if found.task_curves:
        items.append(
            Chart(
                "tasks",
                Markup(charts.task_accuracy(found.task_curves, plans, results.baseline)),
                f"Predicted accuracy per task against training compute (6·N·D), scaling "
                f"{results.baseline}'s parameters and tokens together (its tokens per parameter "
                "held), with P10-P90 bands over the ladder fit's bootstrap resamples; markers are "
                "each plan's own prediction. " + task_tables.TASK_NOTE,
            )
        )
    if found.sensitivity:
        items.append(
            Chart(
                "tornado",
                Markup(charts.tornado(found.sensitivity, results.baseline)),
                f"How far each assumption, at its low and high value, moves the cost and expected loss "
                f"of {results.baseline}.",
            )
        )
    return items


def build_context(
    results: Results, *, analysis: Analysis | None = None, generated: str | None = None
) -> ReportContext:
    """Everything the page shows, formatted here from finished results and analysis.

    ``analysis`` comes from :func:`planner.explore.analysis.analyse`; without one the page shows the
    plans, the frontier and no what-if charts (nothing is computed while rendering).
    """
    plans: list[PlanResult] = list(results.plans)
    found = analysis if analysis is not None else Analysis(frontier=pareto(plans))
    base_input = next((i for i in results.inputs if i.name == results.baseline), None)
    summary_headers, summary_rows, summary_classes = report_tables.summary_table(results)
    source_headers, source_rows = report_tables.source_table(results)
    cost_headers, cost_rows = report_tables.cost_table(results)
    resource_headers, resource_rows = report_tables.resource_table(results)
    time_headers, time_rows = report_tables.time_table(results)
    law = base_input.scenario.law if base_input else None
    task_headers, task_rows = task_tables.task_table(results)
    allocation = found.allocation
    stage_headers, stage_rows = stage_tables.stage_table(plans)
    # published effects of a comparable stage: beside task predictions or a staged plan
    effect_note, effect_rows = (
        task_tables.stage_effect_table() if task_rows or stage_rows else ("", [])
    )
    mix_headers, mix_rows = stage_tables.stage_mix_table(plans)
    line_headers, line_rows = stage_tables.programme_line_table(plans)
    return ReportContext(
        version=__version__,
        title=results.scenario,
        description=results.description,
        baseline=results.baseline,
        law_note=(
            f"Expected loss comes from {law.name} (fitted on {law.fitted_on}); absolute loss is "
            "specific to that data, so compare plans under one law only."
            if law
            else ""
        ),
        summary_headers=summary_headers,
        summary_rows=summary_rows,
        summary_classes=summary_classes,
        cost_headers=cost_headers,
        cost_rows=cost_rows,
        resource_headers=resource_headers,
        resource_rows=resource_rows,
        time_headers=time_headers,
        time_rows=time_rows,
        samples=base_input.scenario.uncertainty.samples if base_input else 0,
        seed=results.seed,
        charts=_charts(results, plans, found),
        chart_notes=_chart_notes(found, given=analysis is not None),
        source_headers=source_headers,
        source_rows=source_rows,
        price_rows=report_tables.price_table(results),
        flags=report_tables.flag_groups(plans),
        warnings=[f"{p.plan}: {w}" for p in plans for w in p.warnings],
        notes=list(results.notes),
        assumptions=report_tables.assumptions(results),
        files=[{"path": path, "sha256": digest} for path, digest in results.files],
        generated=generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        gains=[f"{p.plan} x{p.mixture_gain:.2f}" for p in plans],
        recommended=(
            recommended(allocation, found.allocation_plan or results.baseline)
            if allocation is not None
            else None
        ),
        stage_headers=stage_headers,
        stage_rows=stage_rows,
        stage_mix_headers=mix_headers,
        stage_mix_rows=mix_rows,
        programme_line_headers=line_headers,
        programme_line_rows=line_rows,
        task_headers=task_headers,
        task_rows=task_rows,
        task_note=task_tables.TASK_NOTE if task_rows else "",
        stage_effect_note=effect_note,
        stage_effect_headers=task_tables.STAGE_EFFECT_HEADERS if effect_rows else [],
        stage_effect_rows=effect_rows,
    )


def render_report(
    results: Results, *, analysis: Analysis | None = None, generated: str | None = None
) -> str:
    """The report as one self-contained HTML string (renders; computes nothing)."""
    context = build_context(results, analysis=analysis, generated=generated)
    return environment().get_template("report.html").render(context=context, version=__version__)


def environment() -> Any:
    """jinja2 with autoescaping, StrictUndefined and the units module's filters."""
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("planner", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    return environment


def write_report(path: str | Path, html: str, *, overwrite: bool = False) -> Path:
    """Write the report atomically (see :func:`planner.io.writing.write_atomic`)."""
    from planner.io.writing import write_atomic

    return write_atomic(path, html, overwrite=overwrite)


_FRAGMENT_STYLE = (
    "<style>.planner-summary table{border-collapse:collapse;font:13px/1.4 system-ui,sans-serif}"
    ".planner-summary th,.planner-summary td{padding:2px 8px;border-bottom:1px solid #ddd;text-align:right}"
    ".planner-summary th:first-child,.planner-summary td:first-child{text-align:left}"
    ".planner-summary caption{text-align:left;font-weight:600}</style>"
)


def render_fragment(item: Any) -> str:
    """A small HTML summary for a notebook: styles scoped to ``.planner-summary``, no page.

    ``Results`` show one row per plan; a ``PlanResult`` shows its key figures. The full
    page stays :func:`render_report`.
    """
    from markupsafe import escape

    if isinstance(item, Results):
        headers, rows, _ = report_tables.summary_table(item)
        keep = [0, 1, 3, 4, 5, 9]
        count = len(item.plans)
        caption = (
            f"{item.scenario}: {count} plan{'' if count == 1 else 's'}, baseline {item.baseline}"
        )
        head = "".join(f"<th>{escape(headers[i])}</th>" for i in keep)
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(row[i])}</td>" for i in keep) + "</tr>" for row in rows
        )
    else:
        caption = f"plan {item.plan}"
        figures = [
            ("total cost", units.format_usd(item.total_cost_usd)),
            (
                "accelerator-hours",
                f"{units.format_count(item.accelerator_hours)} {item.accelerator}",
            ),
            ("wall-clock", units.format_days(item.wall_clock_days)),
            (
                "expected loss (P10-P90)",
                plan_range(lambda v: f"{v:.3f}", item.loss, item.loss_p10, item.loss_p90),
            ),
            ("training tokens", units.format_count(item.tokens)),
            ("synthetic share", units.format_ratio(item.synthetic_share)),
        ]
        head = "<th>figure</th><th>value</th>"
        body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in figures)
    return (
        f'<div class="planner-summary">{_FRAGMENT_STYLE}<table><caption>{escape(caption)}</caption>'
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


@dataclass(frozen=True)
class ReportPage:
    """A full report for a notebook: displayed inside its own ``<iframe>``, so none of the
    page's style rules (``body``, ``table``, ``h1`` ...) reach the notebook around it.

    ``str(page)`` or ``page.html`` is the self-contained page, as ``--html`` writes it.
    """

    html: str
    height_px: int = 900
    """Height of the frame in the notebook (the page scrolls inside it). Assumption."""

    def __str__(self) -> str:
        return self.html

    def _repr_html_(self) -> str:
        from markupsafe import escape

        # no scripts, no forms, no same-origin access: the page is static HTML and SVG
        return (
            f'<iframe class="planner-report" srcdoc="{escape(self.html)}" sandbox="" '
            f'style="width:100%;height:{self.height_px}px;border:1px solid #ddd" '
            'title="planner budget report"></iframe>'
        )


def report_page(results: Results, **options: Any) -> ReportPage:
    """The full report as a :class:`ReportPage` (notebook display scoped to its own frame)."""
    return ReportPage(render_report(results, **options))
