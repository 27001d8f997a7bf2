"""Human quantities in and out: the one place that parses ``70B`` and prints ``$3.4M``.

Scenario files and CLI flags accept plain numbers, scientific notation and the
suffixes k, M, B (or G), T, P (thousand, million, billion, trillion, quadrillion).
Every output goes back through the ``format_*`` functions here, which the
report templates also use as jinja filters.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "EXPECTED",
    "MINUS",
    "SUFFIXES",
    "QuantityError",
    "format_bytes",
    "format_co2",
    "format_count",
    "format_days",
    "format_energy",
    "format_flops",
    "format_hours",
    "format_number",
    "format_ratio",
    "format_usd",
    "parse_quantity",
    "tick_labels",
]

SUFFIXES: dict[str, float] = {
    "": 1.0,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "B": 1e9,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
}

_QUANTITY = re.compile(r"^\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)\s*([A-Za-z]?)\s*$")

EXPECTED = (
    "a positive number such as 70B, 1.4T, 500M, 2.5k, 3.8e25 or 1000000 (suffixes k, M, B, T, P)"
)


class QuantityError(ValueError):
    """A value that is not a usable quantity; the message says what was expected."""


def _hint(text: str) -> str:
    """What a usual slip meant: ``$300k`` (a currency sign), ``1,000,000`` (separators).

    >>> _hint("$300k"), _hint("1,000,000"), _hint("lots")
    (' (write it without the $ sign: 300k)', ' (write it without separators: 1000000)', '')
    """
    bare = text.lstrip("$").strip()
    if text.startswith("$") and _QUANTITY.fullmatch(bare):
        return f" (write it without the $ sign: {bare})"
    joined = text.replace(",", "").replace("_", "")
    if joined != text and _QUANTITY.fullmatch(joined):
        return f" (write it without separators: {joined})"
    return ""


def parse_quantity(value: object, *, allow_zero: bool = False) -> float:
    """Parse a human quantity into a float.

    >>> parse_quantity("70B")
    70000000000.0
    >>> parse_quantity("1.4T")
    1400000000000.0
    >>> parse_quantity("3.8e25")
    3.8e+25
    >>> parse_quantity("2.5k"), parse_quantity(500), parse_quantity("500M")
    (2500.0, 500.0, 500000000.0)
    >>> parse_quantity("70X")
    Traceback (most recent call last):
    ...
    planner.units.QuantityError: '70X' has an unknown suffix 'X'; expected a positive number such as 70B, 1.4T, 500M, 2.5k, 3.8e25 or 1000000 (suffixes k, M, B, T, P)
    >>> parse_quantity("-5B")
    Traceback (most recent call last):
    ...
    planner.units.QuantityError: '-5B' is negative; expected a positive number such as 70B, 1.4T, 500M, 2.5k, 3.8e25 or 1000000 (suffixes k, M, B, T, P)
    """
    if isinstance(value, bool):
        raise QuantityError(f"{value!r} is a yes/no value; expected {EXPECTED}")
    if isinstance(value, (int, float)):
        number = float(value)
        text = repr(value)
    elif isinstance(value, str):
        text = repr(value)
        if not value.strip():
            raise QuantityError(f"an empty string is not a quantity; expected {EXPECTED}")
        match = _QUANTITY.fullmatch(value.strip())
        if match is None:
            raise QuantityError(
                f"{text} is not a number{_hint(value.strip())}; expected {EXPECTED}"
            )
        digits, suffix = match.groups()
        if suffix not in SUFFIXES:
            upper = suffix.upper()
            hint = ""
            if upper in SUFFIXES:  # 1.4t, 3b, 500m: the usual slip; suffixes are upper case but k
                hint = f" (did you mean {digits}{upper}? suffixes are upper case except k)"
            raise QuantityError(
                f"{text} has an unknown suffix {suffix!r}{hint}; expected {EXPECTED}"
            )
        number = float(digits) * SUFFIXES[suffix]
    else:
        raise QuantityError(f"{value!r} is not a number; expected {EXPECTED}")
    if math.isnan(number) or math.isinf(number):
        raise QuantityError(f"{text} is not a finite number; expected {EXPECTED}")
    if number < 0:
        raise QuantityError(f"{text} is negative; expected {EXPECTED}")
    if number == 0 and not allow_zero:
        raise QuantityError(f"{text} is zero; expected {EXPECTED}")
    return number


def _scaled(value: float, digits: int = 2) -> str:
    """Scale with k/M/B/T suffixes, keeping about ``digits`` significant figures.

    >>> _scaled(1_100_000), _scaled(4100), _scaled(3.4e6), _scaled(12.5), _scaled(0.25)
    ('1.1M', '4.1k', '3.4M', '12', '0.25')
    >>> _scaled(float("inf")), _scaled(float("-inf")), _scaled(float("nan"))
    ('inf', '-inf', 'n/a')
    """
    if value is None or math.isnan(value):
        return "n/a"
    sign = "-" if value < 0 else ""
    if math.isinf(value):
        return sign + "inf"
    magnitude = abs(value)
    for suffix, factor in (("P", 1e15), ("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3)):
        if magnitude >= factor * 0.9995:
            return sign + _sig(magnitude / factor, digits) + suffix
    return sign + _sig(magnitude, digits)


def _sig(value: float, digits: int) -> str:
    """Round to ``digits`` significant figures but never hide integer digits.

    The number of decimals follows the rounded value, so 0.99999 days reads ``1.0``, not
    ``1.00``, and 9.97 reads ``10``, not ``10.0``.

    >>> _sig(0.99999, 2), _sig(9.97, 2), _sig(0.5, 2), _sig(21.04, 2), _sig(130.2, 2)
    ('1.0', '10', '0.50', '21', '130')
    """
    if value == 0:
        return "0"
    places = max(digits - 1 - math.floor(math.log10(value)), 0)
    rounded = round(value, places)
    if rounded != 0:
        places = max(digits - 1 - math.floor(math.log10(abs(rounded))), 0)
    return f"{value:.{places}f}"


def format_count(value: float) -> str:
    """Counts such as parameters and tokens.

    >>> format_count(70e9), format_count(1.4e12), format_count(64_687_972_352)
    ('70B', '1.4T', '65B')
    """
    return _scaled(value)


def format_flops(value: float) -> str:
    """FLOPs in scientific notation, the way papers print them.

    >>> format_flops(5.9e21), format_flops(3.2856e24)
    ('5.9e21 FLOPs', '3.3e24 FLOPs')
    """
    if value is None or math.isnan(value):
        return "n/a"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa}e{int(exponent)} FLOPs"


def format_hours(value: float, unit: str = "GPU-h") -> str:
    """Accelerator-hours.

    >>> format_hours(1.1e6), format_hours(4100, "TPU-h")
    ('1.1M GPU-h', '4.1k TPU-h')
    """
    return f"{_scaled(value)} {unit}"


def format_usd(value: float) -> str:
    """Dollars.

    >>> format_usd(3.4e6), format_usd(5_576_000), format_usd(950), format_usd(0)
    ('$3.4M', '$5.6M', '$950', '$0')
    """
    if value is None or math.isnan(value):
        return "n/a"
    return "$" + _scaled(value)


def format_number(value: float) -> str:
    """A plain number to two significant figures, k/M/B suffixes when large.

    >>> format_number(7.86), format_number(17.6), format_number(2500)
    ('7.9', '18', '2.5k')
    """
    return _scaled(value)


def format_days(value: float) -> str:
    """Wall-clock days.

    >>> format_days(21.04), format_days(0.5), format_days(130.2)
    ('21 days', '0.50 days', '130 days')
    """
    if value is None or math.isnan(value):
        return "n/a"
    return f"{_sig(value, 2)} days"


def _in_units(value: float, ladder: tuple[tuple[str, float], ...], digits: int = 2) -> str:
    """``value`` in the largest unit of ``ladder`` (name, size; smallest first) it reaches.

    Moves to the next unit instead of printing ``1.1k GB``; beyond the last unit, plain
    thousands separators (``1,750 tCO2e``).
    """
    if value is None or math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return f"{'-' if value < 0 else ''}inf {ladder[0][0]}"
    name, size = ladder[0]
    for unit, factor in ladder:
        if abs(value) >= factor * 0.9995:
            name, size = unit, factor
    scaled = value / size
    if abs(scaled) >= 1000:
        return f"{scaled:,.0f} {name}"
    text = ("-" if scaled < 0 else "") + _sig(abs(scaled), digits)
    return f"{text} {name}"


def format_energy(kwh: float) -> str:
    """Energy: kWh, MWh, GWh, TWh.

    >>> format_energy(1_287_000), format_energy(850), format_energy(4.5e6), format_energy(623_000)
    ('1.3 GWh', '850 kWh', '4.5 GWh', '623 MWh')
    """
    return _in_units(kwh, (("kWh", 1.0), ("MWh", 1e3), ("GWh", 1e6), ("TWh", 1e9)))


def format_co2(tonnes: float) -> str:
    """Tonnes of CO2-equivalent.

    >>> format_co2(552.0), format_co2(0.4), format_co2(239.9), format_co2(8930), format_co2(1750)
    ('552 tCO2e', '0.4 tCO2e', '240 tCO2e', '8,930 tCO2e', '1,750 tCO2e')
    """
    text = _in_units(tonnes, (("tCO2e", 1.0),), 3)
    number, _, unit = text.partition(" ")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return f"{number} {unit}" if unit else text


def format_ratio(value: float) -> str:
    """Shares and utilisations as percentages.

    >>> format_ratio(0.4), format_ratio(0.3333)
    ('40%', '33%')
    """
    if value is None or math.isnan(value):
        return "n/a"
    return f"{value * 100:.0f}%"


def format_bytes(value: float) -> str:
    """Memory in decimal units (GB = 10^9 bytes, as accelerator datasheets count).

    >>> format_bytes(1.12e12), format_bytes(8e10), format_bytes(2.35e11), format_bytes(5e5)
    ('1.1 TB', '80 GB', '235 GB', '0.50 MB')
    """
    return _in_units(value, (("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("PB", 1e15)))


MINUS = "\u2212"
"""The minus sign of chart labels (one style throughout, as matplotlib's own ticks)."""


def tick_labels(values: list[float], prefix: str = "") -> list[str]:
    """Axis labels that name the tick's value exactly: each with the fewest digits that parse back.

    Ticks every $2.5M read ``$10M $12.5M $15M`` (not ``$12M`` for 12.5); counts read ``1B``;
    negatives take the typographic minus.

    >>> tick_labels([10e6, 12.5e6, 15e6, 17.5e6], "$")
    ['$10M', '$12.5M', '$15M', '$17.5M']
    >>> tick_labels([0.0, 5e8, 1e9, 1.5e9]), tick_labels([-2e5, 0, 2e5], "$")
    (['0', '500M', '1B', '1.5B'], ['\u2212$200k', '$0', '$200k'])
    """
    finite = [abs(v) for v in values if math.isfinite(v)]
    tiny = 1e-9 * max(finite, default=0.0)
    labels = []
    for value in values:
        if not math.isfinite(value):
            labels.append(_scaled(value))
            continue
        magnitude = abs(value)
        if magnitude <= tiny:
            labels.append(f"{prefix}0")
            continue
        for digits in range(1, 8):
            text = _scaled(magnitude, digits)
            if math.isclose(parse_quantity(text), magnitude, rel_tol=1e-6):
                break
        labels.append((MINUS if value < 0 else "") + prefix + text)
    return labels
