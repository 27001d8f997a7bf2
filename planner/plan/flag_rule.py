"""The shape of a flag rule (planner.plan.flags holds the rules; this module only the type)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from planner.plan.evaluate import Evaluation

__all__ = ["Rule", "one"]


@dataclass(frozen=True)
class Rule:
    """One flag: which rows raise it, what it says for a row, and where the threshold comes from."""

    name: str
    """Column ``flag_<name>`` in a sweep."""
    level: str
    """``warning`` (check it) or ``risk`` (outside what the evidence covers)."""
    source: str
    test: Callable[[Evaluation], np.ndarray]
    messages: Callable[[Evaluation, int], list[str]]
    section: str = "quality"
    """``quality`` (listed as flags with sources) or ``compute`` (listed as plan warnings)."""


def one(text: Callable[[Evaluation, int], str]) -> Callable[[Evaluation, int], list[str]]:
    """Messages of a rule that says one thing per row."""
    return lambda ev, row: [text(ev, row)]
