"""Step time, predicted utilisation, the layout search and its calibration on published runs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.compute import step_time as steptime
from planner.compute.backtest import backtest, layout_shapes
from planner.compute.calibration import calibrate_kernel, shape_from_params
from planner.compute.utilization import KERNEL_EFFICIENCY, search_layouts, step_time
from planner.scenario.accelerators import hardware
from planner.scenario.layout import Layout
from planner.scenario.schema import Architecture

LLAMA_70B = Architecture(
    layers=80,
    d_model=8192,
    heads=64,
    kv_heads=8,
    ffn_size=28672,
    glu=True,
    vocab_size=32000,
    seq_len=4096,
)


def test_kernel_efficiency_is_the_calibration_on_published_runs() -> None:
    """planner.compute.utilization.KERNEL_EFFICIENCY is what calibrate_kernel finds on the shipped
    published_runs.csv (median implied / predicted whole-run MFU = 1), to two decimals."""
    shapes, implied = layout_shapes()
    assert len(shapes) >= 20
    assert calibrate_kernel(shapes, implied) == pytest.approx(KERNEL_EFFICIENCY, abs=0.01)


def test_backtest_keeps_its_coverage_and_reports_predicted_beside_implied() -> None:
    """Issue 11 done-when: coverage >= 76%, median miss no worse than x1.26; each scored run on an
    accelerator with link bandwidths gets a layout-predicted utilisation beside the implied one."""
    result = backtest()
    assert result.range_coverage >= 0.76
    assert math.exp(result.median_abs_log_error) <= 1.26 + 1e-9
    predicted = [r for r in result.rows if r.scored and r.predicted_utilization is not None]
    assert len(predicted) == result.layout_runs >= 20
    assert all(0.05 < r.predicted_utilization < 0.6 for r in predicted)  # type: ignore[operator]
    assert "predicted_utilization" in result.to_frame().columns


def test_search_ranks_feasible_layouts_first_and_says_why_others_fail() -> None:
    found = search_layouts(LLAMA_70B, hardware("h100-sxm"), 512, 4e6)
    feasible = [c for c in found if c.feasible]
    assert feasible and found[: len(feasible)] == feasible
    rates = [c.tokens_per_s for c in feasible]
    assert rates == sorted(rates, reverse=True)
    reasons = {c.reason for c in found if not c.feasible}
    assert any("GB usable" in r for r in reasons)  # tp = 1 cannot hold 70B
    assert all(c.layout.tp <= 8 for c in found)


def test_tensor_parallel_across_nodes_is_slower() -> None:
    """TP inside the NVLink domain (8 on HGX H100) vs a domain of 1: the exposed TP time grows by
    the scale-up / scale-out bandwidth ratio (hardware-literature.md §4, §11)."""
    layout = Layout(tp=8, pp=1)
    inside = step_time(LLAMA_70B, layout, hardware("h100-sxm"), 64, 512, 69e9)
    pcie = step_time(LLAMA_70B, layout, hardware("h100-pcie"), 64, 512, 69e9)
    assert pcie.tensor_s > inside.tensor_s


@settings(max_examples=30, deadline=None)
@given(m=st.integers(1, 256), p=st.sampled_from([2, 4, 8, 16]))
def test_bubble_falls_as_micro_batches_grow(m: int, p: int) -> None:
    assert steptime.bubble_share_of_step(p, m + 1) < steptime.bubble_share_of_step(p, m)
    assert 0 < steptime.bubble_share_of_step(p, m) < 1


@pytest.mark.parametrize(
    ("params", "layers", "d_model"), [(7e9, 32, 4096), (70e9, 72, 9216), (405e9, 128, 16384)]
)
def test_shape_from_params(params: float, layers: int, d_model: int) -> None:
    arch = shape_from_params(params, 4096)
    assert (arch.layers, arch.d_model, arch.heads) == (layers, d_model, d_model // 128)
