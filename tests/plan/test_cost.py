"""Dollars, energy and CO2 formulas, checked against published arithmetic."""

import pytest

from planner.plan import cost
from planner.scenario.schema import DataSource


def test_deepseek_v3_cost_check_24() -> None:
    # literature.md §9 check 24: 2.788M H800-hours x $2 = $5.576M.
    assert cost.training_cost_usd(2.788e6, 2.0) == pytest.approx(5.576e6)


def test_overhead_is_the_non_training_share_of_billed_time() -> None:
    assert cost.overhead_cost_usd(900.0, 2.0, 0.9) == pytest.approx(200.0)
    assert cost.overhead_cost_usd(900.0, 2.0, 1.0) == 0.0


def test_llama_energy_and_carbon_method() -> None:
    # Touvron et al. 2023 Table 15: LLaMA-65B 1,022,362 A100-h x 400 W x PUE 1.1 = 449 MWh,
    # x 0.385 kg/kWh = 173 tCO2e (published_runs.csv). Tolerance 0.5% (table rounding).
    kwh = cost.energy_kwh(1_022_362, 1.0, 400, 1.1)
    assert kwh / 1000 == pytest.approx(449, rel=5e-3)
    assert cost.co2_tonnes(kwh, 0.385) == pytest.approx(173, rel=5e-3)


def synthetic(generator: dict, **extra: object) -> DataSource:
    return DataSource.model_validate(
        {"name": "syn", "share": 1.0, "synthetic": {"generator": generator, **extra}}
    )


def test_api_generation_cost_with_yield_and_prompts() -> None:
    source = synthetic(
        {"api": {"input_usd_per_million_tokens": 2.5, "output_usd_per_million_tokens": 10}},
        acceptance_yield=0.5,
        prompt_tokens_per_token=0.2,
    )
    spent = cost.source_cost(source, 1e9)
    assert spent.generated_tokens == 2e9
    assert spent.generation_usd == pytest.approx(2e9 * 10 / 1e6 + 0.4e9 * 2.5 / 1e6)
    assert spent.generation_accelerator_hours == 0.0


def test_self_hosted_generation_reproduces_wrap() -> None:
    # WRAP (Maini et al. 2024): 85B tokens from a 7B rephraser in ~25K A100-hours. The default
    # utilisation was derived from exactly this, so the check is the derivation's consistency:
    # 2 x 7.24e9 x (85e9 prompt + 85e9 output) / (312e12 x 0.088) / 3600 = 24.9k A100-h.
    source = synthetic({"self_hosted": {"params": 7.24e9, "accelerator": "a100-80gb"}})
    spent = cost.source_cost(source, 85e9)
    assert spent.generation_accelerator_hours == pytest.approx(25_000, rel=0.02)
    assert spent.generation_usd == pytest.approx(spent.generation_accelerator_hours * 1.36)


def test_grading_reads_every_generated_candidate_per_pass() -> None:
    judge = {"api": {"input_usd_per_million_tokens": 1.0, "output_usd_per_million_tokens": 4.0}}
    source = synthetic(
        {"api": {"input_usd_per_million_tokens": 0, "output_usd_per_million_tokens": 0}},
        acceptance_yield=0.25,
        grading=[{"judge": judge, "passes": 2, "output_tokens_per_token": 0.01}],
    )
    spent = cost.source_cost(source, 1e9)
    # 4e9 generated, read twice at $1/M, plus 2 x 0.01 x 4e9 output tokens at $4/M
    assert spent.grading_usd == pytest.approx(8e9 / 1e6 + 0.08e9 * 4 / 1e6)


def test_real_data_pays_licence_and_processing_once_plus_fee() -> None:
    source = DataSource(
        name="books",
        unique_tokens=100e9,
        share=1.0,
        license_usd_per_million_tokens=2,
        processing_usd_per_million_tokens=0.5,
        fixed_fee_usd=10_000,
    )
    assert cost.source_cost(source, 100e9).acquisition_usd == pytest.approx(100e3 * 2.5 + 10_000)
