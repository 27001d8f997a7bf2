"""The sweep page: readable axis values, footer, flags, assumptions and how to read swept shares."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner

import planner
from planner.cli import main
from tests.conftest import ROOT

PHI4 = str(ROOT / "scenarios" / "phi4_style_14b.yaml")


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> BeautifulSoup:
    folder = tmp_path_factory.mktemp("sweep")
    html = folder / "s.html"
    args = ["sweep", PHI4, "--grid", "model.params=7B,14B", "--grid", "data.synthetic.share=0:0.4:3",
            "--out", str(folder / "s.csv"), "--html", str(html)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    return BeautifulSoup(html.read_text(encoding="utf-8"), "html.parser")


def test_axis_values_read_like_7b_in_table_and_heatmap(page: BeautifulSoup) -> None:
    table = page.find("h2", id="frontier").find_next("table")
    params = {tr.find_all("td")[0].get_text() for tr in table.find("tbody").find_all("tr")}
    assert params <= {"7B", "14B"} and params
    heatmap = page.find("figure", id="chart-sweep-heatmap").find("svg")
    labels = [
        g.get_text(" ", strip=True)
        for g in heatmap.find_all("g", id=lambda i: bool(i) and "tick_" in i)
    ]
    assert "7B" in labels and "14B" in labels
    assert "e+" not in page.get_text()


def test_footer_flags_and_assumptions(page: BeautifulSoup) -> None:
    footer = page.find("footer").get_text()
    digest = hashlib.sha256(Path(PHI4).read_bytes()).hexdigest()
    assert (
        planner.__version__ in footer
        and "seed 0" in footer
        and digest in footer
        and "Generated" in footer
    )
    flags = page.find("h2", id="flags").find_next("ul").get_text()
    assert "of 6 points" in flags and "Phi-4 technical report" in flags
    # flag names once read "synthetic share over 50", a percentage without its unit
    assert "synthetic share above 50%" in flags and "over 50 " not in flags + " "
    assumptions = page.find("h2", id="assumptions").find_next("table").get_text()
    assert "besiroglu-2024" in assumptions and "whole-run MFU" in assumptions


def test_a_swept_share_says_the_others_rescale_and_generation_follows_unique_tokens(
    page: BeautifulSoup,
) -> None:
    notes = page.find("h2", id="reading").find_next("ul").get_text()
    assert "rescales the other sources" in notes and "still 25% (from web-rewrites)" in notes
    assert "Generation cost follows synthetic's unique_tokens (290B" in notes


def test_a_categorical_axis_makes_a_page(tmp_path: Path) -> None:
    # pandas 3 reads text columns as StringDtype: the page must not assume numbers
    html = tmp_path / "s.html"
    args = ["sweep", PHI4, "--grid", "training.accelerator=h100-sxm,h200", "--grid", "model.params=7B,14B",
            "--out", str(tmp_path / "s.csv"), "--html", str(html)]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.stderr
    page = BeautifulSoup(html.read_text(), "html.parser")
    cells = {td.get_text() for td in page.find_all("td")}
    assert "h200" in cells or "h100-sxm" in cells
    # half the rows run on H200s: their price and its source are listed, not only the base's H100
    assumptions = page.find("h2", id="assumptions").find_next("table").get_text(" ")
    h200 = planner.hardware("h200")
    assert (
        "price (h200)" in assumptions and f"${h200.price_usd_per_hour:.2f} per hour" in assumptions
    )
    assert str(h200.price_source) in assumptions and "price (h100-sxm)" in assumptions
    # one numeric axis: the page says why there is no heatmap instead of dropping it silently
    assert page.find("figure", id="chart-sweep-heatmap") is None
    caption = page.find("figure", id="chart-sweep-frontier").find("figcaption").get_text()
    assert (
        "No loss heatmap: it needs two numeric swept axes" in caption and "model.params" in caption
    )


def test_a_swept_price_is_not_listed_as_the_catalog_price(tmp_path: Path) -> None:
    html = tmp_path / "s.html"
    args = ["sweep", PHI4, "--grid", "training.price_usd_per_hour=2,3",
            "--out", str(tmp_path / "s.csv"), "--html", str(html)]  # fmt: skip
    assert CliRunner().invoke(main, args).exit_code == 0
    page = BeautifulSoup(html.read_text(), "html.parser")
    rows = [tr.get_text(" | ", strip=True) for tr in page.find("h2", id="assumptions").find_next("table").find_all("tr")]  # fmt: skip
    assert "price per accelerator-hour | $2.00, $3.00 | swept" in rows
    assert not any(row.startswith("price (h100-sxm)") for row in rows)
