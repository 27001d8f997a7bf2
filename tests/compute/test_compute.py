"""Golden tests for parameter and FLOPs counts, against published numbers and peer oracles."""

import math

import numpy as np
import pytest

from planner.compute import flops as compute
from planner.compute.memory import training_memory_bytes
from planner.errors import InputError
from planner.scenario.schema import Architecture, Model, Training

H100 = {"accelerator": "h100-sxm", "accelerator_count": 1, "tokens": "1T"}

# peers.md §1 worked example A: L=80, h=8192, 64 heads, f=32768 plain, V=32000, s=2048, tied.
CONFIG_A = Architecture(
    layers=80,
    d_model=8192,
    heads=64,
    ffn_size=32768,
    vocab_size=32000,
    seq_len=2048,
    tied_embeddings=True,
)
# Llama-2-7B: L=32, h=4096, 32 heads, SwiGLU 11008, V=32000, s=4096, untied.
LLAMA2_7B = Architecture(
    layers=32, d_model=4096, heads=32, ffn_size=11008, glu=True, vocab_size=32000, seq_len=4096
)
# GPT-3 175B shape (literature.md §9 check 22): l=96, h=12288, s=2048, V=51200.
GPT3 = Architecture(
    layers=96, d_model=12288, heads=96, vocab_size=51200, seq_len=2048, tied_embeddings=True
)


def per_token(arch: Architecture, convention: str, recompute: bool = False) -> tuple[float, float]:
    training = Training(**H100, flops_convention=convention, activation_recompute=recompute)
    return compute.flops_per_token(Model(architecture=arch), training)


def test_params_config_a_match_llm_analysis_exactly() -> None:
    # peers.md §6.1: llm-analysis counts 64,687,972,352 (shared embedding counted once).
    assert compute.count_params(CONFIG_A).total == 64_687_972_352


def test_params_llama2_7b_match_llm_flops_exactly() -> None:
    # peers.md §6.3: llm-flops 0.0.1 counts 6,738,415,616 for Llama-2-7B.
    assert compute.count_params(LLAMA2_7B).total == 6_738_415_616


def test_megatron_config_a_matches_llm_analysis_exactly() -> None:
    # peers.md §6.1: 6·h·[L·(4h+2s+2f)+V] = 404,226,048,000 FLOPs/token, no recompute.
    model, hardware = per_token(CONFIG_A, "megatron")
    assert model == 404_226_048_000
    assert hardware == model


def test_megatron_recompute_config_a_differs_from_llm_analysis_only_by_logits() -> None:
    # llm-analysis recomputes the logits too (8·h·[...] = 538,968,064,000); Narayanan et al.
    # do not. The two must differ by exactly the logits' forward pass, 2·h·V.
    _, hardware = per_token(CONFIG_A, "megatron", recompute=True)
    assert hardware + 2 * 8192 * 32000 == 538_968_064_000


def test_megatron_llama2_7b_near_llm_flops() -> None:
    # peers.md §6.3: llm-flops gives 4.6200e10 (non-causal, adds norms/softmax/optimizer):
    # tolerance 0.5%.
    model, _ = per_token(LLAMA2_7B, "megatron")
    assert model == pytest.approx(4.6200e10, rel=5e-3)


def test_gpt3_shape_palm_and_megatron_check_22() -> None:
    # literature.md §9 check 22 (relative tolerance 1e-4 on 5-digit published values).
    non_embedding = compute.count_params(GPT3).active_non_embedding
    assert non_embedding == pytest.approx(1.7395e11, rel=1e-4)  # 12·l·h², norms add 1e-5
    palm, _ = per_token(GPT3, "palm")
    assert palm == pytest.approx(1.0727e12, rel=1e-4)
    assert palm / (6 * 12 * 96 * 12288**2) == pytest.approx(1.028, abs=1e-3)
    megatron, with_recompute = per_token(GPT3, "megatron", recompute=True)
    tokens_per_iteration = 1536 * 2048
    assert with_recompute * tokens_per_iteration == pytest.approx(4.5110e18, rel=1e-4)
    assert megatron * tokens_per_iteration == pytest.approx(3.3862e18, rel=1e-4)
    assert with_recompute / megatron == pytest.approx(1.3322, rel=1e-4)
    # without recompute, per token = PaLM + 6hV exactly, once the norm weights that planner's
    # non-embedding N includes (2h per block + h final; Megatron ignores them) are taken out
    norms = 96 * 2 * 12288 + 12288
    assert megatron == palm + 6 * 12288 * 51200 - 6 * norms


