"""planner: plan LLM pretraining runs that mix real and synthetic data.

Library use::

    import planner
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    results = planner.run(scenario)
    results.to_frame()          # one row per plan (pandas)

``import planner`` is light: the public names below load their modules on first use (PEP 562),
so ``planner --help`` starts without building the scenario schema, and click, jinja2 and
matplotlib load only where used.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from planner.version import __version__

if TYPE_CHECKING:
    from planner.compute.backtest import Backtest, backtest
    from planner.compute.utilization import layouts
    from planner.errors import InputError, PlannerError
    from planner.explore.analysis import Analysis, analyse
    from planner.explore.optimizer import Allocation, optimize
    from planner.explore.sweep import sweep, sweep_to_file
    from planner.laws.choice import loss
    from planner.laws.fit import Fit, fit_law
    from planner.laws.task_fit import TaskFits, fit_tasks, predict_tasks
    from planner.mixture.expected_loss import Flag
    from planner.plan.estimate import PlanResult, Results, SourceResult, compare, estimate, run
    from planner.plan.plans import Plan, load_scenario, plans
    from planner.scenario.accelerators import Accelerator, catalog, hardware
    from planner.scenario.schema import Scenario

_WHERE = {
    "Accelerator": "scenario.accelerators",
    "Allocation": "explore.optimizer",
    "Analysis": "explore.analysis",
    "Backtest": "compute.backtest",
    "Fit": "laws.fit",
    "Flag": "mixture.expected_loss",
    "InputError": "errors",
    "Plan": "plan.plans",
    "PlanResult": "plan.results",
    "PlannerError": "errors",
    "Results": "plan.results",
    "Scenario": "scenario.schema",
    "SourceResult": "plan.results",
    "TaskFits": "laws.task_fit",
    "analyse": "explore.analysis",
    "backtest": "compute.backtest",
    "catalog": "scenario.accelerators",
    "compare": "plan.results",
    "estimate": "plan.estimate",
    "fit_law": "laws.fit",
    "fit_tasks": "laws.task_fit",
    "hardware": "scenario.accelerators",
    "layouts": "compute.utilization",
    "load_scenario": "plan.plans",
    "loss": "laws.choice",
    "optimize": "explore.optimizer",
    "plans": "plan.plans",
    "predict_tasks": "laws.task_fit",
    "run": "plan.estimate",
    "sweep": "explore.sweep",
    "sweep_to_file": "explore.sweep",
}
"""Public name -> the module that defines it."""

__all__ = [
    "Accelerator",
    "Allocation",
    "Analysis",
    "Backtest",
    "Fit",
    "Flag",
    "InputError",
    "Plan",
    "PlanResult",
    "PlannerError",
    "Results",
    "Scenario",
    "SourceResult",
    "TaskFits",
    "__version__",
    "analyse",
    "backtest",
    "catalog",
    "compare",
    "estimate",
    "fit_law",
    "fit_tasks",
    "hardware",
    "layouts",
    "load_scenario",
    "loss",
    "optimize",
    "plans",
    "predict_tasks",
    "render_report",
    "report_page",
    "run",
    "sweep",
    "sweep_to_file",
]


def render_report(results: Results, **options: Any) -> str:
    """The self-contained HTML budget report (see :func:`planner.outputs.report.render_report`)."""
    from planner.outputs.report import render_report as render

    return str(render(results, **options))


def report_page(results: Results, **options: Any) -> Any:
    """The full report for a notebook: shown inside its own frame, so its styles stay there
    (see :class:`planner.outputs.report.ReportPage`)."""
    from planner.outputs.report import report_page as page

    return page(results, **options)


def _fragment(item: object) -> str:
    """Notebook display: a small HTML summary whose styles are scoped to one class."""
    from planner.outputs.report import render_fragment

    return render_fragment(item)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"planner.{_WHERE[name]}"), name)
    if name in ("PlanResult", "Results", "run", "estimate", "compare"):
        # results is a lower floor than the report: it receives its renderer instead of importing it
        importlib.import_module("planner.plan.results").set_html_renderer(_fragment)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """Keeps public functions from being hidden by a module of the same name.

    Importing a sub-package or module sets the package attribute of its name to the module;
    a public name of :data:`_WHERE` always stays the function or class it names.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
