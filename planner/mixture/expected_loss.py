"""Expected quality of a data mix: source families, effective data, mixture gain, expected loss.

Each data source is a pool. Pools form *families* (docs/data-mix-literature.md §10 A1): a real source
and every rephrasing of it share one family, whose unique information is capped
(:func:`planner.mixture.formulas.information_cap`) and whose repetition follows Muennighoff et al. 2023
(``D'``, per family, §10 A3); a generated pool is its own family, optionally saturating (A4).
The stream's effective data is the mixture gain times the families' ``D'`` (A5, or Option B),
and the loss law takes it. Functions accept numpy arrays, so the Monte Carlo reuses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from planner import precisions
from planner.errors import InputError
from planner.laws import moe
from planner.laws.forms import (
    R_STAR_DATA,
    ChinchillaLaw,
    KaplanLaw,
    data_constrained_loss,
    effective_tokens,
)
from planner.mixture import formulas
from planner.numbers import Number
from planner.scenario.mixture_presets import Mixture
from planner.scenario.schema import Downstream, Scenario

__all__ = [
    "Flag",
    "MixTerms",
    "Pool",
    "collapse_factor",
    "downstream_error",
    "expected_loss",
    "fresh_pool",
    "gain_stream",
    "law_params",
    "mix_effective",
    "pools",
    "precision_params_factor",
    "token_efficiency",
]


@dataclass(frozen=True)
class Flag:
    """A risk the user should see, with where the threshold comes from."""

    level: str
    """``warning`` (check it) or ``risk`` (outside what the evidence covers)."""
    message: str
    source: str


@dataclass(frozen=True)
class Pool:
    """One data source as the quality model sees it (numbers may be row arrays)."""

    name: str
    kind: str
    """``real`` or ``synthetic``."""
    unique_tokens: Number
    """Unique tokens held: a real source's, or a synthetic pool's kept (generated) tokens."""
    tokens: Number
    r_star: float
    weight: Number
    """Explicit value weight (``synthetic.value_weight``), else 1.0."""
    weight_low: Number
    weight_high: Number
    synthetic_kind: str | None = None
    generations: int = 1
    policy: str = "accumulate"
    family: str = ""
    """Family key: the real source a rephrasing names, else the pool's own name."""
    source_unique: float | None = None
    """``rephrases: {unique_tokens}``: size of source text that is not itself trained on."""
    weighted: bool = False
    """The pool has an explicit value weight, which replaces the mixture gain."""
    declared: bool = True
    """The scenario gives the pool's unique tokens (a source without them is drawn once and
    counts as unlimited for the excess-parameter discount)."""
    saturation_tokens: float | None = None
    tied: bool = True
    """A rephrased pool names what it rephrases (else: one rephrasing of unseen text)."""
    cap: Any = None
    """The pool's own information cap preset (``synthetic.information_cap``), else None."""
    mixed_with: tuple[str, ...] | None = None
    """Real sources its gain was measured beside (``synthetic.mixed_with``), else None (default)."""

    def __post_init__(self) -> None:
        if not self.family:  # a pool is its own family unless it rephrases another
            object.__setattr__(self, "family", self.name)

    @property
    def epochs(self) -> Number:
        return self.tokens / self.unique_tokens


def fresh_pool(tokens: Number) -> Pool:
    """A scenario without data sources: every token real and fresh (one pool, never repeated)."""
    return Pool(
        "all data",
        "real",
        tokens,
        tokens,
        R_STAR_DATA,
        1.0,
        1.0,
        1.0,
        family="all data",
        declared=False,
    )


