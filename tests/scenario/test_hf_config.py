"""Architectures read from Hugging Face config.json files (issue 21; planner/scenario/hf_config.py).

Golden checks: the parameters counted from each shipped config.json against the published
count of the same checkpoint. Fixtures in tests/fixtures/hf/ are the published config.json
files of each model (Hugging Face Hub, the model's own repository).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli import main
from planner.compute.flops import count_params
from planner.errors import InputError
from planner.plan.estimate import hf_params
from planner.plan.plans import load_scenario
from planner.scenario.hf_config import read_hf_config
from planner.scenario.schema import Architecture
from tests.conftest import ROOT

HF = ROOT / "tests" / "fixtures" / "hf"

# (fixture, published total, published active, relative tolerance, source)
PUBLISHED = [
    # safetensors index total_size 16,060,522,496 bytes / 2 (meta-llama/Meta-Llama-3-8B)
    ("llama-3-8b", 8_030_261_248, None, 0.0, "Meta-Llama-3-8B safetensors index"),
    # Hub model page: 7.24B params (mistralai/Mistral-7B-v0.1)
    ("mistral-7b-v0.1", 7.24e9, None, 0.001, "Mistral-7B-v0.1 model page"),
    # Jiang et al. 2024 (arXiv 2401.04088) §2: 47B total, 13B active
    ("mixtral-8x7b-v0.1", 46.7e9, 12.9e9, 0.002, "Mixtral of Experts, arXiv 2401.04088"),
    # Qwen2.5 technical report / model page: 7.61B (Qwen/Qwen2.5-7B)
    ("qwen2.5-7b", 7.61e9, None, 0.001, "Qwen2.5-7B model page"),
    # Gemma Team 2024 (arXiv 2403.08295) Table 2: 8.54B parameters (gemma-7b)
    ("gemma-7b", 8.54e9, None, 0.001, "Gemma, arXiv 2403.08295 Table 2"),
    # Hub model page: 9.24B params (google/gemma-2-9b); two extra norms per block not counted
    ("gemma-2-9b", 9.24e9, None, 0.001, "gemma-2-9b model page"),
    # DeepSeek-AI 2024 (arXiv 2412.19437) abstract: 671B total, 37B activated per token
    ("deepseek-v3", 671e9, 37e9, 0.02, "DeepSeek-V3, arXiv 2412.19437"),
]


@pytest.mark.parametrize(
    ("fixture", "total", "active", "tolerance", "source"),
    PUBLISHED,
    ids=[row[0] for row in PUBLISHED],
)
def test_parameters_counted_from_config_match_the_published_count(
    fixture: str, total: float, active: float | None, tolerance: float, source: str
) -> None:
    read = read_hf_config(HF / fixture / "config.json")
    counted = count_params(Architecture.model_validate(read.architecture))
    assert counted.total == pytest.approx(total, rel=max(tolerance, 1e-12)), source
    assert counted.active == pytest.approx(active or total, rel=max(tolerance, 1e-12)), source


def test_each_family_reads_its_own_fields() -> None:
    llama = read_hf_config(HF / "llama-3-8b" / "config.json").architecture
    assert (llama["layers"], llama["d_model"], llama["heads"], llama["kv_heads"]) == (
        32,
        4096,
        32,
        8,
    )
    assert llama["vocab_size"] == 128256 and llama["tied_embeddings"] is False
    gemma = read_hf_config(HF / "gemma-7b" / "config.json").architecture
    assert gemma["head_dim"] == 256 and gemma["tied_embeddings"] is True
    mixtral = read_hf_config(HF / "mixtral-8x7b-v0.1" / "config.json").architecture
    assert (mixtral["experts"], mixtral["top_k"]) == (8, 2)
    deepseek = read_hf_config(HF / "deepseek-v3" / "config.json").architecture
    assert (deepseek["experts"], deepseek["top_k"], deepseek["shared_experts"]) == (256, 8, 1)
    assert deepseek["dense_layers"] == 3 and deepseek["expert_ffn_size"] == 2048
    assert deepseek["seq_len"] == 4096  # rope_scaling's original_max_position_embeddings


def test_the_files_own_count_is_compared() -> None:
    read = read_hf_config(HF / "llama-3-8b" / "config.json")
    assert read.stated_params == 8_030_261_248
    total, _, note = hf_params(str(HF / "llama-3-8b" / "config.json"))
    assert total == read.stated_params and "agrees" in note


def test_a_count_that_differs_is_called_out(tmp_path: Path) -> None:
    config = json.loads((HF / "mistral-7b-v0.1" / "config.json").read_text())
    (tmp_path / "config.json").write_text(json.dumps({**config, "num_parameters": 9e9}))
    _, _, note = hf_params(str(tmp_path / "config.json"))
    assert "DIFFERS" in note and "num_parameters" in note


def test_a_scenario_reads_its_config_relative_to_itself() -> None:
    scenario = load_scenario(HF / "llama3_8b_scenario.yaml")
    arch = scenario.model.architecture
    assert arch is not None and arch.seq_len == 8192  # the scenario's value wins
    assert arch.vocab_size == 128256 and count_params(arch).total == 8_030_261_248


def test_run_notes_what_was_read() -> None:
    result = CliRunner().invoke(main, ["run", str(HF / "llama3_8b_scenario.yaml")])
    assert result.exit_code == 0, result.output
    assert "Architecture read from" in result.output and "agrees" in result.output


def test_estimate_and_loss_take_hf_config() -> None:
    config = str(HF / "deepseek-v3" / "config.json")
    result = CliRunner().invoke(
        main, ["estimate", "--hf-config", config, "--tokens", "14.8T", "--format", "json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["params"] == pytest.approx(671e9, rel=0.01)
    assert plan["active_params"] == pytest.approx(37.5e9, rel=0.01)
    loss = CliRunner().invoke(
        main, ["loss", "--hf-config", config, "--tokens", "14.8T", "--format", "json"]
    )
    assert loss.exit_code == 0, loss.output
    assert json.loads(loss.output)["params"] == pytest.approx(671e9, rel=0.01)


def test_layout_takes_hf_config() -> None:
    scenario = ROOT / "scenarios" / "llama2_70b_layout.yaml"
    config = str(HF / "llama-3-8b" / "config.json")
    result = CliRunner().invoke(main, ["layout", str(scenario), "--hf-config", config])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("content", "says"),
    [
        ('{"model_type": "gpt2", "n_layer": 12}', "unsupported model_type"),
        ('{"model_type": "llama", "hidden_size": 4096}', "required field is missing"),
        ('{"model_type": "llama", "num_attention_heads": true}', "not a whole number"),
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "not valid JSON"),
    ],
    ids=["unknown-family", "missing-field", "yes-no-layers", "a-list", "not-json"],
)
def test_bad_config_files_are_refused(tmp_path: Path, content: str, says: str) -> None:
    path = tmp_path / "config.json"
    path.write_text(content)
    with pytest.raises(InputError, match=says):
        read_hf_config(path)
    result = CliRunner().invoke(main, ["estimate", "--hf-config", str(path), "--tokens", "1T"])
    assert result.exit_code == 2 and says in result.output and "Traceback" not in result.output


def test_a_missing_config_is_named() -> None:
    result = CliRunner().invoke(
        main, ["estimate", "--hf-config", "no/such/config.json", "--tokens", "1T"]
    )
    assert result.exit_code == 2 and "config.json not found" in result.output
