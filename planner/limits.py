"""Explicit limits on what the planner reads and computes, each with its reason.

Every limit here is a *sanity bound* (an assumption chosen to stop hostile or broken input
early, with the number in the error), not a physical constant. Each is far above any real
plan: a limit that a real plan could reach is a bug, report it.
"""

from __future__ import annotations

__all__ = [
    "MAGNITUDE",
    "MAX_ACCELERATORS",
    "MAX_API_USD_PER_MILLION",
    "MAX_BACKTEST_BYTES",
    "MAX_CSV_COLUMNS",
    "MAX_CSV_ROWS",
    "MAX_DEPTH",
    "MAX_EXPERTS",
    "MAX_GENERATIONS",
    "MAX_HEADS",
    "MAX_LAW_BYTES",
    "MAX_LAW_E",
    "MAX_LAW_SD",
    "MAX_LAW_VARIANCE",
    "MAX_LAYERS",
    "MAX_LIST_ITEMS",
    "MAX_MEMORY_BW_TBS",
    "MAX_MEMORY_GB",
    "MAX_MIX_FIT_WORK",
    "MAX_NAME_LENGTH",
    "MAX_PARAMS",
    "MAX_PEAK_TFLOPS",
    "MAX_PLAN_SOURCES",
    "MAX_PRICE_USD_PER_HOUR",
    "MAX_QUANTITY",
    "MAX_RUNS_BYTES",
    "MAX_SCENARIO_BYTES",
    "MAX_SEQ_LEN",
    "MAX_SOURCES",
    "MAX_SOURCE_TEXT",
    "MAX_SWEEP_POINTS",
    "MAX_TDP_W",
    "MAX_TOKENS",
    "MAX_TOKEN_RATIO",
    "MAX_VARIANTS",
    "MAX_VOCAB",
    "MAX_WIDTH",
    "MAX_YAML_NODES",
    "MIN_MEASURED_RATE",
    "MIN_MEMORY_GB",
    "MIN_PEAK_TFLOPS",
    "MIN_UTILIZATION",
    "MIN_YIELD",
    "SHOWN_CHARS",
]

# --- files ---------------------------------------------------------------------------------
MAX_SCENARIO_BYTES = 1_000_000
"""Scenario files (YAML/JSON). Assumption: a scenario is a few kB; the shipped ones are < 10 kB."""
MAX_LAW_BYTES = 100_000
"""Law files. Assumption: ``planner fit --out`` writes under 2 kB."""
MAX_RUNS_BYTES = 200_000_000
"""Run tables for ``planner fit``. Assumption: 1M runs of 7 numeric columns is about 100 MB."""
MAX_BACKTEST_BYTES = 10_000_000
"""Backtest CSVs. Assumption: the shipped table of published runs is about 10 kB."""
MAX_CSV_ROWS = 1_000_000
"""Rows in a run table. Assumption: more runs than any published scaling study (Chinchilla: 245)
by four orders of magnitude; the fitter's memory and time are bounded for this many."""
MAX_CSV_COLUMNS = 1_000
"""Columns in a CSV table. Assumption: run tables have about 10, the backtest table about 20;
pandas takes seconds per 100k columns, so a wide header is refused before parsing."""
MAX_DEPTH = 64
"""Nesting of mappings and lists in YAML/JSON. Assumption: a scenario nests about 8 deep."""
MAX_YAML_NODES = 1_000_000
"""Values in a YAML document after alias expansion. A 1 MB file without aliases holds at most
about 500k values (``[1,1,...]``), so only alias expansion ("billion laughs") can reach this."""

# --- scenario size -------------------------------------------------------------------------
MAX_VARIANTS = 500
"""Variants per scenario. Assumption: a comparison table of more is unreadable; use a sweep."""
MAX_SOURCES = 200
"""Data sources per scenario (and per variant). Assumption: real mixtures list tens of sources."""
MAX_LIST_ITEMS = 500
"""Items in any other list of a scenario (grading passes, ...). Assumption: real scenarios
list a handful; validating 25,000 items took 45 s and 3 GB."""
MAX_PLAN_SOURCES = 20_000
"""Plans x data sources per scenario ((variants + 1) x sources), the work of one ``run``.
Assumption: real comparisons are tens of plans of tens of sources; 500 variants of 200
sources (100k) took 28 s to run."""
MAX_NAME_LENGTH = 200
"""Characters in a scenario, plan or source name (names label tables and chart axes)."""
MAX_SOURCE_TEXT = 2_000
"""Characters of a provenance text (a preset's or a rate's ``source``), shown beside losses and
costs. Assumption: the shipped ones are under 400; a 90k-character preset name slowed the
HTML report threefold."""
MAX_GENERATIONS = 1_000
"""``synthetic.generations`` (model-collapse loop). Assumption: published collapse studies run
at most tens of generations (Shumailov et al. 2024: 9; Gerstgrasser et al. 2024: 50)."""

