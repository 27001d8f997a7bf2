"""Sweep grids: parsing and checking axes, enumerating points lazily, evaluating blocks of points.

``grid`` maps field paths (``model.params``, ``data.synthetic.share``,
``training.price_usd_per_hour``) to values: a list, a numpy array, or a string
``"1B,3B,8B"`` / ``"0:0.8:9"`` (start:stop:count). The product of the axes is taken,
unless a DataFrame of zipped columns is passed. Numeric fields are set as arrays on the
scenario and evaluated by the plan model in one pass; any other field (an accelerator id,
a law, an architecture size) splits the grid into groups. Points are made block by block,
so a grid larger than memory can be streamed.
"""

from __future__ import annotations

import itertools
import math
import re
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel, TypeAdapter, ValidationError

from planner.errors import InputError
from planner.explore.grid_checks import check_axis
from planner.plan import evaluate, flags, monte_carlo
from planner.plan.plans import _model_in as model_in
from planner.plan.plans import set_path, validate
from planner.scenario.schema import Scenario
from planner.scenario.sources import KINDS
from planner.units import parse_quantity

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BLOCK",
    "NUMERIC",
    "Block",
    "Grid",
    "check_values",
    "evaluate_block",
    "make_grid",
    "output_columns",
    "parse_axis",
    "parse_grid_flags",
]

NUMERIC = re.compile(
    r"^(model\.(params|active_params)"
    r"|training\.(tokens|accelerator_count|utilization|price_usd_per_hour|goodput|pue|grid_kg_co2_per_kwh)"
    r"|stages\.[^.]+\.(share|tokens)"
    r"|data\.[^.]+\.(share|tokens|unique_tokens|epochs|license_usd_per_million_tokens"
    r"|processing_usd_per_million_tokens|fixed_fee_usd)"
    r"|data\.[^.]+\.synthetic\.(acceptance_yield|prompt_tokens_per_token|value_weight|r_star)"
    r"|data\.[^.]+\.synthetic\.generator\.api\.(input|output)_usd_per_million_tokens"
    r"|data\.[^.]+\.synthetic\.generator\.self_hosted\.(params|utilization|price_usd_per_hour)"
    r"|mixture\.(" + "|".join(KINDS) + r")\.(max_gain|alone_gain))$"
)
"""Paths the plan model takes as arrays; every other path groups the grid."""

BLOCK = 200_000
"""Points evaluated together (bounds memory; output is written and progress reported per block)."""


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
                start, stop = (_number(p) for p in parts[:2])
                count = int(parts[2])
            except ValueError as exc:
                raise InputError(str(exc), field=f"grid {path}", value=spec) from None
            if count < 1:
                raise InputError(
                    "a range needs a count of at least 1", field=f"grid {path}", value=spec
                )
            if count > MAX_POINTS:
                raise InputError(
                    f"a range of {count:,} values exceeds the {MAX_POINTS:,}-point limit of a sweep",
                    field=f"grid {path}",
                    value=spec,
                )
            if count > 1 and start == stop:
                raise InputError(
                    "a range with equal start and stop has a step of zero",
                    field=f"grid {path}",
                    value=spec,
                )
            return [float(v) for v in np.linspace(start, stop, count)]
        items = [item.strip() for item in text.split(",")]
        if not text or any(not item for item in items):
            raise InputError(
                "empty value in the grid",
                field=f"grid {path}",
                value=spec,
                allowed="give values such as 1B,3B,8B or a range such as 0:0.8:9",
            )
        return [_value(item) for item in items]
    values = list(np.asarray(spec).tolist()) if not isinstance(spec, (list, tuple)) else list(spec)
    if not values:
        raise InputError("empty list of values", field=f"grid {path}")
    return values


MAX_POINTS = 100_000_000
"""Largest sweep (points). Points are made and written block by block, so memory does not grow
with the grid; the limit bounds time (about 30 s per 100M points on the numpy engine). Assumption."""


def _value(text: str) -> Any:
    try:
        return _number(text)
    except ValueError:
        return text  # an id or preset name; the schema checks it


def _number(text: str) -> float:
    """A grid number: a quantity (``3B``) or a percentage (``30%`` is 0.3), as files accept."""
    if text.strip().endswith("%"):
        return float(text.strip()[:-1]) / 100
    return parse_quantity(text, allow_zero=True)


