"""Golden tests for shared/reference/laws-2025.md §9 checks 1-9b (MoE, precision, distillation).

Each test names its check, the source and the tolerance. Checks 10-20 are other modules' (schedules,
ladders, filtering, synthetic bootstraps).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from planner import precisions
from planner.laws import distillation
from planner.laws import moe as moe_law
from planner.laws.choice import loss
from planner.laws.forms import PRESETS
from planner.plan.estimate import estimate
from planner.plan.evaluate import evaluate
from planner.plan.flags import raised
from planner.scenario.schema import Scenario

K = moe_law.KRAJEWSKI_2024
BESIROGLU = PRESETS["besiroglu-2024"]

# Krajewski et al. 2024 (arXiv 2402.07871) Table 2 [P], as transcribed in laws-2025.md §1.1:
# (active params, tokens, granularity, FLOPs, loss).
TABLE_2 = [
    (100e6, 4.37e9, 8, 2.95e18, 3.133),
    (1e9, 28.94e9, 16, 1.93e20, 2.491),
    (3e9, 72.90e9, 16, 1.41e21, 2.245),
    (7e9, 137.60e9, 32, 6.46e21, 2.076),
    (70e9, 941.07e9, 32, 4.16e23, 1.694),
    (300e9, 2.96e12, 64, 5.69e24, 1.503),
    (1e12, 7.94e12, 64, 4.97e25, 1.367),
]
ROW_IDS = [f"64x{n:.0e}" for n, *_ in TABLE_2]


@pytest.mark.parametrize(("active", "tokens", "g", "flops", "table"), TABLE_2, ids=ROW_IDS)
def test_check_1_krajewski_table_2_from_eq_9(
    active: float, tokens: float, g: float, flops: float, table: float
) -> None:
    """Check 1 (2402.07871 Tables 1-2 [P]): Eq. 9 with N = N_act·(8·64 + 4)/12 within 1.5% of Table 2."""
    predicted = K.loss(moe_law.e64_total_params(active), tokens, g)
    assert predicted == pytest.approx(table, rel=0.015)


@pytest.mark.parametrize(
    ("active", "tokens", "g", "expected"),
    [(1e9, 28.94e9, 16, 2.4714), (70e9, 941.07e9, 32, 1.6802), (1e12, 7.94e12, 64, 1.3558)],
)
def test_check_1_computed_values(active: float, tokens: float, g: float, expected: float) -> None:
    """Check 1, the reference's computed values [C]: ±1e-4 (absolute)."""
    assert K.loss(moe_law.e64_total_params(active), tokens, g) == pytest.approx(expected, abs=1e-4)


def test_check_1_through_the_preset_and_the_cli_function() -> None:
    """Check 1 by the public path: planner loss --law krajewski-2024 --active-params --granularity."""
    total = moe_law.e64_total_params(1e9)
    value = loss(total, 28.94e9, law_name="krajewski-2024", active_params=1e9, granularity=16)
    assert value == pytest.approx(2.4714, abs=1e-4)


@pytest.mark.parametrize(("g", "expected"), [(8, 0.92716), (16, 0.91686), (64, 0.90536)])
def test_check_2_granularity_factor(g: float, expected: float) -> None:
    """Check 2 ([C] from Table 1): (g/G^γ + a)/(g + a), ±1e-4 (absolute)."""
    moe = K.moe
    assert moe_law.granularity_factor(g, moe.a, moe.g, moe.gamma) == pytest.approx(
        expected, abs=1e-4
    )


@pytest.mark.parametrize(("active", "tokens", "g", "flops", "table"), TABLE_2, ids=ROW_IDS)
def test_check_3_moe_flops_overhead(
    active: float, tokens: float, g: float, flops: float, table: float
) -> None:
    """Check 3 (Table 2 [P]): table FLOPs / (6·N_act·D) in [1.04, 1.13]; the planner's 6·N_act·D is
    within 13% of the paper's accounting."""
    assert 1.04 <= flops / (6 * active * tokens) <= 1.13


