"""The HTML report: structure, numbers, escaping, self-containment, determinism, writing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

import planner
from planner import units
from planner.cli import main
from planner.errors import InputError
from planner.outputs.report import build_context, render_report, write_report
from tests.conftest import MINIMAL, ROOT

PHI4 = str(ROOT / "scenarios" / "phi4_style_14b.yaml")
FIXED_DATE = "2026-01-01 00:00 UTC"


@pytest.fixture(scope="module")
def phi4() -> planner.Results:
    return planner.run(planner.load_scenario(PHI4), file=PHI4)


@pytest.fixture(scope="module")
def page(phi4: planner.Results) -> BeautifulSoup:
    found = planner.analyse(phi4, optimise=False)
    return BeautifulSoup(render_report(phi4, analysis=found, generated=FIXED_DATE), "html.parser")


def test_summary_table_has_every_plan_with_library_numbers(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    summary = page.find("h2", id="summary").find_next("table")
    header = [th.get_text() for th in summary.find("thead").find_all("th")]
    assert header[:3] == ["plan", "total cost (P10-P90)", "vs baseline"]
    rows = {
        tr.find_all("td")[0].get_text(): [td.get_text() for td in tr.find_all("td")]
        for tr in summary.find("tbody").find_all("tr")
    }
    assert list(rows) == [p.plan for p in phi4.plans]
    for plan in phi4.plans:
        cells = rows[plan.plan]
        assert cells[1].startswith(units.format_usd(plan.total_cost_usd))
        assert units.format_usd(plan.total_cost_usd_p10) in cells[1]
        assert cells[5].startswith(f"{plan.loss:.3f}")
        assert cells[9] == units.format_ratio(plan.synthetic_share)
        spread = max(abs(plan.loss_vs_baseline_p10 or 0), abs(plan.loss_vs_baseline_p90 or 0))
        if plan.plan != phi4.baseline and spread > 0:  # the paired difference, as the terminal's
            assert cells[6].startswith(f"{plan.loss_vs_baseline_p50:+.3f}")
            assert cells[6].endswith(f"; {plan.probability_below_baseline:.0%}")
    assert rows["base"][2] == rows["base"][6] == "baseline"  # not a bare dash
    # an unchanged figure says so in words: a dash reads as "not available" to a budget owner
    assert rows["pessimistic-synthetic"][2] == "same" and rows["h200"][6] == "same"
    assert rows["self-hosted-generator"][2].startswith("-$")
    assert "baseline" in summary.find("tbody").find("tr")["class"]


def test_one_svg_per_chart_and_captions(page: BeautifulSoup) -> None:
    figures = page.find_all("figure", class_="chart")
    ids = [f["id"] for f in figures]
    assert ids == ["chart-cost", "chart-loss-cost", "chart-tokens", "chart-share", "chart-mixture",
                   "chart-tornado"]  # fmt: skip
    for figure in figures:
        assert len(figure.find_all("svg")) == 1
        assert figure.find("figcaption").get_text().strip()


def test_mixture_chart_names_presets_and_marks_published_points(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    figure = page.find("figure", id="chart-mixture")
    caption = figure.find("figcaption").get_text()
    scenario = phi4.inputs[0].scenario
    for kind in sorted({d.synthetic.kind for d in scenario.data if d.synthetic}):
        preset = scenario.mixture.gain(kind).name
        assert f"{kind}: {preset}" in caption
        assert f"{kind} (preset {preset})" in figure.get_text()  # the legend, as SVG text
    assert "published: 1/3 rephrased: 5x (low end)" in figure.get_text()


def test_flags_assumptions_and_footer(phi4: planner.Results, page: BeautifulSoup) -> None:
    flags = page.find("h2", id="flags").find_next("ul")
    assert "Phi-4 technical report" in flags.get_text()
    assumptions = page.find("h2", id="assumptions").find_next("table").get_text()
    assert "whole-run MFU" in assumptions and "besiroglu-2024" in assumptions
    assert "AWS EC2 Capacity Blocks" in assumptions  # the price source in force
    footer = page.find("footer").get_text()
    digest = phi4.files[0][1]
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and digest in footer
    assert "seed 0" in footer and FIXED_DATE in footer and planner.__version__ in footer
    # render_report shows a recommendation only when it is given an optimiser's answer
    assert page.find("h2", id="recommended") is None


def test_no_external_resources(page: BeautifulSoup) -> None:
    assert page.find_all("script") == []
    for tag, attribute in (("link", "href"), ("img", "src"), ("script", "src"), ("iframe", "src")):
        for element in page.find_all(tag):
            assert not str(element.get(attribute, "")).startswith(("http:", "https:", "//"))
    text = str(page)
    assert "@import" not in text and "url(http" not in text


def test_names_from_scenario_files_are_escaped(write_scenario: Callable[..., Path]) -> None:
    evil = "<script>alert(1)</script>"
    path = write_scenario(
        {
            **MINIMAL,
            "description": "<b>bold?</b>",
            "variants": [{"name": evil, "set": {"training.accelerator_count": 128}}],
        }
    )
    results = planner.run(planner.load_scenario(path), file=str(path))
    html = render_report(results, generated=FIXED_DATE)
    soup = BeautifulSoup(html, "html.parser")
    assert soup.find_all("script") == [] and soup.find_all("b") == []
    assert evil in soup.get_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_same_inputs_same_bytes_but_the_date(phi4: planner.Results) -> None:
    first = render_report(phi4, generated=FIXED_DATE)
    assert render_report(phi4, generated=FIXED_DATE) == first
    later = render_report(phi4, generated="2027-12-31 23:59 UTC")
    differing = [
        (a, b) for a, b in zip(first.splitlines(), later.splitlines(), strict=False) if a != b
    ]
    assert len(differing) == 1 and "Generated" in differing[0][0]


def test_recommended_plan_when_an_optimisation_ran(phi4: planner.Results) -> None:
    found = planner.analyse(phi4)
    allocation = found.allocation
    assert allocation is not None and found.allocation_plan == phi4.baseline
    soup = BeautifulSoup(render_report(phi4, analysis=found, generated=FIXED_DATE), "html.parser")
    box = soup.find("div", class_="recommended")
    assert "lowest expected loss within $15,000,000" in box.get_text()
    assert units.format_count(allocation.params) in box.get_text()


def test_context_fields_are_documented() -> None:
    import ast
    import inspect

    from planner.outputs import report

    # every field of the template's context is followed by its docstring
    tree = ast.parse(inspect.getsource(report.ReportContext))
    body = tree.body[0].body  # type: ignore[attr-defined]
    documented = {
        node.target.id
        for node, after in itertools.pairwise(body)
        if isinstance(node, ast.AnnAssign) and isinstance(after, ast.Expr)
    }
    assert documented == set(report.ReportContext.__dataclass_fields__)


def test_repr_html_is_a_scoped_summary(phi4: planner.Results) -> None:
    soup = BeautifulSoup(phi4._repr_html_(), "html.parser")
    root = soup.find("div", class_="planner-summary")
    assert root is not None
    assert (
        root.find("caption").get_text() == f"phi4-style-14b: {len(phi4.plans)} plans, baseline base"
    )  # not "plan(s)"
    # every style rule is scoped to the fragment's class: nothing restyles the notebook
    rules = [r for r in re.split(r"}", root.find("style").get_text()) if r.strip()]
    assert rules and all(rule.strip().startswith(".planner-summary") for rule in rules)
    assert [tr.find("td").get_text() for tr in root.find("tbody").find_all("tr")] == [
        p.plan for p in phi4.plans
    ]
    plan = BeautifulSoup(phi4.plans[0]._repr_html_(), "html.parser")
    assert units.format_usd(phi4.plans[0].total_cost_usd) in plan.get_text()


def test_write_report_is_atomic_and_careful(tmp_path: Path) -> None:
    target = write_report(tmp_path / "new" / "r.html", "<p>x</p>")
    assert target.read_text() == "<p>x</p>"
    with pytest.raises(InputError, match="already exists"):
        write_report(target, "<p>y</p>")
    with pytest.raises(InputError, match="is a directory"):
        write_report(tmp_path, "<p>y</p>")


def test_cli_run_html_and_compare(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "reports" / "phi4.html"
    result = runner.invoke(main, ["run", PHI4, "--html", str(out)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("phi4-style-14b:")  # the table still prints
    soup = BeautifulSoup(out.read_text(), "html.parser")
    assert soup.find("div", class_="recommended") is not None  # the scenario has an optimize block
    again = runner.invoke(main, ["run", PHI4, "--html", str(out)])
    assert again.exit_code == 2 and "already exists" in again.stderr
    both = tmp_path / "compare.html"
    other = str(ROOT / "scenarios" / "web_baseline_7b.yaml")
    result = runner.invoke(
        main, ["compare", other, PHI4, "--html", str(both), "--format", "markdown"]
    )
    assert result.exit_code == 0, result.stderr
    assert "| metric | web-baseline-7b/base |" in result.stdout
    names = [
        tr.find("td").get_text()
        for tr in BeautifulSoup(both.read_text(), "html.parser")
        .find("h2", id="summary")
        .find_next("tbody")
        .find_all("tr")
    ]
    assert names[0] == "web-baseline-7b/base" and "phi4-style-14b/h200" in names
    csv = runner.invoke(main, ["compare", other, PHI4, "--format", "csv"])
    assert csv.exit_code == 0 and csv.stdout.splitlines()[1].startswith("web-baseline-7b/base,")


def test_build_context_marks_baseline(phi4: planner.Results) -> None:
    context = build_context(phi4, generated=FIXED_DATE)
    assert context.summary_classes[0] == "baseline" and context.baseline == "base"


def _table_after(
    page: BeautifulSoup, heading: str, index: int = 0
) -> tuple[list[str], dict[str, list[str]]]:
    table = page.find("h2", id=heading).find_all_next("table")[index]
    header = [th.get_text() for th in table.find("thead").find_all("th")]
    rows = {tr.find("td").get_text(): [td.get_text() for td in tr.find_all("td")]
            for tr in table.find("tbody").find_all("tr")}  # fmt: skip
    return header, rows


def test_resource_table_shows_generation_hours_and_combined_wall_clock(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    """Issue 18 done-when: the Phi-4 report shows generation hours, generation wall-clock and
    the combined wall-clock (the self-hosted variant generates for days before training)."""
    header, rows = _table_after(page, "costs", 2)  # the time table, after costs and resources
    for column in (
        "generation + grading hours (self-hosted)",
        "generation wall-clock",
        "combined wall-clock",
        "hours model: per-step MFU x goodput (layout)",
    ):
        assert column in header
    hosted = phi4["self-hosted-generator"]
    cells = dict(zip(header, rows["self-hosted-generator"], strict=True))
    assert cells["generation wall-clock"] == units.format_days(hosted.generation_wall_clock_days)
    assert cells["combined wall-clock"] == units.format_days(hosted.combined_wall_clock_days)
    assert "(chosen)" in cells["hours model: per-step MFU x goodput (layout)"]


def test_cost_table_has_every_component_from_the_plan_result(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    header, rows = _table_after(page, "costs")
    assert header == ["plan", "training compute", "overhead (goodput)", "synthetic generation", "grading",
                      "real data", "total (final run)"]  # fmt: skip
    for plan in phi4.plans:
        assert rows[plan.plan][1:] == [units.format_usd(v) for v in (
            plan.training_compute_usd, plan.overhead_usd, plan.synthetic_generation_usd, plan.grading_usd,
            plan.real_data_usd, plan.total_cost_usd)]  # fmt: skip
    header, rows = _table_after(page, "costs", 1)
    assert header[:7] == ["plan", "accelerators", "price per accelerator-hour", "accelerator-hours", "wall-clock",
                          "energy", "CO2"]  # fmt: skip
    h200 = phi4["h200"]
    cells = rows["h200"]
    assert cells[1] == "1,920 x h200 (bf16)" and cells[2] == (
        f"${h200.price_usd_per_hour:.2f} ({h200.price_date})"  # issue 21: dated prices
    )
    assert cells[3] == units.format_hours(h200.accelerator_hours) and cells[4] == units.format_days(
        h200.wall_clock_days
    )
    assert cells[5] == units.format_energy(h200.energy_kwh) and cells[6] == units.format_co2(
        h200.co2_tonnes
    )
    assert cells[7].startswith(units.format_bytes(h200.memory_bytes)) and "141 GB each" in cells[7]


def _allocation(**sources: float) -> planner.Allocation:
    from planner.explore.optimizer import Allocation

    total = sum(sources.values())
    return Allocation(goal="lowest expected loss within $15,000,000", binding="deadline", params=7e10,
                      tokens=total, loss=1.9, total_cost_usd=1.5e7, training_flops=1e24, wall_clock_days=5.0,
                      inference_flops=0.0, source_tokens=dict(sources),
                      synthetic_kept_tokens={"web-rewrites": 1e6},
                      epochs={name: 23.1 if name == "web-rewrites" else 1.1 for name in sources})  # fmt: skip


def test_recommended_plan_merges_negligible_sources_and_names_the_binding_constraint(
    phi4: planner.Results,
) -> None:
    from planner.explore.analysis import Analysis
    from planner.outputs.command_text import render_allocation

    allocation = _allocation(web=3.0e12, **{"web-rewrites": 23e6, "acquired": 398e6})
    found = Analysis(frontier=["base"], allocation=allocation, allocation_plan="h200")
    soup = BeautifulSoup(render_report(phi4, analysis=found, generated=FIXED_DATE), "html.parser")
    box = soup.find("div", class_="recommended")
    labels = [tr.find("td").get_text() for tr in box.find("tbody").find_all("tr")]
    assert (
        "data: web" in labels
        and "data: web-rewrites" not in labels
        and "data: acquired" not in labels
    )
    assert "data: web-rewrites, acquired" in labels  # merged into one negligible line
    assert "23.10 epochs" not in box.get_text()
    assert "web-rewrites, acquired are left out" in box.find("p", class_="note").get_text()
    assert box.find("strong", class_="binding").get_text() == "deadline"
    assert "Optimised plan: h200" in box.get_text()
    text = render_allocation(allocation, "table")
    assert "Binding: deadline" in text and "23.10 epochs" not in text
    assert (
        "negligible (each draws under 1% of the run's training tokens): web-rewrites, acquired"
        in text
    )


def test_cost_table_adds_programme_and_owned_columns_only_when_asked(
    write_scenario: Callable[..., Path],
) -> None:
    programme = {"development_multiple": "llama-1", "owned": {"purchase_usd": 30_000}}
    path = write_scenario({**MINIMAL, "programme": programme})
    results = planner.run(planner.load_scenario(path))
    soup = BeautifulSoup(render_report(results, generated=FIXED_DATE), "html.parser")
    header, rows = _table_after(soup, "costs")
    assert header[6:] == ["total (final run)", "development, ablations, evaluation", "programme total",
                          "training on owned accelerators (amortised)"]  # fmt: skip
    plan = results.plans[0]
    assert rows[plan.plan][6] == units.format_usd(
        plan.total_cost_usd
    )  # the final run stays comparable
    assert rows[plan.plan][7:] == [units.format_usd(v) for v in (
        plan.programme_usd, plan.programme_total_usd, plan.amortised_training_usd)]  # fmt: skip
    bare = planner.run(planner.load_scenario(write_scenario(MINIMAL, "bare.yaml")))
    header, _ = _table_after(
        BeautifulSoup(render_report(bare, generated=FIXED_DATE), "html.parser"), "costs"
    )
    assert header[-1] == "total (final run)"


def test_every_dollar_in_the_sources_table_has_its_price(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    # the $9.2M of synthetic generation (two thirds of the base plan) once appeared with no
    # price, yield or generated tokens anywhere on the page
    table = page.find("h2", id="sources").find_next("table")
    header = [th.get_text() for th in table.find("thead").find_all("th")]
    rows = [
        [td.get_text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")
    ]
    prices_table = page.find("div", attrs={"aria-label": "data prices"}).find("table")
    prices = [
        [td.get_text() for td in tr.find_all("td")]
        for tr in prices_table.find("tbody").find_all("tr")
    ]
    priced = {(name, plan) for name, text, plans in prices for plan in plans.split(", ")
              if text != "no price given (free)"}  # fmt: skip
    money = [header.index(h) for h in ("acquisition", "generation", "grading")]
    for row in rows:
        if any(row[i] != "$0" for i in money):
            assert (row[1], "all plans") in priced or (row[1], row[0]) in priced, row
    text = {(name, plans): price for name, price, plans in prices}
    hosted_plans = ("self-hosted-generator", "self-hosted-wrap-2023")
    api_plans = ", ".join(p.plan for p in phi4.plans if p.plan not in hosted_plans)
    assert "API $2.5/M in, $10/M out" in text[("synthetic", api_plans)]
    hosted = text[("synthetic", "self-hosted-wrap-2023")]
    assert hosted.startswith("self-hosted 70B on h100-sxm at $4.92/h, 8.8% utilisation")
    roofline = text[("synthetic", "self-hosted-generator")]
    assert "roofline throughput, trtllm-2025 engine" in roofline
    assert "yield 70%" in hosted
    assert (
        "gpt-4o-mini judge" in hosted and text[("acquired", "all plans")] == "licence $1/M tokens"
    )
    base = {row[1]: row for row in rows if row[0] == "base"}
    generated = next(s.generated_tokens for s in phi4["base"].sources if s.name == "synthetic")
    assert base["synthetic"][header.index("generated")] == units.format_count(generated)


def test_the_readme_one_line_render_says_what_it_leaves_out(phi4: planner.Results) -> None:
    # planner.render_report(results), as the README's library sample calls it, once said "No
    # synthetic-share curve: ... It needs a plan with both real and synthetic sources" of a
    # scenario that has both, and nothing about the missing recommended plan
    page = BeautifulSoup(render_report(phi4, generated=FIXED_DATE), "html.parser")
    notes = [p.get_text() for p in page.find_all("p", class_="chart-note")]
    assert len(notes) == 1 and "analysis=planner.analyse(results)" in notes[0]
    assert "recommended plan" in notes[0] and "both real and synthetic" not in notes[0]
    full = render_report(phi4, analysis=planner.analyse(phi4), generated=FIXED_DATE)
    assert not BeautifulSoup(full, "html.parser").find_all("p", class_="chart-note")


def test_the_costs_section_explains_the_overhead_column(page: BeautifulSoup) -> None:
    # a column of "$0" headed "overhead (goodput)" with no word on what goodput is
    text = page.find("h2", id="costs").find_next("p").get_text()
    assert "Overhead (goodput) is accelerator time billed but lost" in text
    assert "training.goodput" in text and "whole-run MFU" in text


def test_sources_section_says_how_effective_tokens_add_up(
    phi4: planner.Results, page: BeautifulSoup
) -> None:
    text = page.find("h2", id="sources").find_next("p").get_text()
    for plan in phi4.plans:
        assert f"{plan.plan} x{plan.mixture_gain:.2f}" in text
    # the gain's stream times the gain, plus the other sources, is the plan's effective tokens
    # (issue 19: the gain no longer multiplies code and licensed data nobody rewrote)
    frame = phi4.sources_frame()
    for plan in phi4.plans:
        rows = frame[frame["plan"] == plan.plan]
        inside = rows.loc[rows["in_gain"], "effective_tokens"].sum()
        outside = rows.loc[~rows["in_gain"], "effective_tokens"].sum()
        assert outside > 0  # code and acquired
        assert inside * plan.mixture_gain + outside == pytest.approx(
            plan.effective_tokens, rel=1e-6
        )


def test_a_full_report_in_a_notebook_is_scoped_to_its_own_frame() -> None:
    """Issue 21: displaying the full report inline must not restyle the notebook."""
    from bs4 import BeautifulSoup

    from planner.plan.plans import load_scenario

    scenario = ROOT / "scenarios" / "web_baseline_7b.yaml"
    page = planner.report_page(planner.run(load_scenario(scenario)))
    shown = BeautifulSoup(page._repr_html_(), "html.parser")
    top = [node for node in shown.contents if getattr(node, "name", None)]
    assert [node.name for node in top] == ["iframe"]  # one element, nothing beside it
    assert shown.find("style") is None  # no style rule reaches the notebook
    assert top[0].get("sandbox") in ("", [])  # sandboxed: no scripts, no same-origin access
    inner = BeautifulSoup(top[0]["srcdoc"], "html.parser")
    assert inner.find("style") is not None and str(page) == page.html
