"""Whole-run utilisation from two named factors: per-step speed × goodput, with a measured range.

1. **Per-step throughput** (:func:`planner.compute.utilization.step_time`): kernel efficiency by hidden
   size (:func:`planner.compute.step_time.kernel_efficiency`), the precision's realised speed-up
   (:func:`planner.compute.step_time.realised_speedup`), exposed TP/CP/PP/DP/EP communication, the
   pipeline bubble, recompute and MoE dispatch. Calibrated on measured iteration times
   (:mod:`planner.compute.step_calibration`, ``planner/data/step_benchmarks.csv``).
2. **Goodput** (:func:`goodput_share`): failures, restarts and checkpoints
   (:mod:`planner.compute.failures`, Llama 3 interruption rate, Daly interval), times the share left by
   everything else between steps that whole-run reports include (evaluation, data stalls,
   warm-up, stragglers, restarts beyond the failure model): :data:`OTHER_GOODPUT`, calibrated on
   whole-run reports (``published_runs.csv``; :func:`calibrate_goodput`).

The range (P10-P90) is the spread of the whole-run residuals ``ln(implied / predicted)`` on the
published runs (:data:`RESIDUAL_LOG_P10`, :data:`RESIDUAL_LOG_P90`), not a hand-set MFU range.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner import defaults
from planner.compute import failures, flops
from planner.compute import step_time as steptime
from planner.compute.utilization import (
    Candidate,
    fastest_layout,
    predicted_utilization,
    step_time,
)
from planner.errors import InputError
from planner.scenario.accelerators import Accelerator
from planner.scenario.layout import Layout, check_for_model
from planner.scenario.schema import Architecture

__all__ = [
    "ASPECT_RATIO",
    "DEFAULT_ACCELERATOR_COUNT",
    "MIN_FAMILY_RUNS",
    "OTHER_GOODPUT",
    "OTHER_GOODPUT_AMPERE",
    "OTHER_GOODPUT_HOPPER",
    "RESIDUAL_LOG_P10",
    "RESIDUAL_LOG_P90",
    "WholeRun",
    "accelerator_family",
    "active_of",
    "calibrate_goodput",
    "failure_goodput",
    "goodput_share",
    "interpolate_runs",
    "other_goodput",
    "shape_bracket",
    "shape_bracket_one",
    "shape_from_params",
    "shape_layers",
    "shape_of_layers",
    "whole_run",
    "whole_run_for_params",
]

OTHER_GOODPUT = 0.61
"""Share of wall time that trains after failures are counted: what evaluation, data stalls,
warm-up, stragglers, long-context and annealing stages and restarts beyond the failure model
leave, pooled over all scored published runs (the median of implied whole-run MFU /
(predicted per-step MFU × failure goodput); :func:`calibrate_goodput`, recomputed by
tests/compute/test_hours.py). Used for accelerator generations with fewer than
:data:`MIN_FAMILY_RUNS` published runs. The parts are not separable from whole-run reports;
Llama 3 reports >90% effective training time at 16K GPUs for failures alone
(hardware-literature.md §8)."""

OTHER_GOODPUT_AMPERE = 0.81
OTHER_GOODPUT_HOPPER = 0.53
"""The same share calibrated per accelerator generation (A100: 10 runs; H100/H800: 12 runs).
Empirical, not a physical term: Hopper-era runs report whole-run MFU far below the per-step
speed their layouts reach on the step benchmarks (larger clusters, allocation-based hours,
long-context and annealing stages), A100-era runs close to it. Same calibration function."""

MIN_FAMILY_RUNS = 3
"""Published runs a generation needs for its own goodput; else :data:`OTHER_GOODPUT`."""

RESIDUAL_LOG_P10 = -0.31
RESIDUAL_LOG_P90 = 0.24
"""10th and 90th percentiles of ``ln(implied / predicted)`` whole-run MFU over the scored
published runs after calibration, from a normal fit (mean ± 1.2816·sd) of the residuals
(:func:`calibrate_goodput`): the P10-P90 range of hours. Their spread includes the per-step
error (step benchmarks: sd 0.10 of ln predicted/measured)."""


def accelerator_family(accelerator_id: str) -> str:
    """``ampere`` (A100), ``hopper`` (H100, H800, H200, GH200) or ``other``."""
    name = accelerator_id.lower()
    if name.startswith("a100"):
        return "ampere"
    if name.startswith(("h100", "h800", "h200", "gh200")):
        return "hopper"
    return "other"


def other_goodput(accelerator_id: str) -> float:
    """The calibrated goodput beyond failures for an accelerator's generation."""
    family = accelerator_family(accelerator_id)
    return {"ampere": OTHER_GOODPUT_AMPERE, "hopper": OTHER_GOODPUT_HOPPER}.get(
        family, OTHER_GOODPUT
    )


