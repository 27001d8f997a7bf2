"""The best plan: model size and tokens per source that minimise expected loss within a
budget (dollars, FLOPs or a deadline), or the cheapest plan reaching a target loss.

Decision variables (log space): parameters N; tokens drawn from each real source; for each
synthetic source, the tokens to generate and keep and the epochs over them. Every candidate
is a row of one batch evaluated by the plan model (:func:`planner.plan.evaluate.evaluate`): the
objective, the constraints and their finite-difference gradients come from the same call,
so the optimiser prices and scores a plan exactly as ``run()`` does. Constraints hold
exactly: a solution a hair over budget is scaled back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from planner.errors import InputError
from planner.explore import decision_space
from planner.explore.decision_space import Problem, problem_for, reach, repair
from planner.laws.allocation import optimize_flops
from planner.laws.forms import ChinchillaLaw
from planner.scenario.schema import Optimize, Scenario

__all__ = ["Allocation", "optimize", "optimize_file", "optimize_flops"]


@dataclass(frozen=True)
class Allocation:
    """A plan the optimiser chose."""

    goal: str
    binding: str
    """Which constraints bind: the budget (dollars, FLOPs or deadline), data limits, model-size bounds."""
    params: float
    tokens: float
    loss: float
    total_cost_usd: float
    training_flops: float
    wall_clock_days: float
    inference_flops: float
    source_tokens: dict[str, float]
    synthetic_kept_tokens: dict[str, float]
    epochs: dict[str, float]
    marginal_usd_per_0_01_loss: dict[str, float | None] = field(default_factory=dict)
    """Dollars per 0.01 lower loss from more synthetic data, another real epoch, a larger model."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def optimize(scenario: Scenario, settings: Optimize | None = None) -> Allocation:
    """The plan minimising expected loss within the budget, or the cheapest reaching a target."""
    from scipy.optimize import minimize

    from planner.laws.blas import single_threaded_blas

    settings = settings or scenario.optimize
    if settings is None:
        raise InputError(
            "no optimisation goal",
            field="optimize",
            allowed="add optimize: {budget_usd: ...} (or budget_flops, deadline_days, target_loss)",
        )
    problem = problem_for(scenario, settings)
    bounds = decision_space.bounds(problem)
    dual = settings.target_loss is not None
    target = settings.target_loss if settings.target_loss is not None else math.inf
    law = scenario.law
    if dual:
        floor = law.E if isinstance(law, ChinchillaLaw) else 0.0
        if target <= floor:
            raise InputError(
                f"target loss is at or below the law's irreducible loss {floor:.4f}",
                field="optimize.target_loss",
                value=settings.target_loss,
            )
        scale: Callable[[Any], Any]
        name, scale = "cost", np.log
        constraints = [
            {
                "type": "ineq",
                "fun": lambda x: target - problem.value("loss", x),
                "jac": lambda x: -problem.gradient("loss", x, lambda v: v),
            }
        ]
        goal = f"cheapest plan with expected loss <= {settings.target_loss}"
    else:
        name, scale = "loss", (lambda v: v)
        limit = problem.limit
        constraints = [
            {
                "type": "ineq",
                "fun": lambda x: math.log(limit) - math.log(problem.value("spend", x)),
                "jac": lambda x: -problem.gradient("spend", x, np.log),
            }
        ]
        goal = f"lowest expected loss within {_describe(settings)}"
    if problem.synthetic_index and settings.max_synthetic_share is not None:
        cap = settings.max_synthetic_share
        constraints.append(
            {
                "type": "ineq",
                "fun": lambda x: cap - problem.value("synthetic_share", x),
                "jac": lambda x: -problem.gradient("synthetic_share", x, lambda v: v),
            }
        )

    def objective(x: np.ndarray) -> float:
        return float(scale(problem.value(name, x)))

    best = None
    with single_threaded_blas():
        for start_scale in (1.0, 0.1, 10.0):
            start = np.clip(
                decision_space.start(problem, start_scale),
                [b[0] for b in bounds],
                [b[1] for b in bounds],
            )
            result = minimize(
                objective,
                start,
                jac=lambda x: problem.gradient(name, x, scale),
                method="SLSQP",
                bounds=bounds,
                constraints=constraints,
                options={"maxiter": 300, "ftol": 1e-12},
            )
            x = reach(problem, result.x, target) if dual else repair(problem, result.x, bounds)
            feasible = problem.loss(x) <= target if dual else problem.spend(x) <= problem.limit
            score = objective(x)
            if feasible and (best is None or score < best[0]):
                best = (score, x)
    if best is None and dual:
        raise InputError(
            "no plan reaches the target loss within the search bounds",
            field="optimize.target_loss",
            value=settings.target_loss,
            allowed="raise the target, max_params, or the data available",
        )
    if best is None:
        cheapest = _cheapest(problem, bounds)
        raise InputError(
            f"no plan fits in the {problem.budget_name}: the smallest plan (min_params and at least "
            f"1M tokens per source) already needs {_spent(problem, cheapest)}",
            field="optimize",
            value=problem.limit,
            allowed="raise the budget or lower min_params",
        )
    return _allocation(problem, best[1], goal, bounds)


def _cheapest(problem: Problem, bounds: list[tuple[float, float]]) -> float:
    x = np.array([b[0] for b in bounds])
    return problem.spend(x)


