"""Default constants, each with its source or an explicit "assumption" label.

The report's assumptions table and ``planner assumptions`` are generated from
``ASSUMPTIONS`` below, so a constant added here without a source shows up as
such. Background for each choice is in ``docs/decisions.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCELERATOR_COUNT",
    "ASSUMPTIONS",
    "BYTES_PER_PARAM_TRAINING",
    "GOODPUT",
    "GRADER_INPUT_TOKENS_PER_TOKEN",
    "GRADER_OUTPUT_TOKENS_PER_TOKEN",
    "GRID_KG_CO2_PER_KWH",
    "INFERENCE_FLOPS_PER_PARAM",
    "INFERENCE_UTILIZATION",
    "MONTE_CARLO_SAMPLES",
    "OPTIMIZER_MAX_EPOCHS",
    "PRICE_SPREAD",
    "PROMPT_TOKENS_PER_TOKEN",
    "PUE",
    "R_STAR_SYNTHETIC",
    "SYNTHETIC_WEIGHT",
    "SYNTHETIC_WEIGHT_HIGH",
    "SYNTHETIC_WEIGHT_LOW",
    "UTILIZATION",
    "UTILIZATION_HIGH",
    "UTILIZATION_LOW",
    "YIELD_SPREAD",
    "Assumption",
]


@dataclass(frozen=True)
class Assumption:
    """A default value with where it comes from."""

    name: str
    value: float | str
    source: str


# Whole-run utilisation (MFU on 6·N·D model FLOPs over *all* reported accelerator-hours),
# calibrated on the 25 runs of planner/data/published_runs.csv that report hours for one
# accelerator type (estimates excluded): median 0.304, 10th percentile 0.200, 90th 0.449.
# A whole-run figure already absorbs restarts, evaluation and idle time, which is why
# goodput defaults to 1.0. tests/compute/test_backtest.py recomputes these from the CSV.
UTILIZATION = 0.30
UTILIZATION_LOW = 0.20
UTILIZATION_HIGH = 0.45

# Accelerators when a scenario gives none. Assumption: a mid-size 2024-25 pretraining allocation
# (Phi-3 512 and Phi-4 1,920 H100; OLMo 2 on 1,024 H100; published_runs.csv). The plan says so.
ACCELERATOR_COUNT = 1024

# Share of billed wall-clock that trains. 1.0 because UTILIZATION is whole-run (above).
# Lower it (Llama 3 reports >90% effective training time, arXiv 2407.21783 §3.3.4) only
# when the utilisation you give is a steady-state benchmark figure.
GOODPUT = 1.0

# Power usage effectiveness: 1.1 as used by Touvron et al. 2023 (LLaMA, Table 15 method).
PUE = 1.1

# Grid carbon intensity, kg CO2e per kWh: 0.385, the US average used by Touvron et al. 2023.
GRID_KG_CO2_PER_KWH = 0.385

# Mixed-precision Adam: 2 (bf16 weights) + 2 (bf16 grads) + 12 (fp32 master weights,
# momentum, variance) bytes per parameter; Rajbhandari et al. 2020 (ZeRO), §3.1.
# Activations, buffers and fragmentation are not included.
BYTES_PER_PARAM_TRAINING = 16.0

# Self-hosted generator utilisation, derived from WRAP (Maini et al. 2024): 85B tokens from
# a 7.24B rephraser in ~25K A100-hours = 3.4M tokens/GPU-h; with a 1:1 prompt ratio that is
# 2·7.24e9·2·3.4e6/3600 s = 2.74e13 FLOP/s = 0.088 of the A100's 312 TFLOP/s. Derived.
INFERENCE_UTILIZATION = 0.088

# Prompt tokens read per generated token: 1.0 for rephrasing (the source passage is about
# as long as its rewrite; WRAP rephrases chunks of <=300 tokens). Assumption.
PROMPT_TOKENS_PER_TOKEN = 1.0

# A grading pass reads each candidate once (1.0 input token per generated token) and
# writes a short verdict: 0.01 output tokens per token (~5 tokens per ~500-token
# candidate). Assumption.
GRADER_INPUT_TOKENS_PER_TOKEN = 1.0
GRADER_OUTPUT_TOKENS_PER_TOKEN = 0.01

# Inference FLOPs per token processed: 2·N (Kaplan et al. 2020, Eq. 2.2; attention ignored).
INFERENCE_FLOPS_PER_PARAM = 2.0

# Value of a synthetic token relative to a real one (docs/literature.md §8.4, §3e): 1.0 for
# rephrased data at moderate shares; pessimistic 0.5; optimistic 2.5, the middle of the 2-3
# range consistent with WRAP's ~3x speed-up (Maini et al. 2024) and Kang et al. 2025's 5-10x
# only at ~30% share. The Monte Carlo samples between 0.5 and 2.5 (10th-90th percentile).
SYNTHETIC_WEIGHT = 1.0
SYNTHETIC_WEIGHT_LOW = 0.5
SYNTHETIC_WEIGHT_HIGH = 2.5

# Repetition constant of a synthetic pool: Muennighoff's R*_D = 15.39 as a conservative
# default (Phi-4 saw 12-14 synthetic epochs without overfitting). Calculator assumption.
R_STAR_SYNTHETIC = 15.387756

# Monte Carlo spreads: price P90/P50 = 1.25 (assumption: the H100 quotes in the reference
# price table span $1.49-$12.29/h; one buyer's uncertainty is far narrower); acceptance
# yield uniform within +-20% (assumption).
PRICE_SPREAD = 0.25
YIELD_SPREAD = 0.20
MONTE_CARLO_SAMPLES = 10_000

# The whole programme (optional ``programme:`` block), reported beside the final run.
# Development and ablation compute as a multiple of the final run: LLaMA-1's ~2,638 MWh to
# develop the family (2,048 A100s for ~5 months) against 449 MWh for the final 65B run and 777 MWh
# for all four final runs (Touvron et al. 2023, §6.1 and Table 15): development beyond the final
# runs was ~2.4x their total, ~4.1x the 65B run. Offered as the "llama-1" preset, not a default.
OPTIMIZER_MAX_EPOCHS = 4.0
"""Most epochs the optimiser may put on one pool, synthetic pools included. Muennighoff et al. 2023
(arXiv 2305.16264): "up to 4 epochs ... negligible changes to loss compared to having unique data";
the published mixture gains (Kang et al. 2025, WRAP) were measured on synthetic data seen about
once, so a plan reading a rewrite pool 16 times is outside every pool's evidence (issue 19).
``optimize.max_epochs`` raises it deliberately. (It was 16, R* = 15.4, until 2026-12-06.)"""

DEVELOPMENT_MULTIPLE_LLAMA1 = (2638.0 - 777.0) / 777.0
# Owned accelerators amortised over their life (Cottier et al. 2024, arXiv 2405.21015, Epoch AI's
# method): value lost per hour = purchase price x depreciation rate / 8,766 h, with ML hardware
# price-performance improving 0.14 orders of magnitude a year (rate 0.14 x ln 10 = 0.32/yr), plus
# cluster-level interconnect at 19% of the chip cost; energy is added at the facility's price.
DEPRECIATION_PER_YEAR = 0.14 * 2.302585092994046
INTERCONNECT_SHARE = 0.19
HOURS_PER_YEAR = 8766.0

ASSUMPTIONS: tuple[Assumption, ...] = (
    Assumption(
        "utilization (whole-run MFU)",
        f"{UTILIZATION} ({UTILIZATION_LOW}-{UTILIZATION_HIGH})",
        "median (P10-P90) of implied whole-run MFU over 25 published runs; planner backtest",
    ),
    Assumption("goodput", GOODPUT, "1.0 because the default utilisation is whole-run"),
    Assumption(
        "optimiser: most epochs on one pool",
        OPTIMIZER_MAX_EPOCHS,
        "Muennighoff et al. 2023: up to 4 epochs about as good as fresh data; optimize.max_epochs changes it",
    ),
    Assumption("PUE", PUE, "Touvron et al. 2023 (LLaMA) Table 15 method"),
    Assumption("grid kg CO2e/kWh", GRID_KG_CO2_PER_KWH, "US average, Touvron et al. 2023"),
    Assumption(
        "training memory, bytes/param",
        BYTES_PER_PARAM_TRAINING,
        "mixed-precision Adam, Rajbhandari et al. 2020 (ZeRO); activations excluded",
    ),
    Assumption(
        "generator utilisation",
        INFERENCE_UTILIZATION,
        "derived from WRAP (Maini et al. 2024): 3.4M tokens per A100-hour with a 7B rephraser",
    ),
    Assumption(
        "prompt tokens per generated token", PROMPT_TOKENS_PER_TOKEN, "assumption (rephrasing)"
    ),
    Assumption(
        "grader tokens in/out per candidate token",
        f"{GRADER_INPUT_TOKENS_PER_TOKEN} / {GRADER_OUTPUT_TOKENS_PER_TOKEN}",
        "assumption (reads the candidate, writes a short verdict)",
    ),
    Assumption("inference FLOPs per token", "2N", "Kaplan et al. 2020, Eq. 2.2"),
    Assumption(
        "mixture gain, rephrased (conservative preset)",
        "2.0x at a 30% share (P10-P90 1.2-6), 1.0x alone",
        "assumption: downstream gains of rephrasing are small (WRAP +2%, REWIRE +1-2.5 pp); optimum and "
        "alone-gain from Kang et al. 2025 (arXiv 2510.01631); presets wrap-2024 (3.63x), kang-2025 (6x)",
    ),
    Assumption(
        "mixture gain, generated (textbook-kang-2025 preset)",
        "1.3x at a 5% share (P10-P90 1.0-1.6), 0.6x alone",
        "Kang et al. 2025: textbook-style data alone is worse; the 5% optimum has one secondary source; "
        "1.3x and 0.6x are assumptions",
    ),
    Assumption(
        "rephrasing information cap",
        "rho 0.49, k* 8 (1.48x at 32 rephrasings)",
        "Kim et al. 2026 (arXiv 2603.18534): 1.48x at 32 rephrases per document; k* is an assumption",
    ),
    Assumption(
        "explicit synthetic value weight (override)",
        f"{SYNTHETIC_WEIGHT} ({SYNTHETIC_WEIGHT_LOW}-{SYNTHETIC_WEIGHT_HIGH}) when given as 'default'",
        "WRAP (Maini et al. 2024), Kang et al. 2025, BeyondWeb (docs/literature.md §8.4); pessimistic/optimistic presets",
    ),
    Assumption(
        "synthetic pool R*",
        R_STAR_SYNTHETIC,
        "Muennighoff et al. 2023 R*_D, used as a conservative default",
    ),
    Assumption("price spread (P90/P50 - 1)", PRICE_SPREAD, "assumption"),
    Assumption("acceptance-yield spread", YIELD_SPREAD, "assumption"),
    Assumption(
        "training FLOPs per token (6nd)",
        "6N (active)",
        "Kaplan et al. 2020; Hoffmann et al. 2022 App. F",
    ),
)