# --- magnitudes ----------------------------------------------------------------------------
MAX_QUANTITY = 1e30
"""Any count or amount (``70B``, a fee in USD). Sanity bound: 1e30 FLOPs is ~10^4 x the
largest training run to date (~5e26 FLOPs, 2025); nothing the planner counts comes near."""
MAGNITUDE = (1e-30, MAX_QUANTITY)
"""Sanity bound on the size of every non-zero number in a scenario (either sign). Products
of a handful of such numbers stay far inside float64 (about 1.8e308), so no output is inf."""
MAX_PARAMS = 1e16
"""Parameters. Sanity bound: ~10^4 x the largest published dense or MoE models (~2e12)."""
MAX_TOKENS = 1e18
"""Tokens. Sanity bound: ~10^4 x the largest reported pretraining corpora (~3.6e13 tokens)."""
MAX_LAYERS = 100_000
"""Transformer blocks. Sanity bound: ~10^3 x the deepest published LLMs (about 100-130)."""
MAX_WIDTH = 10_000_000
"""Hidden, head and feed-forward sizes. Sanity bound: ~10^2 x the widest published FFN (~1e5)."""
MAX_HEADS = 100_000
"""Attention heads. Sanity bound: ~10^3 x published models (at most about 128)."""
MAX_VOCAB = 100_000_000
"""Vocabulary size. Sanity bound: ~10^2 x the largest published vocabularies (~2.6e5)."""
MAX_SEQ_LEN = 100_000_000
"""Training sequence length. Sanity bound: ~10^2 x the longest published contexts (~1e6)."""
MAX_EXPERTS = 100_000
"""Experts per layer (and experts per token). Sanity bound: ~10^2 x DeepSeek-V3's 256."""
MAX_ACCELERATORS = 100_000_000
"""Accelerators in one run. Sanity bound: ~10^3 x the largest 2025 clusters (~1e5)."""
MAX_PRICE_USD_PER_HOUR = 1e7
"""USD per accelerator-hour. Sanity bound: cloud list prices are $1-$100 per accelerator-hour."""
MIN_PEAK_TFLOPS = 1e-3
"""Dense peak, TFLOP/s. Sanity bound: a 2010 CPU core is about 0.01 TFLOP/s."""
MAX_PEAK_TFLOPS = 1e7
"""Dense peak, TFLOP/s. Sanity bound: ~10^3 x a 2025 accelerator (B200 fp8 dense: 4.5e3)."""

MAX_LAW_E = 100.0
"""Irreducible loss E of a law, nats per token. Sanity bound: a uniform guess over a
million-token vocabulary is ln(1e6) = 13.8 nats; published fits have E of 1.7-2.0."""
MAX_LAW_VARIANCE = 100.0
"""Largest variance on a law's covariance diagonal. Sanity bound: a standard deviation of 10 (in
nats for E, in e-folds for A and B; Besiroglu's bootstrap: at most 0.18). The Monte Carlo also
clips its draws to a law's bounds."""
MAX_LAW_SD = (0.25, 1.0, 1.0, 0.05, 0.05)
"""Largest standard deviation of each of a law's (E, ln A, ln B, alpha, beta). Sanity bound:
2-10x Besiroglu et al.'s bootstrap (0.027, 0.24, 0.43, 0.015, 0.021); at MAX_LAW_VARIANCE
for alpha and beta (a standard deviation of 10) a 7B plan's loss band was 0 to 3e8 nats."""
MAX_MEMORY_GB = 1e6
"""Accelerator memory, GB. Sanity bound: ~10^4 x a 2025 accelerator (MI300X: 192 GB)."""
MIN_MEMORY_GB = 1e-3
"""Accelerator memory, GB. Sanity bound: 1 MB; no training accelerator has less."""
MAX_MEMORY_BW_TBS = 1e4
"""Memory bandwidth, TB/s. Sanity bound: ~10^3 x a 2025 accelerator (B200: 8 TB/s)."""
MAX_TDP_W = 1e6
"""Board power, W. Sanity bound: ~10^3 x a 2025 accelerator (B200: 1,200 W)."""
MAX_API_USD_PER_MILLION = 1e6
"""USD per million tokens (API prices, licences, processing). Sanity bound: list prices are
$0.01-$100 per million tokens; above 10^6 a cost of 10^18 tokens stays inside the Monte
Carlo's float32 cells (about 3.4e38), where 1e30 per million overflowed to inf."""
MAX_TOKEN_RATIO = 1e3
"""Tokens read or written per generated token (prompt ratio, a judge's tokens) and grading
passes. Sanity bound: real values are 0.01-4 (assumption); 1e30 overflowed costs to inf."""
MIN_MEASURED_RATE = 1.0
"""Generated tokens per accelerator-hour of a measured generator. Sanity bound: measured
rates are 1e6-1e8 (data-mix-literature.md §7); 1e-30 gave costs of 1e42 USD (inf in float32)."""

MIN_UTILIZATION = 1e-4
"""Utilisation (share of peak) of training or a self-hosted generator. Sanity bound: 0.01% of
peak; published runs are at 20-60% and inference at several percent. 1e-30 gave inf costs."""

MIN_YIELD = 1e-6
"""Acceptance yield of a synthetic pool (kept / generated). Sanity bound: filters keeping one
token in a million; 5e-30 made 6e40 generated tokens, inf in the Monte Carlo's float32."""

# --- work ----------------------------------------------------------------------------------
MAX_SWEEP_POINTS = 20_000_000
"""Plans in one in-memory sweep. Derived from memory: a sweep row carries about 40 float64
outputs (320 bytes) plus about as much in temporaries, so 2e7 rows need about 13 GB at once
in the worst case and about 1-2 GB when streamed in chunks; above this, use the Dask engine."""

MAX_MIX_FIT_WORK = 1_000_000
"""Runs x (bootstrap resamples + 1) in one ``planner fit-mix``. Derived from time: each run of
each fit costs about 4 us (97 optimum shares, least squares), so this is about 4 s; 200,000
runs with 20 resamples took 17 s. Assumption: ablation studies have tens of runs."""

# --- messages ------------------------------------------------------------------------------
SHOWN_CHARS = 80
"""Characters of a user value echoed in an error message (the rest is elided)."""