DEFAULT_ACCELERATOR_COUNT = defaults.ACCELERATOR_COUNT
"""Cluster size when a scenario gives none (planner.defaults.ACCELERATOR_COUNT, an assumption)."""

ASPECT_RATIO = 128
"""d_model / layers when only a parameter count is known. Assumption from published shapes:
Llama 2 7B 4096/32 = 128, Llama 3 405B 16384/126 = 130, Llama 2 70B 8192/80 = 102."""


def shape_layers(params: Any) -> Any:
    """Layers of :func:`shape_from_params`: ``8·round((N / (12·128²))^⅓ / 8)``, at least 8."""
    root = (np.asarray(params, dtype=float) / (12 * ASPECT_RATIO**2)) ** (1 / 3)
    return np.maximum(8, 8 * np.round(root / 8)).astype(int)


@functools.lru_cache(maxsize=256)
def shape_of_layers(layers: int, seq_len: int, vocab: int = 32000) -> Architecture:
    """The dense shape of ``layers`` blocks at d_model = :data:`ASPECT_RATIO`·layers."""
    d_model = ASPECT_RATIO * layers
    return Architecture(
        layers=layers, d_model=d_model, heads=d_model // 128, vocab_size=vocab, seq_len=seq_len
    )


def shape_bracket(params: Any, seq_len: int) -> tuple[Any, Any]:
    """``(lower layers, weight)``: the plan sits between the shapes of ``L`` and ``L + 8`` layers
    at ``w = ln(N/N_L) / ln(N_{L+8}/N_L)`` (clipped to 0-1), so whole-run MFU is interpolated
    in ln N between the two shapes' layout runs and hours grow smoothly with parameters."""
    n = np.asarray(params, dtype=float)
    root = (n / (12 * ASPECT_RATIO**2)) ** (1 / 3)
    lower = np.maximum(8, 8 * np.floor(root / 8)).astype(int)
    # few distinct layer counts: each shape once, then a lookup for every row
    layers, where = np.unique(lower, return_inverse=True)
    sizes = np.array(
        [[active_of(shape_of_layers(int(k) + d, seq_len)) for d in (0, 8)] for k in layers]
    )
    low = sizes[:, 0][where].reshape(lower.shape)
    high = sizes[:, 1][where].reshape(lower.shape)
    weight = np.clip(np.log(n / low) / np.log(high / low), 0.0, 1.0)
    return lower, weight


def shape_bracket_one(params: float, seq_len: int) -> tuple[int, float]:
    """:func:`shape_bracket` for one plan, in plain floats (the optimiser's hot path)."""
    root = (params / (12 * ASPECT_RATIO**2)) ** (1 / 3)
    lower = max(8, 8 * math.floor(root / 8))
    low = active_of(shape_of_layers(lower, seq_len))
    high = active_of(shape_of_layers(lower + 8, seq_len))
    weight = math.log(params / low) / math.log(high / low)
    return lower, min(1.0, max(0.0, weight))


def whole_run_for_params(
    active_params: float,
    seq_len: int,
    accelerator: Accelerator,
    accelerators: int,
    batch_tokens: float,
    precision: str = "bf16",
) -> WholeRun:
    """:func:`whole_run` for a plan that gives only its active parameter count: the shapes of
    :func:`shape_bracket` on either side, MFU interpolated in ln N (layout and step time of
    the nearer shape). The scalar twin of :func:`planner.compute.plan_terms.plan_utilization`."""
    lower, weight = shape_bracket(active_params, seq_len)
    runs = [
        whole_run(
            shape_of_layers(int(k), seq_len), accelerator, accelerators, batch_tokens, precision
        )
        for k in (int(lower), int(lower) + 8)
    ]
    return interpolate_runs(runs[0], runs[1], float(weight))