def test_check_4_moe_beats_dense_at_equal_tokens() -> None:
    """Check 4 (Table 1 [P]; [C]): dense L(1e9, 20e9) = 2.9803; MoE with N = 43e9 total, D = 20e9:
    2.6218 (G = 1), 2.5337 (G = 8); ±1e-3 (absolute)."""
    dense = K.loss(1e9, 20e9)
    moe_g1 = K.loss(1e9 * 516 / 12, 20e9, 1)
    moe_g8 = K.loss(1e9 * 516 / 12, 20e9, 8)
    assert dense == pytest.approx(2.9803, abs=1e-3)
    assert moe_g1 == pytest.approx(2.6218, abs=1e-3)
    assert moe_g8 == pytest.approx(2.5337, abs=1e-3)
    assert moe_g8 < moe_g1 < dense


def test_check_4_as_a_scenario_under_krajewski() -> None:
    """Check 4 through the evaluator: the preset resolves to the MoE row for an MoE model and the
    dense row for a dense one; N is the total (every expert)."""
    training = {"tokens": "20B", "accelerator": "h100-sxm", "accelerator_count": 8}
    dense = Scenario.model_validate(
        {"name": "d", "model": {"params": 1e9}, "training": training, "law": "krajewski-2024"}
    )
    moe = Scenario.model_validate(
        {
            "name": "m",
            "model": {"params": 43e9, "active_params": 1e9, "granularity": 8},
            "training": training,
            "law": "krajewski-2024",
        }
    )
    assert evaluate(dense)["loss"][0] == pytest.approx(2.9803, abs=1e-3)
    assert evaluate(moe)["loss"][0] == pytest.approx(2.5337, abs=1e-3)


def test_check_5_kumar_effective_parameters() -> None:
    """Check 5 (2411.04330 App. K Table 2 γ's [S]; [C]): f(16) = 0.99676, f(8) = 0.92411,
    f(4) = 0.63892 ±1e-5; relative 0.92711, 0.64100; 4-bit weights alone 0.77785."""
    f = precisions.kumar_factor
    assert f(16, 16, 16) == pytest.approx(0.99676, abs=1e-5)
    assert f(8, 8, 8) == pytest.approx(0.92411, abs=1e-5)
    assert f(4, 4, 4) == pytest.approx(0.63892, abs=1e-5)
    assert precisions.params_factor(8, 8, 8) == pytest.approx(0.92711, abs=1e-5)
    assert precisions.params_factor(4, 4, 4) == pytest.approx(0.64100, abs=1e-5)
    assert precisions.params_factor(4, 16, 16) == pytest.approx(0.77785, abs=1e-5)
    assert precisions.FORMATS["fp8"].params_factor == pytest.approx(0.92711, abs=1e-5)


def _delta(params: float, tokens: float, fmt: str) -> tuple[float, float]:
    base = loss(params, tokens)
    return loss(params, tokens, precision=fmt) - base, base


@pytest.mark.parametrize(
    ("params", "tokens", "expected"), [(37e9, 14.8e12, 0.0027), (7e9, 140e9, 0.0048)]
)
def test_check_6_fp8_loss_cost_is_small(params: float, tokens: float, expected: float) -> None:
    """Check 6 (2412.19437 §3.3 [P]; [C]): Besiroglu, all-8-bit N_eff: ΔL ±5%, and < 0.25% of L
    (DeepSeek-V3's bound)."""
    delta, base = _delta(params, tokens, "fp8")
    assert delta == pytest.approx(expected, rel=0.05)
    assert delta / base < 0.0025


def test_check_7_four_bit_loss_cost() -> None:
    """Check 7 (2509.25149 [S]; [C]): Besiroglu, N = 12e9, D = 10e12, all-4-bit: ΔL = +0.0252 nats
    (1.26%) ±5%; every 4-bit preset gives 0.5-2% (NVFP4 reported <1%, ~1.5% in the decay)."""
    delta, base = _delta(12e9, 10e12, "nvfp4")
    assert delta == pytest.approx(0.0252, rel=0.05)
    for fmt in ("nvfp4", "mxfp4"):
        share = _delta(12e9, 10e12, fmt)[0] / base
        assert 0.005 <= share <= 0.02, fmt


