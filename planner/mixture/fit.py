"""Fit mixing behaviour to your own ablation runs, with the estimate's own formulas.

Three fits, each least squares with the linear constants solved exactly inside (a profile
fit), so no starting guess is needed:

* :func:`fit_mixture_gain`: the mixture gain of one synthetic type (docs/data-mix-literature.md
  §10, "Fitting Options A/B"): each run's loss becomes a speed-up with
  :func:`planner.mixture.formulas.speedup` under a base law fitted on web-only runs, and
  ``log S = log M(σ)`` is fitted with :func:`planner.mixture.formulas.share_gain`; bootstrap resamples of
  the runs give the intervals. The result is a :class:`planner.scenario.mixture_presets.GainPreset`, usable
  in a scenario's ``mixture`` block.
* :func:`fit_mixing_law`: Ye et al. 2024's ``L = c + k·exp(t·x)`` per validation domain
  (arXiv 2403.16952, Eq. 7 with two training domains), and :func:`mixing_law` to predict.
* :func:`fit_rectified_law`: SynthLLM's rectified law ``y = B/(D_l + D^β) + E`` (Qin et al.
  2025, arXiv 2503.19551, Eq. 2), and :func:`rectified_law` to predict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import ValidationError

from planner.errors import InputError, validation_problems
from planner.laws.forms import ChinchillaLaw
from planner.limits import MAX_MIX_FIT_WORK
from planner.mixture import formulas
from planner.numbers import Number
from planner.scenario.fields import Range
from planner.scenario.mixture_presets import GainPreset
from planner.scenario.sources import KINDS

__all__ = [
    "GainFit",
    "MixingLaw",
    "RectifiedLaw",
    "fit_gain_table",
    "fit_mixing_law",
    "fit_mixture_gain",
    "fit_rectified_law",
    "gain_file_text",
    "mixing_law",
    "rectified_law",
]


@dataclass(frozen=True)
class MixingLaw:
    """``L(x) = c + k·exp(t·x)`` for one validation domain, x = a training domain's share."""

    c: float
    k: float
    t: float
    rmse: float


def mixing_law(share: Number, c: Number, k: Number, t: Number) -> Number:
    """Ye et al. 2024 (arXiv 2403.16952) Eq. 7 with two domains: ``L = c + k·exp(t·x)``.

    ``t < 0``: the domain's own share lowers its loss. One domain's loss is monotone in x; an
    interior optimum appears only for a target that averages domains pulling apart (§4).
    """
    return c + k * np.exp(t * share)


