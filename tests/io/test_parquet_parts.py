"""Joining Parquet parts by copying bytes: the footer codec and the joined file's contents."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner.io import parquet_parts
from planner.io.streamed_tables import parquet_writer


def _table(rows: int, seed: int) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "loss": rng.normal(2.0, 0.1, rows),
            "accelerator": pa.array(["h100-sxm", "=b200"] * (rows // 2) + ["x"] * (rows % 2)),
            "flag": rng.normal(size=rows) > 0,
            "empty": pa.array([None] * rows, pa.float64()),
        }
    )


def _parts(tmp_path: Path, sizes: list[int], **options: object) -> list[Path]:
    paths = []
    for i, rows in enumerate(sizes):
        path = tmp_path / f"part-{i}.parquet"
        table = _table(rows, i)
        if options:
            pq.write_table(table, path, **options)  # type: ignore[arg-type]
        else:
            with parquet_writer(path, table.schema) as out:
                out.write_table(table, row_group_size=700)
        paths.append(path)
    return paths


def test_a_footer_decodes_and_encodes_to_the_same_bytes(tmp_path: Path) -> None:
    for path in _parts(tmp_path, [10, 1500, 3]):
        data = path.read_bytes()
        length = int.from_bytes(data[-8:-4], "little")
        end, meta = parquet_parts.footer(path)
        assert end == len(data) - 8 - length
        assert parquet_parts.encode(meta) == data[end:-8]


def test_joined_parts_read_back_as_the_parts_one_after_another(tmp_path: Path) -> None:
    parts = _parts(tmp_path, [1000, 2100, 1, 700])
    target = tmp_path / "joined.parquet"
    assert parquet_parts.join(iter(parts), target) == 3801
    joined = pq.read_table(target)
    assert joined.equals(pa.concat_tables(pq.read_table(p) for p in parts))
    meta = pq.ParquetFile(target).metadata
    assert meta.num_rows == 3801 and meta.num_row_groups == 2 + 3 + 1 + 1
    # row-group statistics still point at the right chunks: a filter keeps exactly the rows
    kept = pq.read_table(target, filters=[("loss", ">", 2.15)]).num_rows
    assert kept == int((joined["loss"].to_numpy() > 2.15).sum()) > 0


def test_one_part_joins_to_the_same_bytes(tmp_path: Path) -> None:
    (part,) = _parts(tmp_path, [1234])
    target = tmp_path / "joined.parquet"
    parquet_parts.join([part], target)
    assert target.read_bytes() == part.read_bytes()


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("page index", {"write_page_index": True}),
        ("different schema", {}),
    ],
    ids=["page-index", "different-schema"],
)
def test_parts_that_cannot_be_joined_by_copying_are_refused(
    tmp_path: Path, case: str, options: dict[str, object]
) -> None:
    parts = _parts(tmp_path, [100, 100], **options)
    if case == "different schema":
        pq.write_table(pa.table({"loss": [1, 2]}), parts[1])
    with pytest.raises(parquet_parts.PartsDiffer):
        parquet_parts.join(parts, tmp_path / "joined.parquet")


def test_no_parts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(parquet_parts.PartsDiffer, match="no parts"):
        parquet_parts.join([], tmp_path / "joined.parquet")


def test_a_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.parquet"
    path.write_bytes(b"not parquet at all")
    with pytest.raises(parquet_parts.PartsDiffer, match="not a Parquet file"):
        parquet_parts.footer(path)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(1, 40),
            st.sampled_from([3, 4, 5, 6, 8, 1, 2]),
            st.integers(-(2**63), 2**63 - 1),
        ),
        max_size=6,
        unique_by=lambda f: f[0],
    )
)
def test_the_compact_codec_round_trips_integers_text_and_booleans(
    fields: list[tuple[int, int, int]],
) -> None:
    struct = []
    for fid, kind, number in sorted(fields):
        value: object
        if kind == 3:
            value = number % 256
        elif kind == 4:
            value = number % 2**15
        elif kind == 5:
            value = number % 2**31 - 2**30
        elif kind == 8:
            value = str(number).encode()
        elif kind in (1, 2):
            value = number % 2 == 0
            kind = 1 if value else 2
        else:
            value = number
        struct.append((fid, kind, value))
    assert parquet_parts.decode(parquet_parts.encode(struct)) == struct
