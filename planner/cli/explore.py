"""Commands that explore many plans: ``optimize``, ``sweep``, ``fit`` and ``fit-tasks``.

Thin shells over :mod:`planner.explore.optimizer`, :mod:`planner.explore.sweep` and :mod:`planner.laws.fit`;
registered on the ``planner`` group by :mod:`planner.cli`.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from planner.cli.options import (
    QUANTITY,
    STDOUT,
    check_outputs,
    emit,
    friendly_errors,
    html_option,
    output_options,
)
from planner.errors import PlannerError
from planner.laws.names import DEFAULT_LAW

__all__ = ["fit", "fit_mix", "fit_tasks", "optimize", "sweep"]


def _file(path: str | None) -> str | None:
    """``path``, or None for ``-`` (standard output is written directly, not staged)."""
    return None if path == STDOUT else path


def _shown(path: str) -> str:
    return "standard output" if path == STDOUT else path


def _write_or_print(path: str, text: str, force: bool) -> None:
    """A file written by fit or fit-mix: to ``path``, or to standard output for ``-``."""
    if path == STDOUT:
        click.echo(text, nl=False)
        return
    from planner.io.writing import write_atomic

    write_atomic(path, text, overwrite=force)
    click.echo(f"wrote {path}", err=True)


def _columns(mapping: tuple[str, ...]) -> dict[str, str]:
    """``--column NAME=CSV_COLUMN`` options as a mapping."""
    columns = {}
    for item in mapping:
        key, sep, value = item.partition("=")
        if not sep:
            raise PlannerError(f"--column: {item!r} is not NAME=CSV_COLUMN")
        columns[key.strip()] = value.strip()
    return columns


def fit_file_options(written: str, columns: str) -> Callable[[Any], Any]:
    """--output (the YAML a fit writes), --force and --column, shared by fit and fit-mix."""

    def apply(command: Any) -> Any:
        for option in reversed(
            [
                click.option(
                    "--output",
                    "-o",
                    "--out",
                    "out_path",
                    type=click.Path(dir_okay=False),
                    help=f"Write the {written} (YAML) here.",
                ),
                click.option("--force", is_flag=True, help="Overwrite --output if it exists."),
                click.option(
                    "--column", "mapping", multiple=True, help=f"NAME=CSV_COLUMN for {columns}."
                ),
            ]
        ):
            command = option(command)
        return command

    return apply


@click.command()
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--plan", "plan_name", help="Which plan's data sources and prices to optimise (default: base)."
)
@click.option("--budget-usd", type=QUANTITY, help="Spend at most this many dollars.")
@click.option("--budget-flops", type=QUANTITY, help="Use at most this many training FLOPs.")
@click.option(
    "--deadline-days",
    type=click.FloatRange(min=0, min_open=True),
    help="Finish within this many days.",
)
@click.option(
    "--target-loss",
    type=click.FloatRange(min=0, min_open=True),
    help="Cheapest plan reaching this loss.",
)
@click.option(
    "--inference-tokens", type=QUANTITY, help="Lifetime inference tokens (favours smaller models)."
)
@click.option("--params", type=QUANTITY, help="Pin the model size; optimise the rest.")
@click.option("--tokens", type=QUANTITY, help="Pin the training tokens; optimise the rest.")
@click.option(
    "--share",
    "pinned_shares",
    multiple=True,
    help="Pin a source's share of training tokens, NAME=SHARE (repeatable).",
)
@click.option(
    "--max-epochs",
    type=click.FloatRange(min=1, min_open=True),
    help="Most epochs on any one pool (default 4).",
)
@click.option("--flops", type=QUANTITY, help="Without FILE: allocate this FLOP budget under a law.")
@click.option(
    "--unique-tokens", type=QUANTITY, help="Without FILE: unique tokens available (Muennighoff)."
)
@click.option(
    "--law",
    "law_name",
    default=DEFAULT_LAW,
    show_default=True,
    help="Without FILE: law preset.",
)
@output_options(("table", "json"))
@friendly_errors
def optimize(
    file: str | None,
    plan_name: str | None,
    fmt: str,
    output: str | None,
    force: bool,
    flops: float | None,
    unique_tokens: float | None,
    law_name: str,
    pinned_shares: tuple[str, ...],
    **goal: Any,
) -> None:
    """Choose model size and tokens per source for the lowest expected loss within a budget.

    With FILE: the scenario's optimize block (or the goal flags) over its data sources,
    prices and hardware; a budget and a deadline may be given together, and --params, --tokens
    or --share pin a decision while the rest is optimised. Without FILE: --flops splits a FLOP
    budget under --law.

    Example: planner optimize scenarios/phi4_style_14b.yaml --budget-usd 15M --params 14.7B
    """
    from planner.outputs.command_text import render_allocation

    if file is None:
        if flops is None:
            raise PlannerError("give a scenario FILE, or --flops for a quick allocation")
        from planner.laws.allocation import optimize_flops
        from planner.outputs.command_text import render_split

        emit(render_split(optimize_flops(flops, unique_tokens, law_name), fmt), output, force)
        return
    from planner.explore.optimizer import optimize_file

    goal["shares"] = _shares(pinned_shares)
    emit(render_allocation(optimize_file(file, plan_name, goal), fmt), output, force)


def _shares(items: tuple[str, ...]) -> dict[str, float]:
    """``--share NAME=SHARE`` options as a mapping."""
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise PlannerError(f"--share: {item!r} is not NAME=SHARE (a number in (0, 1])")
    return out


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--grid",
    "grids",
    multiple=True,
    required=True,
    help="PATH=VALUES, e.g. model.params=1B,3B,8B or data.synthetic.share=0:0.8:9 (repeatable).",
)
@click.option("--plan", "plan_name", help="Start from this plan (default: the base scenario).")
@click.option(
    "--output",
    "-o",
    "--out",
    "out_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="Results file: .csv or .parquet (parquet needs pyarrow).",
)
@click.option("--force", is_flag=True, help="Overwrite --output / --html if they exist.")
@click.option(
    "--uncertainty/--no-uncertainty",
    default=False,
    help="Add Monte Carlo P10/P90 per row (slower).",
)
@click.option(
    "--engine",
    type=click.Choice(["numpy", "dask"]),
    help="numpy: this process (the default); dask: a Dask cluster (--scheduler, or a local "
    "cluster of one worker per core).",
)
@click.option(
    "--scheduler",
    help="Dask scheduler address, e.g. tcp://10.0.0.5:8786; implies --engine dask (with "
    "--engine numpy it is an error).",
)
@html_option
@friendly_errors
def sweep(
    file: str,
    grids: tuple[str, ...],
    plan_name: str | None,
    out_path: str,
    force: bool,
    uncertainty: bool,
    engine: str | None,
    scheduler: str | None,
    html_path: str | None,
) -> None:
    """Evaluate a scenario over a grid of field values; one row per point.

    Example: planner sweep scenarios/phi4_style_14b.yaml --grid model.params=1B,3B,8B,14B --grid data.synthetic.share=0:0.8:9 --out reports/sweep.csv
    """
    from planner.explore.sweep import parse_grid_flags, prepare, resolve_engine, sweep_to_file
    from planner.io.progress import progress
    from planner.io.streamed_tables import kind_of
    from planner.io.writing import outputs
    from planner.plan.plans import load_scenario

    engine = resolve_engine(engine, scheduler)
    if scheduler is not None:
        from planner.explore.dask_engine import check_scheduler

        check_scheduler(scheduler)  # inproc:// cannot reach a cluster from the command line
    check_outputs(out_path, html_path, force=force)
    kind = "csv" if out_path == STDOUT else kind_of(out_path)
    scenario = load_scenario(file)
    grid = parse_grid_flags(grids)
    base, points = prepare(scenario, grid, plan_name)
    # the results file and the report appear together or not at all
    with (
        tempfile.TemporaryDirectory() as spare,
        outputs(
            {"--output": _file(out_path), "--html": _file(html_path)}, overwrite=force
        ) as staged,
    ):
        rows_path = staged.get("--output", Path(spare) / "rows.csv")
        with progress(points.size, "sweeping", unit="rows") as advance:
            rows = sweep_to_file(
                scenario,
                grid,
                rows_path,
                plan=plan_name,
                uncertainty=uncertainty,
                engine=engine,
                scheduler=scheduler,
                overwrite=True,
                progress=advance,
                kind=kind,
            )
        if html_path is not None:
            from planner.explore.sweep import columns
            from planner.io.streamed_tables import read_columns
            from planner.outputs.sweep_report import render_sweep_report, sweep_report_columns

            wanted = sweep_report_columns(list(grid), columns(points, uncertainty))
            frame = read_columns(rows_path, wanted, kind)
            page = render_sweep_report(frame, list(grid), scenario.name, scenario=base, file=file)
            if html_path == STDOUT:
                click.echo(page, nl=False)
            else:
                staged["--html"].write_text(page, encoding="utf-8")
        if out_path == STDOUT:
            with open(rows_path, "rb") as rows_file:
                shutil.copyfileobj(rows_file, sys.stdout.buffer)
            sys.stdout.flush()
    click.echo(f"wrote {rows:,} rows to {_shown(out_path)}", err=True)
    if html_path is not None and html_path != STDOUT:
        click.echo(f"wrote {html_path}", err=True)


@click.command()
@click.argument("runs_csv", type=click.Path(dir_okay=False))
@fit_file_options(
    "law file", "params, tokens, loss, flops, unique_tokens, synthetic_tokens, synthetic_share"
)
@click.option(
    "--drop-highest",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Drop the k runs with the highest loss first.",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=200,
    show_default=True,
    help="Bootstrap resamples.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@friendly_errors
def fit(
    runs_csv: str,
    out_path: str | None,
    force: bool,
    mapping: tuple[str, ...],
    drop_highest: int,
    bootstrap: int,
    seed: int,
    fmt: str,
) -> None:
    """Fit a scaling law (E, A, B, alpha, beta; and a synthetic weight) to your own runs.

    Example: planner fit planner/data/chinchilla_svg_extracted_data.csv --column params="Model Size" --column flops="Training FLOP" --drop-highest 5 -o reports/law.yaml
    """
    from planner.laws.fit import fit_law, law_file_text, read_runs
    from planner.outputs.command_text import render_fit

    check_outputs(out_path, force=force)
    columns = _columns(mapping)
    result = fit_law(
        read_runs(runs_csv),
        columns=columns,
        drop_highest=drop_highest,
        bootstrap=bootstrap,
        seed=seed,
        name=runs_csv,
    )
    # with -o - the law file takes standard output and the table goes to standard error
    click.echo(render_fit(result, fmt), nl=False, err=out_path == STDOUT)
    if out_path is not None:
        _write_or_print(out_path, law_file_text(result), force)


@click.command("fit-mix")
@click.argument("runs_csv", type=click.Path(dir_okay=False))
@click.option(
    "--law",
    "law_name",
    default=DEFAULT_LAW,
    show_default=True,
    help="Base law fitted on web-only runs (preset or law file from planner fit).",
)
@fit_file_options("preset file", "params, tokens, loss, flops, synthetic_share")
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0, max=10_000),
    default=200,
    show_default=True,
    help="Bootstrap resamples.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed."
)
@friendly_errors
def fit_mix(
    runs_csv: str,
    law_name: str,
    out_path: str | None,
    force: bool,
    mapping: tuple[str, ...],
    bootstrap: int,
    seed: int,
) -> None:
    """Fit one synthetic type's mixture gain (optimum share, gain at it, gain alone) to ablation runs.

    Each run's loss becomes a speed-up under the base law; the gain M(share) is fitted on log speed-up
    with bootstrap intervals (docs/data-mix-literature.md section 10). The preset file plugs into a scenario.

    Example: planner fit-mix ablations.csv --law reports/law.yaml -o reports/rephrased-gain.yaml
    """
    from planner.laws.choice import law
    from planner.laws.fit import read_runs
    from planner.laws.forms import ChinchillaLaw
    from planner.mixture.fit import fit_gain_table, gain_file_text

    check_outputs(out_path, force=force)
    base = law(law_name)
    if not isinstance(base, ChinchillaLaw):
        raise PlannerError("--law: fit-mix needs a Chinchilla-form law (E, A, B, alpha, beta)")
    columns = _columns(mapping)
    result = fit_gain_table(
        read_runs(runs_csv), base, columns=columns, name=runs_csv, bootstrap=bootstrap, seed=seed
    )
    text = gain_file_text(result)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if out_path != STDOUT:
        click.echo(text, nl=False)
    if out_path is not None:
        _write_or_print(out_path, text, force)


@click.command("fit-tasks")
@click.argument("runs_csv", type=click.Path(dir_okay=False))
@fit_file_options("task-fit file", "params, tokens, task, task_loss, accuracy, run, step, role")
@click.option(
    "--predict",
    "sizes",
    multiple=True,
    help="PARAMS:TOKENS to predict each task at, e.g. 7B:4T (repeatable).",
)
@click.option(
    "--bootstrap",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Bootstrap resamples of the ladder runs.",
)
@click.option(
    "--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Bootstrap seed."
)
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@friendly_errors
def fit_tasks(
    runs_csv: str,
    out_path: str | None,
    force: bool,
    mapping: tuple[str, ...],
    sizes: tuple[str, ...],
    bootstrap: int,
    seed: int,
    fmt: str,
) -> None:
    """Fit per-benchmark accuracy to a model ladder: task loss as a power law in params and
    tokens, then accuracy as a sigmoid of task loss (Bhagia et al. 2024).

    Columns params, tokens, task, task_loss, accuracy; optionally run and step (checkpoints:
    step 1 uses each run's last 5, step 2 all of them), role (target rows are held out and
    compared) and chance. The task-fit file plugs into a scenario as downstream: {tasks: FILE}.

    Example: planner fit-tasks ladder.csv --predict 7B:4T --predict 13B:5T -o reports/tasks.yaml
    """
    from planner.laws.run_tables import read_task_runs
    from planner.laws.task_fit import fit_tasks as fit_all
    from planner.laws.task_fit import parse_size, predict_tasks, task_file_text
    from planner.outputs.task_output import render_task_fits

    check_outputs(out_path, force=force)
    points = [parse_size(size) for size in sizes]
    result = fit_all(
        read_task_runs(runs_csv, _columns(mapping)), bootstrap=bootstrap, seed=seed, name=runs_csv
    )
    click.echo(render_task_fits(result, predict_tasks(result, points), fmt), nl=False)
    if out_path is not None:
        _write_or_print(out_path, task_file_text(result), force)
