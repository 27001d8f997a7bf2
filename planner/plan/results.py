"""Result types: one PlanResult per plan, Results for a scenario or a comparison."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

from planner.compute.results import HardwareResult, MemoryPerAccelerator, hardware_output
from planner.errors import InputError
from planner.laws.task_fit import TaskPrediction
from planner.mixture.expected_loss import Flag
from planner.plan.plans import Plan
from planner.plan.stages import ProgrammeLine, StageResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PlanResult", "Results", "SourceResult", "compare", "set_html_renderer"]


_RENDERERS: list[Callable[[Any], str]] = []
"""The HTML fragment renderer, given by ``planner/__init__.py`` (results never import the report)."""


def set_html_renderer(renderer: Callable[[Any], str]) -> None:
    """Use ``renderer`` for notebook display of results and plans."""
    _RENDERERS[:] = [renderer]


def _render_html(item: Any) -> str | None:
    return _RENDERERS[0](item) if _RENDERERS else None


@dataclass(frozen=True)
class SourceResult:
    """One data source in one plan."""

    name: str
    kind: str
    unique_tokens: float | None
    tokens: float
    epochs: float | None
    generated_tokens: float
    effective_tokens: float
    """This pool's part of its family's D' (Muennighoff) times its explicit value weight, before the
    mixture gain (planner.mixture.expected_loss.mix_effective)."""
    value_weight: float
    acquisition_usd: float
    generation_usd: float
    grading_usd: float
    synthetic_accelerator_hours: float
    in_gain: bool = True
    """Whether the plan's mixture gain multiplies this pool: the gain applies to the tokens it was
    measured on (synthetic pools and the real text they rewrite), not to unrelated pools."""


@dataclass(frozen=True)
class PlanResult:
    """Compute, time, memory, dollars, energy and CO2 of one plan.

    Ranges (``_low``/``_high``) follow the utilisation range: low hours at high utilisation.
    """

    plan: str
    description: str
    params: float
    active_params: float
    tokens: float
    flops_convention: str
    flops_per_token: float
    training_flops: float
    hardware_flops: float
    accelerator: str
    accelerator_count: int
    precision: str
    peak_flops_per_s: float
    utilization: float
    utilization_low: float
    utilization_high: float
    accelerator_hours: float
    accelerator_hours_low: float
    accelerator_hours_high: float
    billed_accelerator_hours: float
    wall_clock_days: float
    wall_clock_days_low: float
    wall_clock_days_high: float
    memory_bytes: float
    min_accelerators: int | None
    price_usd_per_hour: float
    training_compute_usd: float
    overhead_usd: float
    training_cost_usd: float
    synthetic_generation_usd: float
    grading_usd: float
    real_data_usd: float
    total_cost_usd: float
    total_cost_usd_low: float
    total_cost_usd_high: float
    synthetic_accelerator_hours: float
    energy_kwh: float | None
    co2_tonnes: float | None
    synthetic_tokens: float
    synthetic_share: float
    law: str
    loss: float
    """Expected loss (nats/token) under ``law``, point estimate."""
    effective_tokens: float
    tokens_per_param: float
    mixture_gain: float
    """The mixture gain M (planner.mixture.formulas): effective data = M x the families' D'; 1 without synthetic data."""
    optimal_tokens_per_param: float | None
    downstream_error: float | None
    loss_p10: float | None = None
    loss_p50: float | None = None
    loss_p90: float | None = None
    total_cost_usd_p10: float | None = None
    total_cost_usd_p50: float | None = None
    total_cost_usd_p90: float | None = None
    accelerator_hours_p10: float | None = None
    accelerator_hours_p50: float | None = None
    accelerator_hours_p90: float | None = None
    wall_clock_days_p10: float | None = None
    wall_clock_days_p50: float | None = None
    wall_clock_days_p90: float | None = None
    loss_vs_baseline_p10: float | None = None
    """Loss minus the baseline's on common Monte Carlo draws (shared law uncertainty cancels)."""
    loss_vs_baseline_p50: float | None = None
    loss_vs_baseline_p90: float | None = None
    probability_below_baseline: float | None = None
    """Share of draws in which this plan's loss is below the baseline's."""
    programme_accelerator_hours: float | None = None
    """Development, ablation and evaluation hours around the final run (``programme:``)."""
    programme_usd: float | None = None
    """Their cost at the final run's price; not in ``total_cost_usd``."""
    programme_total_usd: float | None = None
    """Final run plus programme."""
    amortised_training_usd: float | None = None
    """The final run on owned accelerators, amortised (Cottier et al. 2024), instead of rented."""
    memory_per_accelerator: MemoryPerAccelerator | None = None
    """Per-accelerator memory of ``training.layout`` (None without a layout)."""
    generation_wall_clock_days: float = 0.0
    """Self-hosted generation and grading hours / generating accelerators / 24."""
    combined_wall_clock_days: float = 0.0
    """Generation then training (``before``), or the longer of the two (``parallel``)."""
    combined_wall_clock_days_low: float = 0.0
    combined_wall_clock_days_high: float = 0.0
    step_time_s: float | None = None
    """Predicted time of one optimizer step of the layout (None without a layout)."""
    predicted_utilization: float | None = None
    """Steady-state MFU the layout predicts (planner.compute.utilization), beside the whole-run prior."""
    hardware: HardwareResult | None = None
    """Batch floor on wall-clock and the failure line."""
    sources: tuple[SourceResult, ...] = ()
    flags: tuple[Flag, ...] = ()
    warnings: tuple[str, ...] = ()
    mixture: str = ""
    """Which mixture form and presets produced the loss (planner.plan.share_curves.describe)."""
    stages: tuple[StageResult, ...] = ()
    """The run's stages (``stages:``); empty for a single-stage run, and then left out of to_dict."""
    programme_lines: tuple[ProgrammeLine, ...] = ()
    """Recipe-search lines of ``programme:`` (ladder, valuation anneals), inside programme_usd."""
    tasks: tuple[TaskPrediction, ...] = ()
    """Predicted accuracy per task with P10-P90 at this plan's params and tokens
    (``downstream.tasks``; planner.laws.task_fit, Bhagia et al. 2024)."""
    price_date: str | None = None
    """When the catalog price was quoted (None: the scenario gave the price)."""
    price_source: str = "given in the scenario"
    """Where the training price comes from: the catalog row's source, or the scenario."""

    def __getattr__(self, name: str) -> Any:
        """Hardware outputs by their sweep column name (``memory_total_bytes``, ``steps``)."""
        if name.startswith("__"):
            raise AttributeError(name)
        return hardware_output(self, name)

    def _repr_html_(self) -> str | None:
        return _render_html(self)

    def __repr__(self) -> str:
        return (
            f"PlanResult({self.plan!r}: {self.params:.3g} params, {self.tokens:.3g} tokens, "
            f"loss {self.loss:.4f}, ${self.total_cost_usd:,.0f}, {self.accelerator_hours:,.0f} "
            f"{self.accelerator}-hours)"
        )

    def to_dict(self, *, sources: bool = True) -> dict[str, Any]:
        """Plain dict with stable keys (JSON output); ``sources`` as a list of dicts."""
        out = asdict(self)
        if not sources:
            out.pop("sources")
        out["warnings"] = list(self.warnings)
        out["flags"] = [asdict(f) for f in self.flags]
        if sources:
            out["sources"] = [asdict(s) for s in self.sources]
        for name in ("stages", "programme_lines"):  # only where a scenario has them
            if not out[name]:
                out.pop(name)
        if self.tasks:
            out["tasks"] = [asdict(t) for t in self.tasks]
        else:  # outputs of scenarios without downstream.tasks keep their keys
            out.pop("tasks")
        return out


