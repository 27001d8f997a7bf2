"""Training number formats, one table: peak column, realised speed-up and loss effect.

Every list of precisions in the planner (the schema's ``training.precision``, ``planner loss
--precision``, the catalogue peak a format runs at, the utilisation rescaling) is built from
:data:`FORMATS`. Evidence: docs/laws-2025.md §2 (shared/reference/laws-2025.md) and
docs/hardware-literature.md §9.

The loss side has two parts (laws-2025.md §2.3):

- Kumar et al. 2024 (arXiv 2411.04330) effective parameters ``N_eff = N·f(P_w)·f(P_a)·f(P_kv)``,
  ``f(P) = 1 − exp(−P/γ)``, taken *relative to 16-bit training* (the laws the planner ships were
  fitted on 16-bit runs): a pessimistic default, fitted on integer fake-quantisation.
- a per-format token efficiency for block-scaled floats (MXFP4 needs 36% more tokens than
  NVFP4 for the same loss, NVIDIA 2509.25149 [S]): the stream's effective data is multiplied by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from planner.numbers import Number

__all__ = [
    "BF16",
    "FORMATS",
    "KUMAR_GAMMA_ACTIVATIONS",
    "KUMAR_GAMMA_KV",
    "KUMAR_GAMMA_WEIGHTS",
    "KUMAR_SOURCE",
    "PRECISION_NAMES",
    "Precision",
    "PrecisionName",
    "kumar_factor",
    "params_factor",
    "precision",
]

# Kumar et al. 2024 (arXiv 2411.04330) App. K Table 2, via a third-party implementation [S, 1 src]
# (laws-2025.md §2.1): bits at which each tensor keeps 1 − 1/e of its capacity.
KUMAR_GAMMA_WEIGHTS = 2.6745
KUMAR_GAMMA_ACTIVATIONS = 2.2102
KUMAR_GAMMA_KV = 0.9578
KUMAR_SOURCE = (
    "Kumar et al. 2024 (arXiv 2411.04330) effective parameters, gamma_w 2.6745, gamma_a 2.2102, "
    "gamma_kv 0.9578 (App. K Table 2 [S]); relative to 16-bit training; integer fake-quantisation "
    "fits, so pessimistic for block-scaled floats"
)

PeakColumn = Literal["bf16", "fp8", "fp4"]


def kumar_factor(
    weight_bits: Number,
    activation_bits: Number,
    kv_bits: Number,
    gamma_w: float = KUMAR_GAMMA_WEIGHTS,
    gamma_a: float = KUMAR_GAMMA_ACTIVATIONS,
    gamma_kv: float = KUMAR_GAMMA_KV,
) -> Number:
    """``N_eff / N = (1 − e^(−P_w/γ_w))·(1 − e^(−P_a/γ_a))·(1 − e^(−P_kv/γ_kv))``.

    Kumar et al. 2024 (arXiv 2411.04330): precision of weights, activations and KV cache during
    training lowers the effective parameter count; the three effects multiply (laws-2025.md §2.1,
    check 5: f(16) = 0.99676, f(8) = 0.92411, f(4) = 0.63892 with all three equal).
    """
    import numpy as np  # here, not at import: the command line lists the formats without numpy

    return (
        (1.0 - np.exp(-np.asarray(weight_bits, dtype=float) / gamma_w))
        * (1.0 - np.exp(-np.asarray(activation_bits, dtype=float) / gamma_a))
        * (1.0 - np.exp(-np.asarray(kv_bits, dtype=float) / gamma_kv))
    )


def params_factor(weight_bits: Number, activation_bits: Number, kv_bits: Number) -> Number:
    """Kumar's ``N_eff/N`` relative to 16-bit training: ``f(P_w, P_a, P_kv) / f(16, 16, 16)``.

    The shipped laws were fitted on 16-bit (BF16) runs, so BF16 keeps N (factor 1); all-8-bit
    gives 0.92711, all-4-bit 0.64100, 4-bit weights alone 0.77785 (laws-2025.md check 5).
    """
    return kumar_factor(weight_bits, activation_bits, kv_bits) / kumar_factor(16, 16, 16)


@dataclass(frozen=True)
class Precision:
    """One training number format: which peak it runs at, how fast it realises, what it costs in loss."""

    name: str
    description: str
    peak: PeakColumn
    """Catalogue peak column (``peak_<peak>_tflops``) that utilisation refers to."""
    speedup_low: float
    speedup: float
    speedup_high: float
    """Realised whole-run speed-up over BF16 (low, point, high)."""
    speedup_source: str
    peak_ratio: float
    """Nominal datasheet peak over the BF16 peak (FP8 2x on Hopper/Blackwell, FP4 4x on Blackwell):
    the default BF16-calibrated utilisation is rescaled by speed-up / this ratio."""
    weight_bits: float
    activation_bits: float
    kv_bits: float
    """Bits during training for Kumar's effective parameters (16: no loss effect)."""
    token_efficiency: float
    """Multiplier on the stream's effective data (1: none)."""
    loss_source: str

    @property
    def params_factor(self) -> float:
        """Kumar's ``N_eff/N`` relative to 16-bit training at this format's bits."""
        return float(params_factor(self.weight_bits, self.activation_bits, self.kv_bits))


