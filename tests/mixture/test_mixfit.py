"""planner fit-mix: the mixture gain fitted back from ablation runs the plan model made."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.laws.forms import PRESETS, ChinchillaLaw
from planner.mixture.fit import fit_mixture_gain
from tests.mixture.test_mix import rephrased_stream

SHARES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0)


def ablations(preset: str, noise: float = 0.0, seed: int = 0) -> pd.DataFrame:
    """Runs at two budgets (1e9 params; 20B and 100B tokens) over the shares, from the plan model."""
    rng = np.random.default_rng(seed)
    rows = []
    for tokens in (20e9, 100e9):
        for share in SHARES:
            loss = float(rephrased_stream(tokens, share, rephrased=preset)["loss"][0])
            rows.append(
                {
                    "params": 1e9,
                    "tokens": tokens,
                    "synthetic_share": share,
                    "loss": loss * (1 + noise * rng.standard_normal()),
                }
            )
    return pd.DataFrame(rows)


def test_the_gain_is_recovered_from_runs_the_model_made() -> None:
    # A round trip through the estimate's own functions: kang-2025 (σ* 0.3, M_max 6, M_1 1).
    law = PRESETS["besiroglu-2024"]
    assert isinstance(law, ChinchillaLaw)
    runs = ablations("kang-2025")
    fit = fit_mixture_gain(
        law, runs.params, runs.tokens, runs.synthetic_share, runs.loss, bootstrap=20
    )
    assert fit.preset.optimum_share == pytest.approx(0.3, abs=0.01)
    assert fit.preset.max_gain.mid == pytest.approx(6.0, rel=1e-3)
    assert fit.preset.alone_gain == pytest.approx(1.0, rel=1e-3)
    assert fit.rmse_log < 1e-6


def test_noisy_runs_give_intervals_that_cover_the_truth() -> None:
    law = PRESETS["besiroglu-2024"]
    assert isinstance(law, ChinchillaLaw)
    runs = ablations("wrap-2024", noise=1e-3)
    fit = fit_mixture_gain(
        law, runs.params, runs.tokens, runs.synthetic_share, runs.loss, bootstrap=100
    )
    low, high = fit.intervals["max_gain"]
    assert low < 3.63 < high
    assert fit.preset.max_gain.low <= fit.preset.max_gain.mid <= fit.preset.max_gain.high


def test_cli_fit_mix_writes_a_preset_a_scenario_can_use(tmp_path: Path) -> None:
    runs = tmp_path / "ablations.csv"
    ablations("kang-2025").to_csv(runs, index=False)
    out = tmp_path / "gain.yaml"
    result = CliRunner().invoke(main, ["fit-mix", str(runs), "--bootstrap", "20", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "optimum_share:" in result.output and out.exists()
    fitted = rephrased_stream(200e9, 1 / 3, rephrased={"file": str(out)})["loss"][0]
    published = rephrased_stream(200e9, 1 / 3, rephrased="kang-2025")["loss"][0]
    assert fitted == pytest.approx(published, abs=1e-6)


def test_cli_fit_mix_needs_a_share_column(tmp_path: Path) -> None:
    runs = tmp_path / "runs.csv"
    ablations("kang-2025").drop(columns="synthetic_share").to_csv(runs, index=False)
    result = CliRunner().invoke(main, ["fit-mix", str(runs)])
    assert result.exit_code == 2
    assert "no synthetic_share column" in result.output


def test_a_weight_fitted_by_planner_fit_means_the_same_in_a_scenario() -> None:
    # Issue 10: `planner fit` fits D' = D'_real + w·S; in a scenario an explicit value_weight w is
    # exactly that pool's w·D' and replaces the mixture gain, so a fitted weight is not counted
    # twice. Runs made by the plan model with w = 2 give back w = 2 (Huber fit, 1e-3).
    from planner.laws.fit import fit_law
    from planner.plan import evaluate
    from planner.plan.plans import validate
    from tests.conftest import MINIMAL

    api = {"api": {"input_usd_per_million_tokens": 0, "output_usd_per_million_tokens": 0}}
    rows = []
    for params in (1e8, 3e8, 1e9, 3e9, 1e10):
        for tokens in (2e9, 1e10, 5e10, 2e11):
            for share in (0.0, 0.2, 0.5):
                data = [{"name": "web", "tokens": tokens * (1 - share)}]
                if share:
                    data.append(
                        {
                            "name": "syn",
                            "tokens": tokens * share,
                            "synthetic": {"generator": api, "value_weight": 2.0},
                        }
                    )
                doc = {
                    **MINIMAL,
                    "model": {"params": params},
                    "uncertainty": {"samples": 0},
                    "training": {k: v for k, v in MINIMAL["training"].items() if k != "tokens"},
                    "data": data,
                }
                loss = float(evaluate.evaluate(validate(doc))["loss"][0])
                rows.append(
                    {"params": params, "tokens": tokens, "synthetic_share": share, "loss": loss}
                )
    fit = fit_law(pd.DataFrame(rows), bootstrap=0)
    assert fit.synthetic_weight == pytest.approx(2.0, rel=1e-3)
