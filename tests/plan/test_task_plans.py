"""Per-task accuracy in plans and reports (``downstream: {tasks: FILE}``; planner.laws.task_fit)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from click.testing import CliRunner

import planner
from planner.cli import main
from planner.errors import InputError
from planner.laws.stage_effects import stage_effects
from planner.laws.task_fit import fit_tasks, predict_tasks, task_file_text
from planner.outputs.report import render_report
from tests.conftest import ROOT
from tests.laws.test_task_fit import TRUE_STEP1, TRUE_STEP2, synthetic_ladder


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped web baseline with a task-fit file (fitted on a synthetic ladder) beside it."""
    folder = tmp_path_factory.mktemp("tasks")
    fits = fit_tasks(
        synthetic_ladder(TRUE_STEP1, TRUE_STEP2, noise=0.01, seed=4), bootstrap=10, seed=0
    )
    (folder / "tasks.yaml").write_text(task_file_text(fits))
    document = yaml.safe_load((ROOT / "scenarios" / "web_baseline_7b.yaml").read_text())
    document["downstream"] = {"tasks": "tasks.yaml"}  # found next to the scenario
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(document))
    return path


def test_every_plan_shows_accuracy_per_task(staged: Path) -> None:
    results = planner.run(planner.load_scenario(staged), file=str(staged))
    fits = fit_tasks(
        synthetic_ladder(TRUE_STEP1, TRUE_STEP2, noise=0.01, seed=4), bootstrap=10, seed=0
    )
    for plan in results.plans:
        (shown,) = plan.tasks
        (expected,) = predict_tasks(fits, [(plan.params, plan.tokens)])
        assert shown.task == "synthetic"
        assert shown.accuracy == pytest.approx(expected.accuracy, rel=1e-9)
        assert shown.accuracy_p10 <= shown.accuracy <= shown.accuracy_p90
        assert plan.downstream_error is None  # the per-task fits replace Gadre's average
        assert "downstream_mismatch" not in {f.name for f in plan.flags}
    record = results.plans[0].to_dict()
    assert record["tasks"][0]["task"] == "synthetic"
    frame = results.to_frame()
    assert "tasks" not in frame
    assert frame["accuracy_synthetic"].tolist() == [p.tasks[0].accuracy for p in results.plans]
    assert frame["accuracy_p90_synthetic"].iloc[0] == results.plans[0].tasks[0].accuracy_p90


def test_report_shows_tasks_chart_and_published_stage_effects(staged: Path) -> None:
    results = planner.run(planner.load_scenario(staged), file=str(staged))
    found = planner.analyse(results, optimise=False)
    assert [c.task for c in found.task_curves] == ["synthetic"]
    curve = found.task_curves[0]
    assert list(curve.flops) == sorted(curve.flops)
    assert list(curve.accuracy) == sorted(curve.accuracy)  # more compute, higher accuracy
    page = BeautifulSoup(render_report(results, analysis=found), "html.parser")
    table = page.find("h2", id="tasks").find_next("table")
    header = [th.get_text() for th in table.find_all("th")]
    assert header == ["task", *(p.plan for p in results.plans)]
    cells = [td.get_text() for td in table.find("tbody").find_all("td")]
    ratio = table.find("tbody").find_all("tr")[-1]
    assert ratio.find("td").get_text() == "compute over the largest ladder run"
    base = results.plans[0].tasks[0]
    assert cells[1] == (
        f"{100 * base.accuracy:.1f}% ({100 * base.accuracy_p10:.1f}-{100 * base.accuracy_p90:.1f})"
    )
    assert page.find("figure", id="chart-tasks").find("svg") is not None
    heading = page.find("h3", id="stage-effects")
    assert heading.get_text() == "Published effect of a comparable stage"
    assert "not a prediction" in heading.find_next("p").get_text()
    rows = heading.find_next("table").find("tbody").find_all("tr")
    assert len(rows) == len(stage_effects())
    first = [td.get_text() for td in rows[0].find_all("td")]
    assert first[:4] == ["OLMo 2 7B", "GSM8K", "24.1 → 67.5", "+43.4 points"]


def test_cli_json_has_tasks_and_a_bad_task_file_is_named(staged: Path, tmp_path: Path) -> None:
    table = CliRunner().invoke(main, ["run", str(staged)])
    assert table.exit_code == 0, table.output
    shown = [line for line in table.output.splitlines() if line.startswith("predicted accuracy")]
    assert len(shown) == 3 and shown[0].startswith("predicted accuracy (base): synthetic ")
    result = CliRunner().invoke(main, ["run", str(staged), "--format", "json"])
    assert result.exit_code == 0, result.output
    plans = json.loads(result.output)["plans"]
    assert all(p["tasks"][0]["task"] == "synthetic" for p in plans)
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: task-fits\ntasks: []\n")
    document = yaml.safe_load(staged.read_text())
    document["downstream"] = {"tasks": str(bad)}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(InputError, match="bad.yaml: invalid task-fit file"):
        planner.load_scenario(path)
    result = CliRunner().invoke(main, ["run", str(path)])
    assert result.exit_code == 2
    assert "invalid task-fit file" in result.output


def test_without_tasks_nothing_changes() -> None:
    path = ROOT / "scenarios" / "web_baseline_7b.yaml"
    results = planner.run(planner.load_scenario(path), file=str(path))
    assert all(p.tasks == () for p in results.plans)
    assert "tasks" not in results.plans[0].to_dict()
    assert not [c for c in results.to_frame() if "accuracy" in c or c == "tasks"]
    page = BeautifulSoup(render_report(results), "html.parser")
    assert page.find("h2", id="tasks") is None


def test_shipped_olmo_preset_reproduces_the_paper_and_loads_by_name(tmp_path: Path) -> None:
    """The preset olmo-ladder-2024 gives the paper's Figure 2 chained predictions (7B-4T,
    13B-5T; arXiv:2412.04403v2, 8 main tasks) within 0.5 points, and a scenario names it."""
    from planner.laws.task_fit import load_task_file
    from tests.laws.test_task_fit import PAPER_CHAINED, TOLERANCE_POINTS

    fits = load_task_file("olmo-ladder-2024")
    assert len(fits.tasks[0].draws) == 100
    sizes = {"7B-4T": (6887575552, 3945065873408), "13B-5T": (13202396160, 5000088518656)}
    for run, tasks in PAPER_CHAINED.items():
        predictions = {p.task: p for p in predict_tasks(fits, [sizes[run]])}
        assert set(predictions) == set(tasks)
        for task, paper in tasks.items():
            p = predictions[task]
            assert 100 * p.accuracy == pytest.approx(paper, abs=TOLERANCE_POINTS), (run, task)
            assert p.accuracy_p10 <= p.accuracy <= p.accuracy_p90
    document = yaml.safe_load((ROOT / "scenarios" / "web_baseline_7b.yaml").read_text())
    document["downstream"] = {"tasks": "olmo-ladder-2024"}
    path = tmp_path / "scenario.yaml"
    path.write_text(yaml.safe_dump(document))
    results = planner.run(planner.load_scenario(path), file=str(path))
    assert [t.task for t in results.plans[0].tasks] == list(PAPER_CHAINED["7B-4T"])
    # 7B-4T is 83x the compute of the largest ladder run (1B at 256B tokens: 1.96e21 FLOPs)
    (seven,) = predict_tasks(fits.tasks[:1], [sizes["7B-4T"]])
    assert seven.compute_over_ladder == pytest.approx(
        6 * 6887575552 * 3945065873408 / 1.9642e21, rel=1e-3
    )
