"""Backtest on published runs, and the calibration behind the default utilisation."""

from pathlib import Path

import pytest

from planner import defaults
from planner.compute.backtest import backtest, calibrate
from planner.errors import InputError


def test_calibrated_defaults_match_the_shipped_data() -> None:
    # planner/defaults.py states the median and P10/P90 of implied whole-run MFU; recompute them.
    median, p10, p90 = calibrate(backtest())
    assert defaults.UTILIZATION == pytest.approx(median, abs=0.005)
    assert defaults.UTILIZATION_LOW == pytest.approx(p10, abs=0.005)
    assert defaults.UTILIZATION_HIGH == pytest.approx(p90, abs=0.005)


def test_backtest_summary_quality() -> None:
    result = backtest()
    assert result.runs_scored == 25
    # 6ND matches reported FLOPs for GPT-3, Gopher (1.25), PaLM, Llama 3.1 405B: median near 1.
    assert result.median_flops_ratio == pytest.approx(1.0, abs=0.02)
    # Typical hours miss at the default utilisation: within a factor 1.35 (|ln| < 0.3).
    assert result.median_abs_log_error < 0.3
    assert 0.6 <= result.range_coverage <= 0.95


def test_published_rows_phi4_and_deepseek() -> None:
    rows = {r.model: r for r in backtest().rows}
    # published_runs.md: Phi-4 whole-run MFU 25.1%, DeepSeek-V3 33.1% (all 2.788M hours).
    assert rows["Phi-4 (14B)"].implied_utilization == pytest.approx(0.251, abs=0.001)
    assert rows["DeepSeek-V3"].implied_utilization == pytest.approx(0.331, abs=0.001)
    assert rows["GPT-3 175B"].flops_ratio == pytest.approx(0.997, abs=0.001)
    assert not rows["GPT-4 (original, 2023)"].scored


def test_any_csv_with_the_columns(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text(
        "model,params_total,params_active,training_tokens,accelerator,accelerator_hours\n"
        "mine,1e9,,1e11,h100-sxm,100\n"
    )
    (row,) = backtest(path).rows
    assert row.implied_utilization == pytest.approx(6e20 / (100 * 3600 * 989.4e12))


def test_bad_csvs(tmp_path: Path) -> None:
    path = tmp_path / "runs.csv"
    path.write_text("model,params_total\nx,1\n")
    with pytest.raises(InputError, match="missing columns: params_active"):
        backtest(path)
    path.write_text(
        "model,params_total,params_active,training_tokens,accelerator,accelerator_hours\n"
        "x,lots,,1e11,h100-sxm,100\n"
    )
    with pytest.raises(InputError, match="row 2: params_total is not a number"):
        backtest(path)