def pools(scenario: Scenario, drawn: Sequence[Number]) -> list[Pool]:
    """Pools from the scenario's sources (``drawn`` tokens each); none → one fresh real pool.

    A real source without ``unique_tokens`` is taken as drawn once (no repetition, and unlimited
    for the excess-parameter discount).
    """
    if not scenario.data:
        return [fresh_pool(scenario.total_tokens)]
    out = []
    for source, tokens in zip(scenario.data, drawn):
        unique = source.unique_tokens if source.unique_tokens is not None else tokens
        synthetic = source.synthetic
        if synthetic is None:
            out.append(
                Pool(
                    source.name,
                    "real",
                    unique,
                    tokens,
                    R_STAR_DATA,
                    1.0,
                    1.0,
                    1.0,
                    family=source.name,
                    declared=source.unique_tokens is not None,
                )
            )
            continue
        w: Any = synthetic.value_weight  # a range, a number (a sweep sets arrays), or None
        mid, low, high = (
            (w.mid, w.low, w.high)
            if hasattr(w, "mid")
            else (1.0, 1.0, 1.0)
            if w is None
            else (w, w, w)
        )
        target = synthetic.rephrases
        out.append(
            Pool(
                source.name,
                "synthetic",
                unique,
                tokens,
                synthetic.r_star,
                mid,
                low,
                high,
                synthetic.kind,
                synthetic.generations,
                synthetic.policy,
                family=target if isinstance(target, str) else source.name,
                source_unique=target.unique_tokens
                if target is not None and not isinstance(target, str)
                else None,
                weighted=w is not None,
                declared=source.unique_tokens is not None,
                saturation_tokens=synthetic.saturation_tokens,
                tied=target is not None,
                cap=synthetic.information_cap,
                mixed_with=None if synthetic.mixed_with is None else tuple(synthetic.mixed_with),
            )
        )
    return out


@dataclass(frozen=True)
class MixTerms:
    """A mix turned into effective data (numbers may be arrays of rows or rows x draws)."""

    effective_tokens: Number
    """``M·Σ_p w_p·D'_p``: what the loss law takes as data."""
    unique_tokens: Number | None
    """Unique information available, ``Σ_s U*_s``, for the excess-parameter discount (Muennighoff's
    ``D_to_N(U_D)`` takes the unique data available, not the part drawn); None when some source does
    not give its unique tokens (drawn once, more could be had: no discount)."""
    gain: Number
    """The mixture gain M (the speed-up when nothing repeats)."""
    per_pool: tuple[Number, ...]
    """Each pool's ``w_p·D'_p`` before the gain: its family's ``D'`` split by tokens drawn."""
    information: dict[str, Number] = field(default_factory=dict)
    """Each family's unique information ``U*_s``."""
    presentations: dict[str, Number] = field(default_factory=dict)
    """Each rephrased family's presentations per source token ``n_s``."""
    family_tokens: dict[str, Number] = field(default_factory=dict)
    """Each rephrased family's tokens drawn ``X_s`` (source and rephrasings together)."""
    shares: dict[str, Number] = field(default_factory=dict)
    """Share per synthetic kind that the gain applies to, counted in each pool's own
    repetition-discounted tokens (seen tokens when nothing repeats) within the gain's stream;
    explicit weights excluded."""
    in_gain: tuple[bool, ...] = ()
    """Per pool: whether the mixture gain multiplies it (:func:`gain_stream`)."""


