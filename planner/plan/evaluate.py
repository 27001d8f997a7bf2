"""The plan model: every term of a plan, evaluated once, over numpy arrays of rows.

A single plan is a batch of one. :func:`planner.plan.estimate.estimate` (``run()``), the sweep,
the Monte Carlo and the optimiser all call :func:`evaluate`, which wires the formula
functions of :mod:`planner.compute.flops`, :mod:`planner.plan.cost` and :mod:`planner.mixture.expected_loss` to a
scenario. A scenario whose numeric fields hold arrays (built with :func:`with_values`,
which skips validation on purpose, after the caller checked the values) gives one row
per element.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from planner.compute import flops as compute
from planner.compute import plan_terms
from planner.compute.memory import training_memory_bytes
from planner.errors import InputError
from planner.laws.forms import ChinchillaLaw, KaplanLaw
from planner.mixture import expected_loss
from planner.numbers import Number
from planner.plan import cost, stages
from planner.scenario import token_shares
from planner.scenario.fields import Range
from planner.scenario.schema import Scenario

__all__ = [
    "OUTPUTS",
    "Evaluation",
    "SourceTerms",
    "evaluate",
    "plan_loss",
    "training_dollars",
    "with_values",
]

OUTPUTS = (
    "params",
    "active_params",
    "tokens",
    "training_flops",
    "accelerator_hours",
    "billed_accelerator_hours",
    "wall_clock_days",
    "training_compute_usd",
    "overhead_usd",
    "training_cost_usd",
    "synthetic_generation_usd",
    "grading_usd",
    "real_data_usd",
    "total_cost_usd",
    "energy_kwh",
    "co2_tonnes",
    "memory_bytes",
    "min_accelerators",
    "synthetic_share",
    "generation_wall_clock_days",
    "combined_wall_clock_days",
    "effective_tokens",
    "tokens_per_param",
    "mixture_gain",
    "loss",
    "programme_accelerator_hours",
    "programme_usd",
    "programme_total_usd",
    "amortised_training_usd",
    *plan_terms.HARDWARE_OUTPUTS,
    *plan_terms.MODELLED_OUTPUTS,
)
"""Point outputs of a plan, one sweep column each (flag columns follow, from planner.plan.flags)."""


def with_values(scenario: Scenario, path: str, value: Any) -> Scenario:
    """A copy of ``scenario`` with ``value`` (often an array) at a dotted field path.

    Data sources are addressed by name. No validation runs: the caller checks values
    first (see :func:`planner.explore.sweep.check_values`). A number set on a range field
    (``training.utilization``, a synthetic ``value_weight``) sets low, point and high.
    """
    updated: Scenario = _set(scenario, path.split("."), value)
    return updated


def _set(model: Any, parts: Sequence[str], value: Any) -> Any:
    head, rest = parts[0], parts[1:]
    if isinstance(model, list):
        names = [getattr(item, "name", None) for item in model]
        index = names.index(head) if head in names else int(head)  # by name, else index
        copy = list(model)
        copy[index] = _set(model[index], rest, value) if rest else value
        return copy
    if not rest:
        if isinstance(getattr(model, head, None), Range) and not isinstance(
            value, (Range, dict, str)
        ):
            value = Range.model_construct(low=value, high=value, point=value)
        return model.model_copy(update={head: value})
    return model.model_copy(update={head: _set(getattr(model, head), rest, value)})


@dataclass(frozen=True)
class SourceTerms:
    """One data source in a batch of plans: every number an array of rows."""

    name: str
    kind: str
    """``real`` or ``synthetic``."""
    unique_known: bool
    """Whether the scenario gives the source's unique tokens (synthetic sources always know)."""
    tokens: np.ndarray
    unique_tokens: np.ndarray
    """Unique tokens paid for: ``unique_tokens``, else what is drawn (one epoch)."""
    effective_tokens: np.ndarray
    """This pool's part of its family's D' (by tokens drawn) times its explicit value weight,
    before the mixture gain (planner.mixture.expected_loss.mix_effective)."""
    value_weight: np.ndarray
    acquisition_usd: np.ndarray
    generation_usd: np.ndarray
    grading_usd: np.ndarray
    generated_tokens: np.ndarray
    synthetic_accelerator_hours: np.ndarray
    in_gain: bool = True
    """Whether the mixture gain multiplies this pool (planner.mixture.expected_loss.gain_stream)."""

    @functools.cached_property
    def epochs(self) -> np.ndarray:
        tokens, unique = _narrow(self.tokens), _narrow(self.unique_tokens)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.broadcast_to(np.where(unique > 0, tokens / unique, 0.0), self.tokens.shape)


