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
from typing import Any, NoReturn

import numpy as np
from pydantic import ValidationError

from planner.errors import InputError
from planner.explore import decision_space
from planner.explore.decision_space import Problem, problem_for, reach, repair
from planner.explore.evidence import laws_used, outside_evidence
from planner.io.progress import tracked
from planner.laws.allocation import optimize_flops
from planner.laws.forms import ChinchillaLaw
from planner.plan import evaluate
from planner.scenario.schema import Optimize, Scenario

__all__ = ["Allocation", "optimize", "optimize_file", "optimize_flops", "with_domains_kept"]


@dataclass(frozen=True)
class Allocation:
    """A plan the optimiser chose, with what it stands on."""

    goal: str
    binding: str
    """Which constraints bind: the budget (dollars, FLOPs), the deadline, data limits, epoch
    bounds, model-size bounds, pinned decisions."""
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
    active_params: float = 0.0
    """Parameters each token passes through (= params for a dense model)."""
    inference_tokens: float = 0.0
    """Lifetime inference tokens the plan was sized for (0 when the goal gives none)."""
    bought_tokens: dict[str, float] = field(default_factory=dict)
    """Unique tokens bought from each licensed source (paid per token, not the whole offer)."""
    licence_usd: dict[str, float] = field(default_factory=dict)
    """What each licensed source's purchase costs (licence and processing per token, fixed fee)."""
    pinned: dict[str, Any] = field(default_factory=dict)
    """Decisions the user fixed (params, tokens, shares); the rest was optimised."""
    laws: list[str] = field(default_factory=list)
    """The laws and presets behind the recommendation, each with its source."""
    flags: list[str] = field(default_factory=list)
    """Values outside a law's fitted range or a pool's evidence, and notes the reader needs."""
    versus_plan: dict[str, dict[str, float]] = field(default_factory=dict)
    """The user's own plan and the recommendation, paired: {quantity: {plan, recommended,
    difference}}, priced the same way (inference included)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def with_domains_kept(scenario: Scenario, settings: Optimize) -> Optimize:
    """``settings`` with the plan's share pinned for every real source outside the mixture
    gain's stream (``optimize.keep_domains``; a share the user pinned wins).

    Under one loss law a token the gain does not reach is worth less than one it does, so an
    unpinned search drops code or licensed text that no recipe would drop; the pin is stated
    among the binding constraints.
    """
    if not settings.keep_domains or not any(d.synthetic is not None for d in scenario.data):
        return settings  # without a synthetic pool there is no gain stream to trade a domain for
    ev = evaluate.evaluate(scenario)
    total = float(ev["tokens"][0])
    kept = {
        source.name: round(float(terms.tokens[0]) / total, 6)
        for source, terms in zip(scenario.data, ev.sources, strict=True)
        if source.synthetic is None and not terms.in_gain and float(terms.tokens[0]) > 0
    }
    if not kept:
        return settings
    return settings.model_copy(update={"shares": {**kept, **settings.shares}})


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
    settings = with_domains_kept(scenario, settings)
    problem = problem_for(scenario, settings)
    bounds = decision_space.bounds(problem)
    dual = settings.target_loss is not None
    target = settings.target_loss if settings.target_loss is not None else math.inf
    law = scenario.law
    constraints: list[dict[str, Any]] = []
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
        constraints.append(
            {
                "type": "ineq",
                "fun": lambda x: target - problem.value("loss", x),
                "jac": lambda x: -problem.gradient("loss", x, lambda v: v),
            }
        )
        goal = f"cheapest plan with expected loss <= {settings.target_loss}"
    else:
        name, scale = "loss", (lambda v: v)
        goal = f"lowest expected loss within {_describe(settings)}"
    if dual and settings.deadline_days is not None:
        goal += f" within {settings.deadline_days:g} days"
    for _, key, limit in problem.limits:
        constraints.append(_at_most(problem, key, limit))
    if problem.synthetic_index and settings.max_synthetic_share is not None:
        cap = settings.max_synthetic_share
        constraints.append(
            {
                "type": "ineq",
                "fun": lambda x: cap - problem.value("synthetic_share", x),
                "jac": lambda x: -problem.gradient("synthetic_share", x, lambda v: v),
            }
        )
    constraints += _pins(problem)

    def objective(x: np.ndarray) -> float:
        return float(scale(problem.value(name, x)))

    smallest = np.array([b[0] for b in bounds])
    if not problem.within(smallest):  # nothing fits: say so before searching
        _too_small(problem, settings, smallest)
    best = None
    with single_threaded_blas():
        for start_scale in tracked((1.0, 0.1, 10.0), "optimising", unit="starts"):
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
            x = np.clip(x, smallest, [b[1] for b in bounds])  # reach may overshoot a bound
            feasible = problem.within(x) and (problem.loss(x) <= target if dual else True)
            feasible = feasible and _pins_hold(problem, x)
            score = objective(x)
            if feasible and (best is None or score < best[0]):
                best = (score, x)
    if best is None and dual:
        raise InputError(
            "no plan reaches the target loss within the search bounds"
            + (" and the deadline" if settings.deadline_days is not None else "")
            + (" with the pinned decisions" if _pinned(settings) else ""),
            field="optimize.target_loss",
            value=settings.target_loss,
            allowed="raise the target, the deadline, max_params, or the data available",
        )
    if best is None:
        _too_small(problem, settings, smallest)
    return _allocation(problem, best[1], goal, bounds)


def _too_small(problem: Problem, settings: Optimize, smallest: np.ndarray) -> NoReturn:
    """Raise: no plan fits, naming the limit the smallest plan breaks and what it needs."""
    out = problem.batch(smallest)
    broken = [lim for lim in problem.limits if out[lim[1]][0] > lim[2]] or problem.limits[:1]
    name, key, limit = broken[0]
    raise InputError(
        f"no plan fits in the {name}"
        + (f" with the pinned decisions ({_pinned(settings)})" if _pinned(settings) else "")
        + f": the smallest plan (min_params and at least 1M tokens per source) already needs "
        f"{_spent(key, float(out[key][0]))}",
        field="optimize",
        value=limit,
        allowed="raise the budget or deadline, lower min_params, or unpin a decision",
    )


def _at_most(problem: Problem, key: str, limit: float) -> dict[str, Any]:
    """``output <= limit`` in log space (a budget, FLOPs, a deadline)."""
    return {
        "type": "ineq",
        "fun": lambda x: math.log(limit) - math.log(problem.value(key, x)),
        "jac": lambda x: -problem.gradient(key, x, np.log),
    }


def _pins(problem: Problem) -> list[dict[str, Any]]:
    """Equality constraints for pinned tokens and shares (a pinned size is a fixed bound)."""
    out: list[dict[str, Any]] = []
    tokens = problem.settings.tokens
    if tokens is not None:
        out.append(
            {
                "type": "eq",
                "fun": lambda x: math.log(problem.value("tokens", x)) - math.log(tokens),
                "jac": lambda x: problem.gradient("tokens", x, np.log),
            }
        )
    for source, share in problem.settings.shares.items():
        key = f"share:{source}"
        out.append(
            {
                "type": "eq",
                "fun": lambda x, key=key, share=share: problem.value(key, x) - share,
                "jac": lambda x, key=key: problem.gradient(key, x, lambda v: v),
            }
        )
    return out


PIN_TOLERANCE = 1e-3
"""Relative tolerance to which a pinned tokens or share must hold in the answer (assumption)."""


def _pins_hold(problem: Problem, x: np.ndarray) -> bool:
    out = problem.batch(x)
    s = problem.settings
    if s.tokens is not None and abs(out["tokens"][0] / s.tokens - 1) > PIN_TOLERANCE:
        return False
    return all(
        abs(out[f"share:{name}"][0] - share) <= PIN_TOLERANCE * max(share, 1e-3)
        for name, share in s.shares.items()
    )


def _pinned(settings: Optimize) -> str:
    parts = []
    if settings.params is not None:
        parts.append(f"params {settings.params:.3g}")
    if settings.tokens is not None:
        parts.append(f"tokens {settings.tokens:.3g}")
    parts += [f"{name} share {share:g}" for name, share in settings.shares.items()]
    return ", ".join(parts)


def _spent(key: str, value: float) -> str:
    if key == "flops":
        return f"{value:.3g} FLOPs"
    if key == "wall_clock_days":
        return f"{value:.3g} days"
    return f"${value:,.0f}" if value >= 100 else f"${value:.3g}"


def _describe(settings: Optimize) -> str:
    parts = []
    if settings.budget_usd is not None:
        parts.append(f"${settings.budget_usd:,.0f}")
    if settings.budget_flops is not None:
        parts.append(f"{settings.budget_flops:.3g} FLOPs")
    if settings.deadline_days is not None:
        parts.append(f"{settings.deadline_days:g} days")
    return " and ".join(parts)


def _allocation(
    problem: Problem, x: np.ndarray, goal: str, bounds: list[tuple[float, float]]
) -> Allocation:
    out = {k: v[0] for k, v in problem.batch(x).items()}
    names = problem.names
    settings = problem.settings
    tokens = [float(t) for t in out["source_tokens"]]
    kept = {names[j]: float(v) for j, v in zip(problem.synthetic_index, out["kept"], strict=True)}
    bought = {
        names[j]: float(v) for j, v in zip(problem.licensed_index, out["bought"], strict=True)
    }
    unique = {
        n: (
            kept.get(n) or bought.get(n) or float(problem.scenario.data[i].unique_tokens or t)
            if not problem.fresh
            else t
        )
        for i, (n, t) in enumerate(zip(names, tokens, strict=True))
    }
    epochs = {n: t / unique[n] for n, t in zip(names, tokens, strict=True)}
    ev = problem.evaluation(x)
    shares = dict(ev.mix.shares) if ev.mix is not None else {}
    shares = {k: float(np.asarray(v).ravel()[0]) for k, v in shares.items()}
    licence = {}
    for j in problem.licensed_index:
        source = problem.scenario.data[j]
        per_million = (
            source.license_usd_per_million_tokens + source.processing_usd_per_million_tokens
        )
        licence[names[j]] = bought[names[j]] * per_million / 1e6 + source.fixed_fee_usd
    params = float(out["params"])
    return Allocation(
        goal=goal,
        binding=", ".join(_binding(problem, x, out, bounds)) or "none",
        params=params,
        tokens=float(out["tokens"]),
        loss=float(out["loss"]),
        total_cost_usd=float(out["cost"]),
        training_flops=float(out["training_flops"]),
        wall_clock_days=float(out["wall_clock_days"]),
        inference_flops=float(out["inference_flops"]),
        source_tokens=dict(zip(names, tokens, strict=True)),
        synthetic_kept_tokens=kept,
        epochs=epochs,
        marginal_usd_per_0_01_loss=_marginals(problem, x),
        active_params=params * problem.active_share,
        inference_tokens=float(settings.inference_tokens),
        bought_tokens=bought,
        licence_usd=licence,
        pinned={
            k: v
            for k, v in (
                ("params", settings.params),
                ("tokens", settings.tokens),
                ("shares", dict(settings.shares) or None),
            )
            if v is not None
        },
        laws=laws_used(problem.scenario, shares, settings.inference_tokens),
        flags=outside_evidence(
            problem.scenario,
            params,
            float(out["tokens"]),
            {n: e for n, e in epochs.items() if out["source_tokens"][names.index(n)] > 0},
            shares,
            settings.inference_tokens,
        ),
        versus_plan=_versus_plan(problem, out),
    )


AT_BOUND = 1e-4
"""A data variable this close to its bound (log space, 0.01%) binds (assumption: the solver's
answers stop within about 1e-6 of a bound, a hair more after the exact budget repair)."""


def _binding(
    problem: Problem, x: np.ndarray, out: dict[str, Any], bounds: list[tuple[float, float]]
) -> list[str]:
    """The constraints the plan sits on."""
    settings = problem.settings
    names = problem.names
    binding = [name for name, key, limit in problem.limits if out[key] >= limit * (1 - 1e-4)]
    if settings.target_loss is not None:
        binding.append("target loss")
    cap = settings.max_synthetic_share
    if problem.synthetic_index and cap is not None and out["synthetic_share"] >= cap - 1e-4:
        binding.append("max_synthetic_share")
    if settings.params is not None:
        binding.append("pinned params")
    elif abs(x[0] - bounds[0][1]) < 1e-6:
        binding.append("max_params")
    elif abs(x[0] - bounds[0][0]) < 1e-6:
        binding.append("min_params")
    if settings.tokens is not None:
        binding.append("pinned tokens")
    binding += [f"pinned share of {name}" for name in settings.shares]
    if problem.fresh:
        return binding
    data = problem.scenario.data
    for i in problem.real_index:
        k = problem.position(i)
        if abs(x[k] - bounds[k][1]) < AT_BOUND:
            repeat = data[i].allow_repetition
            binding.append(f"data.{names[i]} " + ("max_epochs" if repeat else "unique tokens"))
    for j in problem.paired_index:
        k = problem.position(j)
        if j in problem.licensed_index and abs(x[k] - bounds[k][1]) < AT_BOUND:
            binding.append(f"data.{names[j]} whole offer bought")
        if bounds[k + 1][1] > 0 and abs(x[k + 1] - bounds[k + 1][1]) < AT_BOUND:
            binding.append(f"data.{names[j]} max_epochs")
    return binding


def _versus_plan(problem: Problem, out: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The user's own plan beside the recommendation, priced the same way (inference included)."""
    here = evaluate.evaluate(problem.scenario)
    names = problem.names
    if problem.fresh:
        drawn = {names[0]: float(here["tokens"][0])}
    else:
        drawn = {n: max(float(here.sources[i].tokens[0]), 1.0) for i, n in enumerate(names)}
    held = {
        names[j]: max(float(here.sources[j].unique_tokens[0]), 1.0) for j in problem.paired_index
    }
    mine = {
        k: v[0]
        for k, v in problem.batch(problem.x_of(float(here["params"][0]), drawn, held)).items()
    }
    keys = ("params", "tokens", "loss", "total_cost_usd", "wall_clock_days", "training_flops")
    return {
        key: {
            "plan": float(mine["cost" if key == "total_cost_usd" else key]),
            "recommended": float(out["cost" if key == "total_cost_usd" else key]),
            "difference": float(out["cost" if key == "total_cost_usd" else key])
            - float(mine["cost" if key == "total_cost_usd" else key]),
        }
        for key in keys
    }


