"""The best plan: model size and tokens per source that minimise expected loss within a
budget (dollars, FLOPs or a deadline), or the cheapest plan reaching a target loss.

Decision variables: parameters N; tokens drawn from each real source; for each
synthetic source, the tokens to generate and keep and the epochs over them. The
objective is the point-estimate loss of :mod:`planner.quality`; costs follow
:mod:`planner.compute` and :mod:`planner.cost` with FLOPs counted as 6·N·D.
Constraints hold exactly: a solution a hair over budget is scaled back.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import ValidationError

from planner import compute, cost, defaults
from planner.errors import InputError
from planner.laws import ChinchillaLaw, KaplanLaw, law as preset
from planner.quality import Pool, expected_loss, mix_effective
from planner.schema import Optimize, Scenario

MAX_EPOCHS = 100.0
"""Upper bound on epochs per pool the search considers (D' is flat well before this)."""


@dataclass(frozen=True)
class Allocation:
    """A plan the optimiser chose."""

    goal: str
    binding: str
    """Which constraint binds: the budget, a data limit, a model-size bound, or none."""
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
        from dataclasses import asdict

        return asdict(self)


@dataclass(frozen=True)
class _Problem:
    scenario: Scenario
    settings: Optimize
    pools: list[Pool]
    peak: float
    utilization: float
    price: float
    goodput: float
    count: int
    fixed_usd: float
    real_usd_per_token: list[float]
    synthetic_usd_per_token: list[float]
    real_index: list[int]
    synthetic_index: list[int]
    fresh: bool
    """No data sources: data is unlimited and never repeated."""

    @property
    def law(self) -> ChinchillaLaw | KaplanLaw:
        return self.scenario.law

    def unpack(self, x: np.ndarray) -> tuple[float, list[float], list[float]]:
        """x (log space) -> params, tokens per pool, kept unique tokens per pool."""
        params = float(np.exp(x[0]))
        tokens = [0.0] * len(self.pools)
        unique = [p.unique_tokens for p in self.pools]
        k = 1
        for i in self.real_index:
            tokens[i] = float(np.exp(x[k]))
            if self.fresh:
                unique[i] = tokens[i]
            k += 1
        for j in self.synthetic_index:
            kept, epochs = float(np.exp(x[k])), float(np.exp(x[k + 1]))
            unique[j], tokens[j] = kept, kept * epochs
            k += 2
        return params, tokens, unique

    def pools_for(self, tokens: list[float], unique: list[float]) -> list[Pool]:
        from dataclasses import replace

        return [replace(p, tokens=t, unique_tokens=u) for p, t, u in zip(self.pools, tokens, unique)]

    def loss(self, x: np.ndarray) -> float:
        params, tokens, unique = self.unpack(x)
        data, effective_unique = mix_effective(self.pools_for(tokens, unique))
        return float(expected_loss(self.law, params, data, None if self.fresh else effective_unique))

    def synthetic_share(self, x: np.ndarray) -> float:
        _, tokens, _ = self.unpack(x)
        return sum(tokens[j] for j in self.synthetic_index) / sum(tokens)

    def flops(self, x: np.ndarray) -> float:
        params, tokens, _ = self.unpack(x)
        return 6.0 * params * sum(tokens)

    def inference_flops(self, x: np.ndarray) -> float:
        return defaults.INFERENCE_FLOPS_PER_PARAM * float(np.exp(x[0])) * self.settings.inference_tokens

    def days(self, x: np.ndarray) -> float:
        hours = compute.accelerator_hours(self.flops(x), self.peak, self.utilization)
        return float(compute.wall_clock_days(hours, self.count, self.goodput))

    def cost(self, x: np.ndarray) -> float:
        _, tokens, unique = self.unpack(x)
        hours = compute.accelerator_hours(self.flops(x) + self.inference_flops(x), self.peak, self.utilization)
        total = hours / self.goodput * self.price + self.fixed_usd
        for i, rate in zip(self.real_index, self.real_usd_per_token):
            total += rate * min(unique[i], tokens[i])
        for j, rate in zip(self.synthetic_index, self.synthetic_usd_per_token):
            total += rate * unique[j]
        return total

    def spend(self, x: np.ndarray) -> float:
        """The quantity the budget limits."""
        s = self.settings
        if s.budget_flops is not None:
            return self.flops(x) + self.inference_flops(x)
        if s.deadline_days is not None:
            return self.days(x)
        return self.cost(x)

    @property
    def limit(self) -> float:
        s = self.settings
        return float(s.budget_flops or s.deadline_days or s.budget_usd or math.inf)


def _problem(scenario: Scenario, settings: Optimize) -> _Problem:
    from planner.quality import pools

    training = scenario.training
    mix = pools(scenario, scenario.source_tokens())
    real_index = [i for i, p in enumerate(mix) if p.kind == "real"]
    synthetic_index = [i for i, p in enumerate(mix) if p.kind == "synthetic"]
    real_rate: list[float] = []
    synthetic_rate: list[float] = []
    fixed = 0.0
    for source in scenario.data:
        unit = cost.source_cost(source.model_copy(update={"fixed_fee_usd": 0.0}), 1e9)
        fixed += source.fixed_fee_usd
        rate = (unit.acquisition_usd + unit.generation_usd + unit.grading_usd) / 1e9
        (synthetic_rate if source.synthetic else real_rate).append(rate)
    return _Problem(
        scenario=scenario,
        settings=settings,
        pools=mix,
        peak=training.accelerator.peak_flops(training.precision),
        utilization=training.utilization.mid,
        price=training.price,
        goodput=training.goodput,
        count=training.accelerator_count,
        fixed_usd=fixed,
        real_usd_per_token=real_rate,
        synthetic_usd_per_token=synthetic_rate,
        real_index=real_index,
        synthetic_index=synthetic_index,
        fresh=not scenario.data,
    )


def _bounds(problem: _Problem) -> list[tuple[float, float]]:
    s = problem.settings
    out = [(math.log(s.min_params), math.log(s.max_params))]
    for i in problem.real_index:
        if problem.fresh:
            out.append((math.log(1e6), math.log(1e15)))
            continue
        source = problem.scenario.data[i]
        unique = problem.pools[i].unique_tokens
        cap = unique if not source.allow_repetition else unique * MAX_EPOCHS
        out.append((math.log(1e6), math.log(cap)))
    for _ in problem.synthetic_index:
        out += [(math.log(1e6), math.log(1e15)), (0.0, math.log(MAX_EPOCHS))]
    return out


def _start(problem: _Problem, scale: float) -> np.ndarray:
    """A feasible-ish start: the scenario's own mix, tokens scaled by ``scale``."""
    x = [math.log(max(problem.scenario.model.params or 1e9, problem.settings.min_params))]
    for i in problem.real_index:
        x.append(math.log(max(problem.pools[i].tokens * scale, 1e6)))
    for j in problem.synthetic_index:
        pool = problem.pools[j]
        x += [math.log(max(pool.unique_tokens * scale, 1e6)), math.log(max(pool.epochs, 1.0))]
    return np.array(x)


def _repair(problem: _Problem, x: np.ndarray) -> np.ndarray:
    """Scale tokens (and then size) down until the budget holds exactly."""
    if problem.spend(x) <= problem.limit:
        return x
    lo, hi = -30.0, 0.0  # log factor applied to every token variable
    mask = np.zeros_like(x)
    mask[1:] = 1.0
    for j, _ in enumerate(problem.synthetic_index):  # epochs stay; kept tokens scale
        mask[1 + len(problem.real_index) + 2 * j + 1] = 0.0
    for _ in range(100):
        mid = (lo + hi) / 2
        if problem.spend(x + mid * mask) <= problem.limit:
            lo = mid
        else:
            hi = mid
    return x + lo * mask


def _reach(problem: _Problem, x: np.ndarray, target: float) -> np.ndarray:
    """Grow every token variable until the loss is at or below ``target`` (dual problem)."""
    if problem.loss(x) <= target:
        return x
    mask = np.ones_like(x)
    mask[0] = 0.0
    lo, hi = 0.0, 1.0
    while problem.loss(x + hi * mask) > target and hi < 30:
        hi *= 2
    for _ in range(100):
        mid = (lo + hi) / 2
        if problem.loss(x + mid * mask) <= target:
            hi = mid
        else:
            lo = mid
    return x + hi * mask


def optimize(scenario: Scenario, settings: Optimize | None = None) -> Allocation:
    """The plan minimising expected loss within the budget, or the cheapest reaching a target."""
    from scipy.optimize import minimize

    settings = settings or scenario.optimize
    if settings is None:
        raise InputError("no optimisation goal", field="optimize",
                         allowed="add optimize: {budget_usd: ...} (or budget_flops, deadline_days, target_loss)")
    problem = _problem(scenario, settings)
    bounds = _bounds(problem)
    dual = settings.target_loss is not None
    target = settings.target_loss if settings.target_loss is not None else math.inf

    def cheapest(x: np.ndarray) -> float:
        return math.log(problem.cost(x))

    objective: Callable[[np.ndarray], float]
    if dual:
        floor = problem.law.E if isinstance(problem.law, ChinchillaLaw) else 0.0
        if target <= floor:
            raise InputError(f"target loss is at or below the law's irreducible loss {floor:.4f}",
                             field="optimize.target_loss", value=settings.target_loss)
        objective = cheapest
        constraint = {"type": "ineq", "fun": lambda x: target - problem.loss(x)}
        goal = f"cheapest plan with expected loss <= {settings.target_loss}"
    else:
        objective = problem.loss
        constraint = {"type": "ineq", "fun": lambda x: 1.0 - problem.spend(x) / problem.limit}
        goal = f"lowest expected loss within {_describe(settings)}"
    constraints = [constraint]
    if problem.synthetic_index:
        cap = settings.max_synthetic_share
        constraints.append({"type": "ineq", "fun": lambda x: cap - problem.synthetic_share(x)})
    best = None
    for scale in (1.0, 0.1, 10.0):
        start = np.clip(_start(problem, scale), [b[0] for b in bounds], [b[1] for b in bounds])
        result = minimize(objective, start, method="SLSQP", bounds=bounds, constraints=constraints,
                          options={"maxiter": 500, "ftol": 1e-12})
        x = _reach(problem, result.x, target) if dual else _repair(problem, result.x)
        feasible = problem.loss(x) <= target if dual else problem.spend(x) <= problem.limit
        score = objective(x)
        if feasible and (best is None or score < best[0]):
            best = (score, x)
    if best is None and dual:
        raise InputError("no plan reaches the target loss within the search bounds",
                         field="optimize.target_loss", value=settings.target_loss,
                         allowed="raise the target, max_params, or the data available")
    if best is None:
        raise InputError("no plan fits in the budget: fixed costs and the smallest model already exceed it",
                         field="optimize", value=problem.limit,
                         allowed="raise the budget or lower min_params")
    return _allocation(problem, best[1], goal, bounds)


def _describe(settings: Optimize) -> str:
    if settings.budget_usd is not None:
        return f"${settings.budget_usd:,.0f}"
    if settings.budget_flops is not None:
        return f"{settings.budget_flops:.3g} FLOPs"
    return f"{settings.deadline_days} days"


def _allocation(problem: _Problem, x: np.ndarray, goal: str, bounds: list[tuple[float, float]]) -> Allocation:
    params, tokens, unique = problem.unpack(x)
    names = [p.name for p in problem.pools]
    binding = []
    if problem.settings.target_loss is None and problem.spend(x) >= problem.limit * (1 - 1e-4):
        binding.append("budget")
    if problem.settings.target_loss is not None:
        binding.append("target loss")
    if problem.synthetic_index and problem.synthetic_share(x) >= problem.settings.max_synthetic_share - 1e-4:
        binding.append("max_synthetic_share")
    if abs(x[0] - bounds[0][1]) < 1e-6:
        binding.append("max_params")
    if abs(x[0] - bounds[0][0]) < 1e-6:
        binding.append("min_params")
    for k, i in enumerate(problem.real_index, start=1):
        if abs(x[k] - bounds[k][1]) < 1e-6:
            binding.append(f"data.{names[i]} unique tokens")
    return Allocation(
        goal=goal,
        binding=", ".join(binding) or "none",
        params=params,
        tokens=sum(tokens),
        loss=problem.loss(x),
        total_cost_usd=problem.cost(x),
        training_flops=problem.flops(x),
        wall_clock_days=problem.days(x),
        inference_flops=problem.inference_flops(x),
        source_tokens=dict(zip(names, tokens)),
        synthetic_kept_tokens={names[j]: unique[j] for j in problem.synthetic_index},
        epochs={n: t / u for n, t, u in zip(names, tokens, unique)},
        marginal_usd_per_0_01_loss=_marginals(problem, x),
    )


def _marginals(problem: _Problem, x: np.ndarray) -> dict[str, float | None]:
    """Dollars per 0.01 of loss for three moves from the chosen plan."""

    def rate(moved: np.ndarray) -> float | None:
        gained = problem.loss(x) - problem.loss(moved)
        spent = problem.cost(moved) - problem.cost(x)
        return 0.01 * spent / gained if gained > 1e-12 else None

    out: dict[str, float | None] = {}
    bigger = x.copy()
    bigger[0] += math.log(1.1)
    out["larger_model_10pct"] = rate(bigger)
    if problem.real_index:
        largest = max(problem.real_index, key=lambda i: problem.pools[i].unique_tokens)
        k = 1 + problem.real_index.index(largest)
        epoch = x.copy()
        epoch[k] = math.log(math.exp(x[k]) + problem.pools[largest].unique_tokens)
        out["another_real_epoch"] = rate(epoch)
    if problem.synthetic_index:
        more = x.copy()
        more[1 + len(problem.real_index)] += math.log(1.1)
        out["more_synthetic_10pct"] = rate(more)
    return out


def optimize_flops(flops: float, unique_tokens: float | None = None, law_name: str = "besiroglu-2024") -> dict[str, float]:
    """Quick allocation of a FLOP budget (``planner optimize --flops``).

    Without unique tokens: the law's closed form (Hoffmann et al. 2022, Eq. 4). With them:
    Muennighoff et al.'s grid search, exactly as published (datablations README
    ``optimal_allocation``): from the compute-optimal point, 500 multipliers in
    [1.0001, 3] trade parameters for tokens both ways on the iso-FLOP line.
    """
    chosen = preset(law_name)
    if not isinstance(chosen, ChinchillaLaw):
        raise InputError(f"{chosen.name} has no closed-form allocation", field="--law",
                         allowed="use a Chinchilla-form law")
    params, tokens = (float(v) for v in chosen.compute_optimal(flops))
    if unique_tokens is None:
        return {"params": params, "tokens": tokens, "loss": float(chosen.loss(params, tokens)), "flops": flops}
    best = (math.inf, tokens, params)
    for i in np.linspace(1.0001, 3, 500):
        for n, d in ((params / i, tokens * i), (params * i, tokens / i)):
            value = float(chosen.constrained_loss(n, d, min(unique_tokens, d)))
            if value < best[0]:
                best = (value, d, n)
    loss, tokens, params = best
    return {"params": params, "tokens": tokens, "loss": loss, "flops": flops,
            "unique_tokens": unique_tokens, "epochs": tokens / unique_tokens}


def inference_optimal(target_loss: float, inference_tokens: float, chosen: ChinchillaLaw) -> dict[str, float]:
    """Sardana & Frankle 2023: ``min 6·N·D + 2·N·D_inf`` subject to ``L(N, D) = target``.

    For each N the training tokens follow from the law; a bounded scalar search over log N
    finds the minimum of total FLOPs.
    """
    from scipy.optimize import minimize_scalar

    def tokens_for(params: float) -> float:
        gap = target_loss - chosen.E - chosen.A / params**chosen.alpha
        return (chosen.B / gap) ** (1 / chosen.beta) if gap > 0 else math.inf

    def total(log_params: float) -> float:
        params = math.exp(log_params)
        return 6 * params * tokens_for(params) + 2 * params * inference_tokens

    smallest = (chosen.A / (target_loss - chosen.E)) ** (1 / chosen.alpha)
    result = minimize_scalar(total, bounds=(math.log(smallest) + 1e-9, math.log(smallest) + 12),
                             method="bounded", options={"xatol": 1e-10})
    params = math.exp(result.x)
    return {"params": params, "tokens": tokens_for(params), "total_flops": float(result.fun)}


def optimize_file(path: str, plan_name: str | None = None, goal: dict[str, Any] | None = None) -> Allocation:
    """``planner optimize FILE``: load, pick a plan, merge goal flags over the optimize block."""
    from planner.loader import load_scenario, plans

    scenario = load_scenario(path)
    resolved = {p.name: p.scenario for p in plans(scenario, file=path)}
    name = plan_name or scenario.base_plan
    if name not in resolved:
        raise InputError("no such plan", field="--plan", value=name, allowed=f"plans: {', '.join(resolved)}")
    given = {k: v for k, v in (goal or {}).items() if v is not None}
    targets = {"budget_usd", "budget_flops", "deadline_days", "target_loss"}
    base = scenario.optimize.model_dump() if scenario.optimize else {}
    if given.keys() & targets:
        base = {k: v for k, v in base.items() if k not in targets}
    try:
        settings = Optimize.model_validate({**base, **given})
    except ValidationError as exc:
        problems = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        raise InputError(problems, file=path, field="optimize",
                         allowed="add an optimize block to the scenario or pass --budget-usd, "
                         "--budget-flops, --deadline-days or --target-loss") from None
    try:
        return optimize(resolved[name], settings)
    except InputError as exc:
        raise exc.located(path) from None
