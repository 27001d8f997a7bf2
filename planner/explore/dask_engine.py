"""Sweeps on a Dask cluster: blocks of the grid evaluated, and written, on the workers.

Optional (``pip install 'planner[dask]'``). Use it when one machine is not enough, for
example a Monte Carlo (``uncertainty=True``) over millions of points. For a file, each
worker writes its blocks as part files (Parquet, or CSV without a header) in a folder beside
the target, and the client joins the parts into the one target file by copying bytes
(:mod:`planner.io.parquet_parts`): no value is decoded or re-encoded on the client, so it never
becomes the bottleneck and never holds the sweep. With a remote scheduler the workers must
see the target's folder (a shared file system).

Without an address, the sweep runs on a local cluster of one single-threaded worker process
per usable core, with no dashboard (its HTTP server on a free port of 127.0.0.1, so a
process holding Dask's usual port 8787 is no obstacle).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError, PlannerError
from planner.explore.grid import BLOCK, Grid, evaluate_block, grouped
from planner.scenario.schema import Scenario

if TYPE_CHECKING:
    import pyarrow as pa
    from dask.distributed import LocalCluster

__all__ = [
    "PARTITION_ROWS",
    "check_scheduler",
    "gather_dask",
    "local_cluster",
    "usable_cores",
    "write_dask",
]

PARTITION_ROWS = BLOCK
"""Grid points per task: the in-process engine's block, so both write the same row groups
(and the same bytes)."""
CONNECT_TIMEOUT_S = 5
"""Seconds to wait for a given scheduler before saying it cannot be reached."""
SCHEMES = {"tcp": "plain TCP", "tls": "TCP with TLS", "ws": "WebSocket", "wss": "WebSocket + TLS"}
"""Dask's network transports that a client in another process can reach (``ucx`` when its
package is installed; ``inproc`` only works inside one process, so it is refused)."""
SCHEDULER_ALLOWED = (
    "a running scheduler's address, e.g. tcp://10.0.0.5:8786 (tcp, tls, ws, wss, or ucx with "
    "distributed-ucxx installed; host and port 1-65535), or no --scheduler for a local cluster"
)


def _bad_address(address: str, problem: str) -> InputError:
    return InputError(problem, field="--scheduler", value=address, allowed=SCHEDULER_ALLOWED)


def check_scheduler(address: str, *, same_process: bool = False) -> str:
    """The scheduler address, checked before Dask sees it, or an InputError naming the fault.

    ``HOST:PORT`` means ``tcp://HOST:PORT``. ``inproc://`` (a cluster of threads in this
    process) is accepted only with ``same_process`` (library calls, never the command line). TLS schemes need the certificates of Dask's
    configuration (``distributed.comm.tls.*``, e.g. ``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``).
    """
    text = address.strip()
    scheme, sep, location = text.rpartition("://")
    scheme = scheme.lower() if sep else "tcp"
    if scheme == "inproc":
        if same_process:
            return text
        raise _bad_address(
            address, "an inproc:// address only works inside the process that made the cluster"
        )
    if scheme == "ucx":
        if not _installed("distributed_ucxx") and not _installed("ucp"):
            raise _bad_address(address, "ucx:// needs distributed-ucxx, which is not installed")
    elif scheme not in SCHEMES:
        raise _bad_address(address, f"unknown scheme {scheme!r}://")
    host, port = _host_port(address, location)
    if scheme in ("tls", "wss") and _installed("dask"):
        import dask

        needed = ("ca-file", "client.cert")
        if not all(dask.config.get(f"distributed.comm.tls.{key}", None) for key in needed):
            raise _bad_address(
                address,
                f"{scheme}:// needs certificates: set DASK_DISTRIBUTED__COMM__TLS__CA_FILE, "
                "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT and __KEY (or Dask's config file)",
            )
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def _host_port(address: str, location: str) -> tuple[str, int]:
    if location.startswith("["):
        host, sep, tail = location[1:].partition("]")
        port_text = tail[1:] if sep and tail.startswith(":") else ""
    else:
        host, sep, port_text = location.rpartition(":")
        if not sep:
            host, port_text = location, ""
        elif ":" in host:
            raise _bad_address(address, "an IPv6 host needs brackets, e.g. tcp://[::1]:8786")
    if not host or any(c in host for c in "/?#@ "):
        raise _bad_address(address, "the address has no valid host")
    if not port_text:
        raise _bad_address(address, "the address has no port")
    if not port_text.isdigit() or len(port_text) > 5 or not 1 <= int(port_text) <= 65535:
        raise _bad_address(address, "the port is not a number from 1 to 65535")
    return host, int(port_text)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system reports one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def local_cluster(n_workers: int | None = None, **options: Any) -> LocalCluster:
    """A local Dask cluster sized to the machine: one single-threaded process per usable core.

    Single-threaded processes because the plan model is many numpy operations on blocks of
    200k points, part of which holds the GIL (two threads measured x0.7-1.4 of one). No
    dashboard, and the scheduler's HTTP server on a free port of 127.0.0.1 (Dask's default
    8787 may be taken by another process). On Linux the workers are forked from this
    process, which has planner, numpy and pyarrow loaded already: a spawned worker imports
    them again (about 1.2 s of CPU each, measured) before its first block, which on a
    2-core machine costs more than a 2M-point sweep gains from the second core. Elsewhere
    (macOS, Windows) they are spawned, as fork is unsafe there.
    """
    import dask
    from dask.distributed import LocalCluster

    settings: dict[str, Any] = {
        "n_workers": n_workers or usable_cores(),
        "threads_per_worker": 1,
        "processes": True,
        "dashboard_address": None,
        "scheduler_kwargs": {"dashboard": False, "dashboard_address": "127.0.0.1:0"},
        "silence_logs": logging.CRITICAL,  # no shutdown races (heartbeats) logged as errors
    }
    settings.update(options)
    config = {
        # Dask sets MALLOC_TRIM_THRESHOLD_ for its workers, which turns off glibc's adaptive
        # mmap threshold: every numpy temporary of a block is then mapped and unmapped
        # (measured: a block 1.4-2.9x slower to evaluate). These workers live for one sweep.
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        "distributed.worker.multiprocessing-method": "fork" if sys.platform == "linux" else "spawn",
    }
    with dask.config.set(config), warnings.catch_warnings():
        # Python 3.12+ warns about fork() in a process with threads (Dask's event loop)
        warnings.filterwarnings("ignore", message=r".*fork\(\)", category=DeprecationWarning)
        return LocalCluster(**settings)


@contextlib.contextmanager
def _client(scheduler: str | None) -> Iterator[Any]:
    address = check_scheduler(scheduler, same_process=True) if scheduler is not None else None
    try:
        from dask.distributed import Client
    except ImportError:
        raise PlannerError("engine 'dask' needs Dask: pip install 'planner[dask]'") from None
    cluster = None if address else local_cluster()
    try:
        client = Client(address or cluster, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError, TypeError, OverflowError) as exc:
        if cluster is not None:
            cluster.close()
        raise InputError(
            f"cannot reach the Dask scheduler: {exc}",
            field="--scheduler",
            value=scheduler,
            allowed=SCHEDULER_ALLOWED,
        ) from None
    try:
        yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


@functools.lru_cache(maxsize=8)
def _group(scenario_json: str, group: tuple[tuple[str, Any], ...]) -> Scenario:
    """A group's scenario, parsed and validated once per worker (not once per task)."""
    return grouped(Scenario.model_validate_json(scenario_json), dict(group))


