"""Monte Carlo ranges: rows x draws, seeded, in chunks, through the evaluator's term functions
(:func:`planner.plan.evaluate.training_dollars`, :func:`planner.plan.evaluate.plan_loss`, the
mixture's effective data and each source's cost), so a draw is a plan evaluated again.

Sampled: utilisation (P10/P50/P90 = the scenario's low/point/high, calibrated on published
runs by default), prices, acceptance yields, explicit synthetic value weights, each synthetic
kind's mixture gain (its preset's M_max range) and the loss law's constants: jointly from the
law's covariance when it has one (so the band widens away from the fitted data), else
independently from its standard errors. The random numbers are made once per
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

from planner.compute import flops
from planner.laws.forms import LAW_CONSTANTS, ChinchillaLaw
from planner.laws.uncertainty import law_draws
from planner.mixture import expected_loss
from planner.plan import cost
from planner.plan.evaluate import Evaluation, plan_loss, training_dollars
from planner.random_draws import from_normals, row_columns
from planner.scenario.schema import Uncertainty
from planner.scenario.sources import KINDS

__all__ = [
    "NAMES",
    "QUANTILES",
    "Normals",
    "law_draws",
    "normals",
    "paired_loss",
    "ranges",
    "samples",
    "staged_ratios",
]

QUANTILES = (0.1, 0.5, 0.9)
NAMES = ("loss", "total_cost_usd", "accelerator_hours", "wall_clock_days")
"""Outputs that get P10/P50/P90."""
CELLS = 2_000_000
"""Rows x draws evaluated together (about 8 MB per array): bounds memory for any sweep."""
CELL = np.float32
"""Precision of the per-draw arithmetic: 7 significant digits, far finer than the sampling error of a
10,000-draw percentile (~1%), at a sixth of the time of float64 for the loss's powers. Point
estimates stay float64."""


@dataclass(frozen=True)
class Normals:
    """The draws of one seed: standard normals (uniforms for yields), one stream per input."""

    utilization: np.ndarray
    price: np.ndarray
    law: np.ndarray
    """(draws, 5): E, ln A, ln B, alpha, beta (the first and the last two alone without a covariance)."""
    pool_yield: tuple[np.ndarray, ...]
    """Uniform(0, 1) per pool."""
    pool_price: tuple[np.ndarray, ...]
    pool_weight: tuple[np.ndarray, ...]
    gain: dict[str, np.ndarray]
    """Standard normals per synthetic kind, for its mixture gain's M_max."""


@functools.lru_cache(maxsize=8)
def normals(seed: int, draws: int, pools: int) -> Normals:
    """The draws for ``seed``: each input has its own stream, so adding a pool moves no other draw."""

    def stream(key: int, shape: tuple[int, ...] = (draws,), uniform: bool = False) -> np.ndarray:
        rng = np.random.default_rng([seed, key])
        values = (rng.uniform(size=shape) if uniform else rng.standard_normal(shape)).astype(CELL)
        values.setflags(write=False)
        return values

    return Normals(
        utilization=stream(0),
        price=stream(1),
        law=stream(2, (draws, len(LAW_CONSTANTS))),
        pool_yield=tuple(stream(100 + 3 * i, uniform=True) for i in range(pools)),
        pool_price=tuple(stream(101 + 3 * i) for i in range(pools)),
        pool_weight=tuple(stream(102 + 3 * i) for i in range(pools)),
        gain={kind: stream(10 + k) for k, kind in enumerate(KINDS)},
    )


