"""Runs in stages, schedules (S1/S2) and recipe-search programme lines.

Golden tests for laws-2025.md §9 checks 10-14 (their sources and tolerances in each test),
and the bookkeeping of staged plans: per-stage terms add up to the run's, repetition is
summed across stages, a one-stage run equals the plain one, and a sweep over a stage's share
equals the single plan at that share.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

import planner
from planner.cli import main
from planner.compute.ladder_cost import anneal_flops, ladder_flops, ladder_tokens
from planner.errors import InputError
from planner.explore.sweep import sweep
from planner.laws import schedules
from planner.plan import evaluate
from planner.plan.plans import validate
from tests.conftest import ROOT

OLMO = ROOT / "scenarios" / "olmo2_style_7b_staged.yaml"

STAGED: dict[str, Any] = {
    "name": "staged",
    "model": {"params": "1B"},
    "training": {"tokens": "100B", "accelerator": "h100-sxm", "accelerator_count": 64},
    "data": [
        {"name": "web", "unique_tokens": "200B", "share": 0.9},
        {"name": "math", "unique_tokens": "5B", "share": 0.1},
        {
            "name": "synthetic_math",
            "unique_tokens": "2B",
            "synthetic": {
                "kind": "generated",
                "generator": {
                    "api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 2}
                },
            },
        },
    ],
    "stages": [
        {"name": "pretrain", "lr": {"peak_lr": 1.0, "decay": "constant"}},
        {
            "name": "anneal",
            "share": 0.05,
            "mix": {"web": 0.5, "math": 0.3, "synthetic_math": 0.2},
            "lr": {"peak_lr": 1.0, "final_lr": 0.0, "decay": "linear", "decay_fraction": 1.0},
        },
    ],
}


def staged(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(STAGED)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node: Any = document
        for part in parents:
            node = (
                next(i for i in node if i["name"] == part) if isinstance(node, list) else node[part]
            )
        node[last] = value
    return document


# --- check 10: Tissue S1/S2 bookkeeping ------------------------------------------------------


@pytest.mark.parametrize(
    ("phase", "s1", "s2"),
    [
        (schedules.Phase(10_000, shape="constant"), 10_000.0, 0.0),
        (schedules.Phase(10_000, shape="linear", decay_fraction=0.2), 9000.5, 567.6),
        (
            schedules.Phase(10_000, final_lr=0.1, shape="cosine", decay_fraction=1.0),
            5500.45,
            859.59,
        ),
    ],
    ids=["constant", "wsd-linear-20pct", "cosine-to-0.1"],
)
def test_check_10_tissue_areas(phase: schedules.Phase, s1: float, s2: float) -> None:
    # laws-2025.md §9 check 10: AI2's implementation (allenai/OLMo 67cc7c41,
    # olmo/scaling/scaling_laws/utils.py), 10,000 steps, peak 1, lambda 0.999; tolerance 0.1%.
    got_s1, got_s2 = schedules.annealing_areas(schedules.learning_rates(phase))
    assert got_s1[0] == pytest.approx(s1, rel=1e-3)
    assert got_s2[0] == pytest.approx(s2, rel=1e-3, abs=1e-9)


def test_s2_matches_the_momentum_recursion() -> None:
    # the closed form equals AI2's loop m <- lambda·m + (lr_prev - lr); S2 += m
    rates = schedules.learning_rates(schedules.Phase(3000, 2.0, 0.3, "1-sqrt", 0.4))
    m = s2 = 0.0
    previous = rates[0]
    for lr in rates:
        m = 0.999 * m + (previous - lr)
        s2 += m
        previous = lr
    assert schedules.annealing_areas(rates)[1][0] == pytest.approx(s2, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(fraction=st.floats(0.0, 1.0), steps=st.integers(10, 5000))
def test_s2_vanishes_as_the_cooldown_vanishes(fraction: float, steps: int) -> None:
    # laws-2025.md §9 properties: S2 = 0 for a constant LR; WSD cooldown -> 0 gives S2 -> 0
    def s2(share: float) -> float:
        phase = schedules.Phase(steps, shape="linear", decay_fraction=share)
        return float(schedules.annealing_areas(schedules.learning_rates(phase))[1][0])

    assert s2(0.0) == 0.0
    assert s2(fraction * 0.5) <= s2(fraction) + 1e-9


def test_tissue_loss_form() -> None:
    # Tissue et al. 2024: L = L0 + A·S1^-alpha - C·S2
    assert schedules.tissue_loss(np.array([100.0]), np.array([10.0]), 2.0, 3.0, 0.5, 0.01)[
        0
    ] == pytest.approx(2.0 + 0.3 - 0.1)


# --- check 11: WSD ladder saving --------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratios", "saving"), [([1, 2, 4, 8], 0.3733), ([1, 2, 4, 8, 16], 0.3871)], ids=["4", "5"]
)
def test_check_11_wsd_ladder_saving(ratios: list[float], saving: float) -> None:
    # laws-2025.md §9 check 11 (Hägele et al. 2024, arXiv 2405.18392): lengths 1, 2, 4, 8 x D
    # cost 15·D with cosine and 9.4·D with 20% cooldowns; tolerance 1e-4 absolute.
    cosine = ladder_tokens(1.0, ratios, "cosine", 0.2)
    wsd = ladder_tokens(1.0, ratios, "wsd", 0.2)
    if len(ratios) == 4:
        assert (cosine, wsd) == pytest.approx((15.0, 9.4))
    assert 1 - wsd / cosine == pytest.approx(saving, abs=1e-4)


# --- check 12: OLMo 2 7B stage budget ---------------------------------------------------------


def test_check_12_olmo2_stage_budget() -> None:
    # laws-2025.md §9 check 12 (allenai/OLMo 67cc7c41 anneal config): pretraining
    # 928,646 x 1024 x 4096 = 3.8950e12 tokens; one 50B anneal = 1.267% of pretraining +
    # anneal tokens (+-0.01 pp); three souped ingredients = 150B trained.
    stages = {s.name: s for s in planner.run(planner.load_scenario(OLMO))["base"].stages}
    pretrain, anneal = stages["pretrain"], stages["anneal"]
    assert pretrain.tokens == pytest.approx(3.8950e12, rel=1e-4)
    assert pretrain.tokens == 928_646 * 1024 * 4096
    assert anneal.tokens / (pretrain.tokens + anneal.tokens) == pytest.approx(0.01267, abs=1e-4)
    assert anneal.trained_tokens == pytest.approx(150e9)


# --- check 13: Llama 3 dataset-valuation anneal -----------------------------------------------


def test_check_13_llama3_valuation_anneal() -> None:
    # laws-2025.md §9 check 13 (Llama 3, arXiv 2407.21783 §3.1.3): an 8B annealed over 40e9
    # tokens with 30% on the candidate: 12e9 candidate tokens, 1.92e21 FLOPs per candidate (1%).
    assert anneal_flops(8e9, 40e9, 1) == pytest.approx(1.92e21, rel=0.01)
    document = staged(programme={"anneals": {"candidates": 2, "tokens": "40B", "params": "8B"}})
    scenario = validate(document)
    anneals = scenario.programme.anneals
    assert anneals.candidate_share * anneals.tokens == pytest.approx(12e9)
    line = planner.run(scenario)["base"].programme_lines[0]
    assert line.flops == pytest.approx(2 * 1.92e21, rel=0.01)


# --- check 14: ladder cost about 1% -----------------------------------------------------------

OLMO_LADDER = [190_354_176, 371_262_464, 758_220_288, 1_279_395_840]
"""Non-embedding N of the OLMo ladder, scripts/scaling/final.json (Bhagia et al. 2024)."""


def test_check_14_ladder_cost_about_one_percent() -> None:
    # laws-2025.md §9 check 14 (arXiv 2412.04403 abstract; ladder files): 16 runs at
    # D/N = 20, 40, 100, 200 sum to 5.154e21 FLOPs (+-0.5%), 0.918% of the two targets
    # 6·6,887,575,552·4e12 + 6·13,202,396,160·5e12 (assert 0.8-1.1%).
    flops = ladder_flops(OLMO_LADDER, [20, 40, 100, 200], "cosine", 0.2)
    assert flops == pytest.approx(5.154e21, rel=5e-3)
    target = 6 * 6_887_575_552 * 4e12 + 6 * 13_202_396_160 * 5e12
    assert 0.008 <= flops / target <= 0.011
    assert flops / target == pytest.approx(0.00918, abs=5e-5)


def test_ladder_cost_scales_with_n_squared() -> None:
    # laws-2025.md §9 properties: ladder cost scales with sum N^2·(D/N)
    one = ladder_flops([1e8], [20], "cosine", 0.2)
    assert ladder_flops([2e8], [20], "cosine", 0.2) == pytest.approx(4 * one)
    assert ladder_flops([1e8], [40], "cosine", 0.2) == pytest.approx(2 * one)


def test_shipped_ladder_line_is_check_14() -> None:
    lines = planner.run(planner.load_scenario(OLMO))["base"].programme_lines
    ladder = next(line for line in lines if "ladder" in line.name)
    assert ladder.flops == pytest.approx(5.154e21, rel=5e-3)


# --- staged bookkeeping -----------------------------------------------------------------------


def test_shipped_stages_add_up_to_the_totals() -> None:
    results = planner.run(planner.load_scenario(OLMO))
    for plan in results.plans:
        assert [s.name for s in plan.stages] == ["pretrain", "anneal", "long_context"]
        assert sum(s.tokens for s in plan.stages) == pytest.approx(plan.tokens, rel=1e-12)
        for name in ("training_flops", "accelerator_hours", "wall_clock_days", "training_cost_usd"):
            total = sum(getattr(s, name) for s in plan.stages)
            assert total == pytest.approx(getattr(plan, name), rel=1e-12), name
        for stage in plan.stages:
            assert sum(m.tokens for m in stage.mix) == pytest.approx(stage.tokens, rel=1e-9)
    base = results["base"]
    # the header's arithmetic: 6 x 7.2986e9 x (3.8950e12 + 3 x 50e9 + 50e9)
    assert base.params == 7_298_355_200
    assert base.training_flops == pytest.approx(6 * 7_298_355_200 * (928_646 * 4_194_304 + 200e9))
    # the 16K stage costs more per token only when attention is counted
    palm = {s.name: s for s in results["palm-count"].stages}
    assert palm["long_context"].training_flops > palm["anneal"].training_flops / 3
    assert results["one-ingredient"].loss == base.loss
    assert results["one-ingredient"].training_flops < base.training_flops


def test_repetition_is_summed_across_stages() -> None:
    plan = planner.run(validate(staged()))["base"]
    math = next(s for s in plan.sources if s.name == "math")
    # stage 1 draws 0.1 x 95B, the anneal 0.3 x 5B, from 5B unique
    assert math.tokens == pytest.approx(0.1 * 95e9 + 0.3 * 5e9)
    assert math.epochs == pytest.approx((9.5e9 + 1.5e9) / 5e9)
    synthetic = next(s for s in plan.sources if s.name == "synthetic_math")
    assert synthetic.tokens == pytest.approx(0.2 * 5e9)
    assert synthetic.generation_usd > 0


def test_one_stage_equals_the_plain_run() -> None:
    plain = copy.deepcopy(STAGED)
    del plain["stages"]
    plain["data"] = plain["data"][:2]
    one = copy.deepcopy(plain)
    one["stages"] = [{"name": "all"}]
    a, b = planner.run(validate(plain))["base"], planner.run(validate(one))["base"]
    for name in (
        "training_flops",
        "accelerator_hours",
        "wall_clock_days",
        "total_cost_usd",
        "loss",
        "effective_tokens",
        "energy_kwh",
        "loss_p10",
        "loss_p90",
        "total_cost_usd_p90",
    ):
        assert getattr(b, name) == pytest.approx(getattr(a, name), rel=1e-12), name
    assert b.stages[0].tokens == a.tokens and not a.stages


def test_single_stage_json_has_no_stage_keys() -> None:
    plain = copy.deepcopy(STAGED)
    del plain["stages"]
    plain["data"] = plain["data"][:2]
    out = planner.run(validate(plain)).to_dict()["plans"][0]
    assert "stages" not in out and "programme_lines" not in out


def test_stage_loss_follows_the_base_law_without_a_schedule_law() -> None:
    results = planner.run(validate(staged()))
    plan = results["base"]
    assert plan.stages[-1].loss == plan.loss
    assert all(s.schedule_loss is None for s in plan.stages)
    assert plan.stages[0].s1 is None  # no batch_tokens: no steps to sum
    assert any("no schedule law is fitted" in n for n in results.notes)


def test_schedule_law_loss_from_the_stages_schedule() -> None:
    law = {"L0": 2.0, "A": 5.0, "alpha": 0.4, "C": 1e-4, "batch_tokens": "4M"}
    results = planner.run(validate(staged(schedule_law=law)))
    plan = results["base"]
    pretrain, anneal = plan.stages
    steps = (round(95e9 / 4e6), round(5e9 / 4e6))
    rates = np.concatenate(
        [
            schedules.learning_rates(schedules.Phase(steps[0], shape="constant")),
            schedules.learning_rates(schedules.Phase(steps[1], 1.0, 0.0, "linear", 1.0)),
        ]
    )
    s1, s2 = schedules.annealing_areas(rates, ends=[steps[0] - 1, sum(steps) - 1])
    assert (pretrain.s1, pretrain.s2) == pytest.approx((s1[0], 0.0))
    assert (anneal.s1, anneal.s2) == pytest.approx((s1[1], s2[1]))
    assert anneal.schedule_loss == pytest.approx(2.0 + 5.0 * s1[1] ** -0.4 - 1e-4 * s2[1])
    assert anneal.schedule_loss < pretrain.schedule_loss  # the decay lowers the loss
    assert plan.loss == plan.stages[-1].loss  # the plan's loss stays the base law's
    assert any("Tissue et al. 2024" in n for n in results.notes)


def test_stage_hardware_can_differ() -> None:
    document = staged(stages__anneal__accelerator="h200", stages__anneal__accelerator_count=8)
    plan = planner.run(validate(document))["base"]
    pretrain, anneal = plan.stages
    assert anneal.accelerator == "h200" and anneal.accelerator_count == 8
    h200 = validate(staged(training__accelerator="h200")).training.accelerator
    # the stage's hours come from the hours model on its own hardware (8 H200s, a chosen layout)
    implied = anneal.training_flops / (h200.peak_flops("bf16") * anneal.accelerator_hours * 3600)
    assert 0.05 < implied < 0.8
    on_pretrain = anneal.training_flops / (pretrain.training_flops / pretrain.accelerator_hours)
    assert anneal.accelerator_hours != pytest.approx(on_pretrain, rel=1e-3)
    assert plan.wall_clock_days == pytest.approx(pretrain.wall_clock_days + anneal.wall_clock_days)


# --- sweeps and variants ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["stages.anneal.share", "stages.1.share"])
def test_sweep_over_the_decay_share_equals_single_plans(path: str) -> None:
    values = [0.01, 0.05, 0.1, 0.2]
    frame = sweep(validate(staged()), {path: values}, uncertainty=True)
    assert len(frame) == len(values)
    for value, (_, row) in zip(values, frame.iterrows(), strict=True):
        single = planner.run(validate(staged(stages__anneal__share=value)))["base"]
        for name in ("tokens", "training_flops", "accelerator_hours", "total_cost_usd", "loss"):
            assert row[name] == pytest.approx(getattr(single, name), rel=1e-12), name
        assert row["loss_p50"] == pytest.approx(single.loss_p50, rel=1e-9)


def test_variant_changes_a_stage() -> None:
    document = staged(variants=[{"name": "longer-anneal", "set": {"stages.anneal.share": 0.2}}])
    results = planner.run(validate(document))
    assert results["longer-anneal"].stages[1].share == pytest.approx(0.2)
    assert results["base"].stages[1].share == pytest.approx(0.05)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"stages__anneal__mix": {"web": 0.5, "code": 0.5}}, "code is not a data source"),
        ({"stages__anneal__mix": {"web": 0.5, "math": 0.3}}, "add up to 0.8"),
        ({"stages__pretrain__share": 0.99}, "more than the run's"),
        ({"stages__anneal__share": None}, "at most one stage takes the rest"),
        ({"stages__anneal__tokens": "10B"}, "tokens or share, not both"),
        ({"stages__anneal__mix": None}, "synthetic_math gives no tokens"),
        ({"stages__anneal__seq_len": 8192}, "needs model.architecture"),
    ],
    ids=["unknown-source", "mix-sum", "over", "two-rests", "both", "undrawn", "seq-len"],
)
def test_bad_stages_are_input_errors(change: dict[str, Any], says: str) -> None:
    with pytest.raises(InputError, match=says):
        validate(staged(**change))


def test_bad_stage_sweeps_name_the_entry() -> None:
    scenario = validate(staged())
    with pytest.raises(InputError, match="no stage by that name"):
        sweep(scenario, {"stages.cooldown.share": [0.1]})
    with pytest.raises(InputError, match="give tokens|gives share"):
        sweep(scenario, {"stages.anneal.tokens": [1e9]})


# --- faces: CLI, JSON, report -----------------------------------------------------------------


def test_cli_shows_stages_mixes_and_programme_lines() -> None:
    result = CliRunner().invoke(main, ["run", str(OLMO), "--width", "400"])
    assert result.exit_code == 0, result.output
    for text in ("Stages:", "Stage mixes:", "Programme lines", "long_context", "math_synthetic"):
        assert text in result.output
    bad = CliRunner().invoke(main, ["validate", "-"], input="name: x\n")
    assert bad.exit_code == 2


def test_cli_json_has_stages() -> None:
    result = CliRunner().invoke(main, ["run", str(OLMO), "--format", "json"])
    assert result.exit_code == 0
    base = json.loads(result.output)["plans"][0]
    assert [s["name"] for s in base["stages"]] == ["pretrain", "anneal", "long_context"]
    assert {line["name"] for line in base["programme_lines"]} == {
        "scaling ladder (Bhagia et al. 2024)",
        "dataset-valuation anneals",
    }
    lines = sum(line["usd"] for line in base["programme_lines"])
    assert base["programme_usd"] == pytest.approx(lines, rel=1e-12)


def test_report_shows_stages_and_programme_lines(tmp_path: Path) -> None:
    from html.parser import HTMLParser

    html = planner.render_report(planner.run(planner.load_scenario(OLMO)))

    class Headings(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.ids: list[str] = []

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            if tag == "h3":
                self.ids += [v or "" for k, v in attrs if k == "id"]

    parser = Headings()
    parser.feed(html)
    assert {"stages", "programme-lines"} <= set(parser.ids)
    assert "math_synthetic" in html and "long_context" in html
    plain = planner.render_report(
        planner.run(planner.load_scenario(ROOT / "scenarios" / "web_baseline_7b.yaml"))
    )
    assert 'id="stages"' not in plain


def test_evaluate_batch_rows_match_single_rows() -> None:
    scenario = validate(staged())
    batch = evaluate.evaluate(
        evaluate.with_values(scenario, "stages.anneal.share", np.array([0.05, 0.3])), 2
    )
    single = evaluate.evaluate(scenario)
    for name in ("loss", "training_flops", "stage.1.tokens", "stage.0.loss"):
        assert batch[name][0] == pytest.approx(single[name][0], rel=1e-12), name


def test_variant_setting_a_share_rebalances_only_drawn_sources() -> None:
    document = staged(variants=[{"name": "more-web", "set": {"data.web.share": 0.95}}])
    results = planner.run(validate(document))
    pretrain = {m.source: m.share for m in results["more-web"].stages[0].mix}
    assert pretrain == pytest.approx({"web": 0.95, "math": 0.05})


def test_optimiser_runs_on_a_staged_scenario() -> None:
    document = staged(optimize={"budget_usd": 5000})
    found = planner.optimize(validate(document))
    assert found.total_cost_usd <= 5000 * 1.001 and found.params > 0


@settings(max_examples=15, deadline=None)
@given(
    share=st.one_of(st.just(0.0), st.floats(1e-6, 0.5)),
    web=st.floats(0.0, 1.0),
    ingredients=st.integers(1, 4),
)
def test_stage_terms_add_up(share: float, web: float, ingredients: int) -> None:
    # property: per-stage tokens, FLOPs and hours add up to the run's; draws add up to tokens
    mix = {"web": web, "math": (1 - web) / 2, "synthetic_math": (1 - web) / 2}
    document = staged(stages__anneal__share=share, stages__anneal__mix=mix)
    document["stages"][1]["ingredients"] = ingredients
    plan = planner.run(validate(document))["base"]
    assert sum(s.tokens for s in plan.stages) == pytest.approx(plan.tokens, rel=1e-12)
    assert sum(s.tokens for s in plan.sources) == pytest.approx(plan.tokens, rel=1e-9)
    assert sum(s.training_flops for s in plan.stages) == pytest.approx(plan.training_flops)
    trained = sum(s.trained_tokens for s in plan.stages)
    assert plan.training_flops == pytest.approx(6 * plan.params * trained, rel=1e-12)


def test_a_stage_layout_is_checked_against_the_model() -> None:
    document = staged(
        model={
            "architecture": {
                "layers": 16,
                "d_model": 2048,
                "heads": 16,
                "vocab_size": 32000,
                "seq_len": 2048,
            }
        }
    )
    document["stages"][1]["layout"] = {"tp": 3}
    with pytest.raises(InputError, match="stages.anneal"):
        validate(document)
    document["stages"][1]["layout"] = {"tp": 2, "pp": 2}
    document["stages"][1]["seq_len"] = 8192
    plan = planner.run(validate(document))["base"]
    assert plan.stages[1].seq_len == 8192


def test_too_many_schedule_steps_is_an_input_error() -> None:
    law = {"L0": 2.0, "A": 5.0, "alpha": 0.4, "C": 1e-4, "batch_tokens": 1}
    with pytest.raises(InputError, match="optimizer steps"):
        planner.run(validate(staged(schedule_law=law)))


def test_size_stage_picks_the_lowest_schedule_loss_within_bounds() -> None:
    from planner.explore.stage_sizing import size_stage

    law = {"L0": 2.0, "A": 5.0, "alpha": 0.4, "C": 1e-5, "batch_tokens": "1M"}
    scenario = validate(staged(schedule_law=law))
    found = size_stage(scenario, "anneal", 0.02, 0.6, points=15)
    assert found.criterion == "schedule law"
    assert 0.02 < found.share < 0.6  # S1 against S2: the optimum is inside the bounds
    single = planner.run(validate(staged(schedule_law=law, stages__anneal__share=found.share)))
    assert single["base"].stages[-1].schedule_loss == pytest.approx(found.loss, rel=1e-12)
    assert found.loss == min(found.losses)
    with pytest.raises(InputError, match="gives no share"):
        size_stage(scenario, "pretrain", 0.1, 0.2)


@pytest.mark.parametrize(
    ("stages", "s1", "s2"),
    [
        (
            [{"name": "all", "lr": {"decay": "linear", "decay_fraction": 0.2}}],
            9000.5,
            567.6,
        ),
        (
            [
                {"name": "stable", "lr": {"decay": "constant"}},
                {"name": "cooldown", "share": 0.2, "lr": {"decay": "linear", "decay_fraction": 1}},
            ],
            9000.5,
            567.6,
        ),
        (
            [{"name": "all", "lr": {"final_lr": 0.1, "decay": "cosine", "decay_fraction": 1}}],
            5500.45,
            859.59,
        ),
    ],
    ids=["wsd-one-stage", "wsd-as-two-stages", "cosine"],
)
def test_check_10_through_the_stages(stages: list[dict[str, Any]], s1: float, s2: float) -> None:
    # laws-2025.md §9 check 10 (allenai/OLMo 67cc7c41): 10,000 steps of 10M tokens, peak 1;
    # a WSD run written as one stage or as stable + cooldown stages gives the same areas (0.1%).
    document = staged(stages=stages)
    document["training"]["tokens"] = "100B"
    for stage in document["stages"]:
        stage["batch_tokens"] = "10M"
    document["data"] = document["data"][:2]
    last = planner.run(validate(document))["base"].stages[-1]
    assert last.s1 == pytest.approx(s1, rel=1e-3)
    assert last.s2 == pytest.approx(s2, rel=1e-3)


def test_a_staged_plans_ranges_and_combined_wall_clock_surround_its_sums() -> None:
    # the Monte Carlo spreads the stages' summed hours, days and dollars (P50 near the point
    # estimate), and the combined wall-clock is computed on the summed days, never below them
    plan = planner.run(validate(staged()))["base"]
    assert plan.combined_wall_clock_days >= plan.wall_clock_days * (1 - 1e-12)
    for name in ("accelerator_hours", "wall_clock_days", "total_cost_usd"):
        point, p10, p50, p90 = (getattr(plan, name + end) for end in ("", "_p10", "_p50", "_p90"))
        assert p10 <= point <= p90, name
        assert p50 == pytest.approx(point, rel=0.05), name