def mix_effective(
    mix_pools: Sequence[Pool],
    mixture: Mixture | None = None,
    law: ChinchillaLaw | KaplanLaw | None = None,
    weights: Sequence[Number] | None = None,
    max_gains: dict[str, Number] | None = None,
) -> MixTerms:
    """Effective data of a mix (docs/data-mix-literature.md §10 A1-A5 or B).

    Families: ``U*_s`` from :func:`planner.mixture.formulas.information_cap` for a real source and its
    rephrasings (or rephrased text of a given size), :func:`planner.mixture.formulas.generated_unique` for a
    generated pool; ``D'_s = effective_tokens(U*_s, X_s)`` over the family's tokens ``X_s``
    (Muennighoff et al. 2023), split among its pools by tokens drawn, each times its explicit
    weight. The gain M multiplies the sum: :func:`planner.mixture.formulas.share_gain` (share-gain) or
    :func:`planner.mixture.formulas.budget_gain` (budget-gain, needs a Chinchilla-form ``law``). ``mixture``
    None: no gain (M = 1). ``weights``/``max_gains`` replace the pools' weights and the presets'
    M_max (Monte Carlo draws).
    """
    weights = weights if weights is not None else [p.weight for p in mix_pools]
    members: dict[str, list[int]] = {}
    for i, p in enumerate(mix_pools):
        members.setdefault(p.family, []).append(i)
    own = [_own_effective(p) for p in mix_pools]
    per_pool: list[Number] = [0.0] * len(mix_pools)
    information: dict[str, Number] = {}
    counts: dict[str, Number] = {}
    drawn_family: dict[str, Number] = {}
    unique_total: Number = 0.0
    unlimited = False
    for key, index in members.items():
        family = [mix_pools[i] for i in index]
        root = next((p for p in family if p.kind == "real"), None)
        rephrasings = [p for p in family if p.synthetic_kind == "rephrased"]
        # A pool re-read within a family of several counts its OWN repetition first (Muennighoff's
        # D' of the pool alone), then the family's cap: a 46B rewrite pool read 16 times beside
        # 1.3T of web is not 734B fresh presentations of the web family (decisions log 2026-12-06).
        # The root's reads and a lone pool's are left to the family's D' (no double discount).
        reads = [
            mix_pools[i].tokens if len(index) == 1 or mix_pools[i].kind == "real" else own[i]
            for i in index
        ]
        tokens: Number = sum(reads, 0.0)
        if root is not None or rephrasings:
            size: Number
            raw: Number
            if root is not None:
                size, raw = root.unique_tokens, np.where(np.asarray(root.tokens) > 0, 1.0, 0.0)
            else:
                first = rephrasings[0]
                given = first.source_unique
                size, raw = (given if given is not None else first.unique_tokens), 0.0
            generated: Number = sum((p.unique_tokens for p in rephrasings), 0.0)
            n = formulas.presentations(size, raw, generated)
            own_cap = next((p.cap for p in rephrasings if p.cap is not None), None)
            cap = own_cap or (mixture.information_cap if mixture is not None else None)
            info = (
                formulas.information_cap(size, n, cap.rho, cap.scale)
                if cap is not None
                else size * n
            )
            if rephrasings:
                counts[key] = n
                drawn_family[key] = sum((p.tokens for p in family), 0.0)
        else:
            only = family[0]
            info = formulas.generated_unique(only.unique_tokens, only.saturation_tokens)
        information[key] = info
        unique_total = unique_total + info
        unlimited = unlimited or not all(p.declared for p in family)
        r_star = family[0].r_star if root is None else root.r_star
        with np.errstate(divide="ignore", invalid="ignore"):
            effective = np.where(tokens > 0, effective_tokens(info, tokens, r_star), 0.0)
            for i, read in zip(index, reads, strict=True):
                part = np.where(tokens > 0, read / tokens, 0.0)
                per_pool[i] = weights[i] * effective * part
    stream = gain_stream(mix_pools) if mixture is not None else [False] * len(mix_pools)
    inside: Number = sum((v for v, s in zip(per_pool, stream, strict=True) if s), 0.0)
    outside: Number = sum((v for v, s in zip(per_pool, stream, strict=True) if not s), 0.0)
    gain: Number = 1.0
    shares: dict[str, Number] = {}
    if mixture is not None and any(stream):
        # Shares count each pool's own repetition-discounted tokens (Muennighoff's D' of the pool
        # alone): equal to §10 A5's seen-token shares when nothing repeats, but a small pool seen
        # 100 times cannot buy the gain of a 30% share (assumption, decisions log 2026-11-24).
        # They are shares of the gain's stream (the tokens the gain was measured on, see
        # gain_stream), the whole run when every pool belongs to it (decisions log 2026-12-06).
        total: Number = sum((v for v, s in zip(own, stream, strict=True) if s), 0.0)
        for p, value in zip(mix_pools, own, strict=True):
            if p.synthetic_kind is not None and not p.weighted:
                with np.errstate(divide="ignore", invalid="ignore"):
                    share = np.where(total > 0, value / total, 0.0)
                shares[p.synthetic_kind] = shares.get(p.synthetic_kind, 0.0) + share
        gain = _gain(mixture, shares, law, inside, max_gains or {})
    return MixTerms(
        effective_tokens=gain * inside + outside,
        unique_tokens=None if unlimited else unique_total,
        gain=gain,
        per_pool=tuple(per_pool),
        information=information,
        presentations=counts,
        family_tokens=drawn_family,
        shares=shares,
        in_gain=tuple(stream),
    )