def _spent(problem: Problem, value: float) -> str:
    s = problem.settings
    if s.budget_flops is not None:
        return f"{value:.3g} FLOPs"
    if s.deadline_days is not None:
        return f"{value:.3g} days"
    return f"${value:,.0f}" if value >= 100 else f"${value:.3g}"


def _describe(settings: Optimize) -> str:
    if settings.budget_usd is not None:
        return f"${settings.budget_usd:,.0f}"
    if settings.budget_flops is not None:
        return f"{settings.budget_flops:.3g} FLOPs"
    return f"{settings.deadline_days} days"


def _allocation(
    problem: Problem, x: np.ndarray, goal: str, bounds: list[tuple[float, float]]
) -> Allocation:
    out = {k: v[0] for k, v in problem.batch(x).items()}
    names = problem.names
    binding = []
    if problem.settings.target_loss is None and out["spend"] >= problem.limit * (1 - 1e-4):
        binding.append(problem.budget_name)
    if problem.settings.target_loss is not None:
        binding.append("target loss")
    cap = problem.settings.max_synthetic_share
    if problem.synthetic_index and cap is not None and out["synthetic_share"] >= cap - 1e-4:
        binding.append("max_synthetic_share")
    if abs(x[0] - bounds[0][1]) < 1e-6:
        binding.append("max_params")
    if abs(x[0] - bounds[0][0]) < 1e-6:
        binding.append("min_params")
    for k, i in enumerate(problem.real_index, start=1):
        if not problem.fresh and abs(x[k] - bounds[k][1]) < 1e-6:
            binding.append(f"data.{names[i]} unique tokens")
    tokens = [float(t) for t in out["source_tokens"]]
    kept = {names[j]: float(v) for j, v in zip(problem.synthetic_index, out["kept"], strict=True)}
    unique = {
        n: (kept[n] if n in kept else float(problem.scenario.data[i].unique_tokens or t))
        if not problem.fresh
        else t
        for i, (n, t) in enumerate(zip(names, tokens, strict=True))
    }
    return Allocation(
        goal=goal,
        binding=", ".join(binding) or "none",
        params=float(out["params"]),
        tokens=float(out["tokens"]),
        loss=float(out["loss"]),
        total_cost_usd=float(out["cost"]),
        training_flops=float(out["training_flops"]),
        wall_clock_days=float(out["wall_clock_days"]),
        inference_flops=float(out["inference_flops"]),
        source_tokens=dict(zip(names, tokens, strict=True)),
        synthetic_kept_tokens=kept,
        epochs={n: t / unique[n] for n, t in zip(names, tokens, strict=True)},
        marginal_usd_per_0_01_loss=_marginals(problem, x),
    )


def _marginals(problem: Problem, x: np.ndarray) -> dict[str, float | None]:
    """Dollars per 0.01 of loss for three moves from the chosen plan (one batch of four rows)."""
    moves: dict[str, np.ndarray] = {}
    bigger = x.copy()
    bigger[0] += math.log(1.1)
    moves["larger_model_10pct"] = bigger
    if problem.real_index and not problem.fresh:
        data = problem.scenario.data
        largest = max(problem.real_index, key=lambda i: data[i].unique_tokens or 0.0)
        k = 1 + problem.real_index.index(largest)
        epoch = x.copy()
        epoch[k] = math.log(math.exp(x[k]) + (data[largest].unique_tokens or math.exp(x[k])))
        moves["another_real_epoch"] = epoch
    if problem.synthetic_index:
        more = x.copy()
        more[1 + len(problem.real_index)] += math.log(1.1)
        moves["more_synthetic_10pct"] = more
    out = problem.batch(np.vstack([x, *moves.values()]))
    result: dict[str, float | None] = {}
    for row, move in enumerate(moves, start=1):
        gained = out["loss"][0] - out["loss"][row]
        spent = out["cost"][row] - out["cost"][0]
        result[move] = float(0.01 * spent / gained) if gained > 1e-12 else None
    return result


def optimize_file(
    path: str, plan_name: str | None = None, goal: dict[str, Any] | None = None
) -> Allocation:
    """``planner optimize FILE``: load, pick a plan, merge goal flags over the optimize block."""
    from planner.plan.plans import load_scenario, plans

    scenario = load_scenario(path)
    resolved = {p.name: p.scenario for p in plans(scenario, file=path)}
    name = plan_name or scenario.base_plan
    if name not in resolved:
        raise InputError(
            "no such plan", field="--plan", value=name, allowed=f"plans: {', '.join(resolved)}"
        )
    given = {k: v for k, v in (goal or {}).items() if v is not None}
    targets = {"budget_usd", "budget_flops", "deadline_days", "target_loss"}
    base = scenario.optimize.model_dump() if scenario.optimize else {}
    if given.keys() & targets:
        base = {k: v for k, v in base.items() if k not in targets}
    try:
        settings = Optimize.model_validate({**base, **given})
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InputError(
            problems,
            file=path,
            field="optimize",
            allowed="add an optimize block to the scenario or pass --budget-usd, "
            "--budget-flops, --deadline-days or --target-loss",
        ) from None
    try:
        return optimize(resolved[name], settings)
    except InputError as exc:
        raise exc.located(path) from None