def test_check_8_mxfp4_token_multiplier() -> None:
    """Check 8 (2509.25149 [S]): MXFP4 token efficiency 1/1.36 = 0.7353 ±1e-4; MXFP4 on 1.36T equals
    NVFP4 on 1T (by construction, 1e-9); at equal 1T tokens the gap is +0.0101 nats ±2%."""
    assert precisions.FORMATS["mxfp4"].token_efficiency == pytest.approx(0.7353, abs=1e-4)
    nvfp4 = loss(12e9, 1e12, precision="nvfp4")
    assert loss(12e9, 1.36e12, precision="mxfp4") == pytest.approx(nvfp4, rel=1e-9)
    assert loss(12e9, 1e12, precision="mxfp4") - nvfp4 == pytest.approx(0.0101, rel=0.02)


def test_check_9_distillation_cost_accounting() -> None:
    """Check 9 (2502.08606 [P abstract]; [C]): 5.88e21 + 1.4e21 + 6e20 = 7.88e21 FLOPs, 13.13x
    supervised (1e-3 relative); 3.33x with an existing teacher (±0.005, the reference rounds); the
    decision rule."""
    parts = distillation.distillation_flops(1e9, 1e11, 7e9, 1.4e11)
    supervised = 6 * 1e9 * 1e11
    assert parts.teacher_training == pytest.approx(5.88e21, rel=1e-3)
    assert parts.teacher_forward == pytest.approx(1.4e21, rel=1e-3)
    assert parts.student == pytest.approx(6e20, rel=1e-3)
    assert parts.total == pytest.approx(7.88e21, rel=1e-3)
    assert parts.total / supervised == pytest.approx(13.13, rel=1e-3)
    existing = distillation.distillation_flops(1e9, 1e11, 7e9, 1.4e11, teacher_exists=True)
    assert existing.total / supervised == pytest.approx(3.33, abs=0.005)  # printed to 2 decimals
    assert distillation.supervised_preferred(teacher_exists=False, students=1)
    assert not distillation.supervised_preferred(teacher_exists=True, students=1)
    assert not distillation.supervised_preferred(teacher_exists=False, students=4)


def test_check_9b_offline_logit_storage() -> None:
    """Check 9b ([C]): full fp32 logits at V = 32,000 are 128,000 bytes/token, 256 PB for 2e12
    tokens; top-128 (fp16 value + int32 index) 768 bytes/token, 1.536 PB. Exact."""
    assert distillation.logit_storage_bytes(1, 32_000) == 128_000
    assert distillation.logit_storage_bytes(2e12, 32_000) == pytest.approx(256e15)
    assert distillation.logit_storage_bytes(1, 32_000, 128) == 768
    assert distillation.logit_storage_bytes(2e12, 32_000, 128) == pytest.approx(1.536e15)
    assert distillation.TOPK_LOSS_NATS == 0.11
    assert distillation.TOPK_WITH_GROUND_TRUTH_LOSS_NATS == 0.01


# Properties (laws-2025.md §9, after check 20)


@given(
    st.floats(1e8, 1e12),
    st.floats(1e9, 1e13),
    st.floats(1, 64),
    st.floats(1.0, 4.0),
)
def test_moe_loss_non_increasing_in_granularity_and_total(
    active: float, tokens: float, g: float, step: float
) -> None:
    """Property: MoE loss non-increasing in G, and in E at fixed active size (E = 64 law only)."""
    total = moe_law.e64_total_params(active)
    assert K.loss(total, tokens, g * step) <= K.loss(total, tokens, g) + 1e-12
    assert K.loss(total * step, tokens, g) <= K.loss(total, tokens, g) + 1e-12


@given(st.floats(1, 32), st.floats(1, 32), st.floats(1, 32), st.floats(0, 8))
def test_effective_params_at_most_n_and_monotone(
    w: float, a: float, kv: float, more: float
) -> None:
    """Property: N_eff <= N and monotone in each precision (Kumar's form)."""
    f = precisions.kumar_factor
    assert 0 < f(w, a, kv) <= 1
    assert f(w + more, a, kv) >= f(w, a, kv)
    assert f(w, a + more, kv) >= f(w, a, kv)
    assert f(w, a, kv + more) >= f(w, a, kv)


