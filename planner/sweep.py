"""Sweeps: evaluate a scenario over a grid of field values, one DataFrame row per point.

``grid`` maps field paths (``model.params``, ``data.synthetic.share``,
``training.price_usd_per_hour``) to values: a list, a numpy array, or a string
``"1B,3B,8B"`` / ``"0:0.8:9"`` (start:stop:count). The product of the axes is taken,
unless a DataFrame of zipped columns is passed. Numeric fields the vector model knows
are evaluated on arrays in one pass; any other field (an accelerator id, a law, an
architecture size) splits the grid into groups, each evaluated on arrays.
"""

from __future__ import annotations

import itertools
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, TypeAdapter, ValidationError

from planner import vector
from planner.errors import InputError
from planner.loader import _model_in, set_path, validate
from planner.schema import Scenario
from planner.units import parse_quantity

if TYPE_CHECKING:
    import pandas as pd

NUMERIC = re.compile(
    r"^(model\.(params|active_params)"
    r"|training\.(tokens|accelerator_count|utilization|price_usd_per_hour|goodput|pue|grid_kg_co2_per_kwh)"
    r"|data\.[^.]+\.(share|tokens|unique_tokens|epochs|license_usd_per_million_tokens"
    r"|processing_usd_per_million_tokens|fixed_fee_usd)"
    r"|data\.[^.]+\.synthetic\.(acceptance_yield|prompt_tokens_per_token|value_weight|r_star)"
    r"|data\.[^.]+\.synthetic\.generator\.api\.(input|output)_usd_per_million_tokens"
    r"|data\.[^.]+\.synthetic\.generator\.self_hosted\.(params|utilization|price_usd_per_hour))$"
)
"""Paths the vector model takes as arrays; every other path groups the grid."""

CHUNK = 200_000
"""Rows evaluated together (bounds memory; the progress bar advances per chunk)."""


def parse_axis(path: str, spec: Any) -> list[Any]:
    """Values of one grid axis: a list, an array, ``"a,b,c"`` or ``"start:stop:count"``.

    >>> parse_axis("model.params", "1B,3B")
    [1000000000.0, 3000000000.0]
    >>> parse_axis("data.syn.share", "0:0.8:5")
    [0.0, 0.2, 0.4, 0.6000000000000001, 0.8]
    """
    if isinstance(spec, str):
        text = spec.strip()
        if ":" in text and "," not in text:
            parts = text.split(":")
            if len(parts) != 3:
                raise InputError("a range is start:stop:count", field=f"grid {path}", value=spec)
            try:
                start, stop = (parse_quantity(p, allow_zero=True) for p in parts[:2])
                count = int(parts[2])
            except ValueError as exc:
                raise InputError(str(exc), field=f"grid {path}", value=spec) from None
            if count < 1:
                raise InputError("a range needs a count of at least 1", field=f"grid {path}", value=spec)
            if count > 1 and start == stop:
                raise InputError("a range with equal start and stop has a step of zero", field=f"grid {path}",
                                 value=spec)
            return [float(v) for v in np.linspace(start, stop, count)]
        items = [item.strip() for item in text.split(",")]
        if not text or any(not item for item in items):
            raise InputError("empty value in the grid", field=f"grid {path}", value=spec,
                             allowed="give values such as 1B,3B,8B or a range such as 0:0.8:9")
        return [_value(item) for item in items]
    values = list(np.asarray(spec).tolist()) if not isinstance(spec, (list, tuple)) else list(spec)
    if not values:
        raise InputError("empty list of values", field=f"grid {path}")
    return values


def _value(text: str) -> Any:
    try:
        return parse_quantity(text, allow_zero=True)
    except ValueError:
        return text  # an id or preset name; the schema checks it


def _field(path: str, scenario: Scenario) -> Any:
    """The pydantic field at a path (data sources by name), or an error naming the entry."""
    model: Any = type(scenario)
    info = None
    parts = path.split(".")
    names = [d.name for d in scenario.data]
    i = 0
    while i < len(parts):
        part = parts[i]
        if not (isinstance(model, type) and issubclass(model, BaseModel)) or part not in model.model_fields:
            raise InputError(f"unknown field path {path!r}", field=f"grid {path}",
                             allowed="paths look like model.params, training.price_usd_per_hour, data.<source>.share")
        info = model.model_fields[part]
        model = _model_in(info.annotation)
        if part == "data":
            if i + 1 >= len(parts) or parts[i + 1] not in names:
                raise InputError("no data source by that name", field=f"grid {path}",
                                 allowed=f"sources: {', '.join(names) or 'none'}")
            i += 1
        i += 1
    return info


