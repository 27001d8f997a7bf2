"""Hostile outputs through the real CLI (issue 13): special targets, all-or-none writes,
signals mid-write, escaping of hostile names; and a fuzz of valid scenarios.

Helpers and the ``workdir`` fixture come from :mod:`tests.test_hostile` (inputs).
"""

from __future__ import annotations

import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_hostile import TIMEOUT, _cap_memory, _minimal, planner_cli, refused, workdir

__all__ = ["workdir"]  # the fixture, imported so pytest finds it here


# --- outputs ------------------------------------------------------------------------------------
def test_force_never_turns_a_special_file_into_a_regular_one(workdir: Path) -> None:
    fifo = workdir / "out" / "pipe.json"
    os.mkfifo(fifo)
    link = workdir / "out" / "null.json"
    link.symlink_to("/dev/null")
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    for target in (fifo, link):
        refused(
            planner_cli("run", str(valid), "-o", str(target), "--force", cwd=workdir),
            "not a regular file",
        )
    assert fifo.is_fifo() and link.is_symlink() and os.readlink(link) == "/dev/null"
    assert sorted(os.listdir(workdir / "out")) == ["null.json", "pipe.json"]


def test_an_existing_second_output_stops_the_command_before_anything_is_written(
    workdir: Path,
) -> None:
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    old = workdir / "out" / "old.html"
    old.write_text("keep")
    refused(
        planner_cli(
            "run",
            str(valid),
            "-o",
            str(workdir / "out" / "new.json"),
            "--html",
            str(old),
            cwd=workdir,
        ),
        "old.html",
        "already exists",
    )
    assert os.listdir(workdir / "out") == ["old.html"] and old.read_text() == "keep"


def test_fit_checks_its_output_before_fitting(workdir: Path) -> None:
    old = workdir / "out" / "law.yaml"
    old.write_text("keep")
    refused(
        planner_cli(
            "fit", str(workdir / "in" / "runs_identical_loss.csv"), "-o", str(old), cwd=workdir
        ),
        "law.yaml",
        "already exists",
    )


def test_a_sweep_too_large_is_refused_up_front(workdir: Path) -> None:
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    refused(
        planner_cli(
            "sweep",
            str(valid),
            "--grid",
            "model.params=1B:100B:100000",
            "--grid",
            "training.tokens=1T:10T:100000",
            "-o",
            str(workdir / "out" / "s.csv"),
            cwd=workdir,
        ),
        "10,000,000,000 points",
        "limited to",
    )
    assert os.listdir(workdir / "out") == []


@pytest.mark.parametrize(
    ("flag", "value", "says"),
    [
        ("--budget-usd", "0.001", "no plan fits in the budget"),
        ("--deadline-days", "1e-9", "deadline"),
    ],
)
def test_an_infeasible_budget_is_refused(workdir: Path, flag: str, value: str, says: str) -> None:
    # the smallest plan (100M parameters, 1M tokens) costs about $0.003 and 4e-7 days
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    result = planner_cli("optimize", str(valid), flag, value, cwd=workdir)
    refused(result, says)
    assert "already needs" in result.stderr and "$0 " not in result.stderr


