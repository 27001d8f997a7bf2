"""Schema of runs in stages: ``stages:``, the schedule law, and the recipe-search programme lines.

A scenario's ``stages:`` split the run's tokens into stages (pretraining, a decay or
mid-training anneal, a long-context extension), each with its own data mix over the
scenario's sources, sequence length, learning-rate phase and, where it differs, accelerator
and layout. ``schedule_law:`` is the optional Tissue et al. (2024) law with the user's fitted
constants. ``Ladder`` and ``ValuationAnneals`` are lines of ``programme:`` (planner.scenario.programme).
The planner's evaluation of stages is :mod:`planner.plan.stages`; the decisions are in the README
section "Runs in stages".
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, Literal

import numpy as np
from pydantic import Field, model_validator

from planner.errors import InputError
from planner.laws.schedules import TISSUE_MOMENTUM
from planner.scenario import token_shares
from planner.scenario.fields import (
    AcceleratorRef,
    Name,
    Params,
    PriceUsdPerHour,
    Quantity,
    Strict,
    Tokens,
)
from planner.scenario.layout import Layout, check_model_layout

__all__ = [
    "MIX_TOLERANCE",
    "Ladder",
    "LearningRate",
    "ScheduleLaw",
    "Stage",
    "ValuationAnneals",
    "check_stages",
    "rebalanced",
    "stage_model",
    "stage_tokens",
    "stage_training",
    "staged_draws",
]

MIX_TOLERANCE = 1e-3
"""Slack when checking that a stage's mix adds up to 1, and stage tokens to the run (0.1%)."""


class LearningRate(Strict):
    """A stage's learning rate by its phases: warm-up, stable at ``peak_lr``, then a decay.

    WSD: ``decay: linear`` (or ``1-sqrt``) with ``decay_fraction: 0.2``; cosine over the whole
    stage: ``decay: cosine, decay_fraction: 1``; a constant stage: ``decay: constant``.
    """

    peak_lr: float = Field(
        1.0,
        gt=0,
        description="Learning rate of the stable phase (any unit: "
        "the schedule law's constants are fitted in the same unit).",
    )
    final_lr: float = Field(0.0, ge=0, description="Learning rate at the end of the decay.")
    decay: Literal["constant", "linear", "cosine", "1-sqrt"] = Field(
        "linear", description="Decay shape (1-sqrt: Hägele et al. 2024's cooldown)."
    )
    decay_fraction: float = Field(
        0.0, ge=0, le=1, description="Share of the stage's steps that decay (0.2: a 20% cooldown)."
    )
    warmup_fraction: float = Field(
        0.0,
        ge=0,
        le=1,
        description="Share of steps warming up; counted at peak, as AI2's S1/S2 implementation does.",
    )

    @model_validator(mode="after")
    def _order(self) -> LearningRate:
        if self.final_lr > self.peak_lr:
            raise ValueError(f"final_lr {self.final_lr:g} exceeds peak_lr {self.peak_lr:g}")
        if self.warmup_fraction + self.decay_fraction > 1 + MIX_TOLERANCE:
            raise ValueError("warmup_fraction + decay_fraction exceed 1")
        return self


class Stage(Strict):
    """One stage of the run: its tokens, data mix, sequence length, learning rate and hardware."""

    name: Name = Field(description="Unique name; variants and sweeps address it as stages.<name>.")
    description: str = Field("", description="What the stage is for (shown in the report).")
    tokens: Tokens | None = Field(None, description="Tokens the model trains on in this stage.")
    share: float | None = Field(
        None, ge=0, le=1, description="Instead of tokens: share of the run's training tokens."
    )
    mix: dict[str, float] | None = Field(
        None,
        description="Data source name -> share of this stage's tokens (adds up to 1). Default: the "
        "scenario's own mix (each source's share of the run).",
    )
    seq_len: int | None = Field(
        None, gt=0, description="Sequence length of this stage. Default: the architecture's."
    )
    lr: LearningRate | None = Field(
        None, description="Learning-rate phase; needed for the schedule law (S1, S2)."
    )
    batch_tokens: Quantity | None = Field(
        None,
        description="Tokens per optimizer step (for S1/S2). Default: the schedule law's batch_tokens.",
    )
    ingredients: int = Field(
        1,
        ge=1,
        le=1000,
        description="Runs of this stage from the same start, averaged into one model (OLMo 2 souped 3 "
        "anneals): compute is paid for each, the model sees the stage's tokens once.",
    )
    accelerator: AcceleratorRef | None = Field(
        None, description="Accelerator of this stage if it differs (catalog id or inline spec)."
    )
    accelerator_count: int | None = Field(None, gt=0, description="Accelerators of this stage.")
    price_usd_per_hour: PriceUsdPerHour | None = Field(
        None,
        description="Price per accelerator-hour of this stage. Default: the run's (or catalog).",
    )
    layout: Layout | None = Field(None, description="Parallel layout of this stage if it differs.")

    @model_validator(mode="after")
    def _one_size(self) -> Stage:
        if self.tokens is not None and self.share is not None:
            raise ValueError("give tokens or share, not both")
        if self.mix is not None:
            if not self.mix:
                raise ValueError("mix is empty; name at least one data source")
            bad = {k: v for k, v in self.mix.items() if not 0 <= v <= 1}
            if bad:
                raise ValueError(f"mix shares must be between 0 and 1; got {bad}")
            total = sum(self.mix.values())
            if abs(total - 1) > MIX_TOLERANCE:
                raise ValueError(f"mix shares add up to {total:.4g}; they must add up to 1")
        return self