def _linear(columns: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    coef, *_ = np.linalg.lstsq(columns, y, rcond=None)
    residual = columns @ coef - y
    return coef, float(np.sum(residual**2))


def fit_mixing_law(shares: Sequence[float], losses: Sequence[float]) -> MixingLaw:
    """Global least squares of :func:`mixing_law` (c, k linear; t by a fine grid, then golden search)."""
    x, y = np.asarray(shares, dtype=float), np.asarray(losses, dtype=float)
    if len(x) < 3:
        raise InputError(
            "a mixing law needs at least 3 runs", value=len(x), allowed="3 or more mixtures"
        )

    def sse(t: float) -> float:
        return _linear(np.column_stack([np.ones_like(x), np.exp(t * x)]), y)[1]

    grid = np.linspace(-30, 30, 6001)
    best = grid[int(np.argmin([sse(t) for t in grid]))]
    t = _golden(sse, best - 0.01, best + 0.01)
    (c, k), total = _linear(np.column_stack([np.ones_like(x), np.exp(t * x)]), y)
    return MixingLaw(float(c), float(k), float(t), float(np.sqrt(total / len(x))))


@dataclass(frozen=True)
class RectifiedLaw:
    """``y = B/(D_l + D^β) + E``: D_l is the "pre-learned data size"."""

    B: float
    D_l: float
    beta: float
    E: float
    max_residual: float


def rectified_law(tokens: Number, B: Number, D_l: Number, beta: Number, E: Number) -> Number:
    """SynthLLM's rectified scaling law (Qin et al. 2025, arXiv 2503.19551, Eq. 2; Lin et al. 2024).

    ``y(D) = B/(D_l + D^β) + E``: y falls from ``B/D_l + E`` (the model's prior) to E; larger
    models start lower, so they saturate with fewer synthetic tokens.
    """
    return B / (D_l + tokens**beta) + E


def fit_rectified_law(tokens: Sequence[float], values: Sequence[float]) -> RectifiedLaw:
    """Least squares of :func:`rectified_law`: B, E linear; a grid over (β, log D_l), then refined."""
    D, y = np.asarray(tokens, dtype=float), np.asarray(values, dtype=float)
    if len(D) < 5:
        raise InputError(
            "a rectified law needs at least 5 points", value=len(D), allowed="5 or more"
        )

    def sse(beta: float, log_dl: float) -> tuple[np.ndarray, float]:
        f = 1.0 / (np.exp(log_dl) + D**beta)
        return _linear(np.column_stack([f, np.ones_like(D)]), y)

    from scipy.optimize import minimize

    from planner.laws.blas import single_threaded_blas

    betas, logs = np.linspace(0.05, 1.5, 146), np.linspace(-5, 35, 161)
    with single_threaded_blas():  # 23,506 small least squares: threads only add contention
        scores = np.array([[sse(b, d)[1] for d in logs] for b in betas])
        i, j = np.unravel_index(int(np.argmin(scores)), scores.shape)
        found = minimize(
            lambda v: sse(v[0], v[1])[1],
            np.array([betas[i], logs[j]]),
            method="Nelder-Mead",
            options={"xatol": 1e-8, "fatol": 1e-14, "maxiter": 4000},
        )
    beta, log_dl = float(found.x[0]), float(found.x[1])
    (B, E), _ = sse(beta, log_dl)
    D_l = float(np.exp(log_dl))
    residual = np.max(np.abs(rectified_law(D, B, D_l, beta, E) - y))
    return RectifiedLaw(float(B), D_l, float(beta), float(E), float(residual))


MAX_RMSE_LOG_SPEEDUP = 0.5
"""Root-mean-square error of the log speed-up above which a gain fit is flagged. Assumption:
e^0.5 = 1.65x, a miss larger than any gain the literature reports (data-mix-literature.md
§10: optimum gains 1.1-2.5x)."""


@dataclass(frozen=True)
class GainFit:
    """A mixture gain fitted to ablation runs, with bootstrap spreads."""

    preset: GainPreset
    """The fitted gain: max_gain's low/high are the bootstrap P10/P90 (the Monte Carlo's convention)."""
    intervals: dict[str, tuple[float, float]]
    """95% bootstrap percentile intervals of optimum_share, max_gain and alone_gain."""
    speedups: tuple[float, ...]
    """Each run's speed-up under the base law (NaN: below what infinite data reaches)."""
    rmse_log: float

    @property
    def warnings(self) -> tuple[str, ...]:
        """A fit that misses the runs by more than :data:`MAX_RMSE_LOG_SPEEDUP` is named."""
        if self.rmse_log <= MAX_RMSE_LOG_SPEEDUP:
            return ()
        miss = math.exp(min(self.rmse_log, 700))
        message = (
            f"the fitted gain misses the runs' speed-ups by a factor of about {miss:.3g} "
            f"(rmse of log speed-up {self.rmse_log:.3g}, above {MAX_RMSE_LOG_SPEEDUP}): the "
            "runs do not follow one gain curve under this base law (another tokenizer or "
            "evaluation set?); do not use this preset as it is"
        )
        return (message,)


def _gain_fit(
    shares: np.ndarray, log_s: np.ndarray, sharpness: float
) -> tuple[float, float, float, float]:
    """(σ*, M_max, M_1, SSE): σ* by grid, M_max and M_1 by least squares on S, then on log S."""
    best = (np.inf, 0.3, 1.0, 1.0)
    for optimum in np.linspace(0.02, 0.98, 97):
        b = formulas.bump(shares, optimum, sharpness)
        # M − 1 = (M_max − 1)·b + (M_1 − 1)·σ: linear in the two gains
        coef, _ = _linear(np.column_stack([b, shares]), np.exp(log_s) - 1.0)
        top, alone = 1.0 + coef[0], max(1.0 + coef[1], 1e-3)
        model = formulas.share_gain(
            {"x": shares}, {"x": optimum}, {"x": sharpness}, {"x": top}, {"x": alone}
        )
        if np.all(model > 0):
            error = float(np.sum((np.log(model) - log_s) ** 2))
            if error < best[0]:
                best = (error, float(optimum), float(top), float(alone))
    return best[1], best[2], best[3], best[0]


MIN_FIT_SHARE = 1e-6
"""Smallest non-zero synthetic share in an ablation run. Sanity bound: a millionth of the tokens
cannot change a loss measurably; subnormal shares (2e-313) made the least squares NaN."""


def _check_work(runs: int, bootstrap: int) -> None:
    """Bootstrap 1 (an interval from one draw) and fits too large to end in seconds."""
    if bootstrap == 1:
        raise InputError(
            "one bootstrap resample gives no interval",
            field="--bootstrap",
            value=bootstrap,
            allowed="0 (no intervals) or at least 2 (200 by default)",
        )
    if runs * (bootstrap + 1) > MAX_MIX_FIT_WORK:
        raise InputError(
            f"{runs:,} runs x {bootstrap + 1:,} fits is more than {MAX_MIX_FIT_WORK:,} run-fits "
            "(planner.limits.MAX_MIX_FIT_WORK, a few seconds)",
            field="--bootstrap",
            value=bootstrap,
            allowed=f"at most {max(MAX_MIX_FIT_WORK // runs - 1, 0):,} resamples for {runs:,} runs, "
            "or average repeated runs of one mixture first",
        )


def _check_identifiable(shares: np.ndarray, losses: np.ndarray) -> None:
    """Runs that cannot identify σ*, M_max and M_1: one loss, or too few distinct shares."""
    if np.ptp(losses) == 0:
        raise InputError(
            f"every run has the same loss ({losses[0]:g}): the runs cannot identify the gain",
            allowed="runs at several synthetic shares whose losses differ",
        )
    distinct = np.unique(shares)
    if len(distinct) < 3 or np.count_nonzero(distinct) < 2:
        raise InputError(
            f"the runs have only {len(distinct)} distinct synthetic share value(s) "
            f"({', '.join(f'{v:g}' for v in distinct[:5])}): the gain's optimum share, peak and "
            "value alone cannot be told apart",
            allowed="runs at 3 or more shares, 2 or more of them above 0 (e.g. 0, 0.1, 0.3, 0.5, 1)",
        )


def fit_mixture_gain(
    law: ChinchillaLaw,
    params: Sequence[float],
    tokens: Sequence[float],
    shares: Sequence[float],
    losses: Sequence[float],
    *,
    name: str = "fitted",
    sharpness: float = 1.0,
    bootstrap: int = 200,
    seed: int = 0,
) -> GainFit:
    """Fit Option A's gain of one synthetic type to ablation runs (§10, "Fitting Options A/B").

    ``law``: the base law fitted on web-only runs (same tokenizer and evaluation set). Each run:
    parameters, tokens, the type's share σ, and its loss. Steps 3-4 of §10: ``S`` from
    :func:`planner.mixture.formulas.speedup`, then σ*, M_max, M_1 by least squares on ``log S`` (p fixed,
    default 1). ``bootstrap`` resamples runs with replacement (seeded).
    """
    n, d, x, y = (np.asarray(v, dtype=float) for v in (params, tokens, shares, losses))
    if not len(n) == len(d) == len(x) == len(y) or len(x) < 4:
        raise InputError(
            "a mixture-gain fit needs at least 4 runs with params, tokens, share and loss",
            value=len(x),
            allowed="4 or more runs; shares 0 to 1 including both ends if you can",
        )
    _check_work(len(x), bootstrap)
    tiny = x[(x > 0) & (x < MIN_FIT_SHARE)]
    if tiny.size:  # subnormal shares made the least squares NaN
        raise InputError(
            f"a synthetic share of {tiny[0]:g} is below {MIN_FIT_SHARE:g} (sanity bound)",
            value=float(tiny[0]),
            allowed="0 for a run without synthetic data, else a share of at least 1e-6",
        )
    s = formulas.speedup(law.E, law.A, law.B, law.alpha, law.beta, n, d, y)
    ok = np.isfinite(s) & (s > 0)
    if ok.sum() < 4:
        raise InputError(
            "fewer than 4 runs have a loss above what the base law reaches with infinite data",
            allowed="check that the base law was fitted on the same evaluation set",
        )
    _check_identifiable(x[ok], y[ok])
    x, log_s = x[ok], np.log(s[ok])
    optimum, top, alone, sse = _gain_fit(x, log_s, sharpness)
    rng = np.random.default_rng(seed)
    draws = (
        np.array(
            [
                _gain_fit(x[i], log_s[i], sharpness)[:3]
                for i in (rng.integers(0, len(x), len(x)) for _ in range(bootstrap))
            ]
        )
        if bootstrap
        else np.empty((0, 3))
    )
    intervals = (
        {
            key: (float(np.quantile(draws[:, k], 0.025)), float(np.quantile(draws[:, k], 0.975)))
            for k, key in enumerate(("optimum_share", "max_gain", "alone_gain"))
        }
        if len(draws)
        else {}
    )
    low, high = (
        (float(np.quantile(draws[:, 1], q)) for q in (0.1, 0.9)) if len(draws) else (top, top)
    )
    try:
        preset = _preset(name, law, len(x), bootstrap, sharpness, optimum, top, alone, low, high)
    except ValidationError as exc:
        raise InputError(
            f"the fitted gain is outside what a preset allows ({validation_problems(exc)}): peak "
            f"{top:.3g}x, alone {alone:.3g}x",
            allowed="runs whose losses the base law describes (same tokenizer and evaluation "
            "set), with shares spread from 0 to 1",
        ) from None
    return GainFit(preset, intervals, tuple(float(v) for v in s), float(np.sqrt(sse / len(x))))


def _preset(
    name: str,
    law: ChinchillaLaw,
    runs: int,
    bootstrap: int,
    sharpness: float,
    optimum: float,
    top: float,
    alone: float,
    low: float,
    high: float,
) -> GainPreset:
    return GainPreset(
        name=name,
        source=f"planner.mixture.fit.fit_mixture_gain on {runs} ablation runs (base law {law.name}); "
        f"max_gain P10-P90 from {bootstrap} bootstrap resamples",
        optimum_share=min(max(optimum, 0.01), 0.99),
        sharpness=sharpness,
        max_gain=Range(low=min(low, top), high=max(high, top), point=top),
        alone_gain=alone,
    )


def fit_gain_table(
    frame: Any,
    law: ChinchillaLaw,
    *,
    columns: dict[str, str] | None = None,
    name: str = "ablations",
    bootstrap: int = 200,
    seed: int = 0,
) -> GainFit:
    """:func:`fit_mixture_gain` on a run table (``planner fit-mix``): params, tokens (or flops),
    loss and synthetic_share columns, checked as ``planner fit`` checks them (planner.laws.run_tables)."""
    from planner.laws.run_tables import prepare

    runs = prepare(frame, columns, name=name)
    if "synthetic_share" not in runs:
        raise InputError(
            "no synthetic_share column",
            file=name,
            allowed="a synthetic_share column (0 to 1), or --column synthetic_share=YOUR_COLUMN",
        )
    try:
        return fit_mixture_gain(
            law,
            runs["params"].tolist(),
            runs["tokens"].tolist(),
            runs["synthetic_share"].tolist(),
            runs["loss"].tolist(),
            name=f"fitted:{name}",
            bootstrap=bootstrap,
            seed=seed,
        )
    except InputError as exc:
        raise exc.located(file=name) from None


def gain_file_text(result: GainFit) -> str:
    """The YAML preset ``planner fit-mix --out`` writes; scenarios use it as
    ``mixture: {rephrased: {file: THIS_FILE}}``."""
    import yaml

    document = result.preset.model_dump(mode="json")
    document["fit"] = {
        "runs": len(result.speedups),
        "rmse_log_speedup": round(result.rmse_log, 6),
        "intervals_95": {k: list(v) for k, v in result.intervals.items()},
    }
    header = (
        "# Mixture-gain preset fitted by planner fit-mix; use it with\n"
        "#   mixture: {rephrased: {file: THIS_FILE}}   "
        f"(or {', '.join(k for k in KINDS if k != 'rephrased')})\n"
    ) + "".join(f"# WARNING: {w}\n" for w in result.warnings)
    return header + yaml.safe_dump(document, sort_keys=False)


def _golden(f: object, low: float, high: float, steps: int = 80) -> float:
    """Minimum of a unimodal ``f`` on [low, high] by golden-section search."""
    call = f  # typed loosely: a float -> float function
    ratio = (np.sqrt(5) - 1) / 2
    a, b = low, high
    for _ in range(steps):
        c, d = b - ratio * (b - a), a + ratio * (b - a)
        if call(c) < call(d):  # type: ignore[operator]
            b = d
        else:
            a = c
    return float((a + b) / 2)
