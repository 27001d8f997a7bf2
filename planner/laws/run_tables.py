"""Tables of training runs for :mod:`planner.laws.fit`: reading them and checking every value.

A run table has ``params``, ``tokens`` (or ``flops``) and ``loss`` columns, optionally
``unique_tokens``, ``synthetic_tokens`` or ``synthetic_share``. Every check happens before
any fitting work and names the CSV line of the first bad value; the identifiability checks
(:func:`check_identifiable`) say when the data cannot determine the law at all.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from planner.errors import InputError, shown, shown_text
from planner.limits import MAX_PARAMS, MAX_RUNS_BYTES, MAX_TOKENS

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "COLUMNS",
    "MIN_RUNS",
    "TASK_COLUMNS",
    "check_identifiable",
    "prepare",
    "prepare_task_runs",
    "read_runs",
    "read_task_runs",
    "rename_columns",
]

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


def rename_columns(
    frame: pd.DataFrame, columns: dict[str, str] | None, known: tuple[str, ...], name: str
) -> pd.DataFrame:
    """``--column NAME=CSV_COLUMN`` renames: a name the table does not know, or a column the CSV
    does not have, is an error (a typo must not be ignored silently)."""
    for target, source in (columns or {}).items():
        if target not in known or source not in frame:
            problem = (
                f"unknown name {shown(target)}"
                if target not in known
                else f"the CSV has no column {shown(source)}"
            )
            raise InputError(
                f"--column {shown_text(f'{target}={source}', 120)}: {problem}",
                file=name,
                allowed=f"NAME one of {', '.join(known)}; CSV columns: "
                + shown_text(", ".join(map(str, frame.columns)), 300),
            )
    return frame.rename(columns={source: target for target, source in (columns or {}).items()})


def read_runs(path: str) -> pd.DataFrame:
    """Read a CSV of runs through :mod:`planner.io.reading` (regular file, size limit, UTF-8)."""
    from planner.io.reading import read_csv_frame

    return read_csv_frame(path, limit=MAX_RUNS_BYTES, what="runs CSV")


def prepare(
    frame: pd.DataFrame, columns: dict[str, str] | None = None, *, name: str = "runs"
) -> pd.DataFrame:
    """Rename mapped columns, check every value, derive tokens from FLOPs if needed."""
    import pandas as pd

    frame = rename_columns(frame, columns, COLUMNS, name)
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


TASK_COLUMNS = (
    "params",
    "tokens",
    "task",
    "task_loss",
    "accuracy",
    "run",
    "step",
    "role",
    "chance",
)


def read_task_runs(path: str, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """A ladder CSV through :mod:`planner.io.reading`, with ``--column NAME=CSV_COLUMN`` renames."""
    from planner.io.reading import read_csv_frame
    from planner.limits import MAX_RUNS_BYTES

    frame = read_csv_frame(path, limit=MAX_RUNS_BYTES, what="ladder CSV")
    frame = rename_columns(frame, columns, TASK_COLUMNS, path)
    return frame


def prepare_task_runs(frame: pd.DataFrame, *, name: str = "runs") -> pd.DataFrame:
    """Check a ladder table: numeric columns through :func:`planner.laws.run_tables.prepare` (params,
    tokens, task loss), accuracy and chance in [0, 1], steps non-negative, one size per run."""
    import pandas as pd

    missing = [c for c in ("params", "tokens", "task", "task_loss", "accuracy") if c not in frame]
    if missing:
        raise InputError(
            f"missing columns: {', '.join(missing)}",
            file=name,
            allowed="columns params, tokens, task, task_loss, accuracy; optionally run, step, "
            "role (ladder or target), chance",
        )
    if "step" in frame and "run" not in frame:
        raise InputError(
            "a step column needs a run column (which checkpoints belong to one run)", file=name
        )
    try:
        numeric = prepare(
            frame[["params", "tokens", "task_loss"]].rename(columns={"task_loss": "loss"}),
            name=name,
        )
    except InputError as exc:  # prepare names the column it checked "loss"
        raise InputError(
            exc.problem.replace(": loss must", ": task_loss must"),
            file=exc.file,
            value=exc.value,
            allowed=exc.allowed,
        ) from None
    out = pd.DataFrame(
        {
            "params": numeric["params"],
            "tokens": numeric["tokens"],
            "task": frame["task"].astype(str).str.strip(),
            "task_loss": numeric["loss"],
        }
    )
    _refuse(out["task"] == "", frame["task"], "task is empty", name)
    for column, low in (("accuracy", 0.0), ("chance", 0.0), ("step", 0.0)):
        if column not in frame:
            continue
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        high = math.inf if column == "step" else 1.0
        bad = values.isna() | ~np.isfinite(values) | (values < low) | (values > high)
        if column == "step":  # an empty step (a run's only checkpoint) keeps the file's order
            bad &= frame[column].notna()
        allowed = "a non-negative number" if column == "step" else "a number from 0 to 1"
        _refuse(bad, frame[column], f"{column} must be {allowed}", name)
        out[column] = values
    out["run"] = (
        frame["run"].astype(str).str.strip()
        if "run" in frame
        else [f"row {i + 2}" for i in range(len(frame))]
    )
    if "role" in frame:
        role = frame["role"].fillna("ladder").astype(str).str.strip().str.lower()
        _refuse(
            ~role.isin(["ladder", "target"]), frame["role"], "role must be ladder or target", name
        )
        out["role"] = role
    else:
        out["role"] = "ladder"
    sizes = out.groupby("run")["params"].nunique()
    if (sizes > 1).any():
        run = sizes.index[int(np.flatnonzero(sizes.to_numpy() > 1)[0])]
        raise InputError(
            f"run {shown(run)} has more than one params value",
            file=name,
            allowed="one model size per run (give each size its own run name)",
        )
    return out
