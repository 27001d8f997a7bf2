"""The age of a catalog price: when it was quoted, against the date a plan is made.

Catalog prices (``planner/data/hardware.csv``) carry a ``price_date`` written as a year
(``2025``), a half year (``2024-H2``) or a month (``2023-05``). Accelerator rental prices
fall quickly (H100 on-demand list prices roughly halved from 2023 to 2025,
docs/hardware-literature.md), so a plan priced from a quote more than
:data:`STALE_AFTER_DAYS` old is flagged.

A period is taken at its **last** day (``2025`` is 2025-12-31), so a price is never called
older than it can be.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

__all__ = ["STALE_AFTER_DAYS", "months_old", "quoted_on", "stale"]

STALE_AFTER_DAYS = 365
"""A catalog price older than this, at the plan's date, is flagged. Assumption: a year, the
usual span of a cloud price list; the flag asks for a current quote, it changes no number."""

_PATTERN = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{1,2}))?$")


def quoted_on(price_date: str | None) -> dt.date | None:
    """The last day of the period a price was quoted in; None when unknown or unreadable.

    >>> quoted_on("2024-H2"), quoted_on("2023-05"), quoted_on("2025")
    (datetime.date(2024, 12, 31), datetime.date(2023, 5, 31), datetime.date(2025, 12, 31))
    """
    match = _PATTERN.match((price_date or "").strip())
    if match is None:
        return None
    year, part = int(match.group(1)), match.group(2)
    if part is None:
        month = 12
    elif part[0] == "H":
        month = 6 * int(part[1])
    elif part[0] == "Q":
        month = 3 * int(part[1])
    else:
        month = int(part)
        if not 1 <= month <= 12:
            return None
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def months_old(price_date: str | None, as_of: dt.date) -> int | None:
    """Whole months from the quote to ``as_of`` (None when the date is unknown)."""
    quoted = quoted_on(price_date)
    if quoted is None:
        return None
    return max(0, (as_of.year - quoted.year) * 12 + as_of.month - quoted.month)


def stale(price_date: str | None, as_of: dt.date) -> bool:
    """Whether a price quoted at ``price_date`` is over :data:`STALE_AFTER_DAYS` old."""
    quoted = quoted_on(price_date)
    return quoted is not None and (as_of - quoted).days > STALE_AFTER_DAYS