def _columns(scenario_json: str, points: Grid, spec: Any, uncertainty: bool) -> dict[str, Any]:
    block = points.block(spec)
    scenario = _group(scenario_json, tuple(block.group.items()))
    return {**block.inputs(points.paths), **evaluate_block(scenario, block, uncertainty)}


def _write_part(
    scenario_json: str, points: Grid, spec: Any, uncertainty: bool, kind: str, part: str
) -> tuple[int, pa.Schema]:
    """Evaluate one block on a worker and write it to ``part``: Parquet, or CSV without header."""
    from planner.io.streamed_tables import arrow_table, parquet_writer

    table = arrow_table(_columns(scenario_json, points, spec, uncertainty), kind)
    if kind == "csv":
        from pyarrow import csv

        csv.write_csv(table, part, csv.WriteOptions(include_header=False))
    else:
        with parquet_writer(part, table.schema) as out:
            out.write_table(table)
    return table.num_rows, table.schema


def gather_dask(
    base: Scenario, points: Grid, uncertainty: bool, scheduler: str | None = None
) -> list[dict[str, Any]]:
    """The sweep's blocks of columns, evaluated on the cluster and gathered in order."""
    # TODO(progress): the progress hook of an in-memory Dask sweep goes here (planner/io/progress.py,
    # issue 21): one step per gathered block, e.g. over dask.distributed.as_completed(futures).
    with _client(scheduler) as client:
        payload = client.scatter(base.model_dump_json(), broadcast=True)
        grid = client.scatter(points, broadcast=True)
        futures = [
            client.submit(_columns, payload, grid, spec, uncertainty, pure=False)
            for spec in points.specs(PARTITION_ROWS)
        ]
        return list(client.gather(futures))


