"""Building blocks of the scenario schema: the strict base model and the field types.

Quantities accept human strings (``70B``) through :mod:`planner.units`; accelerators
accept a catalog id or an inline spec; utilisation accepts a number or a range.

Every number in a :class:`Strict` model is finite (inf and NaN are refused), within the
sanity bound :data:`MAGNITUDE` (so no formula downstream can overflow), and never a yes/no
value (``accelerator_count: true`` is an error, not 1). Bounds: :mod:`planner.limits`.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from planner.errors import InputError
from planner.limits import (
    MAGNITUDE,
    MAX_NAME_LENGTH,
    MAX_PARAMS,
    MAX_PEAK_TFLOPS,
    MAX_PRICE_USD_PER_HOUR,
    MAX_QUANTITY,
    MAX_TOKENS,
    MIN_PEAK_TFLOPS,
    MIN_UTILIZATION,
)
from planner.scenario.accelerators import Accelerator, hardware
from planner.units import parse_quantity

__all__ = [
    "AcceleratorRef",
    "Amount",
    "Name",
    "Params",
    "PeakTflops",
    "PriceUsdPerHour",
    "Quantity",
    "Range",
    "Spread",
    "Strict",
    "Tokens",
    "Utilization",
    "price_or_catalog",
]


MAX_QUANTITY_TEXT = 40
"""Characters in a quantity given as text (``1.4T``, ``3.8e25``). Longer text is refused before
it reaches the parser, whose pattern backtracks quadratically on long runs of spaces."""


def _short(value: object) -> object:
    if isinstance(value, str) and len(value) > MAX_QUANTITY_TEXT:
        raise ValueError(
            f"is {len(value):,} characters long; a quantity is a number such as 70B or 1.4e12"
        )
    return value


def _quantity(value: object) -> float:
    try:
        return _bounded(parse_quantity(_short(value)), MAX_QUANTITY, "count")
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _quantity_or_zero(value: object) -> float:
    try:
        return _bounded(parse_quantity(_short(value), allow_zero=True), MAX_QUANTITY, "amount")
    except ValueError as exc:
        raise ValueError(str(exc)) from None


def _bounded(number: float, most: float, what: str, name: str = "MAX_QUANTITY") -> float:
    if number > most:
        raise ValueError(
            f"is above {most:g}, the sanity bound for a {what} (planner.limits {name})"
        )
    return number


def _at_most(most: float, what: str, name: str) -> AfterValidator:
    return AfterValidator(lambda number: _bounded(number, most, what, name))


def _accelerator(value: object) -> object:
    if isinstance(value, str):
        try:
            return hardware(value)
        except InputError as exc:
            raise ValueError(str(exc)) from None
    return value


SHARE_FIELDS = frozenset(
    {"share", "utilization", "low", "high", "point", "acceptance_yield", "evaluation_share",
     "max_synthetic_share", "interconnect_share"}
)  # fmt: skip
"""Fields that are shares of a whole, so ``30%`` may be written for 0.3."""


def _written_number(value: str, field: str) -> object:
    """``30%`` as 0.3 in a share field; a ``$`` in front of a number refused with how to write it."""
    text = value.strip()
    if len(text) > 40:
        return value
    if text.startswith("$"):
        raise ValueError(
            f"write {text[1:].strip()!r} without the '$': the field is in dollars already"
        )
    if text.endswith("%") and field in SHARE_FIELDS:
        try:
            return float(text[:-1]) / 100
        except ValueError:
            return value
    return value


def _range(value: object) -> object:
    if value is True or value is False:
        raise ValueError("is a yes/no value; give a number such as 0.4 or {low, high}")
    if isinstance(value, str):
        value = _written_number(value, "utilization")
    if isinstance(value, str):  # YAML 1.1 reads 1e-3 (no dot) as text: take it as the number
        try:
            value = float(value)
        except ValueError:
            return value
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
"""A positive count such as ``70B`` or ``1.4e12`` (at most ``MAX_QUANTITY``)."""
Params = Annotated[Quantity, _at_most(MAX_PARAMS, "parameter count", "MAX_PARAMS")]
"""A parameter count such as ``70B`` (at most ``MAX_PARAMS``, a sanity bound)."""
Tokens = Annotated[Quantity, _at_most(MAX_TOKENS, "token count", "MAX_TOKENS")]
"""A token count such as ``1.4T`` (at most ``MAX_TOKENS``, a sanity bound)."""
PriceUsdPerHour = Annotated[float, Field(gt=0, le=MAX_PRICE_USD_PER_HOUR)]
"""USD per accelerator-hour (at most ``MAX_PRICE_USD_PER_HOUR``, a sanity bound)."""
PeakTflops = Annotated[float, Field(ge=MIN_PEAK_TFLOPS, le=MAX_PEAK_TFLOPS)]
"""A dense peak in TFLOP/s (``MIN_PEAK_TFLOPS`` to ``MAX_PEAK_TFLOPS``, sanity bounds)."""
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH)]
"""A scenario, plan or source name (at most ``MAX_NAME_LENGTH`` characters)."""
Amount = Annotated[float, BeforeValidator(_quantity_or_zero, json_schema_input_type=float | str)]
"""A non-negative amount (may be zero), e.g. a fee in dollars."""
AcceleratorRef = Annotated[
    Accelerator, BeforeValidator(_accelerator, json_schema_input_type=str | Accelerator)
]
"""A catalog id (``h100-sxm``) or an inline custom spec."""


def _numeric(annotation: Any) -> bool:
    """Whether a field holds only numbers (``int``, ``float``, optionally ``None``)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _numeric(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        return bool(args) and all(_numeric(a) for a in args)
    return annotation in (int, float)


@functools.cache
def _numeric_field(model: type[BaseModel], name: str) -> bool:
    return _numeric(model.model_fields[name].annotation)


class Strict(BaseModel):
    """Base: unknown fields are errors; values are frozen once validated; numbers are finite,
    never yes/no values, and within the sanity bound :data:`MAGNITUDE`."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_yes_no_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # the cheap test first: this runs for every field of every model
        yes_no = value is True or value is False
        if yes_no and info.field_name is not None and _numeric_field(cls, info.field_name):
            raise ValueError("is a yes/no value; give a number")
        # only a number field reads "$5" or "30%": a text field keeps "$5M budget run"
        if (
            isinstance(value, str)
            and info.field_name is not None
            and (_numeric_field(cls, info.field_name) or info.field_name in SHARE_FIELDS)
        ):
            return _written_number(value, info.field_name)
        return value

    @field_validator("*", mode="after")
    @classmethod
    def _sane_magnitude(cls, value: Any) -> Any:
        number = isinstance(value, float) or (
            isinstance(value, int) and not isinstance(value, bool)
        )
        if number and value != 0:
            low, high = MAGNITUDE
            if not low <= abs(value) <= high:
                raise ValueError(
                    f"is outside {low:g} to {high:g} in size, the sanity bound on every number (planner.limits)"
                )
        return value


class Range(Strict):
    """A low/high range with a central value; a single number means all three are equal.

    In the Monte Carlo, low and high are the 10th and 90th percentiles and the central
    value the median (see :mod:`planner.plan.monte_carlo`).
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
        raise ValueError(
            f"utilisation {value.high} is above 1 (100% of peak); give a share such as 0.4"
        )
    if value.low < MIN_UTILIZATION:
        raise ValueError(
            f"utilisation {value.low:g} is below {MIN_UTILIZATION:g}, the sanity bound "
            "(planner.limits); give a share of peak such as 0.4"
        )
    return value


Utilization = Annotated[
    Range,
    BeforeValidator(_range, json_schema_input_type=float | Range),
    AfterValidator(_at_most_one),
]
"""A share of peak in (0, 1]: a number or {low, high, point}."""
Spread = Annotated[Range, BeforeValidator(_range, json_schema_input_type=float | Range)]
"""A positive value or {low, high, point}, e.g. a synthetic value weight."""