def gain_stream(mix_pools: Sequence[Pool]) -> list[bool]:
    """Which pools the mixture gain multiplies: the tokens it was measured on.

    A gain (Kang et al. 2025, WRAP) is the speed-up of a stream of synthetic text mixed with the
    real text it came from or was mixed with, over that real text alone; it says nothing about
    code or licensed books beside it (issue 19). The stream is every synthetic pool without an
    explicit value weight; a rephrasing tied to a real source (``rephrases: web``) brings that
    source's family; a pool not tied to one (generated text, rephrasings of unseen text) was
    measured beside general real text, taken to be the sources the scenario rewrites or, when it
    rewrites none, its largest real corpus by unique tokens (the general web text such gains were
    measured beside; a second, smaller domain such as code is not multiplied; assumption,
    decisions log 2026-12-06); ``mixed_with`` on a
    pool names its real sources instead. Every other pool counts at its own ``D'``, unmultiplied.
    With every pool in the stream this is §10 A5 exactly.
    """
    real = {p.name for p in mix_pools if p.kind == "real"}
    gained = [p.synthetic_kind is not None and not p.weighted for p in mix_pools]
    named = [p.mixed_with is not None for p in mix_pools]
    rewritten = {
        p.family
        for p, g, n in zip(mix_pools, gained, named, strict=True)
        if g and not n and p.synthetic_kind == "rephrased" and p.family in real
    }
    untied = any(
        g and not n and p.family not in real
        for p, g, n in zip(mix_pools, gained, named, strict=True)
    )
    partners = set(rewritten)
    if untied and not rewritten:
        partners = {_general_corpus(mix_pools)}
    for p, g in zip(mix_pools, gained, strict=True):
        if g and p.mixed_with is not None:
            partners |= set(p.mixed_with)
    return [
        g or (p.kind == "real" and p.family in partners)
        for p, g in zip(mix_pools, gained, strict=True)
    ]


def _general_corpus(mix_pools: Sequence[Pool]) -> str:
    """The family of the real pool holding the most unique tokens (the first listed on a tie; a
    pool of unknown size counts as unlimited). Judged on the first row, so a sweep keeps one
    stream across its rows."""
    real = [p for p in mix_pools if p.kind == "real"]
    if not real:
        return ""
    sizes = [float(np.ravel(np.asarray(p.unique_tokens, dtype=float))[0]) for p in real]
    sizes = [np.inf if np.isnan(v) else v for v in sizes]
    return real[int(np.argmax(sizes))].family


