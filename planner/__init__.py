"""planner: plan LLM pretraining runs that mix real and synthetic data.

Library use::

    import planner
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    results = planner.run(scenario)
    results.to_frame()          # one row per plan (pandas)

``import planner`` stays light: click, jinja2 and matplotlib load only where used.
"""

from planner.backtest import Backtest, backtest
from planner.errors import InputError, PlannerError
from planner.estimate import PlanResult, Results, SourceResult, compare, estimate, run
from planner.fit import Fit, fit_law
from planner.hardware import Accelerator, catalog, hardware
from planner.laws import loss
from planner.loader import Plan, load_scenario, plans
from planner.optimize import Allocation, optimize
from planner.quality import Flag
from planner.schema import Scenario
from planner.sweep import sweep, sweep_to_file
from planner.version import __version__


def render_report(results: Results, **options: object) -> str:
    """The self-contained HTML budget report (see :func:`planner.report.render_report`)."""
    from planner.report import render_report as render

    return render(results, **options)  # type: ignore[arg-type]


def _fragment(item: object) -> str:
    """Notebook display: a small HTML summary, styles scoped to one class."""
    from planner import report

    fragment = getattr(report, "render_fragment", None)
    if fragment is None:
        return "<pre>" + __import__("html").escape(repr(item)) + "</pre>"
    return str(fragment(item))


Results.html_renderer = staticmethod(_fragment)  # type: ignore[assignment]
PlanResult.html_renderer = staticmethod(_fragment)  # type: ignore[assignment]


__all__ = [
    "Accelerator",
    "Allocation",
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
    "backtest",
    "catalog",
    "compare",
    "estimate",
    "fit_law",
    "hardware",
    "load_scenario",
    "loss",
    "optimize",
    "plans",
    "render_report",
    "run",
    "sweep",
    "sweep_to_file",
]