def check_values(scenario: Scenario, path: str, values: Sequence[Any] | np.ndarray) -> None:
    """Every distinct value passes the schema's rules for its field (shares may be 0).

    Numeric fields' rules are bounds, so an array is checked by its extremes (and for NaN).
    """
    info = _field(path, scenario)
    adapter: TypeAdapter[Any] = TypeAdapter(typing.Annotated[info.annotation, info])
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        if np.isnan(values).any():
            raise InputError("NaN is not a value", field=f"grid {path}")
        values = [float(values.min()), float(values.max())]
    for value in dict.fromkeys(values):
        if path.endswith(".share") and value == 0:
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise InputError(problem, field=f"grid {path}", value=value) from None


def _points(grid: Mapping[str, Any] | pd.DataFrame) -> tuple[list[str], dict[str, np.ndarray | list[Any]]]:
    import pandas as pd

    if isinstance(grid, pd.DataFrame):
        if grid.empty:
            raise InputError("the grid DataFrame has no rows", field="grid")
        return list(grid.columns), {c: grid[c].tolist() for c in grid.columns}
    if not grid:
        raise InputError("the grid is empty", field="grid", allowed="give at least one field path and its values")
    axes = {path: parse_axis(path, spec) for path, spec in grid.items()}
    paths = list(axes)
    if all(all(isinstance(v, (int, float)) for v in axes[p]) for p in paths):
        mesh = np.meshgrid(*(np.asarray(axes[p], dtype=float) for p in paths), indexing="ij")
        return paths, {p: m.ravel() for p, m in zip(paths, mesh)}
    rows = list(itertools.product(*(axes[p] for p in paths)))
    return paths, {p: [r[i] for r in rows] for i, p in enumerate(paths)}


