"""Hostile inputs to the data-mix model (issue 10) and the hardware plan (issue 11).

Same standard as tests/test_hostile.py (issue 13): each case runs ``planner`` in a subprocess
under a 4 GB address-space cap with a 10 s timeout and must exit 2 with a message naming the
file and field, no traceback, nothing left in the output folder; valid inputs must give finite
numbers. The corpus is in ``tests/hostile/`` (each YAML file says what it broke); a hypothesis
fuzz draws scenarios with layouts, synthetic kinds and mixture blocks.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT
from tests.test_hostile import _check, case, planner_cli, refused, workdir

__all__ = ["workdir"]  # the fixture, imported so pytest finds it here

ARCH_FLAGS = ["--layers", "32", "--d-model", "4096", "--heads", "32", "--kv-heads", "8",
              "--ffn-size", "14336", "--glu", "--vocab", "32000", "--seq-len", "4096"]  # fmt: skip
ESTIMATE = ["estimate", "--tokens", "1T", "--hardware", "h100-sxm", "--count", "256"]

# (id, arguments, fragments the message must contain); {in} is the corpus copy, {out} the
# output folder (run and fit-mix also get -o {out}/...; it must stay empty).
MODEL_CASES = [
    case("micro-batch-huge", ["run", "{in}/layout_micro_batch_huge.yaml"],
         ["layout_micro_batch_huge.yaml", "training.layout.micro_batch", "micro_batch: 2"]),
    case("layout-no-links", ["layout", "{in}/layout_no_links.yaml"],
         ["layout_no_links.yaml", "training.accelerator", "scale_up_gbs"]),
    case("layout-no-memory", ["layout", "{in}/layout_no_memory.yaml"],
         ["layout_no_memory.yaml", "memory_gb"]),
    case("inline-accelerator-huge", ["run", "{in}/inline_accelerator_huge.yaml"],
         ["training.accelerator.tdp_w", "training.accelerator.price_usd_per_hour"]),
    case("api-price-huge", ["run", "{in}/api_price_huge.yaml"],
         ["api_price_huge.yaml", "generator.api.output_usd_per_million_tokens", "1000000"]),
    case("grading-passes-huge", ["run", "{in}/grading_passes_huge.yaml"],
         ["synthetic.grading.0.passes", "1000"]),
    case("prompt-ratio-huge", ["run", "{in}/prompt_ratio_huge.yaml"],
         ["synthetic.prompt_tokens_per_token", "1000"]),
    case("measured-rate-tiny", ["run", "{in}/measured_rate_tiny.yaml"],
         ["measured.tokens_per_accelerator_hour", "greater than or equal to 1"]),
    case("self-hosted-utilization-tiny", ["run", "{in}/self_hosted_utilization_tiny.yaml"],
         ["self_hosted.utilization", "0.0001"]),
    case("variant-drops-rephrased-source", ["run", "{in}/variant_drops_rephrased_source.yaml"],
         ["variants.no-web.set.data.web", "drops 'web', which 'syn' rephrases", "data.syn: null"]),
    case("law-covariance-huge", ["run", "{in}/scenario_law_covariance.yaml"],
         ["law_covariance_huge.yaml", "a variance of 1e+300"]),
    case("mixture-preset-bad", ["run", "{in}/scenario_mixture_preset_bad.yaml"],
         ["mixture.generated", "mixture_preset_bad.yaml", "invalid mixture gain preset file",
          "name: String should have at most 200", "optimum_share"]),
    case("law-pivot-tiny", ["loss", "--params", "7B", "--tokens", "1T", "--law",
                            "{in}/law_pivot_tiny.yaml"], ["law_pivot_tiny.yaml", "pivot_params"]),
    case("estimate-micro-batch-huge", [*ESTIMATE, *ARCH_FLAGS, "--micro-batch", "1000000"],
         ["--micro-batch", "micro_batch: 2"]),
    case("estimate-experts-without-shape",
         ["estimate", "--params", "7B", "--tokens", "1T", "--experts", "8", "--top-k", "2"],
         ["--experts", "--top-k", "would be ignored"]),
    case("sweep-count-below-layout", ["sweep", "{in}/layout_count_sweep.yaml", "--grid",
                                      "training.accelerator_count=1,1024", "-o", "{out}/s.csv"],
         ["grid training.accelerator_count", "a count of 1", "32"]),
    case("sweep-count-fractions", ["sweep", "{in}/layout_count_sweep.yaml", "--grid",
                                   "training.accelerator_count=32:4096:1000", "-o", "{out}/s.csv"],
         ["grid training.accelerator_count", "whole numbers"]),
    case("sweep-micro-batch-huge", ["sweep", "{in}/layout_count_sweep.yaml", "--grid",
                                    "training.layout.micro_batch=1,1000000", "-o", "{out}/s.csv"],
         ["training.layout.micro_batch", "does not fit"]),
    case("sweep-tp-not-dividing", ["sweep", "{in}/layout_count_sweep.yaml", "--grid",
                                   "training.layout.tp=1,3", "-o", "{out}/s.csv"],
         ["training.layout.tp", "tp 3 does not divide the 32 attention heads"]),
    case("sweep-unset-generator", ["sweep", "{in}/mixture_gain_text.yaml", "--grid",
                                   "data.syn.synthetic.generator.self_hosted.utilization=0.1,0.2",
                                   "-o", "{out}/s.csv"],
         ["data.syn.synthetic.generator.self_hosted is not set in the base scenario"]),
    case("sweep-yield-tiny", ["sweep", "{in}/mixture_gain_text.yaml", "--grid",
                              "data.syn.synthetic.acceptance_yield=4.9e-30,0.5", "-o", "{out}/s.csv"],
         ["grid data.syn.synthetic.acceptance_yield", "below 1e-06", "4.9e-30"]),
    case("sweep-price-tiny", ["sweep", "{in}/mixture_gain_text.yaml", "--grid",
                              "training.price_usd_per_hour=1e-40,2", "-o", "{out}/s.csv"],
         ["grid training.price_usd_per_hour", "sanity bound", "1e-40"]),
    case("sweep-gain-above-cap", ["sweep", "{in}/mixture_gain_text.yaml", "--grid",
                                  "mixture.rephrased.max_gain=1,1e30", "-o", "{out}/s.csv"],
         ["grid mixture.rephrased.max_gain", "speedup_cap 10"]),
]  # fmt: skip

FIT_MIX_CASES = [
    ("identical-loss", ["ablation_identical_loss.csv"], ["ablation_identical_loss.csv", "same loss"]),
    ("no-synthetic", ["ablation_no_synthetic.csv"], ["1 distinct synthetic share", "(0)"]),
    ("one-share", ["ablation_one_share.csv"], ["ablation_one_share.csv", "(0.3)"]),
    ("duplicate-column", ["ablation_duplicate_column.csv"], ["column 'loss' appears more than once"]),
    ("share-over-one", ["ablation_share_over_one.csv"], ["row 4", "synthetic_share is above 1"]),
    ("nan-share", ["ablation_nan_share.csv"], ["row 4", "synthetic_share must be", "nan"]),
    ("negative-share", ["ablation_negative_share.csv"], ["row 4", "-0.5"]),
    ("not-utf8", ["ablation_not_utf8.csv"], ["ablation_not_utf8.csv", "not UTF-8", "line 16"]),
    ("empty", ["ablation_empty.csv"], ["ablation_empty.csv", "file is empty"]),
    ("one-row", ["ablation_one_row.csv"], ["at least 4 runs", "(got 1)"]),
    ("bootstrap-one", ["ablation_good.csv", "--bootstrap", "1"], ["--bootstrap", "at least 2"]),
    ("column-typo", ["ablation_good.csv", "--column", "synthetic_share=sharee"],
     ["--column synthetic_share=sharee", "the CSV has no column 'sharee'"]),
]  # fmt: skip


@pytest.mark.parametrize(("args", "fragments"), MODEL_CASES)
def test_hostile_model_inputs_are_refused(
    workdir: Path, args: list[str], fragments: list[str]
) -> None:
    _check(workdir, args, fragments)


@pytest.mark.parametrize(
    ("args", "fragments"), [c[1:] for c in FIT_MIX_CASES], ids=[c[0] for c in FIT_MIX_CASES]
)
def test_bad_ablation_tables_are_refused(
    workdir: Path, args: list[str], fragments: list[str]
) -> None:
    _check(
        workdir,
        ["fit-mix", f"{{in}}/{args[0]}", *args[1:], "-o", "{out}/gain.yaml"],
        fragments,
    )


def test_a_fit_mix_too_large_to_end_in_seconds_is_refused_up_front(workdir: Path) -> None:
    good = (workdir / "in" / "ablation_good.csv").read_text().splitlines()
    rows = [good[0]] + [good[1 + i % (len(good) - 1)] for i in range(20_000)]
    (workdir / "in" / "many.csv").write_text("\n".join(rows) + "\n")
    result = planner_cli("fit-mix", str(workdir / "in" / "many.csv"), cwd=workdir)
    refused(result, "many.csv", "--bootstrap", "20,000 runs x 201 fits", "at most 49 resamples")


def test_a_preset_file_that_is_not_utf8_is_named(workdir: Path) -> None:
    (workdir / "in" / "gain.yaml").write_bytes(b"optimum_share: 0.3\nname: \xff\n")
    scenario = workdir / "in" / "mixture_preset_not_utf8.yaml"
    scenario.write_text(scenario.read_text().replace("PRESET", "gain.yaml"))
    refused(planner_cli("run", str(scenario), cwd=workdir), "mixture.rephrased", "gain.yaml",
            "not UTF-8")  # fmt: skip


def _finite(value: Any, where: str = "") -> None:
    """Every number in a nested output (dataclass, dict, list) is finite; None is allowed."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        for key, item in value.items():
            _finite(item, f"{where}.{key}")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _finite(item, f"{where}.{i}")
    elif isinstance(value, float):
        assert math.isfinite(value), f"{where} = {value}"


