"""Monte Carlo ranges for one plan: seeded, reproducible, vectorised with numpy.

Sampled: utilisation (P10/P50/P90 = the scenario's low/point/high, calibrated on
published runs by default), prices, acceptance yields, synthetic value weights and
the loss law's constants where the law publishes standard errors. The same formula
functions as a single estimate run on arrays of draws.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner import compute
from planner.laws import ChinchillaLaw, KaplanLaw, data_constrained_loss
from planner.quality import Pool, expected_loss, mix_effective
from planner.sampling import split_lognormal
from planner.schema import Range, Uncertainty


@dataclass(frozen=True)
class Percentiles:
    """10th, 50th and 90th percentile of a sampled output."""

    p10: float
    p50: float
    p90: float

    @classmethod
    def of(cls, values: np.ndarray) -> Percentiles:
        p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9])
        return cls(float(p10), float(p50), float(p90))


@dataclass(frozen=True)
class PlanInputs:
    """What the Monte Carlo needs from a finished estimate."""

    flops: float
    peak_flops_per_s: float
    accelerator_count: int
    goodput: float
    price_usd_per_hour: float
    utilization: Range
    fixed_usd: float
    """Real-data and other costs the draws do not move."""
    synthetic_usd: Sequence[float]
    """Generation + grading per pool (0 for real pools), at the scenario's yield."""
    yields: Sequence[float]
    """Acceptance yield per pool (1 for real pools)."""
    pools: Sequence[Pool]
    law: ChinchillaLaw | KaplanLaw
    law_params: float
    unique_known: bool


@dataclass(frozen=True)
class Ranges:
    loss: Percentiles
    total_cost_usd: Percentiles
    accelerator_hours: Percentiles
    wall_clock_days: Percentiles


def law_draws(law: ChinchillaLaw, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """(E, A, B, alpha, beta) draws from the law's standard errors.

    E, alpha and beta are normal around the fit. A and B are *not* sampled on their own:
    they are strongly correlated with alpha and beta (literature.md §8.1), so each moves
    with its exponent to keep its term fixed at the pivot, the middle of the fitted data
    (``A' = A·N_pivot^(alpha'−alpha)``; 8.7e8 parameters and 1.6e10 tokens for the
    Chinchilla runs: geometric means of the 245 runs). Uncertainty then grows with
    distance from the data, as an extrapolation's should.
    """
    E = law.E + (law.E_se or 0.0) * rng.standard_normal(n)
    alpha = law.alpha + (law.alpha_se or 0.0) * rng.standard_normal(n)
    beta = law.beta + (law.beta_se or 0.0) * rng.standard_normal(n)
    A = law.A * law.pivot_params ** (alpha - law.alpha)
    B = law.B * law.pivot_tokens ** (beta - law.beta)
    return E, A, B, alpha, beta


def simulate(inputs: PlanInputs, settings: Uncertainty) -> Ranges | None:
    """P10/P50/P90 of loss, total cost, accelerator-hours and days (None when samples = 0)."""
    n = settings.samples
    if n == 0:
        return None
    rng = np.random.default_rng(settings.seed)
    u = inputs.utilization
    utilization = np.minimum(split_lognormal(rng, u.mid, u.low, u.high, n), 1.0)
    hours = compute.accelerator_hours(inputs.flops, inputs.peak_flops_per_s, utilization)
    spread = 1.0 + settings.price_spread
    price = inputs.price_usd_per_hour * split_lognormal(rng, 1.0, 1 / spread, spread, n)
    cost = hours / inputs.goodput * price + inputs.fixed_usd
    weights: list[np.ndarray | float] = []
    for pool, usd, kept in zip(inputs.pools, inputs.synthetic_usd, inputs.yields):
        if pool.kind == "synthetic":
            drawn_yield = np.minimum(kept * rng.uniform(1 - settings.yield_spread, 1 + settings.yield_spread, n), 1.0)
            factor = split_lognormal(rng, 1.0, 1 / spread, spread, n)
            cost = cost + usd * kept / drawn_yield * factor
            weights.append(split_lognormal(rng, pool.weight, pool.weight_low, pool.weight_high, n))
        else:
            weights.append(1.0)
    data, unique = mix_effective(inputs.pools, weights)
    law = inputs.law
    if isinstance(law, ChinchillaLaw) and law.has_uncertainty:
        E, A, B, alpha, beta = law_draws(law, rng, n)
        if inputs.unique_known:
            loss = data_constrained_loss(E, A, B, alpha, beta, inputs.law_params, data, unique)
        else:
            loss = E + A / inputs.law_params**alpha + B / data**beta
    else:
        loss = expected_loss(law, inputs.law_params, data, unique if inputs.unique_known else None)
    loss = np.broadcast_to(loss, (n,))
    days = compute.wall_clock_days(hours, inputs.accelerator_count, inputs.goodput)
    return Ranges(
        loss=Percentiles.of(loss),
        total_cost_usd=Percentiles.of(np.broadcast_to(cost, (n,))),
        accelerator_hours=Percentiles.of(hours),
        wall_clock_days=Percentiles.of(days),
    )
