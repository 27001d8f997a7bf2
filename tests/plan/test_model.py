"""The plan model: a sweep row equals run() for every output, range and flag.

One implementation serves both (planner.plan.evaluate.evaluate); these properties hold it to that
across FLOPs conventions, architecture inputs, MoE, epochs-based draws, synthetic shares above
the flag thresholds and several laws.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.explore.sweep import sweep
from planner.plan import evaluate, flags, monte_carlo
from planner.plan.plans import validate

LAWS = ["besiroglu-2024", "hoffmann-2022", "muennighoff-2023", "kaplan-2020"]


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    convention = draw(st.sampled_from(["6nd", "palm", "megatron"]))
    architecture = convention != "6nd" or draw(st.booleans())
    if architecture:
        heads = draw(st.sampled_from([8, 16, 32]))
        experts = draw(st.sampled_from([1, 1, 8, 64]))
        shape: dict[str, Any] = {
            "architecture": {
                "layers": draw(st.integers(2, 80)),
                "d_model": heads * draw(st.sampled_from([64, 128])),
                "heads": heads,
                "kv_heads": draw(st.sampled_from([heads, heads // 4 or 1])),
                "vocab_size": draw(st.sampled_from([32000, 128256])),
                "seq_len": draw(st.sampled_from([2048, 8192])),
                "glu": draw(st.booleans()),
                "experts": experts,
                "top_k": min(experts, draw(st.sampled_from([1, 2, 8]))),
            }
        }
    else:
        params = draw(st.floats(1e8, 1e12))
        shape = {"params": params, "active_params": params * draw(st.sampled_from([1.0, 1.0, 0.1]))}
    synthetic_share = draw(st.floats(0.05, 0.9))
    kind = draw(st.sampled_from(["rephrased", "generated"]))
    by_epochs = draw(st.booleans())
    web_unique = draw(st.floats(1e9, 1e13))
    syn_unique = draw(st.floats(1e9, 1e13))
    if by_epochs:
        training_draw: dict[str, Any] = {"epochs": draw(st.floats(0.5, 60))}
        data = [
            {"name": "web", "unique_tokens": web_unique},
            {
                "name": "syn",
                "unique_tokens": syn_unique,
                "synthetic": {
                    "kind": kind,
                    "acceptance_yield": draw(st.floats(0.1, 1.0)),
                    "generator": {
                        "api": {
                            "input_usd_per_million_tokens": 0.5,
                            "output_usd_per_million_tokens": 2,
                        }
                    },
                },
            },
        ]
    else:
        training_draw = {"tokens": draw(st.floats(1e10, 2e13))}
        data = [
            {
                "name": "web",
                "unique_tokens": web_unique,
                "share": 1 - synthetic_share,
                "license_usd_per_million_tokens": 0.1,
            },
            {
                "name": "syn",
                "share": synthetic_share,
                "synthetic": {
                    "kind": kind,
                    "acceptance_yield": draw(st.floats(0.1, 1.0)),
                    "generator": {"self_hosted": {"params": "7B", "accelerator": "a100-80gb"}},
                },
            },
        ]
    if kind == "rephrased" and draw(st.booleans()):  # tied to its source: one family (issue 10)
        data[1]["synthetic"]["rephrases"] = "web"
    law = draw(st.sampled_from(LAWS))
    forms = ["share-gain"] if law == "kaplan-2020" else ["share-gain", "budget-gain"]
    return {
        "name": "prop",
        "model": shape,
        "law": law,
        "mixture": {
            "form": draw(st.sampled_from(forms)),
            "rephrased": draw(st.sampled_from(["conservative", "wrap-2024", "kang-2025"])),
        },
        "training": {
            **training_draw,
            "accelerator": draw(st.sampled_from(["h100-sxm", "a100-80gb", "tpu-v5e"])),
            "accelerator_count": draw(st.integers(1, 20000)),
            "flops_convention": convention,
            "activation_recompute": draw(st.booleans()),
            "price_usd_per_hour": 2.5,
        },
        "data": data,
        "uncertainty": {"samples": 500, "seed": draw(st.integers(0, 5))},
    }


def _same(a: float | None, b: float | None) -> bool:
    if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return a == pytest.approx(b, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    document=scenarios(), prices=st.lists(st.floats(0.5, 20), min_size=1, max_size=3, unique=True)
)
def test_sweep_row_equals_run_for_every_output_range_and_flag(
    document: dict[str, Any], prices: list[float]
) -> None:
    scenario = validate(document)
    frame = sweep(scenario, {"training.price_usd_per_hour": prices}, uncertainty=True)
    for i, price in enumerate(prices):
        moved = validate(
            {**document, "training": {**document["training"], "price_usd_per_hour": price}}
        )
        result = planner.estimate(moved)
        row = frame.iloc[i]
        for name in evaluate.OUTPUTS:
            expected = getattr(result, name)
            assert _same(float(row[name]), None if expected is None else float(expected)), name
        for name in monte_carlo.NAMES:
            for q in ("p10", "p50", "p90"):
                assert _same(float(row[f"{name}_{q}"]), getattr(result, f"{name}_{q}")), (
                    f"{name}_{q}"
                )
        raised = {f.message for f in result.flags} | set(result.warnings)
        single = evaluate.evaluate(moved)
        for rule in flags.RULES:
            on = bool(row[f"flag_{rule.name}"])
            assert on == bool(
                np.asarray(rule.test(single))[0]
                if np.ndim(rule.test(single))
                else rule.test(single)
            )
            if on:  # the plan's messages are the rule's
                assert set(rule.messages(single, 0)) <= raised, rule.name


def test_flags_above_thresholds_are_raised_in_both() -> None:
    document = {
        "name": "heavy",
        "model": {"params": "7B"},
        "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 64},
        "data": [
            {"name": "web", "unique_tokens": "20B", "share": 0.3},
            {
                "name": "syn",
                "share": 0.7,
                "synthetic": {
                    "kind": "rephrased",
                    "generator": {
                        "api": {
                            "input_usd_per_million_tokens": 1,
                            "output_usd_per_million_tokens": 1,
                        }
                    },
                },
            },
        ],
    }
    frame = sweep(validate(document), {"training.price_usd_per_hour": [2.0]})
    result = planner.estimate(
        validate({**document, "training": {**document["training"], "price_usd_per_hour": 2.0}})
    )
    for name in ("synthetic_share_over_50", "rephrased_share_over_40", "epochs_over_4"):
        assert bool(frame.iloc[0][f"flag_{name}"])
        assert any(rule.name == name for rule in flags.RULES)
    messages = " ".join(f.message for f in result.flags)
    assert (
        "synthetic share 70%" in messages
        and "rephrased share 70%" in messages
        and "15.0 epochs" in messages
    )


def test_a_plan_is_a_batch_of_one() -> None:
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    one = evaluate.evaluate(scenario)
    price = scenario.training.price
    many = evaluate.evaluate(
        evaluate.with_values(scenario, "training.price_usd_per_hour", np.full(5, price)), 5
    )
    assert one.size == 1
    for name in evaluate.OUTPUTS:
        np.testing.assert_allclose(many[name], np.repeat(one[name], 5), rtol=1e-12)


def test_same_seed_same_ranges_in_run_and_sweep_and_draws_are_shared() -> None:
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    a = monte_carlo.normals(0, 1000, 5)
    assert a is monte_carlo.normals(0, 1000, 5)  # made once per seed
    assert not np.array_equal(a.utilization, monte_carlo.normals(1, 1000, 5).utilization)
    base = planner.run(scenario)["base"]
    row = sweep(scenario, {"model.params": [14.7e9]}, uncertainty=True).iloc[0]
    assert row["loss_p50"] == pytest.approx(base.loss_p50, rel=1e-12)
    assert row["total_cost_usd_p90"] == pytest.approx(base.total_cost_usd_p90, rel=1e-12)


def test_swept_self_hosted_utilization_is_a_number_not_a_range() -> None:
    document = {
        "name": "u",
        "model": {"params": "1B"},
        "training": {"tokens": "20B", "accelerator": "h100-sxm", "accelerator_count": 8},
        "data": [
            {
                "name": "syn",
                "tokens": "20B",
                "synthetic": {
                    "generator": {"self_hosted": {"params": "7B", "accelerator": "h100-sxm"}}
                },
            }
        ],
    }
    frame = sweep(
        validate(document), {"data.syn.synthetic.generator.self_hosted.utilization": [0.05, 0.1]}
    )
    assert frame["synthetic_generation_usd"].iloc[0] == pytest.approx(
        2 * frame["synthetic_generation_usd"].iloc[1]
    )


def test_sweep_streams_to_csv_and_parquet_with_normal_permissions(tmp_path: Any) -> None:
    import os

    import pandas as pd

    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    grid = {"model.params": "1B,3B", "training.accelerator": "h100-sxm,h200"}
    expected = sweep(scenario, grid)
    for name in ("s.csv", "s.parquet"):
        path = tmp_path / name
        rows = planner.sweep_to_file(scenario, grid, path)
        assert rows == 4
        written = pd.read_csv(path) if name.endswith("csv") else pd.read_parquet(path)
        np.testing.assert_allclose(written["loss"], expected["loss"])
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "s.csv",
        "s.parquet",
    ]  # no temp files left


def _umask() -> int:
    import os

    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_sweep_of_too_many_points_is_refused_before_work() -> None:
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    with pytest.raises(planner.InputError, match="limited to"):
        sweep(scenario, {"model.params": "1B:10B:100000", "training.tokens": "1T:2T:100000"})
    with pytest.raises(planner.InputError, match="exceeds the"):
        sweep(scenario, {"model.params": "1B:10B:1000000000000"})


def test_share_of_zero_in_a_sweep_drops_that_source_only() -> None:
    scenario = planner.load_scenario("scenarios/phi4_style_14b.yaml")
    frame = sweep(scenario, {"data.synthetic.share": [0.0]})
    assert frame.iloc[0]["synthetic_share"] > 0  # the other synthetic source (web-rewrites) stays