def _narrow(values: np.ndarray) -> np.ndarray:
    """A broadcast row array back to its one element when every row shares it."""
    if values.ndim == 1 and values.size > 1 and values.strides[0] == 0:
        return values[:1]
    return values


@dataclass(frozen=True)
class Evaluation:
    """A batch of plans evaluated: outputs by name, sources, the quality model's pools."""

    scenario: Any
    """The scenario evaluated (numbers may be arrays)."""
    size: int
    values: dict[str, np.ndarray]
    sources: tuple[SourceTerms, ...]
    pools: tuple[expected_loss.Pool, ...]
    law_params: np.ndarray
    unique_known: bool
    """Every real source gives unique tokens: the law discounts excess parameters (Muennighoff)."""
    drawn: tuple[np.ndarray, ...]
    """Tokens drawn per source (the one rule of :mod:`planner.scenario.token_shares`)."""
    mix: expected_loss.MixTerms | None = None
    """The mix's families, gain and shares (planner.mixture.expected_loss.mix_effective)."""

    def __getitem__(self, name: str) -> np.ndarray:
        return self.values[name]


def _row(value: Any, size: int) -> np.ndarray:
    array = np.asarray(value, dtype=float)
    return array if array.shape == (size,) else np.broadcast_to(array, (size,))


