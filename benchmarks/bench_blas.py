"""The fitter with its BLAS limit in force, against the limit that missed scipy (issue 21).

Run from the repository root (a benchmark, not a test):

    python benchmarks/bench_blas.py            # quiet machine
    python benchmarks/bench_blas.py --load     # one busy process per core while measuring

Each variant runs in a fresh interpreter (so scipy is not loaded before the fit starts, as in
``planner fit``): ``limited`` is the code as it is (scipy's BLAS loaded, then limited);
``missed`` replays the old order (the limit applied before scipy was imported, so scipy's
OpenBLAS kept its default threads); ``unlimited`` applies no limit. Each prints the best of
``--repeat`` fits of Chinchilla's 240 runs with 200 bootstrap resamples, and the BLAS threads
seen from inside L-BFGS-B.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

from run_benchmarks import busy  # the same load generator (this folder is on sys.path)

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import contextlib, json, sys, time
import pandas as pd
import planner.laws.blas as blas
import planner.laws.fit as fit
variant, repeat = sys.argv[1], int(sys.argv[2])
if variant == "missed":
    blas._load_every_blas = lambda: None
elif variant == "unlimited":
    fit.single_threaded_blas = contextlib.nullcontext
seen = []
original = fit.objective
def spy(*args, **kwargs):
    if not seen:
        seen.append(blas.blas_threads())
    return original(*args, **kwargs)
fit.objective = spy
runs = pd.read_csv("planner/data/chinchilla_svg_extracted_data.csv")
columns = {"params": "Model Size", "flops": "Training FLOP"}
best = float("inf")
for _ in range(repeat):
    start = time.perf_counter()
    fit.fit_law(runs, columns=columns, drop_highest=5, bootstrap=200)
    best = min(best, time.perf_counter() - start)
print(json.dumps({"seconds": best, "threads": seen[0]}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--load", action="store_true", help="One busy process per core.")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    hogs = []
    if options.load:
        for _ in range(os.cpu_count() or 1):
            hog = multiprocessing.Process(target=busy, daemon=True)
            hog.start()
            hogs.append(hog)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    try:
        print(f"load {os.getloadavg()[0]:.1f}, {os.cpu_count()} cores, hogs: {len(hogs)}")
        for variant in ("limited", "missed", "unlimited"):
            out = subprocess.run(
                [sys.executable, "-c", PROBE, variant, str(options.repeat)],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
                env=env,
            )
            result = json.loads(out.stdout)
            threads = ", ".join(f"{k}: {v}" for k, v in result["threads"].items())
            print(
                f"{variant:<10} {result['seconds']:6.2f} s   BLAS threads in the solver: {threads}"
            )
    finally:
        for hog in hogs:
            hog.terminate()


if __name__ == "__main__":
    main()