def interpolate_runs(low: WholeRun, high: WholeRun, weight: float) -> WholeRun:
    """Geometric interpolation of two shapes' utilisations at ``weight`` (0 = ``low``)."""

    def mix(a: float, b: float) -> float:
        return float(math.exp((1 - weight) * math.log(a) + weight * math.log(b)))

    near = low if weight < 0.5 else high
    return WholeRun(
        near.layout,
        near.chosen,
        near.accelerators,
        near.step_s,
        mix(low.step_utilization, high.step_utilization),
        mix(low.goodput, high.goodput),
        mix(low.utilization, high.utilization),
        mix(low.utilization_low, high.utilization_low),
        mix(low.utilization_high, high.utilization_high),
    )


def shape_from_params(params: float, seq_len: int, vocab: int = 32000) -> Architecture:
    """A dense decoder shape of about ``params`` parameters at d_model/layers = :data:`ASPECT_RATIO`.

    ``N ≈ 12·L·h²`` with ``h = 128·L``, L rounded to a multiple of 8; heads of 128; f = 4h. For
    plans and backtests that give only a parameter count (an assumption, labelled).
    """
    # layers a multiple of 8 (from 8), so heads = layers·128/128 divide by the usual tp and pp
    return shape_of_layers(int(shape_layers(params)), seq_len, vocab)


def failure_goodput(accelerators: Any) -> Any:
    """Share of time left by failures, restarts and checkpoints on ``accelerators``:
    ``1 − lost_share`` (planner.compute.failures: Llama 3 rate, Daly interval)."""
    mtbf_s = failures.job_mtbf_hours(accelerators) * flops.SECONDS_PER_HOUR
    return 1.0 - failures.lost_share(failures.CHECKPOINT_SECONDS, mtbf_s, failures.RESTART_SECONDS)


def goodput_share(accelerators: Any, other: float = OTHER_GOODPUT) -> Any:
    """Goodput: :func:`failure_goodput` × :data:`OTHER_GOODPUT`."""
    return failure_goodput(accelerators) * other


@dataclass(frozen=True)
class WholeRun:
    """The hours model's answer for one plan: layout, both factors and the range."""

    layout: Layout
    chosen: bool
    """The layout was chosen by the search (the scenario gave none)."""
    accelerators: int
    """Accelerators the layout occupies (t·p·c·d)."""
    step_s: float
    step_utilization: float
    """Steady-state MFU against the precision's dense peak."""
    goodput: float
    utilization: float
    """Whole-run MFU = step_utilization × goodput (against the precision's peak)."""
    utilization_low: float
    utilization_high: float


def _best(found: list[Candidate], arch: Architecture, accelerators: int) -> Candidate:
    best = next((c for c in found if c.feasible), None)
    if best is not None:
        return best
    sized = [c for c in found if not math.isnan(c.memory_bytes)]
    closest = min(sized, key=lambda c: c.memory_bytes) if sized else None
    detail = f"; the smallest needs {closest.reason.removeprefix('needs ')}" if closest else ""
    raise InputError(
        f"no layout of {arch.layers} layers × d_model {arch.d_model} fits on "
        f"{accelerators:,} accelerators{detail}",
        field="training.accelerator_count",
        allowed="more accelerators, or an accelerator with more memory",
    )


def _whole_run(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    batch_tokens: float,
    precision: str,
    given: Layout | None,
    active_params: float,
    other: float,
    low: float,
    high: float,
) -> WholeRun:
    speedup = steptime.realised_speedup(precision)
    bf16 = accelerator.peak_flops("bf16")
    if given is None:
        best = _best(
            fastest_layout(
                arch,
                accelerator,
                accelerators,
                batch_tokens,
                active_params=active_params,
                speedup=speedup,
            ),
            arch,
            accelerators,
        )
        layout, dp, step_s, util_bf16 = (
            best.layout,
            best.dp,
            best.step_s,
            best.predicted_utilization,
        )
    else:
        layout = given
        dp = layout.dp or check_for_model(layout, arch, accelerators)
        per = layout.micro_batch * dp
        sequences = float(
            layout.global_batch or max(1, round(batch_tokens / arch.seq_len / per)) * per
        )
        step = step_time(arch, layout, accelerator, dp, sequences, active_params, None, speedup)
        step_s = float(step.total_s)
        used = layout.model_parallel * dp
        util_bf16 = float(
            predicted_utilization(step, sequences, arch.seq_len, active_params, used, bf16)
        )
    used = layout.model_parallel * dp
    step_util = util_bf16 * bf16 / accelerator.peak_flops(precision)
    good = float(goodput_share(used, other))
    mid = step_util * good
    return WholeRun(
        layout,
        given is None,
        int(used),
        step_s,
        step_util,
        good,
        mid,
        mid * math.exp(low),
        mid * math.exp(high),
    )