def write_dask(
    base: Scenario,
    points: Grid,
    uncertainty: bool,
    scheduler: str | None,
    path: str | Path,
    kind: str,
    overwrite: bool,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Workers write part files; the client joins them into ``path`` by copying bytes."""
    from planner.io.writing import staged_output

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
            parts: list[str] = []
            futures = []
            for i, spec in enumerate(points.specs(PARTITION_ROWS)):
                parts.append(str(folder / f"part-{i:06d}.{kind}"))
                futures.append(
                    client.submit(
                        _write_part, payload, grid, spec, uncertainty, kind, parts[-1], pure=False
                    )
                )
            schemas: list[pa.Schema] = []
            counts: list[int] = []

            def finished() -> Iterator[str]:
                # parts are joined in order while the workers are still writing later ones
                for part, future in zip(parts, futures, strict=True):
                    rows, schema = future.result()
                    schemas.append(schema)
                    counts.append(rows)
                    # TODO(progress): the Dask sweep's progress hook goes here (planner/io/progress.py,
                    # issue 21): one step of ``rows`` per finished part, in order.
                    if progress is not None:
                        progress(rows)
                    yield part

            with staged_output(path, overwrite=overwrite) as temp:
                _join(finished(), parts, schemas, temp, kind)
            return sum(counts)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _join(
    finished: Iterator[str], parts: list[str], schemas: list[Any], temp: Path, kind: str
) -> None:
    """Join the parts into ``temp`` by copying bytes; decode and cast only if their types differ."""
    from planner.io import parquet_parts

    try:
        if kind == "parquet":
            parquet_parts.join(finished, temp)
        else:
            _join_csv(finished, schemas, temp)
    except parquet_parts.PartsDiffer:
        for _ in finished:  # let every worker finish before reading the parts
            pass
        _decode_join(parts, schemas[0], temp, kind)


def _join_csv(finished: Iterator[str], schemas: list[Any], temp: Path) -> None:
    """CSV parts have no header: write the header line, then copy each part's bytes."""
    from pyarrow import csv

    from planner.io.parquet_parts import PartsDiffer, copy_bytes

    with open(temp, "wb") as sink:
        for part in finished:
            if schemas[-1] != schemas[0]:
                raise PartsDiffer("the parts' column types differ")
            if sink.tell() == 0:
                csv.write_csv(schemas[0].empty_table(), sink)  # the header line
            with open(part, "rb") as source:
                copy_bytes(source, sink, 0, os.fstat(source.fileno()).st_size)


def _decode_join(parts: list[str], schema: Any, temp: Path, kind: str) -> None:
    """The slow path: parts of different column types, cast to the first part's (as in-process)."""
    import pyarrow.parquet as pq
    from pyarrow import csv

    from planner.io import streamed_tables

    state: dict[str, Any] = {}
    try:
        for part in parts:
            if kind == "parquet":
                table = pq.read_table(part)
            else:
                table = csv.read_csv(
                    part,
                    csv.ReadOptions(column_names=schema.names),
                    convert_options=csv.ConvertOptions(column_types=schema),
                )
            streamed_tables.append(state, temp, kind, {n: table[n] for n in table.column_names})
    finally:
        for key in ("writer", "sink"):
            if key in state:
                state[key].close()
