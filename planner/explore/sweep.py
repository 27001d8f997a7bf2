"""Sweeps: a scenario over a grid of field values, one row per point, streamed.

:func:`sweep` returns a DataFrame (a notebook's grid); :func:`sweep_to_file` writes CSV or
Parquet block by block, so the output never has to fit in memory. Both evaluate blocks of
points through :func:`planner.explore.grid.evaluate_block`, on this machine or, with
``engine="dask"``, on a Dask cluster whose workers write their own partitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from planner.errors import InputError
from planner.explore.grid import (
    MAX_POINTS,
    Grid,
    evaluate_block,
    grouped,
    make_grid,
    output_columns,
    parse_grid_flags,
)
from planner.limits import MAX_SWEEP_POINTS
from planner.scenario.schema import Scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["parse_grid_flags", "prepare", "resolve_engine", "sweep", "sweep_to_file"]

ENGINES = ("numpy", "dask")


def prepare(
    scenario: Scenario, grid: Mapping[str, Any] | pd.DataFrame, plan: str | None = None
) -> tuple[Scenario, Grid]:
    """The plan to start from (default: the base scenario) and the checked grid."""
    from planner.plan.plans import plans

    resolved = {p.name: p.scenario for p in plans(scenario)}
    name = plan or scenario.base_plan
    if name not in resolved:
        raise InputError(
            "no such plan", field="plan", value=name, allowed=f"plans: {', '.join(resolved)}"
        )
    base = resolved[name]
    return base, make_grid(base, grid)


def blocks(base: Scenario, points: Grid, uncertainty: bool = False) -> Iterator[dict[str, Any]]:
    """The sweep's rows, block by block, as columns: swept inputs, then every output."""
    scenarios: dict[tuple[Any, ...], Scenario] = {}
    for block in points.blocks():
        key = tuple(block.group.items())
        if key not in scenarios:
            scenarios[key] = grouped(base, block.group)
        yield {**block.inputs(points.paths), **evaluate_block(scenarios[key], block, uncertainty)}


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Any] | pd.DataFrame,
    *,
    plan: str | None = None,
    uncertainty: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per grid point: the swept inputs, then every output of the plan model.

    ``plan`` picks a variant as the starting point (default: the base scenario).
    ``uncertainty`` adds P10/P50/P90 of loss, cost, hours and days from the Monte Carlo
    (the same draws as ``run()``). ``engine="dask"`` spreads blocks over a Dask cluster (a
    local one sized to the machine unless ``scheduler`` gives an address; an address alone
    implies ``engine="dask"``). The default engine is ``"numpy"`` in this process. ``progress`` is called with the
    number of rows finished after each block.
    """
    import pandas as pd

    base, points = prepare(scenario, grid, plan)
    if points.size > MAX_SWEEP_POINTS:
        raise InputError(
            f"the grid has {points.size:,} points; a sweep held in memory is limited to {MAX_SWEEP_POINTS:,}",
            field="grid",
            allowed="write it to a file with sweep_to_file (planner sweep -o), which streams up to "
            f"{MAX_POINTS:,} points",
        )
    parts: list[dict[str, Any]] = []
    if resolve_engine(engine, scheduler) == "dask":
        from planner.explore.dask_engine import gather_dask

        parts = gather_dask(base, points, uncertainty, scheduler)
    else:
        for part in blocks(base, points, uncertainty):
            parts.append(part)
            if progress is not None:
                progress(len(next(iter(part.values()))))
    import numpy as np

    columns = {
        name: np.concatenate([np.asarray(p[name]) for p in parts])
        if len(parts) > 1
        else np.asarray(parts[0][name])
        for name in parts[0]
    }
    return pd.DataFrame(columns, copy=False)


def resolve_engine(engine: str | None, scheduler: str | None) -> str:
    """The engine to use: as given, or ``dask`` when a scheduler address is given without one.

    A scheduler address with ``engine="numpy"`` is a contradiction, refused.
    """
    if engine is None:
        return "dask" if scheduler is not None else "numpy"
    if engine not in ENGINES:
        raise InputError(
            "unknown engine", field="engine", value=engine, allowed=" or ".join(ENGINES)
        )
    if scheduler is not None and engine != "dask":
        raise InputError(
            "a Dask scheduler address only applies to the dask engine",
            field="--scheduler",
            value=scheduler,
            allowed="--engine dask (or leave --engine out: a --scheduler implies it), or no "
            "--scheduler",
        )
    if scheduler is not None:
        from planner.explore.dask_engine import check_scheduler

        check_scheduler(scheduler, same_process=True)
    return engine


def sweep_to_file(
    scenario: Scenario,
    grid: Mapping[str, Any] | pd.DataFrame,
    path: str | Path,
    *,
    plan: str | None = None,
    uncertainty: bool = False,
    engine: str | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
    kind: str | None = None,
) -> int:
    """Write the sweep to ``path`` (.csv or .parquet) block by block; returns the number of rows.

    The file appears only when complete (written to a temporary file, then moved), and an
    existing file is replaced only with ``overwrite``.
    """
    from planner.io import streamed_tables

    engine = resolve_engine(engine, scheduler)
    kind = kind or streamed_tables.kind_of(path)
    base, points = prepare(scenario, grid, plan)
    if engine == "dask":
        from planner.explore.dask_engine import write_dask

        return write_dask(base, points, uncertainty, scheduler, path, kind, overwrite, progress)
    rows = 0
    with streamed_tables.writer(path, kind, overwrite=overwrite) as write:
        for part in blocks(base, points, uncertainty):
            write(part)  # columns straight to Arrow: no pandas round trip
            size = len(next(iter(part.values())))
            rows += size
            if progress is not None:
                progress(size)
    return rows


def columns(points: Grid, uncertainty: bool) -> list[str]:
    """The columns a sweep writes, in order."""
    return [*points.paths, *output_columns(uncertainty)]