def evaluate(scenario: Any, size: int = 1, varied_shares: Collection[str] = ()) -> Evaluation:
    """Every output of a batch of ``size`` plans (point estimates), in one pass over arrays.

    ``varied_shares``: sources whose ``share`` a sweep sets; the other share-based sources
    are rescaled to fill the rest (:func:`planner.scenario.token_shares.resolve`). Inputs that are plain
    numbers stay one element wide until the end, so a sweep pays only for what it varies.
    A scenario with ``stages`` is evaluated stage by stage (planner.plan.stages).
    """
    if getattr(scenario, "stages", None):
        return stages.evaluate_staged(scenario, size, varied_shares, evaluate, _programme)
    ones = np.ones(1)
    training = scenario.training
    accelerator = training.accelerator
    try:
        drawn, tokens = token_shares.resolve(training, scenario.data, size, varied_shares)
    except token_shares.DrawError as exc:
        raise InputError(str(exc), field=exc.fields) from None
    params = compute.model_params(scenario.model)
    per_token, hardware_per_token = compute.flops_per_token(scenario.model, training)
    flops = per_token * tokens
    peak = accelerator.peak_flops(training.precision)
    util, modelled = plan_terms.plan_utilization(scenario, params.active, tokens, size)
    count, goodput, price = training.accelerator_count, training.goodput, training.price
    out: dict[str, Any] = {
        **modelled,
        "params": params.total * ones,
        "active_params": params.active * ones,
        "tokens": tokens,
        "flops_per_token": per_token * ones,
        "training_flops": flops,
        "hardware_flops": hardware_per_token * tokens,
        "peak_flops_per_s": peak * ones,
        "accelerator_count": count * ones,
        "price_usd_per_hour": price * ones,
        "utilization": util.mid * ones,
        "utilization_low": util.low * ones,
        "utilization_high": util.high * ones,
    }
    for suffix, share in (("", util.mid), ("_low", util.high), ("_high", util.low)):
        # low hours come from high utilisation
        hours = compute.accelerator_hours(flops, peak, share) * ones
        out[f"accelerator_hours{suffix}"] = hours
        out[f"wall_clock_days{suffix}"] = compute.wall_clock_days(hours, count, goodput) * ones
        out[f"training_cost_usd{suffix}"] = training_dollars(hours, price, goodput) * ones
    hours = out["accelerator_hours"]
    out["billed_accelerator_hours"] = hours / goodput
    out["training_compute_usd"] = cost.training_cost_usd(hours, price) * ones
    out["overhead_usd"] = cost.overhead_cost_usd(hours, price, goodput) * ones
    sources, pools, terms = _sources(scenario, drawn, size)
    for name, field in (
        ("real_data_usd", "acquisition_usd"),
        ("synthetic_generation_usd", "generation_usd"),
        ("grading_usd", "grading_usd"),
        ("synthetic_accelerator_hours", "synthetic_accelerator_hours"),
    ):
        out[name] = sum((getattr(s, field) for s in sources), 0 * ones)
    # wall-clock of self-hosted generation and grading, and of everything before the model exists
    generators = training.generation_accelerator_count or count
    out["generation_wall_clock_days"] = (
        out["synthetic_accelerator_hours"] / generators / compute.HOURS_PER_DAY
    )
    data_usd = out["real_data_usd"] + out["synthetic_generation_usd"] + out["grading_usd"]
    for suffix in ("", "_low", "_high"):
        out[f"total_cost_usd{suffix}"] = out[f"training_cost_usd{suffix}"] + data_usd
    if accelerator.tdp_w is not None:
        out["energy_kwh"] = cost.energy_kwh(hours, goodput, accelerator.tdp_w, training.pue) * ones
        out["co2_tonnes"] = cost.co2_tonnes(out["energy_kwh"], training.grid_kg_co2_per_kwh) * ones
    else:
        out["energy_kwh"] = out["co2_tonnes"] = np.full(size, np.nan)
    _programme(scenario, out, ones)
    memory = training_memory_bytes(params.total) * ones
    out["memory_bytes"] = memory
    out["min_accelerators"] = (
        np.maximum(1, np.ceil(memory / (accelerator.memory_gb * 1e9)))
        if accelerator.memory_gb
        else np.full(size, np.nan)
    )
    plan_terms.hardware_terms(scenario, out, ones)
    compute.combine_wall_clock(out, training.generation_timing)
    synthetic = sum((s.tokens for s in sources if s.kind == "synthetic"), 0 * ones)
    out["synthetic_tokens"] = synthetic
    out["synthetic_share"] = synthetic / tokens
    rephrased = sum(
        (
            t
            for s, t in zip(scenario.data, drawn, strict=True)
            if s.synthetic and s.synthetic.kind == "rephrased"
        ),
        0 * ones,
    )
    out["rephrased_share"] = rephrased / tokens
    # quality: pools form families (planner.mixture.expected_loss.mix_effective); no sources means one fresh real pool
    law = scenario.law
    # MoE (planner.laws.moe) and training precision (planner.precisions) enter through N and D'
    n = (
        expected_loss.law_params(
            scenario,
            params.active,
            params.active_non_embedding,
            params.total,
            params.total_non_embedding,
            tokens,
        )
        * ones
    )
    effective_tokens = terms.effective_tokens * expected_loss.token_efficiency(training)
    counted = params.active  # tokens per active parameter (non-embedding for Kaplan's law)
    if isinstance(law, KaplanLaw) and params.active_non_embedding is not None:
        counted = params.active_non_embedding
    out["effective_tokens"] = effective_tokens * ones
    out["mixture_gain"] = terms.gain * ones
    out["tokens_per_param"] = tokens / counted
    out["loss"] = plan_loss(law, n, terms, training) * ones
    if isinstance(law, ChinchillaLaw) and law.params_convention is None:
        # (Krajewski's N is the total: its Chinchilla optimum is not a tokens-per-active ratio)
        opt_params, opt_tokens = law.compute_optimal(6 * counted * tokens)
        out["optimal_tokens_per_param"] = opt_tokens / opt_params
    else:
        out["optimal_tokens_per_param"] = np.full(size, np.nan)
    if scenario.downstream is not None and scenario.downstream.average:
        out["downstream_error"] = (
            expected_loss.downstream_error(out["loss"], scenario.downstream) * ones
        )
    else:
        out["downstream_error"] = np.full(size, np.nan)
    values = {name: _row(value, size) for name, value in out.items()}
    return Evaluation(
        scenario,
        size,
        values,
        tuple(sources),
        tuple(pools),
        _row(n, size),
        terms.unique_tokens is not None,
        tuple(drawn),
        terms,
    )


def training_dollars(hours: Number, price: Number, goodput: Number) -> Number:
    """Dollars of the training run: productive hours plus billed overhead at the hourly price,
    ``hours·price + hours·(1/goodput − 1)·price`` (:func:`planner.plan.cost.training_cost_usd`,
    :func:`planner.plan.cost.overhead_cost_usd`). The evaluator and the Monte Carlo's draws
    both price a run here."""
    return cost.training_cost_usd(hours, price) + cost.overhead_cost_usd(hours, price, goodput)


