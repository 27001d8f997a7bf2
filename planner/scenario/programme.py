"""The whole programme around a final run: development and evaluation compute, and owned
accelerators priced at amortised cost. A scenario's optional ``programme:`` block."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from planner import defaults
from planner.scenario.fields import Amount, Strict
from planner.scenario.stages import Ladder, ValuationAnneals

__all__ = ["OwnedAccelerators", "Programme"]


class OwnedAccelerators(Strict):
    """Accelerators the organisation owns: an amortised hourly cost instead of a rental price."""

    purchase_usd: Amount = Field(
        description="Purchase price of one accelerator (with its share of the server), USD."
    )
    depreciation_per_year: float = Field(
        defaults.DEPRECIATION_PER_YEAR,
        gt=0,
        le=5,
        description="Share of the value lost per year (default 0.32: price-performance improves 0.14 orders "
        "of magnitude a year, Cottier et al. 2024).",
    )
    interconnect_share: float = Field(
        defaults.INTERCONNECT_SHARE,
        ge=0,
        le=5,
        description="Cluster-level interconnect as a share of the accelerator cost (default 0.19, Cottier et al. 2024).",
    )
    energy_usd_per_kwh: float = Field(
        0.0, ge=0, le=10, description="Electricity price, USD per kWh (0 = left out)."
    )


class Programme(Strict):
    """The whole programme around the final run, reported as separate lines."""

    development_multiple: float | Literal["llama-1"] = Field(
        0.0,
        description="Development and ablation compute as a multiple of the final run's accelerator-hours; "
        "'llama-1' = 2.4 (LLaMA-1's development beyond its four final runs, Touvron et al. 2023 §6.1).",
    )
    evaluation_share: float = Field(
        0.0,
        ge=0,
        le=10,
        description="Evaluation compute as a share of the final run's hours (assumption: give yours).",
    )
    owned: OwnedAccelerators | None = Field(
        None,
        description="Owned accelerators: the final run also priced at amortised cost (Epoch AI's method).",
    )
    ladder: Ladder | None = Field(
        None,
        description="A scaling ladder trained first (Bhagia et al. 2024): a budget line at the run's "
        "accelerator, utilisation and price.",
    )
    anneals: ValuationAnneals | None = Field(
        None,
        description="Dataset-valuation anneals (Llama 3 §3.1.3): a budget line at the run's "
        "accelerator, utilisation and price.",
    )

    @property
    def development(self) -> float:
        if self.development_multiple == "llama-1":
            return defaults.DEVELOPMENT_MULTIPLE_LLAMA1
        return float(self.development_multiple)

    @model_validator(mode="after")
    def _bounded(self) -> Programme:
        if not 0 <= self.development <= 100:
            raise ValueError(f"development_multiple {self.development} is outside 0-100")
        return self
