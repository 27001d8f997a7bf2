"""Variants: dropping sources, share rebalancing (the sweep's rule), price on an accelerator
switch, and every variant's problems reported at once (validate == run)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.cli import main
from planner.errors import InputError
from planner.plan.evaluate import evaluate, with_values
from planner.plan.plans import load_scenario, plans, validate
from tests.conftest import MINIMAL

GENERATED = {
    "kind": "generated",
    "generator": {"api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 2}},
}


def mix(*variants: dict[str, Any], price: float | None = 2.4) -> dict[str, Any]:
    training = {**MINIMAL["training"], "price_usd_per_hour": price}
    if price is None:
        training.pop("price_usd_per_hour")
    return {
        **MINIMAL,
        "training": training,
        "data": [
            {"name": "web", "share": 0.6, "unique_tokens": "5T"},
            {"name": "code", "share": 0.2, "unique_tokens": "1T"},
            {"name": "synth", "share": 0.2, "synthetic": GENERATED},
        ],
        "variants": list(variants),
    }


@pytest.mark.parametrize(
    "change", [{"data.synth": None}, {"data.synth.share": 0}, {"data.synth.share": "0%"}]
)
def test_a_variant_drops_a_source_and_the_others_fill_the_run(
    write_scenario: Callable[..., Path], change: dict[str, Any]
) -> None:
    base, dropped = plans(load_scenario(write_scenario(mix({"name": "real-only", "set": change}))))
    assert [s.name for s in dropped.scenario.data] == ["web", "code"]
    # web and code keep their 3:1 ratio and fill the whole run
    assert [s.share for s in dropped.scenario.data] == pytest.approx([0.75, 0.25])
    assert sum(dropped.scenario.source_tokens()) == pytest.approx(base.scenario.total_tokens)


def test_a_variant_share_is_taken_as_given_like_a_sweep_row(
    write_scenario: Callable[..., Path],
) -> None:
    scenario = load_scenario(
        write_scenario(mix({"name": "more", "set": {"data.synth.share": 0.4}}))
    )
    base, more = plans(scenario)
    assert [s.share for s in more.scenario.data] == pytest.approx([0.45, 0.15, 0.4])
    # the same rule as a sweep that sets the share (planner.scenario.token_shares.resolve)
    swept = evaluate(with_values(base.scenario, "data.synth.share", 0.4), 1, ["synth"])
    assert [float(t[0]) for t in swept.drawn] == pytest.approx(more.scenario.source_tokens())


@settings(max_examples=25, deadline=None)
@given(share=st.floats(0.01, 0.99))
def test_variant_share_equals_sweep_share(share: float) -> None:
    document = mix()
    scenario = validate(document)
    variant = validate(
        {**document, "variants": [{"name": "v", "set": {"data.synth.share": share}}]}
    )
    resolved = plans(variant)[1].scenario
    swept = evaluate(with_values(scenario, "data.synth.share", share), 1, ["synth"])
    assert [float(t[0]) for t in swept.drawn] == pytest.approx(resolved.source_tokens(), rel=1e-12)
    assert planner.run(variant).plans[1].loss == pytest.approx(float(swept["loss"][0]), rel=1e-12)


def test_shares_set_over_the_run_are_an_error(write_scenario: Callable[..., Path]) -> None:
    path = write_scenario(
        mix({"name": "too-much", "set": {"data.synth.share": 0.7, "data.web.share": 0.6}})
    )
    with pytest.raises(InputError, match="add up to more than the tokens available"):
        load_scenario(path)


def test_switching_accelerator_uses_its_catalog_price_with_a_note(
    write_scenario: Callable[..., Path],
) -> None:
    path = write_scenario(
        mix(
            {"name": "b200", "set": {"training.accelerator": "b200"}},
            {
                "name": "b200-priced",
                "set": {"training.accelerator": "b200", "training.price_usd_per_hour": 3},
            },
        )
    )
    results = planner.run(load_scenario(path))
    base, switched, priced = results.plans
    catalog = planner.hardware("b200").price_usd_per_hour
    assert base.price_usd_per_hour == 2.4 and switched.price_usd_per_hour == catalog != 2.4
    assert priced.price_usd_per_hour == 3
    notes = [n for n in results.notes if "variant b200:" in n]
    assert len(notes) == 1 and "$2.40" in notes[0]
    assert not any("b200-priced" in n for n in results.notes)


def test_every_variant_problem_is_reported_and_validate_agrees_with_run(
    write_scenario: Callable[..., Path],
) -> None:
    path = write_scenario(
        mix(
            {"name": "a", "set": {"data.nope": None, "training.tokenz": 3}},
            {"name": "b", "set": {"data.web.share": 1.5}},
        )
    )
    runner = CliRunner()
    for command in ("validate", "run"):
        result = runner.invoke(main, [command, str(path)])
        assert result.exit_code == 2, result.output
        text = result.stderr
        assert "2 variants have problems" in text
        for expected in (
            "variants.a.set.data.nope: no data source named 'nope'",
            "variants.a.set.training.tokenz: unknown field 'tokenz'",
            "variants.b.data.web.share",
        ):
            assert expected in text, (command, expected, text)
        assert "Traceback" not in result.output


def test_a_variant_that_drops_every_source_says_so(write_scenario: Callable[..., Path]) -> None:
    change = {"data.web.share": 0, "data.code": None, "data.synth.share": "0%"}
    results = planner.run(load_scenario(write_scenario(mix({"name": "nothing", "set": change}))))
    plan = results["nothing"]
    assert plan.synthetic_share == 0 and plan.effective_tokens == plan.tokens
    assert any(n.startswith("variant nothing drops every data source") for n in results.notes)


def test_measured_and_roofline_generators_in_the_report(
    write_scenario: Callable[..., Path],
) -> None:
    from planner.outputs.report import render_report

    measured = {"measured": {"tokens_per_accelerator_hour": "3.4M", "accelerator": "a100-80gb"}}
    roofline = {
        "self_hosted": {
            "params": "7.24B",
            "accelerator": "a100-80gb",
            "roofline": {"layers": 32, "kv_heads": 8, "head_dim": 128},
        }
    }
    path = write_scenario(
        mix(
            {"name": "measured", "set": {"data.synth.synthetic.generator": measured}},
            {"name": "roofline", "set": {"data.synth.synthetic.generator": roofline}},
        )
    )
    results = planner.run(load_scenario(path), file=str(path))
    html = render_report(results, analysis=planner.analyse(results, optimise=False))
    assert "measured 3.4M tokens per a100-80gb-hour" in html
    assert "roofline throughput, trtllm-2025 engine" in html
    # the roofline needs the accelerator's memory and bandwidth
    tiny = {"id": "tiny", "peak_bf16_tflops": 100, "price_usd_per_hour": 1}
    bad = {"self_hosted": {**roofline["self_hosted"], "accelerator": tiny}}
    path = write_scenario(mix({"name": "bad", "set": {"data.synth.synthetic.generator": bad}}))
    with pytest.raises(
        InputError, match="roofline throughput needs the accelerator's memory_gb and memory_bw_tbs"
    ):
        load_scenario(path)


def test_a_generator_switching_accelerator_takes_its_catalog_price(
    write_scenario: Callable[..., Path],
) -> None:
    hosted = {"self_hosted": {"params": "7B", "accelerator": "h100-sxm", "price_usd_per_hour": 2.0}}
    document = mix(
        {"name": "b200", "set": {"data.synth.synthetic.generator.self_hosted.accelerator": "b200"}},
        {
            "name": "same",
            "set": {"data.synth.synthetic.generator.self_hosted.accelerator": "H100-SXM"},
        },
    )
    document["data"][2]["synthetic"]["generator"] = hosted
    results = planner.run(load_scenario(write_scenario(document)))
    plans = {p.name: p.scenario for p in results.inputs}
    generator = lambda plan: plans[plan].data[2].synthetic.generator.self_hosted
    assert generator("b200").price == planner.hardware("b200").price_usd_per_hour
    assert generator("same").price == 2.0 and generator("base").price == 2.0
    assert any(
        n.startswith("variant b200: data.synth.synthetic.generator.self_hosted.accelerator is b200")
        for n in results.notes
    )
