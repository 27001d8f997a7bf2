"""Tables of training runs for :mod:`planner.laws.fit`: reading them and checking every value.

A run table has ``params``, ``tokens`` (or ``flops``) and ``loss`` columns, optionally
``unique_tokens``, ``synthetic_tokens`` or ``synthetic_share``. Every check happens before
any fitting work and names the CSV line of the first bad value; the identifiability checks
(:func:`check_identifiable`) say when the data cannot determine the law at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from planner.errors import InputError, shown, shown_text
from planner.limits import MAX_PARAMS, MAX_RUNS_BYTES, MAX_TOKENS

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "MIN_RUNS", "check_identifiable", "prepare", "read_runs"]

COLUMNS = (
    "params",
    "tokens",
    "loss",
    "flops",
    "unique_tokens",
    "synthetic_tokens",
    "synthetic_share",
)


MIN_RUNS = 6
"""Fewest distinct runs a fit accepts (and always more than the constants fitted)."""


def read_runs(path: str) -> pd.DataFrame:
    """Read a CSV of runs through :mod:`planner.io.reading` (regular file, size limit, UTF-8)."""
    from planner.io.reading import read_csv_frame

    return read_csv_frame(path, limit=MAX_RUNS_BYTES, what="runs CSV")


def prepare(
    frame: pd.DataFrame, columns: dict[str, str] | None = None, *, name: str = "runs"
) -> pd.DataFrame:
    """Rename mapped columns, check every value, derive tokens from FLOPs if needed."""
    import pandas as pd

    for target, source in (columns or {}).items():  # a typo must not be ignored silently
        if target not in COLUMNS or source not in frame:
            problem = (
                f"unknown name {shown(target)}"
                if target not in COLUMNS
                else f"the CSV has no column {shown(source)}"
            )
            raise InputError(
                f"--column {shown_text(f'{target}={source}', 120)}: {problem}",
                file=name,
                allowed=f"NAME one of {', '.join(COLUMNS)}; CSV columns: "
                + shown_text(", ".join(map(str, frame.columns)), 300),
            )
    mapping = {source: target for target, source in (columns or {}).items()}
    frame = frame.rename(columns=mapping)
    if "tokens" not in frame and {"flops", "params"} <= set(frame):
        frame = frame.assign(
            tokens=pd.to_numeric(frame["flops"], errors="coerce")
            / (6 * pd.to_numeric(frame["params"], errors="coerce"))
        )
    missing = [c for c in ("params", "tokens", "loss") if c not in frame]
    if missing:
        raise InputError(
            f"missing columns: {', '.join(missing)}",
            file=name,
            allowed="columns params, tokens (or flops), loss; map other names with --column NAME=CSV_COLUMN",
        )
    keep = [c for c in COLUMNS if c in frame]
    out = frame[keep].copy()
    for column in keep:
        values = pd.to_numeric(out[column], errors="coerce").astype(float)
        positive = column in ("params", "tokens", "loss", "unique_tokens", "flops")
        bad = values.isna() | ~np.isfinite(values) | (values < 0) | ((values == 0) & positive)
        kind = "positive" if positive else "non-negative"
        _refuse(bad, frame[column], f"{column} must be a {kind} finite number", name)
        out[column] = values
    for column, low, high in (("params", 1.0, MAX_PARAMS), ("tokens", 1.0, MAX_TOKENS)):
        _refuse(
            (out[column] < low) | (out[column] > high),
            out[column],
            f"{column} is outside {low:g} to {high:g} (sanity bound, planner.limits)",
            name,
        )
    if "synthetic_share" in out:
        _refuse(
            out["synthetic_share"] > 1, out["synthetic_share"], "synthetic_share is above 1", name
        )
    if "synthetic_tokens" in out:
        _refuse(
            out["synthetic_tokens"] > out["tokens"],
            out["synthetic_tokens"],
            "synthetic_tokens is above tokens (synthetic tokens are part of the total)",
            name,
        )
    if "unique_tokens" in out and ("synthetic_tokens" in out or "synthetic_share" in out):
        real = out["tokens"] - (
            out["synthetic_tokens"]
            if "synthetic_tokens" in out
            else out["synthetic_share"] * out["tokens"]
        )
        _refuse(real <= 0, real, "no real tokens left, yet unique_tokens is given", name)
    return out


def _refuse(bad: pd.Series, values: pd.Series, problem: str, name: str) -> None:
    """An InputError naming the first bad row (CSV line: the header is line 1) and its value."""
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"row {row + 2}: {problem}", file=name, value=values.iloc[row])


def check_identifiable(runs: pd.DataFrame, constants: int, dropped: int, name: str) -> None:
    """Enough distinct runs after dropping, and enough variation, for the constants fitted."""
    needed = max(MIN_RUNS, constants + 1)
    inputs = [
        c
        for c in ("params", "tokens", "unique_tokens", "synthetic_tokens", "synthetic_share")
        if c in runs
    ]
    distinct = len(runs.drop_duplicates(subset=inputs))
    if distinct < needed:
        after = f" left after dropping the {dropped} highest-loss" if dropped else ""
        raise InputError(
            f"{distinct} distinct runs{after} are too few to fit {constants} constants",
            file=name,
            allowed=f"give at least {needed} runs with different model sizes or token counts",
        )
    cannot = "the data cannot identify the law"
    if np.ptp(runs["loss"].to_numpy()) == 0:
        raise InputError(
            f"{cannot}: every run has the same loss", file=name, value=float(runs["loss"].iloc[0])
        )
    for column, what in (("params", "model size"), ("tokens", "token count")):
        if np.ptp(runs[column].to_numpy()) == 0:
            raise InputError(
                f"{cannot}: every run has the same {what}",
                file=name,
                value=float(runs[column].iloc[0]),
                allowed=f"vary {column} across runs",
            )
