"""Effective data of a mix, expected loss per plan, risk flags (literature.md §8, §9)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.laws.choice import law
from planner.laws.forms import R_STAR_DATA
from planner.mixture.expected_loss import (
    Pool,
    collapse_factor,
    downstream_error,
    expected_loss,
    mix_effective,
)
from planner.plan.plans import validate
from planner.scenario.schema import Downstream
from tests.conftest import MINIMAL
from tests.reference_formulas import stock_effective_tokens


def pool(name: str, unique: float, tokens: float, kind: str = "real", weight: float = 1.0) -> Pool:
    return Pool(name, kind, unique, tokens, R_STAR_DATA, weight, weight, weight)


def test_each_pool_repeats_on_its_own() -> None:
    # Two pools at 4 epochs each give 2 x 3.72567 U (literature.md §9 check 8), not the D' of
    # one pool at 4 epochs over 2U (which would be the same here) nor of 8 epochs over U.
    terms = mix_effective([pool("a", 1e9, 4e9), pool("b", 1e9, 4e9)])
    assert terms.effective_tokens == pytest.approx(2 * 3.72567e9, rel=1e-5)
    assert terms.unique_tokens == 2e9


def test_an_explicit_synthetic_weight_scales_its_pool() -> None:
    # value_weight stays as an explicit user override: w·D' for that pool, no mixture gain.
    terms = mix_effective([pool("web", 1e9, 1e9), pool("syn", 1e9, 1e9, "synthetic", 2.5)])
    assert terms.effective_tokens == pytest.approx(1e9 + 2.5e9)


def test_plain_loss_when_unique_data_is_unknown() -> None:
    # No data sources: the plan's loss is the law's L(N, D) (literature.md §9 check 5).
    result = planner.estimate(
        validate(
            {
                **MINIMAL,
                "model": {"params": "70B"},
                "training": {**MINIMAL["training"], "tokens": "1.4T"},
            }
        )
    )
    assert result.loss == pytest.approx(1.97388, abs=1e-5)
    assert result.law == "besiroglu-2024"
    assert result.optimal_tokens_per_param == pytest.approx(18.4, abs=0.1)  # check 4 at 5.9e23


def test_data_constrained_loss_matches_datablations() -> None:
    # One real pool of 25B unique tokens drawn to 242B, Muennighoff's C4 law: check 11.
    doc = {
        **MINIMAL,
        "model": {"params": 6.34e9},
        "law": "muennighoff-2023",
        "training": {**MINIMAL["training"], "tokens": 242e9},
        "data": [{"name": "c4", "unique_tokens": 25e9, "share": 1.0}],
    }
    assert planner.estimate(validate(doc)).loss == pytest.approx(2.2256440889984477, abs=1e-12)


def test_inline_law_constants() -> None:
    doc = {
        **MINIMAL,
        "law": {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28},
        "model": {"params": "70B"},
        "training": {**MINIMAL["training"], "tokens": "1.4T"},
    }
    assert planner.estimate(validate(doc)).loss == pytest.approx(1.93665, abs=1e-5)


def flagged(**data: object) -> list[str]:
    doc = {**MINIMAL, "training": {**MINIMAL["training"], "tokens": "1T"}, **data}
    return [f"{f.level}: {f.message} [{f.source}]" for f in planner.estimate(validate(doc)).flags]


def synthetic_source(share: float, **extra: object) -> dict:
    return {
        "name": "syn",
        "share": share,
        "synthetic": {
            "generator": {
                "api": {"input_usd_per_million_tokens": 0, "output_usd_per_million_tokens": 1}
            },
            **extra,
        },
    }


def test_epoch_flags_with_sources() -> None:
    five = flagged(data=[{"name": "web", "unique_tokens": "200B", "share": 1.0}])
    assert any("5.0 epochs" in f and "Muennighoff" in f and f.startswith("warning") for f in five)
    fifty = flagged(data=[{"name": "web", "unique_tokens": "20B", "share": 1.0}])
    assert any(
        "50.0 epochs" in f and "worth almost nothing" in f and f.startswith("risk") for f in fifty
    )
    assert any("beyond ~16 epochs it is an extrapolation" in f for f in fifty)
    assert flagged(data=[{"name": "web", "unique_tokens": "1T", "share": 1.0}]) == []


def test_synthetic_share_and_rephrased_flags() -> None:
    high = flagged(data=[{"name": "web", "share": 0.4}, synthetic_source(0.6)])
    assert any("synthetic share 60%" in f and "Phi-4" in f for f in high)
    rephrased = flagged(
        data=[{"name": "web", "share": 0.55}, synthetic_source(0.45, kind="rephrased")]
    )
    assert any("rephrased share 45%" in f and "Kang" in f for f in rephrased)
    assert (
        flagged(
            data=[
                {"name": "web", "share": 0.7},
                synthetic_source(0.3, kind="rephrased", rephrases="web"),
            ]
        )
        == []
    )
    untied = flagged(data=[{"name": "web", "share": 0.7}, synthetic_source(0.3, kind="rephrased")])
    assert any("without naming what it rephrases" in f and "2603.18534" in f for f in untied)


def test_collapse_flag_is_qualitative_and_follows_policy() -> None:
    replace = flagged(
        data=[{"name": "web", "share": 0.7}, synthetic_source(0.3, generations=5, policy="replace")]
    )
    assert any("5.00x" in f and "qualitative" in f for f in replace)
    accumulate = flagged(data=[{"name": "web", "share": 0.7}, synthetic_source(0.3, generations=5)])
    assert any("1.46x" in f for f in accumulate)


def test_check_20_accumulate_bound() -> None:
    # literature.md §9 check 20: accumulate after 5 iterations is 1.4636x; replace 5x; bound pi^2/6.
    assert collapse_factor(5, "accumulate") == pytest.approx(1.4636, abs=1e-4)
    assert collapse_factor(5, "replace") == 5
    assert collapse_factor(10_000, "accumulate") == pytest.approx(math.pi**2 / 6, abs=1e-3)
    assert math.pi**2 / 6 == pytest.approx(1.644934, abs=1e-6)


def test_human_stock_flags() -> None:
    assert any(
        "exceed the ~300T" in f and "Villalobos" in f
        for f in flagged(data=[{"name": "web", "unique_tokens": "400T", "share": 1.0}])
    )
    assert any(
        "~100T quality-adjusted" in f
        for f in flagged(data=[{"name": "web", "unique_tokens": "150T", "share": 1.0}])
    )


def test_check_26_data_stock_monte_carlo() -> None:
    # literature.md §9 check 26: effective stock median ~3.2e14; assert 2.5e14-4.0e14.
    assert 2.5e14 <= float(np.median(stock_effective_tokens(400_000, seed=0))) <= 4.0e14


def test_check_19_gadre_downstream_map() -> None:
    # literature.md §9 check 19: Err17(L = 2.5021) ~ 0.488 (RedPajama refit); Err -> epsilon as L grows.
    mapping = Downstream()
    assert downstream_error(2.5021, mapping) == pytest.approx(0.488, abs=1e-3)
    assert downstream_error(1e6, mapping) == pytest.approx(mapping.epsilon)
    doc = {**MINIMAL, "downstream": {}}
    result = planner.estimate(validate(doc))
    assert result.downstream_error == pytest.approx(downstream_error(result.loss, mapping))
    assert any("valid only for" in f.message for f in result.flags)


sizes = st.floats(min_value=1e8, max_value=1e13)


@settings(max_examples=60, deadline=None)
@given(
    unique=sizes,
    epochs=st.floats(min_value=1.0, max_value=1e3),
    extra=st.floats(min_value=1.01, max_value=10),
)
def test_more_repetition_never_beats_fresh_data(unique: float, epochs: float, extra: float) -> None:
    # Drawing more from the same pool helps no more than the same amount of fresh data.
    b = law("besiroglu-2024")
    tokens = unique * epochs
    repeated = mix_effective([pool("a", unique, tokens * extra)]).effective_tokens
    fresh = mix_effective(
        [pool("a", unique, tokens), pool("b", tokens * (extra - 1), tokens * (extra - 1))]
    ).effective_tokens
    assert repeated <= fresh * (1 + 1e-12)
    assert expected_loss(b, 7e9, repeated, None) >= expected_loss(b, 7e9, fresh, None) - 1e-12
