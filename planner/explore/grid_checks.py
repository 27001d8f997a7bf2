"""Checks on a sweep's axis that the schema makes for a scenario file but a swept value skips.

A numeric axis reaches the plan model as an array, so the loader never validates each value:
the rules of :class:`planner.scenario.fields.Strict` (finite, within the sanity bound, whole numbers for
integer fields) and the cross-field rules (a layout's accelerator count, a preset's speed-up
cap) are checked here, with the value in the message (issue 13 standard).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from planner.errors import InputError
from planner.limits import MAGNITUDE

__all__ = ["check_axis"]


def check_axis(
    scenario: Any, path: str, values: Sequence[Any] | np.ndarray, annotation: Any
) -> None:
    """Refuse ``values`` for ``path`` that a scenario file giving them would refuse."""
    _set_in_base(scenario, path)
    numbers = isinstance(values, np.ndarray) or all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in values
    )
    if not numbers:
        return
    array = np.asarray(values, dtype=float)
    if not np.isfinite(array).all():
        raise InputError("values must be finite numbers", field=f"grid {path}")
    low, high = MAGNITUDE  # what Strict checks for every number of a scenario file
    size = np.abs(array[array != 0])
    if size.size and not (low <= size.min() and size.max() <= high):
        raise InputError(
            f"is outside {low:g} to {high:g} in size, the sanity bound on every number "
            "(planner.limits)",
            field=f"grid {path}",
            value=float(size.min() if size.min() < low else size.max()),
        )
    if annotation is int and (fraction := array[array != np.round(array)]).size:
        raise InputError(
            "must be whole numbers; this range makes fractions",
            field=f"grid {path}",
            value=float(fraction[0]),
            allowed="whole numbers, e.g. a list 256,512,1024 or a range whose step is whole",
        )
    layout, arch = scenario.training.layout, scenario.model.architecture
    if path == "training.accelerator_count" and layout is not None and arch is not None:
        from planner.scenario.layout import check_counts

        check_counts(layout, array, experts=arch.experts)
    parts = path.split(".")
    if parts[0] == "mixture" and parts[2:] == ["max_gain"]:
        cap = scenario.mixture.gain(parts[1]).speedup_cap  # GainPreset's rule, per value
        if array.max() > cap:
            raise InputError(
                f"is above the preset's speedup_cap {cap:g}",
                field=f"grid {path}",
                value=float(array.max()),
                allowed=f"values up to {cap:g}, or sweep mixture.{parts[1]} with inline constants",
            )


def _set_in_base(scenario: Any, path: str) -> None:
    """Every group on the path is set in the base scenario (a swept self_hosted.utilization
    on an api generator reached None and raised AttributeError)."""
    parts = path.split(".")
    node: Any = scenario
    for depth, part in enumerate(parts[:-1]):
        if parts[0] == "data" and depth < 2:
            if depth == 1:  # data.<name>: _field has checked that the source exists
                node = next(d for d in scenario.data if d.name == part)
            continue
        if parts[0] == "stages" and depth < 2:
            if depth == 1:  # stages.<name or index>: _field has checked that it exists
                names = [s.name for s in scenario.stages]
                node = scenario.stages[names.index(part) if part in names else int(part)]
                other = {"share": "tokens", "tokens": "share"}.get(parts[-1])
                if len(parts) == 3 and other and getattr(node, other) is not None:
                    raise InputError(
                        f"stage {node.name} gives {other} in the base scenario; sweep "
                        f"stages.{part}.{other} instead, or give {parts[-1]} in the file",
                        field=f"grid {path}",
                    )
            continue
        node = getattr(node, part, None)
        if node is None:
            here = ".".join(parts[: depth + 1])
            raise InputError(
                f"{here} is not set in the base scenario, so it has no {parts[-1]} to sweep",
                field=f"grid {path}",
                allowed=f"set {here} in the scenario first",
            )
