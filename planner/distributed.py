"""Sweeps on a Dask cluster: the grid is cut into partitions evaluated on the workers.

Optional (``pip install 'planner[dask]'``). Use it when one machine is not enough, for
example a Monte Carlo (``uncertainty=True``) over millions of points; the numpy engine
already does a million plain points in well under a second.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from planner.errors import PlannerError
from planner.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

PARTITION_ROWS = 100_000


def _partition(scenario_json: str, frame: pd.DataFrame, paths: Sequence[str], uncertainty: bool) -> pd.DataFrame:
    from planner.sweep import evaluate_frame

    scenario = Scenario.model_validate_json(scenario_json)
    return evaluate_frame(scenario, frame.reset_index(drop=True), paths, uncertainty).set_axis(frame.index)


def evaluate_dask(scenario: Scenario, frame: pd.DataFrame, paths: Sequence[str], uncertainty: bool,
                  scheduler: str | None = None) -> pd.DataFrame:
    """As :func:`planner.sweep.evaluate_frame`, with partitions run on a Dask cluster."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PlannerError("engine 'dask' needs Dask: pip install 'planner[dask]'") from None
    import pandas as pd

    cluster = None if scheduler else LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                                   dashboard_address=None)
    client = Client(scheduler or cluster)
    try:
        payload = client.scatter(scenario.model_dump_json(), broadcast=True)
        futures = [client.submit(_partition, payload, frame.iloc[start:start + PARTITION_ROWS], list(paths),
                                 uncertainty, pure=False)
                   for start in range(0, len(frame), PARTITION_ROWS)]
        parts = client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return pd.concat(parts).sort_index()
