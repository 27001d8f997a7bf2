"""Per-benchmark prediction from a model ladder: the two-step method of Bhagia et al. 2024.

"Establishing Task Scaling Laws via Compute-Efficient Model Ladders", arXiv:2412.04403 (COLM
2025); the procedure follows the authors' code, ``allenai/OLMo`` commit 67cc7c41
(``scripts/scaling/step1.py``, ``step2.py``, ``olmo/scaling/scaling_laws/fitting_functions.py``):

1. **Task loss** (bits-per-byte of the correct answer) as a power law in non-embedding
   parameters ``N`` and tokens ``D``: ``L(N, D) = A/N^alpha + B/D^beta + E`` with ``A = e^a``,
   ``B = e^b``; sum of Huber losses (delta 1e-3) on ``ln L̂ − ln L``; L-BFGS-B with the analytic
   gradient, ``ftol = 0, gtol = 1e-10``; bounds ``a, b, alpha, beta, E ≥ 0``. Fitted on each
   run's final point: the mean task loss of its last 5 checkpoints at its last token count.
2. **Accuracy** as a sigmoid of task loss: ``Acc(L) = a/(1 + exp(−k·(L − L0))) + b`` with
   ``a ∈ [−1, 0]``, ``b ∈ [0, 1]``, ``L0, k ≥ 0``; least squares (SciPy ``curve_fit``, ``trf``)
   from ``(chance − 1, 0.9, 3, 1)``. ``b`` is the accuracy as loss → 0, ``a + b`` the floor as
   loss → ∞ (chance for a well-posed fit). Fitted on every checkpoint of every run: per run the
   first 10% of checkpoints dropped, then a window-5 moving average of loss and accuracy
   (cumulative over the first 4), plus one ideal point ``(L = 0, Acc = 1)``.

Chained prediction: ``Acc(L(N, D))``. Uncertainty: the ladder *runs* are resampled with
replacement (each resample refits both steps on the drawn runs, with their checkpoints), and
the P10-P90 of the resampled predictions is reported; it is the fit's uncertainty, not the
spread of one evaluation.

Rows with ``role`` = ``target`` never enter a fit; they are compared with the chained
prediction at their last checkpoint (actual: the last value of the window-5 moving average).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from planner.errors import InputError, shown
from planner.laws.blas import single_threaded_blas
from planner.laws.bootstrap import resample_counts
from planner.laws.fit import huber
from planner.laws.run_tables import check_identifiable, prepare_task_runs

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CHANCE",
    "CURVE_FACTORS",
    "IDEAL_ACCURACY",
    "MOVING_AVERAGE",
    "SKIP_SHARE",
    "STEP1_CONSTANTS",
    "STEP2_CONSTANTS",
    "TASK_PRESETS",
    "Heldout",
    "TaskCurve",
    "TaskFit",
    "TaskFits",
    "TaskPrediction",
    "accuracy_curves",
    "fit_tasks",
    "load_task_file",
    "parse_size",
    "predict_tasks",
    "sigmoid",
    "task_file_path",
    "task_file_text",
    "task_loss",
]

STEP1_CONSTANTS = 5
"""A, B, alpha, beta, E."""
STEP2_CONSTANTS = 4
"""a, L0, k, b."""
MOVING_AVERAGE = 5
"""Checkpoints averaged: step 1's final point and step 2's smoothing window (paper §3.1;
``--moving_avg 5`` in the command lines of ``scripts/scaling/predict.py``)."""
SKIP_SHARE = 0.1
"""Share of each run's first checkpoints left out of step 2 (``--skip_perc 0.1``, same source)."""
IDEAL_ACCURACY = 1.0
"""Accuracy of the ideal point ``(L = 0)`` appended to step 2 (``task_maximum`` in the repo's
``utils.py``: 1.0 for every task)."""
CHANCE: dict[str, float] = {
    "piqa": 0.5,
    "boolq": 0.5,
    "winogrande": 0.5,
    "socialiqa": 1 / 3,
    "csqa": 0.2,
    "mmlu": 0.25,
    "hellaswag": 0.25,
    "arc_challenge": 0.25,
    "arc_easy": 0.25,
    "openbookqa": 0.25,
}
"""Chance accuracy of known tasks (``task_minimum`` in ``olmo/scaling/scaling_laws/utils.py``,
allenai/OLMo 67cc7c41); it starts step 2 at ``a = chance − 1``. Other tasks: a ``chance``
column, else :data:`DEFAULT_CHANCE`."""
DEFAULT_CHANCE = 0.25
"""Assumption: a 4-way multiple-choice task (the repo's default ``task_minimum``)."""
HUBER_DELTA = 1e-3
"""Step 1's Huber delta on log task loss (``get_coefficients_huber``, same repo)."""
STEP1_START = (3.0, 6.0, 0.1, 0.2, 1.0)
"""The repo's step-1 start ``(a, b, alpha, beta, E)``; the other starts only guard against an
early stop (the objective is not convex in practice; ladder README)."""
STEP1_STARTS = (
    STEP1_START,
    (5.0, 10.0, 0.3, 0.3, 0.5),
    (1.0, 3.0, 0.05, 0.1, 0.2),
    (8.0, 8.0, 0.4, 0.4, 0.0),
    (2.0, 12.0, 0.2, 0.5, 0.8),
)
RESAMPLE_TOLERANCE = {"ftol": 1e-12, "gtol": 1e-8, "maxiter": 5_000}
"""L-BFGS-B tolerances for a resample, started from the full fit (assumption: an interval needs
less precision than the point fit; the repo's ``ftol = 0`` costs about 0.1 s per fit)."""
MAX_BOOTSTRAP = 2_000
"""Sanity bound on resamples (assumption: each one refits both steps for every task)."""


