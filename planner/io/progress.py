"""Progress bars on standard error for work that can take more than a few seconds.

One helper for every long loop (sweeps, uncertainty sweeps, Dask sweeps, large fits, the
optimiser's starts), drawn with tqdm. A bar appears only when standard error is a terminal
and the user did not ask for quiet (``planner --quiet``, or :func:`quiet` in a notebook or a
script); otherwise nothing is printed, so logs, pipes and tests stay clean.

Two forms::

    with progress(total=rows, label="sweeping", unit="rows") as advance:
        for block in blocks:
            ...
            advance(len(block))

    for start in tracked(starts, label="fitting", unit="starts"):
        ...

Layer: base (imports nothing from the planner), so every layer may use it.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

__all__ = ["MIN_SECONDS", "enabled", "progress", "quiet", "tracked"]

T = TypeVar("T")

QUIET: ContextVar[bool] = ContextVar("planner_quiet", default=False)
"""Set by ``planner --quiet`` (and :func:`quiet`): no bars at all."""

MIN_SECONDS = 2.0
"""A bar is drawn only once the work has run this long (tqdm's ``delay``), so quick commands
print nothing. Assumption: under two seconds a bar is noise rather than news."""


def enabled() -> bool:
    """Whether bars are drawn: standard error is a terminal and quiet was not asked for."""
    if QUIET.get():
        return False
    isatty = getattr(_stream(), "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


@contextlib.contextmanager
def quiet(on: bool = True) -> Iterator[None]:
    """No progress bars inside the block (``planner --quiet``)."""
    token = QUIET.set(on)
    try:
        yield
    finally:
        QUIET.reset(token)


def _bar(total: float | None, label: str, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=label,
        unit=unit,
        unit_scale=True,
        file=_stream(),
        delay=MIN_SECONDS,
        leave=False,
        dynamic_ncols=True,
    )


@contextlib.contextmanager
def progress(
    total: float | None, label: str, unit: str = "it"
) -> Iterator[Callable[[float], None]]:
    """Yield ``advance(n)``, which moves a bar on standard error by ``n`` (a no-op when bars
    are off). The bar is removed when the block ends, however it ends."""
    if not enabled():
        yield _nothing
        return
    bar = _bar(total, label, unit)
    try:
        yield bar.update
    finally:
        bar.close()


def tracked(
    items: Iterable[T], label: str, unit: str = "it", total: int | None = None
) -> Iterator[T]:
    """The items of ``items``, with a bar on standard error while they are worked through."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else None  # type: ignore[arg-type]
    with progress(total, label, unit) as advance:
        for item in items:
            yield item
            advance(1)


def _stream() -> Any:
    """Standard error as it is now (looked up at each call: tests and notebooks replace it)."""
    return sys.stderr


def _nothing(_: float) -> None:
    """The ``advance`` of a hidden bar."""
