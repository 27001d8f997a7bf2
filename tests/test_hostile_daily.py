"""Daily use (issue 21): the second hostile corpus, pipes, stdin/stdout and full disks.

The scenario cases run the real CLI in a memory-capped subprocess (``planner_cli`` from
tests/test_hostile.py); the full-disk cases monkeypatch the write to raise ``ENOSPC`` and run
the command in-process with click's CliRunner.
"""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planner.cli import main
from tests.test_hostile import CORPUS, TIMEOUT, case, planner_cli, refused, workdir

__all__ = ["workdir"]  # the fixture, imported so pytest finds it here

SCENARIOS = Path(__file__).parent.parent / "scenarios"
SCENARIO = SCENARIOS / "web_baseline_7b.yaml"

DAILY_CASES = [
    case(
        "yaml-base-60",
        ["run", "{in}/yaml_sexagesimal.yaml"],
        ["yaml_sexagesimal.yaml", "line 7", "base-60", "90"],
    ),
    case(
        "yaml-octal",
        ["run", "{in}/yaml_octal.yaml"],
        ["yaml_octal.yaml", "leading zero", "octal", "8"],
    ),
    case("yaml-binary", ["run", "{in}/yaml_binary.yaml"], ["yaml_binary.yaml", "!!binary"]),
    case(
        "utf16",
        ["validate", "{in}/utf16.yaml"],
        ["utf16.yaml", "UTF-16", "save the file as UTF-8"],
    ),
    case(
        "tokens-1e30",
        ["run", "{in}/tokens_1e30.yaml"],
        ["tokens_1e30.yaml", "training.tokens", "MAX_TOKENS"],
    ),
    case(
        "params-1e20",
        ["run", "{in}/params_1e20.yaml"],
        ["params_1e20.yaml", "model.params", "MAX_PARAMS"],
    ),
    case(
        "architecture-derived-params",
        ["run", "{in}/architecture_huge.yaml"],
        ["architecture_huge.yaml", "model.architecture", "parameters", "MAX_PARAMS"],
    ),
    case(
        "accelerators-1e9",
        ["run", "{in}/accelerators_1e9.yaml"],
        ["training.accelerator_count", "MAX_ACCELERATORS"],
    ),
    case(
        "layers-beyond-the-bound",
        ["run", "{in}/layers_huge.yaml"],
        ["model.architecture.layers", "MAX_LAYERS"],
    ),
    case(
        "utilization-yes-no",
        ["run", "{in}/utilization_true.yaml"],
        ["utilization_true.yaml", "training.utilization", "yes/no"],
    ),
    case(
        "optimize-flops-1e300",
        ["optimize", "--flops", "1e300"],
        ["--flops", "MAX_QUANTITY"],
    ),
    case(
        "estimate-seq-len-alone",
        ["estimate", "--params", "7B", "--tokens", "1T", "--seq-len", "4096"],
        ["--seq-len alone does not describe a model", "--layers"],
    ),
    case(
        "estimate-params-1e17",
        ["estimate", "--params", "1e17", "--tokens", "1T"],
        ["--params", "MAX_PARAMS"],
    ),
    case(
        "output-names-a-folder",
        ["run", "{in}/dollar_description.yaml", "-o", "{out}/newdir/"],
        ["newdir/", "names a folder"],
    ),
]


@pytest.mark.parametrize(("args", "fragments"), DAILY_CASES)
def test_daily_hostile_inputs_are_refused(
    workdir: Path, args: list[str], fragments: list[str]
) -> None:
    filled = [a.format(**{"in": workdir / "in", "out": workdir / "out"}) for a in args]
    result = planner_cli(*filled, cwd=workdir)
    refused(result, *fragments)
    assert os.listdir(workdir / "out") == []


def test_grid_params_beyond_the_bound_are_refused(workdir: Path) -> None:
    out = workdir / "out" / "s.csv"
    result = planner_cli(
        "sweep", str(SCENARIO), "--grid", "model.params=1e30", "-o", str(out), cwd=workdir
    )
    refused(result, "model.params", "MAX_PARAMS")


