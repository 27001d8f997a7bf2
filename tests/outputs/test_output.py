"""Terminal, Markdown and other text outputs: flags once, narrow tables, rounded numbers, clean names."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

import planner
from planner import units
from planner.cli import main
from planner.outputs.text import render_markdown, render_table
from tests.conftest import MINIMAL, ROOT

PHI4 = str(ROOT / "scenarios" / "phi4_style_14b.yaml")


@pytest.fixture(scope="module")
def phi4() -> planner.Results:
    return planner.run(planner.load_scenario(PHI4), file=PHI4)


def test_each_flag_once_with_the_plans_it_applies_to(phi4: planner.Results) -> None:
    text = render_table(phi4)
    flags = [line for line in text.splitlines() if line.startswith(("risk", "warning"))]
    messages = {(f.level, f.message) for p in phi4.plans for f in p.flags}
    assert len(flags) == len(messages) + len(
        {w for p in phi4.plans for w in p.warnings}
    )  # each once
    raised = [{(f.level, f.message) for f in p.flags} for p in phi4.plans]
    everywhere = set.intersection(*raised)
    assert everywhere and sum("(all plans)" in line for line in flags) == len(everywhere)
    for line in flags:
        if "(all plans)" not in line:
            names = line.split("(", 1)[1].split(")", 1)[0].split(", ")
            assert set(names) < {p.plan for p in phi4.plans}


def test_a_flag_raised_by_some_plans_names_them(write_scenario: Callable[..., Path]) -> None:
    data = [{"name": "web", "unique_tokens": "100B", "share": 1.0}]
    path = write_scenario({**MINIMAL, "data": data,
                           "variants": [{"name": "long", "set": {"training.tokens": "1T"}},
                                        {"name": "short", "set": {"training.tokens": "200B"}}]})  # fmt: skip
    results = planner.run(planner.load_scenario(path))
    lines = [line for line in render_table(results).splitlines() if "epochs; beyond" in line]
    assert len(lines) == 1 and lines[0].startswith("warning (base, long):")


@pytest.mark.parametrize("width", [60, 80, 120])
def test_narrow_terminals_get_plans_in_blocks(phi4: planner.Results, width: int) -> None:
    text = render_table(phi4, width=width)
    assert max(len(line) for line in text.splitlines()) <= width
    for plan in phi4.plans:
        assert plan.plan in text
    wide = render_table(phi4)
    assert max(len(line) for line in wide.splitlines()) > 120  # without a width nothing is wrapped


def test_cli_width_option(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", PHI4, "--width", "80"])
    assert result.exit_code == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    unlimited = CliRunner().invoke(main, ["run", PHI4, "--width", "0"])
    assert max(len(line) for line in unlimited.stdout.splitlines()) > 120


def test_loss_prints_rounded_numbers() -> None:
    result = CliRunner().invoke(
        main, ["loss", "--params", "70B", "--tokens", "1.4T", "--law", "hoffmann-2022"]
    )
    assert result.exit_code == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert lines["params"] == "70B" and lines["tokens"] == "1.4T"
    loss = lines["loss"].split()[0]
    assert len(loss.split(".")[1]) == 4 and "70000000000" not in result.stdout


@pytest.mark.parametrize(
    ("formatter", "value", "expected"),
    [(units.format_bytes, 1.12e12, "1.1 TB"), (units.format_energy, 4.5e6, "4.5 GWh"),
     (units.format_co2, 1750.0, "1,750 tCO2e"), (units.format_bytes, 8e10, "80 GB"),
     (units.format_energy, 623_000.0, "623 MWh"), (units.format_usd, float("inf"), "$inf"),
     (units.format_count, float("nan"), "n/a")],
    ids=lambda v: getattr(v, "__name__", str(v)),  # a function's name, not its address
)  # fmt: skip
def test_units_move_to_the_next_unit(
    formatter: Callable[[float], str], value: float, expected: str
) -> None:
    assert formatter(value) == expected


def test_parse_quantity_strips_before_matching() -> None:
    assert units.parse_quantity("\t70B\n") == 70e9
    assert units.parse_quantity("\u00a01.4T ") == 1.4e12


def test_markdown_escapes_html_and_drops_control_characters(
    write_scenario: Callable[..., Path],
) -> None:
    path = write_scenario({**MINIMAL, "name": "<img src=x onerror=alert(1)>\x1b[31m",
                           "description": "a|b\x07"})  # fmt: skip
    results = planner.run(planner.load_scenario(path))
    text = render_markdown(results)
    assert "<img" not in text and "&lt;img" in text and "\x1b" not in text and "\x07" not in text
    assert "a\\|b" in text
    table = render_table(results)
    assert "\x1b" not in table and "\x07" not in table


def test_programme_lines_appear_only_when_asked_and_after_the_total(
    write_scenario: Callable[..., Path],
) -> None:
    bare = planner.run(planner.load_scenario(write_scenario(MINIMAL)))
    assert "Programme" not in render_table(bare)
    programme = {
        "development_multiple": "llama-1",
        "evaluation_share": 0.05,
        "owned": {"purchase_usd": 30_000},
    }
    path = write_scenario({**MINIMAL, "programme": programme}, "programme.yaml")
    results = planner.run(planner.load_scenario(path))
    plan = results.plans[0]
    labels = [line.split("  ")[0] for line in render_table(results).splitlines()]
    assert labels.index("Programme $ (development, ablations, eval)") > labels.index(
        "Total $ (P10-P90)"
    )
    text = render_table(results)
    assert (
        units.format_usd(plan.programme_usd) in text
        and units.format_usd(plan.amortised_training_usd) in text
    )
    assert "Training compute $" in labels and "Overhead $ (goodput)" in labels


def test_paired_loss_difference_and_mixture_note_are_printed() -> None:
    path = str(ROOT / "scenarios" / "data_constrained_3b.yaml")
    results = planner.run(planner.load_scenario(path))
    text = render_table(results, width=10_000)
    row = next(line for line in text.splitlines() if line.startswith("Loss vs baseline (paired"))
    chance = next(line for line in text.splitlines() if line.startswith("Chance loss is below"))
    for plan in results.plans:
        if plan.plan == results.baseline:
            assert "baseline" in row
            continue
        assert f"{plan.loss_vs_baseline_p50:+.3f}" in row
        assert f"{plan.probability_below_baseline:.0%}" in chance
    presets = {results.inputs[1].scenario.mixture.gain("rephrased").name}
    note = next(n for n in results.notes if n.startswith("Mixture model"))
    assert all(f"rephrased: {name}" in note for name in presets) and note in text


@pytest.mark.parametrize(
    ("command", "name", "says"),
    [(["run", PHI4], "out.xlsx", "does not write .xlsx files"),
     (["run", PHI4], "report.html", "written with --html PATH"),
     (["loss", "--params", "7B", "--tokens", "1T"], "loss.csv", "ending in .json, .txt")],
    ids=["xlsx", "html", "loss-csv"],
)  # fmt: skip
def test_an_output_suffix_without_a_format_is_refused_before_any_work(
    tmp_path: Path, command: list[str], name: str, says: str
) -> None:
    # -o out.xlsx once wrote the text table under a spreadsheet's name, exit 0
    target = tmp_path / name
    result = CliRunner().invoke(main, [*command, "-o", str(target)])
    assert result.exit_code == 2 and says in result.stderr and "Traceback" not in result.stderr
    assert not target.exists()
    forced = CliRunner().invoke(main, [*command, "-o", str(target), "--format", "json"])
    assert forced.exit_code == 0 and target.read_text().lstrip().startswith("{")


def test_a_file_without_a_suffix_gets_the_default_format(tmp_path: Path) -> None:
    target = tmp_path / "plans"
    result = CliRunner().invoke(main, ["run", PHI4, "-o", str(target)])
    assert result.exit_code == 0 and target.read_text().startswith("phi4-style-14b:")


def test_memory_names_one_accelerator_in_the_singular(
    write_scenario: Callable[..., Path],
) -> None:
    # "48 GB (>= 1 accelerators)" in every 3B/7B plan
    small = write_scenario({**MINIMAL, "model": {"params": "3B"}})
    memory = next(line for line in render_table(planner.run(planner.load_scenario(small))).splitlines() if "Memory" in line)  # fmt: skip
    assert memory.rstrip().endswith("48 GB (>= 1 accelerator)")
    large = planner.run(planner.load_scenario(write_scenario(MINIMAL, "large.yaml")))
    assert "112 GB (>= 2 accelerators)" in render_table(large)


def test_a_format_that_contradicts_the_suffix_is_refused(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from planner.cli import main

    target = tmp_path / "out.json"
    result = CliRunner().invoke(main, ["run", PHI4, "-o", str(target), "--format", "csv"])
    assert (
        result.exit_code == 2
        and "ends in .json, which is json, but --format is csv" in result.output
    )
    assert not target.exists()
    # a suffix that names no format keeps the explicit one
    other = tmp_path / "out.data"
    assert (
        CliRunner().invoke(main, ["run", PHI4, "-o", str(other), "--format", "csv"]).exit_code == 0
    )
    assert other.read_text().startswith("plan,")
