"""A model's architecture from a local Hugging Face ``config.json`` (no network: a path).

Peer estimators (llm-analysis, the memory estimators of Megatron-Bridge, xtuner) read a
model's shape from its ``config.json``; so does ``model.hf_config: PATH`` in a scenario and
``--hf-config PATH`` on ``planner estimate``, ``layout`` and ``loss``.

Families read, by ``model_type`` (field names as in the ``transformers`` configuration
classes): ``llama``, ``mistral``, ``qwen2``, ``qwen3`` (dense); ``mixtral``, ``qwen2_moe``,
``qwen3_moe`` (mixture of experts); ``deepseek_v2``, ``deepseek_v3`` (latent attention,
shared experts, dense first blocks); ``gemma``, ``gemma2``, ``gemma3_text`` (explicit
``head_dim``, tied embeddings). Every family's feed-forward is gated (SwiGLU or GeGLU).

What a ``config.json`` does not say, and what the planner assumes instead:

- **Training sequence length.** ``max_position_embeddings`` is the longest context the
  released model serves, usually reached by a late long-context stage (DeepSeek-V3:
  pretrained at 4K, served at 128K). Assumption: ``min(max_position_embeddings,
  DEFAULT_SEQ_LEN)``; give ``seq_len`` (``--seq-len``) for yours.
- **Gemma 2/3's extra norms** (four per block instead of two) and **DeepSeek-V3's
  multi-token-prediction module** (``num_nextn_predict_layers``, 14B of the published 685B)
  are not counted: the count is the main model's (DeepSeek-V3: 671B total, 37B active).

The total and active parameters are computed by :func:`planner.compute.flops.count_params` from
the architecture read here; :func:`stated_params` gives the file's own count where it has one
(a ``num_parameters`` key, or the ``model.safetensors.index.json`` beside it: its
``total_size`` in bytes over the bytes per parameter of ``torch_dtype``) for
:func:`comparison` to check against.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from planner.errors import InputError, shown
from planner.io.reading import read_text

__all__ = [
    "DEFAULT_SEQ_LEN",
    "FAMILIES",
    "MAX_CONFIG_BYTES",
    "STATED_TOLERANCE",
    "HFConfig",
    "architecture_from_file",
    "comparison",
    "read_hf_config",
    "stated_params",
]

MAX_CONFIG_BYTES = 1_000_000
"""config.json files. Assumption: published ones are 1-10 kB."""
DEFAULT_SEQ_LEN = 4096
"""Training sequence length when only ``max_position_embeddings`` is known. Assumption: the
common pretraining length of 2023-2025 models (Llama 2, DeepSeek-V3 pretrain at 4K)."""
STATED_TOLERANCE = 0.02
"""Relative difference from the file's own parameter count above which the comparison is a
warning. Assumption: biases and norms the planner leaves out are well under 1%."""

DENSE = ("llama", "mistral", "qwen2", "qwen3")
MOE = ("mixtral", "qwen2_moe", "qwen3_moe")
LATENT = ("deepseek_v2", "deepseek_v3")
GEMMA = ("gemma", "gemma2", "gemma3_text", "gemma3")
FAMILIES = (*DENSE, *MOE, *LATENT, *GEMMA)
"""``model_type`` values read."""

_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4, "float8_e4m3fn": 1}


@dataclass(frozen=True)
class HFConfig:
    """What a config.json gives: the architecture (scenario field names) and provenance."""

    path: str
    model_type: str
    architecture: dict[str, Any]
    stated_params: float | None
    """The file's own total parameter count, if it (or its safetensors index) has one."""
    stated_source: str | None
    assumptions: tuple[str, ...]


def _number(config: dict[str, Any], key: str, path: str, default: Any = None) -> Any:
    value = config.get(key)
    if value is None:
        if default is not None:
            return default
        raise InputError(
            "required field is missing",
            file=path,
            field=key,
            allowed=f"a {config.get('model_type')} config.json sets {key}",
        )
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError("is not a whole number", file=path, field=key, value=value)
    return value


