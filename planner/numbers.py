"""The ``Number`` type of formula functions, in a module of its own so that formulas import
neither pydantic nor the scenario schema."""

from __future__ import annotations

from typing import Any, TypeAlias

__all__ = ["Number"]

Number: TypeAlias = Any
"""A float or a numpy array: every formula function accepts both. (Typed as Any: numpy's
operator stubs do not combine with a float | ndarray union.)"""
