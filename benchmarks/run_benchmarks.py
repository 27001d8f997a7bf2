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
    per_plan = one_run / len(planner.plans(scenario))
    print(f"planner.run (phi4, {len(planner.plans(scenario))} plans, MC on):     {one_run * 1e3:8.2f} ms")

    params = np.random.default_rng(0).uniform(1e9, 1e11, 1_000_000)
    vector = best_of(lambda: compute.accelerator_hours(compute.flops_6nd(params) * 1e12, 989.4e12, 0.3))
    print(f"1M-point hours formula (numpy):       {vector * 1e3:8.2f} ms")
    print(f"  per point vs one planner.run plan:  {per_plan / (vector / 1e6):8.0f}x faster (formula only)")

    from planner.loader import validate
    from planner.optimize import optimize
    from planner.schema import Optimize

    single = validate({"name": "bench", "model": {"params": "7B"},
                       "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 64},
                       "data": [{"name": "web", "unique_tokens": "300B", "share": 0.7},
                                {"name": "syn", "share": 0.3, "synthetic": {"generator": {"api": {
                                    "input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 4}}}}]})
    with_mc = best_of(lambda: planner.estimate(single), repeat=10)
    no_mc = best_of(lambda: planner.estimate(single.model_copy(update={"uncertainty": single.uncertainty.model_copy(update={"samples": 0})})), repeat=10)
    print(f"one plan, 10,000-sample Monte Carlo:  {with_mc * 1e3:8.2f} ms (target < 50 ms; without MC {no_mc * 1e3:.2f} ms)")
    dc = planner.load_scenario(ROOT / "scenarios" / "data_constrained_3b.yaml")
    rephrase = next(p.scenario for p in planner.plans(dc) if p.name == "rephrase")
    opt = best_of(lambda: optimize(rephrase, Optimize(budget_usd=300e3)), repeat=3)
    print(f"optimise (2 sources, $ budget):       {opt * 1e3:8.1f} ms (target < 1 s)")

    print(f"import planner:                       {command(sys.executable, '-c', 'import planner') * 1e3:8.1f} ms")
    print(f"planner --help:                       {command('planner', '--help') * 1e3:8.1f} ms")
    print(f"planner run scenarios/phi4 (table):   {command('planner', 'run', str(ROOT / 'scenarios' / 'phi4_style_14b.yaml')) * 1e3:8.1f} ms")


if __name__ == "__main__":
    main()