def ranges(ev: Evaluation, settings: Uncertainty) -> dict[str, np.ndarray] | None:
    """P10/P50/P90 per row of loss, total cost, accelerator-hours and days: (rows, 3) arrays.

    None when ``settings.samples`` is 0. Hours and days are monotone in the utilisation draw,
    so their quantiles are the hours at the utilisation's quantiles (no per-draw work); loss and
    cost are computed per draw, rows in chunks of :data:`CELLS` cells spread over the cores
    (numpy releases the GIL).
    """
    draws = settings.samples
    if draws == 0:
        return None
    z = normals(settings.seed, draws, len(ev.pools))
    out = {name: np.empty((ev.size, len(QUANTILES))) for name in NAMES}
    # quantiles of a decreasing function are the function at the mirrored quantiles
    z_quantiles = _remember(
        (id(z.utilization), "quantiles"),
        lambda: np.quantile(z.utilization, QUANTILES[::-1]),
        z.utilization,
    )
    utilization = np.minimum(
        from_normals(
            z_quantiles[None, :],
            ev["utilization"][:, None],
            ev["utilization_low"][:, None],
            ev["utilization_high"][:, None],
        ),
        1.0,
    )
    hours = flops.accelerator_hours(
        ev["training_flops"][:, None], ev["peak_flops_per_s"][:, None], utilization
    )
    goodput = np.asarray(ev.scenario.training.goodput) * np.ones(ev.size)
    days = np.maximum(
        flops.wall_clock_days(hours, ev["usable_accelerators"][:, None], goodput[:, None]),
        ev["wall_clock_floor_days"][:, None],
    )
    staged = staged_ratios(ev)
    out["accelerator_hours"][:] = hours * staged["hours"][:, None]
    out["wall_clock_days"][:] = days * staged["days"][:, None]
    step = max(1, CELLS // draws)
    chunks = [slice(start, min(start + step, ev.size)) for start in range(0, ev.size, step)]

    def work(rows: slice) -> None:
        for name, values in samples(ev, settings, z, rows).items():
            out[name][rows] = _quantiles(values)

    if len(chunks) > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            list(pool.map(work, chunks))
    else:
        work(chunks[0])
    return out


WORKERS = 2
"""Threads for the Monte Carlo chunks (the project's machines have 2 cores; numpy releases the GIL)."""


def _quantiles(values: np.ndarray) -> np.ndarray:
    """P10/P50/P90 along the draws (axis 1), linear interpolation as ``np.quantile``.

    A full sort: numpy's vectorised sort of float32 rows is several times faster than a
    partition at six order statistics.
    """
    n = values.shape[1]
    if values.strides[1] == 0:  # the same value in every draw
        return np.repeat(values[:, :1], len(QUANTILES), axis=1).astype(float)
    position = np.asarray(QUANTILES) * (n - 1)
    below = np.floor(position).astype(int)
    above = np.minimum(below + 1, n - 1)
    ordered = np.sort(values, axis=1)
    weight = position - below
    result: np.ndarray = ordered[:, below] * (1 - weight) + ordered[:, above] * weight
    return result


def staged_ratios(ev: Evaluation) -> dict[str, np.ndarray]:
    """Per row, a staged run's hours, days and training dollars over what one stage on the base
    hardware at the point utilisation would give (1 for a single-stage run).

    A staged run's point estimates are sums over stages, each on its own hardware and price
    (planner.plan.stages); the draws of utilisation and price then spread those sums in
    proportion, so the P50 is the point estimate and the range keeps the hours model's width.
    """
    ones = np.ones(ev.size)
    if "stage.0.tokens" not in ev.values:
        return {"hours": ones, "days": ones, "dollars": ones}
    mid = flops.accelerator_hours(ev["training_flops"], ev["peak_flops_per_s"], ev["utilization"])
    goodput = np.asarray(ev.scenario.training.goodput) * ones
    days = np.maximum(
        flops.wall_clock_days(mid, ev["usable_accelerators"], goodput), ev["wall_clock_floor_days"]
    )
    dollars = training_dollars(mid, ev["price_usd_per_hour"], goodput)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            name: np.nan_to_num(np.asarray(point / base, dtype=float), nan=1.0, posinf=1.0)
            for name, point, base in (
                ("hours", ev["accelerator_hours"], mid),
                ("days", ev["wall_clock_days"], days),
                ("dollars", ev["training_cost_usd"], dollars),
            )
        }


