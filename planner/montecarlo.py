"""Monte Carlo ranges: rows x draws, seeded, in chunks, through the plan model's formulas.

Sampled: utilisation (P10/P50/P90 = the scenario's low/point/high, calibrated on published
runs by default), prices, acceptance yields, synthetic value weights and the loss law's
constants where the law publishes standard errors. The random numbers are made once per
seed (standard normals, one stream per input) and reused for every row, so a plan gets the
same P10/P50/P90 from ``run()`` and from a sweep row, and plans evaluated with the same seed
are compared on common draws.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner import compute, cost, quality
from planner.laws import ChinchillaLaw
from planner.model import Evaluation
from planner.sampling import from_normals
from planner.schema import Uncertainty

__all__ = ["NAMES", "QUANTILES", "Normals", "law_draws", "normals", "ranges", "samples"]

QUANTILES = (0.1, 0.5, 0.9)
NAMES = ("loss", "total_cost_usd", "accelerator_hours", "wall_clock_days")
"""Outputs that get P10/P50/P90."""
CELLS = 2_000_000
"""Rows x draws evaluated together (about 16 MB per array): bounds memory for any sweep."""


@dataclass(frozen=True)
class Normals:
    """The draws of one seed: standard normals (uniforms for yields), one stream per input."""

    utilization: np.ndarray
    price: np.ndarray
    law: np.ndarray
    """(draws, 3): E, alpha, beta."""
    pool_yield: tuple[np.ndarray, ...]
    """Uniform(0, 1) per pool."""
    pool_price: tuple[np.ndarray, ...]
    pool_weight: tuple[np.ndarray, ...]


@functools.lru_cache(maxsize=8)
def normals(seed: int, draws: int, pools: int) -> Normals:
    """The draws for ``seed``: each input has its own stream, so adding a pool moves no other draw."""

    def stream(key: int, shape: tuple[int, ...] = (draws,), uniform: bool = False) -> np.ndarray:
        rng = np.random.default_rng([seed, key])
        values = rng.uniform(size=shape) if uniform else rng.standard_normal(shape)
        values.setflags(write=False)
        return values

    return Normals(
        utilization=stream(0), price=stream(1), law=stream(2, (draws, 3)),
        pool_yield=tuple(stream(100 + 3 * i, uniform=True) for i in range(pools)),
        pool_price=tuple(stream(101 + 3 * i) for i in range(pools)),
        pool_weight=tuple(stream(102 + 3 * i) for i in range(pools)),
    )


def law_draws(law: ChinchillaLaw, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """(E, A, B, alpha, beta) from standard normals ``z`` (draws x 3) and the law's standard errors.

    E, alpha and beta are normal around the fit. A and B are *not* sampled on their own:
    they are strongly correlated with alpha and beta (Besiroglu et al. 2024), so each moves
    with its exponent to keep its term fixed at the pivot, the middle of the fitted data
    (``A' = A·N_pivot^(alpha'−alpha)``; 8.7e8 parameters and 1.6e10 tokens for the
    Chinchilla runs: geometric means of the 245 runs). Uncertainty then grows with
    distance from the data, as an extrapolation's should.
    """
    E = law.E + (law.E_se or 0.0) * z[:, 0]
    alpha = law.alpha + (law.alpha_se or 0.0) * z[:, 1]
    beta = law.beta + (law.beta_se or 0.0) * z[:, 2]
    A = law.A * law.pivot_params ** (alpha - law.alpha)
    B = law.B * law.pivot_tokens ** (beta - law.beta)
    return E, A, B, alpha, beta


def ranges(ev: Evaluation, settings: Uncertainty) -> dict[str, np.ndarray] | None:
    """P10/P50/P90 per row of loss, total cost, accelerator-hours and days: (rows, 3) arrays.

    None when ``settings.samples`` is 0. Rows are evaluated in chunks of :data:`CELLS` cells.
    """
    draws = settings.samples
    if draws == 0:
        return None
    z = normals(settings.seed, draws, len(ev.pools))
    out = {name: np.empty((ev.size, len(QUANTILES))) for name in NAMES}
    step = max(1, CELLS // draws)
    for start in range(0, ev.size, step):
        rows = slice(start, min(start + step, ev.size))
        for name, values in samples(ev, settings, z, rows).items():
            out[name][rows] = np.quantile(values, QUANTILES, axis=1).T
    return out


def _column(value: Any, rows: slice) -> Any:
    """A row array as a (rows, 1) column; scalars stay scalars."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value[rows, None]
    return value