@given(
    st.floats(1.5, 4.0),
    st.floats(1.5, 5.0),
    st.floats(1e8, 1e11),
    st.floats(1e9, 1e13),
)
def test_distilled_student_never_beats_its_teacher(
    teacher: float, supervised: float, params: float, tokens: float
) -> None:
    """Property: distilled student loss >= teacher loss (Busbridge Eq. 8 form, any positive
    constants; the paper's were not retrieved, so these are illustrative)."""
    k = distillation.BusbridgeConstants(
        c0=0.5, c1=0.5, d1=1.0, f1=1.0, A=400.0, B=400.0, alpha=0.3, beta=0.3, gamma=1.0
    )
    assert distillation.student_loss(teacher, supervised, params, tokens, k) >= teacher


# The planner's behaviour (issue 19)

BASE: dict[str, Any] = {
    "name": "moe",
    "model": {"params": "671B", "active_params": "37B", "granularity": 8},
    "training": {"tokens": "14.8T", "accelerator": "h800", "accelerator_count": 2048},
    "uncertainty": {"samples": 0},
}


def _scenario(**changes: Any) -> Scenario:
    document = {**BASE, **changes}
    return Scenario.model_validate(document)


def test_moe_under_dense_law_is_a_flagged_approximation_not_dense_at_active() -> None:
    """An MoE plan under a dense law is flagged and differs from dense-at-active (issue 19)."""
    moe = estimate(_scenario())
    dense = estimate(_scenario(model={"params": "37B"}))
    assert moe.loss < dense.loss
    found, _ = raised(evaluate(_scenario()))
    texts = [f.message for f in found]
    assert any("dense-equivalent" in t and "671B total / 37B active" in t for t in texts)
    assert all(
        "dense-equivalent" not in f.message
        for f in raised(evaluate(_scenario(model={"params": "37B"})))[0]
    )


def test_moe_dense_equivalent_lies_between_active_and_total() -> None:
    """The dense-equivalent size is clipped to [active, total] (assumption in planner.laws.moe)."""
    n = moe_law.dense_equivalent_params(671e9, 37e9, np.array([1e9, 14.8e12, 1e15]), 8)
    assert np.all((n >= 37e9) & (n <= 671e9))


def test_krajewski_scenario_flags_outside_fit() -> None:
    """Outside E = 64, 0.1-4B active, 16-130B tokens the result carries a flag (laws-2025.md §1.5)."""
    found, _ = raised(evaluate(_scenario(law="krajewski-2024")))
    message = next(
        f.message for f in found if f.message.startswith("krajewski-2024 is extrapolated")
    )
    assert "37B active" in message and "15T tokens" in message and "expansion rate" in message
    inside = _scenario(
        law="krajewski-2024",
        model={"params": 43e9, "active_params": 1e9, "granularity": 8},
        training={**BASE["training"], "tokens": "100B"},
    )
    assert not any("extrapolated" in f.message for f in raised(evaluate(inside))[0])


def test_moe_architecture_granularity_defaults_to_top_k() -> None:
    """G = top_k for an architecture (a top-1 base) unless given; dense architectures have none."""
    arch = {
        "layers": 4, "d_model": 512, "heads": 8, "vocab_size": 32000, "seq_len": 2048,
        "experts": 64, "top_k": 8,
    }  # fmt: skip
    scenario = _scenario(model={"architecture": arch}, law="krajewski-2024")
    assert scenario.model.moe_granularity == 8
    assert scenario.model.expansion_rate == 8
    assert "G = 8" in scenario.law.source
    dense = _scenario(model={"architecture": {**arch, "experts": 1, "top_k": 1}})
    assert dense.model.moe_granularity is None


