"""The Dask engine against the in-process engine: one sweep to Parquet, 1, 2 and 4 local workers.

Run from the repository root (a benchmark, not a test; minutes on a small machine):

    python benchmarks/bench_dask.py                       # 2,000,000 points
    python benchmarks/bench_dask.py --points 50000000     # 50M points (several minutes each)
    python benchmarks/bench_dask.py --workers 1,2,4 --kind csv

For each engine: wall seconds of ``planner.sweep_to_file`` (best of ``--repeat``). The Dask
rows give the cluster's start-up apart (``start``) and the sweep on the running cluster
(``sweep``); ``total`` is what ``planner sweep --engine dask`` costs. ``default`` is the
engine with no scheduler: a local cluster of one worker per usable core. The machine's load
(``os.getloadavg``) is printed beside each row: on a shared machine, compare rows measured
at similar load only. Target (issue 21): the default Dask row's total at most the
in-process time.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"


def grid(points: int) -> dict[str, str]:
    """About ``points`` points: 1,000 model sizes times ``points / 1000`` token counts."""
    return {"model.params": "1B:100B:1000", "training.tokens": f"1T:20T:{max(1, points // 1000)}"}


def load() -> str:
    return "load {:.1f} {:.1f} {:.1f}".format(*os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--points", type=int, default=2_000_000)
    parser.add_argument("--workers", default="1,2,4", help="Comma-separated worker counts.")
    parser.add_argument("--kind", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--skip-numpy", action="store_true", help="No in-process baseline.")
    options = parser.parse_args()

    import planner
    from planner.explore.dask_engine import local_cluster, usable_cores

    scenario = planner.load_scenario(PHI4)
    axes = grid(options.points)
    with tempfile.TemporaryDirectory(dir=ROOT) as folder:
        target = Path(folder) / f"sweep.{options.kind}"

        def sweep(**engine: object) -> tuple[float, int]:
            best, rows = float("inf"), 0
            for _ in range(options.repeat):
                start = time.perf_counter()
                rows = planner.sweep_to_file(scenario, axes, target, overwrite=True, **engine)  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - start)
            return best, rows

        print(f"{options.kind}, {usable_cores()} usable cores; {load()}")
        if not options.skip_numpy:
            seconds, rows = sweep()
            size = target.stat().st_size / 1e6
            print(
                f"{'numpy (in-process)':<24} total {seconds:7.2f} s  {rows:,} rows, {size:,.0f} MB; {load()}"
            )
        seconds, rows = sweep(engine="dask")
        print(
            f"{f'dask default ({usable_cores()} workers)':<24} total {seconds:7.2f} s  "
            f"(start-up included); {load()}"
        )
        for workers in (int(w) for w in options.workers.split(",")):
            start = time.perf_counter()
            cluster = local_cluster(n_workers=workers)
            started = time.perf_counter() - start
            try:
                seconds, rows = sweep(scheduler=cluster.scheduler_address)
            finally:
                cluster.close()
            print(
                f"{f'dask, {workers} worker(s)':<24} total {started + seconds:7.2f} s  "
                f"start {started:5.2f} s + sweep {seconds:7.2f} s; {load()}"
            )


if __name__ == "__main__":  # workers are spawned processes: they must not rerun the benchmark
    main()
