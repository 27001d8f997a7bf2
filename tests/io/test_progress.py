"""Progress bars (issue 21): on stderr when it is a terminal, silent otherwise or when quiet."""

from __future__ import annotations

import io
from typing import Any

import pytest
from click.testing import CliRunner

from planner.io import progress as progress_module
from planner.io.progress import progress, quiet, tracked
from tests.conftest import ROOT


class Terminal(io.StringIO):
    """A standard error that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Terminal:
    stream = Terminal()
    monkeypatch.setattr(progress_module, "_stream", lambda: stream)
    monkeypatch.setattr(progress_module, "MIN_SECONDS", 0.0)
    return stream


def test_a_bar_is_drawn_on_a_terminal(terminal: Terminal) -> None:
    assert list(tracked(range(5), "fitting", unit="starts")) == [0, 1, 2, 3, 4]
    assert "fitting" in terminal.getvalue() and "starts" in terminal.getvalue()


def test_progress_advances_by_the_amount_given(terminal: Terminal) -> None:
    with progress(1000, "sweeping", unit="rows") as advance:
        advance(1000)
    assert "sweeping" in terminal.getvalue() and "1.00k" in terminal.getvalue()


def test_nothing_is_drawn_when_stderr_is_not_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = io.StringIO()
    monkeypatch.setattr(progress_module, "_stream", lambda: stream)
    monkeypatch.setattr(progress_module, "MIN_SECONDS", 0.0)
    assert sum(tracked(range(5), "fitting")) == 10
    assert stream.getvalue() == ""


def test_quiet_draws_nothing_even_on_a_terminal(terminal: Terminal) -> None:
    with quiet():
        assert sum(tracked(range(5), "fitting")) == 10
    assert terminal.getvalue() == ""


def test_the_quiet_flag_reaches_the_helper() -> None:
    from planner.cli import main

    token = progress_module.QUIET.set(False)
    try:
        result = CliRunner().invoke(main, ["--quiet", "hardware", "--format", "csv"])
        assert result.exit_code == 0, result.output
        assert progress_module.QUIET.get() is True
        assert not progress_module.enabled()
    finally:
        progress_module.QUIET.reset(token)


def test_a_sweep_draws_its_bar_through_the_helper(terminal: Terminal, tmp_path: Any) -> None:

    from planner.cli import main

    scenario = ROOT / "scenarios" / "web_baseline_7b.yaml"
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(
        main, ["sweep", str(scenario), "--grid", "training.tokens=1T,2T", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "sweeping" in terminal.getvalue() and "rows" in terminal.getvalue()
    assert "sweeping" not in result.output  # nothing but the summary line on the real stderr
