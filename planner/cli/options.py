"""Shared pieces of the ``planner`` command: parameter types, option bundles, output.

Option bundles are decorators (as sqlite-utils' ``output_options``), so every command that
prints results takes the same ``--format``, ``-o/--output`` and ``--force``.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from planner import units
from planner.errors import PlannerError
from planner.laws.names import preset_help

__all__ = [
    "FORMAT_BY_SUFFIX",
    "QUANTITY",
    "STDOUT",
    "RangeType",
    "check_outputs",
    "emit",
    "format_for",
    "friendly_errors",
    "hf_config_option",
    "html_option",
    "law_option",
    "output_options",
    "table_width",
]

F = TypeVar("F", bound=Callable[..., Any])

FORMAT_BY_SUFFIX = {
    ".json": "json",
    ".csv": "csv",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "table",
}
"""An --output file name's suffix picks the format when --format is not given."""


class QuantityType(click.ParamType):  # type: ignore[type-arg]
    """A human quantity flag: 70B, 1.4T, 3.8e25."""

    name = "quantity"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        from planner.limits import MAX_QUANTITY

        try:
            number = units.parse_quantity(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)
        if number > MAX_QUANTITY:
            self.fail(
                f"{value!r} is above {MAX_QUANTITY:g}, the sanity bound on any count "
                "(planner.limits MAX_QUANTITY)",
                param,
                ctx,
            )
        return number


class RangeType(click.ParamType):  # type: ignore[type-arg]
    """A share such as 0.4, or a low:high range such as 0.25:0.45."""

    name = "share[:high]"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> dict[str, float]:
        try:
            parts = [float(p) for p in str(value).split(":")]
        except ValueError:
            self.fail(f"{value!r} is not a number or low:high range such as 0.25:0.45", param, ctx)
        if len(parts) == 1:
            parts *= 2
        if len(parts) != 2:
            self.fail(f"{value!r}: give one number or low:high", param, ctx)
        return {"low": parts[0], "high": parts[1]}


QUANTITY = QuantityType()


def friendly_errors(func: F) -> F:
    """Print PlannerError messages without a traceback; exit code 2. Numpy's runtime warnings
    are not printed (the inputs' sanity bounds keep every output finite)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        import warnings

        try:
            with warnings.catch_warnings():
                # bounded inputs cannot overflow (planner.limits); should a numpy warning
                # still arise, it is not shown to the user as a stack of library lines
                warnings.filterwarnings("ignore", category=RuntimeWarning, module="numpy")
                return func(*args, **kwargs)
        except PlannerError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(2)

    return wrapper  # type: ignore[return-value]


def output_options(formats: tuple[str, ...]) -> Callable[[F], F]:
    """--format, -o/--output (alias --out) and --force, shared by every command that prints results.

    Without --format, an --output file's suffix picks it (.json, .csv, .md, .txt; no suffix: the
    first format); any other suffix is a usage error (:func:`format_for`).
    """

    def decorate(func: F) -> F:
        func = click.option(
            "--force", is_flag=True, help="Overwrite the output files if they exist."
        )(func)
        func = click.option(
            "--output",
            "-o",
            "--out",
            "output",
            type=click.Path(dir_okay=False),
            help="Write to this file instead of stdout ('-': stdout); its suffix (.json, .csv, "
            ".md, .txt) picks the format unless --format is given.",
        )(func)
        func = click.option(
            "--format",
            "fmt",
            type=click.Choice(formats),
            default=None,
            help=f"Output format: {', '.join(formats)} (default: from the --output suffix, else {formats[0]}).",
        )(func)

        func = click.option(
            "--width",
            "width",
            type=click.IntRange(min=0),
            default=None,
            help="Table width in characters; plans that do not fit continue in blocks below "
            "(default: the terminal's width when printing to one, else unlimited; 0: unlimited).",
        )(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from planner.outputs.text import WIDTH

            kwargs["fmt"] = format_for(kwargs.get("fmt"), kwargs.get("output"), formats)
            token = WIDTH.set(table_width(kwargs.pop("width", None), kwargs.get("output")))
            try:
                return func(*args, **kwargs)
            finally:
                WIDTH.reset(token)

        return wrapper  # type: ignore[return-value]

    return decorate


def table_width(width: int | None, output: str | None) -> int | None:
    """--width, else the terminal's width when stdout is one and there is no --output file."""
    if width is not None:
        return width or None
    if output in (None, STDOUT) and sys.stdout.isatty():
        import shutil

        return shutil.get_terminal_size().columns
    return None