def _own_effective(pool: Pool) -> Number:
    """A pool's tokens discounted for its own repetition: ``D'(U_p, T_p)`` (0 when it draws nothing)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            pool.tokens > 0, effective_tokens(pool.unique_tokens, pool.tokens, pool.r_star), 0.0
        )


def _gain(
    mixture: Mixture,
    shares: dict[str, Number],
    law: object,
    data: Number,
    max_gains: dict[str, Number],
) -> Number:
    """The mixture gain of :func:`mix_effective`: the presets' constants wired to the formula."""
    if not shares:
        return 1.0
    presets = {kind: mixture.gain(kind) for kind in shares}
    args = (
        shares,
        {k: p.optimum_share for k, p in presets.items()},
        {k: p.sharpness for k, p in presets.items()},
        {k: max_gains.get(k, p.max_gain.mid) for k, p in presets.items()},
        {k: p.alone_gain for k, p in presets.items()},
    )
    if mixture.form == "share-gain":
        return _positive(formulas.share_gain(*args))
    if not isinstance(law, ChinchillaLaw):
        raise InputError(
            "mixture form budget-gain needs a Chinchilla-form law (E, A, B, alpha, beta)",
            field="mixture.form",
            value=mixture.form,
            allowed="share-gain, or a Chinchilla-form law",
        )
    cap = min(p.speedup_cap for p in presets.values())
    return _positive(
        formulas.budget_gain(
            *args, {k: p.reference_tokens for k, p in presets.items()}, cap, law.B, law.beta, data
        )
    )


MIN_GAIN = 1e-3
"""Floor on the mixture gain M. Option A adds each kind's ``M − 1``, so gains below 1 for
several kinds can sum to M ≤ 0: negative effective data, a NaN loss that the optimiser and the
sweeps carried silently. Assumption: the mix then counts as almost no data (M = 0.001); the
floored rows are flagged (planner.plan.flags, ``mixture_gain_floored``)."""


def _positive(gain: Number) -> Number:
    """The gain, floored at :data:`MIN_GAIN` (flagged where it binds)."""
    return np.maximum(gain, MIN_GAIN)


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
    """Error growth after ``n`` generations: :func:`planner.mixture.formulas.collapse_multiplier`."""
    return float(formulas.collapse_multiplier(generations, policy))


def downstream_error(loss: Number, mapping: Downstream) -> Number:
    """Average benchmark error ``ε − k·exp(−γ·L)`` (Gadre et al. 2024, mlfoundations/scaling)."""
    return mapping.epsilon - mapping.k * np.exp(-mapping.gamma * loss)


def law_params(
    scenario: Scenario,
    active: Number,
    active_non_embedding: float | None,
    total: Number | None = None,
    total_non_embedding: float | None = None,
    tokens: Number | None = None,
) -> Number:
    """Parameters the law takes, times the training precision's effective-parameter factor.

    The count follows the law's convention: active with embeddings (Chinchilla), active
    non-embedding (Kaplan), total non-embedding (Krajewski's MoE law, every expert; the total
    with embeddings when no architecture gives them). A mixture-of-experts model under a dense
    law gets Krajewski's dense-equivalent count at ``tokens``
    (:func:`planner.laws.moe.dense_equivalent_params`, flagged ``moe_dense_equivalent``). Then
    Kumar et al. 2024's ``N_eff/N`` of the format's bits (:mod:`planner.precisions`).
    """
    law = scenario.law
    total = active if total is None else total
    n: Number
    if getattr(law, "params_convention", None) == "total_non_embedding":
        n = total_non_embedding if total_non_embedding is not None else total
    else:
        kaplan = isinstance(law, KaplanLaw) and active_non_embedding is not None
        n = active_non_embedding if kaplan else active
        granularity = scenario.model.moe_granularity
        if granularity is not None and tokens is not None:
            dense_total = total if not kaplan else total_non_embedding or total
            n = moe.dense_equivalent_params(dense_total, n, tokens, granularity)
    return n * precision_params_factor(scenario.training)


def precision_params_factor(training: Any) -> float:
    """Kumar's ``N_eff/N`` (relative to 16-bit) of ``training.precision``, or of ``precision_bits``."""
    bits = getattr(training, "precision_bits", None)
    if bits is not None:
        return float(precisions.params_factor(bits.weights, bits.activations, bits.kv_cache))
    return precisions.precision(training.precision).params_factor


def token_efficiency(training: Any) -> float:
    """The training format's multiplier on effective data (MXFP4: 1/1.36; planner.precisions)."""
    return precisions.precision(training.precision).token_efficiency
