"""Mixture-of-experts quality: Krajewski et al. 2024, Eq. 9 (dense and MoE rows fitted together).

``L(N, D, G) = c + (g/G^γ + a)/N^α + b/D^β`` with ``N`` the *total* non-embedding parameters
(every expert), ``D`` tokens and ``G`` the granularity (``d_ff / d_expert``: a token is routed
to G experts of size d_ff/G, so active parameters do not change with G). Table 1 gives an MoE
row (expansion rate E = 64) and a dense row sharing ``c`` (arXiv 2402.07871, Tables 1-2 [P];
shared/reference/laws-2025.md §1.1). For a fixed model shape the law *is* a Chinchilla form with
``A = a + g/G^γ``, so :meth:`KrajewskiLaw.as_chinchilla` hands the evaluator an ordinary law.

Under any other (dense) law an MoE plan is an explicit, flagged approximation: the law is given a
*dense-equivalent* parameter count, the dense model that Krajewski's own dense row says reaches
the MoE row's loss at the same tokens (:func:`dense_equivalent_params`; laws-2025.md §1.5 option
M1: "outside that, only as a ratio against its own dense fit").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from planner.laws.forms import ChinchillaLaw
from planner.laws.names import MOE_LAW
from planner.numbers import Number
from planner.units import format_count

__all__ = [
    "FITTED_EXPANSION",
    "FITTED_PARAMS",
    "FITTED_TOKENS",
    "KRAJEWSKI_2024",
    "KRAJEWSKI_NAME",
    "KRAJEWSKI_SOURCE",
    "KrajewskiLaw",
    "MoeRow",
    "dense_equivalent_params",
    "e64_total_params",
    "granularity_factor",
    "moe_loss",
    "outside_fit",
]

KRAJEWSKI_NAME = MOE_LAW
KRAJEWSKI_SOURCE = (
    "Krajewski et al. 2024 (arXiv 2402.07871) Eq. 9, Table 1 (MoE E = 64 and dense rows, shared c)"
)
FITTED_EXPANSION = 64.0
"""Expansion rate E (total over active in an MoE layer) of the MoE row's runs (§5 [P])."""
FITTED_PARAMS = (1e8, 4e9)
"""Active (dense-block) sizes of the runs, 129M-3.7B (§5 [P]; laws-2025.md §1.5: 0.1-4B)."""
FITTED_TOKENS = (16e9, 130e9)
"""Training tokens of the runs, 16B-130B (§5 [P])."""
FITTED_GRANULARITY = (1.0, 16.0)
"""Granularities of the runs, 1-16 log-spaced (§5 [P])."""


@dataclass(frozen=True)
class MoeRow:
    """One row of Krajewski's Table 1: ``(g/G^γ + a)/N^α + b/D^β`` (g = 0 for the dense row)."""

    a: float
    alpha: float
    b: float
    beta: float
    g: float = 0.0
    gamma: float = 0.0


def granularity_factor(granularity: Number, a: float, g: float, gamma: float) -> Number:
    """``(g/G^γ + a) / (g + a)``: the N-term at granularity G relative to G = 1.

    Krajewski et al. 2024 Eq. 9 with Table 1's MoE row: 0.92716 (G = 8), 0.91686 (16), 0.90536
    (64) (laws-2025.md check 2).
    """
    return (g / np.asarray(granularity, dtype=float) ** gamma + a) / (g + a)


def moe_loss(params: Number, tokens: Number, granularity: Number, row: MoeRow, c: float) -> Number:
    """``L = c + (g/G^γ + a)/N^α + b/D^β`` (Krajewski et al. 2024 Eq. 9).

    ``params``: total non-embedding parameters (every expert); ``tokens``: training tokens;
    loss in nats on their C4-style data. The dense row has g = 0, so G drops out.
    """
    n_term = (row.g / np.asarray(granularity, dtype=float) ** row.gamma + row.a) / params**row.alpha
    return c + n_term + row.b / tokens**row.beta


def e64_total_params(active_params: Number, expansion: float = FITTED_EXPANSION) -> Number:
    """``N = N_act·(8E + 4)/12``: total parameters of an E-way expansion of a dense block.

    A dense block has ``12·d²`` parameters (4d² attention, 8d² feed-forward); expanding the
    feed-forward E-fold gives ``(8E + 4)·d²`` (Krajewski et al. 2024 §6.1, Eq. 10). With E = 64
    this reproduces Table 2 from Eq. 9 within 0.84% (laws-2025.md check 1).
    """
    return active_params * (8.0 * expansion + 4.0) / 12.0


