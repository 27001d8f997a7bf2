"""The ``planner`` command: thin shells over library calls.

Each command parses its options, calls one library function and prints the
result. Errors a user can fix print one message and exit with code 2.
"""

from __future__ import annotations

import json
from typing import Any

import click

from planner.cli.explore import fit, fit_mix, fit_tasks, optimize, sweep
from planner.cli.hardware import LAYOUT_FLAGS, layout, layout_options
from planner.cli.options import (
    QUANTITY,
    RangeType,
    check_outputs,
    emit,
    friendly_errors,
    hf_config_option,
    html_option,
    law_option,
    output_options,
    report_page,
)
from planner.errors import InputError, PlannerError
from planner.laws.names import DEFAULT_LAW, preset_help
from planner.precisions import PRECISION_NAMES

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(None, "-V", "--version", package_name="planner", prog_name="planner")
@click.option(
    "--quiet",
    "-q",
    is_flag=True,
    help="No progress bars (they are drawn on stderr only when it is a terminal).",
)
def main(quiet: bool) -> None:
    """Plan LLM pretraining runs that mix real and synthetic data.

    Estimates training FLOPs, accelerator-hours, wall-clock time, dollars (training,
    synthetic-data generation, real data), energy and CO2 from a scenario file.

    Example: planner run scenarios/phi4_style_14b.yaml
    """
    if quiet:
        from planner.io.progress import QUIET

        QUIET.set(True)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@output_options(("table", "json", "csv", "markdown"))
@html_option
@law_option
@friendly_errors
def run(
    file: str,
    fmt: str,
    output: str | None,
    force: bool,
    html_path: str | None,
    law_name: str | None,
) -> None:
    """Estimate every plan (base and variants) of a scenario FILE, side by side.

    Example: planner run scenarios/phi4_style_14b.yaml --html reports/phi4.html
    """
    from planner.outputs.text import render
    from planner.plan.estimate import run as run_scenario
    from planner.plan.estimate import with_law
    from planner.plan.plans import load_scenario

    check_outputs(output, html_path, force=force)
    results = run_scenario(with_law(load_scenario(file), law_name), file=file)
    emit(render(results, fmt), output, force, report_page(results, html_path))


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@output_options(("table", "json", "csv", "markdown"))
@html_option
@law_option
@friendly_errors
def compare(
    files: tuple[str, ...],
    fmt: str,
    output: str | None,
    force: bool,
    html_path: str | None,
    law_name: str | None,
) -> None:
    """Compare several scenario FILES (and their variants); the first is the baseline.

    Example: planner compare scenarios/web_baseline_7b.yaml scenarios/data_constrained_3b.yaml --html reports/compare.html
    """
    from planner.outputs.text import render
    from planner.plan.estimate import compare as combine
    from planner.plan.estimate import run as run_scenario
    from planner.plan.estimate import with_law
    from planner.plan.plans import load_scenario

    check_outputs(output, html_path, force=force)
    results = combine(*(run_scenario(with_law(load_scenario(f), law_name), file=f) for f in files))
    emit(render(results, fmt), output, force, report_page(results, html_path))


ESTIMATE_FLAGS = {
    "model.architecture": "the architecture flags (--layers, --d-model, --heads, --vocab, --seq-len)",
    "model.params": "--params",
    "model.active_params": "--active-params",
    "training.tokens": "--tokens",
    "training.accelerator": "--accelerator",
    "training.accelerator_count": "--accelerator-count",
    "training.utilization": "--utilization",
    "training.price_usd_per_hour": "--price-usd-per-hour",
    "training.flops_convention": "--flops-convention",
}