FP8_SOURCE = (
    "docs/hardware-literature.md §9: realised FP8 speed-up 1.3 (1.2-1.75; Apertus +26%, FP8-LM "
    "+64-75%), never the datasheet 2x"
)
FP4_SPEEDUP_SOURCE = (
    "assumption [A]: FP8's realised range x the FP4/FP8 math ratio 2 (GB200; NVIDIA arXiv 2509.25149 "
    "[S]: FP4 2x FP8 on GB200, 3x on GB300), low end no better than FP8; no realised whole-run "
    "FP4 speed-up is published in the reference"
)

BF16 = Precision(
    name="bf16",
    description="BF16 mixed precision: the format the shipped laws and utilisation were fitted on",
    peak="bf16",
    speedup_low=1.0,
    speedup=1.0,
    speedup_high=1.0,
    speedup_source="reference format",
    peak_ratio=1.0,
    weight_bits=16,
    activation_bits=16,
    kv_bits=16,
    token_efficiency=1.0,
    loss_source="reference format (laws fitted on 16-bit runs)",
)

FORMATS: dict[str, Precision] = {
    p.name: p
    for p in (
        BF16,
        Precision(
            name="fp8",
            description="FP8 (E4M3, block-scaled as DeepSeek-V3) GEMMs, higher precision elsewhere",
            peak="fp8",
            speedup_low=1.2,
            speedup=1.3,
            speedup_high=1.75,
            speedup_source=FP8_SOURCE,
            peak_ratio=2.0,
            weight_bits=8,
            activation_bits=8,
            kv_bits=8,
            token_efficiency=1.0,
            loss_source=f"{KUMAR_SOURCE}; all 8 bits: +0.14% loss at 37B on 14.8T, under "
            "DeepSeek-V3's reported <0.25% (arXiv 2412.19437 §3.3; laws-2025.md check 6)",
        ),
        Precision(
            name="nvfp4",
            description="NVFP4 (E2M1, 16-element blocks with E4M3 scales, Hadamard transforms, "
            "a few BF16 layers; Blackwell)",
            peak="fp4",
            speedup_low=1.3,
            speedup=2.6,
            speedup_high=3.5,
            speedup_source=FP4_SPEEDUP_SOURCE,
            peak_ratio=4.0,
            weight_bits=4,
            activation_bits=4,
            kv_bits=4,
            token_efficiency=1.0,
            loss_source=f"{KUMAR_SOURCE}; all 4 bits: +1.26% at 12B on 10T, inside NVFP4's "
            "reported <1% (about 1.5% in the decay) band (arXiv 2509.25149 [S]; laws-2025.md check 7)",
        ),
        Precision(
            name="mxfp4",
            description="MXFP4 (E2M1, 32-element blocks with power-of-two scales)",
            peak="fp4",
            speedup_low=1.3,
            speedup=2.6,
            speedup_high=3.5,
            speedup_source=FP4_SPEEDUP_SOURCE,
            peak_ratio=4.0,
            weight_bits=4,
            activation_bits=4,
            kv_bits=4,
            token_efficiency=1.0 / 1.36,
            loss_source="as nvfp4, and token efficiency 1/1.36 = 0.7353: MXFP4 matches NVFP4 only on "
            "36% more tokens (1.36T instead of 1T; arXiv 2509.25149 [S]; laws-2025.md check 8)",
        ),
    )
}
"""The training formats, by name (``training.precision``)."""

PRECISION_NAMES = tuple(FORMATS)
PrecisionName = Literal["bf16", "fp8", "nvfp4", "mxfp4"]
"""The schema's type for ``training.precision``: the table's names (checked below)."""
if get_args(PrecisionName) != PRECISION_NAMES:  # one table: the Literal must list FORMATS
    raise RuntimeError(f"PrecisionName {get_args(PrecisionName)} != FORMATS {PRECISION_NAMES}")


def precision(name: str) -> Precision:
    """The format of ``name`` (the schema only lets table names through)."""
    return FORMATS[name]
