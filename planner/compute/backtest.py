"""Backtest the hours model on published training runs.

For each run: 6·N_active·D against the reported FLOPs, and accelerator-hours from the hours
model (:mod:`planner.compute.hours`: per-step MFU of the best feasible layout × goodput, with the
range of its measured residuals) against the reported hours. Runs on accelerators without
link or memory data fall back to the flat whole-run prior of :mod:`planner.defaults`
(noted per row). Coverage and median error are reported per size class.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from planner import defaults
from planner.compute import calibration
from planner.compute import flops as compute
from planner.errors import InputError
from planner.scenario.accelerators import catalog

__all__ = [
    "NUMERIC",
    "REQUIRED",
    "SIZE_CLASSES",
    "UNSCORED_EVIDENCE",
    "Backtest",
    "BacktestRow",
    "backtest",
    "calibrate",
    "layout_shapes",
    "size_class",
]

SIZE_CLASSES = ("under 3B", "3-30B", "over 30B", "MoE")
"""Size classes of the backtest summary (issue 18): dense by active parameters, and MoE."""


def size_class(total_params: float | None, active_params: float | None) -> str:
    """``MoE`` when active < total parameters, else the dense class of the active count."""
    if total_params and active_params and active_params < 0.99 * total_params:
        return "MoE"
    n = active_params or total_params or 0.0
    return "under 3B" if n < 3e9 else ("3-30B" if n <= 30e9 else "over 30B")


if TYPE_CHECKING:
    import pandas as pd


REQUIRED = (
    "model",
    "params_total",
    "params_active",
    "training_tokens",
    "accelerator",
    "accelerator_hours",
)
NUMERIC = (
    "params_total",
    "params_active",
    "training_tokens",
    "accelerator_hours",
    "reported_training_flops",
)
# Rows whose numbers are someone's guesses, not a developer's report: listed, never scored.
UNSCORED_EVIDENCE = ("estimate", "unverified")


@dataclass(frozen=True)
class BacktestRow:
    model: str
    accelerator: str | None
    active_params: float | None
    tokens: float | None
    flops_6nd: float | None
    reported_flops: float | None
    flops_ratio: float | None
    """reported / 6ND"""
    reported_hours: float | None
    predicted_hours: float | None
    predicted_hours_low: float | None
    predicted_hours_high: float | None
    hours_ratio: float | None
    """predicted / reported"""
    implied_utilization: float | None
    """Whole-run MFU the reported hours imply (6ND model FLOPs, bf16 dense peak)."""
    in_range: bool | None
    scored: bool
    note: str
    predicted_utilization: float | None = None
    """Whole-run MFU the hours model predicts (per-step × goodput), beside the implied one."""
    step_utilization: float | None = None
    """Per-step (steady-state) MFU of the best feasible layout (BF16 peak)."""
    goodput: float | None = None
    """Goodput of that layout's cluster (planner.compute.hours.goodput_share)."""
    size_class: str = ""
    precision: str = "bf16"
    layout: str = ""
    """The chosen layout, ``tp·pp·cp·dp`` with ZeRO stage and recompute."""


@dataclass(frozen=True)
class Backtest:
    """Per-run comparison and summary statistics."""

    rows: tuple[BacktestRow, ...]
    runs_scored: int
    median_abs_log_error: float
    """Median of |ln(predicted hours / reported hours)| over scored runs."""
    range_coverage: float
    """Share of scored runs whose reported hours fall inside the utilisation range's hours."""
    median_flops_ratio: float
    utilization: float
    utilization_low: float
    utilization_high: float
    layout_median_abs_log_error: float = math.nan
    """Median |ln(implied / layout-predicted utilisation)| over scored runs with a prediction."""
    layout_runs: int = 0
    """Scored runs the layout model predicts (accelerators with link bandwidths in the catalog)."""
    median_range_ratio: float = math.nan
    """Median P90/P10 hours ratio over scored runs."""
    by_class: tuple[tuple[str, int, float, float], ...] = ()
    """(size class, scored runs, coverage, typical miss ×) per :data:`SIZE_CLASSES`."""

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([asdict(r) for r in self.rows])

    def summary(self) -> dict[str, Any]:
        out = asdict(self)
        out.pop("rows")
        return out


