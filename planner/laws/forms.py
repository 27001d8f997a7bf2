"""Scaling laws: named, cited presets as frozen models, and the repetition model.

Absolute loss is specific to the data and tokenizer each law was fitted on: compare
plans under one law, never across laws. Constants: docs/literature.md §1
and §2; the checks in tests/laws/test_laws.py are its §9.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from planner.laws.names import DEFAULT_LAW
from planner.limits import (
    MAX_LAW_E,
    MAX_LAW_SD,
    MAX_LAW_VARIANCE,
    MAX_PARAMS,
    MAX_QUANTITY,
    MAX_TOKENS,
)
from planner.numbers import Number

__all__ = [
    "BESIROGLU_COVARIANCE",
    "DEFAULT_LAW",
    "LAW_CONSTANTS",
    "PRESETS",
    "R_STAR_DATA",
    "R_STAR_PARAMS",
    "ChinchillaLaw",
    "KaplanLaw",
    "Law",
    "covariance_of",
    "data_constrained_loss",
    "effective_tokens",
    "saturate",
]

# Muennighoff et al. 2023, datablations README / parametric_fit.ipynb cell 29 [P-repo].
R_STAR_DATA = 15.387756
R_STAR_PARAMS = 5.309743

LAW_CONSTANTS = ("E", "ln_A", "ln_B", "alpha", "beta")
"""Order of a law's covariance matrix (A and B enter in logs: their bootstrap spread is skewed)."""

# Covariance of (E, ln A, ln B, alpha, beta) over 400 bootstrap resamples of the 240 Chinchilla runs
# (Hoffmann et al. 2022 Fig. 4 as extracted by Epoch AI, planner/data/chinchilla_svg_extracted_data.csv,
# the 5 highest-loss runs dropped, Huber 1e-3 on log loss, seed 0), as Besiroglu et al. 2024 fit them:
# reproduce with `planner fit planner/data/chinchilla_svg_extracted_data.csv --column params="Model
# Size" --column flops="Training FLOP" --drop-highest 5 --bootstrap 400`. Standard errors 0.0266 (E),
# 0.0146 (alpha), 0.0208 (beta) match the paper's repository (0.026, 0.015, 0.021); correlations: E with
# alpha 0.57, with beta 0.68; ln A with alpha 0.999; ln B with beta 1.000.
BESIROGLU_COVARIANCE = (
    (7.063531e-04, 3.750942e-03, 7.699568e-03, 2.217091e-04, 3.751281e-04),
    (3.750942e-03, 5.994353e-02, -1.838351e-02, 3.564799e-03, -9.282068e-04),
    (7.699568e-03, -1.838351e-02, 1.819862e-01, -1.144985e-03, 8.890529e-03),
    (2.217091e-04, 3.564799e-03, -1.144985e-03, 2.123073e-04, -5.786903e-05),
    (3.751281e-04, -9.282068e-04, 8.890529e-03, -5.786903e-05, 4.346027e-04),
)


