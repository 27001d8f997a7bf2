"""Whole plans: the arithmetic end to end, invariants (hypothesis) and round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.plan.plans import validate
from planner.scenario.schema import Scenario
from tests.conftest import MINIMAL


def plan(**training: object) -> planner.PlanResult:
    doc = {**MINIMAL, "training": {**MINIMAL["training"], **training}}
    return planner.estimate(validate(doc))


def test_default_plan_arithmetic() -> None:
    result = plan(utilization=0.4, price_usd_per_hour=2.0, goodput=0.8)
    flops = 6 * 7e9 * 1e12
    hours = flops / (989.4e12 * 0.4) / 3600
    assert result.training_flops == flops
    assert result.accelerator_hours == pytest.approx(hours)
    assert result.billed_accelerator_hours == pytest.approx(hours / 0.8)
    assert result.wall_clock_days == pytest.approx(hours / 64 / 0.8 / 24)
    assert result.training_cost_usd == pytest.approx(hours / 0.8 * 2.0)
    assert result.overhead_usd == pytest.approx(hours * 0.25 * 2.0)
    assert result.energy_kwh == pytest.approx(hours / 0.8 * 0.7 * 1.1)
    assert result.co2_tonnes == pytest.approx(result.energy_kwh * 0.385 / 1000)
    assert result.total_cost_usd == pytest.approx(result.training_cost_usd)


def test_utilization_range_brackets_the_point() -> None:
    result = plan(utilization={"low": 0.2, "high": 0.5, "point": 0.3})
    assert result.accelerator_hours_low < result.accelerator_hours < result.accelerator_hours_high
    assert result.accelerator_hours_high / result.accelerator_hours_low == pytest.approx(2.5)
    assert result.total_cost_usd_low < result.total_cost_usd < result.total_cost_usd_high


def test_too_few_accelerators_for_memory_warns() -> None:
    result = plan(accelerator_count=1)
    assert result.min_accelerators == 2  # 7B x 16 bytes = 112 GB > 80 GB
    assert any("at least 2 are needed" in w for w in result.warnings)


def test_tpu_without_tdp_has_no_energy_and_says_why() -> None:
    result = plan(accelerator="tpu-v5e")
    assert result.energy_kwh is None and result.co2_tonnes is None
    assert any("no published TDP" in w for w in result.warnings)


def test_accelerator_without_price_gives_hours_and_no_dollars() -> None:
    """Issue 18: time needs no price; dollars are NaN ("no price" in outputs) until one is set."""
    unpriced = plan(accelerator="gb200")
    assert unpriced.accelerator_hours > 0 and unpriced.wall_clock_days > 0
    assert math.isnan(unpriced.price_usd_per_hour) and math.isnan(unpriced.total_cost_usd)
    assert plan(accelerator="gb200", price_usd_per_hour=6.0).price_usd_per_hour == 6.0


def test_mix_epochs_and_synthetic_share() -> None:
    doc = {
        **MINIMAL,
        "data": [
            {"name": "web", "unique_tokens": "200B", "share": 0.6},
            {
                "name": "syn",
                "share": 0.4,
                "synthetic": {
                    "generator": {
                        "api": {
                            "input_usd_per_million_tokens": 0,
                            "output_usd_per_million_tokens": 1,
                        }
                    }
                },
            },
        ],
    }
    result = planner.estimate(validate(doc))
    web, syn = result.sources
    assert web.epochs == pytest.approx(3.0)
    assert syn.unique_tokens == syn.tokens == 400e9 and syn.epochs == 1.0
    assert result.synthetic_share == pytest.approx(0.4)
    assert result.synthetic_generation_usd == pytest.approx(400e3)


def test_training_epochs_draws_every_source() -> None:
    doc = {
        **MINIMAL,
        "training": {**MINIMAL["training"], "tokens": None, "epochs": 2},
        "data": [{"name": "a", "unique_tokens": "100B"}, {"name": "b", "unique_tokens": "50B"}],
    }
    doc["training"].pop("tokens")
    result = planner.estimate(validate(doc))
    assert result.tokens == 300e9


positive = st.floats(min_value=1e6, max_value=1e13, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(params=positive, tokens=positive, factor=st.floats(min_value=1.0, max_value=100.0))
def test_cost_and_hours_monotone_never_negative_or_nan(
    params: float, tokens: float, factor: float
) -> None:
    def result(p: float, t: float) -> planner.PlanResult:
        return planner.estimate(
            validate(
                {
                    **MINIMAL,
                    "model": {"params": p},
                    "training": {**MINIMAL["training"], "tokens": t},
                }
            )
        )

    base, more_tokens, more_params = (
        result(params, tokens),
        result(params, tokens * factor),
        result(params * factor, tokens),
    )
    for r in (base, more_tokens, more_params):
        for value in (r.accelerator_hours, r.total_cost_usd, r.wall_clock_days, r.energy_kwh):
            assert value is not None and value >= 0 and not math.isnan(value)
    # within one model shape the hours model's hours are flat in parameters (MFU scales with
    # them): allow the last bit of floating-point noise
    ulp = 1 - 1e-12
    assert more_tokens.accelerator_hours >= base.accelerator_hours * ulp
    assert more_tokens.total_cost_usd >= base.total_cost_usd * ulp
    assert more_params.accelerator_hours >= base.accelerator_hours * ulp
    assert more_params.total_cost_usd >= base.total_cost_usd * ulp


@settings(max_examples=40, deadline=None)
@given(
    params=positive,
    tokens=positive,
    share=st.floats(min_value=0.01, max_value=0.99),
    yield_=st.floats(min_value=0.01, max_value=1.0),
    count=st.integers(1, 100_000),
)
def test_scenario_survives_dump_and_reload(
    params: float, tokens: float, share: float, yield_: float, count: int
) -> None:
    doc = {
        **MINIMAL,
        "model": {"params": params},
        "training": {**MINIMAL["training"], "tokens": tokens, "accelerator_count": count},
        "data": [
            {"name": "web", "share": 1 - share},
            {
                "name": "syn",
                "share": share,
                "synthetic": {
                    "acceptance_yield": yield_,
                    "generator": {"self_hosted": {"params": "7B", "accelerator": "h100-sxm"}},
                },
            },
        ],
    }
    scenario = validate(doc)
    assert Scenario.model_validate(scenario.model_dump()) == scenario
    assert Scenario.model_validate_json(scenario.model_dump_json()) == scenario
    assert planner.estimate(Scenario.model_validate(scenario.model_dump())) == planner.estimate(
        scenario
    )
