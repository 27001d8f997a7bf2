"""The data-source schema: synthetic kinds, what a rephrasing names, distillation cost."""

from __future__ import annotations

from typing import Any

import pytest

from planner.errors import InputError
from planner.plan import evaluate
from planner.plan.plans import validate
from tests.conftest import MINIMAL

API = {"api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 4}}


def scenario(*data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**MINIMAL, "data": list(data), "uncertainty": {"samples": 0}, **extra}


def rephrased(target: Any, name: str = "reph", share: float = 0.3) -> dict[str, Any]:
    return {
        "name": name,
        "share": share,
        "synthetic": {"kind": "rephrased", "rephrases": target, "generator": API},
    }


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        (
            [{"name": "web", "share": 0.7}, rephrased("webb")],
            ["data.reph.synthetic.rephrases", "'webb' is not a data source", "web"],
        ),
        (
            [
                {"name": "web", "share": 0.4},
                rephrased("web", "first"),
                rephrased("first", "second"),
            ],
            [
                "data.second.synthetic.rephrases",
                "'first' is synthetic",
                "names a real source (web)",
            ],
        ),
    ],
    ids=["unknown-source", "synthetic-source"],
)
def test_a_rephrasing_must_name_a_real_source(
    data: list[dict[str, Any]], fragments: list[str]
) -> None:
    with pytest.raises(InputError) as caught:
        validate(scenario(*data), file="s.yaml")
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message, message
    assert "s.yaml" in message


def test_rephrases_only_for_rephrased_data() -> None:
    source = {
        "name": "gen",
        "share": 0.3,
        "synthetic": {"kind": "generated", "rephrases": "web", "generator": API},
    }
    with pytest.raises(InputError, match="rephrases applies to kind rephrased, not generated"):
        validate(scenario({"name": "web", "share": 0.7}, source))


def test_rephrased_text_not_trained_on_has_a_size() -> None:
    ok = validate(scenario({"name": "web", "share": 0.7}, rephrased({"unique_tokens": "2T"})))
    target = ok.data[1].synthetic.rephrases  # type: ignore[union-attr]
    assert not isinstance(target, str) and target is not None and target.unique_tokens == 2e12
    with pytest.raises(InputError, match="unique_tokens"):
        validate(scenario({"name": "web", "share": 0.7}, rephrased({"unique_tokens": "-1T"})))


def test_old_scenarios_stay_valid_and_value_weight_stays_an_override() -> None:
    old = {
        "name": "syn",
        "share": 0.3,
        "synthetic": {"generator": API, "value_weight": "optimistic"},
    }
    parsed = validate(scenario({"name": "web", "share": 0.7}, old))
    synthetic = parsed.data[1].synthetic
    assert (
        synthetic is not None
        and synthetic.kind == "generated"
        and synthetic.value_weight is not None
    )
    assert synthetic.value_weight.mid == 2.5
    ev = evaluate.evaluate(parsed)
    # the explicit weight replaces the gain: 0.7·D + 2.5·0.3·D effective tokens, no mixture gain
    assert float(ev["effective_tokens"][0]) == pytest.approx(1e12 * (0.7 + 2.5 * 0.3))
    assert float(ev["mixture_gain"][0]) == 1.0


def test_distillation_costs_a_teacher_forward_pass_per_training_token() -> None:
    # 2 x teacher params FLOPs per training token (Kaplan et al. 2020, Eq. 2.2), at the generator
    # utilisation of a self-hosted model: 300B tokens (1 epoch over 100B, 3 epochs) through a 70B teacher.
    teacher = {
        "self_hosted": {
            "params": "70B",
            "accelerator": "h100-sxm",
            "utilization": 0.5,
            "price_usd_per_hour": 2.0,
        }
    }
    source = {
        "name": "distil",
        "unique_tokens": "100B",
        "tokens": "300B",
        "synthetic": {"kind": "distillation", "generator": teacher},
    }
    ev = evaluate.evaluate(
        validate(
            scenario(
                {"name": "web", "tokens": "700B"},
                source,
                training={**MINIMAL["training"], "tokens": "1T"},
            )
        )
    )
    flops = 2 * 70e9 * 300e9
    hours = flops / (989.4e12 * 0.5) / 3600
    assert float(ev["synthetic_accelerator_hours"][0]) == pytest.approx(hours, rel=1e-3)
    assert float(ev["synthetic_generation_usd"][0]) == pytest.approx(hours * 2.0, rel=1e-3)


@pytest.mark.parametrize(
    ("synthetic", "fragment"),
    [
        ({"generations": 10**9}, "generations"),
        ({"r_star": float("inf")}, "r_star"),
        (
            {"kind": "rephrased", "saturation_tokens": "1T"},
            "saturation_tokens applies to kinds generated",
        ),
    ],
    ids=["generations", "r-star", "saturation-kind"],
)
def test_bounded_synthetic_fields(synthetic: dict[str, Any], fragment: str) -> None:
    source = {"name": "syn", "share": 0.3, "synthetic": {"generator": API, **synthetic}}
    with pytest.raises(InputError, match=fragment):
        validate(scenario({"name": "web", "share": 0.7}, source))


def test_a_mixture_preset_by_name_or_inline() -> None:
    named = validate(scenario(mixture={"rephrased": "kang-2025", "why": "Kang's 5-10x"}))
    assert named.mixture.rephrased.max_gain.mid == 6.0 and named.mixture.why == "Kang's 5-10x"
    inline = {
        "optimum_share": 0.25,
        "max_gain": {"low": 1.5, "point": 2.0, "high": 3.0},
        "alone_gain": 0.9,
    }
    assert validate(scenario(mixture={"generated": inline})).mixture.generated.optimum_share == 0.25
    with pytest.raises(InputError, match="unknown mixture gain preset 'kang'"):
        validate(scenario(mixture={"rephrased": "kang"}))
