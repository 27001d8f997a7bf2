"""Analysis around finished plans, computed before any rendering: the cost-loss Pareto
frontier, sensitivity (tornado), the loss of a plan as its synthetic share changes at a fixed
budget, and the optimiser's recommended plan.

Every number comes from the plan model (:func:`planner.plan.evaluate.evaluate`) on batches of
modified copies of a plan's scenario: point estimates, no Monte Carlo.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.errors import PlannerError
from planner.laws.forms import ChinchillaLaw
from planner.laws.task_fit import TaskCurve
from planner.plan import evaluate
from planner.plan.results import PlanResult, Results
from planner.plan.share_curves import MixtureCurve, describe, mixture_curves
from planner.scenario.schema import Scenario

if TYPE_CHECKING:
    from planner.explore.optimizer import Allocation

__all__ = [
    "Analysis",
    "Sensitivity",
    "SharePoint",
    "analyse",
    "frontier_mask",
    "pareto",
    "sensitivity",
    "share_curve",
    "task_curves",
]


def pareto(plans: Sequence[PlanResult]) -> list[str]:
    """Names of the plans no other plan beats on both total cost and expected loss."""
    ordered = sorted(plans, key=lambda p: (p.total_cost_usd, p.loss))
    front, best = [], math.inf
    for plan in ordered:
        if plan.loss < best:
            front.append(plan.plan)
            best = plan.loss
    return front


def frontier_mask(cost: np.ndarray, loss: np.ndarray) -> np.ndarray:
    """Rows on the cost-loss Pareto frontier (vectorised: sort by cost, running minimum of loss).

    >>> frontier_mask(np.array([3.0, 1.0, 2.0]), np.array([1.0, 3.0, 2.0])).tolist()
    [True, True, True]
    >>> frontier_mask(np.array([1.0, 2.0]), np.array([1.0, 2.0])).tolist()
    [True, False]
    """
    order = np.lexsort((loss, cost))
    best = np.minimum.accumulate(loss[order])
    on = np.empty(len(cost), dtype=bool)
    on[order] = np.concatenate(([True], loss[order][1:] < best[:-1])) if len(cost) else []
    return on


@dataclass(frozen=True)
class Sensitivity:
    """How far one assumption, moved to its low and high values, moves cost and loss."""

    assumption: str
    low_label: str
    high_label: str
    cost_low: float
    cost_high: float
    loss_low: float
    loss_high: float
    """Changes relative to the plan (dollars; nats/token)."""

    @property
    def swing(self) -> float:
        return abs(self.cost_high - self.cost_low)


def _pair(scenario: Scenario, path: str, low: Any, high: Any) -> evaluate.Evaluation:
    """The plan with one numeric field at its low and its high value: a batch of two."""
    return evaluate.evaluate(
        evaluate.with_values(scenario, path, np.array([low, high], dtype=float)), 2
    )


def _each_synthetic(
    scenario: Scenario, field_name: str, low: Any, high: Any
) -> evaluate.Evaluation:
    batch = scenario
    for source in scenario.data:
        if source.synthetic is not None:
            value = getattr(source.synthetic, field_name)
            lo, hi = (low(value), high(value)) if callable(low) else (low, high)
            batch = evaluate.with_values(
                batch, f"data.{source.name}.synthetic.{field_name}", np.array([lo, hi])
            )
    return evaluate.evaluate(batch, 2)


def sensitivity(scenario: Scenario) -> list[Sensitivity]:
    """Tornado rows for one plan, largest cost swing first."""
    base = evaluate.evaluate(scenario)
    training = scenario.training
    spread = 1 + scenario.uncertainty.price_spread
    cases: list[tuple[str, str, str, evaluate.Evaluation]] = []
    u = training.utilization
    if u.low != u.high:
        cases.append(
            (
                "utilisation (MFU)",
                f"{u.low:.2f}",
                f"{u.high:.2f}",
                _pair(scenario, "training.utilization", u.low, u.high),
            )
        )
    price = training.price
    cases.append(
        (
            f"accelerator price (x1/{spread:.2f} to x{spread:.2f})",
            f"${price / spread:.2f}/h",
            f"${price * spread:.2f}/h",
            _pair(scenario, "training.price_usd_per_hour", price / spread, price * spread),
        )
    )
    if any(d.synthetic for d in scenario.data):
        kinds = sorted(
            {
                d.synthetic.kind
                for d in scenario.data
                if d.synthetic and d.synthetic.value_weight is None
            }
        )
        if kinds:
            batch = scenario
            for kind in (
                kinds
            ):  # each kind's gain at its preset's P10 and P90 (planner.scenario.mixture_presets)
                gain = scenario.mixture.gain(kind).max_gain
                batch = evaluate.with_values(
                    batch, f"mixture.{kind}.max_gain", np.array([gain.low, gain.high])
                )
            cases.append(
                (
                    f"mixture gain ({', '.join(kinds)}: preset P10-P90)",
                    "P10",
                    "P90",
                    evaluate.evaluate(batch, 2),
                )
            )
        ys = scenario.uncertainty.yield_spread
        cases.append(
            (
                f"acceptance yield (+/-{ys:.0%})",
                "lower",
                "higher",
                _each_synthetic(
                    scenario,
                    "acceptance_yield",
                    lambda y: y * (1 - ys),
                    lambda y: min(1.0, y * (1 + ys)),
                ),
            )
        )
    law = scenario.law
    if isinstance(law, ChinchillaLaw) and law.has_uncertainty:
        moves: list[tuple[str, float | None, dict[int, dict[str, float]]]] = []
        for name, se, pivot, coeff in (
            ("alpha", law.alpha_se, law.pivot_params, "A"),
            ("beta", law.beta_se, law.pivot_tokens, "B"),
        ):
            if se:
                moves.append(
                    (
                        name,
                        se,
                        {
                            sign: {
                                name: getattr(law, name) + sign * se,
                                coeff: getattr(law, coeff) * pivot ** (sign * se),
                            }
                            for sign in (-1, 1)
                        },
                    )
                )
        if law.E_se:
            moves.append(
                ("E", law.E_se, {sign: {"E": law.E + sign * law.E_se} for sign in (-1, 1)})
            )
        for name, se, update in moves:
            low, high = (
                evaluate.evaluate(
                    scenario.model_copy(update={"law": law.model_copy(update=update[s])})
                )
                for s in (-1, 1)
            )
            cases.append((f"law {name} (+/-1 SE)", f"-{se}", f"+{se}", _join(low, high)))
    rows = []
    for name, low_label, high_label, ev in cases:
        cost = ev["total_cost_usd"] - base["total_cost_usd"][0]
        loss = ev["loss"] - base["loss"][0]
        rows.append(
            Sensitivity(
                name,
                low_label,
                high_label,
                float(cost[0]),
                float(cost[1]),
                float(loss[0]),
                float(loss[1]),
            )
        )
    return sorted(rows, key=lambda r: -r.swing)


def _join(low: evaluate.Evaluation, high: evaluate.Evaluation) -> evaluate.Evaluation:
    values = {
        k: np.concatenate([low.values[k], high.values[k]]) for k in ("total_cost_usd", "loss")
    }
    return evaluate.Evaluation(
        low.scenario, 2, values, (), (), low.law_params, low.unique_known, ()
    )


@dataclass(frozen=True)
class SharePoint:
    synthetic_share: float
    tokens: float
    loss: float


SHARES = tuple(i / 20 for i in range(17))
"""Synthetic shares of the curve: 0 to 80% in steps of 5%."""


def share_curve(
    scenario: Scenario, shares: Sequence[float] = SHARES
) -> tuple[list[SharePoint], str]:
    """Expected loss as the synthetic share moves, the plan's total cost held fixed; and a note.

    Real sources keep their relative shares of the real part and their unique tokens;
    synthetic sources keep their relative shares of the synthetic part and their epochs, so
    the tokens generated grow with the share. Training tokens are then found by bisection,
    all shares at once (60 batched evaluations), so that the total cost equals the plan's.
    Shares whose fixed costs alone exceed the budget are left out, and the note says so.
    """
    real = [d for d in scenario.data if d.synthetic is None]
    synthetic = [d for d in scenario.data if d.synthetic is not None]
    if not real or not synthetic:
        return [], "The plan has no " + (
            "real" if not real else "synthetic"
        ) + " source, so its share cannot move."
    drawn = dict(zip((d.name for d in scenario.data), scenario.source_tokens(), strict=True))
    real_total = sum(drawn[d.name] for d in real)
    synthetic_total = sum(drawn[d.name] for d in synthetic)
    budget = float(evaluate.evaluate(scenario)["total_cost_usd"][0])
    share = np.asarray(shares, dtype=float)

    def at(tokens: np.ndarray) -> evaluate.Evaluation:
        data = []
        for d in scenario.data:
            part = (
                share * drawn[d.name] / synthetic_total
                if d.synthetic
                else (1 - share) * drawn[d.name] / real_total
            )
            unique: Any = d.unique_tokens
            if d.synthetic is not None and unique is not None:
                unique = np.where(part > 0, part * tokens / (drawn[d.name] / unique), unique)
            data.append(
                d.model_copy(
                    update={
                        "tokens": None,
                        "epochs": None,
                        "unique_tokens": unique,
                        "share": part,
                        "allow_repetition": True,
                    }
                )
            )
        batch = scenario.model_copy(
            update={
                "data": data,
                "training": scenario.training.model_copy(update={"tokens": tokens, "epochs": None}),
            }
        )
        return evaluate.evaluate(batch, len(share), {d.name for d in data})

    lo, hi = np.full(len(share), math.log(1e8)), np.full(len(share), math.log(1e16))
    try:
        for _ in range(60):
            mid = (lo + hi) / 2
            over = at(np.exp(mid))["total_cost_usd"] > budget
            hi, lo = np.where(over, mid, hi), np.where(over, lo, mid)
        result = at(np.exp(lo))
    except (PlannerError, ValueError, ZeroDivisionError):
        return [], "The curve could not be computed for this plan."
    feasible = np.abs(result["total_cost_usd"] / budget - 1) < 1e-3
    points = [
        SharePoint(float(s), float(t), float(v))
        for s, t, v, ok in zip(share, result["tokens"], result["loss"], feasible, strict=True)
        if ok
    ]
    note = describe(scenario.mixture, sorted({d.synthetic.kind for d in synthetic if d.synthetic}))
    if not feasible.all():
        missing = share[~feasible]
        note += (
            f" Shares {missing.min():.0%}-{missing.max():.0%} are left out: generating that much synthetic "
            "data alone costs more than the plan's budget."
        )
    return points, note


@dataclass(frozen=True)
class Analysis:
    """What the report shows beyond the plans themselves, computed by the library."""

    frontier: list[str]
    """Plans on the cost-loss Pareto frontier."""
    sensitivity: list[Sensitivity] = field(default_factory=list)
    share_curve: list[SharePoint] = field(default_factory=list)
    share_curve_plan: str | None = None
    share_curve_note: str = ""
    allocation: Allocation | None = None
    allocation_plan: str | None = None
    mixture_curves: list[MixtureCurve] = field(default_factory=list)
    """Loss against share per synthetic kind for the share-curve plan, published points marked."""
    task_curves: list[TaskCurve] = field(default_factory=list)
    """Predicted accuracy per task against compute through the baseline's size (downstream.tasks)."""


