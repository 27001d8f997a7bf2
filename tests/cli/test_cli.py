"""The CLI through click's runner: exit codes, whole outputs, errors without tracebacks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.outputs.text import render
from tests.conftest import MINIMAL, ROOT

BASELINE = str(ROOT / "scenarios" / "web_baseline_7b.yaml")


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_run_table_is_exactly_the_library_rendering() -> None:
    code, out, _ = invoke("run", BASELINE)
    assert code == 0
    results = planner.run(planner.load_scenario(BASELINE), file=BASELINE)
    assert out == render(results, "table")
    assert out.splitlines()[2].split() == ["base", "a100", "megatron-count"]


@pytest.mark.parametrize("fmt", ["json", "csv", "markdown"])
def test_run_formats(fmt: str) -> None:
    code, out, _ = invoke("run", BASELINE, "--format", fmt)
    assert code == 0
    if fmt == "json":
        data = json.loads(out)
        assert [p["plan"] for p in data["plans"]] == ["base", "a100", "megatron-count"]
        assert data["plans"][0]["training_flops"] == pytest.approx(6 * 6_738_415_616 * 2e12)
    elif fmt == "csv":
        header, *rows = out.strip().splitlines()
        assert header.startswith("plan,") and "total_cost_usd" in header and len(rows) == 3
    else:
        assert (
            out.startswith("## web-baseline-7b")
            and "| metric | base | a100 | megatron-count |" in out
        )


def test_estimate_json_has_the_stable_keys() -> None:
    code, out, _ = invoke(
        "estimate",
        "--params",
        "70B",
        "--tokens",
        "1.4T",
        "--hardware",
        "a100-80gb",
        "--count",
        "2048",
        "--mfu",
        "0.4",
        "--price",
        "1.36",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    for key in (
        "training_flops",
        "flops_per_token",
        "accelerator_hours",
        "wall_clock_days",
        "training_cost_usd",
        "energy_kwh",
        "params",
    ):
        assert key in data
    assert data["training_flops"] == pytest.approx(5.88e23)
    hours = 5.88e23 / (312e12 * 0.4) / 3600
    assert data["accelerator_hours"] == pytest.approx(hours)
    assert data["training_cost_usd"] == pytest.approx(hours * 1.36)
    assert data["wall_clock_days"] == pytest.approx(hours / 2048 / 24)


def test_estimate_from_architecture_flags_megatron_oracle() -> None:
    # peers.md §6.1 config A: 404,226,048,000 FLOPs/token (llm-analysis).
    code, out, _ = invoke(
        "estimate",
        "--layers",
        "80",
        "--d-model",
        "8192",
        "--heads",
        "64",
        "--ffn-size",
        "32768",
        "--vocab",
        "32000",
        "--seq-len",
        "2048",
        "--tied-embeddings",
        "--tokens",
        "1.4T",
        "--flops-convention",
        "megatron",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert data["flops_per_token"] == 404_226_048_000
    assert data["params"] == 64_687_972_352


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["estimate", "--params", "70X", "--tokens", "1T"], "unknown suffix 'X'"),
        (["estimate", "--params", "-5B", "--tokens", "1T"], "is negative"),
        (["estimate", "--params", "7B", "--tokens", ""], "empty string"),
        (["estimate", "--params", "7B", "--tokens", "nan"], "not a number"),
        (
            ["estimate", "--params", "7B", "--tokens", "1T", "--hardware", "h100"],
            "--accelerator: unknown accelerator",
        ),
        (
            ["estimate", "--params", "7B", "--tokens", "1T", "--mfu", "0.5:0.2"],
            "--utilization: low 0.5 is above high 0.2",
        ),
        (["estimate", "--tokens", "1T"], "give --params or the architecture flags"),
        (
            ["estimate", "--params", "7B", "--tokens", "1T", "--flops-convention", "palm"],
            "needs the model's shape",
        ),
        (["run", "does-not-exist.yaml"], "file not found"),
    ],
    ids=[
        "suffix",
        "negative",
        "empty",
        "nan",
        "hardware",
        "mfu",
        "no-model",
        "palm",
        "missing-file",
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_traceback(args: list[str], says: str) -> None:
    code, out, err = invoke(*args)
    assert code == 2
    assert says in err
    assert "Traceback" not in err + out


def test_validate_reports_problems_and_exit_code(write_scenario: Callable[..., Path]) -> None:
    good = write_scenario(MINIMAL, name="good.yaml")
    code, out, _ = invoke("validate", str(good))
    assert (code, out) == (0, f"{good}: valid scenario 'minimal' with plans: base\n")
    bad = write_scenario({**MINIMAL, "modle": {}}, name="bad.yaml")
    code, _, err = invoke("validate", str(bad))
    assert code == 2
    assert err == (
        f"Error: {bad}: modle: unknown field 'modle'; did you mean 'model'? (allowed here: "
        "name, description, base_plan, baseline, model, training, data, variants, law, "
        "uncertainty, downstream, optimize, programme, mixture, stages, schedule_law, as_of)\n"
    )


def test_schema_is_json_schema_of_the_scenario() -> None:
    code, out, _ = invoke("schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "Scenario" and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"name", "model", "training"}
    assert "description" in schema["$defs"]["Training"]["properties"]["accelerator_count"]


def test_hardware_lists_every_catalog_id() -> None:
    code, out, _ = invoke("hardware")
    assert code == 0
    listed = [
        line.split()[0] for line in out.splitlines()[1:] if line and not line.startswith("Sources")
    ]
    assert listed == list(planner.catalog())


def test_output_file_is_written_and_never_overwritten_without_force(tmp_path: Path) -> None:
    target = tmp_path / "new" / "out.json"
    assert invoke("run", BASELINE, "--format", "json", "-o", str(target))[0] == 0
    first = target.read_text()
    assert json.loads(first)["scenario"] == "web-baseline-7b"
    code, _, err = invoke("run", BASELINE, "-o", str(target))
    assert code == 2 and "already exists; pass --force" in err
    assert target.read_text() == first
    assert invoke("run", BASELINE, "-o", str(target), "--force", "--law", "hoffmann-2022")[0] == 0
    assert target.read_text() != first
    code, _, err = invoke("run", BASELINE, "-o", str(tmp_path))
    assert code == 2


def test_backtest_prints_summary() -> None:
    code, out, _ = invoke("backtest")
    assert code == 0
    assert "Scored runs: 25" in out and "DeepSeek-V3" in out


def test_every_command_has_help_ending_with_an_example() -> None:
    for name, command in main.commands.items():
        code, out, _ = invoke(name, "--help")
        assert code == 0, name
        assert out.startswith((f"Usage: main {name}", f"Usage: planner {name}")), out
        assert "Example: planner " in (command.help or ""), name


def test_shipped_scenarios_validate_against_the_printed_schema() -> None:
    # Editors validate with this schema, so human quantities ("70B") and catalog ids must pass.
    import jsonschema
    import yaml

    from tests.conftest import SCENARIOS

    schema = json.loads(invoke("schema")[1])
    for path in SCENARIOS:
        jsonschema.validate(yaml.safe_load(path.read_text()), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**MINIMAL, "modle": {}}, schema)


def test_loss_json_reproduces_datablations() -> None:
    # literature.md §9 check 11 through the CLI.
    code, out, _ = invoke(
        "loss",
        "--params",
        "6.34B",
        "--tokens",
        "242B",
        "--unique-tokens",
        "25B",
        "--law",
        "muennighoff-2023",
        "--format",
        "json",
    )
    assert code == 0
    assert json.loads(out)["loss"] == pytest.approx(2.2256440889984477, abs=1e-12)
    code, _, err = invoke("loss", "--params", "1B", "--tokens", "1T", "--law", "nope")
    assert code == 2 and "unknown scaling law" in err


def test_optimize_quick_json_keys_and_check_12() -> None:
    code, out, _ = invoke(
        "optimize",
        "--flops",
        "1e22",
        "--unique-tokens",
        "25B",
        "--law",
        "muennighoff-2023",
        "--format",
        "json",
    )
    assert code == 0
    data = json.loads(out)
    assert {"params", "tokens", "loss"} <= set(data)
    assert data["params"] == pytest.approx(7.022365e9, rel=1e-4)


def test_optimize_quick_table_reads_like_the_other_commands() -> None:
    code, out, _ = invoke("optimize", "--flops", "1e22", "--unique-tokens", "25B")
    assert code == 0 and "e+" not in out
    lines = dict(line.split(None, 1) for line in out.splitlines())
    assert lines["unique_tokens"] == "25B" and lines["flops"] == "1.0e22 FLOPs"
    assert lines["params"].endswith("B") and lines["tokens"].endswith("B")


def test_optimize_scenario_file() -> None:
    path = str(ROOT / "scenarios" / "data_constrained_3b.yaml")
    code, out, _ = invoke("optimize", path, "--plan", "rephrase", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["total_cost_usd"] <= 300e3 and data["binding"].startswith("budget")
    code, out, _ = invoke("optimize", path, "--plan", "rephrase")
    assert code == 0 and "Goal: lowest expected loss within $300,000" in out
    assert "Dollars per 0.01 lower loss from:" in out
    code, _, err = invoke("optimize", path, "--plan", "nope")
    assert code == 2 and "plans: repeat-real, rephrase, rephrase-api" in err
    code, _, err = invoke("optimize")
    assert code == 2 and "give a scenario FILE, or --flops" in err


@pytest.mark.parametrize(
    ("suffix", "starts"),
    [(".json", "{"), (".csv", "plan,"), (".md", "## web-baseline"), (".txt", "web-baseline")],
)
def test_output_suffix_picks_the_format(tmp_path: Path, suffix: str, starts: str) -> None:
    target = tmp_path / f"out{suffix}"
    assert invoke("run", BASELINE, "-o", str(target))[0] == 0
    assert target.read_text().lstrip().startswith(starts)


def test_existing_html_target_fails_before_any_work(tmp_path: Path) -> None:
    html = tmp_path / "r.html"
    html.write_text("keep")
    out = tmp_path / "o.json"
    code, _, err = invoke("run", BASELINE, "-o", str(out), "--html", str(html))
    assert code == 2 and "already exists" in err
    assert html.read_text() == "keep" and not out.exists()  # nothing written: all outputs or none


def test_law_option_on_run_and_estimate() -> None:
    code, out, _ = invoke("run", BASELINE, "--law", "hoffmann-2022", "--format", "json")
    assert code == 0 and json.loads(out)["plans"][0]["law"] == "hoffmann-2022"
    code, out, _ = invoke(
        "estimate",
        "--params",
        "7B",
        "--tokens",
        "1T",
        "--law",
        "muennighoff-2023",
        "--format",
        "json",
    )
    assert code == 0 and json.loads(out)["law"] == "muennighoff-2023"
    code, _, err = invoke("run", BASELINE, "--law", "nope")
    assert code == 2 and "unknown scaling law" in err


def test_sweep_writes_results_and_report_together_or_not_at_all(tmp_path: Path) -> None:
    out, html = tmp_path / "s.csv", tmp_path / "s.html"
    html.write_text("keep")
    code, _, err = invoke(
        "sweep",
        str(ROOT / "scenarios" / "phi4_style_14b.yaml"),
        "--grid",
        "model.params=1B,3B",
        "-o",
        str(out),
        "--html",
        str(html),
    )
    assert code == 2 and "already exists" in err
    assert not out.exists() and html.read_text() == "keep"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.html"]  # no temporaries left


def test_a_variant_without_a_price_still_gives_hours(write_scenario: Callable[..., Path]) -> None:
    """Issue 18: time needs no price. A GB200 variant (no catalog price) exits 0 with hours and
    says which field gives dollars."""
    document = {**MINIMAL, "variants": [{"name": "gb", "set": {"training.accelerator": "gb200"}}]}
    code, _, err = invoke("validate", str(write_scenario(document)))
    assert code == 0, err
    code, out, err = invoke("run", str(write_scenario(document)))
    assert code == 0, err
    assert "no price: set training.price_usd_per_hour" in out
    assert "GPU-h" in out


def test_compare_names_the_repeated_scenario() -> None:
    code, _, err = invoke("compare", BASELINE, BASELINE)
    assert code == 2 and "share the name 'web-baseline-7b'" in err and "web_baseline_7b.yaml" in err


def test_validate_refuses_a_target_loss_run_would_refuse(tmp_path: Path) -> None:
    path = tmp_path / "target.yaml"
    path.write_text(
        "name: t\nmodel: {params: 7B}\n"
        "training: {tokens: 1T, accelerator: h100-sxm, accelerator_count: 64}\n"
        "optimize: {target_loss: 0.5}\n"
    )
    for command in (
        ["validate", str(path)],
        ["run", str(path), "--html", str(tmp_path / "r.html")],
    ):
        code, _, err = invoke(*command)
        assert code == 2 and str(path) in err and "irreducible loss" in err, (command, err)


def test_compare_pairs_only_the_first_files_plans() -> None:
    other = str(ROOT / "scenarios" / "data_constrained_3b.yaml")
    code, out, _ = invoke("compare", BASELINE, other, "--format", "json")
    assert code == 0
    plans = json.loads(out)["plans"]
    first = [p for p in plans if p["plan"].startswith("web-baseline-7b/")]
    rest = [p for p in plans if not p["plan"].startswith("web-baseline-7b/")]
    assert first and rest
    assert all(p["loss_vs_baseline_p50"] is not None for p in first[1:])
    # the other file's differences were drawn against its own baseline: not reported as paired
    assert all(
        p["loss_vs_baseline_p50"] is None and p["probability_below_baseline"] is None for p in rest
    )


def test_loss_of_a_moe_model_names_the_row_of_the_law_it_used() -> None:
    moe = CliRunner().invoke(
        main,
        ["loss", "--params", "100B", "--active-params", "12B", "--granularity", "8"]
        + ["--tokens", "1T", "--law", "krajewski-2024", "--format", "json"],
    )
    dense = CliRunner().invoke(
        main,
        [
            "loss",
            "--params",
            "12B",
            "--tokens",
            "1T",
            "--law",
            "krajewski-2024",
            "--format",
            "json",
        ],
    )
    assert moe.exit_code == 0 and dense.exit_code == 0, moe.output + dense.output
    moe_record, dense_record = json.loads(moe.output), json.loads(dense.output)
    assert "MoE row" in moe_record["law_source"] and "dense row" in dense_record["law_source"]
    assert moe_record["loss"] < dense_record["loss"]  # 100B total beats a dense model at 12B active


def test_loss_warns_outside_the_moe_fit_and_under_a_dense_law() -> None:
    base = ["loss", "--params", "100B", "--active-params", "12B", "--tokens", "1T"]
    outside = CliRunner().invoke(main, [*base, "--granularity", "8", "--law", "krajewski-2024"])
    dense = CliRunner().invoke(main, base)
    inside = CliRunner().invoke(
        main, ["loss", "--params", "1B", "--tokens", "20B", "--law", "krajewski-2024"]
    )
    assert "outside the fitted range of krajewski-2024" in outside.stderr
    assert "12B active parameters" in outside.stderr and "1.0T tokens" in outside.stderr
    assert "dense-equivalent" in dense.stderr
    assert inside.exit_code == 0 and "warning" not in inside.stderr
    record = json.loads(CliRunner().invoke(main, [*base, "--format", "json"]).stdout)
    assert any("dense-equivalent" in w for w in record["warnings"])