@dataclass(frozen=True)
class Results:
    """Every plan of a scenario; the first is the baseline unless the scenario names another."""

    scenario: str
    description: str
    baseline: str
    plans: tuple[PlanResult, ...]
    notes: tuple[str, ...] = field(default=())
    files: tuple[tuple[str, str], ...] = ()
    """(path, sha256) of each scenario file behind these results."""
    seed: int = 0
    """Monte Carlo seed."""
    inputs: tuple[Plan, ...] = field(default=(), compare=False, repr=False)
    """The resolved plans, in the order of ``plans`` (for sensitivity and charts)."""

    def _repr_html_(self) -> str | None:
        """Jupyter shows a small summary table (the full page: ``planner.render_report``)."""
        return _render_html(self)

    def __repr__(self) -> str:
        return (
            f"Results({self.scenario!r}, baseline={self.baseline!r}, plans=["
            + ", ".join(repr(p) for p in self.plans)
            + "])"
        )

    def __getitem__(self, name: str) -> PlanResult:
        for plan in self.plans:
            if plan.plan == name:
                return plan
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "description": self.description,
            "baseline": self.baseline,
            "notes": list(self.notes),
            "plans": [p.to_dict() for p in self.plans],
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per plan, one column per output (sources and warnings left out)."""
        import pandas as pd

        rows = [p.to_dict(sources=False) for p in self.plans]
        for row in rows:
            row["warnings"] = "; ".join(row["warnings"])
            row["flags"] = "; ".join(
                f"{f['level']}: {f['message']} [{f['source']}]" for f in row["flags"]
            )
            for task in row.pop("tasks", []):  # one column per task and bound
                for key in ("accuracy", "accuracy_p10", "accuracy_p90"):
                    row[f"{key}_{task['task']}"] = task[key]
        return pd.DataFrame(rows).set_index("plan")

    def sources_frame(self) -> pd.DataFrame:
        """One row per (plan, data source)."""
        import pandas as pd

        rows = [{"plan": p.plan, **asdict(s)} for p in self.plans for s in p.sources]
        return pd.DataFrame(rows)


def compare(*many: Results) -> Results:
    """Several scenarios' results as one comparison; the first scenario's baseline leads.

    Plan names become ``scenario/plan`` so they stay unique across files. Paired loss
    differences are kept for the first file's plans only (the others were paired with their
    own file's baseline); the others show the difference of point estimates.
    """
    if len(many) == 1:
        return many[0]
    plans_out: list[PlanResult] = []
    inputs: list[Plan] = []
    for index, results in enumerate(many):
        for plan, given in zip(
            results.plans, results.inputs or [None] * len(results.plans), strict=True
        ):
            name = f"{results.scenario}/{plan.plan}"
            # paired differences were drawn against each file's own baseline: only the first
            # file's are against the comparison's baseline
            if index > 0:
                plan = replace(
                    plan,
                    loss_vs_baseline_p10=None,
                    loss_vs_baseline_p50=None,
                    loss_vs_baseline_p90=None,
                    probability_below_baseline=None,
                )
            plans_out.append(replace(plan, plan=name))
            if given is not None:
                inputs.append(replace(given, name=name))
    names = [p.plan for p in plans_out]
    if len(set(names)) != len(names):
        repeated = sorted(
            {r.scenario for r in many if [m.scenario for m in many].count(r.scenario) > 1}
        )
        files = sorted({path for r in many if r.scenario in repeated for path, _ in r.files})
        raise InputError(
            f"compared scenarios share the name {', '.join(map(repr, repeated))}"
            + (f" ({', '.join(files)})" if files else ""),
            allowed="give each file its own `name:` (or compare a file once)",
        )
    notes = tuple(dict.fromkeys(n for r in many for n in r.notes))
    if len({p.law for p in plans_out}) > 1:
        notes = (*notes, "These plans use different laws: their losses are not comparable.")
    return Results(
        scenario=" vs ".join(r.scenario for r in many),
        description=" ".join(
            f"{r.scenario}: {r.description.strip().rstrip('.')}."
            for r in many
            if r.description.strip()
        ),
        baseline=f"{many[0].scenario}/{many[0].baseline}",
        plans=tuple(plans_out),
        notes=notes,
        files=tuple(f for r in many for f in r.files),
        seed=many[0].seed,
        inputs=tuple(inputs),
    )
