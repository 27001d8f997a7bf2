"""The hardware plan wired into the plan model: layouts, memory, floor, FP8, failures, errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.cli import main
from planner.compute import memory
from planner.explore.sweep import sweep
from planner.plan import evaluate
from planner.plan.plans import validate
from planner.scenario.layout import zero_stage

# Llama-2-70B shape (Touvron et al. 2023, Table 1 and the released config): GQA 8 KV heads, SwiGLU.
LLAMA_70B = {
    "layers": 80,
    "d_model": 8192,
    "heads": 64,
    "kv_heads": 8,
    "ffn_size": 28672,
    "glu": True,
    "vocab_size": 32000,
    "seq_len": 4096,
}


def scenario(
    layout: dict[str, Any] | None = None, count: int = 2048, **training: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": "hw",
        "model": {"architecture": LLAMA_70B},
        "training": {
            "tokens": "2T",
            "accelerator": "h100-sxm",
            "accelerator_count": count,
            **training,
        },
    }
    if layout is not None:
        out["training"]["layout"] = layout
    return out


def run_cli(write: Callable[..., Path], document: dict[str, Any]) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["run", str(write(document))])
    return result.exit_code, result.stderr


def test_layout_memory_is_reported_and_fits() -> None:
    result = planner.estimate(
        validate(scenario({"tp": 8, "pp": 4, "recompute": "selective", "sequence_parallel": True}))
    )
    held = result.memory_per_accelerator
    assert held is not None and held.fits
    parts = (
        held.weights_bytes + held.gradients_bytes + held.optimizer_bytes + held.activations_bytes
    )
    assert held.total_bytes == pytest.approx(parts + held.buffers_bytes)
    # 70B / (8·4) bf16 weights on each accelerator
    assert held.weights_bytes == pytest.approx(
        2 * planner.estimate(validate(scenario())).params / 32
    )
    assert held.usable_bytes == 80e9 * (1 - memory.HEADROOM_SHARE)
    assert result.memory_total_bytes == held.total_bytes  # the sweep column name reads it too


def test_no_layout_no_memory_per_accelerator() -> None:
    result = planner.estimate(validate(scenario()))
    assert result.memory_per_accelerator is None
    assert result.hardware is not None and result.hardware.steps > 0


@pytest.mark.parametrize(
    ("layout", "count", "fragments"),
    [
        (
            {"tp": 3},
            2048,
            [
                "training.layout.tp",
                "does not divide the 64 attention heads",
                "use tp in 1, 2, 4, 8",
            ],
        ),
        (
            {"pp": 96},
            2048,
            ["training.layout.pp", "is more stages than the 80 layers", "use pp of at most 80"],
        ),
        ({"tp": 8, "pp": 8}, 32, ["needs tp·pp·cp·dp", "raise training.accelerator_count to 64"]),
        (
            {"tp": 8, "dp": 64},
            256,
            ["more than the 256 given", "raise training.accelerator_count to 512"],
        ),
        (
            {"tp": 1, "micro_batch": 2},
            2048,
            ["training.layout.micro_batch", "does not fit", "try recompute: full"],
        ),
        ({"tp": 8, "micro_batch": 8}, 2048, ["does not fit", "try micro_batch: 1"]),
        (
            {"tp": 8, "global_batch": 1000},
            2048,
            ["not a multiple of micro_batch × dp", "use 1,024 sequences"],
        ),
    ],
    ids=[
        "tp-heads",
        "pp-layers",
        "too-few-accelerators",
        "dp-too-large",
        "micro-batch-70b-tp1",
        "micro-batch-8",
        "global-batch",
    ],
)
def test_bad_layouts_exit_2_with_the_fix(
    write_scenario: Callable[..., Path], layout: dict[str, Any], count: int, fragments: list[str]
) -> None:
    code, err = run_cli(write_scenario, scenario(layout, count))
    assert code == 2, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, err


def test_layout_without_architecture_is_an_error(write_scenario: Callable[..., Path]) -> None:
    document = {
        "name": "x",
        "model": {"params": "7B"},
        "training": {
            "tokens": "1T",
            "accelerator": "h100-sxm",
            "accelerator_count": 8,
            "layout": {"tp": 8},
        },
    }
    code, err = run_cli(write_scenario, document)
    assert code == 2 and "training.layout needs model.architecture" in err


def test_70b_activations_alone_exceed_an_h100_at_tp1() -> None:
    """Issue 11: a 70B model at sequence 4096 keeps ~90 GB of activations per sequence
    (Korthikanti with selective recompute / FlashAttention), so one H100 cannot run a micro-batch."""
    arch = validate(scenario()).model.architecture
    assert arch is not None
    per_layer = memory.activation_bytes_per_layer(
        4096,
        1,
        8192,
        64,
        1,
        flash_attention=True,
        dropout=False,
        kv_ratio=8 / 64,
        ffn=28672,
        glu=True,
    )
    assert 80e9 < per_layer * 80 < 100e9


@pytest.mark.parametrize(
    ("name", "stage"), [("FULL_SHARD", 3), ("SHARD_GRAD_OP", 2), ("NO_SHARD", 0), ("os", 1), (2, 2)]
)
def test_zero_names(name: int | str, stage: int) -> None:
    assert zero_stage(name) == stage


@settings(max_examples=40, deadline=None)
@given(
    micro=st.integers(1, 16),
    tensor=st.sampled_from([1, 2, 4, 8]),
    recompute=st.sampled_from(["none", "selective", "full"]),
    sp=st.booleans(),
)
def test_activations_grow_with_micro_batch_and_shrink_with_tp(
    micro: int, tensor: int, recompute: str, sp: bool
) -> None:
    def bytes_(b: int, t: int) -> float:
        return float(
            memory.activation_bytes_per_layer(
                4096,
                b,
                8192,
                64,
                t,
                sequence_parallel=sp,
                recompute=recompute,
                kv_ratio=0.125,
                ffn=28672,
                glu=True,
            )
        )

    assert bytes_(micro + 1, tensor) > bytes_(micro, tensor)
    assert bytes_(micro, tensor * 2) <= bytes_(micro, tensor)


def test_3b_on_100k_h100_gets_a_floor_and_a_warning() -> None:
    """Issue 11: 3B on 600B tokens on 100,000 H100 'finished' in 6 minutes; the Step Law batch
    (0.58·D^0.571 tokens) keeps at most ~750 accelerators busy, so the floor is about half a day."""
    document = {
        "name": "floor",
        "model": {"params": "3B"},
        "training": {"tokens": "600B", "accelerator": "h100-sxm", "accelerator_count": 100_000},
    }
    result = planner.estimate(validate(document))
    assert result.wall_clock_days > 0.25
    assert result.wall_clock_days_p10 is not None and result.wall_clock_days_p10 > 0.25
    assert result.hardware is not None
    assert result.hardware.max_useful_accelerators < 1000
    assert any("keeps at most" in w and "no speed-up" in w for w in result.warnings)
    # the warning prices what holding every accelerator for the floor would bill
    held = f"would bill {100_000 * result.wall_clock_days * 24:,.0f}"
    assert any(held in w for w in result.warnings)
    more = planner.estimate(
        validate({**document, "training": {**document["training"], "accelerator_count": 200_000}})
    )
    assert more.wall_clock_days == pytest.approx(result.wall_clock_days)


def test_floor_is_silent_for_an_ordinary_plan() -> None:
    result = planner.estimate(validate(scenario()))
    assert not any("keeps at most" in w for w in result.warnings)
    assert result.hardware is not None
    assert result.wall_clock_days > result.hardware.wall_clock_floor_days


def test_deepseek_v3_fp8_hours_inside_p10_p90() -> None:
    """Issue 11 done-when: DeepSeek-V3 (arXiv 2412.19437) in FP8 on 2,048 H800: the reported
    2.788M H800-hours (2.664M pre-training) inside P10-P90; the BF16 MFU on the FP8 peak gave 1.54M."""
    document = {
        "name": "dsv3",
        "model": {"params": "671B", "active_params": "37B"},
        "training": {
            "tokens": "14.8T",
            "accelerator": "h800",
            "accelerator_count": 2048,
            "precision": "fp8",
        },
    }
    result = planner.estimate(validate(document))
    assert result.accelerator_hours_p10 is not None and result.accelerator_hours_p90 is not None
    for reported in (2.788e6, 2.664e6):
        assert result.accelerator_hours_p10 <= reported <= result.accelerator_hours_p90
    assert result.accelerator_hours > 2.0e6
    assert any("fp8" in w for w in result.warnings)


def test_fp8_given_utilization_is_taken_as_stated() -> None:
    document = {
        "name": "fp8",
        "model": {"params": "7B"},
        "training": {
            "tokens": "1T",
            "accelerator": "h100-sxm",
            "accelerator_count": 64,
            "precision": "fp8",
            "utilization": 0.2,
        },
    }
    result = planner.estimate(validate(document))
    assert result.utilization == 0.2
    assert not any("fp8" in w for w in result.warnings)


def test_failure_line_in_hours_and_dollars() -> None:
    result = planner.estimate(validate(scenario()))
    hardware = result.hardware
    assert hardware is not None
    assert 0 < hardware.failure_lost_share < 0.5
    assert hardware.failure_usd == pytest.approx(
        hardware.failure_accelerator_hours * result.price_usd_per_hour
    )


def test_sweep_carries_memory_columns_and_flags() -> None:
    base = validate(scenario({"tp": 8, "pp": 4}, count=2048))
    frame = sweep(base, {"training.accelerator_count": [512, 2048]})
    for name in ("memory_total_bytes", "memory_fits", "wall_clock_floor_days", "failure_usd"):
        assert name in frame.columns
    assert frame["memory_optimizer_bytes"].iloc[0] > frame["memory_optimizer_bytes"].iloc[1]
    assert "flag_memory_exceeds_accelerator" in frame.columns


def test_outputs_name_every_hardware_column() -> None:
    for name in ("memory_weights_bytes", "memory_fits", "steps", "failure_accelerator_hours"):
        assert name in evaluate.OUTPUTS


def test_estimate_layout_flags_give_memory_json() -> None:
    """Issue 11: ``planner estimate`` takes --tp --pp --ep --micro-batch --global-batch --zero
    --recompute --seq-len --experts --top-k; its JSON has memory_per_accelerator and step time."""
    import json

    args = [
        "estimate",
        "--layers",
        "80",
        "--d-model",
        "8192",
        "--heads",
        "64",
        "--kv-heads",
        "8",
        "--ffn-size",
        "28672",
        "--glu",
        "--vocab",
        "32000",
        "--seq-len",
        "4096",
        "--tokens",
        "2T",
        "--count",
        "1024",
        "--tp",
        "8",
        "--pp",
        "4",
        "--micro-batch",
        "1",
        "--zero",
        "1",
        "--recompute",
        "selective",
        "--format",
        "json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    held = data["memory_per_accelerator"]
    assert set(held) >= {
        "weights_bytes",
        "gradients_bytes",
        "optimizer_bytes",
        "activations_bytes",
        "total_bytes",
        "fits",
    }
    assert held["fits"] is True
    assert data["step_time_s"] > 0 and 0 < data["predicted_utilization"] < 1


def test_estimate_layout_error_names_the_flags() -> None:
    args = [
        "estimate",
        "--layers",
        "80",
        "--d-model",
        "8192",
        "--heads",
        "64",
        "--vocab",
        "32000",
        "--seq-len",
        "4096",
        "--tokens",
        "2T",
        "--count",
        "16",
        "--tp",
        "8",
        "--pp",
        "4",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "raise --accelerator-count to 32" in result.stderr


def test_estimate_moe_flags() -> None:
    args = [
        "estimate",
        "--layers",
        "16",
        "--d-model",
        "2048",
        "--heads",
        "16",
        "--vocab",
        "32000",
        "--seq-len",
        "4096",
        "--tokens",
        "1T",
        "--count",
        "64",
        "--experts",
        "64",
        "--top-k",
        "8",
        "--ep",
        "8",
        "--format",
        "json",
    ]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    import json

    data = json.loads(result.stdout)
    assert data["params"] > 4 * data["active_params"]
    assert data["memory_per_accelerator"] is not None


def test_layout_command_lists_feasible_first_with_reasons(
    write_scenario: Callable[..., Path],
) -> None:
    import json

    path = write_scenario(scenario(None, count=512))
    result = CliRunner().invoke(main, ["layout", str(path), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["feasible"] > 0
    rows = data["layouts"]
    assert rows[0]["fails_because"] == "" and rows[0]["tokens_per_s"] > 0
    assert any("GB usable" in row["fails_because"] for row in rows)
    assert planner.layouts(validate(scenario(None, count=512)))[0].feasible


def test_layout_command_needs_an_architecture(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        {
            "name": "x",
            "model": {"params": "7B"},
            "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 8},
        }
    )
    result = CliRunner().invoke(main, ["layout", str(path)])
    assert result.exit_code == 2 and "model.architecture" in result.stderr


def test_hardware_assumptions_have_sources() -> None:
    from planner.compute.plan_terms import HARDWARE_ASSUMPTIONS

    assert len(HARDWARE_ASSUMPTIONS) >= 6
    assert all(len(a.source) > 15 for a in HARDWARE_ASSUMPTIONS)


def test_fp8_with_swept_utilization_is_taken_as_stated() -> None:
    """A sweep (or the report's sensitivity) sets utilisation to arrays: taken as given."""
    import numpy as np

    document = {
        "name": "fp8",
        "model": {"params": "7B"},
        "training": {
            "tokens": "1T",
            "accelerator": "h100-sxm",
            "accelerator_count": 64,
            "precision": "fp8",
        },
    }
    base = validate(document)
    ev = evaluate.evaluate(
        evaluate.with_values(base, "training.utilization", np.array([0.2, 0.45])), 2
    )
    assert list(ev["utilization"]) == [0.2, 0.45]