@main.command()
@click.option("--params", type=QUANTITY, help="Total parameters, e.g. 70B.")
@click.option("--active-params", type=QUANTITY, help="Active parameters per token (MoE).")
@click.option("--tokens", type=QUANTITY, required=True, help="Training tokens, e.g. 1.4T.")
@click.option(
    "--accelerator",
    "--hardware",
    "hardware",
    default="h100-sxm",
    show_default=True,
    help="Accelerator id (see planner hardware); training.accelerator in a scenario.",
)
@click.option(
    "--accelerator-count",
    "--count",
    "count",
    type=click.IntRange(min=1),
    default=None,
    help="Accelerators training in parallel; training.accelerator_count in a scenario. Default: "
    "the scenario default cluster (planner.defaults.ACCELERATOR_COUNT, an assumption the output "
    "states, with hours at half and twice the count).",
)
@click.option(
    "--utilization",
    "--mfu",
    "mfu",
    type=RangeType(),
    help="Whole-run utilisation, 0.4 or 0.25:0.45. Default: calibrated 0.30 (0.20-0.45).",
)
@click.option(
    "--price-usd-per-hour",
    "--price",
    "price",
    type=click.FloatRange(min=0, min_open=True, max=1e7),
    help="USD per accelerator-hour. Default: the catalog price.",
)
@click.option(
    "--precision",
    type=click.Choice(PRECISION_NAMES),
    default="bf16",
    show_default=True,
    help="Training format (planner.precisions): its peak, realised speed-up and loss effect.",
)
@click.option("--layers", type=click.IntRange(min=1), help="Architecture: transformer blocks.")
@click.option("--d-model", type=click.IntRange(min=1), help="Architecture: hidden size.")
@click.option("--heads", type=click.IntRange(min=1), help="Architecture: attention heads.")
@click.option(
    "--kv-heads", type=click.IntRange(min=1), help="Architecture: key/value heads (GQA/MQA)."
)
@click.option("--ffn-size", type=click.IntRange(min=1), help="Architecture: feed-forward size.")
@click.option("--vocab", type=click.IntRange(min=1), help="Architecture: vocabulary size.")
@click.option("--seq-len", type=click.IntRange(min=1), help="Architecture: sequence length.")
@click.option("--glu/--no-glu", default=False, help="Architecture: gated (SwiGLU) feed-forward.")
@click.option(
    "--tied-embeddings/--untied-embeddings",
    default=False,
    help="Architecture: tie input/output embeddings.",
)
@click.option(
    "--flops-convention",
    type=click.Choice(["6nd", "palm", "megatron"]),
    default="6nd",
    show_default=True,
    help="FLOPs count: 6nd (6 x active params), palm (+ attention), megatron (+ attention and logits).",
)
@click.option(
    "--recompute",
    type=click.Choice(["none", "selective", "full"]),
    is_flag=False,
    flag_value="full",
    help="Activation recompute; alone means full (hardware FLOPs add a forward pass).",
)
@hf_config_option
@layout_options
@law_option
@output_options(("table", "json", "csv", "markdown"))
@friendly_errors
def estimate(fmt: str, output: str | None, force: bool, law_name: str | None, **flags: Any) -> None:
    """One-off estimate with no scenario file.

    Give --params (and --active-params for MoE), or the architecture flags
    (--layers, --d-model, --heads, --vocab, --seq-len at least), or --hf-config with a
    model's config.json (architecture flags then override the file's values).

    Example: planner estimate --params 70B --tokens 1.4T --hardware a100-80gb --count 2048 --format json
    """
    from planner.outputs.text import render_plan
    from planner.plan.estimate import quick_estimate

    check_outputs(output, force=force)
    try:
        result = quick_estimate(law=law_name, **flags)
    except PlannerError as exc:
        message = str(exc)
        for field, flag in {**LAYOUT_FLAGS, **ESTIMATE_FLAGS}.items():
            message = message.replace(field, flag)
        raise PlannerError(message) from None
    emit(render_plan(result, fmt), output, force)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@friendly_errors
def validate(file: str) -> None:
    """Check a scenario FILE and all its variants; exit code 2 with the problems if invalid.

    Example: planner validate scenarios/data_constrained_3b.yaml
    """
    from planner.plan.plans import load_scenario, plans

    scenario = load_scenario(file)
    names = ", ".join(p.name for p in plans(scenario, file=file))
    click.echo(f"{file}: valid scenario {scenario.name!r} with plans: {names}")


@main.command()
def schema() -> None:
    """Print the scenario file JSON Schema, for editor validation and completion.

    Example: planner schema > scenario.schema.json
    """
    from planner.scenario.schema import Scenario

    click.echo(json.dumps(Scenario.model_json_schema(), indent=2))


@main.command()
@output_options(("table", "json", "csv", "markdown"))
@friendly_errors
def hardware(fmt: str, output: str | None, force: bool) -> None:
    """List the accelerator catalog: dense peaks, memory, TDP, default price and sources.

    Example: planner hardware --format csv
    """
    from planner.outputs.command_text import render_catalog

    emit(render_catalog(fmt), output, force)


@main.command()
@click.argument("csv_file", required=False, type=click.Path(dir_okay=False))
@output_options(("table", "json", "csv", "markdown"))
@friendly_errors
def backtest(csv_file: str | None, fmt: str, output: str | None, force: bool) -> None:
    """Compare the compute model with published training runs.

    Default data: 39 published runs shipped with planner; any CSV with the same
    columns works. Prints FLOPs vs reported FLOPs, predicted vs reported
    accelerator-hours at the default utilisation, and the implied whole-run MFU.

    Example: planner backtest --format markdown
    """
    from planner.compute.backtest import backtest as run_backtest
    from planner.outputs.command_text import render_backtest

    emit(render_backtest(run_backtest(csv_file), fmt), output, force)