def samples(ev: Evaluation, settings: Uncertainty, z: Normals, rows: slice) -> dict[str, np.ndarray]:
    """Draws of each output in :data:`NAMES` for ``rows`` of a batch: (rows, draws) arrays."""
    scenario = ev.scenario
    training = scenario.training
    size = rows.stop - rows.start

    def col(name: str) -> Any:
        return ev[name][rows, None]

    utilization = np.minimum(from_normals(z.utilization, col("utilization"), col("utilization_low"),
                                          col("utilization_high")), 1.0)
    hours = compute.accelerator_hours(col("training_flops"), col("peak_flops_per_s"), utilization)
    goodput = _column(np.asarray(training.goodput) * np.ones(ev.size), rows)
    spread = 1.0 + _column(np.asarray(settings.price_spread), rows)
    price = col("price_usd_per_hour") * from_normals(z.price, 1.0, 1 / spread, spread)
    total = (cost.training_cost_usd(hours, price) + cost.overhead_cost_usd(hours, price, goodput)
             + col("real_data_usd"))
    weights: list[Any] = []
    pools = [_rows_of(pool, rows, ev.size) for pool in ev.pools]
    for i, pool in enumerate(pools):
        source = scenario.data[i] if scenario.data else None
        if source is None or source.synthetic is None:
            weights.append(1.0)
            continue
        synthetic = source.synthetic
        kept = _column(np.asarray(synthetic.acceptance_yield) * np.ones(ev.size), rows)
        drawn_yield = np.minimum(kept * (1 + settings.yield_spread * (2 * z.pool_yield[i] - 1)), 1.0)
        moved = source.model_copy(update={"synthetic": synthetic.model_copy(update={"acceptance_yield": drawn_yield})})
        spent = cost.source_cost(moved, ev.sources[i].unique_tokens[rows, None])
        factor = from_normals(z.pool_price[i], 1.0, 1 / spread, spread)
        used = ev.sources[i].tokens[rows, None] > 0
        total = total + (spent.generation_usd + spent.grading_usd) * factor * used
        weights.append(from_normals(z.pool_weight[i], pool.weight, pool.weight_low, pool.weight_high))
    data, unique = quality.mix_effective(pools, weights)
    law = scenario.law
    if isinstance(law, ChinchillaLaw) and law.has_uncertainty:
        E, A, B, alpha, beta = law_draws(law, z.law)
        law = ChinchillaLaw.model_construct(**{**dict(law), "E": E, "A": A, "B": B, "alpha": alpha, "beta": beta})
    loss = quality.expected_loss(law, col_of(ev.law_params, rows), data, unique if ev.unique_known else None)
    days = compute.wall_clock_days(hours, col("accelerator_count"), goodput)
    shape = (size, z.utilization.shape[0])
    return {"loss": np.broadcast_to(loss, shape), "total_cost_usd": np.broadcast_to(total, shape),
            "accelerator_hours": np.broadcast_to(hours, shape), "wall_clock_days": np.broadcast_to(days, shape)}


def col_of(values: np.ndarray, rows: slice) -> np.ndarray:
    return values[rows, None]


def _rows_of(pool: quality.Pool, rows: slice, size: int) -> quality.Pool:
    """The pool restricted to ``rows``, each row array as a (rows, 1) column."""
    changes = {}
    for field in dataclasses.fields(pool):
        value = getattr(pool, field.name)
        if isinstance(value, np.ndarray) and value.shape == (size,):
            changes[field.name] = value[rows, None]
    return dataclasses.replace(pool, **changes)
