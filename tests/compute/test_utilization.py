"""Step time, predicted utilisation, the layout search and its calibration on published runs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.compute.backtest import backtest
from planner.compute.calibration import shape_from_params
from planner.compute.utilization import search_layouts, step_time
from planner.scenario.accelerators import hardware
from planner.scenario.layout import Layout
from planner.scenario.schema import Architecture
from tests import reference_formulas

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


def test_backtest_keeps_its_coverage_and_reports_predicted_beside_implied() -> None:
    """Each scored run on an accelerator with link bandwidths gets a layout-predicted
    utilisation beside the implied one (targets: tests/compute/test_hours.py)."""
    result = backtest()
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
    assert any("GB usable" in r for r in reasons)  # tp = 1 without ZeRO-3 cannot hold 70B
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
    assert reference_formulas.bubble_share_of_step(
        p, m + 1
    ) < reference_formulas.bubble_share_of_step(p, m)
    assert 0 < reference_formulas.bubble_share_of_step(p, m) < 1


@pytest.mark.parametrize(
    ("params", "layers", "d_model"), [(7e9, 32, 4096), (70e9, 72, 9216), (405e9, 128, 16384)]
)
def test_shape_from_params(params: float, layers: int, d_model: int) -> None:
    arch = shape_from_params(params, 4096)
    assert (arch.layers, arch.d_model, arch.heads) == (layers, d_model, d_model // 128)
