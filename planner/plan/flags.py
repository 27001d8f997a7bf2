"""Risk flags and warnings, each defined once: a vector test, its message and its source.

A sweep takes the tests as boolean columns (``flag_<name>``); a single plan (a batch of one)
also gets the messages. Thresholds carry their sources.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from planner.laws.forms import ChinchillaLaw, KaplanLaw
from planner.mixture import expected_loss
from planner.plan import mixture_flags
from planner.plan.evaluate import Evaluation
from planner.plan.flag_rule import Rule
from planner.plan.flag_rule import one as _one
from planner.plan.hardware_flags import HARDWARE_RULES
from planner.plan.law_flags import LAW_RULES

__all__ = ["RULES", "Flag", "Rule", "columns", "raised"]

Flag = expected_loss.Flag

EPOCHS_WARN = 4.0  # Muennighoff et al. 2023: up to ~4 epochs is about as good as fresh data
EPOCHS_WORTHLESS = 40.0  # Muennighoff et al. 2023: repetition "nearly ineffective around 40 epochs"
EPOCHS_LAW_MISMATCH = (
    16.0  # Muennighoff et al. 2023 fitted R* on C4 up to ~16 epochs per pool (assumption beyond)
)
SYNTHETIC_SHARE_WARN = 0.5  # Phi-4 Table 3: synthetic-only data loses 7.7-14.8 points on TriviaQA
REPHRASED_SHARE_WARN = 0.4  # Kang et al. 2025 optimum ~30% rephrased; Phi-4 used 40% + 15%
HUMAN_STOCK_WARN = 100e12  # Villalobos et al. 2024: quality-adjusted stock, median ~100T
HUMAN_STOCK_LIMIT = 300e12  # Villalobos et al. 2024: effective stock ~300T tokens
FRONTIER_UNIQUE = (
    20e12  # Llama 3 trained on ~15T tokens, Qwen2.5 on 18T: frontier unique data ~15-20T
)
UTILIZATION_WARNING = (
    0.55  # max implied whole-run MFU of planner/data/published_runs.csv is 0.51 (LLaMA-13B)
)


MUENNIGHOFF = "Muennighoff et al. 2023 (arXiv 2305.16264)"
VILLALOBOS = "Villalobos et al. 2024 (arXiv 2211.04325)"


def _pools_over(threshold: float) -> Callable[[Evaluation], np.ndarray]:
    def test(ev: Evaluation) -> np.ndarray:
        most = np.zeros(ev.size, dtype=bool)
        for source in ev.sources:
            most |= source.unique_known & (source.epochs > threshold)
        return most

    return test


def _epoch_messages(threshold: float, text: str) -> Callable[[Evaluation, int], list[str]]:
    def messages(ev: Evaluation, row: int) -> list[str]:
        return [
            f"{s.name}: {s.epochs[row]:.1f} epochs; {text}"
            for s in ev.sources
            if s.unique_known and s.epochs[row] > threshold
        ]

    return messages


def _law_mismatch(ev: Evaluation) -> np.ndarray:
    if ev.scenario.law.name == "muennighoff-2023":
        return np.zeros(ev.size, dtype=bool)
    return _pools_over(EPOCHS_LAW_MISMATCH)(ev)


def _self_training(ev: Evaluation) -> np.ndarray:
    return np.full(
        ev.size, any(s.synthetic and s.synthetic.generations > 1 for s in ev.scenario.data)
    )


def _self_training_messages(ev: Evaluation, row: int) -> list[str]:
    out = []
    for source in ev.scenario.data:
        synthetic = source.synthetic
        if synthetic and synthetic.generations > 1:
            factor = expected_loss.collapse_factor(synthetic.generations, synthetic.policy)
            out.append(
                f"{source.name}: {synthetic.generations} generations of self-training ({synthetic.policy}); "
                f"in toy models the error grows {factor:.2f}x the single-fit error (qualitative, not a "
                "loss estimate)"
            )
    return out


def _human(ev: Evaluation) -> np.ndarray:
    return sum((s.unique_tokens for s in ev.sources if s.kind == "real"), np.zeros(ev.size))


def _human_band(low: float, high: float) -> Callable[[Evaluation], np.ndarray]:
    def test(ev: Evaluation) -> np.ndarray:
        human = _human(ev)
        return (human > low) & (human <= high)

    return test


def _always(value: bool) -> Callable[[Evaluation], np.ndarray]:
    return lambda ev: np.full(ev.size, value)


RULES: tuple[Rule, ...] = (
    Rule(
        "epochs_over_4",
        "warning",
        MUENNIGHOFF,
        _pools_over(EPOCHS_WARN),
        _epoch_messages(
            EPOCHS_WARN, "beyond ~4 repeated tokens are worth measurably less than fresh ones"
        ),
    ),
    Rule(
        "epochs_over_40",
        "risk",
        MUENNIGHOFF,
        _pools_over(EPOCHS_WORTHLESS),
        _epoch_messages(EPOCHS_WORTHLESS, "beyond ~40 a further epoch is worth almost nothing"),
    ),
    Rule(
        "repetition_law_mismatch",
        "warning",
        f"{MUENNIGHOFF}: R* fitted on C4",
        _law_mismatch,
        lambda ev, row: [
            f"{s.name}: the repetition model was fitted with Muennighoff's C4 constants; on "
            f"{ev.scenario.law.name} beyond ~16 epochs it is an extrapolation"
            for s in ev.sources
            if s.unique_known and s.epochs[row] > EPOCHS_LAW_MISMATCH
        ],
    ),
    Rule(
        "self_training",
        "risk",
        "Gerstgrasser et al. 2024 (arXiv 2404.01413); Dohmatob et al. 2024 "
        "(Tale of Tails, arXiv 2402.07043); Shumailov et al. 2024 (Nature)",
        _self_training,
        _self_training_messages,
    ),
    Rule(
        "rephrase_untied",
        "warning",
        "Kim et al. 2026 (arXiv 2603.18534): rephrasing adds bounded information",
        lambda ev: np.full(ev.size, bool(mixture_flags.untied(ev))),
        lambda ev, row: [
            f"{name}: rephrased without naming what it rephrases; counted as one rephrasing of text not "
            "otherwise trained on (set synthetic.rephrases to a real source, or {unique_tokens: ...})"
            for name in mixture_flags.untied(ev)
        ],
    ),
    Rule(
        "family_epochs_over_4",
        "warning",
        f"{MUENNIGHOFF}; Kim et al. 2026 (arXiv 2603.18534): rephrasings add bounded information",
        lambda ev: mixture_flags.families_over(ev, EPOCHS_WARN),
        lambda ev, row: [
            f"data.{name} and its rephrasings: {e[row]:.1f} epochs over the information they hold"
            for name, e in mixture_flags.family_epochs(ev).items()
            if e[row] > EPOCHS_WARN
        ],
    ),
    Rule(
        "rephrasings_plateau",
        "warning",
        "Kim et al. 2026 (arXiv 2603.18534): gains plateau near 1.48x at 32 rephrases per document",
        mixture_flags.over_plateau,
        lambda ev, row: [
            f"data.{name}: {count[row]:.0f} rephrasings per document; beyond ~32 they add almost no information"
            for name, count in mixture_flags.rephrasings(ev).items()
            if count[row] > mixture_flags.REPHRASINGS_PLATEAU
        ],
    ),
    Rule(
        "generator_beyond_8b",
        "warning",
        "Kang et al. 2025 (arXiv 2510.01631); FinePhrase (arXiv 2604.13977)",
        mixture_flags.large_generator_rows,
        lambda ev, row: [
            f"{name}: a {params[row] / 1e9:.0f}B generator; beyond ~1-8B larger generators gave no "
            "better pretraining data (the mixture model gives it no extra value), only higher cost"
            for name, params in mixture_flags.large_generators(ev)
            if params[row] > 0
        ],
    ),
    Rule(
        "budget_gain_capped",
        "risk",
        "Kang et al. 2025 (arXiv 2510.01631): speed-ups measured up to ~200B tokens; the budget-gain "
        "form is capped beyond (planner assumption)",
        mixture_flags.capped,
        _one(
            lambda ev, row: (
                f"the budget-dependent mixture gain reached its cap ({ev['mixture_gain'][row]:.1f}x): "
                "Option B extrapolates beyond the budgets it was calibrated on; compare with share-gain"
            )
        ),
    ),
    Rule(
        "mixture_gain_floored",
        "risk",
        "planner assumption (planner.mixture.expected_loss.MIN_GAIN): Option A adds each kind's gain - 1",
        mixture_flags.floored,
        _one(
            lambda ev, row: (
                "the mixture gain of these shares is 0 or below (kinds with max_gain or alone_gain "
                "under 1 add up); floored at 0.001, so the whole mix counts as almost no data"
            )
        ),
    ),
    Rule(
        "synthetic_share_over_50",
        "risk",
        "Phi-4 technical report (arXiv 2412.08905) Table 3",
        lambda ev: ev["synthetic_share"] > SYNTHETIC_SHARE_WARN,
        _one(
            lambda ev, row: (
                f"synthetic share {ev['synthetic_share'][row]:.0%} is above 50%: synthetic-only "
                "mixes lost 7.7-14.8 points on knowledge tasks (TriviaQA)"
            )
        ),
    ),
    Rule(
        "rephrased_share_over_40",
        "warning",
        "Kang et al. 2025 (arXiv 2510.01631); Phi-4 Table 5",
        lambda ev: ev["rephrased_share"] > REPHRASED_SHARE_WARN,
        _one(
            lambda ev, row: (
                f"rephrased share {ev['rephrased_share'][row]:.0%} is above the 30-40% the "
                "evidence covers (best ratios near 30%)"
            )
        ),
    ),
    Rule(
        "human_stock_exceeded",
        "risk",
        VILLALOBOS,
        lambda ev: _human(ev) > HUMAN_STOCK_LIMIT,
        _one(
            lambda ev, row: (
                f"{_human(ev)[row] / 1e12:.0f}T unique human tokens exceed the ~300T effective "
                "stock of public human text"
            )
        ),
    ),
    Rule(
        "human_stock_quality",
        "warning",
        VILLALOBOS,
        _human_band(HUMAN_STOCK_WARN, HUMAN_STOCK_LIMIT),
        _one(
            lambda ev, row: (
                f"{_human(ev)[row] / 1e12:.0f}T unique human tokens exceed the ~100T "
                "quality-adjusted stock"
            )
        ),
    ),
    Rule(
        "beyond_frontier_data",
        "warning",
        "Llama 3 (arXiv 2407.21783): 15T tokens; Qwen2.5 (arXiv 2412.15115): 18T",
        _human_band(FRONTIER_UNIQUE, HUMAN_STOCK_WARN),
        _one(
            lambda ev, row: (
                f"{_human(ev)[row] / 1e12:.0f}T unique human tokens are beyond the ~15-20T of "
                "current frontier runs"
            )
        ),
    ),
    Rule(
        "law_without_errors",
        "warning",
        "Hoffmann et al. 2022 and Muennighoff et al. 2023 publish point constants only",
        lambda ev: np.full(
            ev.size,
            isinstance(ev.scenario.law, ChinchillaLaw)
            and not ev.scenario.law.has_uncertainty
            and ev.scenario.uncertainty.samples > 0,
        ),
        _one(
            lambda ev, row: (
                f"{ev.scenario.law.name} publishes no standard errors: the loss range "
                "leaves out the law's own uncertainty (besiroglu-2024 or a fitted law file carries it)"
            )
        ),
    ),
    Rule(
        "kaplan_total_params",
        "warning",
        "Kaplan et al. 2020 (arXiv 2001.08361) §2.1",
        lambda ev: np.full(
            ev.size,
            isinstance(ev.scenario.law, KaplanLaw) and ev.scenario.model.architecture is None,
        ),
        _one(
            lambda ev, row: (
                "kaplan-2020 counts non-embedding parameters; without an architecture the total "
                "is used"
            )
        ),
    ),
    Rule(
        "downstream_mismatch",
        "warning",
        "Gadre et al. 2024 (arXiv 2403.08540)",
        lambda ev: np.full(
            ev.size, ev.scenario.downstream is not None and ev.scenario.downstream.average
        ),
        _one(
            lambda ev, row: (
                f"benchmark error from {ev.scenario.downstream.name} is valid only for "
                f"{ev.scenario.downstream.valid_for}; this plan's loss comes from {ev.scenario.law.name}"
            )
        ),
    ),
    Rule(
        "too_few_accelerators",
        "warning",
        "Rajbhandari et al. 2020 (ZeRO) §3.1: 16 bytes per parameter",
        lambda ev: ev["accelerator_count"] < ev["min_accelerators"],
        _one(
            lambda ev, row: (
                f"{ev['accelerator_count'][row]:.0f} x {ev.scenario.training.accelerator.id} hold "
                f"{ev['accelerator_count'][row] * (ev.scenario.training.accelerator.memory_gb or 0):.0f} GB, less than "
                f"the {ev['memory_bytes'][row] / 1e9:.0f} GB of weights, gradients and Adam states: at least "
                f"{ev['min_accelerators'][row]:.0f} are needed (16 bytes/param, ZeRO; activations extra)"
            )
        ),
        section="compute",
    ),
    Rule(
        "utilization_above_published",
        "warning",
        "planner backtest: published whole-run MFU at most 0.51",
        lambda ev: ev["utilization_high"] > UTILIZATION_WARNING,
        _one(
            lambda ev, row: (
                f"utilisation up to {ev['utilization_high'][row]:.1%} is above "
                f"{UTILIZATION_WARNING:.1%}: no published run reached that over a whole run (see planner backtest)"
            )
        ),
        section="compute",
    ),
    Rule(
        "no_energy",
        "warning",
        "hardware catalog (planner hardware)",
        lambda ev: np.isnan(ev["energy_kwh"]),
        _one(
            lambda ev, row: (
                f"{ev.scenario.training.accelerator.id} has no published TDP, so energy and CO2 are "
                "not estimated; give an inline accelerator spec with tdp_w"
            )
        ),
        section="compute",
    ),
)


RULES = RULES + LAW_RULES + HARDWARE_RULES


def columns(ev: Evaluation) -> dict[str, np.ndarray]:
    """``flag_<name>`` boolean columns for every rule."""
    return {
        f"flag_{rule.name}": np.broadcast_to(np.asarray(rule.test(ev), dtype=bool), (ev.size,))
        for rule in RULES
    }


def raised(ev: Evaluation, row: int = 0) -> tuple[list[Flag], list[str]]:
    """(quality flags with sources, compute warnings) raised by one row."""
    found: list[Flag] = []
    warnings: list[str] = []
    for rule in RULES:
        if not np.broadcast_to(np.asarray(rule.test(ev), dtype=bool), (ev.size,))[row]:
            continue
        for message in rule.messages(ev, row):
            if rule.section == "compute":
                warnings.append(message)
            else:
                found.append(Flag(rule.level, message, rule.source))
    return found, warnings
