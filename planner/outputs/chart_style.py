"""How every report chart looks: figure set-up, SVG output, tick labels, plan colours and markers.

Text is written as real SVG ``<text>`` (``svg.fonttype: none``), so it is searchable and read
by screen readers; matplotlib escapes it as XML, and ``text.parse_math: False`` keeps a ``$``
in a scenario's names from starting mathtext. Each chart's SVG carries a ``<title>``.
Output is deterministic (fixed hash salt, no date).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ParamSpec, cast

from planner import units

__all__ = [
    "COLORS",
    "MARKERS",
    "RC",
    "count_axis",
    "drawn",
    "figure",
    "plan_label",
    "plan_style",
    "svg",
    "usd_axis",
]

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLORS = (
    "#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860",
    "#da8bc3", "#8c8c8c", "#ccb974", "#64b5cd", "#1b1b1b", "#a6d854",
)  # fmt: skip
"""Twelve distinct colours (seaborn "deep", then black and light green): no repeat up to 12 plans."""

MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<", ">")
"""Eleven markers; with the twelve colours, (colour, marker) repeats only after 132 plans."""

RC: dict[str, Any] = {
    "svg.hashsalt": "planner",
    "svg.fonttype": "none",
    "text.parse_math": False,
    "axes.unicode_minus": True,
    "axes.formatter.useoffset": False,
    "font.family": "sans-serif",
    # matplotlib measures text in DejaVu Sans; the fallbacks are narrower, so text never outgrows its box
    "font.sans-serif": ["DejaVu Sans", "Arial", "Liberation Sans", "Helvetica"],
    "font.size": 9,
    "legend.fontsize": 8,
}
"""matplotlib settings for every chart (applied inside an rc_context, never globally)."""


P = ParamSpec("P")


def drawn(chart: Callable[P, str]) -> Callable[P, str]:
    """Draw ``chart`` under RC (matplotlib reads most settings as each artist is made)."""

    @functools.wraps(chart)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> str:
        import matplotlib

        matplotlib.use("Agg")
        with matplotlib.rc_context(cast(Any, RC)):  # RC keys are checked by matplotlib at run time
            return chart(*args, **kwargs)

    return wrapper


LABEL_CHARS = 40
"""Longest plan name drawn whole in a chart (assumption: a presentation limit; longer names are
shortened in the middle, the tables and each chart's ``<title>`` keep them whole)."""


def plan_label(name: str, limit: int = LABEL_CHARS) -> str:
    """A plan name short enough for an axis or legend: its start and end around an ellipsis.

    A 120-character variant name once collapsed every chart's axes to nothing.

    >>> plan_label("phi4-style-14b/h200"), plan_label("x" * 30 + "/variant-with-a-long-name", 30)
    ('phi4-style-14b/h200', 'xxxxxxxxxxxxxxx…th-a-long-name')
    """
    if len(name) <= limit:
        return name
    keep = limit - 1
    return name[: keep - keep // 2] + "…" + name[len(name) - keep // 2 :]


def plan_style(index: int) -> dict[str, Any]:
    """Colour and marker of the ``index``-th plan."""
    return {"color": COLORS[index % len(COLORS)], "marker": MARKERS[index % len(MARKERS)]}


def figure(width: float = 7.5, height: float = 3.6) -> Figure:
    """A constrained-layout figure (legends placed "outside" get room of their own)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def svg(chart: Figure, title: str) -> str:
    """The figure as an ``<svg>`` element whose first child is ``<title>``."""
    from markupsafe import escape

    buffer = io.StringIO()
    chart.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    text = text[text.index("<svg") :]
    head = text.index(">") + 1
    opening = text[:head].replace("<svg ", '<svg role="img" ', 1)
    return f"{opening}\n<title>{escape(title)}</title>{text[head:]}"


class _Labels:
    """A matplotlib formatter whose tick labels name their values exactly (units.tick_labels)."""

    def __init__(self, prefix: str) -> None:
        from matplotlib.ticker import Formatter

        class Labels(Formatter):
            def __call__(self, x: float, pos: int | None = None) -> str:
                return units.tick_labels([x], prefix)[0]

            def format_ticks(self, values: Sequence[float]) -> list[str]:
                return units.tick_labels(list(values), prefix)

        self.formatter = Labels()


def usd_axis(axis: Any, bins: int | None = None) -> None:
    """Dollar ticks at round values, labelled ``$10M $12.5M $15M``."""
    _axis(axis, "$", bins)


def count_axis(axis: Any, bins: int | None = None) -> None:
    """Count ticks at round values, labelled ``500M 1B 1.5B``."""
    _axis(axis, "", bins)


def _axis(axis: Any, prefix: str, bins: int | None) -> None:
    from matplotlib.ticker import MaxNLocator

    if bins is not None:
        axis.set_major_locator(MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]))
    axis.set_major_formatter(_Labels(prefix).formatter)
