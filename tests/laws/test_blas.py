"""The solvers' BLAS thread limit is in force inside the solver, for numpy's and scipy's BLAS."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from planner.laws.blas import blas_threads, single_threaded_blas
from tests.conftest import ROOT

# A fresh interpreter, so that scipy is not yet loaded when the fit starts (the bug of issue 21:
# scipy imported inside threadpool_limits kept its OpenBLAS at the default thread count).
# The spy records the BLAS threads seen from inside L-BFGS-B's objective.
PROBE = """
import json, sys
import pandas as pd
import planner.laws.fit as fit
from planner.laws.blas import blas_threads
assert "scipy" not in sys.modules, "scipy must not be loaded before the fit for this test"
seen = []
original = fit.objective
def spy(*args, **kwargs):
    if not seen:
        seen.append(blas_threads())
    return original(*args, **kwargs)
fit.objective = spy
runs = pd.read_csv(sys.argv[1])
fit.fit_law(runs, columns={"params": "Model Size", "flops": "Training FLOP"}, bootstrap=0)
import scipy.linalg
print(json.dumps({"inside": seen[0], "after": blas_threads()}))
"""


def test_the_fitter_runs_every_blas_single_threaded_inside_the_solver() -> None:
    pytest.importorskip("threadpoolctl")
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "4", "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "planner/data/chinchilla_svg_extracted_data.csv")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        cwd=ROOT,
    )
    seen = json.loads(out.stdout)
    # every BLAS loaded once scipy is (numpy's and scipy's own) was limited inside the solver
    assert set(seen["inside"]) == set(seen["after"]) and seen["inside"]
    assert set(seen["inside"].values()) == {1}, seen
    # and the limit was lifted afterwards (the default of 4 threads is back)
    assert max(seen["after"].values()) > 1, seen


def test_single_threaded_blas_limits_every_loaded_blas_and_restores_it() -> None:
    pytest.importorskip("threadpoolctl")
    with single_threaded_blas():
        inside = blas_threads()
    assert inside and set(inside.values()) == {1}
    assert set(blas_threads()) == set(inside)