def test_6nd_recompute_is_8n() -> None:
    training = Training(**H100, activation_recompute=True)
    model, hardware = compute.flops_per_token(Model(params="7B"), training)
    assert (model, hardware) == (6 * 7e9, 8 * 7e9)


def test_moe_uses_active_params_deepseek_v3() -> None:
    # literature.md §9 check 24: 6 · 37e9 · 14.8e12 = 3.286e24 (6·N_total would be 5.96e25).
    model, _ = compute.flops_per_token(Model(params="671B", active_params="37B"), Training(**H100))
    assert model * 14.8e12 == pytest.approx(3.286e24, rel=1e-3)


def test_moe_architecture_counts_top_k_experts_as_active() -> None:
    dense = Architecture(layers=4, d_model=512, heads=8, vocab_size=1000, seq_len=128)
    moe = dense.model_copy(update={"experts": 8, "top_k": 2})
    d, m = compute.count_params(dense), compute.count_params(moe)
    expert = 2 * 512 * 2048
    assert m.total - d.total == 4 * (7 * expert + 512 * 8)
    assert m.active - d.active == 4 * (expert + 512 * 8)


def test_gqa_shrinks_key_value_projections() -> None:
    mha = Architecture(layers=1, d_model=1024, heads=16, vocab_size=10, seq_len=8)
    gqa = mha.model_copy(update={"kv_heads": 4})
    # K and V go from 1024x1024 each to 1024x256 each
    assert compute.count_params(mha).total - compute.count_params(gqa).total == 2 * 1024 * 768


def test_palm_needs_an_architecture() -> None:
    with pytest.raises(InputError, match="needs the model's shape"):
        compute.flops_per_token(Model(params="7B"), Training(**H100, flops_convention="palm"))


def test_phi4_check_23() -> None:
    # literature.md §9 check 23: 6·14.7e9·9.8e12 = 8.644e23; 1920 GPUs x 21 days -> MFU 0.251.
    flops = compute.flops_6nd(14.7e9) * 9.8e12
    assert flops == pytest.approx(8.644e23, rel=1e-3)
    hours = 1920 * 21 * 24
    implied = flops / (hours * 3600 * 989.4e12)
    assert implied == pytest.approx(0.251, abs=5e-4)
    assert compute.accelerator_hours(flops, 989.4e12, implied) == pytest.approx(hours)


def test_llama3_mfu_table_check_25() -> None:
    # literature.md §9 check 25: 430, 400, 380 TFLOP/s per H100 are 43%, 41%, 38% MFU (±0.01).
    for achieved, reported in ((430, 0.43), (400, 0.41), (380, 0.38)):
        assert achieved / 989.4 == pytest.approx(reported, abs=0.01)


def test_llm_analysis_gpu_hours_config_a() -> None:
    # peers.md §6.1: 5.659164489871912e23 FLOPs at 140.4 TFLOP/s -> 1,119,651.09 GPU-h, 45.5587 days on 1024.
    hours = compute.accelerator_hours(5.659164489871912e23, 312e12, 0.45)
    assert hours == pytest.approx(1_119_651.09, rel=1e-8)
    assert compute.wall_clock_days(hours, 1024, 1.0) == pytest.approx(45.5587, rel=1e-5)


def test_formulas_accept_arrays() -> None:
    params = np.array([1e9, 7e9, 70e9])
    hours = compute.accelerator_hours(compute.flops_6nd(params) * 1e12, 989.4e12, 0.4)
    assert hours.shape == (3,)
    assert hours[1] == compute.accelerator_hours(6 * 7e9 * 1e12, 989.4e12, 0.4)


def test_memory_is_16_bytes_per_param_and_min_count_rounds_up() -> None:
    memory = training_memory_bytes(70e9)
    assert memory == 1.12e12
    assert compute.min_accelerators(memory, 80) == math.ceil(1.12e12 / 80e9) == 14
    assert compute.min_accelerators(memory, None) is None


def test_one_memory_model_the_default_bytes_per_parameter_is_the_zero_16_convention() -> None:
    from planner import defaults
    from planner.compute.memory import OPTIMIZER_CONVENTIONS, model_state_bytes

    convention = OPTIMIZER_CONVENTIONS["zero-16"]
    assert sum(model_state_bytes(1.0, 1, 0, convention)) == defaults.BYTES_PER_PARAM_TRAINING
    assert training_memory_bytes(7e9) == pytest.approx(16 * 7e9, rel=1e-12)
