"""The Dask engine: scheduler addresses checked in plain words, the local cluster, and files
byte-identical to the in-process engine's."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.errors import InputError
from planner.explore import dask_engine
from tests.conftest import ROOT

PHI4 = ROOT / "scenarios" / "phi4_style_14b.yaml"

BAD_ADDRESSES = [
    ("tcp://127.0.0.1", "no port"),
    ("127.0.0.1", "no port"),
    ("tcp://127.0.0.1:", "no port"),
    ("inproc://10.0.0.5/1234/1", "only works inside the process"),
    ("tls://127.0.0.1:8786", "needs certificates"),
    ("wss://127.0.0.1:8786", "needs certificates"),
    ("ucx://127.0.0.1:8786", "distributed-ucxx"),
    ("tcp://127.0.0.1:" + "9" * 300, "1 to 65535"),
    ("tcp://127.0.0.1:0", "1 to 65535"),
    ("tcp://127.0.0.1:65536", "1 to 65535"),
    ("tcp://127.0.0.1:-1", "1 to 65535"),
    ("tcp://127.0.0.1:http", "1 to 65535"),
    ("file:///tmp/scheduler.json", "unknown scheme 'file'"),
    ("http://127.0.0.1:8786", "unknown scheme 'http'"),
    ("tcp://:8786", "no valid host"),
    ("tcp://a/b:8786", "no valid host"),
    ("tcp://::1:8786", "IPv6 host needs brackets"),
    ("", "no valid host"),
]


@pytest.mark.parametrize(
    ("address", "problem"), BAD_ADDRESSES, ids=[f"bad-{i}" for i in range(len(BAD_ADDRESSES))]
)
def test_a_malformed_scheduler_address_is_a_clear_error_exit_2(
    tmp_path: Path, address: str, problem: str
) -> None:
    out = tmp_path / "x.csv"
    args = ["sweep", str(PHI4), "--grid", "model.params=1B", "--out", str(out)]
    result = CliRunner().invoke(main, [*args, "--engine", "dask", "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert problem in result.stderr and "--scheduler" in result.stderr
    assert "Traceback" not in result.output and not out.exists()


@pytest.mark.parametrize(
    ("address", "normal"),
    [
        ("127.0.0.1:8786", "tcp://127.0.0.1:8786"),
        ("TCP://scheduler.example:8786", "tcp://scheduler.example:8786"),
        ("tcp://[::1]:8786", "tcp://[::1]:8786"),
        (" ws://10.0.0.5:8786 ", "ws://10.0.0.5:8786"),
    ],
    ids=["bare", "upper-scheme", "ipv6", "spaces"],
)
def test_a_good_scheduler_address_is_kept(address: str, normal: str) -> None:
    assert dask_engine.check_scheduler(address) == normal


def test_tls_passes_the_check_once_certificates_are_configured() -> None:
    pytest.importorskip("dask.distributed")  # its defaults loaded before the config is set
    import dask

    settings = {"distributed.comm.tls.ca-file": "ca.pem", "distributed.comm.tls.client.cert": "c"}
    with dask.config.set(settings):
        assert dask_engine.check_scheduler("tls://10.0.0.5:8786") == "tls://10.0.0.5:8786"


def test_scheduler_without_engine_implies_dask_and_with_numpy_is_an_error(tmp_path: Path) -> None:
    pytest.importorskip("dask.distributed")
    args = ["sweep", str(PHI4), "--grid", "model.params=1B", "--out", str(tmp_path / "x.csv")]
    implied = CliRunner().invoke(main, [*args, "--scheduler", "tcp://127.0.0.1:9"])
    assert implied.exit_code == 2 and "cannot reach the Dask scheduler" in implied.stderr
    numpy = CliRunner().invoke(
        main, [*args, "--engine", "numpy", "--scheduler", "tcp://127.0.0.1:9"]
    )
    assert numpy.exit_code == 2
    assert "only applies to the dask engine" in numpy.stderr
    scenario = planner.load_scenario(PHI4)
    with pytest.raises(InputError, match="only applies to the dask engine"):
        planner.sweep(scenario, {"model.params": [1e9]}, engine="numpy", scheduler="tcp://h:1")


@contextlib.contextmanager
def _port_taken(port: int) -> Iterator[None]:
    """Hold ``port`` on 127.0.0.1 (if another process already holds it, so much the better)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as holder:
        with contextlib.suppress(OSError):
            holder.bind(("127.0.0.1", port))
            holder.listen()
        yield


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    """One small local cluster for this module, started while Dask's usual port is taken."""
    pytest.importorskip("dask.distributed")
    # filterwarnings = error: Dask's "Port 8787 is already in use" warning would fail here
    with (
        _port_taken(8787),
        dask_engine.local_cluster(n_workers=2, memory_limit="1GiB") as running,
    ):
        yield running


def test_the_local_cluster_has_no_dashboard_and_a_free_http_port(cluster: Any) -> None:
    info = cluster.scheduler_info
    assert len(info["workers"]) == 2
    assert all(w["nthreads"] == 1 for w in info["workers"].values())
    assert "dashboard" not in info.get("services", {}) or info["services"]["dashboard"] != 8787


def test_the_default_cluster_is_sized_to_the_machine() -> None:
    assert dask_engine.usable_cores() >= 1


@pytest.mark.parametrize(
    ("kind", "tokens", "parts"),
    [("parquet", 1000, [200_000, 50_000] * 2), ("csv", 120, [30_000] * 2)],
    ids=["parquet", "csv"],
)
def test_dask_files_are_byte_identical_to_the_in_process_engine(
    tmp_path: Path, cluster: Any, kind: str, tokens: int, parts: list[int]
) -> None:
    # two groups (accelerators); parquet: parts of 200k and 50k rows each, joined in order
    # (CSV is smaller only because pyarrow's CSV writer is slow)
    scenario = planner.load_scenario(PHI4)
    grid = {
        "training.accelerator": ["h100-sxm", "b200"],
        "model.params": "1B:30B:250",
        "training.tokens": f"1T:10T:{tokens}",
    }
    local, remote = tmp_path / f"numpy.{kind}", tmp_path / f"dask.{kind}"
    rows = planner.sweep_to_file(scenario, grid, local)
    steps: list[int] = []
    assert (
        planner.sweep_to_file(
            scenario, grid, remote, scheduler=cluster.scheduler_address, progress=steps.append
        )
        == rows
        == sum(parts)
    )
    assert steps == parts
    assert remote.read_bytes() == local.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([local.name, remote.name])


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_parts_of_different_column_types_are_decoded_and_cast(tmp_path: Path, kind: str) -> None:
    # the slow path, as the in-process writer does it: later blocks cast to the first's types
    first = pa.table({"n": pa.array([1, 2], pa.int64()), "x": [0.5, 1.5]})
    second = pa.table({"n": pa.array([3.0], pa.float64()), "x": [2.5]})
    parts = []
    for i, table in enumerate([first, second]):
        part = tmp_path / f"part-{i}.{kind}"
        if kind == "csv":
            from pyarrow import csv

            csv.write_csv(table, part, csv.WriteOptions(include_header=False))
        else:
            pq.write_table(table, part)
        parts.append(str(part))
    target = tmp_path / f"out.{kind}"
    schemas = [first.schema, second.schema]
    dask_engine._join(iter(parts), parts, schemas, target, kind)
    if kind == "csv":
        assert target.read_text().splitlines() == ['"n","x"', "1,0.5", "2,1.5", "3,2.5"]
    else:
        assert pq.read_table(target).to_pydict() == {"n": [1, 2, 3], "x": [0.5, 1.5, 2.5]}
