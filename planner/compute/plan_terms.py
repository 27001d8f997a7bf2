"""The hardware terms of a plan: memory per accelerator, batch floor, FP8, failures.

:func:`planner.plan.evaluate.evaluate` calls :func:`hardware_terms` once; everything here wires
the formula modules (:mod:`planner.compute.memory`, :mod:`planner.compute.batch_size`, :mod:`planner.compute.failures`,
:mod:`planner.compute.step_time`) over arrays of plans, so sweeps, the Monte Carlo and the
optimiser see the same numbers as a single run.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from planner import defaults, precisions
from planner.compute import batch_size, failures, flops, hours, memory, step_time, utilization
from planner.compute.step_time import FP8_SPEEDUP, FP8_SPEEDUP_HIGH, FP8_SPEEDUP_LOW
from planner.compute.utilization import LayoutMemory, layout_memory
from planner.errors import InputError
from planner.scenario.fields import Range
from planner.scenario.layout import Layout

__all__ = [
    "DEFAULT_SEQ_LEN",
    "FP8_SPEEDUP",
    "FP8_SPEEDUP_HIGH",
    "FP8_SPEEDUP_LOW",
    "HARDWARE_ASSUMPTIONS",
    "HARDWARE_OUTPUTS",
    "MODELLED_OUTPUTS",
    "LayoutMemory",
    "check_memory",
    "default_utilization",
    "fp8_default",
    "fp8_utilization",
    "hardware_terms",
    "layout_memory",
    "plan_utilization",
    "precision_utilization",
    "seq_len",
]

DEFAULT_SEQ_LEN = 4096
"""Sequence length when the scenario gives no architecture. Assumption: the pretraining
length of Llama 2, OLMo 2, Phi-3 and DeepSeek-V3 (published_runs.csv)."""

# the FP8 constants live beside the step-time formulas (planner.compute.step_time.realised_speedup)

HARDWARE_OUTPUTS = (
    "memory_weights_bytes",
    "memory_gradients_bytes",
    "memory_optimizer_bytes",
    "memory_activations_bytes",
    "memory_buffers_bytes",
    "memory_total_bytes",
    "memory_usable_bytes",
    "memory_fits",
    "batch_tokens",
    "steps",
    "max_useful_accelerators",
    "min_step_s",
    "wall_clock_floor_days",
    "failure_accelerator_hours",
    "failure_usd",
    "step_time_s",
    "predicted_utilization",
)
"""Outputs added by :func:`hardware_terms` (memory terms are NaN without ``training.layout``)."""

MAX_CHOSEN_TP = 8
"""Largest tensor-parallel size the layout search tries (one NVLink domain of 8)."""

MODELLED_OUTPUTS = (
    "modelled_step_utilization",
    "modelled_goodput",
    "modelled_step_s",
    "layout_tp",
    "layout_pp",
    "layout_cp",
    "layout_dp",
    "layout_zero",
    "layout_chosen",
)
"""Outputs of :func:`plan_utilization`: the hours model's two factors and the layout it used
(NaN when the scenario states its utilisation or the accelerator lacks memory or link data)."""


HARDWARE_ASSUMPTIONS: tuple[defaults.Assumption, ...] = (
    defaults.Assumption(
        "FP8 realised speed-up over BF16",
        f"{FP8_SPEEDUP} ({FP8_SPEEDUP_LOW}-{FP8_SPEEDUP_HIGH})",
        "docs/hardware-literature.md §9: Apertus +26%, FP8-LM +64-75%; DeepSeek-V3 17% of FP8 peak",
    ),
    defaults.Assumption(
        "memory headroom (share of HBM kept free)",
        memory.HEADROOM_SHARE,
        "assumption: docs/hardware-literature.md §1 suggests 5-10%; the lower end, at which "
        "production layouts (Megatron-Bridge 25.11) fit",
    ),
    defaults.Assumption(
        "interruptions per accelerator-hour",
        f"{failures.INTERRUPTIONS_PER_ACCELERATOR_HOUR:.3g}",
        "Llama 3 (arXiv 2407.21783) Table 5: 419 unexpected in 54 days on 16,384 H100",
    ),
    defaults.Assumption(
        "checkpoint stall / restart time, s",
        f"{failures.CHECKPOINT_SECONDS:g} / {failures.RESTART_SECONDS:g}",
        "assumption: asynchronous checkpoints of seconds; 10-minute recovery (docs/hardware-literature.md §8)",
    ),
    defaults.Assumption(
        "batch bound on wall-clock",
        "0.58·D^0.571 tokens",
        "Step Law (Li et al. 2025, arXiv 2503.04715)",
    ),
    defaults.Assumption(
        "kernel efficiency (layout step time)",
        f"{step_time.KERNEL_EFFICIENCY_MAX:g}·h/(h + {step_time.KERNEL_HALF_HIDDEN:g})",
        "calibrated on measured per-step times (planner/data/step_benchmarks.csv: Korthikanti "
        "Table 5, Narayanan Table 1, Megatron-Bridge 25.11, llm-foundry)",
    ),
    defaults.Assumption(
        "goodput beyond failures (evaluation, data stalls, warm-up, stragglers)",
        hours.OTHER_GOODPUT,
        "calibrated on published whole-run reports (published_runs.csv): median implied / "
        "(per-step MFU × failure goodput)",
    ),
    defaults.Assumption(
        "whole-run utilisation range (P10-P90)",
        f"×{math.exp(hours.RESIDUAL_LOG_P10):.2f} to ×{math.exp(hours.RESIDUAL_LOG_P90):.2f}",
        "spread of ln(implied / predicted) over published runs (planner.compute.hours.calibrate_goodput)",
    ),
    defaults.Assumption(
        "sequence length without an architecture",
        DEFAULT_SEQ_LEN,
        "assumption: Llama 2, OLMo 2, Phi-3 and DeepSeek-V3 pretraining length",
    ),
)
"""The hardware plan's defaults with their sources, for assumption tables beside
:data:`planner.defaults.ASSUMPTIONS`."""


def fp8_utilization(bf16_utilization: Any, speedup: Any, peak_ratio: Any = 2.0) -> Any:
    """Utilisation against a low-precision peak: ``MFU_bf16 · speedup / (peak / peak_bf16)``
    (docs/hardware-literature.md §9).

    FP8 peak is 2x BF16 on Hopper/Blackwell (FP4 4x on Blackwell); realised speed-ups are
    smaller (planner.precisions), so the BF16-calibrated whole-run MFU is rescaled rather than
    applied to the low-precision peak.
    """
    return bf16_utilization * speedup / peak_ratio


def fp8_default(training: Any) -> bool:
    """A format with its own peak (fp8, nvfp4, mxfp4) with the BF16-calibrated default
    utilisation (by value: variants re-validate a dump of the base scenario, so "not given"
    cannot be told from "given equal to the default")."""
    if precisions.precision(training.precision).peak == "bf16":
        return False
    util = training.utilization  # numbers may be arrays in a sweep: default only if all are
    pairs = (
        (util.low, defaults.UTILIZATION_LOW),
        (util.high, defaults.UTILIZATION_HIGH),
        (util.mid, defaults.UTILIZATION),
    )
    return all(bool(np.all(np.asarray(value) == default)) for value, default in pairs)


def precision_utilization(training: Any) -> Any:
    """The utilisation range in force, against the peak of ``training.precision``.

    The default range is calibrated on BF16 runs (planner backtest); with ``precision: fp8``
    and no utilisation given it becomes :func:`fp8_utilization` of it, the speed-up's range
    widening the ends (DeepSeek-V3's 2.79M H800-hours then fall inside P10-P90). Any other
    utilisation is taken as stated, against the FP8 peak.
    """
    util = training.utilization
    if not fp8_default(training):
        return util
    fmt = precisions.precision(training.precision)
    return Range.model_construct(
        low=fp8_utilization(util.low, fmt.speedup_low, fmt.peak_ratio),
        high=fp8_utilization(util.high, fmt.speedup_high, fmt.peak_ratio),
        point=fp8_utilization(util.mid, fmt.speedup, fmt.peak_ratio),
    )


def default_utilization(training: Any) -> bool:
    """The scenario leaves ``training.utilization`` at its default (compared by value, as
    :func:`fp8_default` does): the hours model then gives the utilisation."""
    util = training.utilization
    pairs = (
        (util.low, defaults.UTILIZATION_LOW),
        (util.high, defaults.UTILIZATION_HIGH),
        (util.mid, defaults.UTILIZATION),
    )
    return all(bool(np.all(np.asarray(value) == default)) for value, default in pairs)


def plan_utilization(
    scenario: Any, active_params: Any, tokens: Any, size: int
) -> tuple[Any, dict[str, Any]]:
    """The whole-run utilisation range of every plan, and the hours model's terms.

    With the default ``training.utilization`` and an accelerator with memory and link data:
    :func:`planner.compute.hours.whole_run` per plan (the scenario's layout, else the best feasible one;
    the architecture, else :func:`planner.compute.hours.shape_from_params`), against the precision's
    peak. Otherwise the stated range (:func:`precision_utilization`) and NaN terms.
    """
    training = scenario.training
    accelerator = training.accelerator
    nan = np.full(1, np.nan)
    terms = {name: nan for name in MODELLED_OUTPUTS}
    usable = accelerator.memory_gb and (accelerator.scale_up_gbs or accelerator.scale_out_gbs)
    if not (default_utilization(training) and usable):
        return precision_utilization(training), terms
    arch = scenario.model.architecture
    seq = seq_len(scenario)
    layout: Layout | None = training.layout
    active, token, count = np.broadcast_arrays(
        np.asarray(active_params, dtype=float),
        np.asarray(tokens, dtype=float),
        np.asarray(training.accelerator_count, dtype=float),
    )
    active, token, count = (np.atleast_1d(a).ravel() for a in (active, token, count))
    if layout is not None and layout.global_batch is not None:
        batch_tokens = np.full(token.shape, float(layout.global_batch * seq))
    else:
        batch_tokens = np.asarray(batch_size.step_law_batch_tokens(token), dtype=float)
    prior = precision_utilization(training)
    active, batch_tokens, count = np.broadcast_arrays(active, batch_tokens, count)
    if active.size <= FEW_ROWS:  # plain floats per row: numpy's overhead dominates here
        singles = [
            _modelled_one(
                arch,
                accelerator,
                training.precision,
                layout,
                seq,
                float(a),
                float(b),
                float(c),
                math.nan,
                math.nan,
                math.nan,
            )
            for a, b, c in zip(active, batch_tokens, count, strict=True)
        ]
        found = _stack(singles, prior)
    else:
        found = _modelled(
            arch, accelerator, training.precision, layout, seq, active, batch_tokens, count, prior
        )
    if found is None:
        return prior, terms
    mid, low, high, terms = found
    del size
    return Range.model_construct(low=low, high=high, point=mid), terms


FEW_ROWS = 16
"""Up to this many plans in one evaluation, the hours model runs per plan in plain floats."""


def _stack(
    singles: list[tuple[Any, Any, Any, dict[str, Any]] | None], prior: Any
) -> tuple[Any, Any, Any, dict[str, Any]] | None:
    """Rows of :func:`_modelled_one` as arrays; a row whose model cannot fit takes the prior."""
    if all(one is None for one in singles):
        return None
    size = len(singles)
    fills = [
        np.broadcast_to(np.asarray(v, dtype=float), (size,))
        for v in (prior.mid, prior.low, prior.high)
    ]
    columns: list[Any] = []
    for position in range(3):
        values = []
        for i, one in enumerate(singles):
            if one is None:
                values.append(float(fills[position][i]))
            else:
                utilisations: tuple[Any, Any, Any] = (one[0], one[1], one[2])
                values.append(float(utilisations[position][0]))
        columns.append(np.array(values))
    terms: dict[str, Any] = {
        name: np.array([math.nan if one is None else float(one[3][name][0]) for one in singles])
        for name in MODELLED_OUTPUTS
    }
    return columns[0], columns[1], columns[2], terms


def _modelled_one(
    arch: Any,
    accelerator: Any,
    precision: str,
    layout: Layout | None,
    seq: int,
    active: float,
    batch_tokens: float,
    count: float,
    prior_mid: float,
    prior_low: float,
    prior_high: float,
) -> tuple[Any, Any, Any, dict[str, Any]] | None:
    """:func:`_modelled` for one plan in plain floats (the optimiser evaluates one plan at a
    time; numpy's per-call overhead dominated). Same rules, same cached layout runs."""
    if arch is not None:
        lower, weight = arch.layers, 0.0
    else:
        lower, weight = hours.shape_bracket_one(active, seq)
    # a stage or row that trains nothing still gets a layout: at least one sequence per step
    batch_key = 2.0 ** (round(math.log2(max(batch_tokens, seq)) * 2) / 2)
    if layout is None:
        count = min(count, max(1.0, batch_key // seq) * MAX_CHOSEN_TP)
    runs = []
    for layers in (lower,) if arch is not None else (lower, lower + 8):
        shape = arch if arch is not None else hours.shape_of_layers(layers, seq)
        try:
            runs.append(
                hours.whole_run(shape, accelerator, int(count), batch_key, precision, layout)
            )
        except InputError:
            return None
    near, far = runs[0], runs[-1]
    scale = active / hours.active_of(arch) if arch is not None else 1.0

    def mixed(a: float, b: float) -> Any:
        return np.array([math.exp((1 - weight) * math.log(a) + weight * math.log(b))])

    chosen = near if weight < 0.5 else far
    del prior_mid, prior_low, prior_high
    terms = {
        "modelled_step_utilization": mixed(near.step_utilization, far.step_utilization) * scale,
        "modelled_goodput": mixed(near.goodput, far.goodput),
        "modelled_step_s": np.array([chosen.step_s]),
        "layout_tp": np.array([float(chosen.layout.tp)]),
        "layout_pp": np.array([float(chosen.layout.pp)]),
        "layout_cp": np.array([float(chosen.layout.cp)]),
        "layout_dp": np.array([float(chosen.accelerators // chosen.layout.model_parallel)]),
        "layout_zero": np.array([float(chosen.layout.zero)]),
        "layout_chosen": np.array([float(chosen.chosen)]),
    }
    return (
        mixed(near.utilization, far.utilization) * scale,
        mixed(near.utilization_low, far.utilization_low) * scale,
        mixed(near.utilization_high, far.utilization_high) * scale,
        terms,
    )


def _distinct_rows(columns: Any) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of equal-length columns and each row's index among them: the columns
    are coded one by one (1-D uniques are fast) and their codes combined, instead of sorting
    rows as records (``np.unique(axis=0)`` is ~50x slower on a million rows)."""
    flat = [np.ravel(c) for c in columns]
    values, codes = zip(*(np.unique(c, return_inverse=True) for c in flat), strict=True)
    combined = np.zeros(len(flat[0]), dtype=np.int64)
    for value, code in zip(values, codes, strict=True):
        combined = combined * len(value) + np.ravel(code)
    distinct, index = np.unique(combined, return_inverse=True)
    rows = np.empty((len(distinct), len(flat)))
    rest = distinct.copy()
    for column in range(len(flat) - 1, -1, -1):
        size = len(values[column])
        rows[:, column] = values[column][rest % size]
        rest //= size
    return rows, np.ravel(index)


def _modelled(
    arch: Any,
    accelerator: Any,
    precision: str,
    layout: Layout | None,
    seq: int,
    active: Any,
    batch_tokens: Any,
    count: Any,
    prior: Any,
) -> tuple[Any, Any, Any, dict[str, Any]] | None:
    """Whole-run utilisation (mid, low, high) and the model's terms over rows; None when no
    row's model fits (the stated prior then stands)."""
    # one search per distinct (shape, batch to a half-octave, accelerators): rows share it
    if arch is not None:
        lower, weight = np.full(active.shape, arch.layers), np.zeros(active.shape)
    else:  # between the two bracketing shapes, interpolated in ln N (planner.compute.hours)
        lower, weight = (np.ravel(a) for a in hours.shape_bracket(active, seq))
    batch_key = np.exp2(np.round(np.log2(np.maximum(batch_tokens, seq)) * 2) / 2)
    if layout is None:
        # accelerators beyond one sequence per replica of a tp-8 group cannot be kept busy
        # (docs/hardware-literature.md §7): the hours model uses at most that many
        count = np.minimum(count, np.maximum(1.0, batch_key // seq) * MAX_CHOSEN_TP)
    # one search per distinct (shape, batch to a half-octave, accelerators): rows share it
    unique, index = _distinct_rows(
        np.broadcast_arrays(lower.astype(float), batch_key, np.floor(count))
    )

    def run_of(layers: int, key_batch: float, key_count: float) -> hours.WholeRun | None:
        shape = arch if arch is not None else hours.shape_of_layers(layers, seq)
        try:
            return hours.whole_run(shape, accelerator, int(key_count), key_batch, precision, layout)
        except InputError:  # nothing fits: the stated prior, and the memory warning says why
            return None

    pairs = []
    for key_layers, key_batch, key_count in unique:
        near = run_of(int(key_layers), float(key_batch), float(key_count))
        far = near if arch is not None else run_of(int(key_layers) + 8, key_batch, key_count)
        pairs.append((near, far))
    missing_key = np.array([a is None or b is None for a, b in pairs])
    if missing_key.all():
        return None
    missing = missing_key[index]
    # an architecture's own active count sets its MFU (6·N_active over the step time)
    scale = active / flops.count_params(arch).active if arch is not None else 1.0

    def side(get: Any, which: int) -> Any:
        values = np.array([np.nan if p[which] is None else float(get(p[which])) for p in pairs])
        return values[index]

    def mixed(get: Any) -> Any:
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.exp((1 - weight) * np.log(side(get, 0)) + weight * np.log(side(get, 1)))

    def nearer(get: Any) -> Any:
        return np.where(weight < 0.5, side(get, 0), side(get, 1))

    def utilisation(get: Any, fallback: Any) -> Any:
        fill = np.broadcast_to(np.asarray(fallback, dtype=float), index.shape)
        return np.where(missing, fill, mixed(get) * scale)

    mid = utilisation(lambda r: r.utilization, prior.mid)
    low = utilisation(lambda r: r.utilization_low, prior.low)
    high = utilisation(lambda r: r.utilization_high, prior.high)
    terms = {
        "modelled_step_utilization": mixed(lambda r: r.step_utilization) * scale,
        "modelled_goodput": mixed(lambda r: r.goodput),
        "modelled_step_s": nearer(lambda r: r.step_s),
        "layout_tp": nearer(lambda r: r.layout.tp),
        "layout_pp": nearer(lambda r: r.layout.pp),
        "layout_cp": nearer(lambda r: r.layout.cp),
        "layout_dp": nearer(lambda r: r.accelerators // r.layout.model_parallel),
        "layout_zero": nearer(lambda r: r.layout.zero),
        "layout_chosen": nearer(lambda r: r.chosen),
    }
    return mid, low, high, terms


def seq_len(scenario: Any) -> int:
    """Training sequence length: the architecture's, else :data:`DEFAULT_SEQ_LEN`."""
    arch = scenario.model.architecture
    return arch.seq_len if arch is not None else DEFAULT_SEQ_LEN


def _batch_sequences(layout: Layout, tokens: Any, seq: int, dp: Any) -> Any:
    """Global batch in sequences: the layout's, else the Step Law batch rounded to b·d."""
    if layout.global_batch is not None:
        return layout.global_batch * np.ones_like(np.asarray(tokens, dtype=float))
    wanted = batch_size.step_law_batch_tokens(tokens) / seq
    per = layout.micro_batch * dp
    return np.maximum(np.round(wanted / per), 1) * per


def _largest_fitting_micro_batch(
    layout: Layout, arch: Any, accelerator: Any, dp: Any, sequences: Any
) -> int:
    """The largest micro-batch below ``layout.micro_batch`` that fits, or 0 if none does.

    Bisection: memory grows with the micro-batch b (activations and logits are linear in b;
    the layers in flight, min(p, m) with m = B/(b·d), fall no faster than 1/b), so the fitting
    micro-batches are 1..b*. About 20 evaluations even for micro_batch 1,000,000 (a linear
    scan took minutes there).
    """

    def fits(micro: int) -> bool:
        smaller = layout.model_copy(update={"micro_batch": micro, "global_batch": None})
        return bool(layout_memory(arch, smaller, accelerator, dp, sequences).fits)

    low, high = 0, layout.micro_batch - 1  # invariant: low fits (0 = none), high+1 does not
    while low < high:
        middle = (low + high + 1) // 2
        if fits(middle):
            low = middle
        else:
            high = middle - 1
    return low


def check_memory(scenario: Any) -> None:
    """Refuse a layout whose first micro-batch cannot fit, naming the fix (InputError, exit 2)."""
    layout, arch = scenario.training.layout, scenario.model.architecture
    accelerator = scenario.training.accelerator
    if layout is None or arch is None or not accelerator.memory_gb:
        return
    dp = layout.dp or scenario.training.accelerator_count // layout.model_parallel
    sequences = _batch_sequences(layout, scenario.total_tokens, arch.seq_len, dp)
    mem = layout_memory(arch, layout, accelerator, dp, sequences)
    if bool(mem.fits):
        return
    fixes = []
    micro = _largest_fitting_micro_batch(layout, arch, accelerator, dp, sequences)
    if micro:
        fixes.append(f"micro_batch: {micro}")
    if layout.recompute != "full":
        fixes.append("recompute: full")
    if layout.zero_stage < 3:
        fixes.append("zero: 3")
    fixes.append("a larger tp or pp")
    raise InputError(
        f"micro-batch of {layout.micro_batch} does not fit: {mem.total / 1e9:,.1f} GB per "
        f"accelerator (weights {mem.weights / 1e9:,.1f}, gradients {mem.gradients / 1e9:,.1f}, "
        f"optimizer {mem.optimizer / 1e9:,.1f}, activations {mem.activations / 1e9:,.1f}, "
        f"ZeRO-3 buffers {mem.buffers / 1e9:,.1f}) against {mem.usable / 1e9:,.1f} GB usable "
        f"({accelerator.memory_gb:g} GB less {memory.HEADROOM_SHARE:.0%} headroom)",
        field="training.layout.micro_batch",
        allowed="try " + ", or ".join(fixes),
    )


def hardware_terms(scenario: Any, out: dict[str, Any], ones: Any) -> None:
    """Add :data:`HARDWARE_OUTPUTS` to ``out`` and apply the wall-clock floor to its days.

    Needs ``out`` to hold the training FLOPs, hours, utilisation and memory already.
    """
    training = scenario.training
    accelerator = training.accelerator
    count = np.asarray(training.accelerator_count, dtype=float) * ones
    seq = seq_len(scenario)
    tokens = out["tokens"]
    layout: Layout | None = getattr(training, "layout", None)
    arch = scenario.model.architecture
    nan = np.full(1, np.nan)
    if layout is not None and arch is not None:
        mp = layout.model_parallel
        dp = (
            np.asarray(layout.dp, dtype=float) * ones
            if layout.dp
            else np.maximum(np.floor(count / mp), 1)
        )
        sequences = _batch_sequences(layout, tokens, seq, dp)
        mem = layout_memory(arch, layout, accelerator, dp, sequences)
        for name, value in (
            ("weights", mem.weights),
            ("gradients", mem.gradients),
            ("optimizer", mem.optimizer),
            ("activations", mem.activations),
            ("buffers", mem.buffers),
            ("total", mem.total),
            ("usable", mem.usable),
        ):
            out[f"memory_{name}_bytes"] = np.asarray(value, dtype=float) * ones
        fits = np.where(np.isnan(mem.usable), np.nan, mem.fits)  # unknown HBM: unknown
        out["memory_fits"] = np.asarray(fits, dtype=float) * ones
        batch_tokens = sequences * seq
        placed = np.minimum(mp * dp, count)  # accelerators the layout occupies
        step = utilization.step_time(
            arch,
            layout,
            accelerator,
            dp,
            sequences,
            out["active_params"],
            speedup=precisions.precision(training.precision).speedup,
        )
        out["step_time_s"] = np.asarray(step.total_s, dtype=float) * ones
        out["predicted_utilization"] = (
            utilization.predicted_utilization(
                step, sequences, seq, out["active_params"], mp * dp, out["peak_flops_per_s"]
            )
            * ones
        )
    else:
        for name in (*HARDWARE_OUTPUTS[:8], "step_time_s", "predicted_utilization"):
            out[name] = nan
        mp = np.fmax(out["min_accelerators"], 1)  # NaN (memory unknown) counts as 1
        batch_tokens = batch_size.step_law_batch_tokens(tokens)
        placed = count
    # wall-clock floor (docs/hardware-literature.md §7): steps = D / B; a step is at least one
    # sequence through a model-parallel group, and at least one gradient all-reduce
    steps = np.ceil(tokens / batch_tokens)
    useful = np.minimum(batch_size.max_useful_accelerators(batch_tokens, seq, mp), placed)
    peak, util = out["peak_flops_per_s"], out["utilization"]
    sequence_s = out["flops_per_token"] * seq / (mp * peak * util)
    link = accelerator.scale_out_gbs or accelerator.scale_up_gbs
    replicas = np.maximum(np.floor(useful / mp), 1)
    gradient_bytes = 2.0 * out["params"] / mp
    step_s = (
        batch_size.min_step_seconds(sequence_s, gradient_bytes, replicas, link)
        if link
        else sequence_s
    )
    floor_days = steps * step_s / flops.SECONDS_PER_HOUR / flops.HOURS_PER_DAY
    out["batch_tokens"] = batch_tokens * ones
    out["steps"] = steps * ones
    out["max_useful_accelerators"] = (
        batch_size.max_useful_accelerators(batch_tokens, seq, mp) * ones
    )
    out["min_step_s"] = step_s * ones
    out["wall_clock_floor_days"] = floor_days * ones
    out["usable_accelerators"] = useful * ones
    for suffix in ("", "_low", "_high"):
        days = flops.wall_clock_days(out[f"accelerator_hours{suffix}"], useful, training.goodput)
        out[f"wall_clock_days{suffix}"] = np.maximum(days, floor_days) * ones
    # failures: interruptions of the job (Llama 3 rate) with Daly-interval checkpoints
    mtbf_s = failures.job_mtbf_hours(useful) * flops.SECONDS_PER_HOUR
    lost = failures.lost_share(failures.CHECKPOINT_SECONDS, mtbf_s, failures.RESTART_SECONDS)
    out["failure_lost_share"] = lost * ones
    out["failure_accelerator_hours"] = out["accelerator_hours"] * lost / (1.0 - lost) * ones
    out["failure_usd"] = out["failure_accelerator_hours"] * out["price_usd_per_hour"]