def plan_loss(law: Any, law_params: Number, terms: expected_loss.MixTerms, training: Any) -> Number:
    """Expected loss of a plan from its law, the parameters the law counts (MoE and precision
    already in them), the effective data of its mix and the training format's token efficiency
    (:func:`planner.mixture.expected_loss.expected_loss`). The evaluator's point estimate and
    every Monte Carlo draw (with drawn law constants, weights and gains) come from this one
    function."""
    effective = terms.effective_tokens * expected_loss.token_efficiency(training)
    return expected_loss.expected_loss(law, law_params, effective, terms.unique_tokens)


def _programme(scenario: Any, out: dict[str, Any], ones: np.ndarray) -> None:
    """The whole programme beside the final run: development, evaluation, owned hardware."""
    training = scenario.training
    programme = scenario.programme
    nan = np.full(1, np.nan)
    if programme is None:
        for name in ("programme_accelerator_hours", "programme_usd", "amortised_training_usd"):
            out[name] = nan
        out["programme_total_usd"] = out["total_cost_usd"]
        return
    hours = cost.programme_hours(
        out["billed_accelerator_hours"], programme.development, programme.evaluation_share
    )
    if programme.ladder is not None or programme.anneals is not None:
        hours = hours + stages.search_lines(
            scenario, out, ones
        )  # recipe search (planner.plan.stages)
    out["programme_accelerator_hours"] = hours * ones
    out["programme_usd"] = cost.training_cost_usd(hours, training.price) * ones
    out["programme_total_usd"] = out["total_cost_usd"] + out["programme_usd"]
    owned = programme.owned
    if owned is None:
        out["amortised_training_usd"] = nan
        return
    hourly = cost.amortised_usd_per_hour(
        owned.purchase_usd, owned.depreciation_per_year, owned.interconnect_share
    )
    energy = 0.0
    if training.accelerator.tdp_w is not None:
        # one billed hour's facility energy at the electricity price
        energy = (
            cost.energy_kwh(1.0, 1.0, training.accelerator.tdp_w, training.pue)
            * owned.energy_usd_per_kwh
        )
    out["amortised_training_usd"] = (
        cost.training_cost_usd(out["billed_accelerator_hours"], hourly + energy) * ones
    )


def _sources(
    scenario: Any, drawn: Sequence[np.ndarray], size: int
) -> tuple[list[SourceTerms], list[expected_loss.Pool], expected_loss.MixTerms]:
    """Costs and quality pools per source; a source drawing 0 tokens (a swept share of 0) costs nothing."""
    ones = np.ones(1)
    if not scenario.data:
        tokens: Any = drawn[0] if drawn else token_shares.resolve(scenario.training, (), size)[1]
        pool = expected_loss.fresh_pool(tokens)
        return [], [pool], expected_loss.mix_effective([pool], scenario.mixture, scenario.law)
    pools = expected_loss.pools(scenario, list[Any](drawn))
    terms = expected_loss.mix_effective(pools, scenario.mixture, scenario.law)
    out = []
    scoped = terms.in_gain or (True,) * len(pools)
    for source, tokens, pool, part, gained in zip(
        scenario.data, drawn, pools, terms.per_pool, scoped, strict=True
    ):
        # Without unique_tokens a source is drawn once: a synthetic source then generates
        # everything it draws, and a real source pays its licence on what it draws.
        needed = source.unique_tokens * ones if source.unique_tokens is not None else tokens
        spent = cost.source_cost(source, needed, tokens)
        used = tokens > 0
        effective = np.where(used, part, 0.0)
        out.append(
            SourceTerms(
                name=source.name,
                kind=source.kind,
                unique_known=source.unique_tokens is not None or source.synthetic is not None,
                tokens=_row(tokens, size),
                unique_tokens=_row(needed, size),
                effective_tokens=_row(effective, size),
                value_weight=_row(pool.weight, size),
                acquisition_usd=_row(spent.acquisition_usd * used, size),
                generation_usd=_row(spent.generation_usd * used, size),
                grading_usd=_row(spent.grading_usd * used, size),
                generated_tokens=_row(spent.generated_tokens * used, size),
                synthetic_accelerator_hours=_row(spent.generation_accelerator_hours * used, size),
                in_gain=gained,
            )
        )
    return out, pools, terms
