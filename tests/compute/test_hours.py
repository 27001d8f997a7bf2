"""The hours model: per-step speed × goodput, its calibration on whole-run reports, its range."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.compute import hours
from planner.compute.backtest import backtest, layout_shapes
from planner.compute.calibration import calibrate
from planner.compute.hours import shape_from_params, whole_run
from planner.scenario.accelerators import hardware


def test_goodput_constants_are_the_calibration_on_published_runs() -> None:
    """OTHER_GOODPUT (pooled and per generation) and the residual P10/P90 are what
    planner.compute.calibration.calibrate finds on the shipped published_runs.csv, to 0.01."""
    shapes, implied = layout_shapes()
    values, p10, p90 = calibrate(shapes, implied)
    assert values["pooled"] == pytest.approx(hours.OTHER_GOODPUT, abs=0.01)
    assert values["ampere"] == pytest.approx(hours.OTHER_GOODPUT_AMPERE, abs=0.01)
    assert values["hopper"] == pytest.approx(hours.OTHER_GOODPUT_HOPPER, abs=0.01)
    assert p10 == pytest.approx(hours.RESIDUAL_LOG_P10, abs=0.01)
    assert p90 == pytest.approx(hours.RESIDUAL_LOG_P90, abs=0.01)


def test_backtest_meets_issue_18_targets_in_sample() -> None:
    """Issue 18 done-when on the shipped runs (in-sample: the goodput is calibrated on them):
    coverage inside P10-P90 >= 80%, median miss <= x1.2, median P90/P10 <= 2.5."""
    result = backtest()
    assert result.range_coverage >= 0.8
    assert math.exp(result.median_abs_log_error) <= 1.2
    assert result.median_range_ratio <= 2.5
    classes = {name for name, *_ in result.by_class}
    assert {"3-30B", "over 30B", "MoE"} <= classes


def test_deepseek_v3_fp8_hours_inside_the_range() -> None:
    """hardware-literature.md §9 / issue 18: DeepSeek-V3's 2.79M H800-hours inside P10-P90."""
    rows = {r.model: r for r in backtest().rows}
    row = rows["DeepSeek-V3"]
    assert row.precision == "fp8"
    assert row.predicted_hours_low <= 2.788e6 <= row.predicted_hours_high  # type: ignore[operator]


def test_backtest_rows_show_both_factors_and_the_class() -> None:
    frame = backtest().to_frame()
    for column in ("step_utilization", "goodput", "predicted_utilization", "size_class"):
        assert column in frame.columns
    scored = frame[frame.scored & frame.step_utilization.notna()]
    product = scored.step_utilization * scored.goodput
    assert (product - scored.predicted_utilization).abs().max() < 1e-9


def test_whole_run_chooses_a_layout_and_goodput_falls_with_scale() -> None:
    arch = shape_from_params(7e9, 4096)
    small = whole_run(arch, hardware("h100-sxm"), 64, 4e6)
    large = whole_run(arch, hardware("h100-sxm"), 4096, 16e6)
    assert small.chosen and large.chosen
    assert large.goodput < small.goodput
    assert small.utilization_low < small.utilization < small.utilization_high
    assert small.utilization == pytest.approx(small.step_utilization * small.goodput)


def test_fp8_whole_run_is_against_the_fp8_peak() -> None:
    arch = shape_from_params(37e9, 4096)
    bf16 = whole_run(arch, hardware("h800"), 2048, 6e7, "bf16")
    fp8 = whole_run(arch, hardware("h800"), 2048, 6e7, "fp8")
    # the realised speed-up (1.3) over the doubled peak: about 0.65 of the BF16 figure
    assert 0.5 < fp8.step_utilization / bf16.step_utilization < 0.8


def test_gh200_plan_without_a_price_exits_0_with_hours(tmp_path: Path) -> None:
    """Issue 18 done-when: a GH200 plan without a price gives hours, wall-clock and a chosen
    layout, exit 0, and names the field that gives dollars."""
    path = tmp_path / "gh200.yaml"
    path.write_text(
        "name: gh200\nmodel: {params: 8B}\n"
        "training: {tokens: 1T, accelerator: gh200, accelerator_count: 512}\n"
    )
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 0, result.output
    assert "no price: set training.price_usd_per_hour" in result.output
    assert "GPU-h" in result.output and "(chosen)" in result.output


def test_deepseek_v3_plan_keeps_the_reported_hours_inside_its_range() -> None:
    """hardware-literature.md §9 check (issue 18 done-when) through the plan path: 671B total /
    37B active on 14.8T tokens, 2,048 H800 in FP8: 2.788M H800-hours inside P10-P90."""
    from planner.plan.estimate import quick_estimate

    results = quick_estimate(
        params=671e9,
        active_params=37e9,
        tokens=14.8e12,
        hardware="h800",
        count=2048,
        precision="fp8",
    )
    plan = results.plans[0]
    assert plan.accelerator_hours_low <= 2.788e6 <= plan.accelerator_hours_high
