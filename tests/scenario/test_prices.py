"""Dated catalog prices (issue 21): the date shown beside every price, and a flag when the
price is over a year old at the plan's date (planner/scenario/price_dates.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from planner.cli import main
from planner.plan.estimate import run
from planner.plan.plans import validate
from planner.scenario.accelerators import hardware
from planner.scenario.price_dates import months_old, quoted_on, stale


def _scenario(**training: Any) -> dict[str, Any]:
    return {
        "name": "priced",
        "model": {"params": "7B"},
        "training": {
            "tokens": "1T",
            "accelerator": "h100-sxm",
            "accelerator_count": 64,
            **training,
        },
    }


@pytest.mark.parametrize(
    ("written", "day"),
    [
        ("2024-H2", dt.date(2024, 12, 31)),
        ("2024-H1", dt.date(2024, 6, 30)),
        ("2023-05", dt.date(2023, 5, 31)),
        ("2025", dt.date(2025, 12, 31)),
        ("2024-Q1", dt.date(2024, 3, 31)),
        ("", None),
        ("soon", None),
        ("2024-13", None),
    ],
)
def test_a_price_date_is_read_as_the_last_day_of_its_period(
    written: str, day: dt.date | None
) -> None:
    assert quoted_on(written) == day


def test_age_against_the_plan_date() -> None:
    assert months_old("2024-H2", dt.date(2026, 12, 6)) == 24
    assert stale("2024-H2", dt.date(2026, 12, 6))
    assert not stale("2026-06", dt.date(2026, 12, 6))
    assert not stale(None, dt.date(2026, 12, 6))


def test_every_priced_catalog_row_has_a_readable_date_and_a_source() -> None:
    from planner.scenario.accelerators import catalog

    for accelerator in catalog().values():
        if accelerator.price_usd_per_hour is not None:
            assert quoted_on(accelerator.price_date) is not None, accelerator.id
            assert accelerator.price_source, accelerator.id


def _warnings(document: dict[str, Any]) -> list[str]:
    plan = run(validate(document)).plans[0]
    return [w for w in plan.warnings if "was quoted" in w]


def test_an_old_catalog_price_is_flagged_at_the_plan_date() -> None:
    (warning,) = _warnings({**_scenario(), "as_of": "2026-12-06"})
    price = hardware("h100-sxm")
    assert f"quoted {price.price_date}" in warning and "2026-12-06" in warning


def test_a_recent_price_or_a_given_price_is_not_flagged() -> None:
    assert _warnings({**_scenario(), "as_of": "2025-03-01"}) == []
    given = _scenario(price_usd_per_hour=2.0)
    assert _warnings({**given, "as_of": "2030-01-01"}) == []


def test_the_terminal_and_the_report_show_the_price_date(tmp_path: Any) -> None:
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**_scenario(), "as_of": "2026-12-06"}))
    result = CliRunner().invoke(main, ["run", str(path), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    date = hardware("h100-sxm").price_date
    assert f"(${hardware('h100-sxm').price_usd_per_hour:.2f}"[1:] in result.output
    assert f"({date})" in result.output
    page = (tmp_path / "r.html").read_text()
    assert f"quoted {date}" in page and "was quoted" in page
