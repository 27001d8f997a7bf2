"""Building blocks of the scenario schema: the strict base model and the field types.

Quantities accept human strings (``70B``) through :mod:`planner.units`; accelerators
accept a catalog id or an inline spec; utilisation accepts a number or a range.
"""

from __future__ import annotations

from typing import Annotated, Any, TypeAlias

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from planner.errors import InputError
from planner.hardware import Accelerator, hardware
from planner.units import parse_quantity


def _quantity(value: object) -> float:
    try:
        return parse_quantity(value)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _quantity_or_zero(value: object) -> float:
    try:
        return parse_quantity(value, allow_zero=True)
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _accelerator(value: object) -> object:
    if isinstance(value, str):
        try:
            return hardware(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


def _range(value: object) -> object:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return {"low": value, "high": value}
    return value


def price_or_catalog(given: float | None, accelerator: Accelerator, field: str) -> float:
    """The price a scenario gives, else the catalog's; an error naming ``field`` if neither."""
    price = given if given is not None else accelerator.price_usd_per_hour
    if price is None:
        raise InputError(
            f"accelerator {accelerator.id} has no default price in the catalog",
            field=field,
            allowed=f"set {field}",
        )
    return price


Quantity = Annotated[float, BeforeValidator(_quantity, json_schema_input_type=float | str)]
"""A positive count such as ``70B`` or ``1.4e12``."""
Amount = Annotated[float, BeforeValidator(_quantity_or_zero, json_schema_input_type=float | str)]
"""A non-negative amount (may be zero), e.g. a fee in dollars."""
AcceleratorRef = Annotated[
    Accelerator, BeforeValidator(_accelerator, json_schema_input_type=str | Accelerator)
]
"""A catalog id (``h100-sxm``) or an inline custom spec."""


Number: TypeAlias = Any
"""A float or a numpy array: every formula function accepts both. (Typed as Any: numpy's
operator stubs do not combine with a float | ndarray union.)"""


class Strict(BaseModel):
    """Base: unknown fields are errors; values are frozen once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(Strict):
    """A low/high range with a central value; a single number means all three are equal.

    In the Monte Carlo, low and high are the 10th and 90th percentiles and the central
    value the median (see :mod:`planner.montecarlo`).
    """

    low: float = Field(gt=0, description="Low end (10th percentile).")
    high: float = Field(gt=0, description="High end (90th percentile).")
    point: float | None = Field(
        None, gt=0, description="Central estimate (median). Default: midpoint of low and high."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.low > self.high:
            raise ValueError(f"low {self.low} is above high {self.high}")
        if self.point is not None and not self.low <= self.point <= self.high:
            raise ValueError(f"point {self.point} is outside low {self.low} to high {self.high}")
        return self

    @property
    def mid(self) -> float:
        """Central value: ``point``, else the midpoint."""
        return self.point if self.point is not None else (self.low + self.high) / 2


def _at_most_one(value: Range) -> Range:
    if value.high > 1:
        raise ValueError(f"utilisation {value.high} is above 1 (100% of peak); give a share such as 0.4")
    return value


Utilization = Annotated[
    Range,
    BeforeValidator(_range, json_schema_input_type=float | Range),
    AfterValidator(_at_most_one),
]
"""A share of peak in (0, 1]: a number or {low, high, point}."""
Spread = Annotated[Range, BeforeValidator(_range, json_schema_input_type=float | Range)]
"""A positive value or {low, high, point}, e.g. a synthetic value weight."""
