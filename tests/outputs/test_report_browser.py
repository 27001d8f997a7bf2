"""The run, compare and sweep reports in a real browser (Debian's Chromium driven by Playwright).

CI installs Chromium with apt-get, so it never skips there; elsewhere the tests skip
only when /usr/bin/chromium is genuinely absent. Each page must load without console
errors or network requests, draw its charts with a size, fit an 800 px window without
sideways scrolling, and print on A4 with 1 cm margins without clipping or shrinking charts.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.outputs.report import render_report
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip
SCENARIOS = ROOT / "scenarios"
PHI4 = str(SCENARIOS / "phi4_style_14b.yaml")
A4_TEXT_WIDTH = round((21.0 - 2.0) / 2.54 * 96)
"""A4 (21 cm) less two 1 cm margins, in CSS pixels (96 per inch)."""
A4_TEXT_HEIGHT = round((29.7 - 2.0) / 2.54 * 96)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium"
)


@pytest.fixture(scope="module")
def browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=ARGS
        )
        yield chromium
        chromium.close()


def _run_page(folder: Path) -> Path:
    results = planner.run(planner.load_scenario(PHI4), file=PHI4)
    path = folder / "run.html"
    path.write_text(render_report(results, analysis=planner.analyse(results)), encoding="utf-8")
    return path


def _compare_page(folder: Path) -> Path:
    path = folder / "compare.html"
    files = [str(p) for p in sorted(SCENARIOS.glob("*.yaml"))]  # every shipped scenario: 10+ plans
    result = CliRunner().invoke(main, ["compare", *files, "--html", str(path)])
    assert result.exit_code == 0, result.stderr
    return path


def _sweep_page(folder: Path) -> Path:
    path = folder / "sweep.html"
    args = ["sweep", PHI4, "--grid", "training.accelerator=h100-sxm,h200", "--grid", "model.params=7B,14B",
            "--grid", "data.synthetic.share=0:0.4:3", "--out", str(folder / "s.csv"), "--html", str(path)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    return path


PAGES = {"run": (_run_page, 5), "compare": (_compare_page, 5), "sweep": (_sweep_page, 1)}


@pytest.mark.parametrize("kind", list(PAGES))
def test_report_in_chromium(browser: Any, tmp_path: Path, kind: str) -> None:
    make, least_charts = PAGES[kind]
    page_path = make(tmp_path)
    errors: list[str] = []
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto(page_path.as_uri())
    boxes = [chart.bounding_box() for chart in page.query_selector_all("figure.chart svg")]
    if kind == "run":
        screenshot = ROOT / "reports" / "phi4_style_14b-screenshot.png"
        page.screenshot(path=str(screenshot), full_page=True)
        assert screenshot.stat().st_size > 10_000

    # an 800 px window: no sideways scrolling; wide tables scroll inside their own box
    page.set_viewport_size({"width": 800, "height": 900})
    assert page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )

    # print: A4 text width, nothing wider than the page, charts at a readable scale
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": A4_TEXT_HEIGHT})
    layout = page.evaluate(
        """() => ({
        page: document.documentElement.scrollWidth <= document.documentElement.clientWidth,
        tables: [...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right),
        avoid: [...document.querySelectorAll('table')].map(t => getComputedStyle(t).breakInside),
        charts: [...document.querySelectorAll('figure.chart svg')].map(
            s => s.getBoundingClientRect().width / s.viewBox.baseVal.width),
        firstBlock: document.querySelector('table, figure.chart').getBoundingClientRect().top,
        })"""
    )
    printed = [c.bounding_box() for c in page.query_selector_all("figure.chart svg")]
    pdf = page.pdf(
        format="A4", margin={"top": "1cm", "bottom": "1cm", "left": "1cm", "right": "1cm"}
    )
    page.close()

    assert errors == []
    assert [
        r for r in requests if not r.startswith("file:")
    ] == []  # nothing fetched from a network
    assert len(boxes) >= least_charts
    for box in boxes + printed:
        assert box is not None and box["width"] > 100 and box["height"] > 100
    assert layout["page"], "the printed page is wider than A4 less 1 cm margins"
    assert all(right <= A4_TEXT_WIDTH + 1 for right in layout["tables"]), (
        "a table is clipped at the right margin"
    )
    assert "avoid" not in layout["avoid"], (
        "an unbreakable table leaves the page before it mostly blank"
    )
    assert layout["firstBlock"] < A4_TEXT_HEIGHT / 2, (
        "the first table or chart does not start on the first page"
    )
    # SVG user units are points (72/in); at 96 px/in a chart at natural size has scale 4/3
    assert min(layout["charts"]) >= 1.0, "a printed chart shrinks its 8-9 pt labels below 6 pt"
    assert pdf.startswith(b"%PDF") and 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 40


LINE_BREAKS = """() => [...document.querySelectorAll('td:first-child')].flatMap(cell => {
    const text = cell.firstChild;
    if (!text || text.nodeType !== Node.TEXT_NODE || text.length < 2) return [];
    const range = document.createRange();
    const tops = [...text.data].map((_, i) => {
        range.setStart(text, i); range.setEnd(text, i + 1);
        return range.getBoundingClientRect().top;
    });
    return tops.flatMap((top, i) => (i > 0 && top > tops[i - 1] + 1) ? [[text.data, i]] : []);
})"""
"""Every place a first-column cell (a plan name) wraps: (text, index of the first character on the
new line)."""


@pytest.mark.parametrize("kind", ["run", "compare"])
def test_printed_plan_names_break_at_their_hyphens(browser: Any, tmp_path: Path, kind: str) -> None:
    # "pessimistic-synthetic" once printed as "pessimist" / "ic-synthetic"
    page = browser.new_page()
    page.goto(PAGES[kind][0](tmp_path).as_uri())
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": A4_TEXT_HEIGHT})
    breaks = page.evaluate(LINE_BREAKS)
    page.close()
    mid_word = [(text, i) for text, i in breaks if text[i - 1] not in "-/ " and text[i] != " "]
    assert mid_word == [], mid_word


def test_a_long_unbroken_plan_name_still_prints_inside_the_margins(
    browser: Any, tmp_path: Path
) -> None:
    # keeping plan names whole at their hyphens must not let a 120-character name push a table
    # past the right margin
    import yaml

    scenario = yaml.safe_load((SCENARIOS / "data_constrained_3b.yaml").read_text())
    scenario["variants"][0]["name"] = "x" * 120
    source, path = tmp_path / "long.yaml", tmp_path / "long.html"
    source.write_text(yaml.safe_dump(scenario), encoding="utf-8")
    result = CliRunner().invoke(main, ["run", str(source), "--html", str(path)])
    assert result.exit_code == 0, result.stderr
    page = browser.new_page()
    page.goto(path.as_uri())
    page.emulate_media(media="print")
    page.set_viewport_size({"width": A4_TEXT_WIDTH, "height": A4_TEXT_HEIGHT})
    rights = page.evaluate(
        "[...document.querySelectorAll('table')].map(t => t.getBoundingClientRect().right)"
    )
    page.close()
    assert rights and all(right <= A4_TEXT_WIDTH + 1 for right in rights), rights
