"""Streamed table files: CSV and Parquet written block by block, never whole in memory.

Both go through pyarrow's writers into a temporary file beside the target, which becomes
the target only when every block is written (:mod:`planner.io.writing` rules: no overwrite
unless asked, normal permissions, nothing left behind on failure).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["KINDS", "append", "escape_formulas", "kind_of", "read_columns", "writer"]

KINDS = {".csv": "csv", ".parquet": "parquet"}


def kind_of(path: str | Path) -> str:
    """``csv`` or ``parquet`` from the file name, or an error naming the choices."""
    kind = KINDS.get(Path(path).suffix.lower())
    if kind is None:
        raise InputError(
            "unknown results format", file=str(path), allowed="use a .csv or .parquet file name"
        )
    return kind


def escape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula (= + - @, tab, CR) get a leading quote."""
    text = [
        c
        for c in frame.columns
        if frame[c].dtype == object or str(frame[c].dtype).startswith(("string", "str"))
    ]
    if not text:
        return frame
    frame = frame.copy()
    for column in text:
        values = frame[column].astype(str)
        risky = values.str.match(r"^[=+\-@\t\r]")
        frame[column] = values.where(~risky, "'" + values)
    return frame


@contextlib.contextmanager
def writer(
    path: str | Path, kind: str, *, overwrite: bool = False
) -> Iterator[Callable[[pd.DataFrame], None]]:
    """A function that appends a DataFrame block to ``path``; the file appears on success only."""
    from planner.io.writing import staged_output

    with staged_output(path, overwrite=overwrite) as temp:
        state: dict[str, Any] = {}
        try:
            yield lambda frame: append(state, temp, kind, frame)
        finally:
            if "writer" in state:
                state["writer"].close()
            if "sink" in state:
                state["sink"].close()


def append(state: dict[str, Any], temp: Path, kind: str, frame: pd.DataFrame) -> None:
    """Write one block to the open writer in ``state`` (opened on the first block)."""
    import pyarrow as pa

    table = pa.Table.from_pandas(
        escape_formulas(frame) if kind == "csv" else frame, preserve_index=False
    )
    if "writer" not in state:
        if kind == "csv":
            from pyarrow import csv

            state["sink"] = pa.OSFile(str(temp), "wb")
            state["writer"] = csv.CSVWriter(state["sink"], table.schema)
        else:
            import pyarrow.parquet as pq

            state["writer"] = pq.ParquetWriter(str(temp), table.schema)
        state["schema"] = table.schema
    elif table.schema != state["schema"]:
        table = table.cast(state["schema"])
    state["writer"].write_table(table)


def read_columns(path: str | Path, columns: list[str], kind: str | None = None) -> pd.DataFrame:
    """Some columns of a written sweep (for its report), read without loading the others."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    if (kind or kind_of(path)) == "parquet":
        return pq.read_table(str(path), columns=columns).to_pandas()
    options = pcsv.ConvertOptions(include_columns=columns)
    return pcsv.read_csv(str(path), convert_options=options).to_pandas()