@main.command()
@click.option("--params", type=QUANTITY, help="Parameters (non-embedding for kaplan-2020).")
@hf_config_option
@click.option("--tokens", type=QUANTITY, required=True, help="Training tokens.")
@click.option(
    "--unique-tokens",
    type=QUANTITY,
    help="Unique tokens: repetition discounted (Muennighoff et al.).",
)
@click.option(
    "--active-params",
    type=QUANTITY,
    help="Mixture-of-experts: parameters active per token (--params is then the total).",
)
@click.option(
    "--granularity",
    type=click.FloatRange(min=1, max=1024),
    help="Mixture-of-experts granularity G (Krajewski et al. 2024). Default: 1.",
)
@click.option(
    "--precision",
    type=click.Choice(PRECISION_NAMES),
    default="bf16",
    show_default=True,
    help="Training format: its loss effect (planner.precisions).",
)
@click.option(
    "--law",
    "law_name",
    default=DEFAULT_LAW,
    show_default=True,
    help=f"Preset: {preset_help()} (krajewski-2024: mixture-of-experts and dense, total "
    "non-embedding parameters).",
)
@output_options(("table", "json"))
@friendly_errors
def loss(
    params: float | None,
    hf_config: str | None,
    tokens: float,
    unique_tokens: float | None,
    active_params: float | None,
    granularity: float | None,
    precision: str,
    law_name: str,
    fmt: str,
    output: str | None,
    force: bool,
) -> None:
    """Expected loss (nats/token) of a model size and token count under a published law.

    Absolute loss is specific to the data a law was fitted on: compare only under one law.

    Example: planner loss --params 6.34B --tokens 242B --unique-tokens 25B --law muennighoff-2023 --format json
    """
    from planner.laws.choice import loss as expected_loss
    from planner.laws.choice import loss_granularity, loss_law
    from planner.laws.moe import KRAJEWSKI_NAME, outside_fit
    from planner.outputs.command_text import render_loss

    note = None
    if hf_config is not None:
        from planner.plan.estimate import hf_params

        if params is not None:
            raise PlannerError("--params and --hf-config both give the model's size; give one")
        params, hf_active, note = hf_params(hf_config)
        if active_params is None and hf_active < params:  # a mixture-of-experts config
            active_params = hf_active
    elif params is None:
        raise PlannerError("give --params, or --hf-config with a model's config.json")
    if granularity is not None and (active_params is None or active_params >= params):
        raise InputError(
            "--granularity describes a mixture-of-experts model",
            field="--granularity",
            value=granularity,
            allowed="give --active-params below --params with it",
        )
    if active_params is not None and active_params > params:
        raise InputError(
            "active parameters exceed the total",
            field="--active-params",
            value=active_params,
            allowed=f"at most --params ({params:g})",
        )
    value = expected_loss(
        params, tokens, unique_tokens, law_name, active_params, granularity, precision
    )
    used = loss_law(law_name, loss_granularity(params, active_params, granularity))
    record: dict[str, Any] = {
        "loss": value,
        "params": params,
        "active_params": params if active_params is None else active_params,
        "tokens": tokens,
        "unique_tokens": unique_tokens,
        "precision": precision,
        "law": law_name,
        "law_source": used.source,
        "fitted_on": used.fitted_on,
        **({"hf_config": note} if note else {}),
    }
    g = loss_granularity(params, active_params, granularity)
    warnings = []
    if law_name == KRAJEWSKI_NAME:
        active = params if active_params is None else active_params
        outside = outside_fit(active, tokens, g, None)
        if outside:
            warnings.append("outside the fitted range of krajewski-2024: " + "; ".join(outside))
    elif g is not None:
        warnings.append(
            f"a mixture-of-experts model under the dense law {law_name}: its loss is that of a "
            "dense-equivalent size (planner.laws.moe, an approximation); krajewski-2024 fits MoE"
        )
    if warnings:
        record["warnings"] = warnings
    emit(render_loss(record, fmt), output, force)
    for line in warnings if fmt != "json" else []:
        click.echo(f"warning: {line}", err=True)


main.add_command(optimize)
main.add_command(sweep)
main.add_command(fit)
main.add_command(fit_mix)
main.add_command(fit_tasks)
main.add_command(layout)
