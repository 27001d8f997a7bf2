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
    from planner.analysis import Analysis, analyse
    from planner.backtest import Backtest, backtest
    from planner.errors import InputError, PlannerError
    from planner.estimate import PlanResult, Results, SourceResult, compare, estimate, run
    from planner.fit import Fit, fit_law
    from planner.hardware import Accelerator, catalog, hardware
    from planner.lawchoice import loss
    from planner.loader import Plan, load_scenario, plans
    from planner.optimize import Allocation, optimize
    from planner.quality import Flag
    from planner.schema import Scenario
    from planner.sweep import sweep, sweep_to_file
    from planner.utilization import layouts

_WHERE = {
    "Accelerator": "hardware",
    "Allocation": "optimize",
    "Analysis": "analysis",
    "Backtest": "backtest",
    "Fit": "fit",
    "Flag": "quality",
    "InputError": "errors",
    "Plan": "loader",
    "PlanResult": "results",
    "PlannerError": "errors",
    "Results": "results",
    "Scenario": "schema",
    "SourceResult": "results",
    "analyse": "analysis",
    "backtest": "backtest",
    "catalog": "hardware",
    "compare": "results",
    "estimate": "estimate",
    "fit_law": "fit",
    "hardware": "hardware",
    "layouts": "utilization",
    "load_scenario": "loader",
    "loss": "lawchoice",
    "optimize": "optimize",
    "plans": "loader",
    "run": "estimate",
    "sweep": "sweep",
    "sweep_to_file": "sweep",
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
    "__version__",
    "analyse",
    "backtest",
    "catalog",
    "compare",
    "estimate",
    "fit_law",
    "hardware",
    "layouts",
    "load_scenario",
    "loss",
    "optimize",
    "plans",
    "render_report",
    "run",
    "sweep",
    "sweep_to_file",
]


def render_report(results: Results, **options: Any) -> str:
    """The self-contained HTML budget report (see :func:`planner.report.render_report`)."""
    from planner.report import render_report as render

    return str(render(results, **options))


def _fragment(item: object) -> str:
    """Notebook display: a small HTML summary whose styles are scoped to one class."""
    from planner.report import render_fragment

    return render_fragment(item)


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'planner' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"planner.{_WHERE[name]}"), name)
    if name in ("PlanResult", "Results", "run", "estimate", "compare"):
        # results is a lower floor than the report: it receives its renderer instead of importing it
        importlib.import_module("planner.results").set_html_renderer(_fragment)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


class _Package(types.ModuleType):
    """Keeps public functions that share a submodule's name (estimate, optimize, sweep, ...).

    Importing ``planner.estimate`` would otherwise set the package attribute ``estimate`` to
    the module, hiding the function ``planner.estimate``.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _WHERE.get(name) == name:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
