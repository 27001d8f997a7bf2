"""Hostile and broken inputs through the real CLI (issue 13), and a fuzz of valid scenarios.

Each case runs ``planner`` in a subprocess under a 4 GB address-space cap with a 10 s
timeout, and asserts: exit code 2, a message naming the file (and field), no traceback,
nothing left behind in the output folder. The corpus is in ``tests/hostile/`` (small, static
files); the large or special ones (FIFOs, devices, 15k variants) are made at test time.

Cases marked xfail depend on changes outside the reading/writing layer; the reason names
the change. Remove the mark once it lands (``strict=False`` so they report XPASS first).
"""

from __future__ import annotations

import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

CORPUS = Path(__file__).parent / "hostile"
ADDRESS_SPACE = 4 * 1024**3
"""The cap issue 13 sets: every case must end cleanly under 4 GB of address space."""
TIMEOUT = 10
"""Seconds; issue 13: every case ends within 10 s (a hang fails the test, not the suite)."""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


def planner_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``planner ARGS`` in a subprocess: memory-capped, time-limited, BLAS single-threaded."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONHASHSEED": "0"}
    return subprocess.run(
        [sys.executable, "-c", "from planner.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        errors="replace",
        timeout=TIMEOUT,
        preexec_fn=_cap_memory,
        env=env,
        check=False,
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder holding a copy of the corpus (inputs) and an empty ``out/`` for outputs."""
    shutil.copytree(CORPUS, tmp_path / "in")
    (tmp_path / "out").mkdir()
    return tmp_path


def refused(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, each fragment in the message, no traceback."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output[-3000:]
    assert result.returncode == 2, output[-3000:]
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr[-3000:]


def needs(change: str) -> pytest.MarkDecorator:
    return pytest.mark.xfail(strict=False, reason=f"needs {change}")


def case(name: str, args: list[str], fragments: list[str], marks: object = ()) -> object:
    """One parametrised case: arguments and the fragments its message must contain."""
    return pytest.param(args, fragments, id=name, marks=marks)


# (id, arguments, fragments the message must contain). {in} is the corpus copy, {out} the
# output folder. Every fragment is checked in stderr.
SCENARIO_CASES = [
    case(
        "deep-yaml",
        ["validate", "{in}/deep_nesting.yaml"],
        ["deep_nesting.yaml", "nested more than 64 levels"],
    ),
    case(
        "deep-json",
        ["validate", "{in}/deep_nesting.json"],
        ["deep_nesting.json", "nested more than 64 levels"],
    ),
    case(
        "alias-bomb",
        ["run", "{in}/alias_bomb.yaml"],
        ["alias_bomb.yaml", "aliases expand to more than"],
    ),
    case(
        "recursive-alias",
        ["validate", "{in}/recursive_alias.yaml"],
        ["recursive_alias.yaml", "alias"],
    ),
    case(
        "unhashable-key",
        ["validate", "{in}/unhashable_key.yaml"],
        ["unhashable_key.yaml", "unhashable key"],
    ),
    case("not-utf8", ["run", "{in}/not_utf8.yaml"], ["not_utf8.yaml", "not UTF-8", "offset"]),
    case("binary", ["validate", "{in}/binary.yaml"], ["binary.yaml", "NUL byte"]),
    case(
        "huge-params",
        ["run", "{in}/huge_params.yaml"],
        ["huge_params.yaml", "model.params", "sanity bound"],
    ),
    case(
        "huge-params-text",
        ["run", "{in}/huge_params_string.yaml"],
        ["model.params", "sanity bound"],
    ),
    case(
        "inf-price",
        ["run", "{in}/inf_price.yaml"],
        ["inf_price.yaml", "training.price_usd_per_hour", "finite"],
    ),
    case(
        "huge-price",
        ["run", "{in}/huge_price.yaml"],
        ["training.price_usd_per_hour", "sanity bound"],
    ),
    case("nan-pue", ["run", "{in}/nan_pue.yaml"], ["nan_pue.yaml", "training.pue", "finite"]),
    case("bool-count", ["run", "{in}/bool_count.yaml"], ["training.accelerator_count", "yes/no"]),
    case(
        "huge-integer",
        ["validate", "{in}/huge_integer.yaml"],
        ["huge_integer.yaml", "a number written with 5,000 characters"],
    ),
    case(
        "duplicate-json",
        ["validate", "{in}/duplicate_keys.json"],
        ["duplicate_keys.json", "duplicate key 'name'"],
    ),
    case("nan-json", ["validate", "{in}/nan_literal.json"], ["nan_literal.json", "NaN"]),
    case("huge-float-json", ["validate", "{in}/huge_float.json"], ["huge_float.json", "too large"]),
    case("tiny-yield", ["run", "{in}/tiny_yield.yaml"], ["acceptance_yield", "sanity bound"]),
    case(
        "scenario-law-not-utf8",
        ["run", "{in}/scenario_law_not_utf8.yaml"],
        ["law_not_utf8.yaml", "not UTF-8"],
    ),
    case(
        "scenario-law-negative",
        ["run", "{in}/scenario_law_negative.yaml"],
        ["law_negative.yaml", "E:"],
    ),
    case("missing", ["run", "{in}/nothing_here.yaml"], ["nothing_here.yaml"]),
    case("directory", ["run", "{in}"], ["is a directory"]),
    case("dev-zero", ["run", "/dev/zero"], ["/dev/zero", "not a regular file"]),
    case(
        "generations",
        ["run", "{in}/generations_1e9.yaml"],
        ["generations", "1000"],
        marks=needs("sources.py: generations Field(le=limits.MAX_GENERATIONS)"),
    ),
    case(
        "kaplan-tiny-alpha",
        ["run", "{in}/kaplan_tiny_alpha.yaml"],
        ["alpha_d"],
        marks=needs("laws.py: law models with allow_inf_nan=False and bounded exponents"),
    ),
    case(
        "inline-tiny-peak",
        ["run", "{in}/inline_tiny_peak.yaml"],
        ["peak_bf16_tflops"],
        marks=needs("hardware.py: Accelerator peaks typed fields.PeakTflops, allow_inf_nan=False"),
    ),
]

LAW_CASES = [
    ("negative", "law_negative.yaml", ["law_negative.yaml", "invalid law file", "E:"]),
    ("incomplete", "law_incomplete.yaml", ["law_incomplete.yaml", "B: Field required"]),
    ("infinite", "law_infinite.yaml", ["law_infinite.yaml", "E:"]),
    ("not-utf8", "law_not_utf8.yaml", ["law_not_utf8.yaml", "not UTF-8"]),
    ("deep", "law_deep.yaml", ["law_deep.yaml", "nested more than 64"]),
    ("list", "law_list.yaml", ["law_list.yaml", "not a mapping"]),
    ("missing", "no_such_law.yaml", ["no_such_law.yaml", "law file not found"]),
]

FIT_CASES = [
    (
        "identical-loss",
        ["{in}/runs_identical_loss.csv"],
        ["runs_identical_loss.csv", "cannot identify the law"],
    ),
    ("not-utf8", ["{in}/runs_not_utf8.csv"], ["runs_not_utf8.csv", "not UTF-8", "line 11"]),
    ("unique-zero", ["{in}/runs_unique_zero.csv"], ["unique_tokens must be a positive"]),
    ("synthetic-above", ["{in}/runs_synthetic_above.csv"], ["synthetic_tokens is above tokens"]),
    ("infinite", ["{in}/runs_infinite.csv"], ["tokens must be a positive finite number"]),
    ("binary", ["{in}/runs_binary.csv"], ["runs_binary.csv", "NUL byte"]),
    (
        "few-after-drop",
        ["{in}/runs_good.csv", "--drop-highest", "4"],
        ["too few to fit 5 constants"],
    ),
    ("bootstrap-one", ["{in}/runs_good.csv", "--bootstrap", "1"], ["--bootstrap", "2"]),
    ("dev-zero", ["/dev/zero"], ["/dev/zero", "not a regular file"]),
]


def _expand(args: list[str], root: Path) -> list[str]:
    return [a.replace("{in}", str(root / "in")).replace("{out}", str(root / "out")) for a in args]


def _check(workdir: Path, args: list[str], fragments: list[str]) -> None:
    result = (
        planner_cli(
            *_expand(args, workdir), "-o", str(workdir / "out" / "result.json"), cwd=workdir
        )
        if args[0] in ("run", "fit")
        else planner_cli(*_expand(args, workdir), cwd=workdir)
    )
    refused(result, *fragments)
    assert os.listdir(workdir / "out") == []


@pytest.mark.parametrize(("args", "fragments"), SCENARIO_CASES)
def test_hostile_scenarios_are_refused(
    workdir: Path, args: list[str], fragments: list[str]
) -> None:
    _check(workdir, args, fragments)


@pytest.mark.parametrize(
    ("name", "fragments"), [c[1:] for c in LAW_CASES], ids=[c[0] for c in LAW_CASES]
)
@pytest.mark.parametrize(
    "command",
    [["loss", "--params", "7B", "--tokens", "1T"], ["optimize", "--flops", "1e22"]],
    ids=["loss", "optimize"],
)
def test_bad_law_files_are_refused(
    workdir: Path, command: list[str], name: str, fragments: list[str]
) -> None:
    _check(workdir, [*command, "--law", f"{{in}}/{name}"], fragments)


@pytest.mark.parametrize(
    ("args", "fragments"), [c[1:] for c in FIT_CASES], ids=[c[0] for c in FIT_CASES]
)
def test_bad_run_tables_are_refused(workdir: Path, args: list[str], fragments: list[str]) -> None:
    _check(
        workdir,
        ["fit", *args, "--bootstrap", "0"] if "--bootstrap" not in args else ["fit", *args],
        fragments,
    )


def test_bad_backtest_table_is_refused(workdir: Path) -> None:
    _check(
        workdir, ["backtest", "{in}/backtest_not_utf8.csv"], ["backtest_not_utf8.csv", "not UTF-8"]
    )


# --- special files, made at test time ---------------------------------------------------------
def test_fifo_and_device_links_never_block(workdir: Path) -> None:
    fifo = workdir / "in" / "pipe.yaml"
    os.mkfifo(fifo)
    link = workdir / "in" / "random.yaml"
    link.symlink_to("/dev/urandom")
    refused(planner_cli("run", str(fifo), cwd=workdir), "pipe.yaml", "named pipe")
    refused(planner_cli("run", str(link), cwd=workdir), "random.yaml", "character device")
    refused(planner_cli("fit", str(fifo), cwd=workdir), "pipe.yaml", "named pipe")
    refused(
        planner_cli("loss", "--params", "7B", "--tokens", "1T", "--law", str(link), cwd=workdir),
        "random.yaml",
    )


def test_over_long_file_names(workdir: Path) -> None:
    name = "x" * 300 + ".yaml"
    refused(planner_cli("run", str(workdir / "in" / name), cwd=workdir), "file name is too long")
    refused(
        planner_cli(
            "run",
            str(workdir / "in" / "huge_params.yaml"),
            "-o",
            str(workdir / "out" / ("o" * 300 + ".json")),
            cwd=workdir,
        ),
        "file name is too long",
    )
    assert os.listdir(workdir / "out") == []


def _minimal(extra: str = "", name: str = "many") -> str:
    return (
        f"name: {name}\nmodel: {{params: 7B}}\n"
        "training: {tokens: 1T, accelerator: h100-sxm, accelerator_count: 64}\n" + extra
    )


def test_many_variants_fail_fast_on_the_limit(workdir: Path) -> None:
    text = _minimal(
        "variants:\n"
        + "".join(
            f"  - {{name: v{i}, set: {{training.accelerator_count: {i + 1}}}}}\n"
            for i in range(15_000)
        )
    )
    assert len(text) < 1_000_000
    (workdir / "in" / "variants.yaml").write_text(text)
    refused(
        planner_cli("run", str(workdir / "in" / "variants.yaml"), cwd=workdir),
        "variants.yaml",
        "15,000 variants",
        "at most 500",
    )


def test_many_sources_fail_fast_on_the_limit(workdir: Path) -> None:
    text = _minimal("data:\n" + "".join(f"  - {{name: s{i}, tokens: 1B}}\n" for i in range(31_000)))
    assert len(text) < 1_000_000
    (workdir / "in" / "sources.yaml").write_text(text)
    refused(
        planner_cli("run", str(workdir / "in" / "sources.yaml"), cwd=workdir),
        "sources.yaml",
        "31,000 data sources",
        "at most 200",
    )


def test_a_huge_name_is_refused_before_the_report(workdir: Path) -> None:
    (workdir / "in" / "name.yaml").write_text(_minimal(name="n" * 100_000))
    result = planner_cli(
        "run",
        str(workdir / "in" / "name.yaml"),
        "--html",
        str(workdir / "out" / "r.html"),
        cwd=workdir,
    )
    refused(result, "name.yaml", "100,000 characters", "at most 200")
    assert len(result.stderr) < 2_000  # the name is not echoed whole
    assert os.listdir(workdir / "out") == []


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


@needs(
    "optimize.py: an infeasible budget or deadline is exit 2 with the cheapest feasible plan's cost"
)
def test_an_infeasible_budget_is_refused(workdir: Path) -> None:
    valid = workdir / "in" / "valid.yaml"
    valid.write_text(_minimal())
    refused(planner_cli("optimize", str(valid), "--budget-usd", "1", cwd=workdir), "budget")


@needs("report/charts: names reach matplotlib as plain text ($ escaped)")
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
    assert not any(
        cell.startswith(("=", "+", "-", "@"))
        for line in result.stdout.splitlines()
        for cell in line.split(",")
    )


@needs("output.py: Markdown output escapes HTML in names")
def test_markdown_escapes_html(workdir: Path) -> None:
    result = planner_cli(
        "run", str(workdir / "in" / "html_name.yaml"), "--format", "markdown", cwd=workdir
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "<img" not in result.stdout


@needs("output.py: terminal output strips control characters from names")
def test_terminal_output_strips_control_characters(workdir: Path) -> None:
    result = planner_cli("run", str(workdir / "in" / "control_name.yaml"), cwd=workdir)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout


# --- fuzz: random valid scenarios give finite, non-negative numbers ------------------------------
def _log_uniform(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(math.log10(low), math.log10(high)).map(lambda x: float(10**x))


def _price(high: float) -> st.SearchStrategy[float]:
    """Zero or a plausible positive amount (not a subnormal: those are refused as absurd)."""
    return st.one_of(st.just(0.0), st.floats(1e-6, high))


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    """Scenarios within the schema's ranges: model, training, and 0-2 real + 0-1 synthetic sources."""
    from planner.hardware import catalog

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
    from planner.loader import validate

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


@pytest.mark.parametrize("price", ["inf", "nan", "1e308"])
def test_estimate_flags_refuse_non_finite_prices(workdir: Path, price: str) -> None:
    args = ["estimate", "--params", "7B", "--tokens", "1T", "--count", "64", "--price", price]
    result = planner_cli(*args, cwd=workdir)
    assert "Traceback" not in result.stderr and result.returncode == 2, result.stderr
    assert "--price" in result.stderr


def test_a_wide_csv_is_refused_before_parsing(workdir: Path) -> None:
    wide = workdir / "in" / "wide.csv"
    wide.write_text(",".join(f"c{i}" for i in range(300_000)) + "\n" + "1," * 299_999 + "1\n")
    refused(
        planner_cli("fit", str(wide), cwd=workdir), "wide.csv", "300,000 columns", "at most 1,000"
    )


def test_inputs_that_make_patterns_backtrack_end_fast(workdir: Path) -> None:
    # escaped quotes with no closing quote: a string regex would be quadratic (400 s here)
    quotes = workdir / "in" / "quotes.json"
    quotes.write_text('{"name": "' + '\\"' * 400_000)
    refused(planner_cli("validate", str(quotes), cwd=workdir), "quotes.json", "malformed JSON")
    # a quantity of 900k spaces: the quantity pattern backtracks quadratically on spaces
    spaces = workdir / "in" / "spaces.yaml"
    spaces.write_text(_minimal().replace("params: 7B", "params: '1" + " " * 900_000 + "!'"))
    refused(planner_cli("validate", str(spaces), cwd=workdir), "model.params", "900,002 characters")


def test_a_base_60_integer_is_refused_before_conversion(workdir: Path) -> None:
    # YAML 1.1 reads 1:1:1:... as a base-60 integer; converting 150k digits took 6 s
    sexagesimal = workdir / "in" / "base60.yaml"
    sexagesimal.write_text(
        _minimal().replace("accelerator_count: 64", "accelerator_count: 1" + ":1" * 150_000)
    )
    refused(
        planner_cli("validate", str(sexagesimal), cwd=workdir), "base60.yaml", "300,001 characters"
    )


def test_a_variant_with_many_sources_fails_fast_on_the_limit(workdir: Path) -> None:
    sources = "".join(f"      - {{name: s{i}, tokens: 1B}}\n" for i in range(25_000))
    text = _minimal("variants:\n  - name: v\n    set:\n      data:\n" + sources)
    assert len(text) < 1_000_000
    (workdir / "in" / "vdata.yaml").write_text(text)
    refused(planner_cli("run", str(workdir / "in" / "vdata.yaml"), cwd=workdir),
            "vdata.yaml", "variants.0.set.data: 25,000 data sources", "at most 200")  # fmt: skip


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