def test_moe_memory_uses_total_and_flops_use_active() -> None:
    """Memory counts every expert (16 bytes/param), FLOPs the active ones."""
    ev = evaluate(_scenario())
    assert ev["memory_bytes"][0] == pytest.approx(16 * 671e9)
    assert ev["training_flops"][0] == pytest.approx(6 * 37e9 * 14.8e12)


def test_precision_changes_peak_and_loss() -> None:
    """nvfp4 runs against the FP4 peak (rescaled utilisation) and costs loss; bf16 does not."""
    blackwell = {"tokens": "1T", "accelerator": "gb200", "accelerator_count": 64,
                 "price_usd_per_hour": 6.0}  # fmt: skip
    bf16 = evaluate(_scenario(model={"params": "12B"}, training=blackwell))
    fp4 = evaluate(_scenario(model={"params": "12B"}, training={**blackwell, "precision": "nvfp4"}))
    assert fp4["peak_flops_per_s"][0] == pytest.approx(10_000e12)
    assert fp4["accelerator_hours"][0] < bf16["accelerator_hours"][0]
    ratio = bf16["accelerator_hours"][0] / fp4["accelerator_hours"][0]
    assert ratio == pytest.approx(precisions.FORMATS["nvfp4"].speedup)
    assert fp4["loss"][0] > bf16["loss"][0]
    assert fp4["loss"][0] == pytest.approx(loss(12e9, 1e12, precision="nvfp4"))


def test_fp4_on_a_part_without_fp4_is_an_error_naming_the_parts() -> None:
    from planner.errors import InputError

    with pytest.raises(InputError, match="no FP4 peak") as info:
        evaluate(
            _scenario(model={"params": "7B"}, training={**BASE["training"], "precision": "nvfp4"})
        )
    assert "gb200" in str(info.value)


def test_custom_precision_bits_use_kumar() -> None:
    """training.precision_bits replace the format's bits in Kumar's N_eff."""
    bits = {"weights": 4, "activations": 16, "kv_cache": 16}
    ev = evaluate(
        _scenario(model={"params": "7B"}, training={**BASE["training"], "precision_bits": bits})
    )
    assert ev.law_params[0] == pytest.approx(7e9 * 0.77785, rel=1e-4)


def test_post_training_quantisation_flag() -> None:
    over = _scenario(model={"params": "7B", "post_training_weight_bits": 4})
    found, _ = raised(evaluate(over))
    assert any("post-training" in f.message and f.level == "risk" for f in found)
    fine = _scenario(model={"params": "7B"})
    assert not any("post-training" in f.message for f in raised(evaluate(fine))[0])


def _distilled(teacher: dict[str, Any]) -> Scenario:
    return _scenario(
        model={"params": "1B"},
        training={"accelerator": "h100-sxm", "accelerator_count": 64},
        data=[
            {
                "name": "distilled",
                "tokens": "100B",
                "synthetic": {
                    "kind": "distillation",
                    "generator": {"self_hosted": {"params": "7B", "accelerator": "h100-sxm"}},
                    "teacher": teacher,
                },
            }
        ],
    )


def test_teacher_training_counted_unless_it_exists_or_is_shared() -> None:
    """Check 9 in the plan: a teacher to train adds 6·N_T·D_T / students of hours on its hardware."""
    trained = evaluate(_distilled({"tokens": "140B"}))
    existing = evaluate(_distilled({"exists": True}))
    shared = evaluate(_distilled({"tokens": "140B", "students": 4}))
    extra = trained["synthetic_accelerator_hours"][0] - existing["synthetic_accelerator_hours"][0]
    from planner import defaults

    expected = 6 * 7e9 * 140e9 / (989.4e12 * defaults.UTILIZATION) / 3600
    assert extra == pytest.approx(expected, rel=1e-9)
    shared_extra = (
        shared["synthetic_accelerator_hours"][0] - existing["synthetic_accelerator_hours"][0]
    )
    assert shared_extra == pytest.approx(expected / 4, rel=1e-9)
    assert trained["total_cost_usd"][0] > existing["total_cost_usd"][0]
    found = [f.message for f in raised(trained)[0]]
    assert any("supervised training on the same compute is generally better" in m for m in found)
    assert not any("generally better" in m for m in (f.message for f in raised(existing)[0]))