def whole_run(
    arch: Architecture,
    accelerator: Accelerator,
    accelerators: int,
    batch_tokens: float,
    precision: str = "bf16",
    layout: Layout | None = None,
    active_params: float | None = None,
    *,
    other: float | None = None,
    low: float = RESIDUAL_LOG_P10,
    high: float = RESIDUAL_LOG_P90,
) -> WholeRun:
    """Whole-run MFU of a plan: the given layout, else the fastest feasible one.

    ``batch_tokens`` is rounded to two significant figures so that plans differing only in
    tokens share one layout search (cached).
    """
    fast = (id(arch), id(accelerator), accelerators, batch_tokens, precision, id(layout))
    if active_params is None and other is None and fast in _RECENT:
        held = _RECENT[fast]
        if isinstance(held[0], InputError):
            raise held[0]
        return held[0]
    active = active_of(arch) if active_params is None else active_params
    rounded = float(f"{batch_tokens:.2g}")
    found = _whole_run_or_error(
        arch,
        accelerator,
        int(accelerators),
        rounded,
        precision,
        layout,
        float(active),
        other_goodput(accelerator.id) if other is None else other,
        low,
        high,
    )
    if active_params is None and other is None:
        if len(_RECENT) > 4096:
            _RECENT.clear()
        # the objects ride along so that their ids cannot be reused while the entry lives
        _RECENT[fast] = (found, arch, accelerator, layout)
    if isinstance(found, InputError):
        raise found
    return found


_RECENT: dict[tuple[Any, ...], tuple[Any, ...]] = {}
"""Answers of :func:`whole_run` by object identity: hashing the frozen models on every call of
the optimiser's hot path cost more than the answer."""


@functools.lru_cache(maxsize=1024)
def active_of(arch: Architecture) -> float:
    """Active parameters of a shape (cached: shapes repeat across plans)."""
    return float(flops.count_params(arch).active)


@functools.lru_cache(maxsize=4096)
def _whole_run_or_error(*key: Any) -> WholeRun | InputError:
    """:func:`_whole_run`, with a refusal cached too (a layout search that finds nothing is as
    slow as one that finds something)."""
    try:
        return _whole_run(*key)
    except InputError as exc:
        return exc


def calibrate_goodput(
    predicted_step: Sequence[float],
    used: Sequence[int],
    implied: Sequence[float],
    accelerators: Sequence[str],
) -> tuple[dict[str, float], float, float]:
    """Goodput beyond failures (pooled and per generation) and the residual P10/P90.

    ``predicted_step``: per-step MFU the layout model predicts (same peak as ``implied``);
    ``used``: accelerators of that layout; ``accelerators``: catalog ids. Goodput = median of
    ``implied / (step × failure goodput)`` over all runs (``pooled``) and over each generation
    with at least :data:`MIN_FAMILY_RUNS` runs; residuals ``ln(implied / predicted)`` with the
    generation's value, then a normal fit: mean ∓ 1.2816·sd.
    """
    step = np.asarray(predicted_step, dtype=float)
    failure = np.asarray(failure_goodput(np.asarray(used, dtype=float)), dtype=float)
    ratio = np.asarray(implied, dtype=float) / (step * failure)
    families = np.array([accelerator_family(a) for a in accelerators])
    values = {"pooled": float(np.median(ratio))}
    for family in ("ampere", "hopper"):
        members = ratio[families == family]
        if members.size >= MIN_FAMILY_RUNS:
            values[family] = float(np.median(members))
    used_value = np.array([values.get(f, values["pooled"]) for f in families])
    residuals = np.log(ratio / used_value)
    mean, sd = float(np.mean(residuals)), float(np.std(residuals))
    return values, mean - 1.2816 * sd, mean + 1.2816 * sd
