"""The HTML page of a sweep: frontier, heatmap, flags, assumptions, how to read share axes, footer.

Takes the finished sweep columns (a pandas frame read back from the results file) and the
scenario; formats through :mod:`planner.units`, renders ``sweep.html``. Nothing is computed
here beyond counting rows and picking the frontier rows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from planner import units
from planner.explore.analysis import frontier_mask
from planner.io.reading import digest
from planner.outputs import charts
from planner.outputs.report import Chart, environment
from planner.outputs.report_tables import ASSUMPTIONS_IN_FORCE
from planner.scenario.schema import Scenario
from planner.version import __version__

__all__ = ["render_sweep_report", "sweep_report_columns"]

FLAG_PREFIX = "flag_"


def sweep_report_columns(axes: list[str], available: list[str]) -> list[str]:
    """The columns the page reads from a sweep's results file (axes, outputs, flag columns)."""
    wanted = [
        *axes,
        "total_cost_usd",
        "loss",
        "tokens",
        "synthetic_share",
        "synthetic_generation_usd",
    ]
    return [c for c in dict.fromkeys(wanted) if c in available] + [
        c for c in available if c.startswith(FLAG_PREFIX)
    ]


def _value(value: Any) -> str:
    """An axis value as people write it: 7B, 1.4T, 0.25, h100-sxm."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if math.isfinite(value) and abs(value) >= 1000:
        return units.tick_labels([float(value)])[0]
    return f"{value:.4g}"


def _flag_label(name: str) -> str:
    """A flag column's rule name as words, with the unit its threshold is in.

    >>> _flag_label("synthetic_share_over_50"), _flag_label("epochs_over_4")
    ('synthetic share above 50%', 'a pool read more than 4 epochs')
    >>> _flag_label("human_stock_exceeded")
    'human stock exceeded'
    """
    share = re.fullmatch(r"(\w+)_share_over_(\d+)", name)
    if share:
        return f"{share[1].replace('_', ' ')} share above {share[2]}%"
    epochs = re.fullmatch(r"epochs_over_(\d+)", name)
    if epochs:
        return f"a pool read more than {epochs[1]} epochs"
    return name.replace("_", " ")


def _flags(frame: Any) -> list[dict[str, str]]:
    """Each flag raised anywhere in the sweep, once, with how many points raise it."""
    from planner.plan.flags import RULES

    rules = {rule.name: rule for rule in RULES}
    found = []
    for column in frame.columns:
        if not column.startswith(FLAG_PREFIX):
            continue
        raised = int(frame[column].astype(bool).sum())
        rule = rules.get(column[len(FLAG_PREFIX) :])
        if raised and rule is not None:
            found.append({"level": rule.level, "message": _flag_label(rule.name), "source": rule.source,
                          "plans": f"{raised:,} of {len(frame):,} points"})  # fmt: skip
    return found


def _share_notes(frame: Any, axes: list[str], scenario: Scenario | None) -> list[str]:
    """How to read a swept ``data.<source>.share``: the others rescale; generation follows unique tokens."""
    if scenario is None:
        return []
    notes = []
    sources = {d.name: d for d in scenario.data}
    for axis in axes:
        parts = axis.split(".")
        if len(parts) != 3 or parts[0] != "data" or parts[2] != "share" or parts[1] not in sources:
            continue
        name = parts[1]
        others = [d.name for d in scenario.data if d.name != name and d.synthetic is not None]
        note = (f"Setting {name}'s share rescales the other sources to fill the rest, keeping their "
                "proportions; the synthetic share column counts every synthetic source.")  # fmt: skip
        zero = frame[frame[axis] == 0]
        if others and len(zero) and "synthetic_share" in frame:
            note += (f" At {name} share 0 it is still {units.format_ratio(float(zero['synthetic_share'].min()))}"
                     f" (from {', '.join(others)}).")  # fmt: skip
        source = sources[name]
        if source.synthetic is not None and source.unique_tokens is not None:
            note += (f" Generation cost follows {name}'s unique_tokens ({units.format_count(float(source.unique_tokens))}"
                     " tokens generated once), not its share: a larger share repeats them more often (more epochs), "
                     "so cost stays flat as the share grows and drops only when the share is 0.")  # fmt: skip
        notes.append(note)
    return notes


def _prices(scenario: Scenario, frame: Any, axes: list[str]) -> list[list[str]]:
    """The accelerator price of every row: each swept accelerator's, or the swept prices."""
    training = scenario.training
    if "training.price_usd_per_hour" in axes:
        swept = sorted({float(v) for v in frame["training.price_usd_per_hour"]})
        return [["price per accelerator-hour", ", ".join(f"${v:.2f}" for v in swept), "swept"]]
    if training.price_usd_per_hour:
        ids = [training.accelerator.id]
        if "training.accelerator" in axes:
            ids = sorted({str(v) for v in frame["training.accelerator"]})
        return [[f"price ({', '.join(ids)})", f"${training.price_usd_per_hour:.2f} per hour",
                 "given in the scenario"]]  # fmt: skip
    accelerators = [training.accelerator]
    if "training.accelerator" in axes:
        from planner.scenario.accelerators import hardware

        ids = sorted({str(v) for v in frame["training.accelerator"]})
        accelerators = [
            training.accelerator if i == training.accelerator.id else hardware(i) for i in ids
        ]
    return [[f"price ({a.id})", f"${a.price_usd_per_hour or math.nan:.2f} per hour",
             (a.price_source or "catalog") + (f" (quoted {a.price_date})" if a.price_date else "")]
            for a in accelerators]  # fmt: skip