class ScheduleLaw(Strict):
    """Tissue et al. 2024: ``L = L0 + A·S1^(-alpha) - C·S2``, constants fitted by the user.

    S1 is the forward area (sum of learning rates over steps) and S2 the annealing area with
    momentum (planner.laws.schedules). The paper's fitted constants were not retrieved
    (laws-2025.md §10), so there is no preset: fit them on one or two of your training curves.
    """

    name: str = Field("tissue-2024 (user fit)", description="Label shown with the loss.")
    L0: float = Field(description="Irreducible loss.")
    A: float = Field(gt=0, description="Scale of the forward-area term.")
    alpha: float = Field(gt=0, description="Exponent of S1.")
    C: float = Field(ge=0, description="Gain per unit of annealing area S2.")
    momentum: float = Field(TISSUE_MOMENTUM, gt=0, lt=1, description="lambda of S2 (0.999).")
    batch_tokens: Quantity = Field(
        description="Tokens per optimizer step of the curves the constants were fitted on; a "
        "stage without batch_tokens uses it to turn tokens into steps."
    )
    fitted_on: str = Field("", description="Which runs and loss the constants were fitted on.")


class Ladder(Strict):
    """A scaling ladder of small models trained before the run (a programme line)."""

    sizes: list[Params] = Field(min_length=1, description="Parameters of each ladder model.")
    token_ratios: list[float] = Field(
        min_length=1,
        description="Tokens per parameter of each run length (OLMo: 20, 40, 100, 200).",
    )
    schedule: Literal["cosine", "wsd"] = Field(
        "cosine",
        description="cosine: one run per length; wsd: one stable run per size with cooldowns "
        "branched at each shorter length (Hägele et al. 2024).",
    )
    cooldown_fraction: float = Field(
        0.2,
        gt=0,
        le=1,
        description="WSD cooldown as a share of each length (0.2: matches cosine, Hägele et al. 2024).",
    )

    @model_validator(mode="after")
    def _ratios(self) -> Ladder:
        if any(r <= 0 for r in self.token_ratios):
            raise ValueError("token_ratios must be positive")
        return self


class ValuationAnneals(Strict):
    """Short anneals that value candidate datasets before the run (a programme line)."""

    candidates: int = Field(gt=0, le=100_000, description="Candidate datasets (or mixes) annealed.")
    tokens: Tokens = Field(
        description="Tokens per anneal (Llama 3 8B: 40B; OLMo 2 microanneals: 130B over 19)."
    )
    candidate_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="Share of each anneal drawn from the candidate (Llama 3 §3.1.3: 30%).",
    )
    params: Params | None = Field(
        None, description="Size of the annealed model. Default: the run's model (active params)."
    )


def stage_tokens(total: Any, stages: Sequence[Any], size: int = 1) -> list[np.ndarray]:
    """Tokens of each stage, arrays of ``size`` rows: ``tokens``, ``share × total``, and at most
    one stage with neither takes the rest. Raises ValueError when they do not add up."""
    ones = np.ones(1)
    total = np.asarray(total, dtype=float) * ones
    fixed = [
        (s.tokens * ones if s.tokens is not None else s.share * total)
        if (s.tokens is not None or s.share is not None)
        else None
        for s in stages
    ]
    rest = [s.name for s, t in zip(stages, fixed, strict=True) if t is None]
    if len(rest) > 1:
        raise ValueError(
            f"stages {', '.join(rest)} give neither tokens nor share; at most one stage takes the rest"
        )
    given = sum((t for t in fixed if t is not None), 0 * ones)
    room = total - given
    if np.any(room < -MIX_TOLERANCE * total):
        row = int(np.argmax(room < -MIX_TOLERANCE * total))
        raise ValueError(
            f"stages draw {np.ravel(given)[min(row, given.size - 1)]:.4g} tokens, more than the run's "
            f"{np.ravel(total)[min(row, total.size - 1)]:.4g} training tokens; lower a stage's tokens "
            "or share"
        )
    if not rest and np.any(np.abs(room) > MIX_TOLERANCE * total):
        raise ValueError(
            "stages' tokens and shares do not add up to the run's training tokens; give one "
            "stage neither tokens nor share so that it takes the rest"
        )
    out = [t if t is not None else np.maximum(room, 0.0) for t in fixed]
    return [np.broadcast_to(t, (size,)) if t.size != size and t.size == 1 else t for t in out]


def _gives_draw(source: Any) -> bool:
    return any(getattr(source, k) is not None for k in ("tokens", "share", "epochs"))


