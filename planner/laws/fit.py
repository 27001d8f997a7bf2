"""Fit a scaling law to your own runs (Hoffmann et al. 2022; Besiroglu et al. 2024).

Model: ``log L̂ = LSE(a − alpha·log N, b − beta·log D', e)``, i.e. ``L̂ = E + A/N^alpha +
B/D'^beta`` with ``A = e^a, B = e^b, E = e^e``. ``D'`` is the effective data: Muennighoff's
repetition model when unique tokens are given, plus ``w`` times the synthetic tokens when
they are (``w`` is then fitted: a scenario's explicit ``value_weight``, no mixture gain; the gain itself
is fitted by planner.mixture.fit). Objective: Huber loss
(delta 1e-3) on the log-loss residuals, minimised with L-BFGS-B using the analytic gradient.
Starting points: Hoffmann's grid of 4,500 (alpha, beta, e, a, b); the objective is evaluated
on all of them in blocks of rows (the temporary stays under ``GRID_BLOCK_BYTES``) and L-BFGS
starts from the best few (above ``GRID_ROWS`` runs, the grid is scored on an evenly spaced
subsample; L-BFGS always uses every run). BLAS runs single-threaded inside the solver (threadpoolctl): the
arrays are small, and default OpenBLAS threading only adds contention on shared machines.

The data is checked before any work: positive finite values within sanity bounds, synthetic
below total tokens, enough distinct runs after ``drop_highest`` for the constants fitted, and
enough variation (losses, model sizes, token counts) for the law to be identified.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from planner.errors import InputError, validation_problems
from planner.io.progress import tracked
from planner.laws.blas import single_threaded_blas
from planner.laws.bootstrap import bootstrap as bootstrap_resamples
from planner.laws.bootstrap import resample_counts, residual_terms
from planner.laws.forms import R_STAR_DATA, ChinchillaLaw, covariance_of, effective_tokens
from planner.laws.run_tables import COLUMNS, check_identifiable, prepare, read_runs
from planner.limits import MAX_LAW_SD

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "Fit",
    "fit_law",
    "huber",
    "law_file_text",
    "objective",
    "prepare",
    "read_runs",
]

HUBER_DELTA = 1e-3
GRID_BLOCK_BYTES = 50_000_000
"""Bound on the temporaries of scoring the starting grid (assumption: small beside 1 GB)."""
GRID_ROWS = 10_000
"""Runs the 4,500 starting points are scored on: beyond this, an evenly spaced subsample.
Assumption: the scores only rank starting points (L-BFGS then runs on every run), and 10k
runs rank them as well as more do; it bounds that step to about 1 s (scoring all of 100k runs: 9 s)."""
MAX_BOOTSTRAP = 10_000
"""Sanity bound on bootstrap resamples (assumption: 200 already gives stable 95% intervals)."""
STARTS_KEPT = 20
"""L-BFGS runs, from the best starts of the 4,500-point grid."""
GRID = np.array(
    list(
        itertools.product(
            np.arange(0, 2.01, 0.5),  # alpha
            np.arange(0, 2.01, 0.5),  # beta
            np.arange(-1, 1.01, 0.5),  # e
            np.arange(0, 25.1, 5),  # a
            np.arange(0, 25.1, 5),  # b
        )
    )
)
"""Hoffmann et al.'s grid of starting points (as in Besiroglu et al.'s replication)."""


@dataclass(frozen=True)
class Fit:
    """A fitted law with its uncertainty and fit quality."""

    law: ChinchillaLaw
    runs: int
    dropped: int
    r_squared: float
    """R² of the fit on log loss."""
    residual_std: float
    """Standard deviation of log-loss residuals."""
    standard_errors: dict[str, float]
    intervals: dict[str, tuple[float, float]]
    """95% bootstrap percentile intervals."""
    synthetic_weight: float | None = None
    warnings: tuple[str, ...] = field(default=())
    residuals: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["law"] = self.law.model_dump(exclude_none=True)
        out["residuals"] = list(self.residuals)
        return out


def huber(residual: np.ndarray, delta: float = HUBER_DELTA) -> tuple[np.ndarray, np.ndarray]:
    """Huber loss and its derivative, elementwise: with ``c = clip(r, -delta, delta)``, the
    loss is ``c·(r − c/2)`` (``r²/2`` inside, ``delta·(|r| − delta/2)`` outside) and the slope ``c``."""
    slope = np.clip(residual, -delta, delta)
    return slope * (residual - 0.5 * slope), slope


def _design(frame: pd.DataFrame) -> dict[str, Any]:
    """Arrays the objective needs: log N, tokens split into real and synthetic, unique tokens."""
    tokens = frame["tokens"].to_numpy(float)
    synthetic = None
    if "synthetic_tokens" in frame:
        synthetic = frame["synthetic_tokens"].to_numpy(float)
    elif "synthetic_share" in frame:
        synthetic = frame["synthetic_share"].to_numpy(float) * tokens
    real = tokens - synthetic if synthetic is not None else tokens
    if "unique_tokens" in frame:
        real = effective_tokens(frame["unique_tokens"].to_numpy(float), real, R_STAR_DATA)
    return {
        "log_n": np.log(frame["params"].to_numpy(float)),
        "real": real,
        "synthetic": synthetic,
        "log_loss": np.log(frame["loss"].to_numpy(float)),
    }


def objective(theta: np.ndarray, data: dict[str, Any]) -> tuple[float, np.ndarray]:
    """Huber objective and its analytic gradient in (alpha, beta, e, a, b[, log w]).

    ``log L̂ = LSE(a − alpha·log N, b − beta·log D', e)``, computed with the largest term
    factored out; ``d log L̂ / d term_i = exp(term_i) / sum_j exp(term_j)``.
    """
    residual, share_p, share_d, share_e, log_d, q = (
        t[0] for t in residual_terms(theta[None, :], data)
    )
    value, slope = huber(residual)
    params_share = slope * share_p
    data_share = slope * share_d
    grad = [
        -(params_share @ data["log_n"]),
        -(data_share @ log_d),
        (slope @ share_e),
        params_share.sum(),
        data_share.sum(),
    ]
    if data["synthetic"] is not None:
        # d log D' / d log w = w·S / D' = q
        grad.append(-theta[1] * (data_share @ q))
    return float(value.sum()), np.array(grad, dtype=float)


def _grid_values(
    data: dict[str, Any], starts: np.ndarray, block_bytes: int = GRID_BLOCK_BYTES
) -> np.ndarray:
    """The objective (no gradient) at every starting point, summed over blocks of rows.

    ``L̂ = E + A·N^-alpha + B·D^-beta`` directly (no log-sum-exp needed: the grid's ``e`` keeps
    the sum above e^-1, and params and tokens are at least 1, so nothing overflows); the
    powers are computed once per distinct exponent, and at most ``block_bytes`` of
    temporaries exist at a time (about six starts x rows float64 arrays).
    """
    log_d = np.log(data["real"] if data["synthetic"] is None else data["real"] + data["synthetic"])
    alphas, alpha_index = np.unique(starts[:, 0], return_inverse=True)
    betas, beta_index = np.unique(starts[:, 1], return_inverse=True)
    E, A, B = (np.exp(starts[:, i])[:, None] for i in (2, 3, 4))
    rows = max(1, block_bytes // (8 * 6 * len(starts)))
    total = np.zeros(len(starts))
    for low in range(0, len(log_d), rows):
        part = slice(low, low + rows)
        n_power = np.exp(-np.outer(alphas, data["log_n"][part]))
        d_power = np.exp(-np.outer(betas, log_d[part]))
        predicted = np.log(E + A * n_power[alpha_index] + B * d_power[beta_index])
        total += huber(predicted - data["log_loss"][part])[0].sum(axis=1)
    return total


def _minimise(data: dict[str, Any], starts: np.ndarray) -> np.ndarray:
    from scipy.optimize import minimize

    best_value, best = np.inf, starts[0]
    # exponents stay positive; the synthetic weight between e^-7 and e^7 (0.001 to 1,100)
    bounds = [(0.0, 5.0), (0.0, 5.0), (None, None), (None, None), (None, None), (-7.0, 7.0)][
        : starts.shape[1]
    ]
    for start in tracked(starts, "fitting", unit="starts"):
        result = minimize(
            objective,
            start,
            args=(data,),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-12},
        )
        if result.fun < best_value:
            best_value, best = result.fun, result.x
    return best


def _fit_theta(data: dict[str, Any]) -> np.ndarray:
    rows = len(data["log_loss"])
    scored = data
    if rows > GRID_ROWS:
        index = np.linspace(0, rows - 1, GRID_ROWS).round().astype(int)
        scored = {k: (v[index] if isinstance(v, np.ndarray) else v) for k, v in data.items()}
    order = np.argsort(_grid_values(scored, GRID))[:STARTS_KEPT]
    starts = GRID[order]
    if data["synthetic"] is not None:
        starts = np.hstack([starts, np.zeros((len(starts), 1))])  # weight 1 to begin with
    return _minimise(data, starts)


def fit_law(
    frame: pd.DataFrame,
    *,
    columns: dict[str, str] | None = None,
    drop_highest: int = 0,
    bootstrap: int = 200,
    seed: int = 0,
    name: str = "runs",
) -> Fit:
    """Fit ``E, A, B, alpha, beta`` (and the synthetic weight) to a table of runs.

    ``drop_highest`` removes the k runs with the highest loss first (Besiroglu et al. drop 5).
    ``bootstrap`` resamples runs with replacement (seeded) for standard errors and 95% intervals.
    """
    if bootstrap == 1 or not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise InputError(
            "bootstrap resamples",
            field="--bootstrap",
            value=bootstrap,
            allowed=f"0 (no standard errors) or 2 to {MAX_BOOTSTRAP:,}",
        )
    runs = prepare(frame, columns, name=name)
    if not 0 <= drop_highest < len(runs):
        raise InputError(
            "cannot drop that many runs",
            field="--drop-highest",
            value=drop_highest,
            allowed=f"0 to {len(runs) - 1} for {len(runs)} runs",
        )
    if drop_highest:
        runs = runs.sort_values("loss", kind="stable").iloc[:-drop_highest]
    synthetic = "synthetic_tokens" in runs or "synthetic_share" in runs
    check_identifiable(runs, 6 if synthetic else 5, drop_highest, name)
    data = _design(runs)
    counts = resample_counts(np.random.default_rng(seed), len(runs), bootstrap)
    with single_threaded_blas():  # scipy's BLAS loaded first, or the limit misses it
        theta = _fit_theta(data)
        draws = bootstrap_resamples(theta, data, counts, delta=HUBER_DELTA, finish=_minimise)
    if not np.all(np.isfinite(theta)):
        raise InputError(
            "the data cannot identify the law: the fit did not converge to finite constants",
            file=name,
        )
    law = _law(theta, runs, name, drop_highest, draws)
    _, residuals = _residuals(theta, data)
    r_squared = 1 - np.sum(residuals**2) / np.sum((data["log_loss"] - data["log_loss"].mean()) ** 2)
    named = _named(np.array(draws)) if draws else {}
    standard_errors = {k: float(np.std(v, ddof=1)) for k, v in named.items()}
    intervals = {
        k: (float(np.quantile(v, 0.025)), float(np.quantile(v, 0.975))) for k, v in named.items()
    }
    weight = float(np.exp(theta[5])) if data["synthetic"] is not None else None
    return Fit(
        law=law,
        runs=len(runs),
        dropped=drop_highest,
        r_squared=float(r_squared),
        residual_std=float(np.std(residuals)),
        standard_errors=standard_errors,
        intervals=intervals,
        synthetic_weight=weight,
        warnings=tuple(_warnings(runs, data, standard_errors, law)),
        residuals=tuple(float(r) for r in residuals),
    )


def _residuals(theta: np.ndarray, data: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """Predicted log-loss and residuals of one parameter vector (:func:`residual_terms`)."""
    residual = residual_terms(theta[None, :], data)[0][0]
    return residual + data["log_loss"], residual


def _named(thetas: np.ndarray) -> dict[str, np.ndarray]:
    out = {
        "alpha": thetas[:, 0],
        "beta": thetas[:, 1],
        "E": np.exp(thetas[:, 2]),
        "A": np.exp(thetas[:, 3]),
        "B": np.exp(thetas[:, 4]),
    }
    if thetas.shape[1] > 5:
        out["synthetic_weight"] = np.exp(thetas[:, 5])
    return out


def _law(
    theta: np.ndarray, runs: pd.DataFrame, name: str, dropped: int, draws: list[np.ndarray]
) -> ChinchillaLaw:
    named = _named(np.array(draws)) if draws else {}
    se = {k: float(np.std(v, ddof=1)) for k, v in named.items()} if len(draws) > 1 else {}
    try:
        return _validated_law(theta, runs, name, dropped, draws, named, se)
    except ValidationError as exc:
        raise InputError(
            f"the fitted constants leave the bounds a law may have: {validation_problems(exc)}",
            file=name,
            allowed="the runs do not pin the law down; add runs over a wider range of model "
            "sizes and token counts",
        ) from None


def _validated_law(
    theta: np.ndarray,
    runs: pd.DataFrame,
    name: str,
    dropped: int,
    draws: list[np.ndarray],
    named: dict[str, np.ndarray],
    se: dict[str, float],
) -> ChinchillaLaw:
    covariance = covariance_of(named) if len(draws) > 5 else None
    if covariance is not None and any(
        covariance[i][i] > most**2 for i, most in enumerate(MAX_LAW_SD)
    ):  # too wide to draw from (planner.limits): the standard errors still say how wide
        covariance = None
    return ChinchillaLaw(
        covariance=covariance,
        E=float(np.exp(theta[2])),
        A=float(np.exp(theta[3])),
        B=float(np.exp(theta[4])),
        alpha=float(theta[0]),
        beta=float(theta[1]),
        E_se=se.get("E"),
        alpha_se=se.get("alpha"),
        beta_se=se.get("beta"),
        pivot_params=float(np.exp(np.log(runs["params"]).mean())),
        pivot_tokens=float(np.exp(np.log(runs["tokens"]).mean())),
        source=(
            f"planner fit of {name}: {len(runs)} runs ({dropped} highest-loss dropped), Huber delta "
            f"{HUBER_DELTA} on log loss, L-BFGS-B; {len(draws)} bootstrap resamples"
        ),
        fitted_on=name,
    )


def _warnings(
    runs: pd.DataFrame, data: dict[str, Any], se: dict[str, float], law: ChinchillaLaw
) -> list[str]:
    out = []
    ratio = np.log(runs["tokens"] / runs["params"])
    if np.std(ratio) < 0.35:
        out.append(
            "tokens per parameter barely varies across runs (spread under x1.4): alpha and beta, and A and "
            "B, cannot be told apart; vary model size and tokens independently"
        )
    if np.ptp(np.log(runs["params"])) < np.log(4):
        out.append("model sizes span less than x4: alpha and A are poorly identified")
    if data["synthetic"] is not None:
        share = data["synthetic"] / runs["tokens"].to_numpy()
        if np.std(share) < 0.05:
            out.append(
                "the synthetic share barely varies across runs: the synthetic weight is poorly identified"
            )
    for key, value in (
        ("alpha", law.alpha),
        ("beta", law.beta),
        ("E", law.E),
        ("A", law.A),
        ("B", law.B),
    ):
        if key in se and se[key] > abs(value):
            out.append(
                f"{key}'s bootstrap standard error ({se[key]:.3g}) exceeds its value ({value:.3g})"
            )
    return out


def law_file_text(result: Fit) -> str:
    """The YAML law file ``planner fit --out`` writes; scenarios load it with ``law: {file: ...}``."""
    import yaml

    document = result.law.model_dump(exclude_none=True)
    document["fit"] = {
        "runs": result.runs,
        "dropped": result.dropped,
        "r_squared": round(result.r_squared, 6),
        "standard_errors": result.standard_errors,
        "intervals_95": {k: list(v) for k, v in result.intervals.items()},
    }
    if result.synthetic_weight is not None:
        document["fit"]["synthetic_weight"] = result.synthetic_weight
    header = "# Scaling law fitted by planner fit; use it with  law: {file: THIS_FILE}  or  --law THIS_FILE\n"
    return header + yaml.safe_dump(document, sort_keys=False)