def paired_loss(
    ev: Evaluation, base: Evaluation, settings: Uncertainty
) -> tuple[np.ndarray, float] | None:
    """Loss of a one-plan batch minus a baseline's, on common draws: P10/P50/P90 and P(below 0).

    Both use the seed's draws (law constants, utilisation, prices and each pool's weight come
    from the same streams), so the shared uncertainty, mostly the law's irreducible loss E,
    cancels in the difference.
    """
    draws = settings.samples
    if draws == 0:
        return None
    first = samples(ev, settings, normals(settings.seed, draws, len(ev.pools)), slice(0, 1))["loss"]
    second = samples(base, settings, normals(settings.seed, draws, len(base.pools)), slice(0, 1))[
        "loss"
    ]
    difference = np.asarray(first, dtype=float) - np.asarray(second, dtype=float)
    return _quantiles(difference)[0], float(np.mean(difference < 0))


def _column(value: Any, rows: slice) -> Any:
    """A row array as a (rows, 1) column; scalars stay scalars."""
    if isinstance(value, np.ndarray) and value.ndim == 1:
        return value[rows, None]
    return value


def samples(
    ev: Evaluation, settings: Uncertainty, z: Normals, rows: slice
) -> dict[str, np.ndarray]:
    """Draws of loss and total cost for ``rows`` of a batch: (rows, draws) arrays."""
    scenario = ev.scenario
    training = scenario.training
    size = rows.stop - rows.start

    def col(name: str) -> Any:
        return ev[name][rows, None].astype(CELL)

    utilization = np.minimum(
        _drawn(
            z.utilization, *(_scalar(col(f"utilization{end}")) for end in ("", "_low", "_high"))
        ),
        1.0,
    )
    hours = flops.accelerator_hours(col("training_flops"), col("peak_flops_per_s"), utilization)
    goodput = _column(np.asarray(training.goodput, dtype=CELL) * np.ones(ev.size, dtype=CELL), rows)
    spread = 1.0 + settings.price_spread
    price = col("price_usd_per_hour") * _drawn(z.price, 1.0, 1 / spread, spread)
    dollars = staged_ratios(ev)["dollars"][rows, None].astype(CELL)
    total = training_dollars(hours, price, goodput) * dollars + col("real_data_usd")
    weights: list[Any] = []
    pools = [_rows_of(pool, rows, ev.size) for pool in ev.pools]
    for i, pool in enumerate(pools):
        source = scenario.data[i] if scenario.data else None
        if source is None or source.synthetic is None:
            weights.append(1.0)
            continue
        synthetic = source.synthetic
        kept = _column(
            np.asarray(synthetic.acceptance_yield, dtype=CELL) * np.ones(ev.size, dtype=CELL), rows
        )
        drawn_yield = np.minimum(
            kept * (1 + settings.yield_spread * (2 * z.pool_yield[i] - 1)), 1.0
        )
        cut = row_columns(synthetic, rows, ev.size)  # swept prices etc. as (rows, 1) columns
        moved = row_columns(source, rows, ev.size).model_copy(
            update={"synthetic": cut.model_copy(update={"acceptance_yield": drawn_yield})}
        )
        spent = cost.source_cost(
            moved,
            ev.sources[i].unique_tokens[rows, None].astype(CELL),
            ev.sources[i].tokens[rows, None].astype(CELL),
        )
        factor = _drawn(z.pool_price[i], 1.0, 1 / spread, spread)
        used = ev.sources[i].tokens[rows, None] > 0
        total = total + (spent.generation_usd + spent.grading_usd) * factor * used
        weights.append(
            _drawn(
                z.pool_weight[i],
                *(
                    _scalar(_column(np.asarray(getattr(pool, name)), rows))
                    for name in ("weight", "weight_low", "weight_high")
                ),
            )
        )
    mixture = row_columns(scenario.mixture, rows, ev.size)  # swept gains as (rows, 1) columns
    gains: dict[str, Any] = {}
    for kind in {p.synthetic_kind for p in pools if p.synthetic_kind and not p.weighted}:
        spread_gain = mixture.gain(kind).max_gain  # numbers, or row arrays in a sweep
        gains[kind] = _drawn(
            z.gain[kind],
            *(
                _scalar(_column(np.asarray(value, dtype=CELL), rows))
                for value in (spread_gain.mid, spread_gain.low, spread_gain.high)
            ),
        )
    terms = expected_loss.mix_effective(pools, mixture, scenario.law, weights, gains)
    law = scenario.law
    varies = any(np.ndim(w) for w in weights) or any(np.ndim(g) for g in gains.values())
    if not varies and not (isinstance(law, ChinchillaLaw) and law.has_uncertainty):
        # nothing the loss depends on is drawn: every draw is the point estimate
        shape = (size, z.utilization.shape[0])
        return {
            "loss": np.broadcast_to(ev["loss"][rows, None], shape),
            "total_cost_usd": np.broadcast_to(total, shape),
        }
    if isinstance(law, ChinchillaLaw) and law.has_uncertainty:
        law = _law_drawn(law, z)
    loss = plan_loss(law, col_of(ev.law_params, rows).astype(CELL), terms, scenario.training)
    shape = (size, z.utilization.shape[0])
    return {"loss": np.broadcast_to(loss, shape), "total_cost_usd": np.broadcast_to(total, shape)}