def rebalanced(training: Any, data: Sequence[Any], varied: Collection[str]) -> list[Any]:
    """:func:`planner.scenario.token_shares.rebalanced` over the sources that give a draw; the sources that only
    stage mixes draw from are kept as they are."""
    given = [d for d in data if _gives_draw(d)]
    if not given:
        return list(data)
    by_name = {d.name: d for d in token_shares.rebalanced(training, given, varied)}
    return [by_name.get(d.name, d) for d in data]


def staged_draws(
    training: Any,
    data: Sequence[Any],
    stages: Sequence[Any],
    size: int = 1,
    varied_shares: Collection[str] = (),
) -> tuple[list[list[np.ndarray]], list[np.ndarray], np.ndarray]:
    """(tokens each stage draws from each source, tokens per stage, the run's tokens).

    The run's tokens and its own mix come from the sources that give a draw
    (:func:`planner.scenario.token_shares.resolve`); in a staged scenario a source may give none, and is then
    drawn only by the stages whose ``mix`` names it. A stage without ``mix`` draws in the
    run's own proportions. Raises ValueError (draws.DrawError for the sources' draws).
    """
    ones = np.ones(1)
    given = [d for d in data if _gives_draw(d)]
    if given:
        drawn, total = token_shares.resolve(training, given, size, varied_shares)
    elif training.tokens is not None:
        drawn, total = [], training.tokens * ones
    else:
        raise token_shares.DrawError(
            "training.tokens is required when no data source gives a draw of its own",
            fields="training.tokens",
        )
    by_name = {d.name: t for d, t in zip(given, drawn, strict=True)}
    base = [by_name.get(d.name, 0 * ones) for d in data]
    tokens = stage_tokens(total, stages, size)
    out = []
    for stage, amount in zip(stages, tokens, strict=True):
        if stage.mix is not None:
            out.append([stage.mix.get(d.name, 0.0) * amount for d in data])
        elif data and not given:
            raise ValueError(
                f"stages.{stage.name}: give a mix (no data source gives a share, tokens or epochs "
                "of its own, so there is no run mix to follow)"
            )
        else:
            with np.errstate(divide="ignore", invalid="ignore"):
                out.append([np.where(total > 0, b / total, 0.0) * amount for b in base])
    return out, tokens, total


def stage_training(training: Any, stage: Any, tokens: Any) -> Any:
    """The run's training settings as one stage trains: its tokens × ingredients, and its
    accelerator (with its own price or the catalog's), count and layout where it gives them."""
    update: dict[str, Any] = {"tokens": tokens * stage.ingredients, "epochs": None}
    if stage.accelerator is not None:
        update["accelerator"] = stage.accelerator
        update["price_usd_per_hour"] = stage.price_usd_per_hour  # else the catalog's
    elif stage.price_usd_per_hour is not None:
        update["price_usd_per_hour"] = stage.price_usd_per_hour
    if stage.accelerator_count is not None:
        update["accelerator_count"] = stage.accelerator_count
    if stage.layout is not None:
        update["layout"] = stage.layout
    return training.model_copy(update=update)


def stage_model(model: Any, stage: Any) -> Any:
    """The model as one stage trains it: the stage's sequence length, where it gives one."""
    if stage.seq_len is None or model.architecture is None:
        return model
    arch = model.architecture.model_copy(update={"seq_len": stage.seq_len})
    return model.model_copy(update={"architecture": arch})


def check_stages(stages: Sequence[Stage], data: Sequence[Any], training: Any, model: Any) -> None:
    """The stages of a scenario agree with its sources, tokens, model and hardware (ValueError
    naming the field)."""
    has_arch = model.architecture is not None
    sources = [d.name for d in data]
    names = [s.name for s in stages]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"stages: names must be unique; repeated: {', '.join(dupes)}")
    for stage in stages:
        unknown = sorted(set(stage.mix or {}) - set(sources))
        if unknown:
            raise ValueError(
                f"stages.{stage.name}.mix: {', '.join(unknown)} is not a data source; choose from "
                f"{', '.join(sources) or 'none defined'}"
            )
        if stage.mix is not None and not sources:
            raise ValueError(f"stages.{stage.name}.mix needs data sources")
        if stage.seq_len is not None and not has_arch:
            raise ValueError(
                f"stages.{stage.name}.seq_len needs model.architecture (its seq_len is the default)"
            )
        accelerator = stage.accelerator
        if (
            accelerator is not None
            and stage.price_usd_per_hour is None
            and accelerator.price_usd_per_hour is None
        ):
            raise ValueError(
                f"stages.{stage.name}: accelerator {accelerator.id} has no default price in "
                f"the catalog; set stages.{stage.name}.price_usd_per_hour"
            )
        try:
            check_model_layout(stage_model(model, stage), stage_training(training, stage, 1.0))
        except (ValueError, InputError) as exc:
            where = f"stages.{stage.name}.layout"
            raise ValueError(str(exc).replace("training.layout", where)) from None
    named = {name for stage in stages for name in (stage.mix or {})}
    undrawn = [d.name for d in data if not _gives_draw(d) and d.name not in named]
    if undrawn:
        raise ValueError(
            f"data: {', '.join(undrawn)} gives no tokens, share or epochs and no stage's mix names it"
        )
    staged_draws(training, data, stages)