def test_valid_model_inputs_give_finite_outputs(workdir: Path) -> None:
    """The fitted preset round-trips into a scenario; layouts and text-typed gains are finite."""
    out = workdir / "out"
    fitted = planner_cli("fit-mix", str(workdir / "in" / "ablation_good.csv"), "--bootstrap",
                         "20", "-o", str(out / "gain.yaml"), cwd=workdir)  # fmt: skip
    assert fitted.returncode == 0, fitted.stderr[-3000:]
    _finite(yaml.safe_load((out / "gain.yaml").read_text()))
    scenario = workdir / "in" / "mixture_gain_text.yaml"
    (workdir / "in" / "fitted.yaml").write_text(
        scenario.read_text().replace(
            "{optimum_share: 0.3, max_gain: 3e0, alone_gain: 1}", f"{{file: {out / 'gain.yaml'}}}"
        )
    )
    for path in (scenario, workdir / "in" / "fitted.yaml"):
        result = planner_cli("run", str(path), "--format", "json", cwd=workdir)
        assert result.returncode == 0, result.stderr[-3000:]
        _finite(json.loads(result.stdout))
    layout = planner_cli("layout", str(workdir / "in" / "layout_count_sweep.yaml"), "--all",
                         "--format", "json", cwd=workdir)  # fmt: skip
    assert layout.returncode == 0, layout.stderr[-3000:]
    found = json.loads(layout.stdout)
    assert found["feasible"] > 0 and "nan" not in layout.stdout.lower()
    _finite(found)
    assert sorted(os.listdir(out)) == ["gain.yaml"]