def test_dollar_names_render_in_the_html_report(workdir: Path) -> None:
    result = planner_cli(
        "run",
        str(workdir / "in" / "dollar_names.yaml"),
        "--html",
        str(workdir / "out" / "r.html"),
        cwd=workdir,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "badcmd" in (workdir / "out" / "r.html").read_text()


def test_csv_cells_cannot_be_formulas(workdir: Path) -> None:
    result = planner_cli(
        "run", str(workdir / "in" / "formula_name.yaml"), "--format", "csv", cwd=workdir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    import csv
    import io

    # parse the CSV as a spreadsheet would: a quoted cell is still a formula if it starts with =
    cells = [cell for row in csv.reader(io.StringIO(result.stdout)) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    assert not any(cell.startswith(("=", "+", "@", "\t", "\r")) for cell in cells)


def test_markdown_escapes_html(workdir: Path) -> None:
    result = planner_cli(
        "run", str(workdir / "in" / "html_name.yaml"), "--format", "markdown", cwd=workdir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<img" not in result.stdout


def test_terminal_output_strips_control_characters(workdir: Path) -> None:
    result = planner_cli("run", str(workdir / "in" / "control_name.yaml"), cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_signal_during_a_sweep_leaves_nothing_behind(workdir: Path, signum: int) -> None:
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    out = workdir / "out"
    args = ["sweep", str(valid), "--grid", "model.params=1B:100B:3000", "--grid",
            "training.tokens=1T:10T:3000", "-o", str(out / "s.csv")]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-c", "from planner.cli import main; main()", *args],
        cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        preexec_fn=_cap_memory,  # noqa: PLW1509 - setrlimit only; the test runs no threads
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:  # wait until the staged file has rows in it
        if any(p.stat().st_size > 1_000_000 for p in out.iterdir() if p.name.endswith(".tmp")):
            break
        time.sleep(0.05)
    else:
        process.kill()
        process.communicate()
        pytest.fail("the sweep never started writing")
    process.send_signal(signum)
    process.communicate(timeout=TIMEOUT)
    assert process.returncode != 0
    assert os.listdir(out) == []


# --- fuzz: random valid scenarios give finite, non-negative numbers ------------------------------
def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: float(10**x))


def _price(high: float) -> st.SearchStrategy[float]:
    """Zero or a plausible positive amount (not a subnormal: those are refused as absurd)."""
    return st.one_of(st.just(0.0), st.floats(1e-6, high))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    """Scenarios within the schema's ranges: model, training, and 0-2 real + 0-1 synthetic sources."""
    from planner.scenario.accelerators import catalog

    training: dict[str, object] = {
        "tokens": draw(_log_uniform(1e9, 1e15)),
        "accelerator": draw(st.sampled_from(sorted(catalog()))),
        "accelerator_count": draw(st.integers(1, 100_000)),
        "price_usd_per_hour": draw(_log_uniform(0.1, 100)),
        "utilization": draw(st.floats(0.05, 0.9)),
        "goodput": draw(st.floats(0.5, 1.0)),
    }
    data: list[dict[str, object]] = []
    real = draw(st.integers(0, 2))
    synthetic = draw(st.booleans())
    shares = draw(
        st.lists(st.floats(0.05, 1.0), min_size=real + synthetic, max_size=real + synthetic)
    )
    total = sum(shares) or 1.0
    for i in range(real):
        data.append(
            {
                "name": f"real{i}",
                "unique_tokens": draw(_log_uniform(1e8, 1e14)),
                "share": shares[i] / total,
                "allow_repetition": True,
            }
        )
    if synthetic:
        data.append(
            {
                "name": "synth",
                "share": shares[-1] / total,
                "synthetic": {
                    "generator": {
                        "api": {
                            "input_usd_per_million_tokens": draw(_price(20)),
                            "output_usd_per_million_tokens": draw(_price(60)),
                        }
                    },
                    "acceptance_yield": draw(st.floats(0.01, 1.0)),
                    "prompt_tokens_per_token": draw(_price(4)),
                },
            }
        )
    scenario: dict[str, object] = {
        "name": "fuzz",
        "model": {"params": draw(_log_uniform(1e7, 1e13))},
        "training": training,
        "law": draw(st.sampled_from(["besiroglu-2024", "hoffmann-2022", "muennighoff-2023"])),
    }
    if data:
        scenario["data"] = data
    return scenario


def _numbers(plan: object) -> dict[str, float]:
    import dataclasses

    fields = dataclasses.asdict(plan) if dataclasses.is_dataclass(plan) else dict(vars(plan))  # type: ignore[arg-type]
    return {
        k: float(v)
        for k, v in fields.items()
        if isinstance(v, (int, float)) and not isinstance(v, bool)
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=scenarios())
def test_valid_scenarios_give_finite_non_negative_outputs(document: dict[str, object]) -> None:
    import planner
    from planner.errors import InputError
    from planner.plan.plans import validate

    try:
        scenario = validate(document)
    except InputError as exc:  # a combination the schema refuses is fine; a crash is not
        assert "Traceback" not in str(exc)
        return
    results = planner.run(scenario)
    plan = results[scenario.base_plan]
    numbers = _numbers(plan)
    assert numbers, "no numeric outputs found"
    for key, value in numbers.items():
        assert math.isfinite(value), f"{key} = {value}"
        if key.endswith(
            ("_usd", "_usd_low", "_usd_high", "_hours", "_days", "flops", "_kwh", "_tonnes")
        ):
            assert value >= 0, f"{key} = {value}"
    assert math.isfinite(numbers["loss"]) and numbers["loss"] > 0