def test_offline_logits_flag_gives_the_storage() -> None:
    ev = evaluate(_distilled({"exists": True, "logits": "offline", "top_k": 128}))
    found = [f.message for f in raised(ev)[0]]
    line = next(m for m in found if "offline distillation" in m)
    assert f"{100e9 * 768 / 1e15:,.3g} PB" in line and "+0.11 nats" in line


def test_api_teacher_to_train_is_refused() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="API teacher"):
        Scenario.model_validate(
            {
                **BASE,
                "data": [
                    {
                        "name": "d",
                        "tokens": "1B",
                        "synthetic": {
                            "kind": "distillation",
                            "generator": {"api": {"input_usd_per_million_tokens": 1.0,
                                                  "output_usd_per_million_tokens": 1.0}},
                            "teacher": {"tokens": "1T"},
                        },
                    }
                ],
            }
        )  # fmt: skip


def test_precision_names_are_one_table() -> None:
    """The schema, the CLI and the catalogue lookups take their names from planner.precisions."""
    from planner.scenario.schema import Training

    schema = Training.model_json_schema()["properties"]["precision"]
    assert tuple(schema["enum"]) == precisions.PRECISION_NAMES
    assert math.isclose(precisions.BF16.params_factor, 1.0)


def test_optimiser_prices_inference_on_active_parameters() -> None:
    """--inference-tokens charges 2 x *active* parameters per token served (issue 19)."""
    from planner.explore.optimizer import optimize
    from planner.scenario.schema import Optimize

    settings = Optimize(budget_usd=5e6, inference_tokens=1e12)
    found = optimize(_scenario(), settings)
    share = 37e9 / 671e9
    assert found.inference_flops == pytest.approx(2 * found.params * share * 1e12, rel=1e-6)


def test_cli_loss_moe_and_precision() -> None:
    """planner loss --active-params --granularity --precision: check 4's MoE value, both counts shown;
    a granularity without an MoE is an input error (exit 2)."""
    from click.testing import CliRunner

    from planner.cli import main

    runner = CliRunner()
    args = ["loss", "--params", "43B", "--active-params", "1B", "--granularity", "8"]
    result = runner.invoke(main, [*args, "--tokens", "20B", "--law", "krajewski-2024"])
    assert result.exit_code == 0, result.output
    lines = dict(line.split(None, 1) for line in result.output.splitlines())
    assert lines["loss"] == "2.5337 nats/token"
    assert (lines["params"], lines["active_params"]) == ("43B", "1.0B")
    bad = runner.invoke(main, ["loss", "--params", "7B", "--tokens", "1T", "--granularity", "8"])
    assert bad.exit_code == 2 and "--granularity" in bad.output
    fp8 = runner.invoke(
        main, ["loss", "--params", "37B", "--tokens", "14.8T", "--precision", "fp8"]
    )
    assert fp8.exit_code == 0 and "precision      fp8" in fp8.output


def test_law_flag_resolves_krajewski_for_the_model_shape() -> None:
    """--law krajewski-2024 on a loaded MoE scenario takes the MoE row at its G, not the dense row."""
    from planner.plan.estimate import with_law

    moved = with_law(_scenario(), "krajewski-2024")
    assert moved.law.A == pytest.approx(K.moe.a + K.moe.g / 8**K.moe.gamma)
    assert evaluate(moved)["loss"][0] == pytest.approx(K.loss(671e9, 14.8e12, 8))


def test_distillation_without_teacher_block_is_flagged() -> None:
    scenario = _distilled({"exists": True})
    data = [
        scenario.data[0].model_copy(
            update={"synthetic": scenario.data[0].synthetic.model_copy(update={"teacher": None})}
        )
    ]
    found = [f.message for f in raised(evaluate(scenario.model_copy(update={"data": data})))[0]]
    assert any("distillation without synthetic.teacher" in m for m in found)
    assert not any(
        "without synthetic.teacher" in m for m in (f.message for f in raised(evaluate(scenario))[0])
    )