def col_of(values: np.ndarray, rows: slice) -> np.ndarray:
    return values[rows, None]


_CACHE: dict[tuple[Any, ...], Any] = {}
"""Draws that depend only on a seed's normals and scalar settings: made once, shared by every plan."""


def _remember(key: tuple[Any, ...], make: Any, anchor: Any) -> Any:
    """A cached value; keys start with ``id(anchor)``, so the entry keeps ``anchor`` alive: a
    freed array's id can be reused by a new one (normals() is an LRU of 8), which returned
    another seed's draws, or draws of another shape."""
    if key not in _CACHE:
        if len(_CACHE) > 256:
            _CACHE.clear()
        _CACHE[key] = (anchor, make())
    return _CACHE[key][1]


def _scalar(value: Any) -> Any:
    """A column whose rows are all equal, as one float (so its draws can be shared)."""
    array = np.asarray(value)
    if array.size and (array.ndim == 0 or np.all(array == array.flat[0])):
        return float(array.flat[0])
    return value


def _drawn(z: np.ndarray, median: Any, low: Any, high: Any) -> Any:
    """:func:`planner.random_draws.from_normals`, cached when its settings are plain numbers."""
    if all(isinstance(v, float) for v in (median, low, high)):
        if median == low == high:
            return median
        return _remember(
            (id(z), median, low, high),
            lambda: from_normals(z, median, low, high).astype(CELL),
            z,
        )
    return np.asarray(from_normals(z, median, low, high), dtype=CELL)


def _law_drawn(law: ChinchillaLaw, z: Normals) -> ChinchillaLaw:
    """The law with each constant an array of draws (cached per law and seed)."""

    def make() -> ChinchillaLaw:
        E, A, B, alpha, beta = (np.asarray(v, dtype=CELL) for v in law_draws(law, z.law))
        return ChinchillaLaw.model_construct(
            **{**dict(law), "E": E, "A": A, "B": B, "alpha": alpha, "beta": beta}
        )

    return _remember(
        (
            id(z.law),
            law.name,
            law.E,
            law.A,
            law.B,
            law.alpha,
            law.beta,
            law.E_se,
            law.alpha_se,
            law.beta_se,
            law.pivot_params,
            law.pivot_tokens,
            law.covariance,
        ),
        make,
        z.law,
    )


def _rows_of(pool: expected_loss.Pool, rows: slice, size: int) -> expected_loss.Pool:
    """The pool restricted to ``rows``, each row array as a (rows, 1) column."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(pool):
        value = getattr(pool, field.name)
        if isinstance(value, np.ndarray) and value.ndim == 1:
            changes[field.name] = (
                value[rows, None] if len(value) == size else value[:, None]
            ).astype(CELL)
        elif isinstance(value, float) and field.name != "source_unique":
            changes[field.name] = CELL(value)
    return dataclasses.replace(pool, **changes)
