"""Timing and memory figures for planner (a benchmark, not a test): prints figures and ratios.

Run from the repository root: python benchmarks/run_benchmarks.py
Each figure is the best of a few repeats; targets come from the project's issues.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def command(*args: str, repeat: int = 3) -> float:
    return best_of(lambda: subprocess.run(args, check=True, capture_output=True, cwd=ROOT), repeat)


def line(label: str, seconds: float, target: float | None = None, extra: str = "") -> None:
    verdict = "" if target is None else (" ok" if seconds < target else " OVER TARGET")
    goal = "" if target is None else f" (target < {target:g} s{verdict})"
    print(f"{label:<46} {seconds * 1e3:10.1f} ms{goal}{extra}")


def main() -> None:
    import planner
    from planner.loader import validate
    from planner.optimize import optimize
    from planner.schema import Optimize
    from planner.sweep import sweep

    scenario = planner.load_scenario(PHI4)
    quiet = scenario.model_copy(update={"uncertainty": scenario.uncertainty.model_copy(update={"samples": 0})})

    grid = {"model.params": np.linspace(1e9, 1e11, 1000), "training.price_usd_per_hour": np.linspace(1, 5, 1000)}
    million = best_of(lambda: sweep(quiet, grid))
    line("sweep, 1,000,000 points (cost + loss, no MC)", million, 1.0)

    params = np.linspace(1e9, 1e11, 1000)
    documents = [quiet.model_dump() for _ in params]
    for document, value in zip(documents, params):
        document["model"]["params"] = float(value)

    def one_at_a_time() -> None:
        for document in documents:
            planner.run(validate(document))

    single = best_of(one_at_a_time, repeat=1)
    per_point = (single / 1000) / (million / 1e6)
    line("1,000 points one at a time through run()", single, extra=f"  -> sweep is {per_point:,.0f}x faster per point")

    plain = validate({"name": "bench", "model": {"params": "7B"},
                      "training": {"tokens": "1T", "accelerator": "h100-sxm", "accelerator_count": 64},
                      "data": [{"name": "web", "unique_tokens": "300B", "share": 0.7},
                               {"name": "syn", "share": 0.3, "synthetic": {"generator": {"api": {
                                   "input_usd_per_million_tokens": 1, "output_usd_per_million_tokens": 4}}}}]})
    mc = best_of(lambda: planner.estimate(plain), repeat=10)
    line("one plan with a 10,000-sample Monte Carlo", mc, 0.05)
    hundred = [plain.model_copy(update={"model": plain.model.model_copy(update={"params": p})})
               for p in np.linspace(1e9, 1e11, 100)]
    line("100 plans x 10,000 Monte Carlo samples", best_of(lambda: [planner.estimate(s) for s in hundred]), 2.0)

    dc = planner.load_scenario(ROOT / "scenarios" / "data_constrained_3b.yaml")
    rephrase = next(p.scenario for p in planner.plans(dc) if p.name == "rephrase")
    line("optimisation (2 sources, dollar budget)", best_of(lambda: optimize(rephrase, Optimize(budget_usd=300e3))), 1.0)

    import pandas as pd

    from planner.fit import fit_law

    runs = pd.read_csv(ROOT / "planner" / "data" / "chinchilla_svg_extracted_data.csv")
    columns = {"params": "Model Size", "flops": "Training FLOP"}
    line("fit the 240 Chinchilla runs", best_of(lambda: fit_law(runs, columns=columns, drop_highest=5, bootstrap=0)), 5.0)
    line("fit + 200 bootstrap resamples", best_of(lambda: fit_law(runs, columns=columns, drop_highest=5), 1), 60.0)

    line("import planner", command(sys.executable, "-c", "import planner"), 0.5)
    line("planner --help", command("planner", "--help"), 0.3)
    report = ROOT / "reports" / "benchmark-phi4.html"
    line("planner run phi4 --html (report, optimiser)",
         command("planner", "run", str(PHI4), "--html", str(report), "--force"), 2.0)

    probe = (
        "import resource, numpy as np, planner; from planner.sweep import sweep;"
        f"s = planner.load_scenario({str(PHI4)!r});"
        "s = s.model_copy(update={'uncertainty': s.uncertainty.model_copy(update={'samples': 0})});"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss;"
        "f = sweep(s, {'model.params': np.linspace(1e9, 1e11, 1000), 'training.price_usd_per_hour': np.linspace(1, 5, 1000)});"
        "print(before, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    _, after = (int(v) for v in subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                                check=True).stdout.split())
    print(f"{'peak memory of the 1M-point sweep process':<46} {after / 1024:10.0f} MB (target < 1024 MB)")


if __name__ == "__main__":
    main()