def sweep(
    scenario: Scenario,
    grid: Mapping[str, Any] | pd.DataFrame,
    *,
    plan: str | None = None,
    uncertainty: bool = False,
    engine: str = "numpy",
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> pd.DataFrame:
    """One row per grid point: the swept inputs, then every output of :data:`vector.OUTPUTS`.

    ``plan`` picks a variant as the starting point (default: the base scenario).
    ``uncertainty`` adds loss/cost/hours/days P10 and P90 from the Monte Carlo (one run
    per row: slower). ``engine="dask"`` spreads chunks over a Dask cluster (a
    ``LocalCluster`` unless ``scheduler`` gives an address). ``progress`` is called
    with the number of rows finished after each chunk.
    """
    import pandas as pd

    from planner.loader import plans

    resolved = {p.name: p.scenario for p in plans(scenario)}
    name = plan or scenario.base_plan
    if name not in resolved:
        raise InputError("no such plan", field="plan", value=name, allowed=f"plans: {', '.join(resolved)}")
    base = resolved[name]
    paths, columns = _points(grid)
    for path in paths:
        check_values(base, path, columns[path])
    frame = pd.DataFrame(columns)
    if engine == "dask":
        from planner.distributed import evaluate_dask

        outputs = evaluate_dask(base, frame, paths, uncertainty, scheduler)
    elif engine == "numpy":
        outputs = evaluate_frame(base, frame, paths, uncertainty, progress)
    else:
        raise InputError("unknown engine", field="engine", value=engine, allowed="numpy or dask")
    outputs.index = frame.index
    return pd.concat([frame, outputs], axis=1)


def evaluate_frame(base: Scenario, frame: pd.DataFrame, paths: Sequence[str], uncertainty: bool = False,
                   progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """Outputs for every row of ``frame`` (one column per swept path), in row order."""
    import pandas as pd

    size = len(frame)
    numeric = [p for p in paths if NUMERIC.match(p) and pd.api.types.is_numeric_dtype(frame[p])]
    grouping = [p for p in paths if p not in numeric]
    columns = {p: frame[p].to_numpy(dtype=float) for p in numeric}
    shares = {p.split(".")[1] for p in numeric if p.endswith(".share") and p.startswith("data.")}
    out = {name: np.empty(size, dtype=bool if name.startswith("flag_") else float) for name in vector.OUTPUTS}
    ranges: list[pd.DataFrame] = []
    groups = (frame.groupby(grouping, sort=False, dropna=False).indices.items() if grouping
              else [((), np.arange(size))])
    for key, index in groups:
        key = key if isinstance(key, tuple) else (key,)
        scenario = _grouped(base, dict(zip(grouping, key)))
        for start in range(0, len(index), CHUNK):
            rows = index[start:start + CHUNK]
            chunk = scenario
            for path in numeric:
                chunk = vector.with_values(chunk, path, columns[path][rows])
            for name, values in vector.evaluate(chunk, len(rows), shares).items():
                out[name][rows] = values
            if uncertainty:
                drawn, _ = vector.source_tokens(chunk, shares, len(rows))
                ranges.append(_ranges(scenario, frame.iloc[rows], numeric, drawn))
            if progress is not None:
                progress(len(rows))
    result = pd.DataFrame(out, index=frame.index)
    if uncertainty:
        result = result.join(pd.concat(ranges))
    return result


def _grouped(base: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The base scenario with categorical values set, validated like a variant."""
    if not values:
        return base
    document = base.model_dump()
    for path, value in values.items():
        set_path(document, path, value, where="grid")
    return validate(document, prefix="grid")


def _ranges(scenario: Scenario, rows: pd.DataFrame, numeric: Sequence[str], drawn: Sequence[np.ndarray]) -> pd.DataFrame:
    """Monte Carlo P10/P90 per row, through the single-plan estimate (one run per row).

    Each source's draw is set to the tokens the vector model resolved for that row
    (``drawn``), so swept shares are rebalanced exactly as in the point estimates.
    """
    import pandas as pd

    from planner.estimate import estimate

    records = []
    settable = [p for p in numeric if not p.endswith(".share")]
    for position, (_, row) in enumerate(rows.iterrows()):
        document = scenario.model_dump()
        for path in settable:
            set_path(document, path, float(row[path]), where="grid")
        if document["data"]:
            for source, tokens in zip(document["data"], drawn):
                source.update(tokens=float(tokens[position]), share=None, epochs=None)
            document["data"] = [d for d in document["data"] if d["tokens"] > 0]
            document["training"].update(tokens=sum(d["tokens"] for d in document["data"]), epochs=None)
        result = estimate(validate(document, prefix="grid"))
        records.append({f"{name}_{q}": getattr(result, f"{name}_{q}")
                        for name in ("loss", "total_cost_usd", "accelerator_hours", "wall_clock_days")
                        for q in ("p10", "p90")})
    return pd.DataFrame(records, index=rows.index)


def parse_grid_flags(flags: Sequence[str]) -> dict[str, str]:
    """``--grid PATH=VALUES`` flags into a grid mapping."""
    grid: dict[str, str] = {}
    for flag in flags:
        path, sep, values = flag.partition("=")
        if not sep or not path.strip():
            raise InputError("a grid entry is PATH=VALUES", field="--grid", value=flag,
                             allowed="e.g. model.params=1B,3B,8B or data.synthetic.share=0:0.8:9")
        if path.strip() in grid:
            raise InputError("the same path is given twice", field="--grid", value=flag)
        grid[path.strip()] = values
    return grid


def save_frame(frame: pd.DataFrame, path: str, *, overwrite: bool = False) -> None:
    """Write a sweep as CSV or Parquet, atomically and never over a file unasked."""
    import os
    import tempfile
    from pathlib import Path

    from planner.files import check_target, write_atomic

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".csv":
        write_atomic(target, frame.to_csv(index=False), overwrite=overwrite)
        return
    if suffix != ".parquet":
        raise InputError("unknown results format", file=path, allowed="use a .csv or .parquet file name")
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise InputError("writing parquet needs pyarrow", file=path,
                         allowed="pip install 'planner[parquet]', or use a .csv file name") from None
    check_target(target, overwrite=overwrite)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        frame.to_parquet(temp, index=False)
        os.replace(temp, target)
    finally:
        Path(temp).unlink(missing_ok=True)


def grid_size(grid: Mapping[str, Any]) -> int:
    """How many points the product of the grid's axes has."""
    size = 1
    for path, spec in grid.items():
        size *= len(parse_axis(path, spec))
    return size
