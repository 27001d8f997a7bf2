"""Shared fixtures: paths to shipped scenarios and a writer for throwaway scenario files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

MINIMAL = {
    "name": "minimal",
    "model": {"params": "7B"},
    "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 64},
}


@pytest.fixture
def write_scenario(tmp_path: Path) -> Callable[..., Path]:
    """Write a mapping (or raw text) to a scenario file and return its path."""

    def write(content: object, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(
            content if isinstance(content, str) else yaml.safe_dump(content), encoding="utf-8"
        )
        return path

    return write