class ChinchillaLaw(BaseModel):
    """``L(N, D) = E + A / N^alpha + B / D^beta`` (Hoffmann et al. 2022, Eq. 2).

    N counts all parameters including embeddings; D is training tokens; L in nats/token.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field("custom", description="Preset name or a label for user constants.")
    form: Literal["chinchilla"] = Field("chinchilla", description="Functional form.")
    E: float = Field(gt=0, le=MAX_LAW_E, description="Irreducible loss.")
    A: float = Field(gt=0, le=MAX_QUANTITY, description="Parameter-term coefficient.")
    B: float = Field(gt=0, le=MAX_QUANTITY, description="Data-term coefficient.")
    alpha: float = Field(gt=0, le=5, description="Parameter exponent (published fits: 0.28-0.37).")
    beta: float = Field(gt=0, le=5, description="Data exponent (published fits: 0.28-0.37).")
    source: str = Field("given in the scenario", description="Where the constants come from.")
    fitted_on: str = Field("unknown", description="Data and tokenizer the fit used.")
    E_se: float | None = Field(
        None, ge=0, le=MAX_LAW_E, description="Standard error of E (Monte Carlo)."
    )
    alpha_se: float | None = Field(None, ge=0, le=5, description="Standard error of alpha.")
    beta_se: float | None = Field(None, ge=0, le=5, description="Standard error of beta.")
    covariance: tuple[tuple[float, float, float, float, float], ...] | None = Field(
        None,
        description="Covariance of (E, ln A, ln B, alpha, beta), e.g. from a bootstrap: the Monte Carlo "
        "then draws the constants jointly. Without it they are drawn independently from the standard errors.",
    )
    pivot_params: float = Field(
        8.7e8,
        ge=1,
        le=MAX_PARAMS,
        description="Model size where the fit is pinned when alpha is sampled (A follows alpha).",
    )
    pivot_tokens: float = Field(
        1.6e10,
        ge=1,
        le=MAX_TOKENS,
        description="Token count where the fit is pinned when beta is sampled.",
    )
    fit: dict[str, Any] | None = Field(
        None,
        description="Fit statistics, for a law written by `planner fit` (not used in estimates).",
    )
    params_convention: Literal["total_non_embedding"] | None = Field(
        None,
        description="What N counts when it is not all active parameters with embeddings: "
        "total_non_embedding (every expert, no embeddings; Krajewski et al. 2024 Eq. 9).",
    )

    @model_validator(mode="after")
    def _square(self) -> ChinchillaLaw:
        c = self.covariance
        if c is not None and (
            len(c) != len(LAW_CONSTANTS)
            or any(
                abs(c[i][j] - c[j][i]) > 1e-9 * (1 + abs(c[i][j]))
                for i in range(5)
                for j in range(5)
            )
            or any(c[i][i] < 0 for i in range(5))
        ):
            raise ValueError(
                "covariance must be a symmetric 5 x 5 matrix of (E, ln_A, ln_B, alpha, beta)"
            )
        if c is not None and max(c[i][i] for i in range(5)) > MAX_LAW_VARIANCE:
            raise ValueError(
                f"a variance of {max(c[i][i] for i in range(5)):g} is above "
                f"{MAX_LAW_VARIANCE:g}, the sanity bound (a standard deviation of 10 in E, ln A, "
                "ln B, alpha or beta; Besiroglu's bootstrap: at most 0.18)"
            )
        if c is not None:
            for name, most, i in zip(LAW_CONSTANTS, MAX_LAW_SD, range(5), strict=True):
                if c[i][i] > most**2:
                    raise ValueError(
                        f"the standard deviation of {name} is {math.sqrt(c[i][i]):.3g}, above "
                        f"{most:g}, the sanity bound (planner.limits MAX_LAW_SD: "
                        "Besiroglu et al.'s bootstrap, 2-10x)"
                    )
            smallest = float(np.linalg.eigvalsh(np.array(c, dtype=float)).min())
            if smallest < -1e-9 * max(c[i][i] for i in range(5)):
                raise ValueError(
                    "covariance is not positive semi-definite (an eigenvalue is "
                    f"{smallest:.3g}): no joint distribution has it; use the covariance a fit "
                    "wrote, or give standard errors (E_se, alpha_se, beta_se) instead"
                )
        return self

    @property
    def has_uncertainty(self) -> bool:
        return self.covariance is not None or any(
            v is not None for v in (self.E_se, self.alpha_se, self.beta_se)
        )

    def loss(self, params: Number, tokens: Number) -> Number:
        """Expected loss for ``params`` trained on ``tokens`` (all fresh)."""
        return self.E + self.A / params**self.alpha + self.B / tokens**self.beta

    @property
    def G(self) -> float:
        """``G = (alpha·A / (beta·B))^(1/(alpha+beta))`` (Hoffmann et al. 2022, Eq. 4)."""
        return float((self.alpha * self.A / (self.beta * self.B)) ** (1 / (self.alpha + self.beta)))

    def compute_optimal(self, flops: Number) -> tuple[Number, Number]:
        """(params, tokens) minimising loss at ``flops = 6·N·D`` (Hoffmann et al. 2022, Eq. 4).

        ``N_opt = G·(C/6)^a``, ``D_opt = (C/6)^b / G`` with ``a = beta/(alpha+beta)``,
        ``b = alpha/(alpha+beta)``.
        """
        a = self.beta / (self.alpha + self.beta)
        b = self.alpha / (self.alpha + self.beta)
        return self.G * (flops / 6) ** a, (flops / 6) ** b / self.G

    def constrained_loss(
        self,
        params: Number,
        tokens: Number,
        unique_tokens: Number,
        r_star_data: float = R_STAR_DATA,
        r_star_params: float = R_STAR_PARAMS,
    ) -> Number:
        """Loss with repeated data (Muennighoff et al. 2023, data-constrained scaling law).

        ``L = E + A / N'^alpha + B / D'^beta`` with effective data ``D'`` from
        :func:`effective_tokens` and effective parameters ``N'`` from
        :func:`data_constrained_loss`.
        """
        # D' counts what is drawn; the excess-parameter cap takes the unique data available, as
        # datablations' scaling_law(N, D, U) does (D_to_N(U)): 100T available is not scarce.
        return data_constrained_loss(
            self.E,
            self.A,
            self.B,
            self.alpha,
            self.beta,
            params,
            effective_tokens(unique_tokens, tokens, r_star_data),
            unique_tokens,
            r_star_params,
        )


def data_constrained_loss(
    E: Number,
    A: Number,
    B: Number,
    alpha: Number,
    beta: Number,
    params: Number,
    effective_data: Number,
    unique_tokens: Number,
    r_star_params: float = R_STAR_PARAMS,
) -> Number:
    """``E + A / N'^alpha + B / D'^beta`` given effective data ``D'`` (Muennighoff et al. 2023).

    Effective parameters: ``U_N = min(N, D_to_N(U))`` where ``D_to_N(U) = G·(U·G)^(beta/alpha)``
    is the compute-optimal size for the unique tokens, and ``N' = U_N + U_N·R*_N·(1 −
    exp(−R_N/R*_N))`` with ``R_N = N/U_N − 1``: parameters beyond what the unique data
    supports are worth less. Every argument may be an array (Monte Carlo over constants).
    """
    G = (alpha * A / (beta * B)) ** (1 / (alpha + beta))
    useful = np.minimum(params, G * (unique_tokens * G) ** (beta / alpha))
    effective_params = saturate(useful, params / useful - 1, r_star_params)
    return E + A / effective_params**alpha + B / effective_data**beta


class KaplanLaw(BaseModel):
    """``L(N, D) = [(N_c/N)^(alpha_N/alpha_D) + D_c/D]^alpha_D`` (Kaplan et al. 2020, Eq. 1.5).

    N counts *non-embedding* parameters; fitted on WebText2 with the GPT-2 tokenizer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(description="Preset name.")
    form: Literal["kaplan"] = Field("kaplan", description="Functional form.")
    alpha_n: float = Field(ge=1e-3, le=5, description="Parameter exponent (Kaplan: 0.076).")
    alpha_d: float = Field(ge=1e-3, le=5, description="Data exponent (Kaplan: 0.103).")
    n_c: float = Field(gt=0, description="Parameter scale.")
    d_c: float = Field(gt=0, description="Data scale, tokens.")
    source: str = Field(description="Where the constants come from.")
    fitted_on: str = Field(description="Data and tokenizer the fit used.")

    def loss(self, params: Number, tokens: Number) -> Number:
        """Expected loss for non-embedding ``params`` trained on ``tokens``."""
        return (
            (self.n_c / params) ** (self.alpha_n / self.alpha_d) + self.d_c / tokens
        ) ** self.alpha_d


