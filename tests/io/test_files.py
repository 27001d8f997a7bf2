"""Atomic output writes: folders created, nothing overwritten unasked, clear errors."""

import os
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.io.writing import write_atomic


def test_creates_missing_folders_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / "a" / "b" / "out.csv", "x,y\n")
    assert target.read_text() == "x,y\n"
    assert os.listdir(target.parent) == ["out.csv"]
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("mine")
    with pytest.raises(InputError, match="already exists; pass --force"):
        write_atomic(target, "new")
    assert target.read_text() == "mine"
    write_atomic(target, "new", overwrite=True)
    assert target.read_text() == "new"


def test_directory_and_unwritable_places(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        write_atomic(tmp_path, "x")
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="cannot write here"):
        write_atomic(blocker / "inside.txt", "x")


# --- checks before the work ------------------------------------------------------------------
def test_targets_checked_before_work(tmp_path: Path) -> None:
    from planner.io.writing import check_targets

    existing = tmp_path / "old.html"
    existing.write_text("keep")
    with pytest.raises(InputError, match="--html: already exists; pass --force"):
        check_targets({"--output": tmp_path / "new.json", "--html": existing})
    assert check_targets({"--output": tmp_path / "new.json", "--html": existing}, overwrite=True)
    with pytest.raises(InputError, match=r"is given twice \(also as -o\)"):
        check_targets({"-o": tmp_path / "a.json", "--html": tmp_path / "x" / ".." / "a.json"})
    with pytest.raises(InputError, match="file name is too long"):
        check_targets([tmp_path / ("x" * 300 + ".json")])
    with pytest.raises(InputError, match="a folder in this path is a file"):
        check_targets([existing / "inside.json"])
    assert check_targets([None, tmp_path / "ok.json"]) == [tmp_path / "ok.json"]


@pytest.mark.parametrize("overwrite", [False, True])
def test_devices_and_fifos_are_never_targets(tmp_path: Path, overwrite: bool) -> None:
    from planner.io.writing import check_targets

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    link = tmp_path / "null-link"
    link.symlink_to("/dev/null")
    for target, kind in (
        (Path("/dev/null"), "character device"),
        (fifo, "named pipe"),
        (link, "character device"),
    ):
        with pytest.raises(InputError, match=f"is a {kind}.*not a regular file"):
            check_targets([target], overwrite=overwrite)
        with pytest.raises(InputError, match="not a regular file"):
            write_atomic(target, "x", overwrite=overwrite)
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# --- all or none ------------------------------------------------------------------------------
def test_outputs_are_all_or_none(tmp_path: Path) -> None:
    from planner.io.writing import outputs

    targets = {"out": tmp_path / "deep" / "a.json", "html": tmp_path / "b.html"}
    with pytest.raises(RuntimeError), outputs(targets) as staged:
        staged["out"].write_text("{}")
        raise RuntimeError("the work failed")
    assert os.listdir(tmp_path) == []  # no temporaries, no targets, no folder created for nothing
    with outputs(targets) as staged:
        staged["out"].write_text("{}")
        staged["html"].write_bytes(b"<html>")
    assert targets["out"].read_text() == "{}" and targets["html"].read_bytes() == b"<html>"
    assert sorted(os.listdir(tmp_path)) == ["b.html", "deep"] and os.listdir(tmp_path / "deep") == [
        "a.json"
    ]


def test_no_overwrite_is_atomic_when_a_target_appears_meanwhile(tmp_path: Path) -> None:
    from planner.io.writing import outputs

    first, second = tmp_path / "a.json", tmp_path / "b.html"
    with (
        pytest.raises(InputError, match="b.html: already exists"),
        outputs({"a": first, "b": second}) as staged,
    ):
        staged["a"].write_text("mine")
        staged["b"].write_text("mine")
        second.write_text("another writer's")  # a concurrent writer wins the race for b
    assert second.read_text() == "another writer's"
    assert sorted(os.listdir(tmp_path)) == ["b.html"]  # a.json taken back: none of ours written


def test_binary_streamed_output_gets_normal_permissions(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from planner.io.writing import staged_output

    target = tmp_path / "rows.parquet"
    with staged_output(target) as temp:
        table = pa.table({"x": [1.0, 2.0]})
        with pq.ParquetWriter(str(temp), table.schema) as writer:
            for _ in range(3):
                writer.write_table(table)
    assert pq.read_table(target).num_rows == 6
    assert target.stat().st_mode & 0o777 == 0o666 & ~_umask()


def test_long_names_get_short_temporaries(tmp_path: Path) -> None:
    target = write_atomic(tmp_path / ("n" * 250 + ".csv"), "x")
    assert target.read_text() == "x" and os.listdir(tmp_path) == [target.name]


# --- signals ------------------------------------------------------------------------------------
WRITER = """
import sys, time
from planner.io.writing import outputs
with outputs({"a": sys.argv[1], "b": sys.argv[2]}) as staged:
    staged["a"].write_bytes(b"x" * 1_000_000)
    print("writing", flush=True)
    time.sleep(30)
"""


@pytest.mark.parametrize(
    "signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP], ids=["TERM", "INT", "HUP"]
)
def test_a_signal_mid_write_leaves_nothing_behind(tmp_path: Path, signum: int) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder / "a.csv"), str(folder / "b.parquet")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline() == "writing\n"
    assert len(os.listdir(folder)) == 2  # the two temporaries exist mid-write
    process.send_signal(signum)
    process.communicate(timeout=10)
    assert process.returncode != 0
    assert os.listdir(folder) == []


RACER = """
import sys, time
from planner.errors import InputError
from planner.io.writing import write_atomic
start = float(sys.argv[3])
while time.time() < start:
    pass
try:
    write_atomic(sys.argv[1], sys.argv[2] * 100_000)
except InputError as exc:
    print(exc)
    sys.exit(2)
"""


def test_two_writers_racing_without_force_one_wins_whole(tmp_path: Path) -> None:
    import time

    target = tmp_path / "out.csv"
    start = str(time.time() + 1.0)
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(target), letter, start],
            stdout=subprocess.PIPE,
            text=True,
        )
        for letter in "ab"
    ]
    for racer in racers:
        racer.communicate(timeout=20)
    codes = sorted(racer.returncode for racer in racers)
    assert codes == [0, 2]
    assert target.read_text() in ("a" * 100_000, "b" * 100_000)
    assert os.listdir(tmp_path) == ["out.csv"]