def task_loss(
    params: Any, tokens: Any, A: Any, B: Any, alpha: Any, beta: Any, E: Any
) -> np.ndarray:
    """Step 1: ``L(N, D) = A/N^alpha + B/D^beta + E`` (task loss, e.g. bits per byte of the
    correct answer; ``N`` non-embedding parameters as in the ladder; Bhagia et al. 2024 eq. 1)."""
    return np.asarray(
        A * np.power(params, -np.asarray(alpha)) + B * np.power(tokens, -np.asarray(beta)) + E
    )


def sigmoid(loss: Any, a: Any, L0: Any, k: Any, b: Any) -> np.ndarray:
    """Step 2: ``Acc(L) = a/(1 + exp(−k·(L − L0))) + b`` (Bhagia et al. 2024 eq. 2).

    With ``a ≤ 0``: ``Acc → b`` as ``L → −∞`` (in practice at ``L = 0``, near the ceiling) and
    ``Acc → a + b`` as ``L → ∞`` (the floor, chance for a well-posed fit)."""
    z = np.clip(-np.asarray(k) * (np.asarray(loss) - L0), -700.0, 700.0)
    return np.asarray(a / (1.0 + np.exp(z)) + b)


@dataclass(frozen=True)
class TaskFit:
    """Both steps fitted for one task, with 95% bootstrap intervals and the resampled constants."""

    task: str
    chance: float
    chance_source: str
    runs: int
    """Runs in step 1 (one final point each)."""
    points: int
    """Points in step 2 (checkpoints after skipping and smoothing, plus the ideal point)."""
    step1: dict[str, float]
    """A, B, alpha, beta, E."""
    step2: dict[str, float]
    """a, L0, k, b."""
    intervals: dict[str, tuple[float, float]]
    """95% bootstrap percentile intervals of every constant."""
    step1_rmse: float
    """Root-mean-square relative error of step 1 on its runs."""
    step2_rmse: float
    """Root-mean-square error of step 2 on its points, in accuracy."""
    draws: tuple[tuple[float, ...], ...] = field(default=(), repr=False)
    """Resampled ``(A, B, alpha, beta, E, a, L0, k, b)``, one per bootstrap resample."""
    ladder_max_flops: float | None = None
    """Training compute (6·N·D) of the largest ladder run: how far a prediction extrapolates."""

    def described(self) -> dict[str, Any]:
        """The fit as the task-fit file and ``--format json`` both open it: task, chance and its
        source, runs, points and the constants of both steps."""
        return {
            "task": self.task,
            "chance": self.chance,
            "chance_source": self.chance_source,
            "runs": self.runs,
            "points": self.points,
            "step1": self.step1,
            "step2": self.step2,
        }

    def predict(self, params: Any, tokens: Any) -> tuple[np.ndarray, np.ndarray]:
        """Chained point prediction: (task loss, accuracy)."""
        loss = task_loss(params, tokens, **self.step1)
        return loss, sigmoid(loss, **self.step2)

    def predict_draws(self, params: Any, tokens: Any) -> tuple[np.ndarray, np.ndarray]:
        """Task loss and accuracy under every resample: arrays of shape ``(draws, *shape)``."""
        d = np.array(self.draws, dtype=float).reshape(-1, 9)
        shape = (-1,) + (1,) * np.ndim(params)
        loss = task_loss(params, tokens, *(d[:, i].reshape(shape) for i in range(5)))
        acc = sigmoid(loss, *(d[:, i].reshape(shape) for i in range(5, 9)))
        return loss, acc


