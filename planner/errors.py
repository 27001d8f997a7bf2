"""Errors a user can act on. The CLI prints their message and exits with code 2."""

from __future__ import annotations

from planner.limits import SHOWN_CHARS

__all__ = ["InputError", "PlannerError", "shown", "shown_path", "shown_text", "validation_problems"]

MAX_SHOWN_PATH = 200
"""Characters of a file name shown in a message (over-long names are elided in the middle)."""


def shown(value: object, limit: int = SHOWN_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters, so a message never echoes a huge value.

    >>> shown("x" * 1000)[:12], len(shown("x" * 1000)) < 120
    ("'xxxxxxxxxxx", True)
    """
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # a numpy scalar reads as a plain number
    if isinstance(value, (str, bytes)) and len(value) > 4 * limit:
        value = value[: 4 * limit]  # repr of a 1 GB string is never built
        text = repr(value)
    elif isinstance(value, (list, tuple, dict, set)) and len(value) > limit:
        text = f"<{type(value).__name__} of {len(value):,} items>"
    else:
        try:
            text = repr(value)
        except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
            text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def shown_path(path: str) -> str:
    """A file name for a message, elided in the middle when longer than ``MAX_SHOWN_PATH``."""
    if path == "-":
        return "<stdin>"
    if len(path) <= MAX_SHOWN_PATH:
        return path
    half = MAX_SHOWN_PATH // 2
    return f"{path[:half]}…{path[-half:]} ({len(path):,} characters)"


class PlannerError(Exception):
    """Base class: the message is written for the user, never a traceback."""


class InputError(PlannerError):
    """Bad input: names where (file, field path), the bad value and what is allowed."""

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        field: str | None = None,
        value: object = None,
        allowed: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = file
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(self._message())

    def _message(self) -> str:
        file = shown_path(self.file) if self.file else None
        field = shown_path(self.field) if self.field else None
        where = ": ".join(part for part in (file, field) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.value is not None:
            text += f" (got {shown(self.value)})"
        if self.allowed:
            text += f"; {self.allowed}"
        return text

    def located(self, file: str | None = None, prefix: str | None = None) -> InputError:
        """The same error with a file name and/or a field-path prefix added."""
        field = ".".join(p for p in (prefix, self.field) if p) or None
        return InputError(
            self.problem,
            file=file or self.file,
            field=field,
            value=self.value,
            allowed=self.allowed,
        )


def validation_problems(exc: Exception, *, limit: int = 10) -> str:
    """One ``field: problem (got value)`` per pydantic error, ``; ``-joined, values cut short.

    ``exc`` is a ``pydantic.ValidationError`` (duck-typed so this module imports no pydantic).
    """
    errors = list(exc.errors(include_url=False))  # type: ignore[attr-defined]
    parts = []
    for error in errors[:limit]:
        field = ".".join(str(p) for p in error["loc"]) or "value"
        message = str(error["msg"]).removeprefix("Value error, ")
        value = error.get("input")
        got = (
            ""
            if error["type"] == "missing" or isinstance(value, dict)
            else f" (got {shown(value)})"
        )
        parts.append(f"{field}: {message}{got}")
    if len(errors) > limit:
        parts.append(f"and {len(errors) - limit} more")
    return "; ".join(parts)


def shown_text(text: str, limit: int = 160) -> str:
    """A parser's message cut to ``limit`` characters (parsers quote the offending text)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