def _read(path: str | Path | None) -> pd.DataFrame:
    import pandas as pd

    from planner.io.reading import read_csv_frame
    from planner.limits import MAX_BACKTEST_BYTES

    if path is None:
        name = "published_runs.csv (shipped)"
        text = (
            resources.files("planner")
            .joinpath("data/published_runs.csv")
            .read_text(encoding="utf-8")
        )
        frame = read_csv_frame(name, limit=MAX_BACKTEST_BYTES, text=text)
    else:  # a regular UTF-8 file under the size limit, errors naming it (planner.io.reading)
        name = str(path)
        frame = read_csv_frame(path, limit=MAX_BACKTEST_BYTES, what="backtest CSV")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing columns: {', '.join(missing)}",
            file=name,
            allowed=f"a backtest CSV has the columns of published_runs.csv ({', '.join(REQUIRED)}, ...)",
        )
    for column in NUMERIC:
        if column not in frame.columns:
            frame[column] = np.nan
        values = pd.to_numeric(frame[column], errors="coerce")
        bad = values.isna() & frame[column].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"row {row + 2}: {column} is not a number",
                file=name,
                value=frame[column].iloc[row],
            )
        frame[column] = values
    if "evidence_level" not in frame.columns:
        frame["evidence_level"] = "reported"
    return frame


def backtest(path: str | Path | None = None) -> Backtest:
    """Run the compute model over published runs (default: the shipped copy)."""
    frame = _read(path)
    hardware = catalog()
    rows = []
    for record in frame.to_dict("records"):
        rows.append(_row({str(k): v for k, v in record.items()}, hardware))
    scored = [r for r in rows if r.scored]
    layout_errors = [
        abs(math.log(r.implied_utilization / r.predicted_utilization))
        for r in scored
        if r.predicted_utilization and r.implied_utilization
    ]
    log_errors = [abs(math.log(r.hours_ratio)) for r in scored if r.hours_ratio]
    ratios = [r.flops_ratio for r in rows if r.flops_ratio is not None]
    classes = []
    for name in SIZE_CLASSES:
        members = [r for r in scored if r.size_class == name and r.hours_ratio]
        if members:
            classes.append(
                (
                    name,
                    len(members),
                    float(np.mean([bool(r.in_range) for r in members])),
                    float(np.exp(np.median([abs(math.log(r.hours_ratio or 1)) for r in members]))),
                )
            )
    spans = [
        r.predicted_hours_high / r.predicted_hours_low
        for r in scored
        if r.predicted_hours_high and r.predicted_hours_low
    ]
    return Backtest(
        rows=tuple(rows),
        runs_scored=len(scored),
        median_abs_log_error=float(np.median(log_errors)) if log_errors else math.nan,
        range_coverage=float(np.mean([bool(r.in_range) for r in scored])) if scored else math.nan,
        median_flops_ratio=float(np.median(ratios)) if ratios else math.nan,
        utilization=defaults.UTILIZATION,
        utilization_low=defaults.UTILIZATION_LOW,
        utilization_high=defaults.UTILIZATION_HIGH,
        layout_median_abs_log_error=float(np.median(layout_errors)) if layout_errors else math.nan,
        layout_runs=len(layout_errors),
        median_range_ratio=float(np.median(spans)) if spans else math.nan,
        by_class=tuple(classes),
    )


def _number(value: Any) -> float | None:
    return (
        None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)
    )


