"""Tokens drawn from each data source: the one rule, for a single plan and for a sweep.

A source draws ``tokens``, ``epochs × unique_tokens`` or ``share × training.tokens``; with
``training.epochs`` every source draws that many epochs over its unique tokens
(``docs/decisions.md``, "data sources"). The scenario schema validates a file with it, the
plan model evaluates with it, and a sweep that varies some sources' shares rescales the
other share-based sources together so that the shares still fill the run.

Works on numpy arrays of rows; a single plan is a batch of one.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

__all__ = ["SUM_TOLERANCE", "DrawError", "rebalanced", "resolve"]

SUM_TOLERANCE = 1e-3
"""Relative slack when checking that explicit token counts and shares add up (0.1%)."""


class DrawError(ValueError):
    """The sources' draws do not add up; ``row`` is the first offending row of a batch."""

    def __init__(self, message: str, row: int = 0, fields: str = "data") -> None:
        super().__init__(message)
        self.row = row
        self.fields = fields


def _explicit(source: Any) -> bool:
    return source.tokens is not None or (
        source.epochs is not None and source.unique_tokens is not None
    )


def _explicit_tokens(source: Any) -> Any:
    return source.tokens if source.tokens is not None else source.epochs * source.unique_tokens


def resolve(
    training: Any,
    data: Sequence[Any],
    size: int = 1,
    varied_shares: Collection[str] = (),
    *,
    rebalance: bool = False,
) -> tuple[list[np.ndarray], np.ndarray]:
    """(tokens drawn per source, total training tokens), each an array of ``size`` rows.

    ``training`` and ``data`` are the scenario's (their numbers may be arrays of rows).
    Shares named in ``varied_shares`` are taken as given; the other share-based sources
    are rescaled together to fill the rest of the run. Without varied shares the shares
    must add up (within :data:`SUM_TOLERANCE`), as a scenario file's must, unless
    ``rebalance`` (a variant that set or dropped shares): then they are rescaled too.
    """
    # inputs that are plain numbers stay one element wide; numpy broadcasts them against swept arrays
    ones = np.ones(1)
    if not data:
        if training.epochs is not None:
            raise DrawError(
                "training.epochs needs data sources with unique_tokens", fields="training.epochs"
            )
        if training.tokens is None:
            raise DrawError(
                "training.tokens is required when there are no data sources",
                fields="training.tokens",
            )
        return [], training.tokens * ones
    if training.epochs is not None:
        for source in data:
            if source.unique_tokens is None or any(
                getattr(source, k) is not None for k in ("tokens", "share", "epochs")
            ):
                raise DrawError(
                    f"data.{source.name}: with training.epochs every source gives unique_tokens "
                    "and no tokens, share or epochs of its own",
                    fields=f"data.{source.name}",
                )
        drawn = [training.epochs * s.unique_tokens * ones for s in data]
        return _check_repetition(data, drawn), sum(drawn, 0 * ones)
    for source in data:
        if not _explicit(source) and source.share is None:
            raise DrawError(
                f"data.{source.name}: give one of tokens, share or epochs",
                fields=f"data.{source.name}",
            )
    explicit = sum((_explicit_tokens(s) * ones for s in data if _explicit(s)), 0 * ones)
    share_based = [s for s in data if not _explicit(s)]
    varied = [s for s in share_based if s.name in varied_shares]
    fixed = [s for s in share_based if s.name not in varied_shares]
    if training.tokens is None:
        if share_based:
            raise DrawError(
                "training.tokens is required when data sources give a share",
                fields="training.tokens",
            )
        total = explicit
    else:
        total = training.tokens * ones
    varied_sum = sum((s.share * ones for s in varied), 0 * ones)
    fixed_sum = sum((s.share for s in fixed), 0.0) * ones
    room = 1 - explicit / total - varied_sum
    fields = ", ".join(f"data.{s.name}.share" for s in varied) or "data"
    if not varied and not rebalance:
        if share_based:
            bad = np.abs(fixed_sum - room) > SUM_TOLERANCE
            if bad.any():
                row = int(np.argmax(bad))
                raise DrawError(
                    f"data: shares add up to {_at(fixed_sum, row):.4g} but must add up to "
                    f"{_at(room, row):.4g} (1 minus the {_at(explicit, row):.4g} tokens drawn explicitly out "
                    f"of training.tokens {_at(total, row):.4g})",
                    row,
                )
        else:
            bad = np.abs(explicit - total) > SUM_TOLERANCE * total
            if bad.any():
                row = int(np.argmax(bad))
                raise DrawError(
                    f"data: sources draw {_at(explicit, row):.4g} tokens but training.tokens is "
                    f"{_at(total, row):.4g}; make them agree or drop training.tokens",
                    row,
                )
        scale = ones
    else:
        over = room < -SUM_TOLERANCE
        if over.any():
            raise DrawError(
                f"{_row_label(size, over)}the shares set (swept, or in a variant) add up to more "
                "than the tokens available; lower them (other share-based sources fill the rest)",
                int(np.argmax(over)),
                fields,
            )
        unfilled = np.abs(room) > SUM_TOLERANCE
        if not fixed and unfilled.any():
            raise DrawError(
                f"{_row_label(size, unfilled)}shares do not add up to 1 and no other "
                "share-based source can fill the rest",
                int(np.argmax(unfilled)),
                fields,
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = np.where(fixed_sum > 0, room / fixed_sum, 0.0)
    drawn = []
    for source in data:
        if _explicit(source):
            drawn.append(_explicit_tokens(source) * ones)
        elif source.name in varied_shares:
            drawn.append(source.share * total)
        else:
            drawn.append(source.share * scale * total)
    return _check_repetition(data, drawn), total


def _check_repetition(data: Sequence[Any], drawn: list[np.ndarray]) -> list[np.ndarray]:
    for source, tokens in zip(data, drawn, strict=True):
        limit = source.unique_tokens
        if source.allow_repetition or limit is None:
            continue
        over = tokens > limit * (1 + SUM_TOLERANCE)
        if np.any(over):
            row = int(np.argmax(over))
            raise DrawError(
                f"data.{source.name}: draws {_at(tokens, row):.4g} tokens but has only "
                f"{_at(limit * np.ones_like(tokens), row):.4g} unique tokens and "
                "allow_repetition is false; lower the draw or allow repetition",
                row,
                f"data.{source.name}",
            )
    return drawn


def rebalanced(training: Any, data: Sequence[Any], varied: Collection[str]) -> list[Any]:
    """Sources with the shares a variant implies: ``varied`` taken as given, the other
    share-based sources rescaled to fill the run (the rule of :func:`resolve`)."""
    drawn, total = resolve(training, data, 1, varied, rebalance=True)
    return [
        source.model_copy(update={"share": float(tokens[0] / total[0])})
        if source.share is not None and not _explicit(source)
        else source
        for source, tokens in zip(data, drawn, strict=True)
    ]


def _row_label(size: int, bad: np.ndarray) -> str:
    """``row N: `` for a sweep, nothing for a single plan."""
    return f"row {int(np.argmax(bad))}: " if size > 1 else ""


def _at(values: Any, row: int) -> float:
    """Element ``row`` of a value that may be one element wide (broadcast)."""
    flat = np.ravel(values)
    return float(flat[row] if flat.size > row else flat[0])
