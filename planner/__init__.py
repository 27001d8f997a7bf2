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
from planner.estimate import PlanResult, Results, SourceResult, estimate, run
from planner.hardware import Accelerator, catalog, hardware
from planner.laws import loss
from planner.loader import Plan, load_scenario, plans
from planner.optimize import Allocation, optimize
from planner.quality import Flag
from planner.schema import Scenario

__version__ = "0.1.0"

__all__ = [
    "Accelerator",
    "Allocation",
    "Backtest",
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
    "estimate",
    "hardware",
    "load_scenario",
    "loss",
    "optimize",
    "plans",
    "run",
]