def _row(record: dict[str, Any], hardware: dict[str, Any]) -> BacktestRow:
    active = _number(record["params_active"]) or _number(record["params_total"])
    tokens = _number(record["training_tokens"])
    reported_flops = _number(record.get("reported_training_flops"))
    reported_hours = _number(record["accelerator_hours"])
    accelerator = record["accelerator"] if isinstance(record["accelerator"], str) else None
    evidence = str(record.get("evidence_level", ""))
    flops = compute.flops_6nd(active) * tokens if active and tokens else None
    empty: dict[str, Any] = {
        "predicted_hours": None,
        "predicted_hours_low": None,
        "predicted_hours_high": None,
        "hours_ratio": None,
        "implied_utilization": None,
        "in_range": None,
    }
    note = ""
    if flops is None:
        note = "no tokens or parameters"
    elif reported_hours is None or accelerator is None:
        note = "no accelerator-hours for one accelerator type: FLOPs check only"
    elif accelerator.lower() not in hardware:
        note = f"accelerator {accelerator} is not in the catalog"
    precision = "fp8" if "fp8" in str(record.get("mfu_basis", "")).lower() else "bf16"
    scorable = not evidence.startswith(UNSCORED_EVIDENCE)
    run = None
    if not note and flops is not None and reported_hours is not None and accelerator is not None:
        device = hardware[accelerator.lower()]
        peak = device.peak_flops("bf16")
        if scorable and active and tokens:
            shape = calibration.run_shape(
                device,
                active,
                tokens,
                reported_hours,
                _number(record.get("seq_len")),
                _number(record.get("n_accelerators")),
                _number(record.get("wall_clock_days")),
                precision,
            )
            try:
                run = calibration.predicted_whole_run(shape)
            except InputError as exc:
                note = f"no layout fits: {exc.problem}"
        if run is not None:
            mid, best, worst = run.utilization, run.utilization_high, run.utilization_low
        else:
            mid, best, worst = (
                defaults.UTILIZATION,
                defaults.UTILIZATION_HIGH,
                defaults.UTILIZATION_LOW,
            )
            note = note or "no link or memory data for the layout model: flat whole-run prior"
        predicted = compute.accelerator_hours(flops, peak, mid)
        low = compute.accelerator_hours(flops, peak, best)
        high = compute.accelerator_hours(flops, peak, worst)
        empty = {
            "predicted_hours": predicted,
            "predicted_hours_low": low,
            "predicted_hours_high": high,
            "hours_ratio": predicted / reported_hours,
            "implied_utilization": flops / (reported_hours * 3600 * peak),
            "in_range": bool(low <= reported_hours <= high),
        }
    scored = empty["hours_ratio"] is not None and scorable
    if empty["hours_ratio"] is not None and not scored:
        note = f"evidence is '{evidence}': listed, not scored"
    layout = ""
    if run is not None:
        lay = run.layout
        layout = (
            f"tp{lay.tp}·pp{lay.pp}·cp{lay.cp}·dp{run.accelerators // lay.model_parallel}"
            f" zero{lay.zero} {lay.recompute}"
        )
    return BacktestRow(
        model=str(record["model"]),
        accelerator=accelerator,
        active_params=active,
        tokens=tokens,
        flops_6nd=flops,
        reported_flops=reported_flops,
        flops_ratio=reported_flops / flops if reported_flops and flops else None,
        reported_hours=reported_hours,
        scored=scored,
        note=note,
        predicted_utilization=run.utilization if run else None,
        step_utilization=run.step_utilization if run else None,
        goodput=run.goodput if run else None,
        size_class=size_class(_number(record["params_total"]), active),
        precision=precision,
        layout=layout,
        **empty,
    )


def calibrate(result: Backtest) -> tuple[float, float, float]:
    """Median, 10th and 90th percentile of implied whole-run utilisation over scored runs."""
    values = np.array([r.implied_utilization for r in result.rows if r.scored])
    return (
        float(np.median(values)),
        float(np.quantile(values, 0.1)),
        float(np.quantile(values, 0.9)),
    )


def layout_shapes(path: str | Path | None = None) -> tuple[list[calibration.RunShape], list[float]]:
    """(shape, implied whole-run MFU) of every scored run the layout model can predict."""
    frame = _read(path)
    hardware = catalog()
    result = backtest(path)
    shapes, implied = [], []
    for record, row in zip(frame.to_dict("records"), result.rows, strict=True):
        if not (row.scored and row.predicted_utilization and row.implied_utilization):
            continue
        assert row.active_params and row.tokens and row.reported_hours and row.accelerator
        shapes.append(
            calibration.run_shape(
                hardware[row.accelerator.lower()],
                row.active_params,
                row.tokens,
                row.reported_hours,
                _number(record.get("seq_len")),
                _number(record.get("n_accelerators")),
                _number(record.get("wall_clock_days")),
                row.precision,
            )
        )
        implied.append(row.implied_utilization)
    return shapes, implied