def saturate(unique: Number, repeats: Number, r_star: float) -> Number:
    """``U + U·R*·(1 − exp(−R/R*))`` with ``R = max(repeats, 0)`` (Muennighoff et al. 2023).

    A repeat is worth almost a fresh unit while ``R ≪ R*``; the total tends to ``U·(1 + R*)``.
    """
    repeats = np.maximum(repeats, 0.0)
    return unique + unique * r_star * (1.0 - np.exp(-repeats / r_star))


def effective_tokens(unique_tokens: Number, tokens: Number, r_star: float = R_STAR_DATA) -> Number:
    """Effective data ``D'`` for ``tokens`` drawn from ``unique_tokens`` (``R = D/U − 1``).

    Drawing fewer tokens than are unique uses ``min(U, D)`` of them: ``D' = D``.
    """
    unique_tokens = np.minimum(unique_tokens, tokens)
    return saturate(unique_tokens, tokens / unique_tokens - 1.0, r_star)


def covariance_of(draws: dict[str, Any]) -> tuple[tuple[float, ...], ...]:
    """Covariance of (E, ln A, ln B, alpha, beta) over draws of the constants (e.g. a bootstrap),
    in :data:`LAW_CONSTANTS` order: what ``ChinchillaLaw.covariance`` holds for joint draws."""
    rows = [
        np.log(draws[k]) if k in ("A", "B") else np.asarray(draws[k])
        for k in ("E", "A", "B", "alpha", "beta")
    ]
    return tuple(tuple(float(v) for v in row) for row in np.cov(np.stack(rows)))