@dataclass(frozen=True)
class KrajewskiLaw:
    """Krajewski et al. 2024 Table 1: an MoE row (E = 64) and a dense row sharing ``c``."""

    c: float
    moe: MoeRow
    dense: MoeRow
    source: str = KRAJEWSKI_SOURCE
    fitted_on: str = "C4-style web text (their App. A); 129M-3.7B active parameters, 16B-130B tokens, G 1-16, E = 64"

    def loss(self, params: Number, tokens: Number, granularity: Number | None = None) -> Number:
        """Eq. 9: the MoE row at ``granularity``, or the dense row when it is None."""
        if granularity is None:
            return moe_loss(params, tokens, 1.0, self.dense, self.c)
        return moe_loss(params, tokens, granularity, self.moe, self.c)

    def as_chinchilla(self, granularity: float | None) -> ChinchillaLaw:
        """The law for one model shape as a Chinchilla form: ``E = c``, ``A = a + g/G^γ``.

        ``granularity`` None: the dense row. N then counts total non-embedding parameters
        (``params_convention``), which the evaluator feeds it.
        """
        row = self.dense if granularity is None else self.moe
        A = row.a + (row.g / granularity**row.gamma if granularity is not None else 0.0)
        which = "dense row" if granularity is None else f"MoE row (E = 64), G = {granularity:g}"
        return ChinchillaLaw(
            name=KRAJEWSKI_NAME,
            E=self.c,
            A=A,
            B=row.b,
            alpha=row.alpha,
            beta=row.beta,
            source=f"{self.source}: {which}",
            fitted_on=self.fitted_on,
            params_convention="total_non_embedding",
        )


KRAJEWSKI_2024 = KrajewskiLaw(
    c=0.47,
    moe=MoeRow(a=18.1, alpha=0.115, b=30.8, beta=0.147, g=2.1, gamma=0.58),
    dense=MoeRow(a=16.3, alpha=0.126, b=26.7, beta=0.127),
)
"""Krajewski et al. 2024 (arXiv 2402.07871) Table 1 [P], as transcribed in laws-2025.md §1.1."""


def dense_equivalent_params(
    total_params: Number,
    active_params: Number,
    tokens: Number,
    granularity: Number,
    law: KrajewskiLaw = KRAJEWSKI_2024,
) -> Number:
    """Dense parameters whose loss Krajewski's dense row puts equal to the MoE row's, at ``tokens``.

    Solve ``a_d/N_eq^α_d + b_d/D^β_d = (g/G^γ + a)/N_total^α + b/D^β`` for ``N_eq``, clipped to
    ``[N_active, N_total]`` (assumption [A]: an MoE is no worse than a dense model of its active
    size, and no better than one of its total size; Liew et al. 2026, arXiv 2601.08215: quality
    follows total parameters). This is how a dense law prices an MoE plan: a flagged
    approximation, a ratio against Krajewski's own dense fit (laws-2025.md §1.5), never the
    dense-at-active answer.
    """
    moe, dense = law.moe, law.dense
    moe_reducible = moe_loss(total_params, tokens, granularity, moe, 0.0)
    n_term = moe_reducible - dense.b / np.asarray(tokens, dtype=float) ** dense.beta
    with np.errstate(divide="ignore", invalid="ignore"):
        n_eq = np.where(
            n_term > 0, (dense.a / np.maximum(n_term, 1e-300)) ** (1 / dense.alpha), np.inf
        )
    return np.clip(n_eq, active_params, total_params)


def outside_fit(
    active: float, tokens: float, granularity: float | None, expansion: float | None = None
) -> list[str]:
    """Where a model leaves the runs Krajewski et al. 2024 fitted (laws-2025.md §1.1): active
    parameters, tokens, and for an MoE its expansion rate (E = 64 only) and granularity."""

    count = format_count
    out = []
    low, high = FITTED_PARAMS
    if not low <= active <= high:
        out.append(f"{count(active)} active parameters (fitted {count(low)}-{count(high)})")
    low, high = FITTED_TOKENS
    if not low <= tokens <= high:
        out.append(f"{count(tokens)} tokens (fitted {count(low)}-{count(high)})")
    if granularity is not None:
        if expansion is not None and abs(expansion / FITTED_EXPANSION - 1) > 0.1:
            out.append(f"expansion rate {expansion:.3g} (the MoE row was fitted at E = 64 only)")
        g_low, g_high = FITTED_GRANULARITY
        if not g_low <= granularity <= g_high:
            out.append(f"granularity {granularity:g} (fitted {g_low:g}-{g_high:g})")
    return out
