"""The optimiser's decision space: model size and tokens per source as a vector in log space,
evaluated in batches through the plan model, with bounds, starting points and the exact
repairs that put a candidate on its budget or target.

Decision variables: parameters N; tokens drawn from each real source; for each licensed real
source (a licence price per token), the unique tokens to buy and the epochs over them; for each
synthetic source, the tokens to generate and keep and the epochs over them. A pinned decision
(``optimize.params``, ``tokens``, ``shares``) is a fixed bound or an equality constraint. A batch
of candidates is a batch of plans for :func:`planner.plan.evaluate.evaluate`, so every candidate is
priced and scored as ``run()`` would.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner import defaults
from planner.compute import flops
from planner.plan import cost, evaluate
from planner.scenario.schema import Model, Optimize, Scenario

__all__ = ["STEP", "Problem", "bounds", "problem_for", "reach", "repair", "start"]

STEP = 1e-6
"""Forward-difference step in log space for the batched gradients."""


@dataclass
class Problem:
    scenario: Scenario
    settings: Optimize
    real_index: list[int]
    """Real sources with one variable, the tokens drawn (licence-free, or unique tokens not given)."""
    synthetic_index: list[int]
    fresh: bool
    """No data sources: data is unlimited and never repeated."""
    active_share: float
    licensed_index: list[int] = field(default_factory=list)
    """Real sources bought by the token: two variables, unique tokens bought and epochs over them."""
    _cache: dict[bytes, dict[str, np.ndarray]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [d.name for d in self.scenario.data] or ["all data"]

    @property
    def paired_index(self) -> list[int]:
        """Sources with two variables (amount held, epochs): licensed real, then synthetic."""
        return [*self.licensed_index, *self.synthetic_index]

    def position(self, source: int) -> int:
        """Index in ``x`` of a source's first variable (tokens drawn, or amount held)."""
        if source in self.real_index:
            return 1 + self.real_index.index(source)
        return 1 + len(self.real_index) + 2 * self.paired_index.index(source)

    def x_of(self, params: float, drawn: dict[str, float], held: dict[str, float]) -> np.ndarray:
        """The decision vector of a plan: parameters, tokens drawn per source, amount held for
        licensed and synthetic sources (bought or kept unique tokens)."""
        names = self.names
        x = [math.log(params)]
        for i in self.real_index:
            x.append(math.log(drawn[names[i]]))
        for j in self.paired_index:
            x += [math.log(held[names[j]]), math.log(drawn[names[j]] / held[names[j]])]
        return np.array(x)

    def scenario_at(self, X: np.ndarray) -> Scenario:
        """The scenario whose plans are the rows of ``X`` (numbers are row arrays)."""
        X = np.atleast_2d(X)
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
            params=params,
            active_params=params * self.active_share,
            architecture=None,
            granularity=s.model.moe_granularity,  # an MoE keeps its G (planner.laws.moe)
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
        for j in self.paired_index:
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
        return s.model_copy(update={"model": shape, "training": training, "data": data})

    def evaluation(self, x: np.ndarray) -> evaluate.Evaluation:
        """The plan model's full evaluation of one plan (families, shares, flags)."""
        return evaluate.evaluate(self.scenario_at(x), 1)

    def batch(self, X: np.ndarray) -> dict[str, np.ndarray]:
        """The plan model's outputs for each row of ``X``, plus inference FLOPs and the spend."""
        X = np.atleast_2d(X)
        rows = len(X)
        ev = evaluate.evaluate(self.scenario_at(X), rows)
        training = ev.scenario.training
        out = dict(ev.values)
        # inference reads the active parameters (2·N_active per token; dense: all of them)
        out["inference_flops"] = (
            # 2 x *active* parameters per token served (an MoE reads only its routed experts)
            defaults.INFERENCE_FLOPS_PER_PARAM
            * out["active_params"]
            * self.settings.inference_tokens
        )
        inference_hours = flops.accelerator_hours(
            out["inference_flops"], out["peak_flops_per_s"], out["utilization"]
        )
        out["cost"] = (
            out["total_cost_usd"]
            + cost.training_cost_usd(inference_hours, out["price_usd_per_hour"])
            + cost.overhead_cost_usd(inference_hours, out["price_usd_per_hour"], training.goodput)
        )
        out["flops"] = out["training_flops"] + out["inference_flops"]
        out["spend"] = out[self.limits[0][1]] if self.limits else out["cost"]
        out["source_tokens"] = (
            np.stack([t for t in ev.drawn], axis=1) if ev.drawn else out["tokens"][:, None]
        )
        out["kept"] = (
            np.stack([ev.sources[j].unique_tokens for j in self.synthetic_index], axis=1)
            if self.synthetic_index
            else np.zeros((rows, 0))
        )
        out["bought"] = (
            np.stack([ev.sources[j].unique_tokens for j in self.licensed_index], axis=1)
            if self.licensed_index
            else np.zeros((rows, 0))
        )
        for name in self.settings.shares:
            column = self.names.index(name)
            out[f"share:{name}"] = out["source_tokens"][:, column] / out["tokens"]
        out["within"] = np.all(
            [out[key] <= limit for _, key, limit in self.limits] or [np.ones(rows, bool)], axis=0
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

    def within(self, x: np.ndarray) -> bool:
        """Every limit holds (budget, FLOPs, deadline)."""
        return bool(self.batch(x)["within"][0])

    @property
    def limits(self) -> list[tuple[str, str, float]]:
        """(name, output, limit) of every limit the goal sets: budget or FLOPs, and a deadline."""
        s = self.settings
        out = []
        if s.budget_usd is not None:
            out.append(("budget", "cost", float(s.budget_usd)))
        if s.budget_flops is not None:
            out.append(("FLOP budget", "flops", float(s.budget_flops)))
        if s.deadline_days is not None:
            out.append(("deadline", "wall_clock_days", float(s.deadline_days)))
        return out

    def synthetic_share(self, x: np.ndarray) -> float:
        return float(self.batch(x)["synthetic_share"][0])

    @property
    def limit(self) -> float:
        return self.limits[0][2] if self.limits else math.inf

    @property
    def budget_name(self) -> str:
        return self.limits[0][0] if self.limits else "budget"


def problem_for(scenario: Scenario, settings: Optimize) -> Problem:
    params = evaluate.evaluate(scenario)
    share = float(params["active_params"][0] / params["params"][0])
    licensed = [i for i, d in enumerate(scenario.data) if _bought(d)]
    real = [i for i, d in enumerate(scenario.data) if d.synthetic is None and i not in licensed]
    synthetic = [i for i, d in enumerate(scenario.data) if d.synthetic is not None]
    fresh = not scenario.data
    unknown = set(settings.shares) - {d.name for d in scenario.data}
    if unknown:
        from planner.errors import InputError

        raise InputError(
            "optimize.shares names no data source",
            field="optimize.shares",
            value=", ".join(sorted(unknown)),
            allowed=", ".join(d.name for d in scenario.data) or "no sources defined",
        )
    return Problem(scenario, settings, [0] if fresh else real, synthetic, fresh, share, licensed)


def _bought(source: Any) -> bool:
    """A real source sold by the token: a licence price and a known offer (unique tokens)."""
    return (
        source.synthetic is None
        and source.license_usd_per_million_tokens > 0
        and source.unique_tokens is not None
    )


def bounds(problem: Problem) -> list[tuple[float, float]]:
    s = problem.settings
    pinned = s.params
    out = (
        [(math.log(pinned), math.log(pinned))]
        if pinned is not None
        else [(math.log(s.min_params), math.log(s.max_params))]
    )
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
        cap = unique if not source.allow_repetition else unique * s.max_epochs
        out.append((math.log(1e6), math.log(cap)))
    for i in problem.licensed_index:  # buy up to the offer, read it up to max_epochs times
        source = problem.scenario.data[i]
        offer = float(source.unique_tokens or 1e6)
        repeat = math.log(s.max_epochs) if source.allow_repetition else 0.0
        out += [(math.log(min(1e6, offer)), math.log(offer)), (0.0, repeat)]
    for _ in problem.synthetic_index:
        out += [(math.log(1e6), math.log(1e15)), (0.0, math.log(s.max_epochs))]
    return out


def start(problem: Problem, scale: float) -> np.ndarray:
    """A feasible-ish start: the scenario's own mix, tokens scaled by ``scale``."""
    s = problem.scenario
    here = evaluate.evaluate(s)
    pinned = problem.settings.params
    size = (
        pinned if pinned is not None else max(float(here["params"][0]), problem.settings.min_params)
    )
    x = [math.log(size)]
    if problem.fresh:
        return np.array([*x, math.log(max(float(here["tokens"][0]) * scale, 1e6))])
    for i in problem.real_index:
        x.append(math.log(max(float(here.sources[i].tokens[0]) * scale, 1e6)))
    for i in problem.licensed_index:  # buy what the plan reads once, read it once
        x += [math.log(max(min(float(here.sources[i].tokens[0]) * scale, 1e15), 1e6)), 0.0]
    for j in problem.synthetic_index:
        source = here.sources[j]
        x += [
            math.log(max(float(source.unique_tokens[0]) * scale, 1e6)),
            math.log(max(float(source.epochs[0]), 1.0)),
        ]
    return np.array(x)


def moved(x: np.ndarray, factors: Any, mask: np.ndarray, floor: np.ndarray) -> np.ndarray:
    """``x`` with every masked variable moved by ``factors`` (log space), none below its bound."""
    return np.maximum(x + np.asarray(factors)[..., None] * mask, floor)


def scale_search(
    problem: Problem,
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
        passed = ok(problem.batch(moved(x, factors, mask, floor)))
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


def token_mask(problem: Problem, x: np.ndarray, epochs_too: bool) -> np.ndarray:
    """The variables a repair moves: every token amount (and epochs when asked); the model size
    instead when the tokens are pinned and the size is not."""
    mask = np.ones_like(x)
    if problem.settings.tokens is not None:
        mask[:] = 0.0
        mask[0] = 0.0 if problem.settings.params is not None else 1.0
        return mask
    mask[0] = 0.0
    if not epochs_too:
        for j in problem.paired_index:  # epochs stay; bought and kept tokens scale
            mask[problem.position(j) + 1] = 0.0
    return mask


def repair(problem: Problem, x: np.ndarray, bounds: list[tuple[float, float]]) -> np.ndarray:
    """Scale tokens down, never below their bounds, until the budget holds exactly."""
    if problem.within(x):
        return x
    mask = token_mask(problem, x, epochs_too=False)
    floor = np.array([b[0] for b in bounds])
    factor = scale_search(problem, x, mask, -30.0, 0.0, lambda out: out["within"], True, floor)
    return moved(x, factor, mask, floor)


def reach(problem: Problem, x: np.ndarray, target: float) -> np.ndarray:
    """Grow every token variable until the loss is at or below ``target`` (dual problem)."""
    if problem.loss(x) <= target:
        return x
    mask = token_mask(problem, x, epochs_too=True)
    floor = np.full_like(x, -np.inf)
    factor = scale_search(
        problem, x, mask, 0.0, 30.0, lambda out: out["loss"] <= target, False, floor
    )
    return x if math.isnan(factor) else moved(x, factor, mask, floor)
