"""The best plan: model size and tokens per source that minimise expected loss within a
budget (dollars, FLOPs or a deadline), or the cheapest plan reaching a target loss.

Decision variables (log space): parameters N; tokens drawn from each real source; for each
synthetic source, the tokens to generate and keep and the epochs over them. Every candidate
is a row of one batch evaluated by the plan model (:func:`planner.model.evaluate`): the
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

from planner import compute, cost, defaults, model
from planner.allocation import optimize_flops
from planner.errors import InputError
from planner.laws import ChinchillaLaw
from planner.schema import Model, Optimize, Scenario

__all__ = ["Allocation", "optimize", "optimize_file", "optimize_flops"]

MAX_EPOCHS = 100.0
"""Upper bound on epochs per pool the search considers (D' is flat well before this)."""
STEP = 1e-6
"""Forward-difference step in log space for the batched gradients."""


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


@dataclass
class _Problem:
    scenario: Scenario
    settings: Optimize
    real_index: list[int]
    synthetic_index: list[int]
    fresh: bool
    """No data sources: data is unlimited and never repeated."""
    active_share: float
    _cache: dict[bytes, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.scenario.data] or ["all data"]

    def batch(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The plan model's outputs for each row of ``X``, plus inference FLOPs and the spend."""
        X = np.atleast_2d(X)
        rows = len(X)
        params = np.exp(X[:, 0])
        s = self.scenario
        training = s.training.model_copy(
            update={
                "epochs": None,
                "tokens": None,
                "flops_convention": "6nd" if s.model.architecture else s.training.flops_convention,
            }
        )
        shape = Model.model_construct(
            params=params, active_params=params * self.active_share, architecture=None
        )
        data = list(s.data)
        k = 1
        if self.fresh:
            training = training.model_copy(update={"tokens": np.exp(X[:, 1])})
        for i in self.real_index if not self.fresh else []:
            data[i] = data[i].model_copy(
                update={"tokens": np.exp(X[:, k]), "share": None, "epochs": None}
            )
            k += 1
        for j in self.synthetic_index:
            kept, epochs = np.exp(X[:, k]), np.exp(X[:, k + 1])
            data[j] = data[j].model_copy(
                update={
                    "unique_tokens": kept,
                    "tokens": kept * epochs,
                    "share": None,
                    "epochs": None,
                }
            )
            k += 2
        ev = model.evaluate(
            s.model_copy(update={"model": shape, "training": training, "data": data}), rows
        )
        out = dict(ev.values)
        out["inference_flops"] = (
            defaults.INFERENCE_FLOPS_PER_PARAM * params * self.settings.inference_tokens
        )
        inference_hours = compute.accelerator_hours(
            out["inference_flops"], out["peak_flops_per_s"], out["utilization"]
        )
        out["cost"] = (
            out["total_cost_usd"]
            + cost.training_cost_usd(inference_hours, out["price_usd_per_hour"])
            + cost.overhead_cost_usd(inference_hours, out["price_usd_per_hour"], training.goodput)
        )
        out["flops"] = out["training_flops"] + out["inference_flops"]
        goal = self.settings
        out["spend"] = (
            out["flops"]
            if goal.budget_flops is not None
            else out["wall_clock_days"]
            if goal.deadline_days is not None
            else out["cost"]
        )
        out["source_tokens"] = (
            np.stack([t for t in ev.drawn], axis=1) if ev.drawn else out["tokens"][:, None]
        )
        out["kept"] = (
            np.stack([ev.sources[j].unique_tokens for j in self.synthetic_index], axis=1)
            if self.synthetic_index
            else np.zeros((rows, 0))
        )
        return out

    def at(self, x: np.ndarray) -> dict[str, np.ndarray]:
        """Outputs at ``x`` and at ``x`` plus a step along each variable (one batch, cached)."""
        key = np.asarray(x, dtype=float).tobytes()
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            points = np.vstack([x, x + STEP * np.eye(len(x))])
            self._cache[key] = self.batch(points)
        return self._cache[key]

    def value(self, name: str, x: np.ndarray) -> float:
        return float(self.at(x)[name][0])

    def gradient(
        self, name: str, x: np.ndarray, transform: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        values = transform(self.at(x)[name])
        return (values[1:] - values[0]) / STEP

    def loss(self, x: np.ndarray) -> float:
        return float(self.batch(x)["loss"][0])

    def spend(self, x: np.ndarray) -> float:
        return float(self.batch(x)["spend"][0])

    def synthetic_share(self, x: np.ndarray) -> float:
        return float(self.batch(x)["synthetic_share"][0])

    @property
    def limit(self) -> float:
        s = self.settings
        return float(s.budget_flops or s.deadline_days or s.budget_usd or math.inf)

    @property
    def budget_name(self) -> str:
        s = self.settings
        return "FLOP budget" if s.budget_flops else "deadline" if s.deadline_days else "budget"


def _problem(scenario: Scenario, settings: Optimize) -> _Problem:
    params = model.evaluate(scenario)
    share = float(params["active_params"][0] / params["params"][0])
    real = [i for i, d in enumerate(scenario.data) if d.synthetic is None]
    synthetic = [i for i, d in enumerate(scenario.data) if d.synthetic is not None]
    fresh = not scenario.data
    return _Problem(scenario, settings, [0] if fresh else real, synthetic, fresh, share)


def _bounds(problem: _Problem) -> list[tuple[float, float]]:
    s = problem.settings
    out = [(math.log(s.min_params), math.log(s.max_params))]
    for i in problem.real_index:
        if problem.fresh:
            out.append((math.log(1e6), math.log(1e15)))
            continue
        source = problem.scenario.data[i]
        unique = (
            source.unique_tokens
            if source.unique_tokens is not None
            else problem.scenario.source_tokens()[i]
        )
        cap = unique if not source.allow_repetition else unique * MAX_EPOCHS
        out.append((math.log(1e6), math.log(cap)))
    for _ in problem.synthetic_index:
        out += [(math.log(1e6), math.log(1e15)), (0.0, math.log(MAX_EPOCHS))]
    return out


def _start(problem: _Problem, scale: float) -> np.ndarray:
    """A feasible-ish start: the scenario's own mix, tokens scaled by ``scale``."""
    s = problem.scenario
    here = model.evaluate(s)
    x = [math.log(max(float(here["params"][0]), problem.settings.min_params))]
    if problem.fresh:
        return np.array([*x, math.log(max(float(here["tokens"][0]) * scale, 1e6))])
    for i in problem.real_index:
        x.append(math.log(max(float(here.sources[i].tokens[0]) * scale, 1e6)))
    for j in problem.synthetic_index:
        source = here.sources[j]
        x += [
            math.log(max(float(source.unique_tokens[0]) * scale, 1e6)),
            math.log(max(float(source.epochs[0]), 1.0)),
        ]
    return np.array(x)


def _moved(x: np.ndarray, factors: Any, mask: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``x`` with every masked variable moved by ``factors`` (log space), none below its bound."""
    return np.maximum(x + np.asarray(factors)[..., None] * mask, floor)


def _scale_search(
    problem: _Problem,
    x: np.ndarray,
    mask: np.ndarray,
    low: float,
    high: float,
    ok: Callable[[dict[str, np.ndarray]], np.ndarray],
    want_high: bool,
    floor: np.ndarray,
) -> float:
    """The largest (``want_high``) or smallest factor in [low, high] whose row passes ``ok``,
    by grid refinement: four batched evaluations of 64 candidates each."""
    best = low if want_high else high
    for _ in range(4):
        factors = np.linspace(low, high, 64)
        passed = ok(problem.batch(_moved(x, factors, mask, floor)))
        if want_high:
            if not passed.any():
                return best
            i = int(np.flatnonzero(passed).max())
            best, low, high = factors[i], factors[i], factors[min(i + 1, 63)]
        else:
            if not passed.any():
                return math.nan
            i = int(np.flatnonzero(passed).min())
            best, low, high = factors[i], factors[max(i - 1, 0)], factors[i]
    return float(best)


def _token_mask(problem: _Problem, x: np.ndarray, epochs_too: bool) -> np.ndarray:
    mask = np.ones_like(x)
    mask[0] = 0.0
    if not epochs_too:
        for j in range(len(problem.synthetic_index)):  # epochs stay; kept tokens scale
            mask[1 + len(problem.real_index) + 2 * j + 1] = 0.0
    return mask


def _repair(problem: _Problem, x: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Scale tokens down, never below their bounds, until the budget holds exactly."""
    if problem.spend(x) <= problem.limit:
        return x
    mask = _token_mask(problem, x, epochs_too=False)
    floor = np.array([b[0] for b in bounds])
    factor = _scale_search(
        problem, x, mask, -30.0, 0.0, lambda out: out["spend"] <= problem.limit, True, floor
    )
    return _moved(x, factor, mask, floor)


def _reach(problem: _Problem, x: np.ndarray, target: float) -> np.ndarray:
    """Grow every token variable until the loss is at or below ``target`` (dual problem)."""
    if problem.loss(x) <= target:
        return x
    mask = _token_mask(problem, x, epochs_too=True)
    floor = np.full_like(x, -np.inf)
    factor = _scale_search(
        problem, x, mask, 0.0, 30.0, lambda out: out["loss"] <= target, False, floor
    )
    return x if math.isnan(factor) else _moved(x, factor, mask, floor)


def optimize(scenario: Scenario, settings: Optimize | None = None) -> Allocation:
    """The plan minimising expected loss within the budget, or the cheapest reaching a target."""
    from scipy.optimize import minimize
    from threadpoolctl import threadpool_limits

    settings = settings or scenario.optimize
    if settings is None:
        raise InputError(
            "no optimisation goal",
            field="optimize",
            allowed="add optimize: {budget_usd: ...} (or budget_flops, deadline_days, target_loss)",
        )
    problem = _problem(scenario, settings)
    bounds = _bounds(problem)
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
    if problem.synthetic_index:
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
    with threadpool_limits(limits=1):
        for start_scale in (1.0, 0.1, 10.0):
            start = np.clip(
                _start(problem, start_scale), [b[0] for b in bounds], [b[1] for b in bounds]
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
            x = _reach(problem, result.x, target) if dual else _repair(problem, result.x, bounds)
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


def _cheapest(problem: _Problem, bounds: list[tuple[float, float]]) -> float:
    x = np.array([b[0] for b in bounds])
    return problem.spend(x)


def _spent(problem: _Problem, value: float) -> str:
    s = problem.settings
    if s.budget_flops is not None:
        return f"{value:.3g} FLOPs"
    if s.deadline_days is not None:
        return f"{value:.3g} days"
    return f"${value:,.0f}"


def _describe(settings: Optimize) -> str:
    if settings.budget_usd is not None:
        return f"${settings.budget_usd:,.0f}"
    if settings.budget_flops is not None:
        return f"{settings.budget_flops:.3g} FLOPs"
    return f"{settings.deadline_days} days"


def _allocation(
    problem: _Problem, x: np.ndarray, goal: str, bounds: list[tuple[float, float]]
) -> Allocation:
    out = {k: v[0] for k, v in problem.batch(x).items()}
    names = problem.names
    binding = []
    if problem.settings.target_loss is None and out["spend"] >= problem.limit * (1 - 1e-4):
        binding.append(problem.budget_name)
    if problem.settings.target_loss is not None:
        binding.append("target loss")
    if (
        problem.synthetic_index
        and out["synthetic_share"] >= problem.settings.max_synthetic_share - 1e-4
    ):
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


def _marginals(problem: _Problem, x: np.ndarray) -> dict[str, float | None]:
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
    from planner.loader import load_scenario, plans

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
