"""Timing and memory figures for planner (a benchmark, not a test): each figure beside its target
and its ratio to the previous release.

Run from the repository root:

    python benchmarks/run_benchmarks.py            # quiet machine
    python benchmarks/run_benchmarks.py --load     # with a busy process on one core (shared machines)
    python benchmarks/run_benchmarks.py --dask     # also the 50M-point Dask sweep (minutes)

Each timing is the best of a few repeats (the median is printed beside it); targets come from
the project's issues; previous figures from ``benchmarks/previous.json``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"
PREVIOUS = json.loads((Path(__file__).parent / "previous.json").read_text())


def timed(fn: Callable[[], object], repeat: int = 3) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


PLANNER = str(Path(sys.executable).with_name("planner"))
"""The console script installed beside this interpreter (works without activating the venv)."""


def command(*args: str, repeat: int = 3) -> tuple[float, float]:
    return timed(lambda: subprocess.run(args, check=True, capture_output=True, cwd=ROOT), repeat)


PROBE = (
    "import resource, subprocess, sys, time; t = time.perf_counter();"
    "subprocess.run(sys.argv[1:], check=True, capture_output=True);"
    "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_mb(*args: str) -> tuple[float, float]:
    """Wall seconds and peak resident MB of a command, measured by a fresh parent process."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args], check=True, capture_output=True, text=True, cwd=ROOT
    )
    seconds, kilobytes = out.stdout.split()
    return float(seconds), float(kilobytes) / 1024


def line(
    key: str, label: str, value: float, target: float, unit: str = "s", median: float | None = None
) -> None:
    verdict = "ok" if value < target else "OVER TARGET"
    previous = PREVIOUS.get(key)
    ratio = f"x{value / previous:.2f} of previous" if previous else "new"
    shown = f"{value * 1e3:9.1f} ms" if unit == "s" and value < 1 else f"{value:9.2f} {unit:>2}"
    spread = (
        ""
        if median is None
        else f" (median {median * 1e3:.0f} ms)"
        if median < 1
        else f" (median {median:.2f} s)"
    )
    target_text = f"{target * 1e3:g} ms" if unit == "s" and target < 1 else f"{target:g} {unit}"
    print(f"{label:<58} {shown}  target < {target_text:<8} {verdict:<11} {ratio}{spread}")


def busy() -> None:  # pragma: no cover - a load generator
    end = time.time() + 3600
    while time.time() < end:
        sum(i * i for i in range(10_000))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load", action="store_true", help="Keep one core busy while measuring.")
    parser.add_argument(
        "--dask", action="store_true", help="Also the 50M-point Dask sweep to Parquet."
    )
    options = parser.parse_args()
    hog = None
    if options.load:
        hog = multiprocessing.Process(target=busy, daemon=True)
        hog.start()
    try:
        measure(options.dask)
    finally:
        if hog is not None:
            hog.terminate()


