"""One BLAS thread inside the solvers: small arrays, where threads only add contention.

numpy and scipy each load their own OpenBLAS (``libscipy_openblas64_`` and
``libscipy_openblas``). ``threadpoolctl`` limits only the libraries already loaded when the
limit is applied, so scipy's BLAS is imported first (issue 21: the fitter imported scipy
inside the limit, and L-BFGS-B ran with 2 BLAS threads). Measured in issue 9: a fit 6-16x
faster on a shared machine with one thread.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

__all__ = ["blas_threads", "single_threaded_blas"]


def _load_every_blas() -> None:
    """Import the modules whose BLAS the solvers call, so that a limit reaches them."""
    import numpy.linalg  # noqa: F401  (numpy's OpenBLAS)
    import scipy.linalg
    import scipy.optimize  # noqa: F401


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """Every loaded BLAS (numpy's and scipy's) limited to one thread inside the block."""
    from threadpoolctl import threadpool_limits

    _load_every_blas()
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def blas_threads() -> dict[str, int]:
    """Threads of each loaded BLAS library, by file name (threadpoolctl's report)."""
    from threadpoolctl import threadpool_info

    return {
        str(info["filepath"]).rsplit("/", 1)[-1]: int(info["num_threads"])
        for info in threadpool_info()
        if info.get("user_api") == "blas"
    }
