"""Atomic output writes: folders created, nothing overwritten unasked, clear errors."""

import os
from pathlib import Path

import pytest

from planner.errors import InputError
from planner.files import write_atomic


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