@dataclass(frozen=True)
class TaskPrediction:
    """Predicted task loss and accuracy (P10-P90 over bootstrap resamples) at one size."""

    task: str
    params: float
    tokens: float
    task_loss: float
    task_loss_p10: float
    task_loss_p90: float
    accuracy: float
    accuracy_p10: float
    accuracy_p90: float
    compute_over_ladder: float | None = None
    """This size's 6·N·D over the largest ladder run's (None: not recorded in the file)."""


@dataclass(frozen=True)
class Heldout:
    """A target run (``role`` = target) against its chained prediction."""

    task: str
    run: str
    params: float
    tokens: float
    task_loss: float
    accuracy: float
    predicted_task_loss: float
    predicted_accuracy: float


@dataclass(frozen=True)
class TaskFits:
    """Every task's fit, from one ladder table."""

    tasks: tuple[TaskFit, ...]
    name: str
    bootstrap: int
    seed: int
    heldout: tuple[Heldout, ...] = ()
    warnings: tuple[str, ...] = ()

    def task(self, name: str) -> TaskFit:
        for fit in self.tasks:
            if fit.task == name:
                return fit
        raise KeyError(name)


def parse_size(text: str) -> tuple[float, float]:
    """``PARAMS:TOKENS`` such as ``7B:4T`` as (params, tokens).

    >>> parse_size("7B:4T")
    (7000000000.0, 4000000000000.0)
    """
    from planner.units import QuantityError, parse_quantity

    params, sep, tokens = str(text).partition(":")
    try:
        if not sep:
            raise QuantityError("no colon")
        return parse_quantity(params), parse_quantity(tokens)
    except QuantityError as exc:
        raise InputError(
            f"{shown(text)} is not PARAMS:TOKENS ({exc})",
            field="--predict",
            allowed="two quantities joined by a colon, e.g. 7B:4T",
        ) from None


def _moving_average(values: np.ndarray, window: int = MOVING_AVERAGE) -> np.ndarray:
    """Trailing mean over ``window`` points; the first ``window − 1`` use every point so far
    (``moving_average`` in the repo's ``utils.py``)."""
    total = np.cumsum(values)
    out = total / np.arange(1, len(values) + 1)
    if len(values) > window:
        out[window:] = (total[window:] - total[:-window]) / window
    return out


@dataclass(frozen=True)
class _Ladder:
    """One task's arrays: step-1 finals per run and step-2 points with their run index."""

    params: np.ndarray
    tokens: np.ndarray
    loss: np.ndarray
    point_loss: np.ndarray
    point_accuracy: np.ndarray
    point_run: np.ndarray


def _ordered(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.sort_values("step", kind="stable") if "step" in rows else rows


def _ladder(rows: pd.DataFrame, runs: list[str]) -> _Ladder:
    finals, point_loss, point_acc, point_run = [], [], [], []
    for index, (_, group) in enumerate((run, _ordered(rows[rows["run"] == run])) for run in runs):
        last = group.iloc[-MOVING_AVERAGE:]
        finals.append(
            (group["params"].iloc[-1], group["tokens"].iloc[-1], last["task_loss"].mean())
        )
        kept = group.iloc[math.ceil(SKIP_SHARE * len(group)) :] if len(group) > 1 else group
        point_loss.append(_moving_average(kept["task_loss"].to_numpy(float)))
        point_acc.append(_moving_average(kept["accuracy"].to_numpy(float)))
        point_run.append(np.full(len(kept), index))
    final = np.array(finals, dtype=float)
    return _Ladder(
        params=final[:, 0],
        tokens=final[:, 1],
        loss=final[:, 2],
        point_loss=np.concatenate(point_loss),
        point_accuracy=np.concatenate(point_acc),
        point_run=np.concatenate(point_run),
    )


# --- step 1 ---------------------------------------------------------------------------------
def _step1_objective(
    p: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, log_y: np.ndarray, weight: np.ndarray
) -> tuple[float, np.ndarray]:
    """Weighted sum of Huber(ln L̂ − ln L) and its gradient in ``(a, b, alpha, beta, E)``."""
    a, b, alpha, beta, E = p
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):  # a line-search probe
        params_term = np.exp(a - alpha * log_n)
        data_term = np.exp(b - beta * log_d)
        predicted = params_term + data_term + E
        value, slope = huber(np.log(predicted) - log_y, HUBER_DELTA)
        c = weight * slope / predicted
        grad = np.array(
            [
                c @ params_term,
                c @ data_term,
                -(c @ (params_term * log_n)),
                -(c @ (data_term * log_d)),
                c.sum(),
            ]
        )
        total = float(weight @ value)
    if not (math.isfinite(total) and np.all(np.isfinite(grad))):
        return math.inf, np.zeros(5)
    return total, grad