def _assumptions(
    scenario: Scenario | None, frame: Any = None, axes: list[str] | None = None
) -> list[list[str]]:
    rows = [[a.name, str(a.value), a.source] for a in ASSUMPTIONS_IN_FORCE]
    if scenario is not None:
        law, training = scenario.law, scenario.training
        rows.append([f"scaling law ({law.name})", law.fitted_on, law.source])
        rows.append(["FLOPs convention", training.flops_convention, "docs/decisions.md"])
        rows += _prices(scenario, frame, axes or [])
    return rows


def _files(file: str | None) -> list[dict[str, str]]:
    if file is None:
        return []
    return [{"path": file, "sha256": digest(file)}]


def render_sweep_report(
    frame: Any,
    axes: list[str],
    name: str,
    *,
    scenario: Scenario | None = None,
    file: str | None = None,
    generated: str | None = None,
) -> str:
    """A page for a sweep: the loss-cost frontier and, with two numeric axes, a loss heatmap."""
    from markupsafe import Markup
    from pandas.api.types import is_numeric_dtype

    cost, loss = frame["total_cost_usd"].to_numpy(), frame["loss"].to_numpy()
    front = frontier_mask(cost, loss)
    items = [Chart("sweep-frontier", Markup(charts.sweep_frontier(cost, loss, front)),
                   f"Each of the {len(frame):,} points; the frontier joins those no other point beats on both.")]  # fmt: skip
    numeric = [a for a in axes if is_numeric_dtype(frame[a].dtype) and frame[a].nunique() > 1]
    if len(numeric) < 2:
        have = ", ".join(numeric) if numeric else "none"
        items[0] = Chart(items[0].id, items[0].svg, items[0].caption + " No loss heatmap: it needs two "
                         f"numeric swept axes with several values (here: {have}).")  # fmt: skip
    if len(numeric) >= 2:
        x_axis, y_axis = numeric[0], numeric[1]
        table = frame.pivot_table(index=y_axis, columns=x_axis, values="loss", aggfunc="min")
        svg = charts.heatmap(table.columns.tolist(), table.index.tolist(), table.to_numpy(), x_axis, y_axis,
                             f"Expected loss over {x_axis} and {y_axis} (lowest over other axes)")  # fmt: skip
        items.append(
            Chart(
                "sweep-heatmap",
                Markup(svg),
                "Lower is better; other swept axes are taken at their best value.",
            )
        )
    shown = frame.loc[front].sort_values("total_cost_usd").head(50)
    headers = [*axes, "total cost", "expected loss", "tokens", "synthetic share"]
    rows = [[*(_value(r[a]) for a in axes), units.format_usd(r["total_cost_usd"]), f"{r['loss']:.4f}",
             units.format_count(r["tokens"]), units.format_ratio(r["synthetic_share"])]
            for _, r in shown.iterrows()]  # fmt: skip
    return environment().get_template("sweep.html").render(
        version=__version__, name=name, points=f"{len(frame):,}", axes=axes, charts=items, headers=headers,
        rows=rows, frontier=f"{int(front.sum()):,}", flags=_flags(frame), notes=_share_notes(frame, axes, scenario),
        assumptions=_assumptions(scenario, frame, axes), files=_files(file),
        seed=scenario.uncertainty.seed if scenario is not None else None,
        generated=generated or dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )  # fmt: skip