def measure(dask: bool) -> None:
    import pandas as pd

    import planner
    from planner.explore.optimizer import optimize
    from planner.explore.sweep import sweep
    from planner.plan.plans import validate
    from planner.scenario.schema import Optimize

    scenario = planner.load_scenario(PHI4)
    quiet = scenario.model_copy(
        update={"uncertainty": scenario.uncertainty.model_copy(update={"samples": 0})}
    )
    grid = {
        "model.params": np.linspace(1e9, 1e11, 1000),
        "training.price_usd_per_hour": np.linspace(1, 5, 1000),
    }
    sweep(quiet, grid)  # warm
    best, median = timed(lambda: sweep(quiet, grid))
    line(
        "sweep_1m",
        "sweep of 1,000,000 points, warm (cost + loss + flags)",
        best,
        0.3,
        median=median,
    )

    plain = validate(
        {
            "name": "bench",
            "model": {"params": "7B"},
            "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 64},
            "data": [
                {"name": "web", "unique_tokens": "300B", "share": 0.7},
                {
                    "name": "syn",
                    "share": 0.3,
                    "synthetic": {
                        "generator": {
                            "api": {
                                "input_usd_per_million_tokens": 1,
                                "output_usd_per_million_tokens": 4,
                            }
                        }
                    },
                },
            ],
        }
    )
    planner.estimate(plain)
    best, median = timed(lambda: planner.estimate(plain), repeat=20)
    line("one_plan_mc", "one plan with a 10,000-draw Monte Carlo", best, 0.001, median=median)
    rows = {
        "model.params": np.linspace(1e9, 1e11, 100),
        "training.price_usd_per_hour": np.linspace(1, 5, 100),
    }
    best, median = timed(lambda: sweep(plain, rows, uncertainty=True), repeat=2)
    line(
        "sweep_10k_uncertainty",
        "sweep of 10,000 rows with uncertainty (10,000 draws each)",
        best,
        2.0,
        median=median,
    )

    dc = planner.load_scenario(ROOT / "scenarios" / "data_constrained_3b.yaml")
    rephrase = next(p.scenario for p in planner.plans(dc) if p.name == "rephrase")
    optimize(rephrase, Optimize(budget_usd=300e3))
    best, median = timed(lambda: optimize(rephrase, Optimize(budget_usd=300e3)))
    line("optimize", "one optimisation (two sources, dollar budget)", best, 1.0, median=median)

    from planner.laws.fit import fit_law

    runs = pd.read_csv(ROOT / "planner" / "data" / "chinchilla_svg_extracted_data.csv")
    columns = {"params": "Model Size", "flops": "Training FLOP"}
    best, median = timed(lambda: fit_law(runs, columns=columns, drop_highest=5), 2)
    line("fit_bootstrap", "fit of 240 runs with 200 bootstrap resamples", best, 1.0, median=median)
    big = runs.sample(100_000, replace=True, random_state=0)
    big = big.assign(
        **{
            "Model Size": big["Model Size"]
            * np.exp(np.random.default_rng(0).normal(0, 0.01, len(big)))
        }
    )
    best, _ = timed(lambda: fit_law(big, columns=columns, bootstrap=0), 1)
    line("fit_100k", "fit of 100,000 runs (no bootstrap)", best, 30.0)

    best, median = command(sys.executable, "-c", "import planner")
    line("import", "import planner", best, 0.5, median=median)
    best, median = command(PLANNER, "--help", repeat=5)
    line("help", "planner --help", best, 0.15, median=median)
    with tempfile.TemporaryDirectory() as folder:
        report = str(Path(folder) / "phi4.html")
        best, median = command(PLANNER, "run", str(PHI4), "--html", report, "--force")
        line(
            "run_html",
            "planner run phi4 --html (report, analysis, optimiser)",
            best,
            1.5,
            median=median,
        )
        out = str(Path(folder) / "sweep.csv")
        seconds, peak = peak_mb(
            PLANNER,
            "sweep",
            str(PHI4),
            "--grid",
            "model.params=1B:100B:1000",
            "--grid",
            "training.price_usd_per_hour=1:5:1000",
            "--out",
            out,
            "--force",
        )
        line("sweep_csv_cli", "planner sweep, 1,000,000 rows to CSV", seconds, 6.0)
        line("sweep_csv_cli_mb", "  peak memory of that process", peak, 1024, "MB")
        if dask:
            code = (
                "import planner; s = planner.load_scenario({!r});"
                "planner.sweep_to_file(s, {{'model.params': '1B:100B:5000', 'training.tokens': '1T:20T:10000'}},"
                " {!r}, engine='dask', overwrite=True)"
            ).format(str(PHI4), str(Path(folder) / "big.parquet"))
            seconds, peak = peak_mb(sys.executable, "-c", code)
            line(
                "dask_50m", "Dask sweep of 50,000,000 points to Parquet (2 workers)", seconds, 3600
            )
            line("dask_50m_client_mb", "  peak memory of the client process", peak, 1024, "MB")


if __name__ == "__main__":
    main()