def test_swept_prices_and_gains_work_with_the_monte_carlo(workdir: Path) -> None:
    """Swept row arrays reach the Monte Carlo as columns: an API price or an alone_gain swept
    with --uncertainty raised ValueError (shapes (3,10000) and (3,))."""
    for grid in ("data.syn.synthetic.generator.api.output_usd_per_million_tokens=1,2,3",
                 "mixture.rephrased.alone_gain=0.5,1,2"):  # fmt: skip
        out = workdir / "out" / "s.csv"
        result = planner_cli("sweep", str(workdir / "in" / "mixture_gain_text.yaml"), "--grid",
                             grid, "--uncertainty", "-o", str(out), cwd=workdir)  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        text = out.read_text()
        assert "loss_p90" in text and "inf" not in text and "nan" not in text.lower()
        out.unlink()


def test_a_mixture_gain_below_zero_is_floored_and_flagged(workdir: Path) -> None:
    path = workdir / "in" / "mixture_gain_below_zero.yaml"
    result = planner_cli("run", str(path), "--format", "json", cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(result.stdout)
    _finite(document)
    assert "floored at 0.001" in result.stdout
    optimized = planner_cli("optimize", str(path), "--budget-usd", "5e6", cwd=workdir)
    assert optimized.returncode == 0, optimized.stderr[-3000:]


def test_a_variant_may_drop_a_source_and_repoint_its_rephrasings() -> None:
    """The check for orphaned rephrasings runs after every change of the variant (any order)."""
    import planner
    from planner.plan.plans import validate

    document = yaml.safe_load(
        (ROOT / "tests" / "hostile" / "variant_drops_rephrased_source.yaml").read_text()
    )
    for changes in (
        {"data.web": None, "data.syn.synthetic.rephrases": {"unique_tokens": "500B"}},
        {"data.syn": None, "data.web": None},
    ):
        document["variants"] = [{"name": "v", "set": changes}]
        results = planner.run(validate(document))
        _finite(results["v"])


# --- fuzz: random scenarios with layouts, synthetic kinds and mixture blocks --------------------
def _gain() -> st.SearchStrategy[object]:
    inline = st.fixed_dictionaries(
        {
            "optimum_share": st.floats(0.01, 0.99),
            "sharpness": st.floats(0.1, 10),
            "max_gain": st.floats(0.1, 10),
            "alone_gain": st.floats(0.1, 10),
        }
    )
    names = ["conservative", "wrap-2024", "kang-2025", "textbook-kang-2025", "neutral"]
    return st.one_of(st.sampled_from(names), inline)


@st.composite
def model_scenarios(draw: st.DrawFn) -> dict[str, object]:
    """An architecture, a cluster with a layout, and web + up to 3 synthetic kinds."""
    heads = draw(st.sampled_from([8, 16, 32, 64]))
    layers = draw(st.sampled_from([4, 12, 24, 32, 48, 80]))
    arch = {"layers": layers, "d_model": heads * 128, "heads": heads, "vocab_size": 32000,
            "kv_heads": draw(st.sampled_from([1, heads // 4, heads])), "glu": draw(st.booleans()),
            "ffn_size": heads * 128 * 4, "seq_len": draw(st.sampled_from([1024, 4096, 8192]))}  # fmt: skip
    tp = draw(st.sampled_from([1, 2, 4, 8]))
    pp = draw(st.sampled_from([p for p in (1, 2, 4, 8) if layers % p == 0]))
    micro = draw(st.one_of(st.integers(1, 4), st.integers(1, 4), st.integers(1, 4096)))
    layout = {"tp": tp, "pp": pp, "micro_batch": micro,
              "zero": draw(st.sampled_from([0, 1, 2, 3, "FULL_SHARD"])),
              "recompute": draw(st.sampled_from(["none", "selective", "full"])),
              "sequence_parallel": tp > 1 and draw(st.booleans())}  # fmt: skip
    accelerator = draw(st.sampled_from(["h100-sxm", "a100-80gb", "b200", "h200"]))
    training = {"tokens": draw(st.sampled_from(["1B", "100B", "2T", "30T"])),
                "accelerator": accelerator, "layout": layout,
                "accelerator_count": tp * pp * draw(st.integers(1, 4096)),
                "precision": draw(st.sampled_from(["bf16", "fp8"])) if accelerator != "a100-80gb" else "bf16"}  # fmt: skip
    api = {"api": {"input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 4}}
    kinds = draw(st.lists(st.sampled_from(["rephrased", "generated", "distillation", "self_training"]),
                          max_size=3, unique=True))  # fmt: skip
    share = 1.0 / (len(kinds) + 1)
    data: list[dict[str, object]] = [
        {"name": "web", "unique_tokens": draw(st.sampled_from(["1B", "50B", "5T"])), "share": share}
    ]
    for kind in kinds:
        synthetic: dict[str, object] = {"kind": kind, "generator": api}
        if kind == "rephrased":
            synthetic["rephrases"] = draw(st.sampled_from(["web", {"unique_tokens": "1B"}]))
        if kind in ("generated", "self_training") and draw(st.booleans()):
            synthetic["saturation_tokens"] = draw(st.sampled_from(["1", "1B", "300B"]))
        if kind == "self_training":
            synthetic.update(generations=draw(st.integers(1, 1000)),
                             policy=draw(st.sampled_from(["accumulate", "replace"])))  # fmt: skip
        data.append({"name": kind, "share": share, "synthetic": synthetic})
    mixture = {"form": draw(st.sampled_from(["share-gain", "budget-gain"])),
               **{kind: draw(_gain()) for kind in kinds}}  # fmt: skip
    return {"name": "fuzz", "model": {"architecture": arch}, "training": training,
            "data": data, "mixture": mixture}  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=model_scenarios())
def test_random_model_scenarios_give_finite_outputs_or_a_clean_error(
    document: dict[str, Any],
) -> None:
    import planner
    from planner.errors import InputError
    from planner.plan.plans import validate

    try:
        scenario = validate(document)
    except InputError as exc:  # a layout that does not fit or divide is refused, cleanly
        assert "Traceback" not in str(exc) and str(exc)
        return
    plan = planner.run(scenario)[scenario.base_plan]
    _finite(plan)
    assert plan.loss > 0 and plan.total_cost_usd >= 0
    assert plan.step_time_s is None or plan.step_time_s > 0


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    runs=st.lists(
        st.tuples(
            st.sampled_from([1e8, 1e9, 7e9]),
            st.sampled_from([1e9, 2e10, 1e12]),
            st.floats(0, 1),
            st.floats(1.0, 10.0),
        ),
        min_size=0,
        max_size=12,
    )
)
def test_random_ablations_fit_a_finite_gain_or_a_clean_error(
    runs: list[tuple[float, float, float, float]],
) -> None:
    from planner.errors import InputError
    from planner.laws.choice import law
    from planner.mixture.fit import fit_mixture_gain

    base = law("besiroglu-2024")
    params, tokens, shares, losses = (
        (list(c) for c in zip(*runs, strict=True)) if runs else ([],) * 4
    )
    try:
        fitted = fit_mixture_gain(base, params, tokens, shares, losses, bootstrap=5)  # type: ignore[arg-type]
    except InputError as exc:
        assert str(exc)
        return
    _finite(fitted.preset.model_dump())
    _finite(fitted.intervals)
    assert 0 < fitted.preset.optimum_share < 1 and fitted.preset.max_gain.low > 0