def test_a_dollar_sign_in_a_text_field_is_text(workdir: Path) -> None:
    result = planner_cli("run", str(workdir / "in" / "dollar_description.yaml"), cwd=workdir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "$5M budget run" in result.stdout


def test_tables_print_control_characters_escaped(workdir: Path) -> None:
    result = planner_cli("run", str(workdir / "in" / "control_newline_name.yaml"), cwd=workdir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "line\\nbreak\\ttab\\u202ereversed" in result.stdout
    assert "\u202e" not in result.stdout and "\t" not in result.stdout


def test_a_law_file_suffix_is_case_insensitive(workdir: Path) -> None:
    law = workdir / "in" / "law.YAML"
    law.write_text("E: 1.8\nA: 400\nB: 400\nalpha: 0.34\nbeta: 0.28\n")
    result = planner_cli("loss", "--params", "7B", "--tokens", "1T", "--law", str(law), cwd=workdir)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "loss" in result.stdout


# --- pipes ---------------------------------------------------------------------------------
def _piped(
    *args: str, stdin: bytes, cwd: Path, timeout: float = TIMEOUT * 3
) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", *args],
        input=stdin,
        cwd=cwd,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


def test_run_reads_the_scenario_from_stdin(tmp_path: Path) -> None:
    import json

    piped = _piped("run", "-", "--format", "json", stdin=SCENARIO.read_bytes(), cwd=tmp_path)
    assert piped.returncode == 0, piped.stderr.decode()[-2000:]
    from_file = _piped("run", str(SCENARIO), "--format", "json", stdin=b"", cwd=tmp_path)
    piped_doc, file_doc = json.loads(piped.stdout), json.loads(from_file.stdout)
    assert piped_doc["plans"] == file_doc["plans"]


def test_output_dash_writes_to_stdout(tmp_path: Path) -> None:
    result = _piped(
        "run", "-", "-o", "-", "--format", "csv", stdin=SCENARIO.read_bytes(), cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert result.stdout.decode().splitlines()[0].startswith(("plan", '"plan'))
    assert os.listdir(tmp_path) == []


def test_sweep_writes_csv_rows_to_stdout(tmp_path: Path) -> None:
    result = _piped(
        "sweep",
        "-",
        "--grid",
        "model.params=1B,2B",
        "-o",
        "-",
        stdin=SCENARIO.read_bytes(),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    lines = result.stdout.decode().splitlines()
    assert len(lines) == 3 and "model.params" in lines[0]
    assert os.listdir(tmp_path) == []


def test_stdin_is_read_once(tmp_path: Path) -> None:
    result = _piped("compare", "-", "-", stdin=SCENARIO.read_bytes(), cwd=tmp_path)
    assert result.returncode == 2
    assert b"standard input was already read" in result.stderr
    assert b"Traceback" not in result.stderr


def test_an_empty_stdin_is_named(tmp_path: Path) -> None:
    result = _piped("validate", "-", stdin=b"", cwd=tmp_path)
    assert result.returncode == 2
    assert b"<stdin>" in result.stderr and b"empty" in result.stderr


def test_fit_writes_the_law_file_to_stdout(tmp_path: Path) -> None:
    runs = (CORPUS / "runs_good.csv").read_bytes()
    # the fitter's grid of starts takes 10-40 s on a loaded 2-core machine
    result = _piped(
        "fit", "-", "--bootstrap", "0", "-o", "-", stdin=runs, cwd=tmp_path, timeout=180
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"alpha:" in result.stdout  # the law file; the fit's table went to stderr
    assert b"alpha:" not in result.stderr


def test_short_version_flag() -> None:
    result = CliRunner().invoke(main, ["-V"])
    assert result.exit_code == 0 and result.output.startswith("planner, version ")


# --- a full disk ---------------------------------------------------------------------------
def _full_disk(*args: Any, **kwargs: Any) -> Any:
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize(
    "args",
    [["-o", "{tmp}/out.json"], ["--html", "{tmp}/report.html"]],
    ids=["run-o", "run-html"],
)
def test_a_full_disk_during_run_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    monkeypatch.setattr(Path, "write_text", _full_disk)
    filled = [a.format(tmp=tmp_path) for a in args]
    result = CliRunner().invoke(main, ["run", str(SCENARIO), *filled])
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output and "nothing was written" in result.output
    assert os.listdir(tmp_path) == []


def test_a_full_disk_during_sweep_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    sweep_module = importlib.import_module(
        "planner.explore.sweep"
    )  # planner.explore.sweep is also a function
    monkeypatch.setattr(sweep_module, "sweep_to_file", _full_disk)
    result = CliRunner().invoke(
        main,
        ["sweep", str(SCENARIO), "--grid", "model.params=1B,2B", "-o", str(tmp_path / "s.csv")],
    )
    assert result.exit_code == 2, result.output
    assert "No space left on device" in result.output
    assert os.listdir(tmp_path) == []


# --- second corpus: laws, layouts, messages, valid input once refused -------------------
MORE_CASES = [
    case(
        "covariance-not-psd",
        ["loss", "--params", "7B", "--tokens", "1T", "--law", "{in}/law_covariance_not_psd.yaml"],
        ["law_covariance_not_psd.yaml", "not positive semi-definite"],
    ),
    case(
        "covariance-too-wide",
        ["loss", "--params", "7B", "--tokens", "1T", "--law", "{in}/law_covariance_wide.yaml"],
        ["law_covariance_wide.yaml", "standard deviation of alpha", "MAX_LAW_SD"],
    ),
    case(
        "idle-accelerators",
        ["run", "{in}/accelerators_idle.yaml"],
        ["accelerators_idle.yaml", "15 of the 63 accelerators would idle", "48 or 64"],
    ),
    case(
        "union-value",
        ["run", "{in}/union_value.yaml"],
        ["programme.development_multiple: ", "; or ", "(got 'lots')"],
    ),
    case(
        "variant-names-the-source",
        ["validate", "{in}/variant_source_mapping.yaml"],
        ["variants.b.data.books.unique_tokens", "negative"],
    ),
    case(
        "scheduler-with-the-numpy-engine",  # a lone --scheduler implies the dask engine
        ["sweep", "{in}/one_judge.yaml", "--grid", "model.params=1B,2B", "-o", "{out}/s.csv",
         "--scheduler", "tcp://127.0.0.1:8786", "--engine", "numpy"],
        ["--scheduler", "--engine dask"],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("args", "fragments"), MORE_CASES)
def test_more_hostile_inputs_are_refused(
    workdir: Path, args: list[str], fragments: list[str]
) -> None:
    filled = [a.format(**{"in": workdir / "in", "out": workdir / "out"}) for a in args]
    result = planner_cli(*filled, cwd=workdir)
    refused(result, *fragments)
    assert "float" not in result.stderr and "literal[" not in result.stderr
    assert os.listdir(workdir / "out") == []


def test_a_union_message_names_no_pydantic_member(workdir: Path) -> None:
    result = planner_cli("run", str(workdir / "in" / "union_value.yaml"), cwd=workdir)
    assert "development_multiple.float" not in result.stderr
    assert "constrained-str" not in result.stderr


@pytest.mark.parametrize(
    "name", ["one_judge.yaml", "variant_files/scenario.yaml"], ids=["one-judge", "variant-file"]
)
def test_valid_input_once_refused_is_accepted(workdir: Path, name: str) -> None:
    # run from the output folder: a variant's files are found beside the scenario, not here
    result = planner_cli("run", str(workdir / "in" / name), "--format", "json", cwd=workdir / "out")
    assert result.returncode == 0, result.stderr[-2000:]


def test_a_law_and_percentages_can_be_swept(tmp_path: Path) -> None:
    scenario = CORPUS / "variant_files" / "scenario.yaml"
    laws = CliRunner().invoke(
        main,
        ["sweep", str(scenario), "--grid", "law=hoffmann-2022,besiroglu-2024",
         "-o", str(tmp_path / "laws.csv")],
    )  # fmt: skip
    assert laws.exit_code == 0, laws.output
    two = tmp_path / "two.yaml"
    two.write_text(
        "name: two\nmodel: {params: 7B}\n"
        "training: {tokens: 1T, accelerator: h100-sxm, accelerator_count: 64}\n"
        "data:\n  - {name: web, unique_tokens: 2T, share: 0.7}\n"
        "  - {name: books, unique_tokens: 1T, share: 0.3}\n"
    )
    shares = CliRunner().invoke(
        main, ["sweep", str(two), "--grid", "data.web.share=30%,50%", "-o", str(tmp_path / "s.csv")]
    )
    assert shares.exit_code == 0, shares.output
    rows = (tmp_path / "s.csv").read_text().splitlines()
    assert [r.split(",")[0] for r in rows[1:]] == ["0.3", "0.5"]


def test_a_fit_outside_the_laws_bounds_is_a_message() -> None:
    """8 clean runs with B = 1e32: pydantic's ValidationError reached the user (issue 21)."""
    from planner.errors import InputError
    from planner.laws.fit import fit_law, read_runs

    runs = read_runs(str(CORPUS / "runs_law_out_of_bounds.csv"))
    with pytest.raises(InputError, match="fitted constants leave the bounds"):
        fit_law(runs, bootstrap=0, name="runs_law_out_of_bounds.csv")


def test_a_poor_gain_fit_is_flagged() -> None:
    import dataclasses

    from planner.laws.choice import law
    from planner.laws.fit import read_runs
    from planner.laws.forms import ChinchillaLaw
    from planner.mixture.fit import fit_gain_table, gain_file_text

    base = law("besiroglu-2024")
    assert isinstance(base, ChinchillaLaw)
    good = fit_gain_table(
        read_runs(str(CORPUS / "ablation_good.csv")), base, name="ablation_good.csv", bootstrap=0
    )
    assert good.warnings == ()
    poor = dataclasses.replace(good, rmse_log=49.5)  # the fit
    (warning,) = poor.warnings
    assert "rmse of log speed-up 49.5" in warning
    assert "# WARNING: " in gain_file_text(poor)


def test_a_law_file_and_a_model_config_can_come_from_stdin(tmp_path: Path) -> None:
    law = b"E: 1.82\nA: 482.0\nB: 2085.4\nalpha: 0.3478\nbeta: 0.3658\n"
    result = _piped(
        "loss", "--params", "7B", "--tokens", "1T", "--law", "-", stdin=law, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    config = (Path(__file__).parent / "fixtures" / "hf" / "llama-3-8b" / "config.json").read_bytes()
    result = _piped("loss", "--hf-config", "-", "--tokens", "1T", stdin=config, cwd=tmp_path)
    assert result.returncode == 0, result.stderr.decode()[-2000:]
    assert b"8.0B" in result.stdout
