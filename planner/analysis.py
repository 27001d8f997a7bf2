"""Comparisons around finished plans: Pareto frontier, sensitivity (tornado) and the
loss of a plan as its synthetic share changes at a fixed budget.

Every number comes from :func:`planner.estimate.estimate` on modified copies of the
plan's scenario (Monte Carlo off, so the answers are the point estimates).
"""

from __future__ import annotations

import math

import numpy as np
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from planner.errors import PlannerError
from planner.estimate import PlanResult, estimate
from planner.fields import Range
from planner.laws import ChinchillaLaw
from planner.schema import Scenario


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


def _quiet(scenario: Scenario) -> Scenario:
    return scenario.model_copy(update={"uncertainty": scenario.uncertainty.model_copy(update={"samples": 0})})


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


def _with_synthetic(scenario: Scenario, change: Callable[..., dict[str, Any]]) -> Scenario:
    data = [
        d.model_copy(update={"synthetic": d.synthetic.model_copy(update=change(d.synthetic))})
        if d.synthetic is not None else d
        for d in scenario.data
    ]
    return scenario.model_copy(update={"data": data})


def sensitivity(scenario: Scenario) -> list[Sensitivity]:
    """Tornado rows for one plan, largest cost swing first."""
    scenario = _quiet(scenario)
    base = estimate(scenario)
    training = scenario.training
    spread = 1 + scenario.uncertainty.price_spread
    cases: list[tuple[str, str, str, Scenario, Scenario]] = []
    u = training.utilization
    if u.low != u.high:
        cases.append(("utilisation (MFU)", f"{u.low:.2f}", f"{u.high:.2f}",
                      _training(scenario, utilization=Range(low=u.low, high=u.low)),
                      _training(scenario, utilization=Range(low=u.high, high=u.high))))
    price = training.price
    cases.append((f"accelerator price (x1/{spread:.2f} to x{spread:.2f})", f"${price / spread:.2f}/h",
                  f"${price * spread:.2f}/h", _training(scenario, price_usd_per_hour=price / spread),
                  _training(scenario, price_usd_per_hour=price * spread)))
    if any(d.synthetic for d in scenario.data):
        cases.append(("synthetic value weight", "0.5 (pessimistic)", "2.5 (optimistic)",
                      _with_synthetic(scenario, lambda s: {"value_weight": Range(low=0.5, high=0.5)}),
                      _with_synthetic(scenario, lambda s: {"value_weight": Range(low=2.5, high=2.5)})))
        ys = scenario.uncertainty.yield_spread
        cases.append((f"acceptance yield (+-{ys:.0%})", "lower", "higher",
                      _with_synthetic(scenario, lambda s: {"acceptance_yield": s.acceptance_yield * (1 - ys)}),
                      _with_synthetic(scenario, lambda s: {"acceptance_yield": min(1.0, s.acceptance_yield * (1 + ys))})))
    law = scenario.law
    if isinstance(law, ChinchillaLaw) and law.has_uncertainty:
        for name, se, pivot, coeff in (("alpha", law.alpha_se, law.pivot_params, "A"),
                                      ("beta", law.beta_se, law.pivot_tokens, "B")):
            if not se:
                continue
            moved = [law.model_copy(update={name: getattr(law, name) + sign * se,
                                            coeff: getattr(law, coeff) * pivot ** (sign * se)})
                     for sign in (-1, 1)]
            cases.append((f"law {name} (+-1 SE)", f"-{se}", f"+{se}",
                          scenario.model_copy(update={"law": moved[0]}),
                          scenario.model_copy(update={"law": moved[1]})))
        if law.E_se:
            cases.append(("law E (+-1 SE)", f"-{law.E_se}", f"+{law.E_se}",
                          scenario.model_copy(update={"law": law.model_copy(update={"E": law.E - law.E_se})}),
                          scenario.model_copy(update={"law": law.model_copy(update={"E": law.E + law.E_se})})))
    rows = []
    for name, low_label, high_label, low, high in cases:
        lo, hi = estimate(low), estimate(high)
        rows.append(Sensitivity(name, low_label, high_label,
                                lo.total_cost_usd - base.total_cost_usd, hi.total_cost_usd - base.total_cost_usd,
                                lo.loss - base.loss, hi.loss - base.loss))
    return sorted(rows, key=lambda r: -r.swing)


def _training(scenario: Scenario, **update: object) -> Scenario:
    return scenario.model_copy(update={"training": scenario.training.model_copy(update=update)})


@dataclass(frozen=True)
class SharePoint:
    synthetic_share: float
    tokens: float
    loss: float


def synthetic_share_curve(scenario: Scenario, shares: Sequence[float] | None = None) -> list[SharePoint]:
    """Expected loss as the synthetic share moves, the plan's total cost held fixed.

    Real sources keep their relative shares of the real part and their unique tokens;
    synthetic sources keep their relative shares of the synthetic part and their epochs, so
    the tokens generated grow with the share.
    Training tokens are then chosen by bisection so that the total cost equals the plan's.
    Empty when the plan has no synthetic or no real source.
    """
    scenario = _quiet(scenario)
    real = [d for d in scenario.data if d.synthetic is None]
    synthetic = [d for d in scenario.data if d.synthetic is not None]
    if not real or not synthetic:
        return []
    drawn = dict(zip((d.name for d in scenario.data), scenario.source_tokens()))
    real_total = sum(drawn[d.name] for d in real)
    synthetic_total = sum(drawn[d.name] for d in synthetic)
    budget = estimate(scenario).total_cost_usd
    out = []
    for share in shares if shares is not None else [i / 20 for i in range(0, 17)]:
        def at(tokens: float, share: float = share) -> PlanResult:
            data = []
            for d in scenario.data:
                part = (share * drawn[d.name] / synthetic_total) if d.synthetic else ((1 - share) * drawn[d.name] / real_total)
                unique = d.unique_tokens
                if d.synthetic is not None and unique is not None:
                    unique = part * tokens / (drawn[d.name] / unique) if part > 0 else unique
                data.append(d.model_copy(update={"tokens": None, "epochs": None, "unique_tokens": unique,
                                                 "share": part if part > 0 else None,
                                                 "allow_repetition": True}))
            kept = [d for d in data if d.share is not None]
            updated = scenario.model_copy(update={"data": kept, "training": scenario.training.model_copy(
                update={"tokens": tokens, "epochs": None})})
            return estimate(updated)

        try:
            lo, hi = math.log(1e8), math.log(1e16)
            for _ in range(60):
                mid = (lo + hi) / 2
                if at(math.exp(mid)).total_cost_usd > budget:
                    hi = mid
                else:
                    lo = mid
            result = at(math.exp(lo))
        except (PlannerError, ValueError, ZeroDivisionError):
            continue
        out.append(SharePoint(share, result.tokens, result.loss))
    return out
