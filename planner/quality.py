"""Expected quality of a data mix: effective data per pool, expected loss, risk flags.

Each data source is its own pool with its own unique tokens and epochs; repetition
follows Muennighoff et al. 2023 per pool, synthetic pools carry a value weight, and
the loss law takes the weighted sum (literature.md §8.3-8.4). Functions accept
numpy arrays for the weights so the Monte Carlo reuses them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from planner.fields import Number
from planner.laws import (
    R_STAR_DATA,
    ChinchillaLaw,
    KaplanLaw,
    data_constrained_loss,
    effective_tokens,
)
from planner.sampling import Z975, split_lognormal
from planner.schema import Downstream, Scenario

__all__ = [
    "EPOCHS_LAW_MISMATCH",
    "EPOCHS_WARN",
    "EPOCHS_WORTHLESS",
    "FRONTIER_UNIQUE",
    "Flag",
    "HUMAN_STOCK_LIMIT",
    "HUMAN_STOCK_WARN",
    "Pool",
    "QualityResult",
    "REPHRASED_SHARE_WARN",
    "SYNTHETIC_SHARE_WARN",
    "assess",
    "collapse_factor",
    "downstream_error",
    "expected_loss",
    "flags",
    "law_params",
    "mix_effective",
    "pools",
    "stock_effective_tokens",
]

# Flag thresholds, each with its source.
EPOCHS_WARN = 4.0  # Muennighoff et al. 2023: up to ~4 epochs is about as good as fresh data
EPOCHS_WORTHLESS = 40.0  # Muennighoff et al. 2023: repetition "nearly ineffective around 40 epochs"
EPOCHS_LAW_MISMATCH = 16.0  # literature.md §8.3: D' on non-Muennighoff constants, flag above 16
SYNTHETIC_SHARE_WARN = 0.5  # Phi-4 Table 3: synthetic-only data loses 7.7-14.8 points on TriviaQA
REPHRASED_SHARE_WARN = 0.4  # Kang et al. 2025 optimum ~30% rephrased; Phi-4 used 40% + 15%
HUMAN_STOCK_WARN = 100e12  # Villalobos et al. 2024: quality-adjusted stock, median ~100T
HUMAN_STOCK_LIMIT = 300e12  # Villalobos et al. 2024: effective stock ~300T tokens
FRONTIER_UNIQUE = 20e12  # literature.md §8.9: current frontier runs use ~15-20T unique tokens


@dataclass(frozen=True)
class Flag:
    """A risk the user should see, with where the threshold comes from."""

    level: str
    """``warning`` (check it) or ``risk`` (outside what the evidence covers)."""
    message: str
    source: str


@dataclass(frozen=True)
class Pool:
    """One data source as the quality model sees it."""

    name: str
    kind: str
    unique_tokens: float
    tokens: float
    r_star: float
    weight: float
    weight_low: float
    weight_high: float
    synthetic_kind: str | None = None
    generations: int = 1
    policy: str = "accumulate"

    @property
    def epochs(self) -> float:
        return self.tokens / self.unique_tokens


def pools(scenario: Scenario, drawn: Sequence[float]) -> list[Pool]:
    """Pools from the scenario's sources (``drawn`` tokens each); none → one fresh real pool.

    A source without ``unique_tokens`` is taken as drawn once (no repetition).
    """
    if not scenario.data:
        tokens = scenario.total_tokens
        return [Pool("all data", "real", tokens, tokens, R_STAR_DATA, 1.0, 1.0, 1.0)]
    out = []
    for source, tokens in zip(scenario.data, drawn):
        unique = source.unique_tokens if source.unique_tokens is not None else tokens
        synthetic = source.synthetic
        if synthetic is None:
            out.append(Pool(source.name, "real", unique, tokens, R_STAR_DATA, 1.0, 1.0, 1.0))
        else:
            w = synthetic.value_weight
            out.append(Pool(source.name, "synthetic", unique, tokens, synthetic.r_star, w.mid, w.low,
                            w.high, synthetic.kind, synthetic.generations, synthetic.policy))
    return out


def mix_effective(pools: Sequence[Pool], weights: Sequence[Number] | None = None) -> tuple[Number, Number]:
    """(effective data, effective unique tokens): ``Σ w_i·D'_i`` and ``Σ w_i·min(U_i, D_i)``.

    ``D'_i`` is Muennighoff's effective data for pool i with its own R*; real pools have
    ``w = 1``. ``weights`` (one per pool, floats or arrays) default to each pool's point value.
    """
    weights = weights if weights is not None else [p.weight for p in pools]
    data: Number = 0.0
    unique: Number = 0.0
    for pool, w in zip(pools, weights):
        drawn = np.minimum(pool.unique_tokens, pool.tokens)
        with np.errstate(divide="ignore", invalid="ignore"):
            effective = np.where(pool.tokens > 0, effective_tokens(pool.unique_tokens, pool.tokens, pool.r_star), 0.0)
        data = data + w * effective
        unique = unique + w * drawn
    if np.ndim(data) == 0:
        return float(data), float(unique)
    return data, unique


def expected_loss(
    law: ChinchillaLaw | KaplanLaw,
    params: Number,
    effective_data: Number,
    effective_unique: Number | None,
) -> Number:
    """Loss under ``law`` for a model of ``params`` on a mix's effective data.

    Chinchilla-form laws with known unique data use Muennighoff's effective parameters too;
    without unique-token information (or for Kaplan's form) the plain law takes ``D'``.
    """
    if isinstance(law, KaplanLaw) or effective_unique is None:
        return law.loss(params, effective_data)
    return data_constrained_loss(
        law.E, law.A, law.B, law.alpha, law.beta, params, effective_data, effective_unique
    )


def collapse_factor(generations: int, policy: str) -> float:
    """Error growth after ``n`` generations of training on model output (toy models).

    Replace: ``n`` times the single-fit error (linear growth); accumulate:
    ``Σ_{i=1..n} 1/i² ≤ π²/6`` (Gerstgrasser et al. 2024, linear regression). Qualitative.
    """
    if policy == "replace":
        return float(generations)
    return float(sum(1.0 / i**2 for i in range(1, generations + 1)))


def downstream_error(loss: Number, mapping: Downstream) -> Number:
    """Average benchmark error ``ε − k·exp(−γ·L)`` (Gadre et al. 2024, mlfoundations/scaling)."""
    return mapping.epsilon - mapping.k * np.exp(-mapping.gamma * loss)


def flags(scenario: Scenario, mix: Sequence[Pool], tokens: float, law: ChinchillaLaw | KaplanLaw) -> list[Flag]:
    """Risk flags for a plan's mix, each naming its source."""
    out: list[Flag] = []
    muennighoff = "Muennighoff et al. 2023 (arXiv 2305.16264)"
    for pool in mix:
        if pool.epochs > EPOCHS_WORTHLESS:
            out.append(Flag("risk", f"{pool.name}: {pool.epochs:.1f} epochs; beyond ~40 a further epoch is "
                            "worth almost nothing", muennighoff))
        elif pool.epochs > EPOCHS_WARN:
            out.append(Flag("warning", f"{pool.name}: {pool.epochs:.1f} epochs; beyond ~4 repeated tokens "
                            "are worth measurably less than fresh ones", muennighoff))
        if pool.epochs > EPOCHS_LAW_MISMATCH and law.name != "muennighoff-2023":
            out.append(Flag("warning", f"{pool.name}: the repetition model was fitted with Muennighoff's "
                            f"C4 constants; on {law.name} beyond ~16 epochs it is an extrapolation",
                            "literature.md §8.3"))
        if pool.generations > 1:
            factor = collapse_factor(pool.generations, pool.policy)
            out.append(Flag("risk", f"{pool.name}: {pool.generations} generations of self-training "
                            f"({pool.policy}); in toy models the error grows {factor:.2f}x the "
                            "single-fit error (qualitative, not a loss estimate)",
                            "Gerstgrasser et al. 2024; Dohmatob et al. 2024 (Tale of Tails); "
                            "Shumailov et al. 2024"))
    synthetic = sum(p.tokens for p in mix if p.kind == "synthetic")
    rephrased = sum(p.tokens for p in mix if p.synthetic_kind == "rephrased")
    if synthetic / tokens > SYNTHETIC_SHARE_WARN:
        out.append(Flag("risk", f"synthetic share {synthetic / tokens:.0%} is above 50%: synthetic-only "
                        "mixes lost 7.7-14.8 points on knowledge tasks (TriviaQA)",
                        "Phi-4 technical report (arXiv 2412.08905) Table 3"))
    if rephrased / tokens > REPHRASED_SHARE_WARN:
        out.append(Flag("warning", f"rephrased share {rephrased / tokens:.0%} is above the 30-40% the "
                        "evidence covers (best ratios near 30%)",
                        "Kang et al. 2025 (arXiv 2510.01631); Phi-4 Table 5"))
    human = sum(p.unique_tokens for p in mix if p.kind == "real") if scenario.data else 0.0
    if human > HUMAN_STOCK_LIMIT:
        out.append(Flag("risk", f"{human / 1e12:.0f}T unique human tokens exceed the ~300T effective "
                        "stock of public human text", "Villalobos et al. 2024 (arXiv 2211.04325)"))
    elif human > HUMAN_STOCK_WARN:
        out.append(Flag("warning", f"{human / 1e12:.0f}T unique human tokens exceed the ~100T "
                        "quality-adjusted stock", "Villalobos et al. 2024 (arXiv 2211.04325)"))
    elif human > FRONTIER_UNIQUE:
        out.append(Flag("warning", f"{human / 1e12:.0f}T unique human tokens are beyond the ~15-20T of "
                        "current frontier runs", "literature.md §5, §8.9"))
    return out


def stock_effective_tokens(samples: int = 400_000, seed: int = 0) -> np.ndarray:
    """Monte Carlo of the effective stock of public human text (Villalobos et al. 2024).

    Indexed pages × bytes per page / bytes per token × quality share × repetition multiplier,
    each lognormal over the 95% ranges of the data-stock repository (literature.md §5):
    pages 75e9-1e12, bytes/page 6,100-8,200, bytes/token 4 (2-5), quality 0.1-0.4,
    repetition 2-5. The paper's answer: about 300T tokens.
    """
    rng = np.random.default_rng(seed)

    def draw(median: float, low: float, high: float) -> np.ndarray:
        return split_lognormal(rng, median, low, high, samples, Z975)

    def symmetric(low: float, high: float) -> np.ndarray:
        return draw(math.sqrt(low * high), low, high)

    # bytes per token: "about 4 (2-5)", so the median is 4, not the range's geometric middle
    raw = symmetric(75e9, 1e12) * symmetric(6100, 8200) / draw(4.0, 2.0, 5.0)
    return raw * symmetric(0.1, 0.4) * symmetric(2, 5)


@dataclass(frozen=True)
class QualityResult:
    """Expected quality of one plan under its scenario's law (point estimate)."""

    law: str
    loss: float
    effective_tokens: float
    tokens_per_param: float
    optimal_tokens_per_param: float | None
    """Tokens per parameter of the law's compute-optimal split at this plan's FLOPs."""
    law_params: float
    unique_known: bool
    downstream_error: float | None
    pools: tuple[Pool, ...]
    flags: tuple[Flag, ...]


def law_params(scenario: Scenario, active: float, active_non_embedding: float | None) -> float:
    """Parameters the law takes: active with embeddings (Chinchilla), non-embedding for Kaplan."""
    if isinstance(scenario.law, KaplanLaw) and active_non_embedding is not None:
        return active_non_embedding
    return active


def assess(scenario: Scenario, drawn: Sequence[float], active: float, active_non_embedding: float | None,
           total_params: float) -> QualityResult:
    """Effective data, expected loss, tokens per parameter and flags for one plan."""
    law = scenario.law
    tokens = scenario.total_tokens
    mix = pools(scenario, drawn)
    unique_known = any(s.unique_tokens is not None for s in scenario.data)
    data, unique = mix_effective(mix)
    n = law_params(scenario, active, active_non_embedding)
    loss = float(expected_loss(law, n, data, unique if unique_known else None))
    optimal = None
    if isinstance(law, ChinchillaLaw):
        opt_params, opt_tokens = law.compute_optimal(6 * n * tokens)
        optimal = float(opt_tokens / opt_params)
    found = flags(scenario, mix, tokens, law)
    if total_params > active:
        found.append(Flag("warning", "mixture-of-experts: the law is fitted on dense models and is given "
                          "active parameters; quality at equal active size is usually better",
                          "assumption (literature.md §7: MoE compute uses active parameters)"))
    if isinstance(law, KaplanLaw) and active_non_embedding is None:
        found.append(Flag("warning", "kaplan-2020 counts non-embedding parameters; without an architecture "
                          "the total is used", "Kaplan et al. 2020 §2.1"))
    error = None
    if scenario.downstream is not None:
        error = float(downstream_error(loss, scenario.downstream))
        found.append(Flag("warning", f"benchmark error from {scenario.downstream.name} is valid only for "
                          f"{scenario.downstream.valid_for}; this plan's loss comes from {law.name}",
                          "Gadre et al. 2024 (arXiv 2403.08540)"))
    return QualityResult(law.name, loss, float(data), tokens / n, optimal, n, unique_known, error,
                         tuple(mix), tuple(found))