def _fit_step1(
    ladder: _Ladder,
    weight: np.ndarray,
    starts: Sequence[Sequence[float] | np.ndarray],
    options: dict[str, float] | None = None,
) -> np.ndarray:
    """Lowest of L-BFGS-B runs from ``starts``; by default the repo's tolerances."""
    from scipy.optimize import minimize

    args = (np.log(ladder.params), np.log(ladder.tokens), np.log(ladder.loss), weight)
    best, best_value = np.asarray(starts[0], float), math.inf
    for start in starts:
        result = minimize(
            _step1_objective,
            np.asarray(start, float),
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, None)] * 5,
            tol=0.0,
            options=options or {"ftol": 0.0, "gtol": 1e-10, "maxiter": 1_000_000},
        )
        if np.all(np.isfinite(result.x)) and result.fun < best_value:
            best, best_value = result.x, result.fun
    return np.asarray(best)


def _resample_step1(ladder: _Ladder, p1: np.ndarray, counts: np.ndarray) -> list[np.ndarray]:
    """Step 1 refitted on every resample at once by :func:`planner.laws.bootstrap.bootstrap` (the
    batched Newton of ``planner fit``: the same weighted sum-Huber objective on log loss, in
    ``(alpha, beta, ln E, a, b)``), from the full fit; L-BFGS-B finishes any it leaves."""
    from planner.laws.bootstrap import bootstrap

    if not len(counts):
        return []
    a, b, alpha, beta, E = p1
    theta = np.array([alpha, beta, math.log(max(E, _E_FLOOR)), a, b])
    data = {
        "log_n": np.log(ladder.params),
        "real": ladder.tokens,
        "synthetic": None,
        "log_loss": np.log(ladder.loss),
    }

    def finish(sample: dict[str, Any], starts: np.ndarray) -> np.ndarray:
        drawn = _Ladder(
            params=np.exp(sample["log_n"]),
            tokens=sample["real"],
            loss=np.exp(sample["log_loss"]),
            point_loss=ladder.point_loss,
            point_accuracy=ladder.point_accuracy,
            point_run=ladder.point_run,
        )
        repo = [(t[3], t[4], t[0], t[1], math.exp(t[2])) for t in starts]
        q = _fit_step1(drawn, np.ones(len(drawn.loss)), repo, RESAMPLE_TOLERANCE)
        return np.array([q[2], q[3], math.log(max(q[4], _E_FLOOR)), q[0], q[1]])

    thetas = bootstrap(theta, data, counts, delta=HUBER_DELTA, finish=finish)
    return [np.array([t[3], t[4], t[0], t[1], math.exp(t[2])]) for t in thetas]


_E_FLOOR = 1e-12
"""Smallest E handed to the log-parameterised resampler (the repo's bound allows E = 0)."""


# --- step 2 ---------------------------------------------------------------------------------
_STEP2_LOW = np.array([-1.0, 0.0, 0.0, 0.0])
_STEP2_HIGH = np.array([0.0, np.inf, np.inf, 1.0])