def format_for(fmt: str | None, output: str | None, formats: tuple[str, ...]) -> str:
    """The format asked for, else the one the output file's suffix names, else the default.

    A suffix that names no format this command writes (``out.xlsx``, ``report.html``, ``-o
    loss.csv`` where ``loss`` writes only table and JSON) is a usage error, not a text table
    written under a misleading name. A file without a suffix gets the default format.
    """
    if output is None or output == STDOUT:
        return fmt or formats[0]
    suffix = Path(output).suffix.lower()
    named = FORMAT_BY_SUFFIX.get(suffix)
    if fmt is not None:
        if named is not None and named in formats and named != fmt:
            raise click.BadParameter(
                f"{output} ends in {suffix}, which is {named}, but --format is {fmt}; "
                "drop --format or change the suffix",
                param_hint="'--output'",
            )
        return fmt
    if not suffix:
        return formats[0]
    guessed = FORMAT_BY_SUFFIX.get(suffix)
    if guessed in formats:
        return str(guessed)
    allowed = ", ".join(s for s, f in FORMAT_BY_SUFFIX.items() if f in formats)
    hint = " (the HTML report is written with --html PATH)" if suffix in (".html", ".htm") else ""
    raise click.BadParameter(
        f"{output}: this command does not write {suffix} files{hint}; use a file ending in "
        f"{allowed}, or give --format ({', '.join(formats)})",
        param_hint="'--output'",
    )


def check_outputs(
    output: str | None = None, html: str | None = None, *, force: bool = False
) -> None:
    """Check every output target before any work starts (exists without --force, a directory,
    a device, the same file twice): :func:`planner.io.writing.check_targets`."""
    from planner.io.writing import check_targets

    if output == STDOUT and html == STDOUT:
        raise PlannerError("--output and --html cannot both be '-' (standard output)")
    check_targets(
        {"--output": _file(output), "--html": _file(html)},
        overwrite=force,
    )


STDOUT = "-"
"""The output name that means standard output (``-o -``)."""


def _file(path: str | None) -> str | None:
    """``path``, or None for ``-`` (standard output is not a file to check or stage)."""
    return None if path == STDOUT else path


def emit(
    text: str, output: str | None, force: bool, html: tuple[str | None, str] | None = None
) -> None:
    """Print the text, or write it to --output; with ``html`` (path, page) write that too.

    Files are written all or none (:func:`planner.io.writing.outputs`).
    """
    from planner.io.writing import outputs

    html_path, page = html if html is not None else (None, "")
    if (output is None and html_path != STDOUT) or output == STDOUT:
        click.echo(text, nl=False)
    if html_path == STDOUT:
        click.echo(page, nl=False)
    output, html_path = _file(output), _file(html_path)
    if output is None and html_path is None:
        return
    with outputs({"--output": output, "--html": html_path}, overwrite=force) as staged:
        if output is not None:
            staged["--output"].write_text(text, encoding="utf-8")
        if html_path is not None:
            staged["--html"].write_text(page, encoding="utf-8")
    for path in (output, html_path):
        if path is not None:
            click.echo(f"wrote {path}", err=True)


def law_option(func: F) -> F:
    """--law: a preset name or a law file written by planner fit."""
    return click.option(
        "--law",
        "law_name",
        default=None,
        help=f"Scaling law for every plan: a preset ({preset_help()}) or a law file from planner "
        "fit. Default: the scenario's.",
    )(func)


hf_config_option = click.option(
    "--hf-config",
    "hf_config",
    type=click.Path(dir_okay=False),
    help="A model's Hugging Face config.json (a local path): layers, sizes, heads, experts "
    "and vocabulary are read from it (Llama, Qwen, Mistral, Mixtral, DeepSeek-V3, Gemma).",
)

html_option = click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write the HTML budget report here (with --force to replace it).",
)


def report_page(results: Any, html_path: str | None) -> tuple[str | None, str]:
    """(path, HTML report) for --html: analysis computed by the library, then rendered."""
    if html_path is None:
        return None, ""
    from planner.errors import InputError
    from planner.explore.analysis import analyse
    from planner.outputs.report import render_report

    try:
        found = analyse(results)
    except InputError as exc:  # the optimiser's answer for the report: name the scenario file
        files = [path for path, _ in results.files]
        raise exc.located(files[0] if len(files) == 1 else None) from None
    return html_path, render_report(results, analysis=found)
