"""Errors a user can act on. The CLI prints their message and exits with code 2."""

from __future__ import annotations


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
        where = ": ".join(part for part in (self.file, self.field) if part)
        text = f"{where}: {self.problem}" if where else self.problem
        if self.value is not None:
            text += f" (got {self.value!r})"
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