def _fit_step2(
    loss: np.ndarray, accuracy: np.ndarray, weight: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """Weighted least squares of the sigmoid (trf within the bounds, as ``curve_fit``)."""
    from scipy.optimize import least_squares

    root = np.sqrt(weight)

    def residual(p: np.ndarray) -> np.ndarray:
        return np.asarray(root * (sigmoid(loss, *p) - accuracy))

    def jacobian(p: np.ndarray) -> np.ndarray:
        a, L0, k, _ = p
        s = 1.0 / (1.0 + np.exp(np.clip(-k * (loss - L0), -700.0, 700.0)))
        ds = s * (1 - s)
        columns = [s, -a * k * ds, a * (loss - L0) * ds, np.ones_like(loss)]
        return np.asarray(root[:, None] * np.stack(columns, axis=1))

    start = np.clip(start, _STEP2_LOW, _STEP2_HIGH)
    result = least_squares(
        residual, start, jac=jacobian, bounds=(_STEP2_LOW, _STEP2_HIGH), method="trf",
        max_nfev=500_000,
    )  # fmt: skip
    return np.asarray(result.x)


def _step2_points(ladder: _Ladder, counts: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """Step-2 points with the ideal point appended, and each point's weight (its run's count)."""
    weight = np.ones(len(ladder.point_loss)) if counts is None else counts[ladder.point_run]
    return (
        np.append(ladder.point_loss, 0.0),
        np.append(ladder.point_accuracy, IDEAL_ACCURACY),
        np.append(weight, 1.0),
    )


# --- both -----------------------------------------------------------------------------------
def _named(p1: np.ndarray, p2: np.ndarray) -> tuple[dict[str, float], dict[str, float]]:
    a, b, alpha, beta, E = (float(x) for x in p1)
    step1 = {"A": math.exp(a), "B": math.exp(b), "alpha": alpha, "beta": beta, "E": E}
    step2 = dict(zip(("a", "L0", "k", "b"), (float(x) for x in p2), strict=True))
    return step1, step2


def _fit_one(task: str, ladder: _Ladder, chance: tuple[float, str], counts: np.ndarray) -> TaskFit:
    ones = np.ones(len(ladder.loss))
    p1 = _fit_step1(ladder, ones, [STEP1_START])
    other = _fit_step1(ladder, ones, STEP1_STARTS[1:], RESAMPLE_TOLERANCE)
    args = (np.log(ladder.params), np.log(ladder.tokens), np.log(ladder.loss), ones)
    if _step1_objective(other, *args)[0] < _step1_objective(p1, *args)[0]:
        p1 = _fit_step1(ladder, ones, [other])  # another start found a lower optimum: polish it
    loss, acc, _ = _step2_points(ladder, None)
    import warnings

    from scipy.optimize import OptimizeWarning, curve_fit

    start = np.array([chance[0] - 1.0, 0.9, 3.0, IDEAL_ACCURACY])
    try:
        with warnings.catch_warnings():  # the covariance is not used
            warnings.simplefilter("ignore", OptimizeWarning)
            p2_fit, _ = curve_fit(
                lambda x, *p: sigmoid(x, *p), loss, acc, p0=start,
                bounds=(_STEP2_LOW, _STEP2_HIGH), maxfev=500_000,
            )  # fmt: skip  # the repo's call: numeric Jacobian, trf
    except (RuntimeError, ValueError) as exc:
        raise InputError(
            f"task {shown(task)}: the accuracy sigmoid (step 2) did not converge: {exc}",
            allowed="check that accuracy falls as task loss rises across the ladder",
        ) from None
    p2 = np.asarray(p2_fit)
    draws = []
    step1_draws = _resample_step1(ladder, p1, counts)
    for row, q1 in zip(counts, step1_draws, strict=True):
        q_loss, q_acc, q_weight = _step2_points(ladder, row)
        q2 = _fit_step2(q_loss, q_acc, q_weight, p2)
        s1, s2 = _named(q1, q2)
        draws.append(tuple(s1.values()) + tuple(s2.values()))
    step1, step2 = _named(p1, p2)
    names = [*step1, *step2]
    intervals = {}
    if len(draws) > 1:
        table = np.array(draws)
        intervals = {
            key: (float(np.quantile(table[:, i], 0.025)), float(np.quantile(table[:, i], 0.975)))
            for i, key in enumerate(names)
        }
    fitted = task_loss(ladder.params, ladder.tokens, **step1)
    return TaskFit(
        task=task,
        chance=chance[0],
        chance_source=chance[1],
        runs=len(ladder.loss),
        points=len(loss),
        step1=step1,
        step2=step2,
        intervals=intervals,
        step1_rmse=float(np.sqrt(np.mean((fitted / ladder.loss - 1) ** 2))),
        step2_rmse=float(np.sqrt(np.mean((sigmoid(loss, *p2) - acc) ** 2))),
        draws=tuple(draws),
        ladder_max_flops=float(np.max(6 * ladder.params * ladder.tokens)),
    )


def _chance(rows: pd.DataFrame, task: str, name: str) -> tuple[float, str]:
    if "chance" in rows:
        values = rows["chance"].unique()
        if len(values) > 1:
            raise InputError(
                f"task {shown(task)} has more than one chance value",
                file=name,
                allowed="one chance accuracy per task",
            )
        return float(values[0]), f"chance column of {name}"
    if task.lower() in CHANCE:
        return CHANCE[task.lower()], "task_minimum, allenai/OLMo 67cc7c41 utils.py"
    return DEFAULT_CHANCE, "assumption: 4-way multiple choice (no chance column)"


def fit_tasks(
    frame: pd.DataFrame, *, bootstrap: int = 200, seed: int = 0, name: str = "runs"
) -> TaskFits:
    """Fit both steps for every task of a ladder table; ``bootstrap`` resamples of the runs
    (seeded; the same draws for every task)."""
    if bootstrap == 1 or not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise InputError(
            "bootstrap resamples",
            field="--bootstrap",
            value=bootstrap,
            allowed=f"0 (no intervals) or 2 to {MAX_BOOTSTRAP:,}",
        )
    table = prepare_task_runs(frame, name=name)
    ladder_rows = table[table["role"] == "ladder"]
    if ladder_rows.empty:
        raise InputError("no ladder rows to fit (every row has role target)", file=name)
    runs = list(dict.fromkeys(ladder_rows["run"]))
    counts = resample_counts(np.random.default_rng(seed), len(runs), bootstrap)
    fits, warnings = [], []
    with single_threaded_blas():
        for task in dict.fromkeys(ladder_rows["task"]):
            rows = ladder_rows[ladder_rows["task"] == task]
            task_runs = [r for r in runs if r in set(rows["run"])]
            if len(task_runs) < len(runs):
                raise InputError(
                    f"task {shown(task)} has no rows for {len(runs) - len(task_runs)} of the "
                    f"{len(runs)} runs",
                    file=name,
                    allowed="every task evaluated on every ladder run",
                )
            ladder = _ladder(rows, task_runs)
            finals = _finals_frame(ladder)
            check_identifiable(finals, STEP1_CONSTANTS, 0, f"{name}, task {task!r}")
            fit = _fit_one(task, ladder, _chance(rows, task, name), counts)
            fits.append(fit)
            warnings += _warnings(fit)
    heldout = _heldout(table[table["role"] == "target"], fits)
    return TaskFits(
        tasks=tuple(fits),
        name=name,
        bootstrap=bootstrap,
        seed=seed,
        heldout=heldout,
        warnings=tuple(warnings),
    )


def _finals_frame(ladder: _Ladder) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame({"params": ladder.params, "tokens": ladder.tokens, "loss": ladder.loss})


def _warnings(fit: TaskFit) -> list[str]:
    out = []
    floor = fit.step2["a"] + fit.step2["b"]
    if abs(floor - fit.chance) > 0.1:
        out.append(
            f"{fit.task}: the fitted floor (accuracy as loss grows, a + b = {floor:.3f}) is far from "
            f"chance ({fit.chance:.3f}): the ladder does not reach the flat part of the sigmoid"
        )
    if fit.step1["alpha"] > 5 or fit.step1["beta"] > 5:
        out.append(f"{fit.task}: step 1 exponents above 5: the power law is poorly identified")
    return out


def _heldout(targets: pd.DataFrame, fits: list[TaskFit]) -> tuple[Heldout, ...]:
    out = []
    by_task = {fit.task: fit for fit in fits}
    for (task, run), rows in targets.groupby(["task", "run"], sort=False):
        if task not in by_task:
            continue
        rows = _ordered(rows)
        params, tokens = float(rows["params"].iloc[-1]), float(rows["tokens"].iloc[-1])
        loss, acc = by_task[task].predict(params, tokens)
        out.append(
            Heldout(
                task=str(task),
                run=str(run),
                params=params,
                tokens=tokens,
                task_loss=float(_moving_average(rows["task_loss"].to_numpy(float))[-1]),
                accuracy=float(_moving_average(rows["accuracy"].to_numpy(float))[-1]),
                predicted_task_loss=float(loss),
                predicted_accuracy=float(acc),
            )
        )
    return tuple(out)


def predict_tasks(
    fits: TaskFits | Sequence[TaskFit], sizes: Sequence[tuple[float, float]]
) -> list[TaskPrediction]:
    """Chained predictions, with P10-P90 over the resamples, for each task at each size."""
    tasks = fits.tasks if isinstance(fits, TaskFits) else fits
    out = []
    for params, tokens in sizes:
        for fit in tasks:
            loss, acc = fit.predict(params, tokens)
            if fit.draws:
                loss_draws, acc_draws = fit.predict_draws(params, tokens)
                l10, l90 = np.quantile(loss_draws, [0.1, 0.9])
                a10, a90 = np.quantile(acc_draws, [0.1, 0.9])
            else:
                l10 = l90 = float(loss)
                a10 = a90 = float(acc)
            out.append(
                TaskPrediction(
                    task=fit.task,
                    params=float(params),
                    tokens=float(tokens),
                    task_loss=float(loss),
                    task_loss_p10=float(l10),
                    task_loss_p90=float(l90),
                    accuracy=float(acc),
                    accuracy_p10=float(a10),
                    accuracy_p90=float(a90),
                    compute_over_ladder=(
                        None
                        if fit.ladder_max_flops is None
                        else 6 * float(params) * float(tokens) / fit.ladder_max_flops
                    ),
                )
            )
    return out


# --- the task-fit file (``planner fit-tasks --output``; ``downstream: {tasks: FILE}``) --------
FILE_KIND = "task-fits"
MAX_TASK_FILE_BYTES = 20_000_000
"""Sanity bound on a task-fit file (assumption: 2,000 resamples x 9 constants x 50 tasks)."""


def task_file_text(fits: TaskFits) -> str:
    """The YAML a scenario loads with ``downstream: {tasks: FILE}``: both steps' constants,
    their 95% intervals and every resample's constants (for intervals at any size)."""
    import yaml

    document: dict[str, Any] = {
        "kind": FILE_KIND,
        "source": (
            f"planner fit-tasks of {fits.name}: two-step ladder method (Bhagia et al. 2024, "
            f"arXiv:2412.04403); {fits.bootstrap} bootstrap resamples of the runs, seed {fits.seed}"
        ),
        "tasks": [
            {
                **fit.described(),
                "intervals_95": {k: list(v) for k, v in fit.intervals.items()},
                **(
                    {}
                    if fit.ladder_max_flops is None
                    else {"ladder_max_flops": fit.ladder_max_flops}
                ),
                "draws": [[float(f"{x:.8g}") for x in d] for d in fit.draws],
            }
            for fit in fits.tasks
        ],
    }
    header = (
        "# Task fits written by planner fit-tasks; a scenario shows predicted accuracy per task "
        "with  downstream: {tasks: THIS_FILE}\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, default_flow_style=None, width=200)


def _file_models() -> tuple[type[Any], type[Any]]:
    from pydantic import BaseModel, ConfigDict, Field

    class Step1(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        A: float = Field(ge=0)
        B: float = Field(ge=0)
        alpha: float = Field(ge=0)
        beta: float = Field(ge=0)
        E: float = Field(ge=0)

    class Step2(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        a: float = Field(ge=-1, le=0)
        L0: float = Field(ge=0)
        k: float = Field(ge=0)
        b: float = Field(ge=0, le=1)

    class Task(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        task: str = Field(min_length=1, max_length=200)
        chance: float = Field(ge=0, le=1)
        chance_source: str = ""
        runs: int = Field(ge=0)
        points: int = Field(ge=0)
        step1: Step1
        step2: Step2
        intervals_95: dict[str, tuple[float, float]] = {}
        ladder_max_flops: float | None = Field(None, gt=0)
        draws: list[tuple[float, float, float, float, float, float, float, float, float]] = []

    class File(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        kind: str
        source: str = ""
        tasks: list[Task] = Field(min_length=1)

    return File, Task


TASK_PRESETS = {"olmo-ladder-2024": "data/olmo_ladder_2024_tasks.yaml"}
"""Shipped task fits, by name. Only the OLMo ladder has published per-task fits (Bhagia et al.
2024, Table 5 and Figure 2): the preset is ``planner fit-tasks`` on the paper's ladder data
(allenai/OLMo 67cc7c41), which reproduces its chained predictions. No other recipe publishes a
ladder of task losses and accuracies, so no other preset is shipped (Ruan et al.'s
observational fits are family-specific and were not retrieved)."""


def task_file_path(name: str) -> str:
    """A preset's packaged file, else ``name`` itself (a path)."""
    if name in TASK_PRESETS:
        from importlib import resources

        return str(resources.files("planner").joinpath(TASK_PRESETS[name]))
    return name


def load_task_file(path: str) -> TaskFits:
    """Read a task-fit file written by ``planner fit-tasks --output``, or a preset by name
    (:data:`TASK_PRESETS`); cached while the file's size and modification time stay the same
    (every plan of a scenario reads it)."""
    import os

    path = task_file_path(path)
    try:
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
    except (OSError, ValueError):
        stamp = (0, 0)  # the read below reports the problem
    return _load_task_file(path, stamp)


@functools.lru_cache(maxsize=8)
def _load_task_file(path: str, stamp: tuple[int, int]) -> TaskFits:
    from pydantic import ValidationError

    from planner.errors import validation_problems
    from planner.io.reading import read_mapping

    document = read_mapping(path, limit=MAX_TASK_FILE_BYTES, what="task-fit file")
    if document.get("kind") != FILE_KIND:
        raise InputError(
            "not a task-fit file",
            file=path,
            field="kind",
            value=document.get("kind"),
            allowed=f"{FILE_KIND!r}: a file written by planner fit-tasks --output",
        )
    model, _ = _file_models()
    try:
        parsed = model.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"invalid task-fit file: {validation_problems(exc)}", file=path) from None
    tasks = tuple(
        TaskFit(
            task=t.task,
            chance=t.chance,
            chance_source=t.chance_source,
            runs=t.runs,
            points=t.points,
            step1=t.step1.model_dump(),
            step2=t.step2.model_dump(),
            intervals={k: (float(v[0]), float(v[1])) for k, v in t.intervals_95.items()},
            step1_rmse=math.nan,
            step2_rmse=math.nan,
            draws=tuple(tuple(d) for d in t.draws),
            ladder_max_flops=t.ladder_max_flops,
        )
        for t in parsed.tasks
    )
    return TaskFits(tasks=tasks, name=path, bootstrap=len(tasks[0].draws), seed=0)


# --- accuracy against compute (the report's chart) -------------------------------------------
CURVE_FACTORS = tuple(float(10 ** (x / 4)) for x in range(-8, 5))
"""Compute multiples of a plan drawn on the accuracy-vs-compute chart: 1/100x to 10x in quarter
decades (assumption: a presentation range)."""


@dataclass(frozen=True)
class TaskCurve:
    """One task's predicted accuracy against training compute (6·N·D), P10-P90 band, at a fixed
    tokens-per-parameter ratio through a plan's size."""

    task: str
    flops: tuple[float, ...]
    accuracy: tuple[float, ...]
    accuracy_p10: tuple[float, ...]
    accuracy_p90: tuple[float, ...]
    chance: float


def accuracy_curves(
    fits: TaskFits, params: float, tokens: float, factors: Sequence[float] = CURVE_FACTORS
) -> list[TaskCurve]:
    """Each task's accuracy as compute scales by ``factors`` around ``(params, tokens)``,
    keeping tokens per parameter (both scale by ``sqrt(factor)``)."""
    scale = np.sqrt(np.asarray(factors, float))
    sizes_n, sizes_d = params * scale, tokens * scale
    out = []
    for fit in fits.tasks:
        _, acc = fit.predict(sizes_n, sizes_d)
        low = high = acc
        if fit.draws:
            _, draws = fit.predict_draws(sizes_n, sizes_d)
            low, high = np.quantile(draws, [0.1, 0.9], axis=0)
        out.append(
            TaskCurve(
                task=fit.task,
                flops=tuple(float(x) for x in 6 * sizes_n * sizes_d),
                accuracy=tuple(float(x) for x in acc),
                accuracy_p10=tuple(float(x) for x in low),
                accuracy_p90=tuple(float(x) for x in high),
                chance=fit.chance,
            )
        )
    return out