def _marginals(problem: Problem, x: np.ndarray) -> dict[str, float | None]:
    """Dollars per 0.01 of loss for three moves from the chosen plan (one batch of four rows)."""
    moves: dict[str, np.ndarray] = {}
    bigger = x.copy()
    bigger[0] += math.log(1.1)
    moves["larger_model_10pct"] = bigger
    data = problem.scenario.data
    reals = [*problem.real_index, *problem.licensed_index]
    if reals and not problem.fresh:
        largest = max(reals, key=lambda i: data[i].unique_tokens or 0.0)
        k = problem.position(largest)
        epoch = x.copy()
        if largest in problem.licensed_index:  # one more read of what was bought
            epoch[k + 1] = math.log(math.exp(x[k + 1]) + 1.0)
        else:
            epoch[k] = math.log(math.exp(x[k]) + (data[largest].unique_tokens or math.exp(x[k])))
        moves["another_real_epoch"] = epoch
    if problem.synthetic_index:
        more = x.copy()
        more[problem.position(problem.synthetic_index[0])] += math.log(1.1)
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
    given = {k: v for k, v in (goal or {}).items() if v is not None and v != {}}
    targets = {"budget_usd", "budget_flops", "target_loss"}
    base = scenario.optimize.model_dump() if scenario.optimize else {}
    if given.keys() & targets:  # a goal flag replaces the file's goal; a deadline stays beside it
        base = {k: v for k, v in base.items() if k not in targets}
    if "shares" in given:
        given["shares"] = {**base.get("shares", {}), **given["shares"]}
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
