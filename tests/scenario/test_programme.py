"""The whole programme beside the final run: development, evaluation, owned accelerators."""

from __future__ import annotations

import math

import pytest

import planner
from planner import defaults
from planner.errors import InputError
from planner.explore.sweep import sweep
from planner.plan import cost
from planner.plan.plans import validate

BASE = {
    "name": "p",
    "model": {"params": "7B"},
    "training": {"tokens": "2T", "accelerator": "h100-sxm", "accelerator_count": 256},
}


def plan(programme: dict | None) -> planner.PlanResult:
    return planner.estimate(
        validate({**BASE, **({"programme": programme} if programme is not None else {})})
    )


def test_llama1_development_multiple() -> None:
    # Touvron et al. 2023 §6.1 and Table 15: 2,638 MWh to develop the family; the four final runs
    # used 36 + 59 + 233 + 449 = 777 MWh, so development beyond them was (2638 - 777) / 777 = 2.395x.
    assert defaults.DEVELOPMENT_MULTIPLE_LLAMA1 == pytest.approx(2.395, abs=1e-3)


def test_programme_lines_are_separate_from_the_final_run() -> None:
    bare = plan(None)
    full = plan({"development_multiple": "llama-1", "evaluation_share": 0.05})
    assert full.total_cost_usd == bare.total_cost_usd  # the final run stays comparable
    hours = bare.billed_accelerator_hours * (defaults.DEVELOPMENT_MULTIPLE_LLAMA1 + 0.05)
    assert full.programme_accelerator_hours == pytest.approx(hours)
    assert full.programme_usd == pytest.approx(hours * bare.price_usd_per_hour)
    assert full.programme_total_usd == pytest.approx(bare.total_cost_usd + full.programme_usd)
    assert bare.programme_usd is None and bare.programme_total_usd == bare.total_cost_usd


def test_owned_accelerators_amortised_as_epoch() -> None:
    # Cottier et al. 2024: price x 0.14 ln10 / 8766 h x 1.19 per hour; energy at TDP x PUE x $/kWh.
    owned = plan({"owned": {"purchase_usd": 30_000, "energy_usd_per_kwh": 0.08}})
    hourly = 30_000 * 0.14 * math.log(10) / 8766 * 1.19 + 0.700 * 1.1 * 0.08
    assert owned.amortised_training_usd == pytest.approx(
        owned.billed_accelerator_hours * hourly, rel=1e-9
    )
    assert cost.amortised_usd_per_hour(30_000, 0.14 * math.log(10), 0.19) == pytest.approx(
        1.3124, rel=1e-3
    )


def test_programme_in_sweeps_and_json() -> None:
    # a stated utilisation: the hours model would pick a different shape per size
    training = {**BASE["training"], "utilization": 0.3}
    scenario = validate({**BASE, "training": training, "programme": {"development_multiple": 1.0}})
    frame = sweep(scenario, {"model.params": [7e9, 14e9]})
    assert frame["programme_usd"].iloc[1] == pytest.approx(2 * frame["programme_usd"].iloc[0])
    assert "programme_total_usd" in planner.run(scenario).to_dict()["plans"][0]


@pytest.mark.parametrize(
    "programme",
    [
        {"development_multiple": -1},
        {"development_multiple": "gpt-4"},
        {"owned": {"purchase_usd": 1, "depreciation_per_year": 0}},
        {"evaluation_share": float("inf")},
    ],
)
def test_bad_programme_is_a_clear_error(programme: dict) -> None:
    with pytest.raises(InputError, match="programme"):
        validate({**BASE, "programme": programme})
