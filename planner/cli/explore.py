"""Commands that explore many plans: ``optimize``, ``sweep`` and ``fit``.

Thin shells over :mod:`planner.explore.optimizer`, :mod:`planner.explore.sweep` and :mod:`planner.laws.fit`;
registered on the ``planner`` group by :mod:`planner.cli`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from planner.cli.options import (
    QUANTITY,
    check_outputs,
    emit,
    friendly_errors,
    html_option,
    output_options,
)
from planner.errors import PlannerError

__all__ = ["fit", "fit_mix", "optimize", "sweep"]


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
@click.option("--flops", type=QUANTITY, help="Without FILE: allocate this FLOP budget under a law.")
@click.option(
    "--unique-tokens", type=QUANTITY, help="Without FILE: unique tokens available (Muennighoff)."
)
@click.option(
    "--law",
    "law_name",
    default="besiroglu-2024",
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
    **goal: Any,
) -> None:
    """Choose model size and tokens per source for the lowest expected loss within a budget.

    With FILE: the scenario's optimize block (or the goal flags) over its data sources,
    prices and hardware. Without FILE: --flops splits a FLOP budget under --law.

    Example: planner optimize --flops 1e22 --unique-tokens 25B --law muennighoff-2023 --format json
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

    emit(render_allocation(optimize_file(file, plan_name, goal), fmt), output, force)


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
    from planner.io.streamed_tables import kind_of
    from planner.io.writing import outputs
    from planner.plan.plans import load_scenario

    engine = resolve_engine(engine, scheduler)
    if scheduler is not None:
        from planner.explore.dask_engine import check_scheduler

        check_scheduler(scheduler)  # inproc:// cannot reach a cluster from the command line
    check_outputs(out_path, html_path, force=force)
    kind = kind_of(out_path)
    scenario = load_scenario(file)
    grid = parse_grid_flags(grids)
    base, points = prepare(scenario, grid, plan_name)
    # the results file and the report appear together or not at all
    with outputs({"--output": out_path, "--html": html_path}, overwrite=force) as staged:
        with click.progressbar(length=points.size, label="sweeping", file=sys.stderr) as bar:
            rows = sweep_to_file(
                scenario,
                grid,
                staged["--output"],
                plan=plan_name,
                uncertainty=uncertainty,
                engine=engine,
                scheduler=scheduler,
                overwrite=True,
                progress=bar.update,
                kind=kind,
            )
        if html_path is not None:
            from planner.explore.sweep import columns
            from planner.io.streamed_tables import read_columns
            from planner.outputs.sweep_report import render_sweep_report, sweep_report_columns

            wanted = sweep_report_columns(list(grid), columns(points, uncertainty))
            frame = read_columns(staged["--output"], wanted, kind)
            page = render_sweep_report(frame, list(grid), scenario.name, scenario=base, file=file)
            staged["--html"].write_text(page, encoding="utf-8")
    click.echo(f"wrote {rows:,} rows to {out_path}", err=True)
    if html_path is not None:
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
    click.echo(render_fit(result, fmt), nl=False)
    if out_path is not None:
        from planner.io.writing import write_atomic

        write_atomic(out_path, law_file_text(result), overwrite=force)
        click.echo(f"wrote {out_path}", err=True)


@click.command("fit-mix")
@click.argument("runs_csv", type=click.Path(dir_okay=False))
@click.option(
    "--law",
    "law_name",
    default="besiroglu-2024",
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
    click.echo(text, nl=False)
    if out_path is not None:
        from planner.io.writing import write_atomic

        write_atomic(out_path, text, overwrite=force)
        click.echo(f"wrote {out_path}", err=True)
