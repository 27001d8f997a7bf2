"""The accelerator catalog: one row per accelerator, each with its source.

Data lives in ``planner/data/hardware.csv``, with a source on every row (where each
column comes from: ``planner/data/README.md``). Peaks are *dense* tensor FLOP/s: datasheet figures
quoted "with sparsity" are halved. Prices are on-demand or capacity-block
quotes with the date the source gives, not today's price.
"""

from __future__ import annotations

import csv
import difflib
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from planner.errors import InputError
from planner.limits import (
    MAX_MEMORY_BW_TBS,
    MAX_MEMORY_GB,
    MAX_NAME_LENGTH,
    MAX_PEAK_TFLOPS,
    MAX_PRICE_USD_PER_HOUR,
    MAX_TDP_W,
    MIN_MEMORY_GB,
    MIN_PEAK_TFLOPS,
)
from planner.precisions import FORMATS

__all__ = [
    "Accelerator",
    "catalog",
    "closest",
    "hardware",
]


class Accelerator(BaseModel):
    """One accelerator: peak throughput, memory, power and a default price."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: str = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="Catalog id, e.g. 'h100-sxm', or a name for a custom spec.",
    )
    name: str = Field(
        "custom accelerator", max_length=MAX_NAME_LENGTH, description="Human-readable name."
    )
    peak_bf16_tflops: float = Field(
        ge=MIN_PEAK_TFLOPS, le=MAX_PEAK_TFLOPS, description="Dense BF16 (16-bit) peak, TFLOP/s."
    )
    peak_fp8_tflops: float | None = Field(
        None,
        ge=MIN_PEAK_TFLOPS,
        le=MAX_PEAK_TFLOPS,
        description="Dense FP8 peak, TFLOP/s; empty if the part has no FP8.",
    )
    peak_fp4_tflops: float | None = Field(
        None,
        ge=MIN_PEAK_TFLOPS,
        le=MAX_PEAK_TFLOPS,
        description="Dense FP4 peak (NVFP4/MXFP4), TFLOP/s; empty if the part has no FP4.",
    )
    memory_gb: float | None = Field(
        None, ge=MIN_MEMORY_GB, le=MAX_MEMORY_GB, description="Accelerator memory, GB (1e9 bytes)."
    )
    memory_bw_tbs: float | None = Field(
        None, gt=0, le=MAX_MEMORY_BW_TBS, description="Memory bandwidth, TB/s."
    )
    tdp_w: float | None = Field(
        None,
        gt=0,
        le=MAX_TDP_W,
        description="Board power (TDP, or measured maximum where no TDP exists), W.",
    )
    price_usd_per_hour: float | None = Field(
        None,
        gt=0,
        le=MAX_PRICE_USD_PER_HOUR,
        description="Default price per accelerator-hour, USD.",
    )
    scale_up_gbs: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Scale-up (NVLink-class) bandwidth per accelerator, GB/s, both directions summed.",
    )
    scale_up_domain: int | None = Field(
        None, ge=1, le=1_000_000, description="Accelerators sharing one scale-up domain (8 on HGX)."
    )
    scale_out_gbs: float | None = Field(
        None,
        gt=0,
        le=1e6,
        description="Scale-out (InfiniBand/Ethernet) bandwidth per accelerator, GB/s, one direction.",
    )
    link_source: str = Field(
        "given in the scenario", description="Where the link bandwidths come from."
    )
    price_date: str | None = Field(None, description="When the price was quoted.")
    price_source: str = Field("given in the scenario", description="Where the price comes from.")
    spec_source: str = Field("given in the scenario", description="Where the specs come from.")

    def peak_flops(self, precision: str) -> float:
        """Dense peak in FLOP/s of a training format's peak column (planner.precisions)."""
        column = FORMATS[precision].peak if precision in FORMATS else precision
        if column == "bf16":
            return self.peak_bf16_tflops * 1e12
        peak = self.peak_fp8_tflops if column == "fp8" else self.peak_fp4_tflops
        if peak is None:
            having = [a for a, s in catalog().items() if getattr(s, f"peak_{column}_tflops")]
            raise InputError(
                f"accelerator {self.id} has no {column.upper()} peak",
                field="training.precision",
                value=precision,
                allowed=f"use precision: bf16 or an accelerator with {column.upper()} "
                f"({', '.join(having)}), or give peak_{column}_tflops in an inline spec",
            )
        return peak * 1e12


def _optional(text: str) -> float | None:
    return float(text) if text.strip() else None


@cache
def catalog() -> dict[str, Accelerator]:
    """Every catalog accelerator by id, in file order."""
    text = resources.files("planner").joinpath("data/hardware.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(text.splitlines())
    out: dict[str, Accelerator] = {}
    for row in rows:
        out[row["id"]] = Accelerator(
            id=row["id"],
            name=row["name"],
            peak_bf16_tflops=float(row["peak_bf16_tflops"]),
            peak_fp8_tflops=_optional(row["peak_fp8_tflops"]),
            peak_fp4_tflops=_optional(row["peak_fp4_tflops"]),
            memory_gb=_optional(row["memory_gb"]),
            memory_bw_tbs=_optional(row["memory_bw_tbs"]),
            tdp_w=_optional(row["tdp_w"]),
            price_usd_per_hour=_optional(row["price_usd_per_hour"]),
            price_date=row["price_date"] or None,
            price_source=row["price_source"],
            spec_source=row["spec_source"],
            scale_up_gbs=_optional(row["scale_up_gbs"]),
            scale_up_domain=int(row["scale_up_domain"]) if row["scale_up_domain"] else None,
            scale_out_gbs=_optional(row["scale_out_gbs"]),
            link_source=row["link_source"],
        )
    return out


def closest(word: str, choices: list[str], n: int = 3) -> list[str]:
    """The ``n`` choices most like ``word``: containing it first, then by similarity.

    >>> closest("tpuv4", list(catalog()))
    ['tpu-v4', 'tpu-v3', 'tpu-v5e']
    """

    def score(choice: str) -> tuple[bool, float]:
        ratio = difflib.SequenceMatcher(None, word, choice).ratio()
        return (bool(word) and word in choice, ratio)

    return sorted(choices, key=score, reverse=True)[:n]


def hardware(accelerator_id: str) -> Accelerator:
    """Look up an accelerator by catalog id, ignoring case.

    >>> hardware("H100-SXM").peak_bf16_tflops
    989.4
    >>> hardware("h100")
    Traceback (most recent call last):
    ...
    planner.errors.InputError: unknown accelerator (got 'h100'); closest catalog ids: h100-sxm, h100-pcie, v100 (all ids: planner hardware)
    """
    table = catalog()
    key = accelerator_id.strip().lower()
    if key in table:
        return table[key]
    close = closest(key, list(table))
    raise InputError(
        "unknown accelerator",
        value=accelerator_id,
        allowed=f"closest catalog ids: {', '.join(close)} (all ids: planner hardware)",
    )
