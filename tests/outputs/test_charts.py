"""Report charts read back from their SVG: tick labels, legends, titles, text as text."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

import planner
from planner import units
from planner.explore.analysis import Analysis, SharePoint
from planner.outputs import charts
from planner.outputs.chart_style import COLORS, plan_style
from planner.outputs.report import render_report
from tests.conftest import MINIMAL, ROOT

PHI4 = str(ROOT / "scenarios" / "phi4_style_14b.yaml")


@pytest.fixture(scope="module")
def phi4() -> planner.Results:
    return planner.run(planner.load_scenario(PHI4), file=PHI4)


def _svg(text: str) -> Tag:
    found = BeautifulSoup(text, "html.parser").find("svg")
    assert isinstance(found, Tag)
    return found


def ticks(svg: Tag, axis: str) -> list[str]:
    """Tick labels of every ``axis`` ("x" or "y") in the chart, in drawing order."""
    return [
        g.get_text(" ", strip=True)
        for g in svg.find_all("g", id=lambda i: bool(i) and i.startswith(f"{axis}tick_"))
    ]


def legend(svg: Tag) -> list[str]:
    return [t.get_text() for g in svg.find_all("g", id=lambda i: bool(i) and i.startswith("legend_"))
            for t in g.find_all("text")]  # fmt: skip


def _plans(phi4: planner.Results, count: int) -> list[planner.PlanResult]:
    """``count`` plans with long names and spread costs (as a compare of several scenarios)."""
    base = phi4.plans[0]
    return [replace(base, plan=f"scenario-with-a-long-name-{i}/variant-{i}", total_cost_usd=base.total_cost_usd * (1 + i / 7),
                    loss=base.loss + 0.01 * (i % 3)) for i in range(count)]  # fmt: skip


def test_money_ticks_name_their_values() -> None:
    assert units.tick_labels([10e6, 12.5e6, 15e6, 17.5e6], "$") == [
        "$10M",
        "$12.5M",
        "$15M",
        "$17.5M",
    ]
    assert units.tick_labels([0, 1e9, 2e9]) == ["0", "1B", "2B"]
    assert units.tick_labels([-1.5e6, 0, 1.5e6], "$") == ["\u2212$1.5M", "$0", "$1.5M"]


def test_every_money_tick_parses_back_to_its_position(phi4: planner.Results) -> None:
    svg = _svg(charts.loss_vs_cost(phi4.plans, ["self-hosted-generator"]))
    labels = ticks(svg, "x")
    assert labels and all(label.startswith("$") for label in labels)
    values = [units.parse_quantity(label[1:], allow_zero=True) for label in labels]
    steps = {round(b - a) for a, b in itertools.pairwise(values)}
    assert (
        len(steps) == 1
    )  # evenly spaced: a label never rounds away from its tick ("$12M" for 12.5)
    assert "e+" not in " ".join(ticks(svg, "y"))


def test_ticks_every_2_5_million_keep_their_half(phi4: planner.Results) -> None:
    plans = [replace(phi4.plans[0], plan=name, total_cost_usd=usd, total_cost_usd_p10=None, total_cost_usd_p90=None)
             for name, usd in (("cheap", 0.1e6), ("dear", 17.9e6))]  # fmt: skip
    labels = ticks(_svg(charts.loss_vs_cost(plans, ["cheap"])), "x")
    assert "$12.5M" in labels and "$12M" not in labels  # the "$10M $12M $15M $18M"
    values = [units.parse_quantity(label[1:], allow_zero=True) for label in labels]
    assert len({round(b - a) for a, b in itertools.pairwise(values)}) == 1


def test_one_minus_sign_and_no_colliding_tornado_labels(phi4: planner.Results) -> None:
    found = planner.analyse(phi4, optimise=False)
    svg = _svg(charts.tornado(found.sensitivity, "base"))
    labels = ticks(svg, "x")
    assert any("\u2212" in label for label in labels)  # the loss axis has negatives
    assert not any(label.startswith("-") for label in labels)  # never the ASCII hyphen as a minus
    assert len(labels) <= 12  # few enough ticks on half-width axes not to collide


def test_text_is_real_svg_text_with_a_title_and_no_mathtext() -> None:
    svg = _svg(charts.sweep_frontier([1e6, 2e6], [2.1, 2.0], [True, True]))
    assert svg.find("title").get_text().startswith("Sweep: expected loss vs total cost")
    assert svg.find("text") is not None and "Pareto frontier" in legend(svg)
    curve = [SharePoint(0.0, 1e12, 2.0), SharePoint(0.5, 1e12, 1.9)]
    dollars = _svg(charts.share_curve(curve, "cost $\\badcmd$ $x^2$", 0.5))
    assert "cost $\\badcmd$ $x^2$ today: 50%" in legend(dollars)  # no mathtext: the name as written


def test_many_plans_keep_colours_distinct_and_legends_whole(phi4: planner.Results) -> None:
    styles = [(plan_style(i)["color"], plan_style(i)["marker"]) for i in range(12)]
    assert len({color for color, _ in styles}) == 12 == len(COLORS)
    plans = _plans(phi4, 12)
    svg = _svg(charts.loss_vs_cost(plans, [plans[0].plan, plans[1].plan]))
    assert sorted(legend(svg)) == sorted(
        [*(p.plan for p in plans), "Pareto frontier"]
    )  # every name whole
    width = float(svg["viewbox"].split()[2])  # html.parser lower-cases attribute names
    for text in svg.find_all("text"):
        assert 0 <= float(text.get("x", 0)) <= width
    cost = _svg(charts.cost_breakdown(plans))
    assert legend(cost) == [
        "training compute",
        "overhead",
        "synthetic generation",
        "grading",
        "real data",
    ]
    assert ticks(cost, "y") == [p.plan for p in plans]


def test_equal_loss_plans_are_dodged(phi4: planner.Results) -> None:
    same = [replace(phi4.plans[0], plan=name) for name in ("a", "b", "c")]
    svg = _svg(charts.loss_vs_cost(same, ["a"]))
    vertical = set()
    for group in svg.find_all("g", id=lambda i: bool(i) and i.startswith("LineCollection_")):
        x0, y0, _, x1, y1 = group.find("path")["d"].split()[1:6]
        if x0 == x1 and abs(float(y1) - float(y0)) > 50:  # a loss bar, not a legend swatch
            vertical.add(x0)
    assert len(vertical) == 3  # three loss bars side by side, not one line drawn three times


def test_share_curve_note_in_chart_and_caption_and_a_note_when_absent(
    phi4: planner.Results, write_scenario: Callable[..., Path]
) -> None:
    curve = [SharePoint(s / 20, 1e12, 2.0 - s / 100) for s in range(10)]
    note = "Shares 50%-80% are left out: generating that much synthetic data alone costs more than the plan's budget."
    found = Analysis(
        frontier=["base"], share_curve=curve, share_curve_plan="base", share_curve_note=note
    )
    page = BeautifulSoup(render_report(phi4, analysis=found, generated="today"), "html.parser")
    figure = page.find("figure", id="chart-share")
    assert note in figure.find("figcaption").get_text()
    assert "curve ends at 45%: see caption" in legend(figure.find("svg"))
    # a full curve (0-80%) draws no end marker, whatever the note says
    full = [SharePoint(s / 20, 1e12, 2.0 - s / 100) for s in range(17)]
    found = Analysis(
        frontier=["base"], share_curve=full, share_curve_plan="base", share_curve_note=note
    )
    page = BeautifulSoup(render_report(phi4, analysis=found, generated="today"), "html.parser")
    assert "curve ends" not in legend(page.find("figure", id="chart-share").find("svg"))
    path = write_scenario(MINIMAL)
    real_only = planner.run(planner.load_scenario(path), file=str(path))
    found = planner.analyse(real_only, optimise=False)
    page = BeautifulSoup(render_report(real_only, analysis=found, generated="today"), "html.parser")
    assert page.find("figure", id="chart-share") is None  # no curve to draw, and the page says why
    notes = [p.get_text() for p in page.find_all("p", class_="chart-note")]
    assert found.share_curve_note and any(
        n.startswith("No synthetic-share curve") and found.share_curve_note in n for n in notes
    )


def test_heatmap_counts_read_like_1b() -> None:
    svg = _svg(charts.heatmap([7e9, 14e9], [1e12, 2e12], [[2.0, 1.9], [1.9, 1.8]], "model.params",
                              "training.tokens", "Expected loss"))  # fmt: skip
    assert ticks(svg, "x") == ["7B", "14B"] and ticks(svg, "y")[:2] == ["1T", "2T"]


def test_tornado_title_does_not_run_into_an_axis_title(phi4: planner.Results) -> None:
    # "Sensitivity of base" above a left-hand "cost" title read as "Sensitivity of base cost"
    found = planner.analyse(phi4, optimise=False)
    svg = _svg(charts.tornado(found.sensitivity, "base"))
    texts = [t.get_text(" ", strip=True) for t in svg.find_all("text")]
    assert "Sensitivity of base to each assumption" in texts
    assert "cost" not in texts and "expected loss" not in texts
    assert "change in total cost (USD)" in texts and any("expected loss" in t for t in texts)


def test_a_long_plan_name_is_shortened_in_charts_not_in_titles(phi4: planner.Results) -> None:
    # a 120-character variant name collapsed the axes ("constrained_layout not applied")
    long = "x" * 120
    plans = [replace(p, plan=long if i == 1 else p.plan) for i, p in enumerate(phi4.plans)]
    cost = _svg(charts.cost_breakdown(plans))
    assert all(len(label) <= 40 for label in ticks(cost, "y")) and any(
        "\u2026" in t for t in ticks(cost, "y")
    )
    assert long in cost.find("title").get_text()  # the accessible title keeps the whole name
    loss = _svg(charts.loss_vs_cost(plans, [plans[0].plan]))
    assert all(len(label) <= 40 for label in legend(loss))
