"""Monte Carlo ranges: reproducible under a seed, honouring the stated percentiles."""

from __future__ import annotations

import pytest

import planner
from planner.loader import validate
from tests.conftest import MINIMAL, ROOT, SCENARIOS

SYNTHETIC = {
    **MINIMAL,
    "data": [
        {"name": "web", "unique_tokens": "300B", "share": 0.7},
        {
            "name": "syn",
            "share": 0.3,
            "synthetic": {
                "acceptance_yield": 0.5,
                "generator": {
                    "api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 4}
                },
            },
        },
    ],
}


def test_same_seed_same_ranges_other_seed_other_ranges() -> None:
    first = planner.estimate(validate(SYNTHETIC))
    again = planner.estimate(validate(SYNTHETIC))
    assert first == again
    other = planner.estimate(validate({**SYNTHETIC, "uncertainty": {"seed": 1}}))
    assert other.loss_p10 != first.loss_p10
    assert other.loss_p10 == pytest.approx(first.loss_p10, abs=0.01)


def test_percentiles_bracket_the_point_estimates() -> None:
    r = planner.estimate(validate(SYNTHETIC))
    for name in ("loss", "total_cost_usd", "accelerator_hours", "wall_clock_days"):
        p10, p50, p90 = (getattr(r, f"{name}_p{q}") for q in (10, 50, 90))
        assert p10 < p50 < p90, name
        assert p10 <= getattr(r, name) <= p90, name


def test_hours_percentiles_are_the_utilisation_range() -> None:
    # Utilisation P10/P50/P90 are the scenario's low/point/high, so hours P10/P90 are the
    # deterministic range's ends (tolerance 1%: 10,000 draws).
    r = planner.estimate(validate(SYNTHETIC))
    assert r.accelerator_hours_p10 == pytest.approx(r.accelerator_hours_low, rel=0.01)
    assert r.accelerator_hours_p50 == pytest.approx(r.accelerator_hours, rel=0.01)
    assert r.accelerator_hours_p90 == pytest.approx(r.accelerator_hours_high, rel=0.01)


def test_no_uncertainty_when_turned_off_or_fixed() -> None:
    off = planner.estimate(validate({**SYNTHETIC, "uncertainty": {"samples": 0}}))
    assert off.loss_p10 is None and off.total_cost_usd_p90 is None
    fixed = {
        **MINIMAL,
        "law": "hoffmann-2022",
        "training": {**MINIMAL["training"], "utilization": 0.4},
        "uncertainty": {"price_spread": 0},
    }
    r = planner.estimate(validate(fixed))
    # Hoffmann publishes no standard errors and nothing else is uncertain here.
    assert r.loss_p10 == pytest.approx(r.loss) == pytest.approx(r.loss_p90)
    assert r.total_cost_usd_p10 == pytest.approx(r.total_cost_usd_p90)


def test_law_uncertainty_is_pinned_at_the_fitted_data() -> None:
    def spread(params: float, tokens: float) -> float:
        doc = {
            **MINIMAL,
            "model": {"params": params},
            "training": {**MINIMAL["training"], "tokens": tokens},
        }
        r = planner.estimate(validate(doc))
        return r.loss_p90 - r.loss_p10

    # At the pivot (8.7e8 params, 1.6e10 tokens) only E's standard error (0.026) remains:
    # P10-P90 = 2 x 1.2816 x 0.026 = 0.0666 (tolerance 3%: 10,000 draws).
    assert spread(8.7e8, 1.6e10) == pytest.approx(2 * 1.2816 * 0.026, rel=0.03)
    # Away from it the sampled exponents add their share.
    assert spread(8.7e8, 1.6e10) < spread(70e9, 1.4e12)
    assert spread(8.7e8, 1.6e10) < spread(1e8, 1e9)


def test_ranges_for_every_shipped_scenario_plan() -> None:
    for path in SCENARIOS:
        for plan in planner.run(planner.load_scenario(path)).plans:
            assert plan.loss_p10 <= plan.loss_p50 <= plan.loss_p90


def test_paired_differences_against_the_baseline_cancel_shared_uncertainty() -> None:
    results = planner.run(planner.load_scenario(ROOT / "scenarios" / "phi4_style_14b.yaml"))
    base = results["base"]
    assert (
        base.loss_vs_baseline_p10,
        base.loss_vs_baseline_p90,
        base.probability_below_baseline,
    ) == (0, 0, 0)
    worse = results["pessimistic-synthetic"]
    band = worse.loss_p90 - worse.loss_p10
    paired = worse.loss_vs_baseline_p90 - worse.loss_vs_baseline_p10
    assert 0 < worse.loss_vs_baseline_p10 < worse.loss_vs_baseline_p50 < worse.loss_vs_baseline_p90
    assert paired < band / 5  # E's uncertainty (most of the band) is shared and cancels
    assert worse.probability_below_baseline < 0.1


def test_a_law_without_errors_is_flagged() -> None:
    doc = {**MINIMAL, "law": "hoffmann-2022"}
    result = planner.estimate(validate(doc))
    assert any("publishes no standard errors" in f.message for f in result.flags)
    assert result.loss_p10 == result.loss_p90  # and indeed no law uncertainty enters the range
