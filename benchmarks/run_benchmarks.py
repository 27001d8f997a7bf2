"""Timing figures for planner (a benchmark, not a test): prints seconds and ratios.

Run: python benchmarks/run_benchmarks.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def best_of(fn: Callable[[], object], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def command(*args: str) -> float:
    return best_of(lambda: subprocess.run(args, check=True, capture_output=True), repeat=3)


def main() -> None:
    import planner
    from planner import compute

    scenario = planner.load_scenario(ROOT / "scenarios" / "phi4_style_14b.yaml")
    one_run = best_of(lambda: planner.run(scenario), repeat=20)
    print(f"planner.run (phi4, 4 plans):          {one_run * 1e3:8.2f} ms")

    params = np.random.default_rng(0).uniform(1e9, 1e11, 1_000_000)
    vector = best_of(lambda: compute.accelerator_hours(compute.flops_6nd(params) * 1e12, 989.4e12, 0.3))
    print(f"1M-point hours formula (numpy):       {vector * 1e3:8.2f} ms")
    print(f"  per point vs one planner.run plan:  {one_run / 4 / (vector / 1e6):8.0f}x faster")

    print(f"import planner:                       {command(sys.executable, '-c', 'import planner') * 1e3:8.1f} ms")
    print(f"planner --help:                       {command('planner', '--help') * 1e3:8.1f} ms")
    print(f"planner run scenarios/phi4 (table):   {command('planner', 'run', str(ROOT / 'scenarios' / 'phi4_style_14b.yaml')) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