Law = ChinchillaLaw | KaplanLaw

PRESETS: dict[str, Law] = {
    law.name: law
    for law in (
        ChinchillaLaw(
            name="besiroglu-2024",
            E=1.8172,
            A=482.01,
            B=2085.43,
            alpha=0.3478,
            beta=0.3658,
            source="Besiroglu et al. 2024 (arXiv 2404.10102), refit of Hoffmann's Fig. 4 data; "
            "standard errors from the analyzing-chinchilla bootstrap",
            fitted_on="MassiveText, SentencePiece (Chinchilla's data, digitised)",
            E_se=0.026,
            alpha_se=0.015,
            beta_se=0.021,
            covariance=BESIROGLU_COVARIANCE,
        ),
        ChinchillaLaw(
            name="hoffmann-2022",
            E=1.69,
            A=406.4,
            B=410.7,
            alpha=0.34,
            beta=0.28,
            source="Hoffmann et al. 2022 (arXiv 2203.15556) App. D.2, rounded Approach-3 constants",
            fitted_on="MassiveText, SentencePiece",
        ),
        ChinchillaLaw(
            name="hoffmann-2022-unrounded",
            E=1.69337,
            A=406.401,
            B=410.723,
            alpha=0.33917084,
            beta=0.2849083,
            source="Hoffmann et al. 2022 Approach 3, unrounded (epoch-research/analyzing-chinchilla cell 27)",
            fitted_on="MassiveText, SentencePiece",
        ),
        ChinchillaLaw(
            name="muennighoff-2023",
            E=math.exp(0.6254804),
            A=math.exp(6.255414),
            B=math.exp(7.3049974),
            alpha=0.3526596,
            beta=0.3526596,
            source="Muennighoff et al. 2023 (arXiv 2305.16264), datablations C4 fit, tied exponents "
            "(README log-constants e, a, b exponentiated: E 1.8691, A 520.83, B 1487.72)",
            fitted_on="C4 (digitised Chinchilla C4 IsoFLOPs)",
        ),
        KaplanLaw(
            name="kaplan-2020",
            alpha_n=0.076,
            alpha_d=0.103,
            n_c=6.4e13,
            d_c=1.8e13,
            source="Kaplan et al. 2020 (arXiv 2001.08361) Eq. 1.5, Table 2 constants",
            fitted_on="WebText2, GPT-2 BPE (non-embedding parameters)",
        ),
    )
}