def read_hf_config(path: str | Path) -> HFConfig:
    """Read a local config.json into scenario architecture fields (see the module docstring)."""
    file = os.fspath(path)
    text = read_text(file, limit=MAX_CONFIG_BYTES, what="config.json")
    try:
        config = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"not valid JSON: {exc}", file=file) from None
    if not isinstance(config, dict):
        raise InputError("expected a JSON object (a Hugging Face config.json)", file=file)
    if isinstance(config.get("text_config"), dict):  # multimodal wrappers (Gemma 3, Llama 4)
        config = {**config["text_config"], "model_type": config["text_config"].get("model_type")}
    model_type = config.get("model_type")
    if model_type not in FAMILIES:
        raise InputError(
            "unsupported model_type",
            file=file,
            field="model_type",
            value=model_type,
            allowed=f"one of {', '.join(FAMILIES)}; otherwise write model.architecture by hand",
        )
    heads = _number(config, "num_attention_heads", file)
    hidden = _number(config, "hidden_size", file)
    arch: dict[str, Any] = {
        "layers": _number(config, "num_hidden_layers", file),
        "d_model": hidden,
        "heads": heads,
        "kv_heads": _number(config, "num_key_value_heads", file, heads),
        "ffn_size": _number(config, "intermediate_size", file),
        "vocab_size": _number(config, "vocab_size", file),
        "glu": True,
        "tied_embeddings": bool(config.get("tie_word_embeddings", model_type in GEMMA)),
    }
    head_dim = config.get("head_dim")
    if isinstance(head_dim, int) and not isinstance(head_dim, bool):
        arch["head_dim"] = head_dim
    assumptions: list[str] = []
    max_position = config.get("max_position_embeddings")
    scaling = config.get("rope_scaling")
    if isinstance(scaling, dict) and isinstance(
        scaling.get("original_max_position_embeddings"), int
    ):
        max_position = scaling["original_max_position_embeddings"]  # the length before YaRN
    if isinstance(max_position, int) and not isinstance(max_position, bool) and max_position > 0:
        arch["seq_len"] = min(max_position, DEFAULT_SEQ_LEN)
        if max_position > DEFAULT_SEQ_LEN:
            assumptions.append(
                f"seq_len {DEFAULT_SEQ_LEN} assumed (the file's max_position_embeddings "
                f"{max_position:,} is the served context, not the training length)"
            )
    else:
        arch["seq_len"] = DEFAULT_SEQ_LEN
        assumptions.append(f"seq_len {DEFAULT_SEQ_LEN} assumed (no max_position_embeddings)")
    if model_type == "qwen2" or model_type == "qwen2_moe":
        arch["qkv_bias"] = True  # Qwen2 projections carry biases on q, k and v
    if model_type == "mixtral":
        arch["experts"] = _number(config, "num_local_experts", file)
        arch["top_k"] = _number(config, "num_experts_per_tok", file)
    elif model_type in ("qwen2_moe", "qwen3_moe"):
        arch["experts"] = _number(config, "num_experts", file)
        arch["top_k"] = _number(config, "num_experts_per_tok", file)
        arch["expert_ffn_size"] = _number(config, "moe_intermediate_size", file)
        shared = config.get("shared_expert_intermediate_size") or 0
        if shared:
            # one shared expert of k x the routed size counts as k shared experts
            arch["shared_experts"] = max(1, round(shared / arch["expert_ffn_size"]))
    elif model_type in LATENT:
        arch["experts"] = _number(config, "n_routed_experts", file)
        arch["top_k"] = _number(config, "num_experts_per_tok", file)
        arch["shared_experts"] = _number(config, "n_shared_experts", file, 0)
        arch["expert_ffn_size"] = _number(config, "moe_intermediate_size", file)
        arch["dense_layers"] = _number(config, "first_k_dense_replace", file, 0)
        latent = {
            "q_lora_rank": _number(config, "q_lora_rank", file, 0) or None,
            "kv_lora_rank": _number(config, "kv_lora_rank", file),
            "qk_nope_head_dim": _number(config, "qk_nope_head_dim", file),
            "qk_rope_head_dim": _number(config, "qk_rope_head_dim", file),
            "v_head_dim": _number(config, "v_head_dim", file),
        }
        arch["latent_attention"] = latent
        arch["head_dim"] = latent["qk_nope_head_dim"] + latent["qk_rope_head_dim"]
        if config.get("num_nextn_predict_layers"):
            assumptions.append(
                "the multi-token-prediction module (num_nextn_predict_layers) is not counted"
            )
    if model_type in ("gemma2", "gemma3_text", "gemma3"):
        assumptions.append("Gemma's two extra norms per block are not counted")
    stated, source = stated_params(config, file)
    return HFConfig(file, model_type, arch, stated, source, tuple(assumptions))


def stated_params(config: dict[str, Any], file: str) -> tuple[float | None, str | None]:
    """The file's own total parameter count and where it comes from, if it has one."""
    for key in ("num_parameters", "num_params", "n_params", "total_params"):
        value = config.get(key)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
            return float(value), f"{key} in {Path(file).name}"
    index = Path(file).parent / "model.safetensors.index.json"
    width = _BYTES.get(str(config.get("torch_dtype", "bfloat16")))
    if width is None or not index.is_file():
        return None, None
    try:
        document = json.loads(read_text(index, limit=100 * MAX_CONFIG_BYTES, what="index"))
        total = float(document["metadata"]["total_size"])
    except (InputError, ValueError, TypeError, KeyError):
        return None, None
    return total / width, f"{index.name} total_size / {width} bytes"


def comparison(read: HFConfig, total: float, active: float, seq_len: int | None = None) -> str:
    """A note: the parameters computed from the file, and how they compare with its count.
    A ``seq_len`` other than the one assumed from the file drops that assumption's line."""
    from planner.units import format_count

    text = (
        f"Architecture read from {shown(read.path)} ({read.model_type}): "
        f"{format_count(total)} parameters"
        + (f", {format_count(active)} active per token" if active != total else "")
    )
    if read.stated_params is not None:
        difference = total / read.stated_params - 1
        verdict = "agrees" if abs(difference) <= STATED_TOLERANCE else "DIFFERS; check the file"
        text += (
            f"; the model's files state {format_count(read.stated_params)} "
            f"({read.stated_source}): "
            f"{difference:+.1%}, {verdict}"
        )
    assumed = [
        line
        for line in read.assumptions
        if not (line.startswith("seq_len") and seq_len not in (None, read.architecture["seq_len"]))
    ]
    if assumed:
        text += "; " + "; ".join(assumed)
    return text + "."


def architecture_from_file(path: str | Path) -> dict[str, Any]:
    """The architecture fields of a config.json (what ``model.hf_config`` reads)."""
    return dict(read_hf_config(path).architecture)
