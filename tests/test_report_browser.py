"""The report in a real browser (Debian's Chromium driven by Playwright).

CI installs Chromium with apt-get, so it never skips there; elsewhere the test skips
only when /usr/bin/chromium is genuinely absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import planner
from planner.report import render_report
from tests.conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed at /usr/bin/chromium")
def test_report_renders_without_errors_and_charts_have_size(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = str(ROOT / "scenarios" / "phi4_style_14b.yaml")
    results = planner.run(planner.load_scenario(path), file=path)
    html = render_report(results, analysis=planner.analyse(results))
    page_path = tmp_path / "report.html"
    page_path.write_text(html, encoding="utf-8")
    errors: list[str] = []
    requests: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("request", lambda request: requests.append(request.url))
        page.goto(page_path.as_uri())
        charts = page.query_selector_all("figure.chart svg")
        boxes = [chart.bounding_box() for chart in charts]
        screenshot = ROOT / "reports" / "phi4_style_14b-screenshot.png"
        page.screenshot(path=str(screenshot), full_page=True)
        page.emulate_media(media="print")
        printed = [c.bounding_box() for c in page.query_selector_all("figure.chart svg")]
        browser.close()
    assert errors == []
    assert [r for r in requests if not r.startswith("file:")] == []  # nothing fetched from a network
    assert len(boxes) == 5
    for box in boxes + printed:
        assert box is not None and box["width"] > 100 and box["height"] > 100
    assert screenshot.stat().st_size > 10_000
