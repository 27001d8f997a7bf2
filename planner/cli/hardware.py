"""Hardware commands and options: ``planner layout`` and the layout flags of ``planner estimate``.

Thin shells over :func:`planner.compute.utilization.layouts` and
:func:`planner.plan.estimate.quick_estimate`; registered on the ``planner`` group by
:mod:`planner.cli`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

import click

from planner.cli.options import (
    check_outputs,
    emit,
    friendly_errors,
    hf_config_option,
    output_options,
)

__all__ = ["LAYOUT_FLAGS", "layout", "layout_options"]

F = TypeVar("F", bound=Callable[..., Any])

LAYOUT_FLAGS = {
    "training.layout.tp": "--tp",
    "training.layout.pp": "--pp",
    "training.layout.ep": "--ep",
    "training.layout.cp": "--cp",
    "training.layout.micro_batch": "--micro-batch",
    "training.layout.global_batch": "--global-batch",
    "training.layout.zero": "--zero",
    "training.accelerator_count": "--accelerator-count",
}
"""Scenario field -> ``planner estimate`` flag, so errors name the flag the user typed."""


def layout_options(func: F) -> F:
    """--tp --pp --ep --cp --micro-batch --global-batch --zero --experts --top-k for
    ``planner estimate``."""
    positive = click.IntRange(min=1)
    options = [
        click.option("--tp", type=positive, help="Layout: tensor-parallel size."),
        click.option("--pp", type=positive, help="Layout: pipeline stages."),
        click.option("--ep", type=positive, help="Layout: expert-parallel size (inside dp)."),
        click.option(
            "--cp", type=positive, help="Layout: context-parallel size (splits the sequence)."
        ),
        click.option("--micro-batch", type=positive, help="Layout: sequences per micro-batch."),
        click.option("--global-batch", type=positive, help="Layout: sequences per step."),
        click.option(
            "--zero",
            type=click.Choice(["0", "1", "2", "3", "FULL_SHARD", "SHARD_GRAD_OP", "NO_SHARD"]),
            help="Layout: ZeRO stage or FSDP strategy.",
        ),
        click.option("--experts", type=positive, help="Architecture: experts per layer (MoE)."),
        click.option("--top-k", type=positive, help="Architecture: experts active per token."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--all", "show_all", is_flag=True, help="List every layout tried, not the best 10.")
@hf_config_option
@output_options(("table", "json", "csv"))
@friendly_errors
def layout(
    file: str, show_all: bool, hf_config: str | None, fmt: str, output: str | None, force: bool
) -> None:
    """Feasible parallel layouts for a scenario FILE's model and cluster, fastest first,
    then the layouts that fail and why.

    Example: planner layout scenarios/llama2_70b_layout.yaml --all
    """
    from planner.compute.utilization import layouts
    from planner.errors import InputError
    from planner.plan.plans import load_scenario

    check_outputs(output, force=force)
    scenario = load_scenario(file)
    if hf_config is not None:  # the scenario's cluster, this config.json's model
        from planner.plan.plans import with_hf_config

        scenario = with_hf_config(scenario, hf_config, file=file)
    try:
        found = layouts(scenario)
    except InputError as exc:
        raise exc.located(file=file) from None
    feasible = [c for c in found if c.feasible]
    shown = found if show_all else feasible[:10] + [c for c in found if not c.feasible][:10]
    rows = [
        {
            "tp": c.layout.tp,
            "pp": c.layout.pp,
            "v": c.layout.virtual_stages,
            "cp": c.layout.cp,
            "zero": c.layout.zero,
            "dp": c.dp,
            "ep": c.layout.ep,
            "micro_batch": c.layout.micro_batch,
            "recompute": c.layout.recompute,
            "step_s": round(c.step_s, 3) if c.feasible else None,
            "tokens_per_s": round(c.tokens_per_s) if c.feasible else None,
            "predicted_mfu": round(c.predicted_utilization, 3) if c.feasible else None,
            "memory_gb": round(c.memory_bytes / 1e9, 1)
            if c.memory_bytes == c.memory_bytes
            else None,
            "fails_because": c.reason,
        }
        for c in shown
    ]
    if fmt == "json":
        text = (
            json.dumps({"feasible": len(feasible), "tried": len(found), "layouts": rows}, indent=2)
            + "\n"
        )
    else:
        import pandas as pd

        frame = pd.DataFrame(rows)
        if fmt == "csv":
            text = str(frame.to_csv(index=False))
        else:
            text = frame.astype(object).fillna("").to_string(index=False) + (
                f"\n\n{len(feasible)} of {len(found)} layouts fit; predicted MFU is steady-state "
                "(planner.compute.utilization; kernel efficiency by hidden size, calibrated on measured "
                "iteration times, planner/data/step_benchmarks.csv); whole-run hours also take "
                "goodput (planner.compute.hours)\n"
            )
    emit(text, output, force)
