"""Sweeps on a Dask cluster: blocks of the grid evaluated, and written, on the workers.

Optional (``pip install 'planner[dask]'``). Use it when one machine is not enough, for
example a Monte Carlo (``uncertainty=True``) over millions of points; the numpy engine
already does a million plain points in well under a second. For a file, each worker writes
its partition to a part file and the client joins the parts block by block, so the client
never holds the sweep.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, PlannerError
from planner.explore.grid import Grid, evaluate_block, grouped
from planner.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["PARTITION_ROWS", "gather_dask", "write_dask"]

PARTITION_ROWS = 100_000
CONNECT_TIMEOUT_S = 5
"""Seconds to wait for a given scheduler before saying it cannot be reached."""


def _partition(scenario_json: str, points: Grid, spec: Any, uncertainty: bool) -> pd.DataFrame:
    import pandas as pd

    base = Scenario.model_validate_json(scenario_json)
    block = points.block(spec)
    paths = points.paths
    return pd.DataFrame(
        {**block.inputs(paths), **evaluate_block(grouped(base, block.group), block, uncertainty)}
    )


def _write_partition(
    scenario_json: str, points: Grid, spec: Any, uncertainty: bool, part: str
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = _partition(scenario_json, points, spec, uncertainty)
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), part)
    return len(frame)


@contextlib.contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError:
        raise PlannerError("engine 'dask' needs Dask: pip install 'planner[dask]'") from None
    cluster = (
        None
        if scheduler
        else LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    )
    try:
        client = Client(scheduler or cluster, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError) as exc:
        raise InputError(
            f"cannot reach the Dask scheduler: {exc}",
            field="--scheduler",
            value=scheduler,
            allowed="a running scheduler's address, e.g. tcp://127.0.0.1:8786, or none for a local "
            "cluster",
        ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def gather_dask(
    base: Scenario, points: Grid, uncertainty: bool, scheduler: str | None = None
) -> pd.DataFrame:
    """The sweep as one DataFrame, blocks evaluated on the cluster (the result is gathered)."""
    import pandas as pd

    with _client(scheduler) as client:
        payload = client.scatter(base.model_dump_json(), broadcast=True)
        grid = client.scatter(points, broadcast=True)
        futures = [
            client.submit(_partition, payload, grid, spec, uncertainty, pure=False)
            for spec in points.specs(PARTITION_ROWS)
        ]
        parts = client.gather(futures)
    return pd.concat(parts, ignore_index=True)


def write_dask(
    base: Scenario,
    points: Grid,
    uncertainty: bool,
    scheduler: str | None,
    path: str | Path,
    kind: str,
    overwrite: bool,
) -> int:
    """Workers write Parquet part files; the client joins them into ``path`` block by block."""
    import pyarrow.parquet as pq

    from planner.io import streamed_tables

    target = Path(path)
    folder = Path(
        tempfile.mkdtemp(
            dir=target.parent if target.parent.exists() else None,
            prefix=f".{target.name}.",
            suffix=".parts",
        )
    )
    try:
        with _client(scheduler) as client:
            payload = client.scatter(base.model_dump_json(), broadcast=True)
            grid = client.scatter(points, broadcast=True)
            futures = []
            for i, spec in enumerate(points.specs(PARTITION_ROWS)):
                part = str(folder / f"part-{i:06d}.parquet")
                futures.append(
                    (
                        part,
                        client.submit(
                            _write_partition, payload, grid, spec, uncertainty, part, pure=False
                        ),
                    )
                )
            rows = sum(future.result() for _, future in futures)
        with streamed_tables.writer(path, kind, overwrite=overwrite) as write:
            for part, _ in futures:
                source = pq.ParquetFile(part)
                for batch in range(source.num_row_groups):
                    write(source.read_row_group(batch).to_pandas())
        return int(rows)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
