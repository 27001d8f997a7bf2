"""Published stage-2 effects per task (planner.laws.stage_effects; laws-2025.md §4.3, check 19)."""

from __future__ import annotations

import pytest

from planner.laws.stage_effects import NOTE, stage_effects


def test_check_19_olmo2_mid_training_effects() -> None:
    """laws-2025.md check 19 (OLMo 2, arXiv 2501.00656 Table 9 [S]): 7B GSM8K 24.1 -> 67.5 and
    MMLU 59.8 -> 63.7 after 3 x 50B mid-training, 1.3% of tokens per ingredient (check 12:
    50B / (3.895T + 50B) = 1.267% +-0.01 pp). Shown as per-task shifts, never as a prediction."""
    rows = {(e.model, e.task): e for e in stage_effects()}
    gsm8k, mmlu = rows["OLMo 2 7B", "GSM8K"], rows["OLMo 2 7B", "MMLU"]
    assert (gsm8k.before, gsm8k.after) == (24.1, 67.5)
    assert (mmlu.before, mmlu.after) == (59.8, 63.7)
    for row in (gsm8k, mmlu):
        assert row.after is not None and row.before is not None
        assert row.shift == pytest.approx(row.after - row.before, abs=1e-9)
        assert row.stage_share == pytest.approx(50e9 / (928_646 * 1024 * 4096 + 50e9), abs=1e-4)
        assert row.params == 7e9
    assert "not a prediction" in NOTE


def test_every_row_has_a_source_and_consistent_shift() -> None:
    effects = stage_effects()
    assert len(effects) >= 10
    for e in effects:
        assert e.source.strip() and e.task.strip() and e.unit.strip()
        if e.before is not None and e.after is not None and e.unit == "points":
            assert e.shift == pytest.approx(e.after - e.before, abs=0.051), e
    llama = [e for e in effects if e.recipe == "Llama 3"]
    assert {e.params for e in llama} == {8e9, 405e9}  # the effect shrinks with scale