def _field(path: str, scenario: Scenario) -> Any:
    """The pydantic field at a path (data sources by name), or an error naming the entry."""
    cls: Any = type(scenario)
    info = None
    parts = path.split(".")
    names = [d.name for d in scenario.data]
    i = 0
    while i < len(parts):
        part = parts[i]
        if (
            not (isinstance(cls, type) and issubclass(cls, BaseModel))
            or part not in cls.model_fields
        ):
            raise InputError(
                f"unknown field path {path!r}",
                field=f"grid {path}",
                allowed="paths look like model.params, training.price_usd_per_hour, data.<source>.share",
            )
        info = cls.model_fields[part]
        cls = model_in(info.annotation)
        if part == "data":
            if i + 1 >= len(parts) or parts[i + 1] not in names:
                raise InputError(
                    "no data source by that name",
                    field=f"grid {path}",
                    allowed=f"sources: {', '.join(names) or 'none'}",
                )
            i += 1
        elif part == "stages":
            stage_names = [s.name for s in scenario.stages]
            if i + 1 >= len(parts) or not _stage_ref(parts[i + 1], stage_names):
                raise InputError(
                    "no stage by that name",
                    field=f"grid {path}",
                    allowed=f"stages: {', '.join(stage_names) or 'none'} (or their index 0, 1, ...)",
                )
            i += 1
        i += 1
    return info


def _stage_ref(part: str, names: list[str]) -> bool:
    """A stage addressed by name or by index."""
    return part in names or (part.isdigit() and int(part) < len(names))


def check_values(scenario: Scenario, path: str, values: Sequence[Any] | np.ndarray) -> None:
    """Every distinct value passes the schema's rules for its field (shares may be 0).

    Numeric fields' rules are bounds, so an array is checked by its extremes (and for NaN).
    """
    info = _field(path, scenario)
    check_axis(scenario, path, values, info.annotation)
    # the field's own validators and bounds (its metadata), so a law name reads as a preset
    kind = typing.Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(kind)  # type: ignore[arg-type]
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        if not np.isfinite(values).all():
            raise InputError("values must be finite numbers", field=f"grid {path}")
        values = [float(values.min()), float(values.max())]
    for value in dict.fromkeys(values):
        if path.endswith(".share") and value == 0:
            continue
        try:
            adapter.validate_python(value)
        except ValidationError as exc:
            problem = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
            raise InputError(problem, field=f"grid {path}", value=value) from None


@dataclass(frozen=True)
class Block:
    """A block of grid points in one categorical group: input columns by path."""

    group: dict[str, Any]
    numeric: dict[str, np.ndarray]
    size: int

    def inputs(self, paths: Sequence[str]) -> dict[str, Any]:
        return {
            p: self.numeric[p] if p in self.numeric else [self.group[p]] * self.size for p in paths
        }


@dataclass(frozen=True)
class Grid:
    """The points of a sweep, made block by block (product of axes, or zipped rows)."""

    paths: list[str]
    numeric: list[str]
    size: int
    axes: dict[str, list[Any]] | None
    frame: Any = None
    """The zipped points, when a DataFrame was given."""

    def blocks(self, rows: int = BLOCK) -> Iterator[Block]:
        """The points, block by block, in order (categorical groups outermost)."""
        for spec in self.specs(rows):
            yield self.block(spec)

    def specs(self, rows: int = BLOCK) -> Iterator[tuple[dict[str, Any], int, int, Any]]:
        """Cheap descriptions of the blocks: (group values, start, stop, frame rows or None)."""
        grouping = [p for p in self.paths if p not in self.numeric]
        if self.frame is not None:
            groups = (
                self.frame.groupby(grouping, sort=False, dropna=False).indices.items()
                if grouping
                else [((), np.arange(len(self.frame)))]
            )
            for key, index in groups:
                key = key if isinstance(key, tuple) else (key,)
                for start in range(0, len(index), rows):
                    yield (
                        dict(zip(grouping, key, strict=True)),
                        start,
                        min(start + rows, len(index)),
                        index[start : start + rows],
                    )
            return
        assert self.axes is not None
        inner = math.prod(len(self.axes[p]) for p in self.numeric)
        for key in itertools.product(*(self.axes[p] for p in grouping)):
            for start in range(0, inner, rows):
                yield dict(zip(grouping, key, strict=True)), start, min(start + rows, inner), None

    def block(self, spec: tuple[dict[str, Any], int, int, Any]) -> Block:
        """The points of one block description."""
        group, start, stop, index = spec
        if index is not None:
            return Block(
                group,
                {p: self.frame[p].to_numpy(dtype=float)[index] for p in self.numeric},
                len(index),
            )
        assert self.axes is not None
        shape = [len(self.axes[p]) for p in self.numeric]
        position = np.unravel_index(np.arange(start, stop), shape) if shape else ()
        return Block(
            group,
            {
                p: np.asarray(self.axes[p], dtype=float)[i]
                for p, i in zip(self.numeric, position, strict=True)
            },
            stop - start,
        )


