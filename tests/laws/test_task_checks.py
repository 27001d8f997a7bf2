"""Check 16 of laws-2025.md: the observational capability space (Ruan et al. 2024).

The planner predicts per-benchmark accuracy only from a user's ladder (planner.laws.task_fit);
Ruan's family calibration is not modelled, and no fitted constants of it are shipped. This
golden test pins the evidence the choice rests on: benchmark scores of public models lie in a
low-dimensional space, and capabilities are log-linear in compute within one family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ROOT

DATA = ROOT / "tests" / "data" / "obsscaling_base_llm_benchmark_eval.csv"
METRICS = [
    "MMLU",
    "ARC-C",
    "HellaSwag",
    "Winograd",
    "TruthfulQA",
    "GSM8K",
    "XWinograd",
    "HumanEval",
]


def test_check_16_observational_capability_space() -> None:
    """laws-2025.md check 16 (ryoungj/ObsScaling eval_results/base_llm_benchmark_eval.csv):
    unstandardised PCA of the 8 metrics over the 124 complete rows: PC1 share 0.843 +-0.01,
    first three 0.974 +-0.01; Pythia PC1 vs log10 FLOPs |correlation| > 0.98."""
    frame = pd.read_csv(DATA)
    assert len(frame) == 148
    complete = frame.dropna(subset=METRICS)
    assert len(complete) == 124
    centred = complete[METRICS].to_numpy() - complete[METRICS].to_numpy().mean(axis=0)
    _, singular, components = np.linalg.svd(centred, full_matrices=False)
    share = singular**2 / np.sum(singular**2)
    assert share[0] == pytest.approx(0.843, abs=0.01)
    assert share[:3].sum() == pytest.approx(0.974, abs=0.01)
    pc1 = centred @ components[0]
    pythia = (complete["Model Family"] == "Pythia").to_numpy()
    flops = np.log10(complete["FLOPs (1E21)"].to_numpy()[pythia])
    assert abs(np.corrcoef(pc1[pythia], flops)[0, 1]) > 0.98