def analyse(results: Results, *, optimise: bool = True) -> Analysis:
    """Frontier, sensitivity and share curve of the baseline (or the first plan with synthetic
    data, when the baseline has none), and the optimiser's plan when a scenario asks for one."""
    inputs = {plan.name: plan for plan in results.inputs}
    base = inputs.get(results.baseline)
    if base is None:
        return Analysis(frontier=pareto(results.plans))
    mixed = next(
        (
            p
            for p in results.inputs
            if any(d.synthetic for d in p.scenario.data)
            and any(d.synthetic is None for d in p.scenario.data)
        ),
        base,
    )
    curve, note = share_curve(mixed.scenario)
    allocation = None
    chosen = next((p for p in (mixed, base) if p.scenario.optimize is not None), None)
    if optimise and chosen is not None:
        from planner.explore.optimizer import optimize

        allocation = optimize(chosen.scenario)
    return Analysis(
        frontier=pareto(results.plans),
        sensitivity=sensitivity(base.scenario),
        share_curve=curve,
        share_curve_plan=mixed.name,
        share_curve_note=note,
        allocation=allocation,
        allocation_plan=None if chosen is None else chosen.name,
        mixture_curves=mixture_curves(mixed.scenario),
        task_curves=task_curves(results),
    )


def task_curves(results: Results) -> list[TaskCurve]:
    """Accuracy against compute per task through the baseline's params and tokens, from the
    baseline scenario's ``downstream.tasks`` (empty without one)."""
    base = next((i for i in results.inputs if i.name == results.baseline), None)
    downstream = base.scenario.downstream if base is not None else None
    if downstream is None or downstream.tasks is None:
        return []
    from planner.laws.task_fit import accuracy_curves, load_task_file

    plan = results[results.baseline]
    return accuracy_curves(load_task_file(downstream.tasks), plan.params, plan.tokens)