def make_grid(base: Scenario, grid: Mapping[str, Any] | pd.DataFrame) -> Grid:
    """Parse and check a grid against the scenario it sweeps; no points are made yet."""
    import pandas as pd

    if isinstance(grid, pd.DataFrame):
        if grid.empty:
            raise InputError("the grid DataFrame has no rows", field="grid")
        paths = [str(c) for c in grid.columns]
        for path in paths:
            check_values(
                base,
                path,
                grid[path].to_numpy()
                if pd.api.types.is_float_dtype(grid[path])
                else grid[path].tolist(),
            )
        numeric = [p for p in paths if NUMERIC.match(p) and pd.api.types.is_numeric_dtype(grid[p])]
        return Grid(paths, numeric, len(grid), None, grid.reset_index(drop=True))
    if not grid:
        raise InputError(
            "the grid is empty", field="grid", allowed="give at least one field path and its values"
        )
    axes = {path: parse_axis(path, spec) for path, spec in grid.items()}
    size = 1
    for values in axes.values():
        size *= len(values)
    if size > MAX_POINTS:
        raise InputError(
            f"the grid has {size:,} points; a sweep is limited to {MAX_POINTS:,}",
            field="grid",
            allowed="fewer values per axis, or several sweeps",
        )
    for path, values in axes.items():
        check_values(
            base, path, np.asarray(values, dtype=float) if _all_numbers(values) else values
        )
    numeric = [p for p in axes if NUMERIC.match(p) and _all_numbers(axes[p])]
    return Grid(list(axes), numeric, size, axes)


def _all_numbers(values: Sequence[Any]) -> bool:
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)


def grouped(base: Scenario, values: Mapping[str, Any]) -> Scenario:
    """The base scenario with categorical values set, validated like a variant."""
    if not values:
        return base
    document = base.model_dump()
    for path, value in values.items():
        set_path(document, path, value, where="grid")
    return validate(document, prefix="grid")


def output_columns(uncertainty: bool) -> list[str]:
    """Output columns of a sweep, in order: point outputs, flags, then P10/P50/P90."""
    names = [*evaluate.OUTPUTS, *(f"flag_{rule.name}" for rule in flags.RULES)]
    if uncertainty:
        names += [
            f"{n}_p{round(q * 100)}" for n in monte_carlo.NAMES for q in monte_carlo.QUANTILES
        ]
    return names


def evaluate_block(
    scenario: Scenario, block: Block, uncertainty: bool = False
) -> dict[str, np.ndarray]:
    """Every output column for a block of points of one group (``scenario`` is the group's)."""
    chunk = scenario
    for path, values in block.numeric.items():
        chunk = evaluate.with_values(chunk, path, values)
    shares = {
        p.split(".")[1] for p in block.numeric if p.startswith("data.") and p.endswith(".share")
    }
    ev = evaluate.evaluate(chunk, block.size, shares)
    out = {name: ev[name] for name in evaluate.OUTPUTS}
    out.update(flags.columns(ev))
    if uncertainty:
        ranges = monte_carlo.ranges(ev, scenario.uncertainty)
        for name in monte_carlo.NAMES:
            for k, q in enumerate(monte_carlo.QUANTILES):
                out[f"{name}_p{round(q * 100)}"] = (
                    ranges[name][:, k] if ranges is not None else np.full(block.size, np.nan)
                )
    return out


def parse_grid_flags(entries: Sequence[str]) -> dict[str, str]:
    """``--grid PATH=VALUES`` flags into a grid mapping."""
    grid: dict[str, str] = {}
    for entry in entries:
        path, sep, values = entry.partition("=")
        if not sep or not path.strip():
            raise InputError(
                "a grid entry is PATH=VALUES",
                field="--grid",
                value=entry,
                allowed="e.g. model.params=1B,3B,8B or data.synthetic.share=0:0.8:9",
            )
        if path.strip() in grid:
            raise InputError("the same path is given twice", field="--grid", value=entry)
        grid[path.strip()] = values
    return grid
